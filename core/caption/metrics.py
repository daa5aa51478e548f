"""Caption metrics of the COCO caption evaluation: BLEU-1..4, ROUGE-L, CIDEr(-D), METEOR through its Java jar.

BLEU, ROUGE-L and corpus CIDEr are pycocoevalcap's own scorers (pure Python: they run in the app without Java).
Inputs are token lists: callers tokenize with core.caption.text.metric_tokens first, syllables by default (what the
course report's KTVIC example implies: its `segment_caption` has no underscores), pyvi words as an option; the
scorers get them joined by single spaces, which is how they split.

Two things pycocoevalcap lacks stay here:
- per-image CIDEr. pycocoevalcap takes CIDEr's IDF from the references of the corpus being scored; with a single
  image every n-gram has document frequency 1 and IDF log(1) - log(1) = 0. `CiderD(reference_corpus=...)` is the
  same formula (TF-IDF n-grams 1-4, clipped, Gaussian length penalty sigma = 6, x10) with the document frequencies
  of a larger corpus, e.g. the training captions (tests check it equals pycocoevalcap's Cider on the same corpus);
- a METEOR that cannot hang: pycocoevalcap's wrapper waits on the jar forever; `meteor` below has a watchdog.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import threading
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from core.runtime import subprocess_guard

Tokens = Sequence[str]


def ngrams(tokens: Tokens, n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _all_ngrams(tokens: Tokens, max_n: int = 4) -> Counter:
    counts: Counter = Counter()
    for n in range(1, max_n + 1):
        counts.update(ngrams(tokens, n))
    return counts


# ---- BLEU, ROUGE-L, corpus CIDEr: pycocoevalcap ------------------------------------------------------------------
def _coco(hypotheses: Sequence[Tokens], references: Sequence[Sequence[Tokens]]) -> tuple[dict, dict]:
    """pycocoevalcap's inputs: {image: [reference strings]}, {image: [the hypothesis string]}."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} reference lists")
    gts = {i: [" ".join(r) for r in refs] for i, refs in enumerate(references)}
    res = {i: [" ".join(h)] for i, h in enumerate(hypotheses)}
    return gts, res


def bleu(hypotheses: Sequence[Tokens], references: Sequence[Sequence[Tokens]], max_n: int = 4) -> list[float]:
    """Corpus BLEU-1..max_n: n-gram matches and lengths summed over all images before the ratios are taken."""
    from pycocoevalcap.bleu.bleu import Bleu

    if not hypotheses:
        return [0.0] * max_n
    return [float(x) for x in Bleu(max_n).compute_score(*_coco(hypotheses, references), verbose=0)[0]]


def rouge_l(hypothesis: Tokens, references: Sequence[Tokens]) -> float:
    """Sentence ROUGE-L F-measure (beta 1.2; best precision and best recall over the references)."""
    from pycocoevalcap.rouge.rouge import Rouge

    if not hypothesis or not references:
        return 0.0
    return float(Rouge().calc_score([" ".join(hypothesis)], [" ".join(r) for r in references]))


def corpus_rouge_l(hypotheses: Sequence[Tokens], references: Sequence[Sequence[Tokens]]) -> float:
    """The mean of the per-image ROUGE-L."""
    from pycocoevalcap.rouge.rouge import Rouge

    if not hypotheses:
        return 0.0
    return float(Rouge().compute_score(*_coco(hypotheses, references))[0])


# ---- CIDEr-D -----------------------------------------------------------------------------------------------------
class CiderD:
    """CIDEr-D with document frequencies from `reference_corpus` (a list of reference lists, one per image)."""

    def __init__(self, reference_corpus: Sequence[Sequence[Tokens]], n: int = 4, sigma: float = 6.0):
        self.n, self.sigma = n, sigma
        self.df: Counter = Counter()
        for refs in reference_corpus:
            self.df.update({gram for ref in refs for gram in _all_ngrams(ref, n)})
        self.log_num_docs = math.log(float(max(len(reference_corpus), 1)))

    def _vector(self, tokens: Tokens) -> tuple[list[dict], list[float], int]:
        vec: list[dict] = [defaultdict(float) for _ in range(self.n)]
        norm = [0.0] * self.n
        length = 0
        for gram, tf in _all_ngrams(tokens, self.n).items():
            k = len(gram) - 1
            vec[k][gram] = tf * (self.log_num_docs - math.log(max(1.0, self.df[gram])))
            norm[k] += vec[k][gram] ** 2
            if k == 1:  # pycocoevalcap measures length in bigrams
                length += tf
        return vec, [math.sqrt(x) for x in norm], length

    def _similarity(self, hyp, ref) -> list[float]:
        (vh, nh, lh), (vr, nr, lr) = hyp, ref
        penalty = math.exp(-((lh - lr) ** 2) / (2 * self.sigma**2))
        out = []
        for k in range(self.n):
            val = sum(min(v, vr[k].get(g, 0.0)) * vr[k].get(g, 0.0) for g, v in vh[k].items())
            if nh[k] != 0 and nr[k] != 0:
                val /= nh[k] * nr[k]
            out.append(val * penalty)
        return out

    def score(self, hypothesis: Tokens, references: Sequence[Tokens]) -> float:
        hyp = self._vector(hypothesis)
        total = [0.0] * self.n
        for ref in references:
            total = [a + b for a, b in zip(total, self._similarity(hyp, self._vector(ref)))]
        return 10.0 * (sum(total) / self.n) / max(len(references), 1)

    def corpus_score(self, hypotheses: Sequence[Tokens], references: Sequence[Sequence[Tokens]]) -> float:
        scores = [self.score(h, r) for h, r in zip(hypotheses, references, strict=True)]
        return sum(scores) / max(len(scores), 1)


def cider(hypotheses: Sequence[Tokens], references: Sequence[Sequence[Tokens]]) -> float:
    """Corpus CIDEr-D with IDF from the references being scored (pycocoevalcap's Cider)."""
    from pycocoevalcap.cider.cider import Cider

    if not hypotheses:
        return 0.0
    return float(Cider().compute_score(*_coco(hypotheses, references))[0])


# ---- METEOR (Java) -----------------------------------------------------------------------------------------------
_meteor_lock = threading.Lock()


def meteor_unavailable_reason() -> str | None:
    """Why METEOR cannot run here, or None. It needs Java and the meteor-1.5.jar that pycocoevalcap ships."""
    if shutil.which("java") is None:
        return "METEOR skipped: Java is not installed (apt-get install default-jre-headless)"
    if _meteor_jar() is None:
        return "METEOR skipped: pycocoevalcap (which ships meteor-1.5.jar) is not installed (pip install pycocoevalcap)"
    return None


def _meteor_jar() -> Path | None:
    import importlib.util

    try:
        spec = importlib.util.find_spec("pycocoevalcap.meteor")
    except ImportError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    jar = Path(list(spec.submodule_search_locations)[0]) / "meteor-1.5.jar"
    return jar if jar.is_file() else None


def meteor(
    hypotheses: Sequence[Tokens], references: Sequence[Sequence[Tokens]], *, timeout_s: float | None = None
) -> float:
    """Corpus METEOR 1.5 exactly as pycocoevalcap drives the jar ("-l en -norm"), UTF-8 forced on the pipe.

    pycocoevalcap starts Java without a file encoding, and Java 17 reads stdin in the locale's charset: under a
    C locale every Vietnamese letter would become "?" and match every other one. Raises RuntimeError when
    `meteor_unavailable_reason()` is not None, or when Java dies or stops answering for `timeout_s` (default: 2
    minutes plus 0.1 s a caption; the jar needs milliseconds a caption) instead of blocking on its pipe forever.
    """
    reason = meteor_unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    jar = _meteor_jar()
    cmd = ["java", "-Dfile.encoding=UTF-8", "-Xmx1G", "-jar", jar.name, "-", "-", "-stdio", "-l", "en", "-norm"]
    with _meteor_lock:
        proc = subprocess_guard.popen(  # Java dies with this process, even when it is killed
            cmd, cwd=jar.parent, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        # Killing Java ends a blocked readline() with b"", which the parsing below turns into the error.
        watchdog = threading.Timer(120.0 + 0.1 * len(hypotheses) if timeout_s is None else timeout_s, proc.kill)
        watchdog.start()
        try:
            stats = []
            for hyp, refs in zip(hypotheses, references, strict=True):
                fields = ["SCORE", *(" ".join(r).replace("|||", "") for r in refs), " ".join(hyp).replace("|||", "")]
                proc.stdin.write((" ||| ".join(fields) + "\n").encode("utf-8"))
                proc.stdin.flush()
                stats.append(proc.stdout.readline().decode("utf-8").strip())
            proc.stdin.write(("EVAL ||| " + " ||| ".join(stats) + "\n").encode("utf-8"))
            proc.stdin.flush()
            for _ in stats:  # per-segment scores, then the corpus score
                proc.stdout.readline()
            return float(proc.stdout.readline().strip())
        except (ValueError, OSError) as exc:  # "" instead of a number, or a broken pipe: Java is gone
            raise RuntimeError(f"METEOR: Java stopped answering or exited ({exc!r})") from exc
        finally:
            watchdog.cancel()
            proc.kill()
            try:
                proc.stdin.close()
            except OSError:
                pass  # the pipe broke with Java; nothing left to flush
            proc.wait()


# ---- All of them -------------------------------------------------------------------------------------------------
def corpus_metrics(
    hypotheses: Sequence[Tokens], references: Sequence[Sequence[Tokens]], *, with_meteor: bool = True
) -> dict[str, float | str]:
    """BLEU-1..4, ROUGE-L, CIDEr and (when Java is here) METEOR over a corpus; a skipped METEOR says why."""
    b = bleu(hypotheses, references)
    out: dict[str, float | str] = {f"BLEU-{k + 1}": b[k] for k in range(4)}
    out["ROUGE-L"] = corpus_rouge_l(hypotheses, references)
    out["CIDEr"] = cider(hypotheses, references)
    if with_meteor:
        reason = meteor_unavailable_reason()
        if reason:
            print(reason)
            out["METEOR"] = reason
        else:
            out["METEOR"] = meteor(hypotheses, references)
    return out


def image_metrics(
    hypothesis: Tokens, references: Sequence[Tokens], cider_scorer: CiderD | None = None
) -> dict[str, float | None]:
    """Per-image BLEU-1..4, ROUGE-L and CIDEr (None without a reference corpus for its IDF)."""
    b = bleu([hypothesis], [references])
    out: dict[str, float | None] = {f"BLEU-{k + 1}": b[k] for k in range(4)}
    out["ROUGE-L"] = rouge_l(hypothesis, references)
    out["CIDEr"] = cider_scorer.score(hypothesis, references) if cider_scorer is not None else None
    return out

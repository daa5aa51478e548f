"""Download every weight and dataset the tabs use into the local caches, so the app then runs offline.

Usage:
  python -m core.prefetch                 # everything: models, backbones and tokenizers, datasets
  python -m core.prefetch --list          # what would be fetched, with the expected size where it is known
  python -m core.prefetch resnet50 cifar100   # only these items (registry names or item names)

Afterwards start the app with HF_HUB_OFFLINE=1. Prints a progress bar over the items (the libraries show their own
per-file bars), one status line per item with its size on disk, the total, and the command that fixes a failure.
Exit status 1 when anything is missing.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.registry import VIT_IN21K_REPO, get_spec, list_models
from core.weights import REPO_ROOT, LocalCheckpoint, PublishedHubFile, WeightsUnavailable, hub_available

DATA_ROOT = REPO_ROOT / "data"  # where live training and train/ read CIFAR-100 and Fashion-MNIST


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
        from core.model_store import load_model, load_module

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
        from core.zoo_data import DEBIAN_FASHION_MNIST, load_dataset

        try:
            load_dataset(name, DATA_ROOT)
        except RuntimeError as exc:
            raise MissingItem(str(exc), f"python -m core.prefetch {name}  # with network access") from exc
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
            tqdm.write(f"         fix: python -m core.prefetch {item.name}  # with network access", file=out)
            continue
        total_mb += size
        tqdm.write(f"ok       {item.name:<28} {size:8.1f} MB  {item.what}", file=out)
    bar.close()
    print(f"total on disk: {total_mb:.1f} MB for {len(items) - failures} of {len(items)} items", file=out)
    if failures:
        print(f"{failures} missing: run again with network access, or see the fixes above.", file=out)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("items", nargs="*", help="registry model names, Hub repos or datasets (default: everything)")
    p.add_argument("--list", action="store_true", help="list the items and their expected sizes, fetch nothing")
    p.add_argument("--skip-backbones", action="store_true", help="skip the extra Hub repos (backbones, tokenizers)")
    args = p.parse_args(argv)
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

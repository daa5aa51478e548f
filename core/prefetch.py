"""Download every weight the app uses into the local caches, so the app then runs with HF_HUB_OFFLINE=1.

Usage: python -m core.prefetch [model names...]   (default: every registered model, plus the ViT-21k backbone
that train/finetune_cifar100.py starts from). Prints each model's status and the command that fixes what fails.
"""

from __future__ import annotations

import argparse
import sys

from core.model_store import load_model
from core.registry import VIT_IN21K_REPO, get_spec, list_models
from core.weights import WeightsUnavailable, hub_available


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="*", help=f"registry names (default: all of {', '.join(list_models())})")
    p.add_argument("--skip-backbones", action="store_true", help=f"do not fetch {VIT_IN21K_REPO}")
    args = p.parse_args(argv)
    names = args.models or list_models()
    failures = 0
    for name in names:
        get_spec(name)  # unknown names fail here with the list of valid ones
        try:
            model = load_model(name)
            print(f"ok       {name:<20} {model.source}")
        except WeightsUnavailable as exc:
            failures += 1
            print(f"missing  {name:<20} " + "; ".join(exc.reasons))
            for fix in exc.fixes:
                print(f"         fix: {fix}")
    if not args.skip_backbones:
        try:
            from huggingface_hub import snapshot_download

            snapshot_download(
                VIT_IN21K_REPO, allow_patterns=["*.json", "*.safetensors"], local_files_only=not hub_available()
            )
            print(f"ok       {VIT_IN21K_REPO} (backbone for train.finetune_cifar100 --model vit_b16)")
        except Exception as exc:
            failures += 1
            print(f"missing  {VIT_IN21K_REPO}: {type(exc).__name__} (no network?)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

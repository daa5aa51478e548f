"""int8 paths for CPU inference: fp32 vs torch.ao's dynamic int8 (what core/image/quantize.py uses) vs torchao's eager
int8 configs (when torchao is importable), on ViT-B/16 (APP_PROFILE=random: full size, random weights).

Run: python -m tests.benchmarks.bench_int8 [--repeats 5] [--smoke]
torchao is not a dependency; to include it: pip install --target /tmp/torchao --no-deps torchao==0.18.0 and
PYTHONPATH=/tmp/torchao python -m tests.benchmarks.bench_int8. Prints medians, interleaved, batch 1, warm.
--smoke (tests/test_benchmarks.py): the tiny ViT-B/16 (APP_PROFILE=tiny), one repeat, the same quantisation and
timing code; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import copy
import warnings

import torch


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--smoke", action="store_true", help="tiny ViT, 1 repeat: checks the code runs")
    args = p.parse_args(argv)
    profile = "tiny" if args.smoke else "random"
    if args.smoke:
        args.repeats = 1
    warnings.filterwarnings("ignore")
    from core.catalog.store import load_model
    from core.image.quantize import quantize_int8, size_mb
    from tests.benchmarks.bench_image import interleaved_medians_ms

    module = load_model("vit_b16", profile).module
    variants = {"fp32": module, "torch.ao int8 (core/image/quantize.py)": quantize_int8(module)}
    try:
        from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig, quantize_

        for config in (Int8DynamicActivationInt8WeightConfig(), Int8WeightOnlyConfig()):
            copied = copy.deepcopy(module)
            quantize_(copied, config)
            variants[f"torchao {type(config).__name__}"] = copied
    except ImportError:
        print("torchao not importable: its rows are left out (see this file's docstring)")
    x = torch.randn(1, 3, 224, 224)

    def forward(m):
        def run():
            with torch.inference_mode():
                m(x)

        return run

    times = interleaved_medians_ms({k: forward(m) for k, m in variants.items()}, args.repeats)
    vit = "ViT-B/16 tiny (smoke)" if args.smoke else "ViT-B/16"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {vit}, batch 1, median of {args.repeats}")
    for name, m in variants.items():
        size = f"{size_mb(m):7.1f} MB" if "torchao" not in name else "      -   "
        print(f"{name:<52} {times[name]:8.1f} ms  {size}  x{times['fp32'] / times[name]:.2f} vs fp32")


if __name__ == "__main__":
    main()

"""CLIP playground benchmark: zero-shot vs the bare image encoder, repeats vs a transformers pipeline, probe refit.

Run: python -m tests.benchmarks.bench_clip [--repeats 20] [--smoke]
Full-size ViT-B/32 with random weights (what APP_PROFILE=random builds: same compute, no download), CPU, batch 1,
one image and 10 classes. The transformers side is a `zero-shot-image-classification` pipeline on a random
CLIPModel of the same size (CLIPConfig's defaults are ViT-B/32), with a CLIPTokenizerFast built offline from the BPE
merges that open_clip ships in its wheel. Prints ratios measured in this one run; it is not a timed test.
--smoke (tests/test_benchmarks.py): the tiny CLIP of APP_PROFILE=tiny (core.clip.model.TINY_CONFIG) and a
transformers CLIPModel of the same tiny shape, one repeat, the same zero-shot, cache and probe code; its numbers
mean nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
IMAGE = REPO / "examples" / "images" / "meo_chelsea.jpg"
CLASSES = ["cat", "dog", "coffee cup", "rocket", "astronaut", "car", "tree", "horse", "bicycle", "pizza"]
TEMPLATE = "a photo of a {}."


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def openai_tokenizer(folder: Path):
    """CLIPTokenizerFast from open_clip's bundled bpe_simple_vocab_16e6.txt.gz (the same merges as OpenAI's)."""
    import open_clip
    from open_clip.tokenizer import bytes_to_unicode
    from transformers import CLIPTokenizerFast

    bpe = Path(open_clip.__file__).parent / "bpe_simple_vocab_16e6.txt.gz"
    merges = gzip.open(bpe).read().decode("utf-8").split("\n")[1 : 49152 - 256 - 2 + 1]
    byte_chars = list(bytes_to_unicode().values())
    vocab = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    return CLIPTokenizerFast(
        vocab_file=str(folder / "vocab.json"),
        merges_file=str(folder / "merges.txt"),
        unk_token="<|endoftext|>",
        bos_token="<|startoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=20, help="timed repetitions (median reported)")
    p.add_argument("--smoke", action="store_true", help="tiny CLIPs, 1 repeat: checks the code runs")
    args = p.parse_args(argv)
    if args.smoke:
        args.repeats = 1
    import torch
    from PIL import Image

    from core.clip.model import TINY_CONFIG, ClipModel
    from core.clip.probe import fit_probe, zero_shot_weight
    from core.clip.support import embed_image
    from core.clip.zero_shot import TEXT_CACHE, zero_shot

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    torch.manual_seed(0)
    ours = ClipModel(tiny=True) if args.smoke else ClipModel(model_name="ViT-B-32-quickgelu", pretrained=None)
    image = Image.open(IMAGE).convert("RGB")

    def our_query(use_image_cache: bool):
        vector, _ = embed_image(ours, "bench", str(IMAGE), use_cache=use_image_cache)
        return zero_shot(ours, "bench", vector, CLASSES, [TEMPLATE])

    TEXT_CACHE.clear()
    start = time.perf_counter()
    our_query(False)
    cold = (time.perf_counter() - start) * 1000

    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, pipeline

    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = openai_tokenizer(Path(tmp))
    torch.manual_seed(0)
    config, processor = CLIPConfig(), CLIPImageProcessor()
    if args.smoke:  # ours' tiny shape: 1 layer, 32 wide, 64 px
        vision, text = TINY_CONFIG["vision_cfg"], TINY_CONFIG["text_cfg"]
        config = CLIPConfig(
            text_config={"hidden_size": text["width"], "intermediate_size": 4 * text["width"], "num_hidden_layers": 1,
                         "num_attention_heads": text["heads"]},
            vision_config={"hidden_size": vision["width"], "intermediate_size": 4 * vision["width"],
                           "num_hidden_layers": 1, "num_attention_heads": 2, "image_size": vision["image_size"],
                           "patch_size": vision["patch_size"]},
            projection_dim=TINY_CONFIG["embed_dim"],
        )  # fmt: skip
        processor = CLIPImageProcessor(size={"shortest_edge": vision["image_size"]}, crop_size=vision["image_size"])
    hf = CLIPModel(config).eval()
    pipe = pipeline("zero-shot-image-classification", model=hf, tokenizer=tokenizer, image_processor=processor)
    # Interleaved, so that load from other processes on a shared machine hits all four alike.
    runs = {
        "bare": lambda: ours.encode_images([image]),
        "warm": lambda: our_query(False),
        "cached": lambda: our_query(True),
        "pipeline": lambda: pipe(image, candidate_labels=CLASSES, hypothesis_template=TEMPLATE),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for repeat in range(args.repeats + 1):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            if repeat:  # the first round is warm-up
                times[name].append((time.perf_counter() - start) * 1000)
    bare, warm, cached, theirs = (statistics.median(times[n]) for n in runs)
    n_ours = sum(p.numel() for p in ours.clip.parameters())
    n_hf = sum(p.numel() for p in hf.parameters())

    rng = np.random.default_rng(0)
    feats = rng.normal(size=(200, 512)).astype(np.float32)
    feats /= np.linalg.norm(feats, axis=1, keepdims=True)
    labels = np.repeat(np.arange(10), 20)
    text = rng.normal(size=(10, 512)).astype(np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    plain = median_ms(lambda: fit_probe(feats, labels, 10), args.repeats)
    zs_init = median_ms(lambda: fit_probe(feats, labels, 10, prior=zero_shot_weight(text, 100.0)), args.repeats)

    print(f"parameters: ours {n_ours / 1e6:.1f} M, transformers CLIPModel {n_hf / 1e6:.1f} M")
    print(f"bare image encoder (preprocess + forward), 1 image: {bare:8.1f} ms")
    print(f"zero-shot, 10 classes, first call (encodes 10 prompts): {cold:8.1f} ms")
    print(f"zero-shot, warm text cache, image re-encoded: {warm:8.1f} ms   {warm / bare:.2f}x bare (target <= 1.3)")
    print(f"zero-shot, warm text and image caches (repeat): {cached:8.2f} ms")
    print(f"transformers pipeline, same query repeated: {theirs:8.1f} ms")
    print(
        f"  speed-up on repeats, image re-encoded: {theirs / warm:.1f}x; with the image cache: {theirs / cached:.0f}x"
    )
    print(f"probe refit k=20, C=10, D=512: plain {plain:.1f} ms, zero-shot-initialised {zs_init:.1f} ms")


if __name__ == "__main__":
    main()

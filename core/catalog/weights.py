"""Where weights come from, in order: a local checkpoint, then the Hub (docs/ARCHITECTURE.md, "Weight sources").

Each source answers `is_cached()` (are the weights on this machine now? a disk lookup, no network) and either
returns a loaded module or says why it could not. What a source says about itself comes in two registers:
`describe()` is words for the class (no path, command or environment variable: it reaches the students' panels and
the HTTP API), `fix()` and the reasons of a `WeightsUnavailable` are the instructor's details (the Status tab's
instructor section, demo.prefetch's output). Network access is probed with a short timeout first, so an offline
classroom never waits on a hanging download. Downloads are safetensors, or torchvision's .pth read with
torch.load(weights_only=True), which refuses anything but tensors (no arbitrary unpickling).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.runtime.messages import Bilingual, UserError

REPO_ROOT = Path(__file__).resolve().parents[2]
HUB_REPO_ENV = "DL_CLASSROOM_HUB_REPO"
NETWORK_TIMEOUT_S = 3.0


class WeightsUnavailable(UserError, RuntimeError):
    """No source could provide the weights.

    The message is words for the class (no path, no command: it is shown on the students' screen and returned by
    the HTTP API); `reasons` (English: paths, library errors) and `fixes` (commands) are the instructor's details,
    shown by demo.prefetch and the Status tab's instructor section."""

    title = Bilingual("Weights missing", "Thiếu trọng số")

    def __init__(self, model_name: str, reasons: list[str], fixes: list[str]):
        self.model_name, self.reasons, self.fixes = model_name, reasons, fixes
        super().__init__(
            f"No weights for '{model_name}' on this machine yet. The instructor can prepare them: the Model status "
            "tab says what is missing and how to get it.",
            f"Chưa có trọng số cho '{model_name}' trên máy này. Giảng viên có thể chuẩn bị: thẻ Trạng thái mô hình "
            "cho biết còn thiếu gì và cách lấy.",
        )

    def instructor_details(self) -> str:
        """What a message for the instructor adds: the reasons (paths) and the commands that fix them."""
        lines = [f"- {r}" for r in self.reasons]
        return "\n".join(lines + [f"  {f}" for f in self.fixes])


class SourceFailed(Exception):
    pass


def checkpoint_dir() -> Path:
    return Path(os.environ.get("CHECKPOINT_DIR", REPO_ROOT / "checkpoints"))


# Dataset names as the class reads them, for describe() (the checkpoint's config.json names the dataset).
_DATASETS = {"fashion_mnist": "Fashion-MNIST", "cifar100": "CIFAR-100", "easy_vqa": "easy-VQA", "ktvic": "KTVIC"}


def _thousands(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def describe_checkpoint(folder: str | Path, *, hub_repo: str | None = None) -> Bilingual:
    """A checkpoint folder in words for the class: whose it is and what it was trained on, read from its
    config.json (no path: this reaches the students' panels and the HTTP API)."""
    folder = Path(folder)
    if folder.name.startswith("live_"):  # core.training.live_models.PREFIX: a model trained in the Live training tab
        return Bilingual(
            "a model trained live in this class (Live training tab)",
            "mô hình huấn luyện trực tiếp trong lớp (thẻ Huấn luyện trực tiếp)",
        )
    en, vi = [], []
    try:
        import json

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        train = config.get("train_config") or {}
        dataset = config.get("dataset") or train.get("dataset")
        if dataset:
            name = _DATASETS.get(str(dataset), str(dataset))
            en.append(name)
            vi.append(name)
        samples, epochs = train.get("train_samples"), train.get("epochs")
        if isinstance(samples, int) and isinstance(epochs, int):
            en.append(f"{_thousands(samples, ',')} training examples x {epochs} epochs")
            vi.append(f"{_thousands(samples, '.')} mẫu huấn luyện x {epochs} epoch")
        elif isinstance(epochs, int):
            en.append(f"{epochs} epochs")
            vi.append(f"{epochs} epoch")
    except (OSError, ValueError, AttributeError):
        pass  # a folder without a readable config.json is still a checkpoint: described without the details
    detail_en, detail_vi = (f" ({', '.join(en)})", f" ({', '.join(vi)})") if en else ("", "")
    if hub_repo:
        return Bilingual(
            f"the class's checkpoint from Hugging Face {hub_repo}{detail_en}",
            f"checkpoint của lớp từ Hugging Face {hub_repo}{detail_vi}",
        )
    return Bilingual(f"checkpoint trained for this class{detail_en}", f"checkpoint huấn luyện cho lớp này{detail_vi}")


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


_reachable_cache: dict[str, tuple[float, bool]] = {}
_reachable_lock = threading.Lock()


def host_reachable(host: str, port: int = 443, timeout: float = NETWORK_TIMEOUT_S) -> bool:
    """TCP connect with a short timeout, remembered for a minute so a page of requests pays it once."""
    now = time.monotonic()
    with _reachable_lock:
        hit = _reachable_cache.get(host)
        if hit and now - hit[0] < 60:
            return hit[1]
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        ok = True
    except OSError:
        ok = False
    with _reachable_lock:
        _reachable_cache[host] = (now, ok)
    return ok


def hub_available() -> bool:
    return not hub_offline() and host_reachable("huggingface.co")


def torch_hub_dir() -> Path:
    """torch.hub.get_dir() without importing torch: $TORCH_HOME/hub, else $XDG_CACHE_HOME/torch/hub."""
    home = os.environ.get("TORCH_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "torch")
    return Path(os.path.expanduser(home)) / "hub"


def _in_hub_cache(repo: str, filename: str) -> bool:
    """Whether the local Hub cache holds this file (a disk lookup: no network, fast enough for page loads)."""
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(repo, filename), str)


@dataclass(frozen=True)
class LocalCheckpoint:
    """A folder under checkpoints/ written by a train/ script."""

    dirname: str
    train_command: str

    def describe(self) -> str:
        return describe_checkpoint(self.path())

    def path(self) -> Path:
        return checkpoint_dir() / self.dirname

    def fix(self) -> str:
        return self.train_command

    def is_cached(self) -> bool:
        from core.catalog.checkpoint import WEIGHTS_FILE

        return (self.path() / WEIGHTS_FILE).is_file()

    def load(self, spec) -> tuple[Any, dict[str, Any]]:
        from core.catalog.checkpoint import WEIGHTS_FILE, load_checkpoint

        path = self.path()
        if not (path / WEIGHTS_FILE).is_file():
            raise SourceFailed(f"missing file {path / WEIGHTS_FILE}")
        module, config = load_checkpoint(path)
        return module, {"config": config, "checkpoint_dir": str(path)}


@dataclass(frozen=True)
class HubCheckpoint:
    """The same checkpoint folder published in a Hub model repo (repo id from $DL_CLASSROOM_HUB_REPO)."""

    subfolder: str

    def describe(self) -> str:
        repo = os.environ.get(HUB_REPO_ENV)
        if repo:
            return Bilingual(
                f"the class's checkpoint from Hugging Face {repo}", f"checkpoint của lớp từ Hugging Face {repo}"
            )
        return Bilingual(
            "the class's Hugging Face repository (not set up here)", "kho Hugging Face của lớp (chưa thiết lập)"
        )

    def fix(self) -> str:
        return f"{HUB_REPO_ENV}=<user>/<repo> python -m demo.prefetch  # a repo holding {self.subfolder}/"

    def is_cached(self) -> bool:
        from core.catalog.checkpoint import WEIGHTS_FILE

        repo = os.environ.get(HUB_REPO_ENV)
        return bool(repo) and _in_hub_cache(repo, f"{self.subfolder}/{WEIGHTS_FILE}")

    def load(self, spec) -> tuple[Any, dict[str, Any]]:
        from core.catalog.checkpoint import CONFIG_FILE, WEIGHTS_FILE, load_checkpoint

        repo = os.environ.get(HUB_REPO_ENV)
        if not repo:
            raise SourceFailed(f"no Hub repo configured for fine-tuned checkpoints (set ${HUB_REPO_ENV})")
        local_only = not hub_available()
        try:
            from huggingface_hub import hf_hub_download

            paths = [
                hf_hub_download(repo, f"{self.subfolder}/{f}", local_files_only=local_only)
                for f in (CONFIG_FILE, WEIGHTS_FILE)
            ]
        except Exception as exc:
            where = "not in the local Hub cache and the Hub is unreachable" if local_only else type(exc).__name__
            raise SourceFailed(f"{repo}/{self.subfolder}: {where}") from exc
        module, config = load_checkpoint(Path(paths[0]).parent)
        return module, {"config": config, "checkpoint_dir": str(Path(paths[0]).parent)}

    def folder(self) -> Path:
        """The whole subfolder, downloaded into (or found in) the local Hub cache: for checkpoints that are more
        than weights + config (a captioner's tokenizer and CIDEr corpus). Raises SourceFailed in words."""
        repo = os.environ.get(HUB_REPO_ENV)
        if not repo:
            raise SourceFailed(f"no Hub repo configured for trained checkpoints (set ${HUB_REPO_ENV})")
        local_only = not hub_available()
        try:
            from huggingface_hub import snapshot_download

            root = snapshot_download(repo, allow_patterns=[f"{self.subfolder}/*"], local_files_only=local_only)
        except Exception as exc:
            where = "not in the local Hub cache and the Hub is unreachable" if local_only else type(exc).__name__
            raise SourceFailed(f"{repo}/{self.subfolder}: {where}") from exc
        path = Path(root) / self.subfolder
        from core.catalog.checkpoint import WEIGHTS_FILE

        if not (path / WEIGHTS_FILE).is_file():
            raise SourceFailed(f"{repo}/{self.subfolder}: no {WEIGHTS_FILE} there")
        return path


@dataclass(frozen=True)
class TorchvisionWeights:
    """torchvision's weights API, e.g. "ResNet50_Weights.IMAGENET1K_V2" (cached under torch.hub's dir)."""

    weights: str
    # The file name torch.hub stores it under (the URL's basename). Known here so that is_cached(), asked on every
    # page load, needs neither torch nor torchvision (seconds to import); tests/test_weights.py checks it.
    filename: str | None = None

    def describe(self) -> str:
        tag = self.weights.split(".")[-1]
        return Bilingual(
            f"torchvision's public pretrained weights ({tag})",
            f"trọng số huấn luyện sẵn công khai của torchvision ({tag})",
        )

    def fix(self) -> str:
        return "python -m demo.prefetch  # downloads torchvision and Hub weights into the local cache"

    def _enum(self):
        from core.runtime.import_lock import IMPORT_LOCK

        with IMPORT_LOCK:  # see core.runtime.import_lock
            import torchvision.models as tvm

        enum_name, member = self.weights.split(".")
        return getattr(getattr(tvm, enum_name), member)

    def is_cached(self) -> bool:
        if self.filename:
            return (torch_hub_dir() / "checkpoints" / self.filename).is_file()
        return self.cached_file().is_file()

    def cached_file(self) -> Path:
        import torch

        return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(self._enum().url)

    def state_dict(self) -> dict[str, Any]:
        """The published tensors, from torch.hub's cache or downloaded (tensors only: weights_only=True)."""
        import torch

        weights, path = self._enum(), self.cached_file()
        if path.is_file():
            return torch.load(path, map_location="cpu", weights_only=True)
        if hub_offline() or not host_reachable("download.pytorch.org"):
            raise SourceFailed(f"missing file {path} (not downloaded yet, and no network)")
        return torch.hub.load_state_dict_from_url(
            weights.url, map_location="cpu", progress=False, check_hash=True, weights_only=True
        )

    def load(self, spec) -> tuple[Any, dict[str, Any]]:
        from core.catalog.registry import build_architecture

        state_dict = self.state_dict()
        module = build_architecture(spec.arch, **spec.model_args)
        module.load_torchvision_state_dict(state_dict)
        return module.eval(), {"labels": list(self._enum().meta["categories"])}


@dataclass(frozen=True)
class TransformersHub:
    """A transformers model repo on the Hub, loaded with use_safetensors=True."""

    repo_id: str

    def describe(self) -> str:
        return Bilingual(
            f"public checkpoint from Hugging Face {self.repo_id}",
            f"checkpoint công khai từ Hugging Face {self.repo_id}",
        )

    def fix(self) -> str:
        return "python -m demo.prefetch  # downloads torchvision and Hub weights into the local cache"

    def is_cached(self) -> bool:
        return _in_hub_cache(self.repo_id, "model.safetensors")

    def load(self, spec) -> tuple[Any, dict[str, Any]]:
        from core.catalog.registry import architecture_class

        local_only = not hub_available()
        try:
            module = architecture_class(spec.arch).from_pretrained(self.repo_id, local_files_only=local_only)
        except Exception as exc:
            where = "not in the local Hub cache and the Hub is unreachable" if local_only else str(exc)[:200]
            raise SourceFailed(f"{self.repo_id}: {where}") from exc
        return module.eval(), {"labels": module.hub_labels()}


@dataclass(frozen=True)
class OpenClipHub:
    """open_clip pretrained weights (architecture + tag), downloaded by open_clip from the Hub into HF_HOME."""

    model_name: str
    pretrained: str
    # open_clip's Hub repo for this tag, known here so that is_cached() (every page load) does not import open_clip
    # (seconds); tests/test_weights.py checks it against open_clip's own table.
    hub_id: str | None = None
    # Expected download in MiB where known (fp32 parameters x 4 bytes, counted on open_clip's module): shown by
    # prefetch --list and the CLIP tab's first-run card.
    size_mb: float | None = None

    def describe(self) -> str:
        return Bilingual(
            f"open_clip's public weights ({self.model_name}, {self.pretrained})",
            f"trọng số công khai của open_clip ({self.model_name}, {self.pretrained})",
        )

    def fix(self) -> str:
        return "python -m demo.prefetch  # downloads torchvision, Hub and open_clip weights into the local cache"

    def is_cached(self) -> bool:
        return self.cached_file() is not None

    def hub_repo(self) -> str | None:
        if self.hub_id:
            return self.hub_id
        import open_clip

        cfg = open_clip.get_pretrained_cfg(self.model_name, self.pretrained) or {}
        return cfg.get("hf_hub", "").rstrip("/") or None

    def cached_file(self) -> str | None:
        """The weights file in the local Hub cache, if a previous run (or demo.prefetch) downloaded it."""
        from huggingface_hub import try_to_load_from_cache

        repo = self.hub_repo()
        for filename in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin"):
            found = try_to_load_from_cache(repo, filename) if repo else None
            if isinstance(found, str):
                return found
        return None

    def load(self, spec) -> tuple[Any, dict[str, Any]]:
        from core.catalog.registry import architecture_class

        # Offline, hand open_clip the cached file itself: given the tag it would retry the Hub for a minute.
        # A .bin file is read by open_clip with torch.load(weights_only=True), never a full unpickle.
        online = hub_available()
        pretrained = self.pretrained if online else self.cached_file()
        if pretrained is None:
            raise SourceFailed(f"{self.describe()}: not in the local cache and the Hub is unreachable")
        try:
            module = architecture_class(spec.arch)(model_name=self.model_name, pretrained=pretrained)
        except Exception as exc:
            raise SourceFailed(f"{self.describe()}: {type(exc).__name__}: {str(exc)[:200]}") from exc
        return module.eval(), {"labels": []}


@dataclass(frozen=True)
class PublishedHubFile:
    """A state dict someone else published as one file in their Hub repo (not our checkpoint format).

    The module is built from the entry's arch and model_args and the file's tensors are loaded into it strictly
    (`load_published_state_dict`), so a file with other key names fails in words instead of half-loading.
    `.bin` files are read with torch.load(weights_only=True): tensors only, never a full unpickle.
    """

    repo_id: str
    filename: str
    licence: str
    # Expected download in MiB (fp32 parameters x 4 bytes; tests/test_published.py checks it against the class):
    # prefetch --list and the first-run card show it without asking the Hub.
    size_mb: float

    def describe(self) -> str:
        return Bilingual(
            f"public checkpoint from Hugging Face {self.repo_id} ({self.licence})",
            f"checkpoint công khai từ Hugging Face {self.repo_id} (giấy phép {self.licence})",
        )

    def fix(self) -> str:
        return f"python -m demo.prefetch  # with network access: downloads {self.repo_id} ({self.size_mb:.0f} MB)"

    def is_cached(self) -> bool:
        return _in_hub_cache(self.repo_id, self.filename)

    def cached_file(self) -> str | None:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(self.repo_id, self.filename)
        return found if isinstance(found, str) else None

    def state_dict(self) -> dict[str, Any]:
        local_only = not hub_available()
        try:
            from huggingface_hub import hf_hub_download

            path = hf_hub_download(self.repo_id, self.filename, local_files_only=local_only)
        except Exception as exc:
            where = "not in the local Hub cache and the Hub is unreachable" if local_only else type(exc).__name__
            raise SourceFailed(f"{self.repo_id}/{self.filename}: {where}") from exc
        return read_state_dict(path)

    def load(self, spec) -> tuple[Any, dict[str, Any]]:
        from core.catalog.registry import build_architecture

        state_dict = self.state_dict()
        module = build_architecture(spec.arch, **spec.model_args)
        try:
            module.load_published_state_dict(state_dict)
        except RuntimeError as exc:  # other key names or shapes: say so, do not run a half-loaded model
            raise SourceFailed(f"{self.describe()}: tensors do not match {spec.arch}: {str(exc)[:200]}") from exc
        return module.eval(), {}


def read_state_dict(path: str | Path) -> dict[str, Any]:
    """Tensors from a downloaded file: safetensors, or torch.load(weights_only=True) (refuses any other object)."""
    if str(path).endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(str(path))
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)


WeightSource = LocalCheckpoint | HubCheckpoint | TorchvisionWeights | TransformersHub | OpenClipHub | PublishedHubFile

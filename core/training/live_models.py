"""Models trained live in class: each finished run is a catalogue entry of its own, never a replacement.

A run of the Live training tab is saved to checkpoints/live/<entry name>/ (model.safetensors + config.json +
metrics.json, and live.json: whose session trained it, the name they gave, the test accuracy, when). `sync()` makes
the registry match that folder: each run becomes an entry such as `live_simple_cnn_20261201_104233_3f2a`, named
for who trained it with its accuracy and time, offered in the image tab beside the committed "SimpleCNN" (which
stays the default and keeps its own weights). Before, a student's one-epoch run on 1,000 images (12.5 %) replaced
the committed 89 % model for every visitor under the same name.

Bounded, so that one visitor cannot push out everyone else's work: each visitor (a page session) keeps at most
MAX_PER_VISITOR models, their own oldest replaced; over MAX_LIVE_MODELS entries or MAX_LIVE_BYTES on disk, the oldest
model of a visitor over that quota goes first, and another visitor's model only when nobody is over it. The session
that trained a model can delete it; nobody else can.

A run is saved into a temporary folder (TMP_PREFIX) and renamed into place when complete, so a save cut short (the
process killed, the disk full) leaves no half model; `clean_stale()` removes such leftovers when the server starts.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from core.catalog.weights import LocalCheckpoint, checkpoint_dir
from core.runtime.messages import Bilingual

MAX_LIVE_MODELS = 12  # about one per group of students in a class
MAX_PER_VISITOR = 2  # one visitor's models at a time: a new run replaces their own oldest beyond this
MAX_WHO_CHARS = 40  # the name others see while you train and beside your model
MAX_LIVE_BYTES = 200 * 1024 * 1024  # the zoo's live models are 0.3-9 MB each in fp32
META_FILE = "live.json"
PREFIX = "live_"
TMP_PREFIX = ".saving_"  # a save in progress (or one cut short): never listed, removed by clean_stale()

_lock = threading.Lock()


@dataclass(frozen=True)
class LiveModel:
    name: str  # the registry name
    base: str  # the zoo entry it is a copy of (simple_cnn)
    who: str  # the name the student typed ("" when none)
    owner: str | None  # the session that trained it: the only one that may delete it
    accuracy: float  # on the 2,000 held-out test images
    created: float  # time.time() when it was saved
    epochs: int
    train_samples: int

    @property
    def folder(self) -> Path:
        return live_root() / self.name

    def label(self) -> Bilingual:
        """What the dropdown and the status panel show: whose it is, how good, when."""
        from core.catalog import get_spec

        when = time.strftime("%H:%M", time.localtime(self.created))
        base, acc = get_spec(self.base).display_name, f"{100 * self.accuracy:.1f}"
        return Bilingual(
            f"{base}, trained live by {self.who or 'a visitor'} at {when} · {acc}%",
            f"{base}, {self.who or 'một người học'} huấn luyện trực tiếp lúc {when} · {acc.replace('.', ',')}%",
        )


def live_root() -> Path:
    """checkpoints/live; under APP_PROFILE=tiny (tests, demos without weights) a temp folder, so that tiny random
    runs never land among a real installation's models."""
    from core.catalog.store import current_profile

    if current_profile() == "tiny":
        import tempfile

        return Path(tempfile.gettempdir()) / "dl_classroom_live_tiny"
    return checkpoint_dir() / "live"


def new_entry_name(base: str, now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(time.time() if now is None else now))
    return f"{PREFIX}{base}_{stamp}_{secrets.token_hex(2)}"


def clean_name(who: object) -> str:
    """The name a visitor typed, as others will see it: letters (any script), digits, spaces, hyphens and
    apostrophes only, at most MAX_WHO_CHARS. No Markdown, HTML or URL survives it (no ':', '/', '.', '<', '[', '!'),
    so a name shown in another visitor's Markdown panel or dropdown cannot become an image, a link or markup."""
    import unicodedata

    text = unicodedata.normalize("NFC", str(who or ""))  # Vietnamese typed as combining marks: one letter each
    kept = "".join(c if c.isalnum() or c in " -'" else " " for c in text)
    return " ".join(kept.split())[:MAX_WHO_CHARS].strip()


def write_meta(folder: Path, model: LiveModel) -> None:
    meta = {k: getattr(model, k) for k in ("base", "who", "owner", "accuracy", "created", "epochs", "train_samples")}
    (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


def list_live() -> list[LiveModel]:
    """Every saved live model, oldest first (unreadable folders are skipped, not fatal)."""
    from core.catalog.checkpoint import WEIGHTS_FILE

    found = []
    root = live_root()
    for folder in root.glob(f"{PREFIX}*") if root.is_dir() else ():
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
            if not (folder / WEIGHTS_FILE).is_file():
                continue
            found.append(
                LiveModel(
                    name=folder.name,
                    base=str(meta["base"]),
                    who=clean_name(meta.get("who")),  # a folder from an older version may hold anything
                    owner=meta.get("owner"),
                    accuracy=float(meta["accuracy"]),
                    created=float(meta["created"]),
                    epochs=int(meta.get("epochs", 0)),
                    train_samples=int(meta.get("train_samples", 0)),
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda m: m.created)


def sync() -> list[LiveModel]:
    """Make the registry's live entries match the folder (another request may have added or pruned some)."""
    from core.catalog import get_spec, list_models, register, unregister

    with _lock:
        models = list_live()
        wanted = {m.name: m for m in models}
        for name in [n for n in list_models() if n.startswith(PREFIX) and n not in wanted]:
            unregister(name)
        known = set(list_models())
        for model in models:
            if model.name not in known:
                base = get_spec(model.base)
                label = model.label()
                register(
                    replace(
                        base,
                        name=model.name,
                        display_name=str(label),
                        # An absolute folder: LocalCheckpoint joins it to checkpoints/ and gets it unchanged.
                        weights=(LocalCheckpoint(str(model.folder), "the Live training tab"),),
                        description=Bilingual(
                            f"Trained live in class on Fashion-MNIST; the committed {base.display_name} is unchanged.",
                            f"Huấn luyện trực tiếp trong lớp trên Fashion-MNIST; {base.display_name} gốc không đổi.",
                        ),
                        tabs=("image",),
                        fallback=None,
                    )
                )
        return models


def prune(keep: str | None = None) -> list[str]:
    """Bound the live models after `keep` (the run just saved, never removed) was added; returns the removed names.

    First its owner's quota: they keep their MAX_PER_VISITOR newest. Then the global bounds (MAX_LIVE_MODELS,
    MAX_LIVE_BYTES): the oldest model of a visitor still over the quota goes first (models without an owner count
    as one visitor), and only when nobody is over it the oldest model overall."""
    models = list_live()
    sizes = {m.name: sum(f.stat().st_size for f in m.folder.rglob("*") if f.is_file()) for m in models}
    kept = next((m for m in models if m.name == keep), None)
    removed: list[str] = []

    def remove(model: LiveModel) -> None:
        _remove(model)
        removed.append(model.name)

    if kept is not None and kept.owner is not None:
        own = [m for m in models if m.owner == kept.owner and m.name != keep]
        for model in own[: max(0, len(own) - (MAX_PER_VISITOR - 1))]:  # oldest first
            remove(model)
    while True:
        left = [m for m in models if m.name not in removed]
        if len(left) <= MAX_LIVE_MODELS and sum(sizes[m.name] for m in left) <= MAX_LIVE_BYTES:
            break
        counts: dict = {}
        for m in left:
            counts[m.owner] = counts.get(m.owner, 0) + 1
        candidates = [m for m in left if m.name != keep]
        if not candidates:
            break
        over = [m for m in candidates if counts[m.owner] > MAX_PER_VISITOR]
        remove((over or candidates)[0])  # lists are oldest first
    sync()
    return removed


def clean_stale() -> list[str]:
    """Remove what a save cut short left behind: temporary folders and run folders without weights or live.json.
    Called when the server starts (demo.tabs.live), before any run of this process saves."""
    from core.catalog.checkpoint import WEIGHTS_FILE

    root = live_root()
    gone = []
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        stale = (folder.name.startswith(TMP_PREFIX) and not _saving_process_alive(folder.name)) or (
            folder.name.startswith(PREFIX)
            and not ((folder / WEIGHTS_FILE).is_file() and (folder / META_FILE).is_file())
        )
        if stale and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder.name)
    return gone


def _saving_process_alive(tmp_name: str) -> bool:
    """Whether the process that named this temporary folder (".saving_<pid>_<run>") is still running: another
    server sharing CHECKPOINT_DIR may be saving into it right now. Its own pid never is (clean_stale runs before
    this process saves anything), and a name without a pid is a leftover."""
    pid = tmp_name[len(TMP_PREFIX) :].split("_", 1)[0]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def delete(name: str, owner: str | None) -> bool:
    """Delete a live model if `owner` (the visitor's session) trained it; False otherwise (nothing changes)."""
    model = next((m for m in list_live() if m.name == name), None)
    if model is None or owner is None or model.owner != owner:
        return False
    _remove(model)
    sync()
    return True


def owned_by(owner: str | None) -> list[LiveModel]:
    return [m for m in list_live() if owner is not None and m.owner == owner]


def _remove(model: LiveModel) -> None:
    from core.catalog import store as model_store

    shutil.rmtree(model.folder, ignore_errors=True)
    model_store.forget(model.name)

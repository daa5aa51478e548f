"""Which models can run here, without loading any of them: the data behind the app's status panel.

One loop over the catalogue (core/catalog/registry.py): each weight source answers `is_cached()` itself. Each status
says
where the weights come from and how to get missing ones in words for the class (`where`, `fix`: the table and the
HTTP API), and the instructor's command separately (`command`: the Status tab's instructor section only).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.catalog.registry import all_specs, get_spec
from core.catalog.weights import HUB_REPO_ENV, HubCheckpoint, LocalCheckpoint, hub_available
from core.runtime.messages import Bilingual

NOWHERE = Bilingual("not on this machine, and no network to download it", "không có trên máy, và không có mạng để tải")
# How a missing model is obtained, in words: trained by one of the app's scripts, or downloaded once.
HOW_TRAIN = Bilingual(
    "the instructor trains it with the app's training scripts (a GPU helps)",
    "giảng viên huấn luyện bằng các script huấn luyện của ứng dụng (nên có GPU)",
)
HOW_DOWNLOAD = Bilingual(
    "the instructor downloads it once, on a machine with network access",
    "giảng viên tải về một lần, trên máy có mạng",
)
HOW_DOWNLOAD_OR_TRAIN = Bilingual(
    "the instructor downloads it once (network needed) or trains it with the app's training scripts",
    "giảng viên tải về một lần (cần mạng) hoặc huấn luyện bằng các script của ứng dụng",
)
PREFETCH = "python -m demo.prefetch"


@dataclass
class ModelStatus:
    name: str
    display_name: str
    state: str  # "available locally" | "downloadable" | "missing"
    where: str  # words (a core.runtime.messages.Bilingual): no path, no command
    fix: str  # words: how the instructor gets it; "" when it is here
    command: str = ""  # the instructor's command that fixes it (Status tab's instructor section only)


def model_status(name: str, *, online: bool | None = None) -> ModelStatus:
    spec = get_spec(name)
    for source in spec.weights:
        if source.is_cached():
            return ModelStatus(name, spec.display_name, "available locally", source.describe(), "")
    online = hub_available() if online is None else online
    remote = [s for s in spec.weights if not isinstance(s, LocalCheckpoint)]
    if online and any(not isinstance(s, HubCheckpoint) or os.environ.get(HUB_REPO_ENV) for s in remote):
        return ModelStatus(name, spec.display_name, "downloadable", remote[0].describe(), HOW_DOWNLOAD, PREFETCH)
    fixes = dict.fromkeys(s.fix() for s in spec.weights if not isinstance(s, HubCheckpoint))
    trained = any(isinstance(s, LocalCheckpoint) for s in spec.weights)
    downloaded = any(not isinstance(s, LocalCheckpoint | HubCheckpoint) for s in spec.weights)
    how = HOW_DOWNLOAD_OR_TRAIN if trained and downloaded else HOW_TRAIN if trained else HOW_DOWNLOAD
    return ModelStatus(name, spec.display_name, "missing", NOWHERE, how, "  or  ".join(fixes))


def all_statuses() -> list[ModelStatus]:
    """Every catalogue entry: image and text classifiers, CLIP towers, VQA variants per dataset, captioners."""
    online = hub_available()
    return [model_status(spec.name, online=online) for spec in all_specs()]

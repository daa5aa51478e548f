"""Which models can run here, without loading any of them: the data behind the app's status panel.

One loop over the catalogue (core/registry.py): each weight source answers `is_cached()` itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.registry import all_specs, get_spec
from core.weights import HUB_REPO_ENV, HubCheckpoint, LocalCheckpoint, hub_available


@dataclass
class ModelStatus:
    name: str
    display_name: str
    state: str  # "available locally" | "downloadable" | "missing"
    where: str
    fix: str


def model_status(name: str, *, online: bool | None = None) -> ModelStatus:
    spec = get_spec(name)
    for source in spec.weights:
        if source.is_cached():
            return ModelStatus(name, spec.display_name, "available locally", source.describe(), "")
    online = hub_available() if online is None else online
    remote = [s for s in spec.weights if not isinstance(s, LocalCheckpoint)]
    if online and any(not isinstance(s, HubCheckpoint) or os.environ.get(HUB_REPO_ENV) for s in remote):
        return ModelStatus(name, spec.display_name, "downloadable", remote[0].describe(), "python -m core.prefetch")
    fixes = dict.fromkeys(s.fix() for s in spec.weights if not isinstance(s, HubCheckpoint))
    return ModelStatus(name, spec.display_name, "missing", "nowhere reachable", "  or  ".join(fixes))


def all_statuses() -> list[ModelStatus]:
    """Every catalogue entry: image and text classifiers, CLIP towers, VQA variants per dataset, captioners."""
    online = hub_available()
    return [model_status(spec.name, online=online) for spec in all_specs()]

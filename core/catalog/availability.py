"""What can run here, decided from what is on disk, without loading any model: what each tab opens on, and the
status of every entry.

What each tab opens on: the best choice that can run on this machine now ("first click works").

Decided on every page load from what is on disk (each weight source's `is_cached()`: file lookups, no network,
no torch import), so a tab never opens on a form that fails after the visitor filled it in, and weights that
appear (a prefetch, a training run) are picked up on the next page load without a restart. The HTTP API uses
the same functions for a call that names no model, so a client gets what the page shows.

Each decision comes with a note for the visitor when the tab cannot open on the course's headline choice: why not,
and in words how the instructor makes it available (the commands are in the Status tab's instructor section:
students read no command, path or environment variable).

The status of every entry (the Status tab): one loop over the catalogue, each weight source answering `is_cached()`
itself. Each status says where the weights come from and how to get missing ones in words for the class (`where`,
`fix`: the table and the HTTP API), and the instructor's command separately (`command`: the Status tab's instructor
section only).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.catalog import DEFAULT_CLIP, all_specs, get_spec, models_for
from core.catalog.weights import HUB_REPO_ENV, HubCheckpoint, LocalCheckpoint, hub_available
from core.runtime.messages import Bilingual

# The course's headline comparison (Task 1) and the committed zoo pair that carries the same lesson offline: a
# convolutional network against one with self-attention, both trained here on Fashion-MNIST and committed.
IMAGE_HEADLINE = ("resnet50", "vit_b16")
IMAGE_OFFLINE = ("simple_cnn", "cnn_transformer")
PUBLIC_PAIR = ("resnet50_detectors", "vit_b16_detectors")
PREFETCH_PUBLIC = "python -m demo.prefetch " + " ".join(PUBLIC_PAIR)


def public_pair_mb() -> float:
    """The public pair's download, from the sizes their sources declare (core.catalog.weights.PublishedHubFile)."""
    return sum(get_spec(n).weights[0].size_mb for n in PUBLIC_PAIR)


@dataclass(frozen=True)
class Initial:
    models: tuple[str, ...]  # catalogue names the tab selects
    note: Bilingual | None = None  # shown above the panels: why not the headline choice, and the command
    runnable: bool = True  # False: nothing in this tab can run here (the tab shows demo.server.first_run's card)


def runs_here(name: str, profile: str = "default") -> bool:
    """The entry can answer now: tiny/random instances always can; real weights when some source (or a
    registered fallback, e.g. ImageNet for the CIFAR-100 pair) is on disk, with the entries it runs on."""
    if profile != "default":
        return True
    spec = get_spec(name)
    ready = spec.is_cached() and all(runs_here(r, profile) for r in spec.requires)
    return ready or (spec.fallback is not None and runs_here(spec.fallback, profile))


def image_pair(profile: str = "default") -> Initial:
    """ResNet-50 vs ViT-B/16 when both can run (course recipe, public CIFAR-100 checkpoints or ImageNet, in that
    order: core.catalog.store.load_with_fallback); else the committed zoo pair, saying why and what to type."""
    if all(runs_here(n, profile) for n in IMAGE_HEADLINE):
        return Initial(IMAGE_HEADLINE)
    if all(runs_here(n, profile) for n in IMAGE_OFFLINE):
        a, b = (get_spec(n).display_name for n in IMAGE_OFFLINE)
        mb = public_pair_mb()
        return Initial(
            IMAGE_OFFLINE,
            Bilingual(
                f"ResNet-50 and ViT-B/16 (CIFAR-100) have no weights on this machine yet, so this comparison opens "
                f"on {a} vs {b}, two of the course's from-scratch models trained for this class (a CNN against a CNN "
                f"with self-attention). The instructor can get the headline pair by downloading public checkpoints "
                f"once (about {mb:.0f} MB, needs network) or by training the course recipe on a GPU; the Model "
                "status tab says how.",
                f"Máy này chưa có trọng số của ResNet-50 và ViT-B/16 (CIFAR-100), nên phần so sánh mở với {a} và "
                f"{b}, hai mô hình huấn luyện từ đầu của môn học (một CNN và một CNN có tự chú ý). Giảng viên có thể "
                f"có cặp mô hình chính bằng cách tải checkpoint công khai một lần (khoảng {mb:.0f} MB, cần mạng) hoặc "
                "huấn luyện theo công thức của môn học trên GPU; thẻ Trạng thái mô hình cho biết cách làm.",
            ),
        )
    # Nothing to run (an empty CHECKPOINT_DIR): keep the headline pair, whose panels name the missing files.
    return Initial(IMAGE_HEADLINE, runnable=False)


def text_pair(profile: str = "default") -> Initial:
    """GRU vs DistilBERT on 20 Newsgroups (course Task 2) when both checkpoints are here, else the committed
    WordNet pair (GRU vs MiniLM)."""
    news, wordnet = tuple(models_for("text", dataset="20ng")), tuple(models_for("text", dataset="wordnet"))
    if profile != "default":  # random stand-ins: the offline pair, as the tab has always opened in tests
        return Initial(wordnet)
    if all(runs_here(n, profile) for n in news):
        return Initial(news)
    return Initial(
        wordnet,
        Bilingual(
            "GRU vs DistilBERT on 20 Newsgroups (course Task 2) needs checkpoints the instructor trains for this "
            "class (the Model status tab says how), so the tab opens on the offline pair, GRU vs MiniLM on WordNet "
            "definitions.",
            "Cặp GRU và DistilBERT trên 20 Newsgroups (Bài 2) cần checkpoint do giảng viên huấn luyện cho lớp (thẻ "
            "Trạng thái mô hình cho biết cách làm), nên thẻ mở với cặp chạy ngoại tuyến: GRU và MiniLM trên định "
            "nghĩa WordNet.",
        ),
        runnable=all(runs_here(n, profile) for n in wordnet),
    )


def vqa_choice(profile: str = "default") -> Initial:
    """(dataset, variant) of the first VQA checkpoint here, the course's food set before easy-VQA, attention
    before none."""
    if profile != "default":  # random stand-ins: easy-VQA, whose vocabulary ships with its package
        return Initial(("easy_vqa", "cnn_att"))
    for name in sorted(models_for("vqa"), key=lambda n: (get_spec(n).dataset != "food", n)):
        if runs_here(name, profile):
            return Initial((get_spec(name).dataset, get_spec(name).variant))
    return Initial(("easy_vqa", "cnn_att"), runnable=False)


def clip_choice(profile: str = "default", tab: str = "clip") -> Initial:
    """The course's CLIP if its weights are here, else the first other CLIP that is; none: the tab's card."""
    names = models_for(tab)
    ordered = sorted(names, key=lambda n: n != DEFAULT_CLIP)
    for name in ordered:
        if runs_here(name, profile):
            return Initial((name,))
    return Initial((ordered[0],), runnable=False)


def caption_choice(profile: str = "default") -> Initial:
    """The captioners whose checkpoint and frozen encoder are both here; none: the tab's card."""
    ready = tuple(n for n in models_for("caption") if runs_here(n, profile))
    return Initial(ready or tuple(models_for("caption")), runnable=bool(ready))


def video_mode(profile: str = "default") -> str:
    """Search by text on screen (OCR, offline) when no CLIP for the video tab is here, else both fused."""
    return "combined" if clip_choice(profile, tab="video").runnable else "ocr"


# ---- the Status tab: every entry's status, in words --------------------------------------------------------------

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

"""What each tab opens on: the best choice that can run on this machine now ("first click works").

Decided on every page load from what is on disk (each weight source's `is_cached()`: file lookups, no network,
no torch import), so a tab never opens on a form that fails after the visitor filled it in, and weights that
appear (a prefetch, a training run) are picked up on the next page load without a restart. The HTTP API uses
the same functions for a call that names no model, so a client gets what the page shows.

Each decision comes with a note for the visitor when the tab cannot open on the course's headline choice: why not,
and in words how the instructor makes it available (the commands are in the Status tab's instructor section:
students read no command, path or environment variable).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.catalog import DEFAULT_CLIP, get_spec, models_for
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

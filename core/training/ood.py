"""Out-of-distribution scores: "is this input unlike the model's training data?" (docs/OOD.md).

A closed-set classifier must answer with one of its classes, however far the input is from anything it was trained
on: a photo of a cat shown to a Fashion-MNIST model comes back as "Bag 89 %". Its confidence says nothing about
that. These plain functions turn a model's logits (or penultimate features) into a score, higher = more unlike the
training data, and a calibration record says where the line is for one checkpoint, measured on held-out in-domain
images (`python -m train.calibrate_ood`). No record, no verdict: a model without a calibration says so, it never
gets an invented threshold.

Generic on purpose (torch tensors in, floats out): any classifier's logits work, the image, text or VQA ones.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from core.runtime.messages import Bilingual

if TYPE_CHECKING:
    import torch

OOD_FILE = "ood.json"  # beside a checkpoint's model.safetensors
STATS_FILE = "ood_features.safetensors"  # a feature method's training-class statistics
FORMAT_VERSION = 1


# ---- scores: (B, C) logits or (B, D) features -> (B,) scores, higher = more unlike the training data ------------


def energy_score(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Energy, -T * logsumexp(logits / T) (Liu et al., 2020): low when some class's logit is large."""
    import torch

    return -temperature * torch.logsumexp(logits.float() / temperature, dim=-1)


def max_softmax_score(logits: torch.Tensor) -> torch.Tensor:
    """Minus the top softmax probability (Hendrycks and Gimpel, 2017): the "confidence" baseline."""
    return -logits.float().softmax(dim=-1).amax(dim=-1)


def max_logit_score(logits: torch.Tensor) -> torch.Tensor:
    """Minus the largest logit (Hendrycks et al., 2022)."""
    return -logits.float().amax(dim=-1)


def cosine_score(features: torch.Tensor, class_means: torch.Tensor) -> torch.Tensor:
    """1 - the largest cosine similarity between a feature vector and the training classes' mean features."""
    import torch.nn.functional as F

    sims = F.normalize(features.float(), dim=-1) @ F.normalize(class_means.float(), dim=-1).T
    return 1.0 - sims.amax(dim=-1)


LOGIT_SCORES = {"energy": energy_score, "max_softmax": max_softmax_score, "max_logit": max_logit_score}
FEATURE_SCORES = ("mahalanobis",)  # scores that need the penultimate features and the training-class statistics


def logit_score(method: str, logits: torch.Tensor) -> torch.Tensor:
    """The named logit-based score (LOGIT_SCORES) of each row."""
    return LOGIT_SCORES[method](logits)


# ---- penultimate features: the input of the classifier's last Linear layer ---------------------------------------


def classifier_head(module, num_classes: int):
    """The last nn.Linear with `num_classes` outputs: its input is the model's penultimate feature vector."""
    import torch

    heads = [m for m in module.modules() if isinstance(m, torch.nn.Linear) and m.out_features == num_classes]
    if not heads:
        raise ValueError(f"{type(module).__name__} has no Linear layer with {num_classes} outputs")
    return heads[-1]


def forward_with_penultimate(module, x: torch.Tensor, num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (B, C), penultimate features (B, D)) in one forward without gradients.

    The hook keeps only what this thread's forward passes in: the module is shared between requests, and another
    request's forward through it at the same moment must not land here (nor this one's there)."""
    import threading

    import torch

    me, grabbed = threading.get_ident(), []

    def grab(_layer, args):
        if threading.get_ident() == me:
            grabbed.append(args[0].detach().flatten(1).float())

    handle = classifier_head(module, num_classes).register_forward_pre_hook(grab)
    try:
        with torch.inference_mode():
            logits = module(x)
    finally:
        handle.remove()
    return logits.float(), grabbed[-1]


@dataclass(frozen=True)
class FeatureStats:
    """Training-class statistics of the penultimate features, whitened: Mahalanobis distance under the shared
    within-class covariance is then a plain squared distance. Kept to the `dims` largest principal directions so
    that a 3,072-pixel "feature" (softmax regression) stays a small file."""

    projection: torch.Tensor  # (D, k): centred feature -> whitened coordinates
    centre: torch.Tensor  # (D,): the mean of the training features
    class_means: torch.Tensor  # (C, k): each class's mean, whitened

    def score(self, features: torch.Tensor) -> torch.Tensor:
        """Squared Mahalanobis distance (in the kept directions) to the nearest class mean, per row."""
        z = (features.float() - self.centre.float()) @ self.projection.float()
        return torch_cdist_sq(z, self.class_means.float()).amin(dim=-1)

    @classmethod
    def fit(cls, features: torch.Tensor, labels: torch.Tensor, num_classes: int, dims: int = 256) -> FeatureStats:
        import torch

        f = features.double()
        centre = f.mean(0)
        means = torch.stack([f[labels == c].mean(0) for c in range(num_classes)])
        within = f - means[labels]
        cov = within.T @ within / len(f)
        values, vectors = torch.linalg.eigh(cov)  # ascending
        keep = values.flip(0)[:dims].clamp_min(values.max() * 1e-6)
        projection = vectors.flip(1)[:, : len(keep)] / keep.sqrt()
        return cls(projection.float(), centre.float(), ((means - centre) @ projection).float())

    def save(self, path: str | Path) -> None:
        from safetensors.torch import save_file

        tensors = {"projection": self.projection, "centre": self.centre, "class_means": self.class_means}
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))

    @classmethod
    def load(cls, path: str | Path) -> FeatureStats:
        from safetensors.torch import load_file

        t = load_file(str(path))
        return cls(t["projection"].float(), t["centre"].float(), t["class_means"].float())


def torch_cdist_sq(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances (A, B) between rows, exact for the small sizes here."""
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)


# ---- calibration: where the line is, for one checkpoint -------------------------------------------------------


def threshold_at(in_domain_scores, quantile: float) -> float:
    """The score below which `quantile` of the held-out in-domain scores lie: a higher score is flagged."""
    import torch

    return float(torch.quantile(torch.as_tensor(in_domain_scores, dtype=torch.float64), quantile))


def flag_rate(scores, threshold: float) -> float:
    """The fraction of scores flagged (strictly above the threshold)."""
    import torch

    s = torch.as_tensor(scores, dtype=torch.float64)
    return float((s > threshold).double().mean()) if s.numel() else math.nan


def auroc(in_domain_scores, ood_scores) -> float:
    """Probability that an OOD input scores higher than an in-domain one (ties count half): 0.5 is chance."""
    import torch

    a = torch.as_tensor(in_domain_scores, dtype=torch.float64)
    b = torch.as_tensor(ood_scores, dtype=torch.float64)
    both = torch.cat([a, b])
    order = both.argsort()
    ranks = torch.empty_like(both)
    ranks[order] = torch.arange(1, len(both) + 1, dtype=torch.float64)
    for value in both.unique()[torch.bincount(torch.bucketize(both, both.unique())) > 1]:  # average tied ranks
        tied = both == value
        ranks[tied] = ranks[tied].mean()
    return float((ranks[len(a) :].sum() - len(b) * (len(b) + 1) / 2) / (len(a) * len(b)))


@dataclass(frozen=True)
class Calibration:
    """Where one checkpoint's line is: the method, the threshold and how both were measured (ood.json; a feature
    method's class statistics in ood_features.safetensors beside it)."""

    method: str  # a LOGIT_SCORES key or "mahalanobis"
    threshold: float  # a score above it is "unlike the training data"
    quantile: float  # the in-domain quantile the threshold sits at
    weights_sha256: str  # the model.safetensors it was measured on: other weights, no verdict
    in_domain: str  # which images set the threshold, in words
    measured: dict = field(default_factory=dict)  # held-out rates (docs/OOD.md), per set
    command: str = ""
    format_version: int = FORMAT_VERSION
    stats: FeatureStats | None = field(default=None, compare=False, repr=False)  # feature methods only

    @property
    def needs_features(self) -> bool:
        return self.method in FEATURE_SCORES

    def scores(self, logits: torch.Tensor, features: torch.Tensor | None = None) -> torch.Tensor:
        """This calibration's score of each row (features: the penultimate features, for a feature method)."""
        if self.needs_features:
            if features is None or self.stats is None:
                raise ValueError(f"the {self.method} score needs the penultimate features and class statistics")
            return self.stats.score(features.reshape(len(features), -1))
        return logit_score(self.method, logits.reshape(len(logits), -1))

    def verdict(self, logits: torch.Tensor, features: torch.Tensor | None = None) -> Verdict:
        """One input's score (logits (1, C), features (1, D)) against the threshold."""
        score = float(self.scores(logits.reshape(1, -1), None if features is None else features.reshape(1, -1)))
        return Verdict(score=score, threshold=self.threshold, unlike_training_data=score > self.threshold,
                       method=self.method)  # fmt: skip

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("stats")
        if self.needs_features:
            d["stats_file"] = STATS_FILE
        return d

    @classmethod
    def from_dict(cls, d: dict, stats: FeatureStats | None = None) -> Calibration:
        if d.get("format_version") != FORMAT_VERSION or d.get("method") not in (*LOGIT_SCORES, *FEATURE_SCORES):
            raise ValueError(f"unsupported OOD calibration: {d.get('format_version')!r}, {d.get('method')!r}")
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d and k != "stats"}, stats=stats)

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / OOD_FILE
        if self.needs_features:
            self.stats.save(Path(directory) / STATS_FILE)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: str | Path) -> Calibration:
        d = Path(directory)
        data = json.loads((d / OOD_FILE).read_text(encoding="utf-8"))
        stats = FeatureStats.load(d / data["stats_file"]) if data.get("method") in FEATURE_SCORES else None
        return cls.from_dict(data, stats)


@dataclass(frozen=True)
class Verdict:
    """One input's verdict, for every task (images, VQA photos, texts): its score, the calibrated threshold, whether
    it lies beyond it, and the score's method."""

    score: float
    threshold: float
    unlike_training_data: bool
    method: str

    def to_json(self) -> dict:
        """What the HTTP API returns per model."""
        return {"method": self.method, "score": round(self.score, 4), "threshold": round(self.threshold, 4),
                "unlike_training_data": self.unlike_training_data}  # fmt: skip

    def note(self, trained_on: str) -> Bilingual:
        """The sentence for a model's notes: the lesson when flagged, the plain measurement otherwise."""
        numbers = f"(score {self.score:.2f}, threshold {self.threshold:.2f})"
        numbers_vi = f"(điểm {self.score:.2f}, ngưỡng {self.threshold:.2f})".replace(".", ",")
        if self.unlike_training_data:
            return Bilingual(
                f"This image is unlike the {trained_on} images this model was trained on {numbers}. A closed-set "
                f"classifier must still pick one of its classes, so the answer above means little: confidence is "
                "not correctness.",
                f"Ảnh này không giống các ảnh {trained_on} mà mô hình đã học {numbers_vi}. Bộ phân loại tập đóng "
                "vẫn buộc phải chọn một trong các lớp của nó, nên câu trả lời ở trên ít ý nghĩa: độ tự tin không "
                "phải là độ đúng.",
            )
        return Bilingual(
            f"Looks like the {trained_on} images it was trained on {numbers}.",
            f"Giống các ảnh {trained_on} mà mô hình đã học {numbers_vi}.",
        )


def weights_digest(weights_file: str | Path) -> str:
    h = hashlib.sha256()
    with open(weights_file, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=64)
def _calibration_cached(directory: str, mtime_ns: int, weights_mtime_ns: int) -> Calibration | None:
    d = Path(directory)
    try:
        calibration = Calibration.load(d)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    # Calibrated on other weights (a retrained checkpoint): no verdict rather than a wrong line.
    return calibration if calibration.weights_sha256 == weights_digest(d / "model.safetensors") else None


def calibration_for(checkpoint_dir: str | Path | None) -> Calibration | None:
    """The checkpoint folder's calibration when it matches the weights beside it; None otherwise (no verdict)."""
    if not checkpoint_dir:
        return None
    d = Path(checkpoint_dir)
    try:
        stamp, weights = (d / OOD_FILE).stat().st_mtime_ns, (d / "model.safetensors").stat().st_mtime_ns
    except OSError:
        return None
    return _calibration_cached(str(d), stamp, weights)


# ---- VQA and text checkpoints: a plain ood.json (statistics inline; see core/vqa/ood.py, core/text/ood.py) -------


def percentile_threshold(in_domain_scores, percentile: float) -> float:
    """threshold_at with the quantile given in per cent (the VQA and text calibrations' unit)."""
    return threshold_at(in_domain_scores, percentile / 100)


def load_calibration(checkpoint_dir: str | Path | None) -> dict | None:
    """The `ood.json` beside a VQA or text checkpoint, or None where there is none (tiny profile, not calibrated)."""
    if checkpoint_dir is None:
        return None
    path = Path(checkpoint_dir) / OOD_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def write_calibration(checkpoint_dir: str | Path, calibration: dict) -> Path:
    path = Path(checkpoint_dir) / OOD_FILE
    path.write_text(json.dumps(calibration, indent=1) + "\n", encoding="utf-8")
    return path


def threshold_verdict(score: float, calibration: dict, method: str) -> Verdict:
    """A score against a plain calibration's threshold."""
    threshold = float(calibration["threshold"])
    return Verdict(score=score, threshold=threshold, unlike_training_data=score > threshold, method=method)

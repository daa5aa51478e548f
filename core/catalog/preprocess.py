"""Preprocessing that travels with the weights (docs/ARCHITECTURE.md, "Checkpoints").

A `Preprocess` is stored in every checkpoint's JSON and in every registry entry. It mirrors torchvision's
`ImageClassification` preset exactly (resize -> centre crop -> uint8 tensor -> scale -> normalise), so a
checkpoint trained with torchvision transforms sees the same pixels here; tests compare against the libraries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported lazily so that building the UI stays fast
    import torch
    from PIL import Image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
HALF_MEAN_STD = (0.5, 0.5, 0.5)  # Google's ViT checkpoints normalise to [-1, 1]
CIFAR100_MEAN = (0.5071, 0.4867, 0.4408)
CIFAR100_STD = (0.2675, 0.2565, 0.2761)


@dataclass(frozen=True)
class Preprocess:
    crop_size: int
    # Shorter side is resized to this, then centre-cropped to crop_size. None squashes the whole image to
    # crop_size x crop_size (what Hugging Face's ViTImageProcessor does).
    resize_size: int | None
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    interpolation: str = "bilinear"
    # Models trained on grey images (Fashion-MNIST) see photos in grey too, replicated to 3 channels.
    grayscale: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Preprocess:
        return cls(
            crop_size=int(d["crop_size"]),
            resize_size=None if d.get("resize_size") is None else int(d["resize_size"]),
            mean=tuple(float(v) for v in d["mean"]),
            std=tuple(float(v) for v in d["std"]),
            interpolation=str(d.get("interpolation", "bilinear")),
            grayscale=bool(d.get("grayscale", False)),
        )

    def crop(self, image: Image.Image | torch.Tensor) -> torch.Tensor:
        """The uint8 (3, crop, crop) tensor the model sees, before normalisation.

        Resizing happens in PIL for PIL input, exactly as torchvision's presets do, so pixels match theirs.
        """
        from PIL import Image
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms import functional as F

        mode = InterpolationMode(self.interpolation)
        if self.grayscale:
            image = image.convert("L").convert("RGB") if isinstance(image, Image.Image) else _gray3(image)
        if self.resize_size is None:
            x = F.resize(image, [self.crop_size, self.crop_size], interpolation=mode, antialias=True)
        else:
            x = F.resize(image, [self.resize_size], interpolation=mode, antialias=True)
            x = F.center_crop(x, [self.crop_size, self.crop_size])
        return F.pil_to_tensor(x) if isinstance(x, Image.Image) else x

    def normalise(self, crop_uint8: torch.Tensor) -> torch.Tensor:
        from torchvision.transforms import functional as F

        x = crop_uint8.float() / 255.0
        return F.normalize(x, list(self.mean), list(self.std))

    def __call__(self, image: Image.Image | torch.Tensor) -> torch.Tensor:
        """(3, crop, crop) float tensor ready for the model."""
        return self.normalise(self.crop(image))


def resnet_imagenet_preprocess() -> Preprocess:
    """torchvision's ResNet50_Weights.IMAGENET1K_V2 preset."""
    return Preprocess(crop_size=224, resize_size=232)


def vit_google_preprocess() -> Preprocess:
    """google/vit-base-patch16-224*: squash to 224, normalise to [-1, 1]."""
    return Preprocess(crop_size=224, resize_size=None, mean=HALF_MEAN_STD, std=HALF_MEAN_STD)


def clip_preprocess() -> Preprocess:
    """OpenAI CLIP: bicubic resize of the short side to 224, centre crop, CLIP statistics."""
    return Preprocess(
        crop_size=224,
        resize_size=224,
        mean=(0.48145466, 0.4578275, 0.40821073),
        std=(0.26862954, 0.26130258, 0.27577711),
        interpolation="bicubic",
    )


def cifar_course_preprocess(
    size: int = 32, *, resize: int | None = None, imagenet_stats: bool = True, cifar_stats: bool = False
) -> Preprocess:
    """Course Task 1: ResNet at the CIFAR size, ViT at Resize(256)+CenterCrop(224); the zoo: CIFAR statistics."""
    mean, std = (IMAGENET_MEAN, IMAGENET_STD) if imagenet_stats else (HALF_MEAN_STD, HALF_MEAN_STD)
    if cifar_stats:
        mean, std = CIFAR100_MEAN, CIFAR100_STD
    return Preprocess(crop_size=size, resize_size=resize if resize is not None else size, mean=mean, std=std)


def _gray3(x: torch.Tensor) -> torch.Tensor:
    """(3, H, W) uint8 -> ITU-R 601 luma replicated to 3 channels, as PIL's convert("L").convert("RGB")."""
    w = x.new_tensor([0.299, 0.587, 0.114], dtype=x.dtype if x.is_floating_point() else None).float()
    luma = (x.float() * w[:, None, None]).sum(0, keepdim=True).round().clamp(0, 255).to(x.dtype)
    return luma.expand(3, -1, -1).contiguous()

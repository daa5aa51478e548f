"""Our preprocessing against the libraries' own transforms for the same weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from core.catalog import get_spec
from core.catalog.preprocess import Preprocess, resnet_imagenet_preprocess, vit_google_preprocess


@pytest.fixture
def photo() -> Image.Image:
    rng = np.random.default_rng(0)
    base = np.linspace(0, 255, 517 * 389 * 3).reshape(389, 517, 3)
    return Image.fromarray(np.clip(base + rng.normal(0, 30, base.shape), 0, 255).astype(np.uint8))


def test_resnet_matches_torchvision_weights_transforms(photo):
    from torchvision.models import ResNet50_Weights

    expected = ResNet50_Weights.IMAGENET1K_V2.transforms()(photo)
    ours = resnet_imagenet_preprocess()(photo)
    assert ours.shape == expected.shape == (3, 224, 224)
    assert torch.allclose(ours, expected, atol=1e-5)


def test_vit_matches_transformers_image_processor(photo):
    from transformers import ViTImageProcessor

    expected = ViTImageProcessor()(photo, return_tensors="pt")["pixel_values"][0]  # google/vit defaults
    ours = vit_google_preprocess()(photo)
    assert ours.shape == expected.shape == (3, 224, 224)
    # PIL vs torch bilinear resampling differ by a grey level or two at most: 2/255/0.5 in [-1, 1] units
    assert (ours - expected).abs().mean() < 0.01 and (ours - expected).abs().max() < 0.1


def test_course_vit_matches_torchvision_resize_crop(photo):
    from torchvision import transforms as T

    spec = get_spec("vit_b16").preprocess
    expected = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(spec.mean, spec.std)])(photo)
    assert (spec(photo) - expected).abs().max() < 0.05


def test_round_trip_through_json():
    pre = get_spec("resnet50").preprocess
    assert Preprocess.from_dict(pre.to_dict()) == pre

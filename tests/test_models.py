"""Every registered architecture, built tiny and random: shapes, finiteness, Grad-CAM, and the real sizes."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from core.catalog import build_architecture, get_spec, list_models
from core.catalog.store import load_model
from core.image.explain import forward_with_gradcam
from core.image.service import classify

ALL = list_models("image-classification")  # CLIP (task "clip") has its own tests


@pytest.mark.parametrize("name", ALL)
def test_tiny_model_forward_and_gradcam(name):
    # Seeded: with an unlucky random model and input every Grad-CAM cell can be negative, so ReLU gives all zeros.
    torch.manual_seed(0)
    spec = get_spec(name)
    model = build_architecture(spec.arch, **{**spec.model_args, **spec.tiny_args}).eval()
    size = spec.preprocess.crop_size
    x = torch.randn(2, 3, size, size)
    logits = model(x)
    assert logits.shape == (2, spec.model_args["num_classes"]) and torch.isfinite(logits).all()
    logits1, cam = forward_with_gradcam(model, x[:1])
    assert torch.allclose(logits1, logits[:1], atol=1e-4)  # the map's forward is the same prediction
    assert cam.ndim == 2 and cam.min() >= 0 and cam.max() <= 1 and cam.max() > 0


@pytest.mark.parametrize("name", ALL)
@pytest.mark.slow
def test_gradients_reach_every_parameter(name):
    spec = get_spec(name)
    model = build_architecture(spec.arch, **{**spec.model_args, **spec.tiny_args}).train()
    size = spec.preprocess.crop_size
    model(torch.randn(2, 3, size, size)).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, missing


@pytest.mark.parametrize(
    "name, expected_millions",
    # ResNet-50 with a 100-class head: 23.5M backbone + 0.2M head; torchvision's 1000-class model is 25.6M.
    [("resnet50", 23.7), ("resnet50_imagenet", 25.6), ("vit_b16", 85.9), ("vit_b16_imagenet", 86.6)],
)
@pytest.mark.slow
def test_full_size_parameter_counts(name, expected_millions):
    spec = get_spec(name)
    with torch.device("meta"):  # shapes without storage: ViT-B/16's 344 MB of float32 would stay in pytest's heap
        model = build_architecture(spec.arch, **spec.model_args)
    assert sum(p.numel() for p in model.parameters()) / 1e6 == pytest.approx(expected_millions, abs=0.05)


def test_unknown_model_lists_valid_names():
    with pytest.raises(KeyError, match="valid names: resnet50, vit_b16"):
        get_spec("resnet5O")


def test_tiny_profile_classify_end_to_end():
    image = Image.new("RGB", (300, 200), (200, 30, 30))
    for name in ("resnet50", "vit_b16"):
        model = load_model(name, "tiny")
        assert load_model(name, "tiny") is model  # loaded once
        result = classify(image, model, top_k=5)
        probs = [p.probability for p in result.predictions]
        assert len(probs) == 5 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1
        assert result.predictions[0].superclass is not None  # CIFAR-100 labels carry superclasses
        assert result.model_input.size[0] >= 224 and result.explanation.size == result.model_input.size
        assert "tiny" in result.display_name

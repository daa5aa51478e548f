"""Architectures, each defined once and shared by train/, demo/ and tests (docs/ARCHITECTURE.md, "The catalogue").

An architecture is separate from its weights: `build_architecture("resnet50", num_classes=100)` makes the module;
the catalogue in core/catalog/registry.py says where its weights come from. Modules are imported lazily so that
importing
the app does not import torch or transformers.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

# First imports of torch-based modules from two request threads at once can make CPython's import system raise
# "deadlock detected by _ModuleLock('torchvision.models.resnet')" in one of them (the status tab importing
# torchvision.models while a first image request imports core.models.resnet). Those imports take this lock.
IMPORT_LOCK = threading.RLock()

# arch name -> "module:ClassName"; every class takes keyword-only hyperparameters and implements
# forward(x) -> logits, forward_with_features(x) -> (logits, features) and features_to_grid(features).
ARCHITECTURES: dict[str, str] = {
    "resnet50": "core.models.resnet:ResNetClassifier",
    "vit_b16": "core.models.vit:ViTClassifier",
    # the detectors project's public CIFAR-100 checkpoints (timm modules; core/models/published.py)
    "detectors_resnet50": "core.models.published:DetectorsResNet50",
    "detectors_vit_b16": "core.models.published:DetectorsViTB16",
    # the course's from-scratch CIFAR-100 zoo
    "softmax": "core.models.zoo_linear:SoftmaxRegression",
    "mlp": "core.models.zoo_linear:MLP",
    "simple_cnn": "core.models.zoo_cnn:SimpleCNN",
    "simple_vit": "core.models.zoo_vit:SimpleViT",
    "custom_vit": "core.models.zoo_vit:CustomViT",
    "cnn_transformer": "core.models.zoo_vit:CNNTransformer",
    "spatial_token_vit": "core.models.zoo_vit:SpatialTokenViT",
    "channel_token_vit": "core.models.zoo_vit:ChannelTokenViT",
    "image_rnn": "core.models.zoo_rnn:ImageRNN",
    # visual question answering (course VQA report)
    "vqa": "core.vqa.model:VQAModel",
    # frozen CLIP encoders (CLIP playground, captions, video search)
    "open_clip": "core.clip.model:ClipModel",
    # Vietnamese captioning (ViCLIPCap report): ClipCap's mapping network and the CNN+LSTM baseline's decoder
    "clipcap_mapper": "core.caption.clipcap:build_mapper",
    "lstm_captioner": "core.caption.baseline:LSTMCaptioner",
    # text classifiers (course Task 2): 20 Newsgroups and WordNet
    "text_bigru": "core.text.model:BiGRUClassifier",
    "text_distilbert": "core.text.model:DistilBertClassifier",
    "text_minilm": "core.text.model:MiniLMClassifier",
}


def architecture_class(arch: str) -> Any:
    try:
        target = ARCHITECTURES[arch]
    except KeyError:
        raise KeyError(f"unknown architecture {arch!r}; valid: {', '.join(sorted(ARCHITECTURES))}") from None
    module_name, class_name = target.split(":")
    with IMPORT_LOCK:
        module = importlib.import_module(module_name)
    return getattr(module, class_name)


def build_architecture(arch: str, **model_args: Any):
    """Random-initialised module of `arch` with the given hyperparameters."""
    return architecture_class(arch)(**model_args)

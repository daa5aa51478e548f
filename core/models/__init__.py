"""Architectures: every nn.Module the image tasks build, each defined once and shared by train/, demo/ and tests.

An architecture is separate from its weights. The catalogue (core/catalog) names each entry's class directly
(`builder="core.models.zoo_cnn:SimpleCNN"`) and builds it with `core.catalog.build_architecture`; task-specific
modules that need their task's tokenizer or decoder (text, VQA, CLIP, captioning) live in their task's package as
model.py / clipcap.py / baseline.py. Modules are imported lazily so that importing the app does not import torch.
"""

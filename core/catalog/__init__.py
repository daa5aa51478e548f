"""The catalogue: every model the app can serve, where its weights come from, and the one loader.

Import catalogue names from here (`from core.catalog import get_spec, models_for`). Importing the package registers
every entry (one module per family, below), the way timm's model package registers its builders on import, so no
lookup can run before the entries exist. Adding a model is one entry in one of these modules (docs/ARCHITECTURE.md).
"""

# ruff: noqa: I001  (import order is the catalogue's order: the image tab's pair first, then CLIP, text, VQA, captions)
from core.catalog.registry import (
    ModelSpec,
    all_specs,
    architecture_class,
    build_architecture,
    get_spec,
    list_models,
    models_for,
    register,
    unregister,
)
from core.catalog.image_entries import VIT_IN21K_REPO, ZOO, ZooEntry, zoo_checkpoint_dir
from core.catalog.clip_entries import DEFAULT_CLIP
from core.catalog.text_entries import TINY_VOCAB_SIZE
from core.catalog.vqa_entries import VQA_DATASETS, VQA_VARIANTS, vqa_model_name, vqa_spec
from core.catalog.caption_entries import CAPTION_CLIP, CAPTION_CNN, caption_model_name, caption_variants

__all__ = [
    "CAPTION_CLIP",
    "CAPTION_CNN",
    "DEFAULT_CLIP",
    "TINY_VOCAB_SIZE",
    "VIT_IN21K_REPO",
    "VQA_DATASETS",
    "VQA_VARIANTS",
    "ZOO",
    "ModelSpec",
    "ZooEntry",
    "all_specs",
    "architecture_class",
    "build_architecture",
    "caption_model_name",
    "caption_variants",
    "get_spec",
    "list_models",
    "models_for",
    "register",
    "unregister",
    "vqa_model_name",
    "vqa_spec",
    "zoo_checkpoint_dir",
]

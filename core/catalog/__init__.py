"""The catalogue: every model the app can serve, where its weights come from, and the one loader.

Import catalogue names from here (`from core.catalog import get_spec, models_for`): the package loads every entry
before any lookup can run, the way timm's model package registers its builders on import.
"""

from core.catalog.registry import (
    CAPTION_CLIP,
    CAPTION_CNN,
    DEFAULT_CLIP,
    VIT_IN21K_REPO,
    VQA_DATASETS,
    VQA_VARIANTS,
    ZOO,
    ModelSpec,
    ZooEntry,
    all_specs,
    caption_model_name,
    caption_variants,
    get_spec,
    list_models,
    models_for,
    register,
    unregister,
    vqa_model_name,
    vqa_spec,
    zoo_checkpoint_dir,
)

__all__ = [
    "CAPTION_CLIP",
    "CAPTION_CNN",
    "VIT_IN21K_REPO",
    "zoo_checkpoint_dir",
    "DEFAULT_CLIP",
    "VQA_DATASETS",
    "VQA_VARIANTS",
    "ZOO",
    "ModelSpec",
    "ZooEntry",
    "all_specs",
    "caption_model_name",
    "caption_variants",
    "get_spec",
    "list_models",
    "models_for",
    "register",
    "unregister",
    "vqa_model_name",
    "vqa_spec",
]

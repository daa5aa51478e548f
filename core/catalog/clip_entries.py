"""Frozen CLIP encoders (open_clip), shared by the CLIP playground, captioning and video search."""

from __future__ import annotations

from core.catalog.preprocess import clip_preprocess
from core.catalog.registry import ModelSpec, frozen, register
from core.catalog.weights import OpenClipHub
from core.runtime.messages import Bilingual

# ---- Frozen CLIP encoders (CLIP playground, captions, video search). Weights and preprocessing come from
# open_clip for the chosen tag; `preprocess` here only documents them for the status panel.
TINY_CLIP = frozen(tiny=True)
for _name, _display, _arch, _tag, _hub, _what, _vi in (
    (
        "clip_vit_b32_openai",
        "CLIP ViT-B/32 (OpenAI)",
        "ViT-B-32-quickgelu",
        "openai",
        "timm/vit_base_patch32_clip_224.openai",
        "OpenAI's weights (QuickGELU), the course's model; English prompts.",
        "trọng số của OpenAI (QuickGELU), mô hình của môn học; câu mô tả tiếng Anh.",
    ),
    (
        "clip_vit_b32_laion",
        "CLIP ViT-B/32 (LAION-2B)",
        "ViT-B-32",
        "laion2b_s34b_b79k",
        "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        "LAION-2B weights; English prompts.",
        "trọng số LAION-2B; câu mô tả tiếng Anh.",
    ),
    (
        "clip_xlm_roberta_b32",
        "CLIP ViT-B/32 + XLM-RoBERTa (multilingual)",
        "xlm-roberta-base-ViT-B-32",
        "laion5b_s13b_b90k",
        "laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k",
        "Multilingual text tower: Vietnamese class names and queries work.",
        "bộ mã hoá văn bản đa ngôn ngữ: tên lớp và câu truy vấn tiếng Việt dùng được.",
    ),
):
    register(
        ModelSpec(
            name=_name,
            display_name=_display,
            task="clip",
            arch="open_clip",
            builder="core.clip.model:ClipModel",
            model_args=frozen(model_name=_arch, pretrained=None),
            # ViT-B/32's 151,277,313 parameters (open_clip's module on the meta device); the XLM-RoBERTa tower's
            # count needs its config from the Hub, so its size is left unknown.
            weights=(OpenClipHub(_arch, _tag, _hub, None if "roberta" in _arch else 577.1),),
            preprocess=clip_preprocess(),
            labels="open_vocabulary",
            description=Bilingual(
                f"Frozen CLIP image and text encoders: {_what}", f"Bộ mã hoá ảnh và văn bản CLIP (đóng băng): {_vi}"
            ),
            family="CLIP",
            tiny_args=TINY_CLIP,
            # The video search offers the course's English model and the multilingual one (Vietnamese queries).
            tabs=("clip", "video") if _name != "clip_vit_b32_laion" else ("clip",),
        )
    )
DEFAULT_CLIP = "clip_vit_b32_openai"

"""Visual question answering (course report 003): four variants per data set."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from core.catalog.registry import ModelSpec, frozen, get_spec, register
from core.catalog.weights import LocalCheckpoint
from core.runtime.messages import Bilingual, UnknownChoice

# ---- Visual question answering (course VQA report): four variants per dataset. Checkpoints carry their vocabulary,
# answers and preprocessing (core/vqa/service.py reads them); the API names an entry by variant + dataset.
VQA_VARIANTS: Mapping[str, tuple[str, bool, Bilingual]] = MappingProxyType(
    {
        "cnn_att": ("small_cnn", True, Bilingual("small CNN + LSTM, attention", "CNN nhỏ + LSTM, có cơ chế chú ý")),
        "cnn_noatt": (
            "small_cnn",
            False,
            Bilingual("small CNN + LSTM, no attention", "CNN nhỏ + LSTM, không có cơ chế chú ý"),
        ),
        "mobilenet_att": (
            "mobilenet_v2",
            True,
            Bilingual("MobileNetV2 + LSTM, attention", "MobileNetV2 + LSTM, có cơ chế chú ý"),
        ),
        "mobilenet_noatt": (
            "mobilenet_v2",
            False,
            Bilingual("MobileNetV2 + LSTM, no attention", "MobileNetV2 + LSTM, không có cơ chế chú ý"),
        ),
    }
)
VQA_DATASETS: Mapping[str, Bilingual] = MappingProxyType(
    {
        "easy_vqa": Bilingual(
            "easy-VQA (shapes and colours, English)", "easy-VQA (hình khối và màu sắc, câu hỏi tiếng Anh)"
        ),
        # The course's food set is not public: what is trained here under this name is the class's own set
        # (core/vqa/data.py's folder layout), never the course's.
        "food": Bilingual(
            "your own Vietnamese food set (the course's set is not public)",
            "bộ dữ liệu món ăn Việt của bạn (bộ của môn học không công khai)",
        ),
    }
)
VQA_TRAIN_CMD = "python -m train.vqa --dataset {kind} --variants {variant}"


def vqa_model_name(dataset: str, variant: str) -> str:
    return f"vqa_{dataset}_{variant}"


for _dataset in VQA_DATASETS:
    for _variant, (_encoder, _attention, _what) in VQA_VARIANTS.items():
        _kind = "easy_vqa" if _dataset == "easy_vqa" else f"folder --data-dir data/{_dataset}"
        register(
            ModelSpec(
                name=vqa_model_name(_dataset, _variant),
                display_name=str(_what),
                task="vqa",
                arch="vqa",
                builder="core.vqa.model:VQAModel",
                loader="core.vqa.service:load_entry",
                model_args=frozen(encoder=_encoder, attention=_attention),
                weights=(
                    LocalCheckpoint(f"vqa/{_dataset}/{_variant}", VQA_TRAIN_CMD.format(kind=_kind, variant=_variant)),
                ),
                preprocess=None,  # in the checkpoint (image size differs per training run)
                labels=f"{_dataset}_answers",  # in the checkpoint
                description=Bilingual(
                    f"{_what}, trained on {VQA_DATASETS[_dataset]}.",
                    f"{_what.vi}, huấn luyện trên {VQA_DATASETS[_dataset].vi}.",
                ),
                family="CNN + LSTM",
                tiny_args=frozen(embed_dim=16, hidden=16, cnn_width=16),
                tabs=("vqa",),
                variant=_variant,
                dataset=_dataset,
            )
        )


def vqa_spec(dataset: str, variant: str) -> ModelSpec:
    """The VQA entry for (dataset, variant); a KeyError in words when either is not one of the known values."""
    if variant not in VQA_VARIANTS:
        valid = ", ".join(VQA_VARIANTS)
        raise UnknownChoice(
            f"unknown VQA variant {variant!r}; valid: {valid}",
            f"không có biến thể {variant!r}; các biến thể: {valid}",
        )
    if dataset not in VQA_DATASETS:
        valid = ", ".join(VQA_DATASETS)
        raise UnknownChoice(
            f"unknown VQA dataset {dataset!r}; valid: {valid}",
            f"không có bộ dữ liệu {dataset!r}; các bộ dữ liệu: {valid}",
        )
    return get_spec(vqa_model_name(dataset, variant))

"""Vietnamese captioning (ViCLIPCap report): ClipCap's two mappers and the CNN+LSTM baseline."""

from __future__ import annotations

from core.catalog.clip_entries import DEFAULT_CLIP
from core.catalog.registry import ModelSpec, frozen, get_spec, models_for, register
from core.catalog.weights import HubCheckpoint, LocalCheckpoint
from core.runtime.messages import Bilingual

# ---- Vietnamese captioning (ViCLIPCap report): ClipCap's two mappers over frozen CLIP + frozen Vietnamese GPT-2,
# and the CNN+LSTM baseline over a frozen ImageNet ResNet-50. Checkpoints name their GPT-2 and tokenizer.
CAPTION_TRAIN_CMD = "python -m train.caption train --model {variant} --data-dir data/ktvic"
CAPTION_CLIP = DEFAULT_CLIP
CAPTION_CNN = "resnet50_imagenet"
for _variant, _display, _arch, _builder, _requires, _what in (
    (
        "clipcap_mlp",
        "ClipCap · MLP mapper",
        "clipcap_mapper",
        "core.caption.clipcap:build_mapper",
        CAPTION_CLIP,
        Bilingual(
            "Frozen CLIP image embedding -> MLP mapping network -> prefix of a frozen Vietnamese GPT-2.",
            "Embedding ảnh CLIP (đóng băng) -> mạng ánh xạ MLP -> tiền tố cho GPT-2 tiếng Việt (đóng băng).",
        ),
    ),
    (
        "clipcap_transformer",
        "ClipCap · Transformer mapper",
        "clipcap_mapper",
        "core.caption.clipcap:build_mapper",
        CAPTION_CLIP,
        Bilingual(
            "Frozen CLIP image embedding -> Transformer mapping network -> prefix of a frozen Vietnamese GPT-2.",
            "Embedding ảnh CLIP (đóng băng) -> mạng ánh xạ Transformer -> tiền tố cho GPT-2 tiếng Việt (đóng băng).",
        ),
    ),
    (
        "cnn_lstm",
        "CNN + LSTM",
        "lstm_captioner",
        "core.caption.baseline:LSTMCaptioner",
        CAPTION_CNN,
        Bilingual(
            "Baseline: frozen ImageNet ResNet-50 features -> LSTM decoder trained from scratch.",
            "Mô hình cơ sở: đặc trưng ResNet-50 ImageNet (đóng băng) -> bộ giải mã LSTM huấn luyện từ đầu.",
        ),
    ),
):
    register(
        ModelSpec(
            name=f"caption_{_variant}",
            display_name=_display,
            task="caption",
            arch=_arch,
            builder=_builder,
            loader="core.caption.service:load_entry",
            model_args=frozen(),  # in the checkpoint (mapper sizes, vocabulary)
            # Trained here, or pushed by `python -m train.all --push-to-hub` to the class's Hub repo.
            weights=(
                LocalCheckpoint(f"caption/{_variant}", CAPTION_TRAIN_CMD.format(variant=_variant)),
                HubCheckpoint(f"caption/{_variant}"),
            ),
            preprocess=None,  # the frozen encoder's (see `requires`)
            labels="open_vocabulary",
            description=_what,
            family="CNN + LSTM" if _variant == "cnn_lstm" else "CLIP + GPT-2",
            tabs=("caption",),
            requires=(_requires,),
            variant=_variant,
        )
    )


def caption_model_name(variant: str) -> str:
    return f"caption_{variant}"


def caption_variants() -> list[str]:
    return [get_spec(n).variant for n in models_for("caption")]

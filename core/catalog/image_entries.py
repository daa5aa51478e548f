"""Image classifiers: the course's headline pair (Task 1), public CIFAR-100 checkpoints, ImageNet-1k, and the
course's from-scratch zoo (report 002)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.catalog.preprocess import (
    HALF_MEAN_STD,
    Preprocess,
    cifar_course_preprocess,
    resnet_imagenet_preprocess,
    vit_google_preprocess,
)
from core.catalog.registry import ModelSpec, frozen, register
from core.catalog.weights import HubCheckpoint, LocalCheckpoint, PublishedHubFile, TorchvisionWeights, TransformersHub
from core.runtime.messages import Bilingual

FINETUNE_CMD = "python -m train.finetune_cifar100 --model {model}"
TINY_RESNET = frozen(layers=(1, 1, 1, 1))
TINY_VIT = frozen(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)

register(
    ModelSpec(
        name="resnet50",
        display_name="ResNet-50 (CIFAR-100)",
        task="image-classification",
        arch="resnet50",
        builder="core.models.resnet:ResNetClassifier",
        model_args=frozen(num_classes=100, dropout=0.3),
        weights=(
            LocalCheckpoint("resnet50_cifar100", FINETUNE_CMD.format(model="resnet50")),
            HubCheckpoint("resnet50_cifar100"),
        ),
        preprocess=cifar_course_preprocess(32),
        labels="cifar100",
        description=Bilingual(
            "CNN, 23.7M params: ImageNet-1k ResNet-50 fine-tuned on CIFAR-100 (course Task 1).",
            "CNN, 23,7 triệu tham số: ResNet-50 huấn luyện trên ImageNet-1k, tinh chỉnh trên CIFAR-100 (Bài 1).",
        ),
        family="CNN",
        tiny_args=TINY_RESNET,
        # Weight order of the headline pair: the course recipe trained here or on the class's Hub repo, then the
        # public CIFAR-100 checkpoint, then ImageNet-1k (each fallback's panel says so).
        fallback="resnet50_detectors",
        tabs=("image",),
    )
)
register(
    ModelSpec(
        name="vit_b16",
        display_name="ViT-B/16 (CIFAR-100)",
        task="image-classification",
        arch="vit_b16",
        builder="core.models.vit:ViTClassifier",
        model_args=frozen(num_classes=100),
        weights=(
            LocalCheckpoint("vit_b16_cifar100", FINETUNE_CMD.format(model="vit_b16")),
            HubCheckpoint("vit_b16_cifar100"),
        ),
        preprocess=cifar_course_preprocess(224, resize=256, imagenet_stats=False),
        labels="cifar100",
        description=Bilingual(
            "Transformer, 85.9M params: ImageNet-21k ViT-B/16 fine-tuned on CIFAR-100 (course Task 1).",
            "Transformer, 85,9 triệu tham số: ViT-B/16 huấn luyện trên ImageNet-21k, tinh chỉnh trên CIFAR-100 "
            "(Bài 1).",
        ),
        family="Transformer",
        tiny_args=TINY_VIT,
        fallback="vit_b16_detectors",
        tabs=("image",),
    )
)
# ---- Public CIFAR-100 checkpoints of the detectors project (core/models/published.py says what they are). Their
# accuracies are the model cards' (github.com/edadaltocg/detectors), not measured here.
DETECTORS = "github.com/edadaltocg/detectors"
register(
    ModelSpec(
        name="resnet50_detectors",
        display_name="ResNet-50 (CIFAR-100, detectors)",
        task="image-classification",
        arch="detectors_resnet50",
        builder="core.models.published:DetectorsResNet50",
        model_args=frozen(num_classes=100),
        weights=(PublishedHubFile("edadaltocg/resnet50_cifar100", "pytorch_model.bin", "MIT", 90.6),),
        preprocess=cifar_course_preprocess(32, cifar_stats=True),  # detectors' config: 32 px, crop 1, bilinear
        labels="cifar100",
        description=Bilingual(
            "CNN, 23.7M params: timm ResNet-50 with a CIFAR stem (3x3 stride-1, no max-pool) trained on CIFAR-100, "
            f"published by the detectors project ({DETECTORS}, MIT).",
            "CNN, 23,7 triệu tham số: ResNet-50 của timm với phần đầu cho CIFAR (3x3 bước 1, không max-pool), huấn "
            f"luyện trên CIFAR-100, do dự án detectors công bố ({DETECTORS}, MIT).",
        ),
        family="CNN",
        tiny_args=frozen(layers=(1, 1, 1, 1), channels=(4, 8, 8, 8)),
        fallback="resnet50_imagenet",
        tabs=("image",),
        model_card=Bilingual(
            "model card: 80.93% CIFAR-100 test accuracy (reported by detectors, not measured here)",
            "thẻ mô hình: độ chính xác 80,93% trên tập kiểm tra CIFAR-100 (detectors công bố, không đo ở đây)",
        ),
    )
)
register(
    ModelSpec(
        name="vit_b16_detectors",
        display_name="ViT-B/16 (CIFAR-100, detectors)",
        task="image-classification",
        arch="detectors_vit_b16",
        builder="core.models.published:DetectorsViTB16",
        model_args=frozen(num_classes=100),
        weights=(
            PublishedHubFile("edadaltocg/vit_base_patch16_224_in21k_ft_cifar100", "pytorch_model.bin", "MIT", 327.6),
        ),
        # timm's vit_base_patch16_224.orig_in21k_ft_in1k config, kept by detectors: crop_pct 0.9, bicubic, 0.5/0.5.
        preprocess=Preprocess(
            crop_size=224, resize_size=248, mean=HALF_MEAN_STD, std=HALF_MEAN_STD, interpolation="bicubic"
        ),
        labels="cifar100",
        description=Bilingual(
            "Transformer, 85.9M params: timm ViT-B/16 (ImageNet-21k, then 1k) fine-tuned on CIFAR-100, published "
            f"by the detectors project ({DETECTORS}, MIT).",
            "Transformer, 85,9 triệu tham số: ViT-B/16 của timm (ImageNet-21k rồi 1k) tinh chỉnh trên CIFAR-100, do "
            f"dự án detectors công bố ({DETECTORS}, MIT).",
        ),
        family="Transformer",
        tiny_args=frozen(embed_dim=32, depth=2, num_heads=2),
        fallback="vit_b16_imagenet",
        tabs=("image",),
        model_card=Bilingual(
            "model card: 93.16% CIFAR-100 test accuracy (reported by detectors, not measured here)",
            "thẻ mô hình: độ chính xác 93,16% trên tập kiểm tra CIFAR-100 (detectors công bố, không đo ở đây)",
        ),
    )
)
register(
    ModelSpec(
        name="resnet50_imagenet",
        display_name="ResNet-50 (ImageNet-1k)",
        task="image-classification",
        arch="resnet50",
        builder="core.models.resnet:ResNetClassifier",
        model_args=frozen(num_classes=1000),
        weights=(TorchvisionWeights("ResNet50_Weights.IMAGENET1K_V2", "resnet50-11ad3fa6.pth"),),
        preprocess=resnet_imagenet_preprocess(),
        labels="imagenet1k",
        description=Bilingual(
            "CNN, 25.6M params: torchvision's IMAGENET1K_V2 weights, 1000 ImageNet classes.",
            "CNN, 25,6 triệu tham số: trọng số IMAGENET1K_V2 của torchvision, 1000 lớp ImageNet.",
        ),
        family="CNN",
        tiny_args=TINY_RESNET,
        tabs=("image",),
    )
)
register(
    ModelSpec(
        name="vit_b16_imagenet",
        display_name="ViT-B/16 (ImageNet-1k)",
        task="image-classification",
        arch="vit_b16",
        builder="core.models.vit:ViTClassifier",
        model_args=frozen(num_classes=1000),
        weights=(TransformersHub("google/vit-base-patch16-224"),),
        preprocess=vit_google_preprocess(),
        labels="imagenet1k",
        description=Bilingual(
            "Transformer, 86.6M params: google/vit-base-patch16-224 (21k pre-training, 1k fine-tuning).",
            "Transformer, 86,6 triệu tham số: google/vit-base-patch16-224 (tiền huấn luyện 21k, tinh chỉnh 1k).",
        ),
        family="Transformer",
        tiny_args=TINY_VIT,
        tabs=("image",),
    )
)

# Backbone the train script starts ViT fine-tuning from (no classification head on the Hub).
VIT_IN21K_REPO = "google/vit-base-patch16-224-in21k"

# ---- The course's from-scratch CIFAR-100 zoo (report 2). Weights: a CIFAR-100 checkpoint if one was trained,
# else the Fashion-MNIST checkpoint committed to the repo (so the tab works offline on a fresh machine).
SCRATCH_CMD = "python -m train.scratch --dataset {dataset} --models {model}"
ZOO_DATASETS = ("cifar100", "fashion_mnist")


@dataclass(frozen=True)
class ZooEntry:
    name: str
    display_name: str
    arch: str
    builder: str  # the class, "module:attribute" (see ModelSpec.builder)
    model_args: Mapping[str, Any]
    tiny_args: Mapping[str, Any]
    family: str
    course_params: str  # the course's count at C=100, shown next to ours (or, for `untrained_in_course`, ours)
    live: bool = False  # offered by the Live training tab (small and fast enough to train during a lecture)
    # A variant report 002 describes but did not train (its section): no course result or count to compare with.
    untrained_in_course: str | None = None


_TINY_VIT = frozen(dim=16, depth=2, heads=2, ffn=32)
_TINY_RNN = frozen(hidden=8)
ZOO: tuple[ZooEntry, ...] = (
    ZooEntry(
        "softmax",
        "Softmax regression",
        "softmax",
        "core.models.zoo_linear:SoftmaxRegression",
        frozen(),
        frozen(),
        "Linear / MLP",
        "307.3K",
        live=True,
    ),
    ZooEntry(
        "mlp",
        "MLP 512-256",
        "mlp",
        "core.models.zoo_linear:MLP",
        frozen(),
        frozen(hidden=(16, 8)),
        "Linear / MLP",
        "1.7M",
        live=True,
    ),
    ZooEntry(
        "simple_cnn",
        "SimpleCNN",
        "simple_cnn",
        "core.models.zoo_cnn:SimpleCNN",
        frozen(),
        frozen(channels=(4, 8, 8)),
        "CNN",
        "346.6K",
        live=True,
    ),
    ZooEntry(
        "simple_vit",
        "SimpleViT",
        "simple_vit",
        "core.models.zoo_vit:SimpleViT",
        frozen(),
        _TINY_VIT,
        "Transformer",
        "821.0K",
        live=True,
    ),
    ZooEntry(
        "simple_vit_post_ln",
        "SimpleViT, Post-LN",
        "simple_vit",
        "core.models.zoo_vit:SimpleViT",
        frozen(norm="post"),
        _TINY_VIT,
        "Transformer",
        "821.0K",
        untrained_in_course="4.3",
    ),
    ZooEntry(
        "custom_vit",
        "CustomViT (einsum)",
        "custom_vit",
        "core.models.zoo_vit:CustomViT",
        frozen(),
        _TINY_VIT,
        "Transformer",
        "819.4K",
    ),
    ZooEntry(
        "custom_vit_post_ln",
        "CustomViT (einsum), Post-LN",
        "custom_vit",
        "core.models.zoo_vit:CustomViT",
        frozen(norm="post"),
        _TINY_VIT,
        "Transformer",
        "819.4K",
        untrained_in_course="4.3",
    ),
    ZooEntry(
        "cnn_transformer",
        "CNN+Transformer hybrid",
        "cnn_transformer",
        "core.models.zoo_vit:CNNTransformer",
        frozen(),
        frozen(dim=16, heads=2, ffn=32),
        "CNN + Transformer",
        "446.1K",
        live=True,
    ),
    ZooEntry(
        "spatial_token_vit",
        "SpatialToken ViT (pixels)",
        "spatial_token_vit",
        "core.models.zoo_vit:SpatialTokenViT",
        frozen(),
        _TINY_VIT,
        "Transformer",
        "172.4K",
    ),
    ZooEntry(
        "channel_token_vit",
        "ChannelToken ViT (channels)",
        "channel_token_vit",
        "core.models.zoo_vit:ChannelTokenViT",
        frozen(),
        frozen(channels=8, dim=16, heads=2, ffn=32),
        "Transformer",
        "549.5K",
    ),
    ZooEntry(
        "gru_row",
        "GRU reading rows",
        "image_rnn",
        "core.models.zoo_rnn:ImageRNN",
        frozen(cell="gru", reading="row"),
        _TINY_RNN,
        "RNN",
        "1.8M",
        live=True,
    ),
    ZooEntry(
        "gru_col",
        "GRU reading columns",
        "image_rnn",
        "core.models.zoo_rnn:ImageRNN",
        frozen(cell="gru", reading="col"),
        _TINY_RNN,
        "RNN",
        "1.8M",
        untrained_in_course="6.1",
    ),
    ZooEntry(
        "gru_patch4",
        "GRU reading 4x4 patches",
        "image_rnn",
        "core.models.zoo_rnn:ImageRNN",
        frozen(cell="gru", reading="patch4"),
        _TINY_RNN,
        "RNN",
        "1.7M",
    ),
    ZooEntry(
        "gru_patch8",
        "GRU reading 8x8 patches",
        "image_rnn",
        "core.models.zoo_rnn:ImageRNN",
        frozen(cell="gru", reading="patch8"),
        _TINY_RNN,
        "RNN",
        "1.9M",
        untrained_in_course="6.1",
    ),
    ZooEntry(
        "lstm_row",
        "LSTM reading rows",
        "image_rnn",
        "core.models.zoo_rnn:ImageRNN",
        frozen(cell="lstm", reading="row"),
        _TINY_RNN,
        "RNN",
        "2.4M",
        live=True,
    ),
    ZooEntry(
        "lstm_col",
        "LSTM reading columns",
        "image_rnn",
        "core.models.zoo_rnn:ImageRNN",
        frozen(cell="lstm", reading="col"),
        _TINY_RNN,
        "RNN",
        "2.4M",
        untrained_in_course="6.1",
    ),
    ZooEntry(
        "lstm_patch4",
        "LSTM reading 4x4 patches",
        "image_rnn",
        "core.models.zoo_rnn:ImageRNN",
        frozen(cell="lstm", reading="patch4"),
        _TINY_RNN,
        "RNN",
        "2.3M",
    ),
    ZooEntry(
        "lstm_patch8",
        "LSTM reading 8x8 patches",
        "image_rnn",
        "core.models.zoo_rnn:ImageRNN",
        frozen(cell="lstm", reading="patch8"),
        _TINY_RNN,
        "RNN",
        "2.5M",
        untrained_in_course="6.1",
    ),
)


def _zoo_description(z: ZooEntry) -> Bilingual:
    if z.untrained_in_course:
        return Bilingual(
            f"From scratch: a variant course report 2 describes (section {z.untrained_in_course}) but did not train; "
            f"{z.course_params} params at 100 classes, counted here.",
            f"Huấn luyện từ đầu: biến thể mà báo cáo 2 của môn học mô tả (mục {z.untrained_in_course}) nhưng không "
            f"huấn luyện; {z.course_params.replace('.', ',')} tham số với 100 lớp, đếm ở đây.",
        )
    return Bilingual(
        f"From scratch, course report 2 ({z.course_params} params at 100 classes).",
        f"Huấn luyện từ đầu, báo cáo 2 của môn học ({z.course_params.replace('.', ',')} tham số với 100 lớp).",
    )


def zoo_checkpoint_dir(dataset: str, name: str) -> str:
    return f"zoo/{dataset}/{name}"


for _z in ZOO:
    register(
        ModelSpec(
            name=_z.name,
            display_name=_z.display_name,
            task="image-classification",
            arch=_z.arch,
            builder=_z.builder,
            model_args=frozen(num_classes=100, **_z.model_args),
            # CIFAR-100, then Fashion-MNIST. A model trained live in class is an entry of its own
            # (core.training.live_models), offered beside this one and never in its place.
            weights=tuple(
                LocalCheckpoint(zoo_checkpoint_dir(d, _z.name), SCRATCH_CMD.format(dataset=d, model=_z.name))
                for d in ZOO_DATASETS
            )
            + (HubCheckpoint(zoo_checkpoint_dir("cifar100", _z.name)),),
            preprocess=cifar_course_preprocess(32, cifar_stats=True),
            labels="cifar100",
            description=_zoo_description(_z),
            family=_z.family,
            tiny_args=_z.tiny_args,
            tabs=("image", "cnn", "live") if _z.live else ("image", "cnn"),
        )
    )

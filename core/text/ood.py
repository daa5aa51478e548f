"""Is this text like the texts a classifier was trained on? The energy of the model's logits.

The WordNet models were trained on one-line noun definitions ("a domesticated carnivorous mammal ..."); shown a
newsgroup post or a chat message they still pick one of their 20 noun classes. Their top probability is a poor
guide, so the app uses the energy score (Liu et al., 2020, "Energy-based out-of-distribution detection"):
-logsumexp(logits). Texts like the training data drive some logit far up (low energy); a text from another world
tends to leave every logit lower (higher energy). The threshold is a high percentile of the energies of held-out
validation glosses, in `ood.json` beside each checkpoint, written by `python -m train.text_ood`.

A distance in the sentence features (`sentence_features`, the vector the last layer reads, as core/vqa/ood.py does
for images) was measured first and caught none of the other texts (docs/OOD_VQA_TEXT.md): other texts land nearer
the centre of the glosses' features than many glosses do. The energy signal is weaker than the image one: it
catches long posts more often than single sentences (the measured rates are in ood.json).
"""

from __future__ import annotations

import numpy as np
import torch

from core.text.model import BiGRUClassifier, EncoderClassifier
from core.training.ood import Verdict, energy_score, load_calibration, threshold_verdict  # noqa: F401


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
    elif isinstance(module, EncoderClassifier):
        feats = module.pool(module.encoder(input_ids=ids, attention_mask=mask.long()).last_hidden_state, mask)
    else:
        raise TypeError(f"no sentence feature for {type(module).__name__}")
    return feats.float().cpu().numpy().astype(np.float64)


def energy(logits: torch.Tensor) -> np.ndarray:
    """(B, classes) logits -> (B,) energy scores (core.training.ood.energy_score): higher means less like the
    training data."""
    return energy_score(logits.float()).cpu().numpy().astype(np.float64)


def text_verdict(logits: torch.Tensor, calibration: dict | None) -> Verdict | None:
    """The out-of-domain verdict of one text from its (1, classes) logits, or None without a calibration."""
    if calibration is None:
        return None
    return threshold_verdict(float(energy(logits)[0]), calibration, "energy")

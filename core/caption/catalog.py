"""Names of the three captioners and the command that trains each (no torch import: the status panel reads it)."""

from __future__ import annotations

VARIANT_NAMES = {
    "clipcap_mlp": "ClipCap · MLP mapper",
    "clipcap_transformer": "ClipCap · Transformer mapper",
    "cnn_lstm": "CNN + LSTM",
}
TRAIN_CMD = "python -m train.caption train --model {variant} --data-dir data/ktvic"
CHECKPOINT_SUBDIR = "caption"

"""VQA names and constants that the UI needs without importing torch."""

from __future__ import annotations

VARIANT_NAMES = {
    "cnn_att": "small CNN + LSTM, attention",
    "cnn_noatt": "small CNN + LSTM, no attention",
    "mobilenet_att": "MobileNetV2 + LSTM, attention",
    "mobilenet_noatt": "MobileNetV2 + LSTM, no attention",
}
DATASETS = {"easy_vqa": "easy-VQA (shapes and colours, English)", "food": "Vietnamese food (course dataset)"}
TRAIN_CMD = "python -m train.vqa --dataset {kind} --variants {variant}"
# easy-VQA's answer set, for the tiny profile and for showing its English answers in Vietnamese too.
EASY_VQA_VI = {
    "circle": "hình tròn",
    "rectangle": "hình chữ nhật",
    "triangle": "hình tam giác",
    "yes": "có",
    "no": "không",
    "red": "đỏ",
    "green": "xanh lá",
    "blue": "xanh dương",
    "teal": "xanh mòng két",
    "yellow": "vàng",
    "black": "đen",
    "gray": "xám",
    "brown": "nâu",
}
UNSURE_BELOW = 0.5  # top probability under this, or half the words unknown: say so

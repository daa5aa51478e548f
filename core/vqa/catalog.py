"""VQA constants the UI needs without importing torch (the variants and datasets are catalogue entries:
core.registry.VQA_VARIANTS / VQA_DATASETS)."""

from __future__ import annotations

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

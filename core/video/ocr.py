"""Text on screen: RapidOCR (PP-OCR detection + recognition on onnxruntime) with the models inside its wheel.

rapidocr 3.x ships PP-OCRv6 det/rec and the v2 direction classifier in `rapidocr/models/` and checks their SHA-256
before use, so it never downloads anything here (tests block sockets to prove it). The engine is created once and
shared; onnxruntime sessions are not documented as safe to call from two threads at once, so calls take a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

# Detection at the keyframe's own resolution (longest side <= 960) instead of rapidocr's default of upscaling the
# short side to 736, which made a 640x360 frame four times slower without reading captions any better.
ENGINE_PARAMS = {
    "Global.log_level": "error",
    "Global.use_cls": False,  # captions are upright; the 180-degree classifier only cost time
    "Det.limit_type": "max",
    "Det.limit_side_len": 960,
}
MIN_SCORE = 0.5  # recognitions below this are mostly texture read as letters

_engine = None
_engine_lock = threading.Lock()
_call_lock = threading.Lock()


class OcrUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class OcrLine:
    text: str
    score: float


def engine():
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                try:
                    from rapidocr import RapidOCR
                except ImportError as exc:  # pragma: no cover - requirements.txt installs it
                    raise OcrUnavailable("OCR needs rapidocr: pip install rapidocr==3.10.0 onnxruntime") from exc
                _engine = RapidOCR(params=dict(ENGINE_PARAMS))
    return _engine


def read_text(rgb: np.ndarray) -> list[OcrLine]:
    """(H, W, 3) uint8 RGB -> recognised lines, top to bottom as the engine orders them."""
    ocr = engine()
    with _call_lock:
        result = ocr(np.ascontiguousarray(rgb[:, :, ::-1]))  # rapidocr treats arrays as OpenCV's BGR
    txts, scores = result.txts or (), result.scores or ()
    # A line without any letter or digit is a shape read as a symbol (a yellow disc -> "●"), not text.
    lines = [(t.strip(), float(s)) for t, s in zip(txts, scores) if s >= MIN_SCORE]
    return [OcrLine(t, s) for t, s in lines if any(ch.isalnum() for ch in t)]

"""Sketch-like drawings rendered by a script: circles, crosses and lines with jitter, as a student's mouse draws
them on a 400x400 canvas (black strokes of varying width on a transparent background, like Gradio's Sketchpad).
Used by tests/test_drawing.py and tests/test_view_drawing.py, and for the numbers in docs/TEACH_BY_DRAWING.md."""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 400
SHAPES = ("circle", "cross", "line")


def _wobbly(points, rng, amount):
    return [(x + rng.uniform(-amount, amount), y + rng.uniform(-amount, amount)) for x, y in points]


def render(shape: str, rng: random.Random, *, opaque: bool = False) -> np.ndarray:
    """One (400, 400, 4) uint8 RGBA sketch of `shape`: random size, place, slant, stroke width and hand wobble."""
    bg = (255, 255, 255, 255) if opaque else (0, 0, 0, 0)
    img = Image.new("RGBA", (CANVAS, CANVAS), bg)
    draw = ImageDraw.Draw(img)
    width = rng.randint(8, 22)
    cx, cy = rng.uniform(130, 270), rng.uniform(130, 270)
    size = rng.uniform(70, 150)
    tilt = rng.uniform(-0.35, 0.35)
    ink = (0, 0, 0, 255)

    def rot(dx, dy, angle=tilt):
        return cx + dx * math.cos(angle) - dy * math.sin(angle), cy + dx * math.sin(angle) + dy * math.cos(angle)

    if shape == "circle":
        squash = rng.uniform(0.75, 1.0)
        n = 40
        pts = [rot(size * math.cos(2 * math.pi * i / n), size * squash * math.sin(2 * math.pi * i / n)) for i in
               range(n + 2)]  # fmt: skip
        draw.line(_wobbly(pts, rng, 3), fill=ink, width=width, joint="curve")
    elif shape == "cross":
        for angle in (math.pi / 4, -math.pi / 4):
            a = angle + tilt
            pts = [(cx - size * math.cos(a) * t, cy - size * math.sin(a) * t) for t in (-1, -0.5, 0, 0.5, 1)]
            draw.line(_wobbly(pts, rng, 3), fill=ink, width=width, joint="curve")
    elif shape == "line":
        a = rng.uniform(-0.5, 0.5) + (math.pi / 2 if rng.random() < 0.5 else 0)
        pts = [(cx - size * math.cos(a) * t, cy - size * math.sin(a) * t) for t in (-1, -0.5, 0, 0.5, 1)]
        draw.line(_wobbly(pts, rng, 3), fill=ink, width=width, joint="curve")
    else:
        raise ValueError(shape)
    return np.asarray(img)


def drawn_set(per_class: int, seed: int = 0, shapes=SHAPES) -> dict[str, list[np.ndarray]]:
    rng = random.Random(seed)
    return {s: [render(s, rng) for _ in range(per_class)] for s in shapes}

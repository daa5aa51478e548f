"""Keyframes: uniform sampling and/or shot boundaries from frame-difference colour histograms.

Frames stream through one at a time; a chosen keyframe is written to disk as a JPEG straight away, so memory holds
one frame and one histogram whatever the video's length. Each keyframe keeps the presentation time of its frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from core.runtime.messages import number_text
from core.video.decode import DecodedFrame, frame_to_rgb, iter_frames

MODES = ("uniform", "shots", "both")
KEYFRAME_MAX_SIDE = 640  # enough for OCR of captions and for CLIP's 224 crop; ~40 KB per JPEG
ANALYSIS_SIZE = (64, 36)  # the histogram only needs colours, not detail
HIST_BINS = 16


@dataclass(frozen=True)
class KeyframeParams:
    mode: str = "both"
    interval_s: float = 2.0  # uniform sampling period
    shot_threshold: float = 0.35  # half the L1 distance between consecutive colour histograms, in [0, 1]
    min_shot_s: float = 0.5  # a flash or a fade does not start a new shot every frame
    analysis_fps: float = 12.0  # histograms for at most this many frames per second
    max_keyframes: int = 2000

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"keyframe mode {self.mode!r} is not one of {', '.join(MODES)}")
        if not 0.1 <= self.interval_s <= 600:
            raise ValueError("interval_s must be between 0.1 and 600 seconds")
        if not 0.0 < self.shot_threshold < 1.0:
            raise ValueError("shot_threshold must be between 0 and 1")

    def key(self) -> str:
        """Part of the cache key: a different sampling gives a different set of keyframes."""
        return f"{self.mode}-i{self.interval_s:g}-t{self.shot_threshold:g}-m{self.min_shot_s:g}-a{self.analysis_fps:g}"


@dataclass(frozen=True)
class Keyframe:
    time_s: float
    reason: str  # "start", "uniform" or "shot"
    file: str  # JPEG name inside the index folder
    shot_score: float  # histogram distance to the previous analysed frame (0 for uniform picks in a still scene)

    def as_dict(self) -> dict:
        return asdict(self)


def colour_histogram(rgb_small: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 -> (3 * HIST_BINS,) per-channel histogram, each channel summing to 1."""
    pixels = rgb_small.reshape(-1, 3)
    hists = [np.bincount(pixels[:, c] // (256 // HIST_BINS), minlength=HIST_BINS) for c in range(3)]
    return np.concatenate(hists).astype(np.float32) / len(pixels)


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Half the mean per-channel L1 distance: 0 for identical colour distributions, 1 for disjoint ones."""
    return float(np.abs(a - b).sum() / 6.0)


def extract_keyframes(
    path: str | Path,
    out_dir: Path,
    params: KeyframeParams,
    *,
    duration_s: float = 0.0,
    limit_s: float | None = None,
    progress: Callable[[float, str], None] | None = None,
    notes: list[tuple[str, str]] | None = None,
) -> list[Keyframe]:
    """Decode `path` once, write the keyframes as JPEGs into `out_dir`, return them in time order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # A long video at a short interval would make thousands of keyframes: widen the interval instead.
    interval = params.interval_s
    if duration_s and duration_s / interval > params.max_keyframes:
        interval = duration_s / params.max_keyframes
        if notes is not None:
            notes.append(
                (
                    f"Video dài nên khoảng lấy mẫu được nới thành {number_text(interval, 1).vi} s.",
                    f"The video is long, so the sampling interval was widened to {interval:.1f} s.",
                )
            )
    uniform = params.mode in ("uniform", "both")
    shots = params.mode in ("shots", "both")
    keyframes: list[Keyframe] = []
    prev_hist: np.ndarray | None = None
    next_uniform = 0.0
    next_analysis = 0.0
    last_shot = -1e9
    last_report = -1e9
    for decoded in iter_frames(path, limit_s=limit_s, notes=notes):
        t = decoded.time_s
        reason, score = None, 0.0
        if shots and t >= next_analysis:
            next_analysis = t + 1.0 / params.analysis_fps
            small = decoded.frame.to_ndarray(width=ANALYSIS_SIZE[0], height=ANALYSIS_SIZE[1], format="rgb24")
            hist = colour_histogram(small)
            if prev_hist is not None:
                score = histogram_distance(hist, prev_hist)
                if score >= params.shot_threshold and t - last_shot >= params.min_shot_s:
                    reason, last_shot = "shot", t
            prev_hist = hist
        if not keyframes:
            reason = "start"
        elif reason is None and uniform and t >= next_uniform:
            reason = "uniform"
        if reason is not None:
            if len(keyframes) >= params.max_keyframes:
                if notes is not None:
                    notes.append(
                        (
                            f"Dừng ở {params.max_keyframes} khung hình chính (giới hạn).",
                            f"Stopped at the cap of {params.max_keyframes} keyframes.",
                        )
                    )
                break
            keyframes.append(_save(decoded, out_dir, len(keyframes), reason, score))
            if uniform:  # the uniform clock restarts at every keyframe so a cut does not add a near-duplicate
                next_uniform = t + interval
        if progress and duration_s and t - last_report >= 1.0:
            last_report = t
            progress(min(t / duration_s, 1.0), f"{len(keyframes)} keyframes")
    return keyframes


def _save(decoded: DecodedFrame, out_dir: Path, index: int, reason: str, score: float) -> Keyframe:
    name = f"kf{index:05d}.jpg"
    Image.fromarray(frame_to_rgb(decoded.frame, KEYFRAME_MAX_SIDE)).save(out_dir / name, quality=88)
    return Keyframe(time_s=round(decoded.time_s, 3), reason=reason, file=name, shot_score=round(score, 4))

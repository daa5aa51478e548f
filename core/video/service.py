"""One call from a video and a query to moments: what the tab and the /video_search API both run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from core.catalog import models_for
from core.video.decode import VideoInputError
from core.video.index import Progress, VideoIndex, build_index
from core.video.keyframes import KeyframeParams
from core.video.search import MODES, Moment, search

# English (the course's) and multilingual (Vietnamese queries): the catalogue entries the video tab offers.
CLIP_MODELS = tuple(models_for("video"))


MAX_QUERY_CHARS = 300  # a description of a moment; OCR matching and CLIP's 77 tokens need no more
MAX_TOP_K = 12
INTERVAL_RANGE_S = (0.5, 10.0)  # the tab's sliders; the API gets the same bounds
WINDOW_RANGE_S = (1.0, 60.0)


@dataclass(frozen=True)
class SearchOptions:
    query: str
    mode: str
    clip_name: str
    top_k: int
    params: KeyframeParams
    window_s: float


def checked_options(query, mode, clip_name, top_k, keyframes, interval_s, window_s) -> SearchOptions:
    """What /video_search and the tab send, checked whatever Gradio's preprocessing did: InputError otherwise."""
    from core.runtime.inputs import choice, number, text
    from core.video.keyframes import MODES as KEYFRAME_MODES

    interval = number(interval_s, ("The sampling interval (s)", "Khoảng lấy mẫu (giây)"), *INTERVAL_RANGE_S)
    return SearchOptions(
        query=text(query, ("The query", "Câu truy vấn"), MAX_QUERY_CHARS).strip(),
        mode=choice(mode, MODES, ("The search mode", "Cách tìm")),
        clip_name=choice(clip_name, CLIP_MODELS, ("The CLIP model", "Mô hình CLIP")),
        top_k=number(top_k, ("The number of moments", "Số khoảnh khắc"), 1, MAX_TOP_K, integer=True),
        params=KeyframeParams(
            mode=choice(keyframes, KEYFRAME_MODES, ("Keyframes", "Khung hình chính")), interval_s=interval
        ),
        window_s=number(window_s, ('The "A then B" window (s)', "Cửa sổ “A rồi B” (giây)"), *WINDOW_RANGE_S),
    )


@dataclass
class VideoSearchResult:
    index: VideoIndex
    moments: list[Moment]
    parts: tuple[str, str] | None  # (A, B) when the query was read as "A then B"
    mode: str
    timings_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        info = self.index.info
        return {
            "moments": [m.as_dict() for m in self.moments],
            "mode": self.mode,
            "temporal": list(self.parts) if self.parts else None,
            "model": self.index.model,
            "keyframes": len(self.index.keyframes),
            "video": {
                "duration_s": round(info.duration_s, 3),
                "fps": round(info.fps, 3),
                "width": info.width,
                "height": info.height,
            },
            "cached": dict(self.index.cached),
            "notes": [en for _, en in self.index.notes],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


def video_search(
    path: str | Path,
    query: str,
    *,
    mode: str = "combined",
    clip_name: str = CLIP_MODELS[0],
    profile: str = "default",
    params: KeyframeParams | None = None,
    top_k: int = 5,
    window_s: float = 10.0,
    min_gap_s: float = 1.0,
    ocr_weight: float = 0.5,
    progress: Progress | None = None,
) -> VideoSearchResult:
    """Index `path` (or reuse its cached index) and return the top-k moments for `query`."""
    if mode not in MODES:
        raise ValueError(f"search mode {mode!r} is not one of {', '.join(MODES)}")
    if clip_name not in CLIP_MODELS:
        raise ValueError(f"CLIP model {clip_name!r} is not one of {', '.join(CLIP_MODELS)}")
    uses_clip, uses_ocr = mode in ("clip", "combined"), mode in ("ocr", "combined")
    t0 = time.perf_counter()
    index = build_index(
        path,
        params=params,
        clip_name=clip_name if uses_clip else None,
        profile=profile,
        ocr=uses_ocr,
        progress=progress,
    )
    clip = None
    if uses_clip:
        from core.catalog.store import load_model

        clip = load_model(clip_name, profile).module  # loaded once per process; not part of a query's time
    t1 = time.perf_counter()
    moments, parts = search(
        index,
        query,
        mode=mode,
        clip=clip,
        top_k=top_k,
        min_gap_s=min_gap_s,
        window_s=window_s,
        ocr_weight=ocr_weight,
        clip_key=f"{clip_name}/{profile}" if uses_clip else None,  # the CLIP playground's key for the same weights
    )
    t2 = time.perf_counter()
    timings = {"index": (t1 - t0) * 1000, "query": (t2 - t1) * 1000}
    return VideoSearchResult(index, moments, parts, mode, timings)


def playable_copy(path: str | Path, index: VideoIndex) -> str | None:
    """None when browsers play the upload as it is; otherwise an H.264 preview, made once and kept with the index."""
    import av

    from core.video.decode import VideoInputError, browser_playable, make_preview

    if browser_playable(path, index.info):
        return None
    preview = index.folder / "preview.mp4"
    if not preview.is_file():
        try:
            make_preview(path, preview)
        except (VideoInputError, av.FFmpegError, OSError):
            return None  # the search results stand; only the preview is missing (a file damaged past the index)
    return str(preview)


def deadline_progress(progress, seconds: float):
    """`progress` (a core.video progress callback: fraction, message), stopping the work with a VideoInputError
    once `seconds` have passed (the server's cap: demo.server.limits.video_request_limit_s). core.video reports progress
    per keyframe and per batch, so the search stops within one step of the deadline."""
    limit = seconds
    deadline = time.monotonic() + limit

    def report(*args, **kwargs):
        if time.monotonic() > deadline:
            minutes = f"{limit / 60:g}"
            raise VideoInputError(
                f"This video search was stopped after {minutes} minutes (the longest one request may run). What was "
                "indexed so far is kept: ask again to continue, or send a shorter clip.",
                f"Lần tìm này đã bị dừng sau {minutes} phút (thời gian dài nhất một yêu cầu được chạy). Phần đã lập "
                "chỉ mục được giữ lại: hãy hỏi lại để làm tiếp, hoặc gửi đoạn video ngắn hơn.",
            )
        return progress(*args, **kwargs)

    return report

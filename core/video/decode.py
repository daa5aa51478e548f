"""Open a user's video with PyAV and stream its frames, never holding the whole video in memory.

Every failure a student can cause (a renamed text file, an empty or truncated upload, an audio file, a two-hour
film) becomes a `VideoInputError` carrying the message in Vietnamese and English, so the tab can show it and keep
serving. Timestamps come from each frame's presentation time, not from index / fps, so variable-frame-rate phone
videos get correct times.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.runtime.messages import Bilingual, UserError

if TYPE_CHECKING:  # PyAV is imported inside the functions that use it: at the top it added 40 ms to `import app`
    import av

DEFAULT_MAX_DURATION_S = 30 * 60.0  # VIDEO_MAX_DURATION_S overrides: a lecture-length clip, not a film
# Frame size cap: 4096x2160 (DCI 4K). A 6 MB .mov declaring 16000x16000 16-bit RGBA frames once took 34 s and
# 6.8 GB to index. FFmpeg is told the cap (its `max_pixels` codec option) when the file is opened, because opening
# already decodes a frame for some codecs (PNG in MOV: 2 GB for that file); the size and bit depth the container
# and codec declare are then checked before the first frame is decoded.
MAX_VIDEO_PIXELS = 4096 * 2160
MAX_FRAME_BYTES = MAX_VIDEO_PIXELS * 6  # a decoded frame: 4K at 16-bit RGB (53 MB); 4K 16-bit RGBA is refused
# Frame threads keep several decoded frames in flight; above Full HD the decoder uses slice threads only.
FRAME_THREAD_MAX_PIXELS = 1920 * 1088


class VideoInputError(UserError, ValueError):
    """A video the app cannot use: VideoInputError(en, vi)."""

    title = Bilingual("Cannot use this video", "Không dùng được video")


@dataclass(frozen=True)
class VideoInfo:
    duration_s: float
    fps: float
    width: int  # as displayed, after the rotation a phone recorded
    height: int
    codec: str
    container: str
    rotation: int  # degrees counterclockwise from the display matrix (0 for most files)
    has_audio: bool
    size_bytes: int

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    def as_dict(self) -> dict:
        return {**asdict(self), "portrait": self.portrait}


def max_duration_s() -> float:
    return float(os.environ.get("VIDEO_MAX_DURATION_S", DEFAULT_MAX_DURATION_S))


def format_time(seconds: float) -> str:
    """12.5 -> '0:12.5', 3725 -> '1:02:05.0' (what the gallery captions and the summary show)."""
    seconds = max(0.0, float(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h)}:{int(m):02d}:{s:04.1f}" if h >= 1 else f"{int(m)}:{s:04.1f}"


def _open(path: str | Path) -> av.container.InputContainer:
    import av

    p = Path(path)
    if not p.is_file():
        raise VideoInputError(
            "The video file was not found. Upload it again.", "Không tìm thấy tệp video. Hãy tải lên lại."
        )
    if p.stat().st_size == 0:
        raise VideoInputError(
            "The file is empty (0 bytes). Upload a real video file.",
            "Tệp video rỗng (0 byte). Hãy tải lên một tệp video thật.",
        )
    try:
        # max_pixels: the decoders FFmpeg runs while probing refuse a bigger frame instead of allocating it; a
        # stream whose declared size is over the cap then reports 0x0 (_video_stream refuses it).
        return av.open(str(p), metadata_errors="ignore", options=_OPEN_OPTIONS)
    except (av.FFmpegError, UnicodeDecodeError, OSError) as exc:
        # FFmpeg's reason stays in the log (the exception's cause): a class name means nothing to a student.
        raise VideoInputError(
            "This file could not be read as a video: it is not a video, or it is damaged. Use an mp4, webm, mov or "
            "avi file.",
            "Không đọc được tệp này như một video: có thể nó không phải video hoặc đã bị hỏng. Hãy dùng tệp mp4, "
            "webm, mov hoặc avi.",
        ) from exc


_DECODE_OPTIONS = {"max_pixels": str(MAX_VIDEO_PIXELS)}
_OPEN_OPTIONS = {**_DECODE_OPTIONS, "threads": "1"}  # probing decodes at most one frame: no thread pool for it


def _video_stream(container: av.container.InputContainer):
    """The first video stream, its frame size and bit depth checked against the caps; nothing is decoded here."""
    if not container.streams.video:
        what = "an audio-only file" if container.streams.audio else "a file without any video stream"
        raise VideoInputError(
            f"This is {what}: there are no pictures to search. Upload a video.",
            "Tệp này không có luồng hình ảnh (chỉ có âm thanh?). Hãy tải lên một video.",
        )
    stream = container.streams.video[0]
    check_frame_size(stream.codec_context.width, stream.codec_context.height, stream.codec_context.pix_fmt)
    # The same cap for the decoder that runs later: a stream that switches to bigger frames mid-way is refused too.
    stream.codec_context.options = dict(_DECODE_OPTIONS)
    return stream


def frame_bytes(width: int, height: int, pix_fmt: str | None) -> int:
    """Bytes of one decoded frame in the codec's pixel format (16 bits per channel counts twice as 8)."""
    import av

    try:
        bits = av.VideoFormat(pix_fmt).padded_bits_per_pixel if pix_fmt else 64
    except (ValueError, av.FFmpegError):
        bits = 64  # unknown format: assume the widest common one (16-bit RGBA)
    return width * height * max(bits, 8) // 8


def check_frame_size(width: int, height: int, pix_fmt: str | None) -> None:
    """VideoInputError unless frames are at most MAX_VIDEO_PIXELS and MAX_FRAME_BYTES once decoded."""
    cap = "4096x2160"
    if not width or not height:  # FFmpeg zeroes a declared size over max_pixels; or the header has none
        raise VideoInputError(
            f"The frame size could not be read, or the frames are larger than {cap}: export the video at a lower "
            "resolution (e.g. 1920x1080).",
            f"Không đọc được kích thước khung hình, hoặc khung hình lớn hơn {cap}: hãy xuất lại video ở độ phân "
            "giải thấp hơn (ví dụ 1920x1080).",
        )
    size = frame_bytes(width, height, pix_fmt)
    if width * height > MAX_VIDEO_PIXELS or size > MAX_FRAME_BYTES:
        mb, cap_mb = size / 2**20, MAX_FRAME_BYTES / 2**20
        raise VideoInputError(
            f"The frames are {width}x{height} ({pix_fmt}), {mb:.0f} MB each once decoded; the limit is {cap} and "
            f"{cap_mb:.0f} MB. Export the video at a lower resolution or bit depth.",
            f"Khung hình {width}x{height} ({pix_fmt}) chiếm {mb:.0f} MB khi giải mã; giới hạn là {cap} và "
            f"{cap_mb:.0f} MB. Hãy xuất lại video ở độ phân giải hoặc độ sâu bit thấp hơn.",
        )


def thread_type(width: int, height: int) -> str:
    """Frame threads (FFmpeg's own thread count) only for frames up to Full HD; slice threads above."""
    return "AUTO" if width * height <= FRAME_THREAD_MAX_PIXELS else "SLICE"


def probe(path: str | Path, *, limit_s: float | None = None) -> VideoInfo:
    """Metadata of a video, checked against the duration cap before any frame is decoded."""
    limit_s = max_duration_s() if limit_s is None else limit_s
    with _open(path) as container:
        stream = _video_stream(container)
        duration = _duration(container, stream)
        rotation = _first_rotation(container, stream)
        width, height = stream.codec_context.width, stream.codec_context.height  # checked by _video_stream
        if abs(rotation) == 90:
            width, height = height, width
        info = VideoInfo(
            duration_s=duration,
            fps=float(stream.average_rate or stream.guessed_rate or 0.0),
            width=int(width),
            height=int(height),
            codec=stream.codec_context.name,
            container=container.format.name,
            rotation=rotation,
            has_audio=bool(container.streams.audio),
            size_bytes=Path(path).stat().st_size,
        )
    check_duration(info.duration_s, limit_s)
    return info


def check_duration(duration_s: float, limit_s: float) -> None:
    if duration_s > limit_s:
        raise VideoInputError(
            f"The video lasts {format_time(duration_s)}, over this demo's limit of {format_time(limit_s)}. "
            "Cut a shorter clip first (e.g. ffmpeg -ss 0 -t 600 -i in.mp4 -c copy out.mp4).",
            f"Video dài {format_time(duration_s)}, vượt giới hạn {format_time(limit_s)} của bản demo. "
            "Hãy cắt một đoạn ngắn hơn (ví dụ: ffmpeg -ss 0 -t 600 -i vao.mp4 -c copy ra.mp4).",
        )


def _duration(container, stream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000  # AV_TIME_BASE
    return 0.0  # unknown (some webm files): the decode loop enforces the cap as it goes


def _first_rotation(container, stream) -> int:
    """Rotation of the first frame (phones store portrait video as landscape plus a display matrix)."""
    import av

    try:
        for frame in container.decode(stream):
            return int(round(frame.rotation or 0))
    except av.FFmpegError:
        return 0  # the decode loop reports damage with a better message
    return 0


@dataclass
class DecodedFrame:
    time_s: float
    frame: av.VideoFrame  # still in the decoder's format; convert only what is needed


def iter_frames(
    path: str | Path, *, limit_s: float | None = None, notes: list[tuple[str, str]] | None = None
) -> Iterator[DecodedFrame]:
    """Every decoded frame with its presentation time in seconds from the start, one at a time.

    Raises VideoInputError if nothing decodes, or if the timestamps pass the duration cap (for files whose header
    did not say how long they are). A file damaged half-way yields the frames before the damage, then stops and
    appends a (vi, en) note to `notes` so the caller can tell the user that the rest was not searched.
    """
    import av

    limit_s = max_duration_s() if limit_s is None else limit_s
    with _open(path) as container:
        stream = _video_stream(container)
        # Frame threads: decoding dominates indexing time; but each thread holds frames, so only up to Full HD.
        stream.thread_type = thread_type(stream.codec_context.width, stream.codec_context.height)
        start = None
        last = -1.0
        step = 1.0 / float(stream.average_rate) if stream.average_rate else 1.0 / 25
        decoded = 0
        try:
            for frame in container.decode(stream):
                t = frame.time
                if t is None:  # no timestamps in the file: count frames instead
                    t = last + step if last >= 0 else 0.0
                if start is None:
                    start = t
                t = max(t - start, last + 1e-6) if last >= 0 else t - start
                last = t
                check_duration(t, limit_s)
                decoded += 1
                yield DecodedFrame(t, frame)
        except av.FFmpegError as exc:
            if decoded == 0:
                raise VideoInputError(
                    "No frame could be decoded: the video is damaged. Export it again as an mp4 (H.264) file.",
                    "Không giải mã được khung hình nào: tệp video bị hỏng. Hãy xuất lại thành tệp mp4 (H.264).",
                ) from exc
            if notes is not None:  # damaged tail: keep what decoded
                notes.append(
                    (
                        f"Video bị hỏng sau {format_time(last)}; chỉ phần trước đó được lập chỉ mục.",
                        f"The video is damaged after {format_time(last)}; only the part before was indexed.",
                    )
                )
            return
        expected = _duration(container, stream)
        if decoded and notes is not None and expected - last > max(1.0, 3 * step):
            # No error, but the frames stop early: a truncated upload whose header still gives the full length.
            notes.append(
                (
                    f"Tệp dừng ở {format_time(last)} dù phần đầu tệp ghi {format_time(expected)} (tải lên chưa hết?); "
                    "chỉ phần đó được lập chỉ mục.",
                    f"The file stops at {format_time(last)} although its header says {format_time(expected)} "
                    "(an incomplete upload?); only that part was indexed.",
                )
            )
    if decoded == 0:
        raise VideoInputError(
            "The video contains no decodable frame: the file is damaged or truncated.",
            "Video không có khung hình nào giải mã được (tệp hỏng hoặc bị cắt cụt).",
        )


def frame_to_rgb(frame: av.VideoFrame, max_side: int) -> np.ndarray:
    """(H, W, 3) uint8, scaled so the longer side is at most `max_side`, rotated as the recorder meant."""
    w, h = frame.width, frame.height
    scale = min(1.0, max_side / max(w, h))
    tw, th = max(2, round(w * scale)), max(2, round(h * scale))
    rgb = frame.to_ndarray(width=tw, height=th, format="rgb24")
    rotation = int(round(frame.rotation or 0)) % 360
    if rotation:
        rgb = np.ascontiguousarray(np.rot90(rgb, k=rotation // 90))  # np.rot90 turns counterclockwise, like PyAV
    return rgb


PLAYABLE = {".mp4": {"h264", "av1", "vp9"}, ".m4v": {"h264"}, ".webm": {"vp8", "vp9", "av1"}}


def browser_playable(path: str | Path, info: VideoInfo) -> bool:
    """Whether a browser's <video> can play the upload as it is (Chromium: H.264/AV1/VP9 in mp4, VP8/VP9 in webm).

    An avi, a QuickTime .mov or an MPEG-4 Part 2 stream is searchable all the same, but needs a preview to watch.
    """
    return info.codec in PLAYABLE.get(Path(path).suffix.lower(), set()) and info.rotation == 0


def make_preview(path: str | Path, out: Path, *, max_side: int = 640, limit_s: float | None = None) -> Path:
    """An upright H.264 mp4 copy for the player (no sound), streamed frame by frame like the indexing pass."""
    # One temporary file per writer: two students asking for the same preview at once must not encode into the
    # same file, and a failed attempt must not leave a half-written one in the cache.
    tmp = out.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp.mp4")
    try:
        _write_preview(path, tmp, max_side, limit_s)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _write_preview(path: str | Path, tmp: Path, max_side: int, limit_s: float | None) -> None:
    import av

    with av.open(str(tmp), "w") as container:
        stream, last_pts = None, -1
        for decoded in iter_frames(path, limit_s=limit_s):
            rgb = frame_to_rgb(decoded.frame, max_side)
            rgb = rgb[: rgb.shape[0] // 2 * 2, : rgb.shape[1] // 2 * 2]  # yuv420p wants even sides
            if stream is None:
                # No B-frames: the decoded timestamps go in as they are, variable frame rate included.
                options = {"preset": "veryfast", "crf": "28", "bf": "0"}
                stream = container.add_stream("libx264", rate=25, options=options)
                stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], "yuv420p"
                stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = max(round(decoded.time_s * 1000), last_pts + 1)
            frame.time_base = Fraction(1, 1000)
            last_pts = frame.pts
            container.mux(stream.encode(frame))
        if stream is not None:
            container.mux(stream.encode(None))

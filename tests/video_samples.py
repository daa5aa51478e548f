"""Videos the video-search tests render with PyAV: coloured scenes and captions at known times, and bad files."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class Scene:
    seconds: float
    colour: tuple[int, int, int]
    shape: str = ""  # "circle", "square" or ""
    text: str = ""


CAPTION_SCENES = (
    Scene(3.0, (20, 40, 160), "circle"),
    Scene(3.0, (200, 40, 30), "square"),
    Scene(3.0, (240, 240, 240), "", "XIN CHÀO 2024"),
    Scene(3.0, (30, 150, 60), "circle"),
)


def scene_image(scene: Scene, size: tuple[int, int]) -> Image.Image:
    w, h = size
    img = Image.new("RGB", size, scene.colour)
    draw = ImageDraw.Draw(img)
    box = (w // 3, h // 4, w // 3 + h // 2, h // 4 + h // 2)
    if scene.shape == "circle":
        draw.ellipse(box, fill=(250, 220, 0))
    elif scene.shape == "square":
        draw.rectangle(box, fill=(0, 220, 250))
    if scene.text:
        font = ImageFont.truetype(FONT, max(12, h // 7))
        draw.text((w // 12, h // 2 - h // 14), scene.text, fill=(10, 10, 10), font=font)
    return img


def render(
    path: Path,
    scenes=CAPTION_SCENES,
    *,
    size: tuple[int, int] = (320, 180),
    fps: int = 10,
    codec: str = "libx264",
    jitter: bool = False,
    noise: bool = False,
) -> Path:
    """Scenes one after another. `jitter`: variable frame rate (irregular timestamps); `noise`: frames differ a
    little inside a scene (a real camera), so nothing can rely on exact repeats."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)  # millisecond timestamps
        if jitter:  # without B-frames the muxer accepts irregular timestamps as they come
            stream.codec_context.options = {"bf": "0"}
        t_ms = 0
        for scene in scenes:
            base = np.asarray(scene_image(scene, size))
            end_ms = t_ms + round(scene.seconds * 1000)
            while t_ms < end_ms:
                pixels = base
                if noise:
                    pixels = np.clip(base.astype(np.int16) + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts, frame.time_base = t_ms, Fraction(1, 1000)
                out.mux(stream.encode(frame))
                step = 1000 // fps
                t_ms += int(rng.integers(step // 2, step * 2)) if jitter else step
        out.mux(stream.encode(None))
    return path


def long_sparse(path: Path, hours: float = 2.0) -> Path:
    """A `hours`-long video with one frame a minute: tiny on disk, long by its timestamps and header."""
    scenes_s = int(hours * 3600)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        stream.time_base = Fraction(1, 1)
        for i, t in enumerate(range(0, scenes_s + 1, 60)):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i % 255, np.uint8), format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def audio_only(path: Path) -> Path:
    """One second of a 440 Hz tone in an .mp4 container (like a voice memo renamed .mp4)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=16000)
        samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)[None, :]
        for start in range(0, 16000, 1024):
            frame = av.AudioFrame.from_ndarray(samples[:, start : start + 1024], format="fltp", layout="mono")
            frame.sample_rate = 16000
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def not_a_video(path: Path) -> Path:
    path.write_text("this is a lecture transcript, not a video\n" * 50)
    return path


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def corrupt(path: Path, source: Path) -> Path:
    """The first 3 % of a real mp4 with its header bytes scrambled: a broken download."""
    data = bytearray(source.read_bytes()[: max(4096, source.stat().st_size // 33)])
    data[16:400] = bytes(np.random.default_rng(1).integers(0, 256, 384, dtype=np.uint8))
    path.write_bytes(bytes(data))
    return path


def phone_rotated(path: Path) -> Path:
    """What a phone held upright records: landscape 320x180 frames plus a display matrix saying "turn 90 degrees
    clockwise" (written into the mp4's tkhd box, as cameras do). A red block marks the stored top-left corner."""
    import struct

    pixels = np.zeros((180, 320, 3), np.uint8)
    pixels[:40, :60] = (255, 0, 0)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    data = bytearray(path.read_bytes())
    matrix = data.find(b"tkhd") + 4 + 40  # version/flags, times, track id, duration, layer, volume come first
    data[matrix : matrix + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))
    return path


def truncated(path: Path, source: Path) -> Path:
    """The first half of a 'fast start' mp4 (index first, then the frames): an upload that stopped half-way."""
    whole = path.with_suffix(".whole.mp4")
    with av.open(str(source)) as inp, av.open(str(whole), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path

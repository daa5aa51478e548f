"""Files that users really upload and that break naive image code. Each writer returns the path it made."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def text_named_png(d: Path) -> Path:
    p = d / "notes.png"
    p.write_text("this is not an image\n")
    return p


def empty_file(d: Path) -> Path:
    p = d / "empty.jpg"
    p.write_bytes(b"")
    return p


def truncated_jpeg(d: Path) -> Path:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(buf, "JPEG")
    p = d / "truncated.jpg"
    p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    return p


def cmyk_jpeg(d: Path) -> Path:
    p = d / "cmyk.jpg"
    Image.new("CMYK", (64, 48), (0, 255, 255, 0)).save(p)  # pure red in CMYK
    return p


def png16(d: Path) -> Path:
    p = d / "deep.png"
    arr = np.full((40, 40), 60000, dtype=np.uint16)
    arr[:20] = 1000
    Image.fromarray(arr).save(p)  # mode I;16
    return p


def rgba_png(d: Path) -> Path:
    p = d / "rgba.png"
    im = Image.new("RGBA", (30, 30), (255, 0, 0, 0))  # fully transparent red -> white
    im.save(p)
    return p


def palette_png(d: Path) -> Path:
    p = d / "palette.png"
    Image.new("RGB", (30, 30), (0, 0, 255)).convert("P").save(p)
    return p


def gray_png(d: Path) -> Path:
    p = d / "gray.png"
    Image.new("L", (30, 30), 128).save(p)
    return p


def one_pixel(d: Path) -> Path:
    p = d / "one.png"
    Image.new("RGB", (1, 1), (10, 20, 30)).save(p)
    return p


def exif_rotated(d: Path) -> Path:
    """40 wide x 20 high on disk, EXIF orientation 6 (rotate 90 CW): shown 20 wide x 40 high."""
    p = d / "rotated.jpg"
    im = Image.new("RGB", (40, 20), (0, 128, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(p, exif=exif)
    return p


def animated_gif(d: Path) -> Path:
    p = d / "anim.gif"
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return p


def huge_png_header(d: Path, width: int = 15000, height: int = 10000) -> Path:
    """A valid PNG signature and IHDR claiming 150 MP: a decompression bomb must be refused before decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width * 3 + 1) * 4)  # a few rows: the rest is "missing"
    p = d / "bomb.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return p


def huge_jpeg(d: Path, width: int = 15000, height: int = 10000) -> Path:
    """A real 150 MP JPEG (uniform grey, so it is small on disk)."""
    p = d / "huge.jpg"
    Image.new("L", (width, height), 100).save(p, quality=50)
    return p

"""Safe image loading for anything a user uploads.

Every tab funnels uploads through `load_image`, which returns an RGB PIL image or raises `ImageInputError` with a
message a student can act on. It guards against decompression bombs before decoding, honours EXIF orientation,
takes the first frame of animations and maps odd modes (CMYK, 16-bit, palette, alpha) to plain 8-bit RGB.
"""

from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from core.runtime.messages import Bilingual, UserError

# Above this many pixels we do not fully decode: JPEGs are decoded at reduced scale (cheap, the DCT does it),
# other formats are refused. 40 MP covers every phone camera; models see at most a few hundred pixels a side.
MAX_DECODE_PIXELS = 40_000_000
# Upload size cap: a real photo is a few MB; anything bigger is almost surely not what the user meant.
MAX_FILE_BYTES = 60 * 1024 * 1024
# Images are shrunk to this longest side right after decoding: every model crops far smaller, and it keeps
# resizing and drawing overlays cheap next to the forward pass.
WORKING_MAX_SIDE = 1024


class ImageInputError(UserError, ValueError):
    """An upload that cannot be used; the message says what to do, in English (str) and Vietnamese (`.vi`)."""

    title = Bilingual("Cannot use this image", "Không dùng được ảnh này")


@dataclass
class LoadedImage:
    image: Image.Image  # RGB, longest side <= WORKING_MAX_SIDE
    original_size: tuple[int, int]  # (width, height) as stored in the file, before EXIF rotation
    notes: list[str] = field(default_factory=list)


def load_image(source: str | os.PathLike | bytes | Image.Image | np.ndarray | None) -> LoadedImage:
    """Open, validate and normalise an uploaded image (path, encoded bytes, PIL image or HxW[xC] array)."""
    if source is None:
        raise ImageInputError(
            "No image given: upload a photo, take one with the webcam, or pick an example.",
            vi="Chưa có ảnh: hãy tải ảnh lên, chụp bằng webcam hoặc chọn một ảnh ví dụ.",
        )
    if isinstance(source, np.ndarray):
        return _normalise(_array_to_pil(source), notes=[])
    if isinstance(source, Image.Image):
        return _normalise(source, notes=[])
    if isinstance(source, bytes):
        return _normalise(*_open_file(io.BytesIO(source), "pasted image", len(source)))
    path = Path(source)
    try:
        info = path.stat()
    except OSError as exc:
        raise ImageInputError(
            f"Cannot read the uploaded file ({exc.strerror}). Please upload it again.",
            vi=f"Không đọc được tệp đã tải lên ({exc.strerror}). Hãy tải lại.",
        ) from exc
    if not stat.S_ISREG(info.st_mode):  # a directory, a FIFO or a device (/dev/zero would never end)
        raise ImageInputError(
            "Cannot read the uploaded file (not a regular file). Please upload it again.",
            vi="Không đọc được tệp đã tải lên (không phải tệp thông thường). Hãy tải lại.",
        )
    return _normalise(*_open_file(path, path.name, info.st_size))


def _open_file(file: Path | io.BytesIO, name: str, size: int) -> tuple[Image.Image, list[str], tuple[int, int]]:
    if size == 0:
        raise ImageInputError(
            "The uploaded file is empty (0 bytes). Please choose a real image file.",
            vi="Tệp đã tải lên rỗng (0 byte). Hãy chọn một tệp ảnh thật.",
        )
    if size > MAX_FILE_BYTES:
        raise ImageInputError(
            f"The file is {size / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB. "
            "Please upload a smaller image.",
            vi=f"Tệp nặng {size / 2**20:.0f} MB; giới hạn là {MAX_FILE_BYTES // 2**20} MB. Hãy tải lên ảnh nhỏ hơn.",
        )
    try:
        im = Image.open(file)
    except Image.DecompressionBombError as exc:
        raise _too_big(None) from exc
    except Exception as exc:  # PIL raises UnidentifiedImageError, OSError, SyntaxError... for non-images
        raise ImageInputError(
            f"'{name}' is not an image we can read. Upload a JPEG, PNG, WebP, BMP or GIF file.",
            vi=f"'{name}' không phải là ảnh đọc được. Hãy tải lên tệp JPEG, PNG, WebP, BMP hoặc GIF.",
        ) from exc
    notes: list[str] = []
    w, h = im.size
    if w * h > MAX_DECODE_PIXELS:
        if im.format != "JPEG":
            raise _too_big((w, h))
        # draft() makes libjpeg decode at 1/2, 1/4 or 1/8 scale: the full-size bitmap is never built.
        scale = next((k for k in (2, 4, 8) if (w / k) * (h / k) <= MAX_DECODE_PIXELS), None)
        if scale is None:
            raise _too_big((w, h))
        im.draft(im.mode, (-(-w // scale), -(-h // scale)))
        mp = f"{w * h / 1e6:.0f}"
        notes.append(
            Bilingual(
                f"very large photo ({mp} MP) decoded at reduced resolution",
                f"ảnh rất lớn ({mp} MP) được giải mã ở độ phân giải thấp hơn",
            )
        )
    if getattr(im, "is_animated", False):
        notes.append(
            Bilingual(
                f"animated image: using the first of {im.n_frames} frames",
                f"ảnh động: dùng khung hình đầu tiên trong {im.n_frames} khung",
            )
        )
        im.seek(0)
    try:
        im.load()
    except Exception as exc:
        raise ImageInputError(
            f"'{name}' is damaged or incomplete (the image data ends early or is corrupt). Please upload it again.",
            vi=f"'{name}' bị hỏng hoặc không đầy đủ (dữ liệu ảnh kết thúc sớm hoặc bị lỗi). Hãy tải lại.",
        ) from exc
    return im, notes, (w, h)


def _too_big(size: tuple[int, int] | None) -> ImageInputError:
    what = f" ({size[0]}x{size[1]} = {size[0] * size[1] / 1e6:.0f} MP)" if size else ""
    limit = MAX_DECODE_PIXELS // 1_000_000
    return ImageInputError(
        f"The image is too large{what}. The limit is {limit} MP "
        "(larger JPEGs are downscaled automatically); resize it before uploading.",
        vi=f"Ảnh quá lớn{what}. Giới hạn là {limit} MP (ảnh JPEG lớn hơn được tự động thu nhỏ); "
        "hãy thu nhỏ ảnh trước khi tải lên.",
    )


def _array_to_pil(arr: np.ndarray) -> Image.Image:
    if arr.size == 0:
        raise ImageInputError("The image is empty (0 pixels).", vi="Ảnh rỗng (0 điểm ảnh).")
    if arr.dtype != np.uint8:
        arr = _to_uint8(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ImageInputError(
            f"Unsupported image array shape {arr.shape}; expected HxW, HxWx3 or HxWx4.",
            vi=f"Mảng ảnh có kích thước {arr.shape} không được hỗ trợ; cần HxW, HxWx3 hoặc HxWx4.",
        )
    return Image.fromarray(arr)


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    if np.issubdtype(arr.dtype, np.floating):
        top = 1.0 if float(np.nanmax(arr)) <= 1.0 else 255.0
        return (np.clip(np.nan_to_num(arr), 0, top) / top * 255).round().astype(np.uint8)
    # integer images with more than 8 bits (16-bit PNG, 32-bit mode "I"): scale by the type's range
    top = 65535 if arr.max() > 255 else 255
    return (np.clip(arr, 0, top) / top * 255).round().astype(np.uint8)


def _normalise(im: Image.Image, notes: list[str], original_size: tuple[int, int] | None = None) -> LoadedImage:
    original_size = original_size or im.size
    if im.size[0] * im.size[1] == 0:
        raise ImageInputError(
            "The image has no pixels (zero width or height).",
            vi="Ảnh không có điểm ảnh nào (chiều rộng hoặc chiều cao bằng 0).",
        )
    rotated = ImageOps.exif_transpose(im)
    if rotated is not None and rotated.size != im.size:
        notes.append(Bilingual("rotated according to the photo's EXIF orientation", "đã xoay theo hướng EXIF của ảnh"))
    im = rotated if rotated is not None else im
    im = _to_rgb(im, notes)
    if max(im.size) > WORKING_MAX_SIDE:
        im = im.copy()
        im.thumbnail((WORKING_MAX_SIDE, WORKING_MAX_SIDE), Image.Resampling.BILINEAR)
    if min(original_size) < 8:
        w, h = original_size
        notes.append(
            Bilingual(
                f"tiny image ({w}x{h} px): it is upscaled, expect a guess",
                f"ảnh rất nhỏ ({w}x{h} px): ảnh được phóng to, kết quả chỉ là phỏng đoán",
            )
        )
    return LoadedImage(image=im, original_size=original_size, notes=notes)


def _to_rgb(im: Image.Image, notes: list[str]) -> Image.Image:
    mode = im.mode
    if mode == "RGB":
        return im
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # PIL's convert("RGB") clips 16-bit values at 255 (a white image); scale the range instead.
        notes.append(
            Bilingual(
                f"high bit-depth image (mode {mode}) scaled to 8 bits",
                f"ảnh độ sâu bit cao (chế độ {mode}) đưa về 8 bit",
            )
        )
        return Image.fromarray(_to_uint8(np.asarray(im))).convert("RGB")
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        mode = im.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        notes.append(Bilingual("transparent areas shown on white", "vùng trong suốt được hiển thị trên nền trắng"))
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode == "CMYK":
        notes.append(Bilingual("CMYK image converted to RGB", "ảnh CMYK đã chuyển sang RGB"))
    return im.convert("RGB")

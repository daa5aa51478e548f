"""The one gate every file a visitor sends passes through (images, gallery images, videos; UI or API).

Gradio 6.31 checks that a file lies in its upload folder only when the request tags it with
`"meta": {"_type": "gradio.FileData"}`; a raw request that leaves the tag out reaches an event wired with
`preprocess=False` (and every gr.Gallery) with the path exactly as the client wrote it. So before anything reads
a byte, `checked_upload` requires:

- the real path (symlinks and `..` resolved) to lie inside Gradio's upload folder (GRADIO_TEMP_DIR, else
  <system temp>/gradio, as gradio.utils.get_upload_folder computes it) or inside this app's own examples/;
- a regular file (os.stat + S_ISREG: no directory, device such as /dev/zero, FIFO or socket);
- at most MAX_UPLOAD_BYTES.

Every refused path gets the same message, whether it is missing, outside the folders, or not a regular file, so
the answer never tells a client whether some file exists on the server. `digest` hashes a file in chunks after
the same stat checks, for the caches keyed by content (VQA, CLIP): nothing reads a whole file into memory first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from core.runtime.images import MAX_FILE_BYTES, ImageInputError
from core.runtime.messages import Bilingual

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "examples"
MAX_UPLOAD_BYTES = MAX_FILE_BYTES  # also what app.py gives launch(max_file_size=...)
MAX_PATH_CHARS = 4096
# An image sent inline (a base64 data URL in the request's JSON, as API clients may) is at most this big; bigger
# ones go through the upload. Base64 is 4 characters per 3 bytes, plus the "data:...;base64," head.
MAX_INLINE_BYTES = 10 * 2**20
MAX_DATA_URL_CHARS = MAX_INLINE_BYTES * 4 // 3 + 256
CHUNK = 1 << 20

REFUSED = Bilingual(
    "This file cannot be used. Send a file through the app's upload button (or the API's file upload), or pick "
    "one of the examples.",
    "Không dùng được tệp này. Hãy gửi tệp qua nút tải lên của ứng dụng (hoặc qua phần tải tệp của API), hoặc chọn "
    "một ví dụ.",
)


class UploadRefused(ImageInputError):
    """A path that is not a visitor's upload or an example; its message is always REFUSED (no existence oracle)."""

    def __init__(self) -> None:
        super().__init__(str(REFUSED), vi=REFUSED.vi)


class UploadTooLarge(ImageInputError):
    """An upload (inside the allowed folders, a regular file) over MAX_UPLOAD_BYTES."""

    def __init__(self, limit: int) -> None:
        mb = limit // 2**20
        super().__init__(
            f"The file is larger than the {mb} MB limit. Please upload a smaller file.",
            vi=f"Tệp lớn hơn giới hạn {mb} MB. Hãy tải lên tệp nhỏ hơn.",
        )


def upload_folder() -> Path:
    """Gradio's upload/cache folder, computed as gradio.utils.get_upload_folder does (read at call time)."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")


def allowed_roots() -> list[Path]:
    return [Path(os.path.realpath(upload_folder())), Path(os.path.realpath(EXAMPLES_DIR))]


def checked_upload(path: object, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Path:
    """The real path of a visitor's file, or UploadRefused / UploadTooLarge; reads no byte of the file."""
    if isinstance(path, Path):
        path = str(path)
    if not isinstance(path, str) or not path or len(path) > MAX_PATH_CHARS or "\x00" in path:
        raise UploadRefused()
    try:
        real = Path(os.path.realpath(path, strict=True))  # follows every symlink; fails for a missing path
        info = os.stat(real)
    except (OSError, ValueError):
        raise UploadRefused() from None
    if not any(real.is_relative_to(root) for root in allowed_roots()):
        raise UploadRefused()
    if not stat.S_ISREG(info.st_mode):
        raise UploadRefused()
    if info.st_size > max_bytes:
        raise UploadTooLarge(max_bytes)
    return real


def inline_bytes(data_url: str, *, max_bytes: int = MAX_INLINE_BYTES) -> bytes:
    """The bytes of a `data:<type>;base64,<payload>` URL (a pasted image), size-checked before decoding."""
    if len(data_url) > MAX_DATA_URL_CHARS:
        raise UploadTooLarge(max_bytes)
    try:
        data = base64.b64decode(data_url.split(",", 1)[1], validate=False)
    except (IndexError, ValueError, binascii.Error) as exc:
        raise ImageInputError(
            "The pasted image could not be decoded. Upload it as a file instead.",
            vi="Không giải mã được ảnh đã dán. Hãy tải ảnh lên dưới dạng tệp.",
        ) from exc
    if len(data) > max_bytes:
        raise UploadTooLarge(max_bytes)
    return data


def digest(path: str | os.PathLike, *, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """SHA-1 of a regular file of at most `max_bytes`, read in 1 MB chunks (a cache key; not a security hash).

    Raises ImageInputError for anything else (a FIFO or a device would never end; a huge file would be read
    for nothing): the same checks as checked_upload, wherever the file is.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # O_NONBLOCK: opening a FIFO cannot hang
    except (OSError, ValueError, TypeError):
        raise UploadRefused() from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        os.close(fd)
        raise UploadRefused() if not stat.S_ISREG(info.st_mode) else UploadTooLarge(max_bytes)
    with os.fdopen(fd, "rb") as f:
        h, read = hashlib.sha1(), 0
        while chunk := f.read(CHUNK):
            read += len(chunk)
            if read > max_bytes:  # the file grew after fstat
                raise UploadTooLarge(max_bytes)
            h.update(chunk)
    return h.hexdigest()

"""A spoken summary of the search results, in Vietnamese or English.

gTTS (Google Translate's voice, natural Vietnamese) when the machine is online and gTTS is installed; otherwise
espeak-ng from Debian, which is offline and always available where packages.txt / .ci/run installed it. VIDEO_TTS
chooses: "auto" (default), "gtts", "espeak".
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from core.runtime import subprocess_guard
from core.runtime.messages import UserError
from core.video.search import Moment

ESPEAK_VOICES = {"vi": "vi", "en": "en-us"}
MAX_SPOKEN_MOMENTS = 3
MAX_FILE_AGE_S = 600
_online: tuple[float, bool] | None = None  # (when checked, result): checked at most once a minute
_online_lock = threading.Lock()
logger = logging.getLogger(__name__)


class SpeechUnavailable(UserError, RuntimeError):
    """No voice could read the summary: SpeechUnavailable(en, vi); the tab shows it as a warning.

    The message is for the visitor: no command, file path or engine output (those go to the server's log)."""


@dataclass(frozen=True)
class Speech:
    path: str
    engine: str  # "gtts" or "espeak-ng"
    text: str


def spoken_time(seconds: float, lang: str) -> str:
    m, s = divmod(int(round(seconds)), 60)
    if lang == "vi":
        return f"{m} phút {s} giây" if m else f"giây thứ {s}"
    if m:
        return f"{m} minute{'s' * (m != 1)} {s} second{'s' * (s != 1)}"
    return f"{s} second{'s' * (s != 1)}"


def summary_text(query: str, moments: list[Moment], lang: str, parts: tuple[str, str] | None = None) -> str:
    """What the tab says aloud (and shows): how many moments, the best one, the next ones."""
    vi = lang == "vi"
    if not moments:
        return f"Không tìm thấy khoảnh khắc nào cho “{query}”." if vi else f'No moment found for "{query}".'
    best = moments[0]
    score = f"{best.score:.2f}".replace(".", ",") if vi else f"{best.score:.2f}"
    if parts and best.end_s is not None:
        a, b = parts
        where = (
            f"“{a}” ở {spoken_time(best.time_s, lang)}, rồi “{b}” ở {spoken_time(best.end_s, lang)}"
            if vi
            else f'"{a}" at {spoken_time(best.time_s, lang)}, then "{b}" at {spoken_time(best.end_s, lang)}'
        )
    else:
        where = spoken_time(best.time_s, lang)
    if vi:
        text = f"Tìm thấy {len(moments)} khoảnh khắc cho “{query}”. Khớp nhất: {where}, điểm {score}."
    else:
        text = f'Found {len(moments)} moment{"s" * (len(moments) != 1)} for "{query}". Best: {where}, score {score}.'
    if best.ocr_text:
        text += f" {'Chữ trên màn hình' if vi else 'Text on screen'}: {best.ocr_text[:80]}."
    rest = [spoken_time(m.time_s, lang) for m in moments[1:MAX_SPOKEN_MOMENTS]]
    if rest:
        text += f" {'Tiếp theo' if vi else 'Next'}: {'; '.join(rest)}."
    return text


def engine_choice() -> str:
    choice = os.environ.get("VIDEO_TTS", "auto").strip().lower()
    return choice if choice in ("auto", "gtts", "espeak") else "auto"


def synthesize(text: str, lang: str) -> Speech:
    """Audio file of `text` (mp3 from gTTS, wav from espeak-ng). Raises SpeechUnavailable when neither works."""
    lang = "vi" if lang == "vi" else "en"
    out_dir = _output_dir()
    choice = engine_choice()
    gtts_error = None
    if choice in ("auto", "gtts") and _gtts_installed() and (choice == "gtts" or is_online()):
        try:
            return _gtts(text, lang, out_dir)
        except Exception as exc:  # network dropped between the check and the call, quota, ...
            gtts_error = exc
    if shutil.which("espeak-ng"):
        return _espeak(text, lang, out_dir)
    why = f" (gTTS: {type(gtts_error).__name__})" if gtts_error else ""
    # The fix is the server admin's to make; the visitor only needs to know the moments stand without a voice.
    logger.warning("no speech engine: offline and espeak-ng is not installed (apt-get install espeak-ng)%s", why)
    raise SpeechUnavailable(
        "No voice is available on this server to read the summary aloud; the moments above are complete.",
        "Máy chủ này chưa có giọng đọc để đọc to phần tóm tắt; các khoảnh khắc ở trên vẫn đầy đủ.",
    )


def is_online(host: str = "translate.google.com", timeout: float = 1.5) -> bool:
    global _online
    with _online_lock:
        if _online is not None and time.time() - _online[0] < 60:
            return _online[1]
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            ok = True
        except OSError:
            ok = False
        _online = (time.time(), ok)
        return ok


def _gtts_installed() -> bool:
    try:
        import gtts  # noqa: F401
    except ImportError:
        return False
    return True


def _gtts(text: str, lang: str, out_dir: Path) -> Speech:
    from gtts import gTTS

    path = out_dir / f"{uuid.uuid4().hex}.mp3"
    gTTS(text, lang=lang, timeout=10).save(str(path))
    return Speech(str(path), "gtts", text)


def _espeak(text: str, lang: str, out_dir: Path) -> Speech:
    path = out_dir / f"{uuid.uuid4().hex}.wav"
    # The text goes in on stdin, never as an argument: a query starting with "-" cannot become an option.
    cmd = ["espeak-ng", "-v", ESPEAK_VOICES[lang], "-s", "150", "-w", str(path), "--stdin"]
    try:
        subprocess_guard.run(cmd, input=text.encode("utf-8"), check=True, timeout=60, capture_output=True)
    except (subprocess.SubprocessError, OSError) as exc:
        # str(exc) names the command line and the temporary file: for the log, never for the visitor.
        logger.warning("espeak-ng failed: %s", exc)
        raise SpeechUnavailable(
            "The voice could not read this summary aloud; the moments above are complete.",
            "Giọng đọc không đọc được phần tóm tắt này; các khoảnh khắc ở trên vẫn đầy đủ.",
        ) from exc
    return Speech(str(path), "espeak-ng", text)


def _output_dir() -> Path:
    out = Path(tempfile.gettempdir()) / "dl_classroom_speech"
    out.mkdir(exist_ok=True)
    now = time.time()
    for old in out.iterdir():
        try:
            if now - old.stat().st_mtime > MAX_FILE_AGE_S:
                old.unlink()
        except OSError:
            pass  # another request removed it first
    return out

"""Vietnamese and English for every piece of UI text.

Static text (labels, help, placeholders, Markdown written at build time, example labels) goes through `tr`, which
registers both languages in one gr.I18n. Text a handler computes at request time (results, gr.Error/gr.Warning
messages) cannot be translated by the browser, so handlers take a `gr.Request` and choose with `say`.

Which language a visitor gets, in order: the `?lang=vi|en` link in the page header (remembered in a cookie), then
the browser's Accept-Language (Vietnamese where the browser asks for it), then English. API clients that send
neither get English.

Why the middleware: Gradio 6.31's frontend only selects locales it ships itself, and Vietnamese is not one of them,
so a vi-VN browser would fall back to the "en" table. `LanguageMiddleware` records each request's language and
`ClassroomI18n`/`ClassroomBlocks` serve the Vietnamese table under "en" to that request only (the page and /config
are rendered per request). When Gradio ships "vi" itself, the plain "vi" table is already there too.

Keys are namespaced by tab ("image.run"). Registering the same key twice with different text is a bug: two places
would silently share one translation, so it raises.
"""

from __future__ import annotations

from contextvars import ContextVar
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

import gradio as gr

LANGUAGES = ("vi", "en")
COOKIE = "dl_classroom_lang"
_request_lang: ContextVar[str | None] = ContextVar("dl_classroom_lang", default=None)


class ClassroomI18n(gr.I18n):
    @property
    def translations_dict(self) -> dict[str, dict[str, str]]:
        if _request_lang.get() == "vi":
            return {**self.translations, "en": self.translations["vi"]}
        return self.translations


class ClassroomBlocks(gr.Blocks):
    """gr.Blocks whose page config carries the translations for the requesting visitor's language."""

    @property
    def config(self):
        config = self.__dict__.get("_config")
        if isinstance(config, dict) and config.get("i18n_translations") and _request_lang.get() == "vi":
            return {**config, "i18n_translations": I18N.translations_dict}
        return config

    @config.setter
    def config(self, value) -> None:
        self.__dict__["_config"] = value


I18N = ClassroomI18n(vi={}, en={})


def tr(key: str, vi: str, en: str):
    """Register `key` in both languages and return what a component takes for label/info/value."""
    for lang, text in (("vi", vi), ("en", en)):
        table = I18N.translations[lang]
        if table.get(key, text) != text:
            raise ValueError(f"i18n key {key!r} registered twice with different {lang} text")
        table[key] = text
    return I18N(key)


# Gradio's own frontend strings that visitors see; Gradio 6.31 ships no Vietnamese for them. The English text is
# Gradio's own, so English visitors see no change.
GRADIO_FRONTEND = {
    "upload_text.drop_image": ("Thả ảnh vào đây", "Drop Image Here"),
    "upload_text.drop_video": ("Thả video vào đây", "Drop Video Here"),
    "upload_text.drop_file": ("Thả tệp vào đây", "Drop File Here"),
    "upload_text.drop_audio": ("Thả âm thanh vào đây", "Drop Audio Here"),
    "upload_text.click_to_upload": ("Bấm để tải lên", "Click to Upload"),
    "common.or": ("hoặc", "or"),
    "common.use_via_api": ("Dùng qua API", "Use via API"),
    "common.built_with_gradio": ("Xây dựng bằng Gradio", "Built with Gradio"),
    "common.settings": ("Cài đặt", "Settings"),
    "common.clear": ("Xóa", "Clear"),
    "common.submit": ("Gửi", "Submit"),
}
for _key, (_vi, _en) in GRADIO_FRONTEND.items():
    tr(_key, _vi, _en)


def choose_language(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    """'vi' or 'en': an explicit choice, then the remembered one, then the first of the two the browser lists."""
    for explicit in (query_lang, cookie_lang):
        if explicit in LANGUAGES:
            return explicit
    for part in (accept_language or "").split(","):
        base = part.split(";")[0].strip().lower().split("-")[0]
        if base in LANGUAGES:
            return base
    return "en"


def lang_of(request: gr.Request | None) -> str:
    """The language of the browser that sent `request` (cookie from the header links, then Accept-Language)."""
    if request is None:
        return "en"
    try:
        cookies = request.cookies or {}
        header = request.headers.get("accept-language", "")
    except (AttributeError, KeyError):
        return "en"
    return choose_language(None, cookies.get(COOKIE), header)


def say(request: gr.Request | None, vi: str, en: str) -> str:
    """The message in the language of the browser that sent `request`."""
    return vi if lang_of(request) == "vi" else en


class LanguageRequest:
    """What the tabs' helpers read from a gr.Request to choose a language (`lang_of`), and nothing else.

    The API takes an explicit `language`; passing this stand-in to the same helpers the tabs use gives its errors
    and notes in that language without a second copy of every message.
    """

    def __init__(self, lang: str):
        self.cookies = {COOKIE: lang}
        self.headers: dict[str, str] = {}


class LanguageMiddleware:
    """ASGI middleware: records each HTTP request's language; `?lang=` also sets the cookie that remembers it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header must not break the page
            cookies = SimpleCookie()
        remembered = cookies[COOKIE].value if COOKIE in cookies else None
        lang = choose_language(query, remembered, headers.get("accept-language"))
        token = _request_lang.set(lang)
        set_cookie = query in LANGUAGES

        async def send_with_cookie(message):
            if set_cookie and message["type"] == "http.response.start":
                cookie = f"{COOKIE}={query}; Path=/; Max-Age=31536000; SameSite=Lax"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            _request_lang.reset(token)


def launch_kwargs() -> dict:
    """What app.py passes to launch() so the language choice above works."""
    from starlette.middleware import Middleware

    return {"i18n": I18N, "app_kwargs": {"middleware": [Middleware(LanguageMiddleware)]}}

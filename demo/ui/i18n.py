"""Vietnamese and English for every piece of UI text.

Static text (labels, help, placeholders, Markdown written at build time, example labels) goes through `tr`, which
registers both languages in one gr.I18n. Text a handler computes at request time (results, gr.Error/gr.Warning
messages) cannot be translated by the browser, so handlers take a `gr.Request` and choose with `say`.

Which language a visitor gets, in order: the `?lang=vi|en` link in the page header (remembered in a cookie), then
the browser's Accept-Language (Vietnamese where the browser asks for it), then English. API clients that send
neither get English.

Why the middleware: Gradio 6.31's frontend only selects locales it ships itself, and Vietnamese is not one of them,
so a vi-VN browser would fall back to the "en" table. `LanguageMiddleware` (an ASGI middleware, given to Gradio's
public `launch(app_kwargs=...)`) records each request's language, and `served_tables`/`page_config` serve the
Vietnamese table under "en" to that request only. Gradio has no public per-request config: app.py hands these two
functions to demo.server.gradio_internals, the one module that touches Gradio's private parts (this module does
not). When Gradio ships "vi" itself, the plain "vi" table is already there too.

Switching language keeps the visitor's place: the header links carry `data-dl-lang`, and the page's head script
(`head_html`) swaps the frontend's translation table in place (Gradio's own `load_translations`, the table of the
other language from the page config: "vi", and the English one under "dl-en"), sets the cookie the handlers read,
and updates `?lang=` in the address bar, all without a reload: the open tab, typed text and uploads stay. Text a
page load computed (notes, cards, the status table) is recomputed by `demo.server.first_run` when the script clicks its
hidden "language changed" button. If the script cannot run, the link is a plain link (a reload in that language).

Gradio's own strings come in two kinds: keys of its frontend table (`GRADIO_FRONTEND`, overridden like ours), and
the toast titles ("Error", "Warning", "Info"), which Gradio 6.31 writes from the message type without a key:
`CSS` swaps those on a page whose `<html data-dl-lang>` is "vi".

The page config also carries the upload folder's absolute paths (the examples' files, copied into Gradio's cache):
`page_config` serves them under `EXAMPLES_ROUTE`, and `LanguageMiddleware` maps that route back.

The head script and `CSS` use names of Gradio's built frontend (demo.server.gradio_internals.FRONTEND_NAMES:
`load_translations`, `data-tab-id`, `toast-title`, ...); tests/test_gradio_internals.py checks they are still there.

Keys are namespaced by tab ("image.run"). Registering the same key twice with different text is a bug: two places
would silently share one translation, so it raises.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

import gradio as gr

from core.runtime import uploads

LANGUAGES = ("vi", "en")
COOKIE = "dl_classroom_lang"
_request_lang: ContextVar[str | None] = ContextVar("dl_classroom_lang", default=None)


def served_tables() -> dict[str, dict[str, str]]:
    """The translation tables for the requesting visitor: on a Vietnamese request the Vietnamese table under "en"
    (the one the frontend selects), and always the English one under "dl-en", a name the frontend never selects,
    for the head script's switch. app.py serves them through demo.server.gradio_internals.translations_per_request."""
    tables = {**I18N.translations, "dl-en": I18N.translations["en"]}
    if _request_lang.get() == "vi":
        tables["en"] = I18N.translations["vi"]
    return tables


def page_config(config: dict, *, frontend_core: str | None) -> dict:
    """The page config Gradio stored, fitted to the requesting visitor: the translations and the head script for their
    language, and no absolute server path (the examples' files are served under EXAMPLES_ROUTE). app.py serves it
    through demo.server.gradio_internals.fit_config_per_request; `frontend_core` is the frontend module the head
    script imports (demo.server.gradio_internals.frontend_module)."""
    lang = _request_lang.get() or "en"
    served = {**config, "components": [_without_server_paths(c) for c in config["components"]]}
    served["head"] = (config.get("head") or "") + head_html(lang, frontend_core)
    if config.get("i18n_translations"):
        served["i18n_translations"] = served_tables()
    return served


def upload_folder() -> str:
    """Gradio's cache folder, where it copies uploads and the examples' files (GRADIO_TEMP_DIR or the temp dir)."""
    return str(uploads.upload_folder().resolve())


# The route the page uses for the examples' files instead of "file=<absolute upload folder>/...".
EXAMPLES_ROUTE = "file=examples-cache/"


def _without_server_paths(component: dict) -> dict:
    """A component's props without the upload folder's absolute path: the examples' thumbnails (a dataset's
    samples) and a component's own file value (the sketchpad's background). The frontend only shows them (a click on
    an example sends its index; the server keeps the real paths); EXAMPLES_ROUTE serves the files."""
    props = component.get("props")
    if not isinstance(props, dict):
        return component
    folder = upload_folder()

    def neutral(value):
        if isinstance(value, dict):
            if isinstance(value.get("path"), str) and value["path"].startswith(folder):
                url = value.get("url")
                return {
                    **value,
                    "path": Path(value["path"]).name,
                    "url": url.replace(f"file={folder}/", EXAMPLES_ROUTE) if isinstance(url, str) else url,
                }
            return {k: neutral(v) for k, v in value.items()}
        if isinstance(value, list):
            return [neutral(v) for v in value]
        return value

    return {**component, "props": {k: neutral(v) if k in ("samples", "value") else v for k, v in props.items()}}


I18N = gr.I18n(vi={}, en={})


def tr(key: str, vi: str, en: str):
    """Register `key` in both languages and return what a component takes for label/info/value."""
    for lang, text in (("vi", vi), ("en", en)):
        table = I18N.translations[lang]
        if table.get(key, text) != text:
            raise ValueError(f"i18n key {key!r} registered twice with different {lang} text")
        table[key] = text
    return I18N(key)


# Gradio's own frontend strings that visitors see; Gradio 6.31 ships no Vietnamese for them. The English text is
# Gradio's own (its en table), so English visitors see no change.
GRADIO_FRONTEND = {
    "upload_text.drop_image": ("Thả ảnh vào đây", "Drop Image Here"),
    "upload_text.drop_video": ("Thả video vào đây", "Drop Video Here"),
    "upload_text.drop_file": ("Thả tệp vào đây", "Drop File Here"),
    "upload_text.drop_audio": ("Thả âm thanh vào đây", "Drop Audio Here"),
    "upload_text.drop_csv": ("Thả tệp CSV vào đây", "Drop CSV Here"),
    "upload_text.drop_gallery": ("Thả ảnh hoặc video vào đây", "Drop Media Here"),
    "upload_text.paste_clipboard": ("Dán từ bộ nhớ tạm", "Paste from Clipboard"),
    "upload_text.click_to_upload": ("Bấm để tải lên", "Click to Upload"),
    "upload_text.uploading": ("Đang tải lên...", "Uploading..."),
    "file.uploading": ("Đang tải lên...", "Uploading..."),
    "common.or": ("hoặc", "or"),
    "common.use_via_api": ("Dùng qua API", "Use via API"),
    "errors.use_via_api": ("Dùng qua API", "Use via API"),
    "errors.use_via_api_or_mcp": ("Dùng qua API hoặc MCP", "Use via API or MCP"),
    "common.built_with_gradio": ("Xây dựng bằng Gradio", "Built with Gradio"),
    "common.built_with": ("xây dựng bằng", "built with"),
    "common.hosted_on": ("Chạy trên", "Hosted on"),
    "common.settings": ("Cài đặt", "Settings"),
    "common.clear": ("Xóa", "Clear"),
    "common.submit": ("Gửi", "Submit"),
    "common.error": ("Lỗi", "Error"),
    "common.loading": ("Đang tải", "Loading"),
    "common.download": ("Tải xuống", "Download"),
    "common.download_all": ("Tải xuống tất cả", "Download All"),
    "common.remove": ("Gỡ bỏ", "Remove"),
    "common.empty": ("Trống", "Empty"),
    "common.edit": ("Sửa", "Edit"),
    "common.undo": ("Hoàn tác", "Undo"),
    "common.share": ("Chia sẻ", "Share"),
    "common.language": ("Ngôn ngữ", "Language"),
    "common.display_theme": ("Giao diện", "Display Theme"),
    "common.run": ("Chạy", "Run"),
    "common.record": ("Ghi", "Record"),
    "common.stop_recording": ("Dừng ghi", "Stop Recording"),
    "common.no_devices": ("Không tìm thấy thiết bị", "No devices found"),
    "common.progress": ("Tiến độ", "Progress"),
    "image.image": ("Ảnh", "Image"),
    "image.remove_image": ("Gỡ ảnh", "Remove Image"),
    "image.allow_webcam_access": (
        "Hãy cho phép dùng webcam để ghi hình.",
        "Please allow access to the webcam for recording.",
    ),
    "image.drop_to_upload": ("Thả một tệp ảnh vào đây để tải lên", "Drop an image file here to upload"),
    "video.drop_to_upload": ("Thả một tệp video vào đây để tải lên", "Drop a video file here to upload"),
    "image_editor.webcam": ("Webcam", "Webcam"),
    "image_editor.upload": ("Tải lên", "Upload"),
    "image_editor.paste": ("Dán", "Paste"),
    # The Sketchpad's toolbar, hint and tool options (Gradio's ImageEditor frontend writes every one by key;
    # demo/tabs/live_drawing.py's CLEAR_PAD_JS finds "clear_canvas" by its label in either language).
    "image_editor.select_draw_tool": ("chọn công cụ vẽ để bắt đầu", "select the draw tool to start"),
    "image_editor.brush": ("Bút vẽ", "Brush"),
    "image_editor.brush_size": ("Cỡ bút", "Brush Size"),
    "image_editor.erase": ("Tẩy", "Erase"),
    "image_editor.eraser_size": ("Cỡ tẩy", "Eraser Size"),
    "image_editor.color": ("Màu", "Color"),
    "image_editor.clear_canvas": ("Xóa hình vẽ", "Clear canvas"),
    "image_editor.pan": ("Kéo khung", "Pan"),
    "image_editor.zoom_in": ("Phóng to", "Zoom in"),
    "image_editor.zoom_out": ("Thu nhỏ", "Zoom out"),
    "image_editor.fit_to_screen": ("Vừa màn hình", "Fit to screen"),
    "image_editor.redo": ("Làm lại", "Redo"),
    "image_editor.save_changes": ("Lưu thay đổi", "Save changes"),
    "image_editor.upload_image": ("Tải ảnh lên", "Upload an image"),
    "image_editor.crop": ("Cắt", "Crop"),
    "image_editor.confirm_crop": ("Xác nhận cắt", "Confirm crop"),
    "image_editor.resize": ("Đổi cỡ", "Resize"),
    "image_editor.layer": ("Lớp vẽ", "Layer"),
    "image_editor.layers": ("Các lớp vẽ", "Layers"),
    "image_editor.add_layer": ("Thêm lớp vẽ", "Add Layer"),
    "image_editor.show_layers": ("Hiện các lớp vẽ", "Show Layers"),
    "plot.plot": ("Biểu đồ", "Plot"),
    "label.label": ("Nhãn", "Label"),
    "dataframe.sort_ascending": ("Sắp xếp tăng dần", "Sort ascending"),
    "dataframe.sort_descending": ("Sắp xếp giảm dần", "Sort descending"),
    "dataframe.clear_sort": ("Bỏ sắp xếp", "Clear sort"),
    "dataframe.sort_column": ("Sắp xếp cột", "Sort column"),
    "dataframe.filter": ("Lọc", "Filter"),
    "dataframe.clear_filter": ("Bỏ lọc", "Clear filters"),
    "blocks.lost_connection": (
        "Mất kết nối vì rời trang. Đang vào lại hàng đợi...",
        "Lost connection due to leaving page. Rejoining queue...",
    ),
    "blocks.waiting_for_inputs": (
        "Đang chờ tải tệp lên xong, hãy thử lại.",
        "Waiting for file(s) to finish uploading, please retry.",
    ),
    "blocks.long_requests_queue": (
        "Hàng đợi yêu cầu đang dài.",
        "There is a long queue of requests pending. Duplicate this Space to skip.",
    ),
    "status.queue_position": ("Trong hàng đợi: {position} trên {size}", "In queue: {position} of {size}"),
}
# Keys Gradio 6.31's frontend asks for but none of its own tables has: without them a screen reader reads the raw
# key (the status tracker's hidden "common.complete" after an event that an upload started).
GRADIO_UNDEFINED = {"common.complete": ("Xong", "Complete")}
for _key, (_vi, _en) in {**GRADIO_FRONTEND, **GRADIO_UNDEFINED}.items():
    tr(_key, _vi, _en)


# Gradio 6.31's toasts title themselves from the message type ("Error", "Warning", "Info", "Success") with no
# translation key: on a Vietnamese page the title's own text is hidden and the Vietnamese drawn in its place
# (the count of grouped messages, a child span, keeps its size).
TOAST_TITLES_VI = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin", "success": "Thành công"}
CSS = (
    # Error messages stay until closed (demo/ui/errors.py): below the header and the tab bar, so that they never sit
    # on the language links or the last tabs (Gradio places them at the top of the window).
    "html .toast-wrap { --toast-top: 150px !important; }\n"
    'html[data-dl-lang="vi"] .toast-title { font-size: 0; }\n'
    'html[data-dl-lang="vi"] .toast-title .toast-count { font-size: var(--text-lg); }\n'
    + "".join(
        f'html[data-dl-lang="vi"] .toast-title.{kind}::before {{ content: "{text}"; font-size: var(--text-lg); }}\n'
        for kind, text in TOAST_TITLES_VI.items()
    )
)


RELANG_BUTTON = "dl-language-changed"  # demo.server.first_run's hidden button: recompute what the page load wrote

_SWITCH_JS = """
(() => {
  const root = document.documentElement;
  root.dataset.dlLang = __LANG__;
  root.lang = __LANG__;
  if (window.__dlLangSwitch) return;
  window.__dlLangSwitch = true;
  async function switchTo(target) {
    if (!__CORE__) throw new Error("no frontend module");
    const tables = (window.gradio_config || {}).i18n_translations || {};
    const table = tables[target === "en" ? "dl-en" : "vi"];
    if (!table) throw new Error("no table");
    const core = await import(new URL("assets/" + __CORE__, document.baseURI).href);
    core.load_translations({custom_translations: {en: table}, processed_langs: {}});
    // Gradio redraws a tab's name when that tab is next shown; the names of the others are written here.
    for (const c of (window.gradio_config || {}).components || []) {
      const key = c.type === "tabitem" && String(c.props.label || "").match(/"key": ?"([^"]+)"/);
      if (!key || !(key[1] in table)) continue;
      for (const button of document.querySelectorAll(`button[data-tab-id="${c.props.id}"]`)) {
        for (const node of button.childNodes) {
          if (node.nodeType === Node.TEXT_NODE && node.nodeValue.trim()) node.nodeValue = table[key[1]];
        }
      }
    }
    document.cookie = "__COOKIE__=" + target + "; Path=/; Max-Age=31536000; SameSite=Lax";
    root.dataset.dlLang = target;
    root.lang = target;
    const url = new URL(location.href);
    url.searchParams.set("lang", target);
    history.replaceState(history.state, "", url);
    const relang = document.querySelector("#__RELANG__");
    if (relang) relang.click();
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-dl-lang]");
    if (!link) return;
    event.preventDefault();
    if (link.dataset.dlLang === root.dataset.dlLang) return;
    switchTo(link.dataset.dlLang).catch(() => { location.href = link.href; });
  }, true);
})();
"""


def head_html(lang: str, frontend_core: str | None) -> str:
    """The head script for a page in `lang`: marks <html> with the language, and switches it in place by importing
    `frontend_core`, the file name of Gradio's frontend module that exports `load_translations` (without it, the
    header links reload the page in the other language)."""
    script = (
        _SWITCH_JS.replace("__LANG__", json.dumps(lang if lang in LANGUAGES else "en"))
        .replace("__CORE__", json.dumps(frontend_core))
        .replace("__COOKIE__", COOKIE)
        .replace("__RELANG__", RELANG_BUTTON)
    )
    return f"<script>{script}</script>"


def language_links() -> str:
    """The header's language links: a plain link without JavaScript, an in-place switch with it (head_html)."""
    return (
        '<div style="text-align:right">Ngôn ngữ / Language: '
        '<a href="?lang=vi" data-dl-lang="vi" target="_self">Tiếng Việt</a> · '
        '<a href="?lang=en" data-dl-lang="en" target="_self">English</a></div>'
    )


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
        if EXAMPLES_ROUTE in scope.get("path", ""):  # page_config's neutral route for the examples' files
            path = scope["path"].replace(EXAMPLES_ROUTE, f"file={upload_folder()}/", 1)
            scope = {**scope, "path": path, "raw_path": path.encode()}
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
    """What app.py passes to launch() so the language choice above works (with the translations per request)."""
    from starlette.middleware import Middleware

    return {"css": CSS, "app_kwargs": {"middleware": [Middleware(LanguageMiddleware)]}}

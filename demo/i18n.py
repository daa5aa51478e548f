"""Vietnamese and English for every piece of UI text.

Static text (labels, help, placeholders, Markdown written at build time, example labels) goes through `tr`, which
registers both languages in one gr.I18n; the browser picks by its locale (Vietnamese where the browser asks for it,
English otherwise) and Gradio's footer settings can switch it. Text a handler computes at request time (results,
gr.Error/gr.Warning messages) cannot be translated by the browser, so handlers take a `gr.Request` and choose with
`say`, which reads the Accept-Language header the same browser sent. API clients that send no header get English.

Keys are namespaced by tab ("image.run"). Registering the same key twice with different text is a bug: two places
would silently share one translation, so it raises.
"""

from __future__ import annotations

import gradio as gr

LANGUAGES = ("vi", "en")
I18N = gr.I18n(vi={}, en={})


def tr(key: str, vi: str, en: str):
    """Register `key` in both languages and return what a component takes for label/info/value."""
    for lang, text in (("vi", vi), ("en", en)):
        table = I18N.translations[lang]
        if table.get(key, text) != text:
            raise ValueError(f"i18n key {key!r} registered twice with different {lang} text")
        table[key] = text
    return I18N(key)


def lang_of(request: gr.Request | None) -> str:
    """'vi' or 'en' from the request's Accept-Language (the first of the two languages the browser lists)."""
    header = ""
    if request is not None:
        try:
            header = request.headers.get("accept-language", "") or ""
        except AttributeError:
            header = ""
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        base = tag.split("-")[0]
        if base in LANGUAGES:
            return base
    return "en"


def say(request: gr.Request | None, vi: str, en: str) -> str:
    """The message in the language of the browser that sent `request`."""
    return vi if lang_of(request) == "vi" else en


def text(key: str, lang: str) -> str:
    """The registered text of `key` (for server-side use of a string that is also a label)."""
    return I18N.translations[lang][key]

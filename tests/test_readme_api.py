"""Every HTTP API example in the README runs, in order, against the app with tiny models (tests/conftest.py)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from demo.api import ENDPOINTS

pytestmark = pytest.mark.server

README = Path(__file__).resolve().parent.parent / "README.md"
README_URL = "http://127.0.0.1:7860/"


def api_examples() -> list[str]:
    """The python code blocks of the README's "HTTP API" section that call an endpoint."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## HTTP API\n") :]
    section = section[: section.index("\n## ", 1)]
    return [block for block in re.findall(r"```python\n(.*?)```", section, re.S) if "api_name=" in block]


def test_every_endpoint_has_exactly_one_example():
    called = [name for block in api_examples() for name in re.findall(r'api_name="/(\w+)"', block)]
    assert sorted(set(called)) == sorted(fn.__name__ for fn, _ in ENDPOINTS)
    per_block = [set(re.findall(r'api_name="/(\w+)"', block)) for block in api_examples()]
    assert all(len(names) == 1 for names in per_block) and len(per_block) == len(ENDPOINTS)


def test_the_readme_examples_run(tiny_app, monkeypatch):
    import gradio_client

    # The README's client talks to the default address; here it talks to the test server.
    real = gradio_client.Client
    monkeypatch.setattr(gradio_client, "Client", lambda url, **kw: real(tiny_app.url if url == README_URL else url,
                                                                        verbose=False, **kw))  # fmt: skip
    namespace: dict = {}
    for block in api_examples():
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 (the README's own examples)
        assert printed.getvalue().strip(), block  # each example prints its result
        assert isinstance(namespace.get("result", namespace.get("turn")), dict)
    assert tiny_app.alive()

"""Every HTTP API example in docs/API.md runs as written, in order, against what a fresh clone serves with no
network: the default profile with the committed checkpoints only (tests/conftest.py `repo_default_app`)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from core.training.zoo_data import FASHION_MNIST_LABELS
from demo.api import ENDPOINTS

pytestmark = pytest.mark.server

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "API.md"
EXAMPLES_URL = "http://127.0.0.1:7860/"


def api_examples() -> list[str]:
    """The python code blocks of docs/API.md's "HTTP API" section that call an endpoint."""
    text = API_DOC.read_text(encoding="utf-8")
    section = text[text.index("\n## HTTP API\n") :]
    section = section[: section.index("\n## ", 1)]
    return [block for block in re.findall(r"```python\n(.*?)```", section, re.S) if "api_name=" in block]


def test_every_endpoint_has_exactly_one_example():
    called = [name for block in api_examples() for name in re.findall(r'api_name="/(\w+)"', block)]
    assert sorted(set(called)) == sorted(fn.__name__ for fn, _ in ENDPOINTS)
    per_block = [set(re.findall(r'api_name="/(\w+)"', block)) for block in api_examples()]
    assert all(len(names) == 1 for names in per_block) and len(per_block) == len(ENDPOINTS)


def test_the_readme_examples_run(repo_default_app, monkeypatch):
    import gradio_client

    # The examples' client talks to the default address; here it talks to the test server.
    real = gradio_client.Client
    monkeypatch.setattr(gradio_client, "Client", lambda url, **kw: real(repo_default_app.url if url == EXAMPLES_URL
                                                                        else url, verbose=False, **kw))  # fmt: skip
    namespace: dict = {}
    results, printed_by = {}, {}
    for block in api_examples():
        (name,) = set(re.findall(r'api_name="/(\w+)"', block))
        namespace.pop("result", None)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block, "docs/API.md", "exec"), namespace)  # noqa: S102 (the docs' own examples)
        printed_by[name] = printed.getvalue()
        assert printed_by[name].strip(), block  # each example prints its result (or the app's refusal)
        results[name] = namespace.get("result", namespace.get("turn"))
    # What answers offline answers with real results, not an error panel.
    for side in ("A", "B"):
        assert results["classify_image"][side]["top_k"] and "error" not in results["classify_image"][side]
        assert results["classify_text"][side]["top_k"] and "error" not in results["classify_text"][side]
    assert results["classify_image"]["A"]["top_k"][0]["label"] in FASHION_MNIST_LABELS
    for name in ("vqa_answer", "vqa_chat", "video_search", "conv_arithmetic", "layer_table", "model_status"):
        assert isinstance(results[name], dict), name
    # CLIP has no weights in the repo: the examples print the app's refusal, which names what is missing.
    for name in ("clip_zero_shot", "clip_k_shot"):
        assert results[name] is None and "clip" in printed_by[name].lower(), printed_by[name]
        assert "Traceback" not in printed_by[name]
    assert set(results["caption"]["models"]) == {"clipcap_mlp", "clipcap_transformer", "cnn_lstm"}
    assert repo_default_app.alive()

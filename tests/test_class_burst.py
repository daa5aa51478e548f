"""A class clicks at once (the short version of tests/benchmarks/bench_class.py) and the int8 lesson, through
gradio_client against the launched app: every request answered, none refused, the app serves afterwards."""

from __future__ import annotations

import threading

import pytest
from gradio_client import Client, handle_file

pytestmark = pytest.mark.server
STUDENTS = 12


def test_a_burst_of_simultaneous_requests_is_answered_in_full(tiny_app, example_image):
    clients = [Client(tiny_app.url, verbose=False) for _ in range(STUDENTS)]
    barrier = threading.Barrier(STUDENTS)
    answers, errors = [], []

    def student(client: Client, explain: bool) -> None:
        barrier.wait()  # released together, like a class told "now click Compare"
        try:
            *_, summary = client.predict(handle_file(example_image), "resnet50", "vit_b16", explain,
                                         api_name="/classify_image")  # fmt: skip
            answers.append(summary)
        except Exception as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=student, args=(c, i % 2 == 0)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors and len(answers) == STUDENTS, errors[:3]
    assert all(len(a["A"]["top_k"]) == 5 and len(a["B"]["top_k"]) == 5 for a in answers)
    assert all(1 <= a[side]["batch_size"] <= STUDENTS for a in answers for side in "AB")
    assert tiny_app.alive()
    *_, summary = clients[0].predict(handle_file(example_image), api_name="/classify_image")  # serves afterwards
    assert summary["B"]["top_k"]


def test_int8_precision_shows_fp32_and_int8_side_by_side(tiny_app, client_for, example_image):
    *panels, table, raw = client_for(tiny_app).predict(
        handle_file(example_image), "resnet50", "custom_vit", True, "compare", api_name="/classify_image"
    )
    vit = raw["B"]["precision"]
    assert vit["int8"]["size_mb"] < vit["fp32"]["size_mb"] and vit["int8"]["forward_ms"] > 0
    assert isinstance(vit["top1_agrees"], bool) and vit["int8"]["top1"] == raw["B"]["top_k"][0]["label"]
    assert "int8 weights" in raw["B"]["weights"] and panels[7] is None  # no Grad-CAM through int8 layers
    assert "precision" not in raw["A"] and "fp32 only" in table  # a CNN: convolutions are not Linear layers
    assert "forward fp32 → int8" in table
    *panels, table, raw = client_for(tiny_app).predict(
        handle_file(example_image), "resnet50", "custom_vit", False, "int8", api_name="/classify_image"
    )
    assert "int8 weights" in raw["B"]["weights"] and "int8" not in raw["A"]["weights"] and not table

"""A class clicks at once (the short version of tests/benchmarks/bench_class.py) and the int8 lesson, through
gradio_client against the launched app: every request answered, none refused, the app serves afterwards."""

from __future__ import annotations

import threading

import pytest
from gradio_client import Client, handle_file

STUDENTS = 12


@pytest.mark.server
def test_a_burst_of_simultaneous_requests_is_answered_in_full(tiny_app, example_image):
    clients = [Client(tiny_app.url, verbose=False) for _ in range(STUDENTS)]
    barrier = threading.Barrier(STUDENTS)
    answers, errors = [], []

    def student(client: Client, explain: bool) -> None:
        barrier.wait()  # released together, like a class told "now click Compare"
        try:
            answers.append(client.predict(handle_file(example_image), "resnet50", "vit_b16", explain=explain,
                                          api_name="/classify_image"))  # fmt: skip
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
    maps = [a["A"].get("explanation") for a in answers]  # half the class asked for the map
    assert sum(m is not None for m in maps) == STUDENTS // 2 and all(m["png_base64"] for m in maps if m)
    assert tiny_app.alive()
    summary = clients[0].predict(handle_file(example_image), api_name="/classify_image")  # serves afterwards
    assert summary["B"]["top_k"]


@pytest.mark.server
def test_int8_precision_shows_fp32_and_int8_side_by_side(tiny_app, client_for, example_image):
    raw = client_for(tiny_app).predict(
        handle_file(example_image), "resnet50", "custom_vit", precision="compare", explain=True,
        api_name="/classify_image",
    )  # fmt: skip
    vit = raw["B"]["precision"]
    assert vit["int8"]["size_mb"] < vit["fp32"]["size_mb"] and vit["int8"]["forward_ms"] > 0
    assert isinstance(vit["top1_agrees"], bool) and vit["int8"]["top1"] == raw["B"]["top_k"][0]["label"]
    assert "int8 weights" in raw["B"]["weights"] and "explanation" not in raw["B"]  # no Grad-CAM through int8
    assert "precision" not in raw["A"] and "explanation" in raw["A"]  # a CNN: convolutions are not Linear layers
    raw = client_for(tiny_app).predict(
        handle_file(example_image), "resnet50", "custom_vit", precision="int8", api_name="/classify_image"
    )
    assert "int8 weights" in raw["B"]["weights"] and "int8" not in raw["A"]["weights"]


def test_the_tabs_precision_table_says_what_int8_does_not_apply_to(example_image):
    """The table under the panels (the tab's "int8 vs fp32"), built in-process with tiny models."""
    from core.runtime.images import load_image
    from demo.tabs.image import precision_row, precision_table

    image = load_image(example_image).image
    raw_a, raw_b = {}, {}
    rows = [precision_row("A", image, "resnet50", "tiny", raw_a, None),
            precision_row("B", image, "custom_vit", "tiny", raw_b, None)]  # fmt: skip
    table = precision_table(rows, None)
    assert "fp32 only" in rows[0] and "precision" not in raw_a  # ResNet: convolutions, not Linear layers
    sizes = raw_b["precision"]
    assert "forward fp32 → int8" in table and sizes["int8"]["size_mb"] < sizes["fp32"]["size_mb"]
    assert precision_table([], None) == ""


@pytest.mark.server
def test_a_class_clicking_the_same_example_gets_one_computation(tiny_app, example_image):
    """Everybody clicks the first example: one forward per model, the other answers shared and marked "cached"
    (core.runtime.coalesce), each with the original's timings and the same predictions."""
    clients = [Client(tiny_app.url, verbose=False) for _ in range(STUDENTS)]
    barrier = threading.Barrier(STUDENTS)
    answers, errors = [], []

    def student(client: Client) -> None:
        barrier.wait()
        try:  # top_k=3: options no other test uses, so the first of these requests computes
            answers.append(client.predict(handle_file(example_image), "resnet50", "custom_vit", top_k=3,
                                          api_name="/classify_image"))  # fmt: skip
        except Exception as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=student, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors and len(answers) == STUDENTS, errors[:3]
    for side in "AB":
        assert sum(not a[side]["cached"] for a in answers) <= 1  # at most one computed it, in this burst
        assert len({str(a[side]["top_k"]) for a in answers}) == 1 and len({a[side]["forward_ms"] for a in answers}) == 1
        shared = [a for a in answers if a[side]["cached"]]
        assert shared and all(any("cache" in n or "Computed once" in n for n in a[side]["notes"]) for a in shared)

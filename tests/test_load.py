"""Thirty students at once: concurrent clients on loopback against APP_PROFILE=tiny, bounded in time, spread over
the image, VQA, text and CLIP tabs.

Every request must be answered (or refused with a message), none lost, and the server's memory must stay bounded.
Prints throughput and p50/p95 latency (a report, not a timing assertion).
"""

from __future__ import annotations

import statistics
import threading
import time

import pytest
from gradio_client import Client, handle_file

pytestmark = pytest.mark.server
CLIENTS = 30
DURATION_S = 20


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) / 1024


VQA_PHOTO = "examples/vqa/easy_vqa_test_0.png"


def tiny_request(client: Client, i: int, image: str) -> None:
    # A class using every tab at once: images, VQA, text and CLIP requests share the model slots.
    if i % 5 == 0:
        client.predict(handle_file(VQA_PHOTO), "what color is the shape?", api_name="/vqa_answer")
    elif i % 5 == 1:
        client.predict("The rocket reached orbit after launch.", api_name="/classify_text")
    elif i % 5 == 2:
        client.predict(handle_file(image), "rocket, dog, cat", api_name="/clip_zero_shot")
    else:
        client.predict(handle_file(image), api_name="/classify_image")


def real_weights_request(client: Client, i: int, image: str) -> None:
    # The real weights a fresh offline machine has: the committed zoo and easy-VQA checkpoints.
    if i % 3 == 0:
        client.predict(handle_file(VQA_PHOTO), "what color is the shape?", "cnn_att", api_name="/vqa_answer")
    else:
        pair = ("simple_cnn", "gru_row") if i % 3 == 1 else ("cnn_transformer", "mlp")
        client.predict(handle_file(image), *pair, api_name="/classify_image")


def test_thirty_concurrent_clients(tiny_app, example_image):
    run_load(tiny_app, example_image, tiny_request, "APP_PROFILE=tiny")


def test_thirty_concurrent_clients_on_real_weights(repo_default_app, example_image):
    run_load(repo_default_app, example_image, real_weights_request, "default profile, committed checkpoints")


def run_load(app, example_image: str, request, label: str) -> None:
    warm = Client(app.url, verbose=False)
    for i in range(5):  # load every model the students will use before measuring memory
        request(warm, i, example_image)
    rss_before = _rss_mb(app.proc.pid)
    latencies, failures, sent = [], [], [0]
    lock = threading.Lock()
    deadline = time.monotonic() + DURATION_S

    def student(i: int) -> None:
        client = Client(app.url, verbose=False)
        while time.monotonic() < deadline:
            with lock:
                sent[0] += 1
            start = time.perf_counter()
            try:
                request(client, i, example_image)
                with lock:
                    latencies.append(time.perf_counter() - start)
            except Exception as exc:  # a refusal must carry a message
                with lock:
                    failures.append(str(exc))

    threads = [threading.Thread(target=student, args=(i,)) for i in range(CLIENTS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(DURATION_S + 120)
    elapsed = time.monotonic() - t0
    assert not any(t.is_alive() for t in threads), "requests still hanging two minutes after the deadline"
    assert len(latencies) + len(failures) == sent[0]  # none lost
    # A refusal is a message from the app (queue full, bad input), never a dropped or truncated response.
    assert all(f.strip() and "connection" not in f.lower() for f in failures), sorted(set(failures))[:5]
    assert len(latencies) >= CLIENTS  # every student got answers
    rss_after = _rss_mb(app.proc.pid)
    assert rss_after - rss_before < 600, (rss_before, rss_after)
    q = statistics.quantiles(latencies, n=20)
    print(
        f"\n{label}: {CLIENTS} clients, {elapsed:.0f}s: {len(latencies)} answered, {len(failures)} refused, "
        f"{len(latencies) / elapsed:.1f} req/s, p50 {statistics.median(latencies):.2f}s, p95 {q[18]:.2f}s, "
        f"server RSS {rss_before:.0f} -> {rss_after:.0f} MB"
    )
    assert app.alive()

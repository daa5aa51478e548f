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


def test_thirty_concurrent_clients(tiny_app, example_image):
    warm = Client(tiny_app.url, verbose=False)
    warm.predict(handle_file(example_image), api_name="/classify_image")
    rss_before = _rss_mb(tiny_app.proc.pid)
    latencies, failures, sent = [], [], [0]
    lock = threading.Lock()
    deadline = time.monotonic() + DURATION_S

    def student(i: int) -> None:
        client = Client(tiny_app.url, verbose=False)
        while time.monotonic() < deadline:
            with lock:
                sent[0] += 1
            start = time.perf_counter()
            try:
                # A class using every tab at once: images, VQA, text and CLIP requests share the model slots.
                if i % 5 == 0:
                    client.predict(
                        handle_file("examples/vqa/easy_vqa_test_0.png"),
                        "what color is the shape?",
                        api_name="/vqa_answer",
                    )
                elif i % 5 == 1:
                    client.predict("The rocket reached orbit after launch.", api_name="/classify_text")
                elif i % 5 == 2:
                    client.predict(handle_file(example_image), "rocket, dog, cat", api_name="/clip_zero_shot")
                else:
                    client.predict(handle_file(example_image), api_name="/classify_image")
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
    rss_after = _rss_mb(tiny_app.proc.pid)
    assert rss_after - rss_before < 600, (rss_before, rss_after)
    q = statistics.quantiles(latencies, n=20)
    print(
        f"\n{CLIENTS} clients, {elapsed:.0f}s: {len(latencies)} answered, {len(failures)} refused, "
        f"{len(latencies) / elapsed:.1f} req/s, p50 {statistics.median(latencies):.2f}s, p95 {q[18]:.2f}s, "
        f"server RSS {rss_before:.0f} -> {rss_after:.0f} MB"
    )
    assert tiny_app.alive()

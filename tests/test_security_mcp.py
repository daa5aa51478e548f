"""The MCP server and the queue attacked as a visitor would: data URLs left on disk, bounds escaped through MCP's
loopback calls or a forged X-Forwarded-For, one address holding the video slot, slow uploads, huge values echoed
back, an empty session id. Each test names the hole it closes and reproduces the attack against a running app on
loopback (its own app: a temp folder of its own to compare, short limits so the attacks end in seconds).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import httpx
import numpy as np
import pytest

from demo.server import fair_queue

REPO = Path(__file__).resolve().parent.parent
VQA_IMAGE = REPO / "examples" / "vqa" / "easy_vqa_test_0.png"
VIDEO_CAP_S = 3  # VIDEO_MAX_REQUEST_S of the app below: a long search stops after this


# --- no server: the pieces ------------------------------------------------------------------------------------------


def test_a_vouch_is_believed_only_with_this_processes_signature():
    """Hole: MCP's loopback call replayed the caller's X-Forwarded-For from 127.0.0.1, where uvicorn trusts it."""

    def request(host, **headers):
        return SimpleNamespace(client=SimpleNamespace(host=host), headers=headers)

    vouched = request("127.0.0.1", **{fair_queue.VOUCH_HEADER: fair_queue.vouch("203.0.113.7")})
    assert fair_queue.client_key(vouched) == "203.0.113.7"
    assert fair_queue.session_key("shared-loopback-session", vouched) == "mcp:203.0.113.7"
    forged = request("127.0.0.1", **{fair_queue.VOUCH_HEADER: "203.0.113.8 " + "0" * 32})
    assert fair_queue.client_key(forged) == "127.0.0.1" and fair_queue.session_key("s", forged) == "s"
    assert fair_queue.client_key(request("10.0.0.4")) == "10.0.0.4"


def test_mcp_calls_count_as_one_session_per_address():
    """Hole: each MCP call was its own queue session, so one client had 6 waiting where 4 is the bound."""

    def mcp_event(session: str, address: str):
        headers = {fair_queue.VOUCH_HEADER: fair_queue.vouch(address)}
        return SimpleNamespace(session_hash=session, request=SimpleNamespace(client=None, headers=headers))

    waiting = [mcp_event(f"call-{i}", "203.0.113.7") for i in range(fair_queue.PER_SESSION_WAITING)]
    queue = SimpleNamespace(event_queue_per_concurrency_id={"models": SimpleNamespace(queue=waiting)})
    models = SimpleNamespace(concurrency_id="models")
    same = mcp_event("call-new", "203.0.113.7").request
    assert "You already have 4 requests waiting" in fair_queue.refusal(queue, models, "call-new", same)[1]
    other = mcp_event("call-new", "203.0.113.8").request
    assert fair_queue.refusal(queue, models, "call-new", other) is None


def test_a_space_trusts_its_proxies_and_an_operator_setting_stays():
    environ = {"SPACE_ID": "teacher/classroom"}
    fair_queue.trust_space_proxy(environ)
    assert "10.0.0.0/8" in environ["FORWARDED_ALLOW_IPS"] and "127.0.0.1" in environ["FORWARDED_ALLOW_IPS"]
    own = {"SPACE_ID": "x", "FORWARDED_ALLOW_IPS": "192.0.2.1"}
    fair_queue.trust_space_proxy(own)
    assert own["FORWARDED_ALLOW_IPS"] == "192.0.2.1"
    local: dict = {}
    fair_queue.trust_space_proxy(local)
    assert local == {}  # not on a Space: uvicorn's default (loopback only)
    # What uvicorn then does with a client's own X-Forwarded-For: the rightmost public address wins.
    # A client sent "X-Forwarded-For: 1.2.3.4"; the edge appended the address it saw; a Space proxy connects.
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    seen = {}

    async def app(scope, receive, send):
        seen["client"] = scope["client"][0]

    scope = {"type": "http", "scheme": "http", "client": ("10.16.3.80", 5000),
             "headers": [(b"x-forwarded-for", b"1.2.3.4, 198.51.100.9")]}  # fmt: skip
    asyncio.run(ProxyHeadersMiddleware(app, trusted_hosts=environ["FORWARDED_ALLOW_IPS"])(scope, None, None))
    assert seen["client"] == "198.51.100.9"


def test_the_video_bound_per_address_can_be_raised_for_a_class_behind_one_router(monkeypatch):
    monkeypatch.delenv("VIDEO_MAX_PER_CLIENT", raising=False)
    assert fair_queue.long_limit("video") == 4
    monkeypatch.setenv("VIDEO_MAX_PER_CLIENT", "8")
    assert fair_queue.long_limit("video") == 8
    monkeypatch.setenv("VIDEO_MAX_PER_CLIENT", "eight")  # a typo keeps the default instead of breaking every search
    assert fair_queue.long_limit("video") == 4


def test_long_values_are_cut_wherever_they_are_echoed():
    from core.runtime.inputs import ECHO_CHARS, MAX_MESSAGE_CHARS, shorten_echoes

    huge = "resnet" + "x" * 600_000
    message = f"unknown model {huge!r}; valid names: a, b"
    short = shorten_echoes(message, {"model": huge, "nested": [[huge]]})
    assert len(short) < 100 and short.startswith("unknown model 'resnet") and short.endswith("valid names: a, b")
    assert shorten_echoes("x" * 5000, {}) == "x" * (MAX_MESSAGE_CHARS - 1) + "…"
    assert shorten_echoes("model 'abc' unknown", {"model": "abc"}) == "model 'abc' unknown"  # short values stay
    assert ECHO_CHARS == 40


def test_a_video_search_stops_at_its_wall_clock_cap():
    from core.video.decode import VideoInputError
    from core.video.service import deadline_progress

    calls = []
    report = deadline_progress(lambda *a, **k: calls.append(a), seconds=0.2)
    report(0.1, "keyframes")
    time.sleep(0.3)
    with pytest.raises(VideoInputError, match="stopped after") as exc:
        report(0.5, "OCR")
    assert "dừng sau" in exc.value.vi and calls == [(0.1, "keyframes")]


# --- the attacks, against a running app -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory):
    """APP_PROFILE=tiny with MCP, its own Gradio temp folder, and short limits: slow bodies refused after 2 s of
    grace, a video search stopped after VIDEO_CAP_S."""
    from tests.conftest import launch_app, stop_app

    tmp = tmp_path_factory.mktemp("guarded_app")
    (tmp / "gradio").mkdir()
    app = launch_app(
        tmp,
        APP_PROFILE="tiny",
        HF_HUB_OFFLINE="1",
        DL_MCP="1",
        GRADIO_TEMP_DIR=str(tmp / "gradio"),
        VIDEO_MAX_REQUEST_S=str(VIDEO_CAP_S),
        VIDEO_MAX_PER_CLIENT="2",  # the setting's path, and a small bound this test can fill
        FORWARDED_ALLOW_IPS="127.0.0.1",  # as uvicorn's default: a local proxy; 127.0.0.2 is "the internet"
        BODY_GRACE_S="2",
        BODY_IDLE_S="4",
    )
    app.temp = tmp / "gradio"
    yield app
    stop_app(app)


def mcp_call(app, calls, headers=None, source: str | None = None):
    """[(tool, arguments)] called in one MCP session (streamable HTTP on loopback); their CallToolResults.
    `source`: the local address to connect from (127.0.0.2 is another machine to a server that trusts only
    127.0.0.1's forwarding headers)."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    def client(headers=None, timeout=None, auth=None):
        transport = httpx.AsyncHTTPTransport(local_address=source) if source else None
        return httpx.AsyncClient(headers=headers, timeout=timeout, auth=auth, follow_redirects=True,
                                 transport=transport)  # fmt: skip

    async def main():
        url = f"{app.url}gradio_api/mcp/"
        async with streamablehttp_client(url, headers=headers or {}, httpx_client_factory=client) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return [await session.call_tool(name, args) for name, args in calls]

    return asyncio.run(main())


def text_of(result) -> str:
    return " ".join(c.text for c in result.content if c.type == "text")


def tree(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def data_url(data: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64," + base64.b64encode(data).decode()


def noisy_png(seed: int, side: int = 1000) -> bytes:
    """A PNG of random pixels (about 2.9 MB at 1000x1000): each one different, so nothing is deduplicated."""
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


@pytest.mark.server
def test_forty_refused_mcp_calls_leave_the_temp_folder_unchanged(guarded_app):
    """Hole: every data URL sent to an MCP tool was written to Gradio's temp folder before any check, also when
    the call was refused, and never removed (40 refused 2.9 MB calls left 116 MB)."""
    before = tree(guarded_app.temp)
    calls = []
    for i in range(40):  # refused by the endpoint (top_k), after the image was received; each image different
        calls.append(("classify_image", {"image": data_url(noisy_png(i, 1000 if i < 4 else 200)), "top_k": 0}))
    results = mcp_call(guarded_app, calls)
    assert all(r.isError and "top_k must be a whole number" in text_of(r) for r in results), text_of(results[0])
    assert len(data_url(noisy_png(0))) > 2_900_000
    # Answered calls clean up too, and a path or a web address is refused before anything is written.
    answered, path, web = mcp_call(
        guarded_app,
        [
            ("vqa_answer", {"image": data_url(VQA_IMAGE.read_bytes()), "question": "what shape is it?"}),
            ("vqa_answer", {"image": str(VQA_IMAGE), "question": "what shape?"}),
            ("vqa_answer", {"image": "http://127.0.0.1:9/x.png", "question": "what shape?"}),
        ],
    )
    assert not answered.isError and path.isError and web.isError
    assert tree(guarded_app.temp) == before
    assert guarded_app.alive()


@pytest.mark.server
def test_mcp_results_are_json_and_errors_echo_no_huge_value(guarded_app):
    """Hole: a 600 kB `model` came back whole in the error; results were Python repr text (single quotes, None)."""
    huge = "vit" + "x" * 600_000
    photo = data_url(VQA_IMAGE.read_bytes())
    results = mcp_call(
        guarded_app,
        [
            ("classify_image", {"image": photo, "model_a": huge}),  # refused by the schema's enum
            ("classify_image", {"image": photo, "top_k": huge}),  # by the schema's type
            ("model_status", {}),
        ],
    )
    for refused in results[:2]:
        assert refused.isError and len(text_of(refused)) < 2500 and "x" * 100 not in text_of(refused)
    status = json.loads(text_of(results[2]))
    assert status["models"] and status["notes"] == [] and isinstance(status["ms"], float)


ECHO_ENDPOINTS = {  # endpoint -> its data with HUGE where a name goes (the raw HTTP API: no schema in front)
    "classify_image": lambda img, huge: [img, huge, "", 5, "fp32", False, None],
    "classify_text": lambda img, huge: ["a rocket launch", huge, "", 3, False, None],
    "clip_zero_shot": lambda img, huge: [img, "cat, dog", "a photo of a {}.", huge, None],
    "vqa_answer": lambda img, huge: [img, "what shape?", "cnn_att", huge, None],
    "video_search": lambda img, huge: [img, "x", "ocr", huge, 5, "both", 2, 10, None],
    "layer_table": lambda img, huge: [huge, None],
    "caption": lambda img, huge: [img, huge, 1, 0.9, 1.0, 1, 1.0, 10, "", None],
}


@pytest.mark.server
def test_no_endpoint_echoes_a_huge_value(guarded_app):
    """The same 600 kB value in a name field of each endpoint, through the raw HTTP API: a short error each time."""
    huge = "m" + "x" * 600_000
    image = {"path": str(VQA_IMAGE)}
    for endpoint, data in ECHO_ENDPOINTS.items():
        text = call(guarded_app, endpoint, data(image, huge))
        assert "event: error" in text and len(text) < 3000 and "x" * 100 not in text, (endpoint, text[:300])


def call(app, api: str, data: list, headers: dict | None = None, timeout: float = 120) -> str:
    """POST /gradio_api/call/<api> and the text of its result stream (or the HTTP error)."""
    url = f"{app.url}gradio_api/call/{api}"
    response = httpx.post(url, json={"data": data}, headers=headers or {}, timeout=30)
    if response.status_code != 200:
        return f"HTTP {response.status_code} {response.text}"
    return httpx.get(f"{url}/{response.json()['event_id']}", timeout=timeout).text


@pytest.mark.server
def test_an_empty_session_id_is_a_400_without_a_traceback(guarded_app):
    """Hole: session_hash "" skipped the per-session bound and logged a 500 with a traceback each time."""
    config = httpx.get(f"{guarded_app.url}config", timeout=30).json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "model_status")
    log_before = guarded_app.log.read_text()
    for _ in range(3):
        body = {"data": [None], "fn_index": fn_index, "session_hash": ""}
        response = httpx.post(f"{guarded_app.url}gradio_api/queue/join", json=body, timeout=30)
        assert response.status_code == 400 and "session" in response.json()["detail"]
    time.sleep(0.5)
    assert "Traceback" not in guarded_app.log.read_text()[len(log_before) :]


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.server
def test_slow_uploads_are_timed_out(guarded_app):
    """Hole: uploads sent one byte every 2 s were never timed out (150 held open for 40 s, 323 file descriptors)."""
    fds_before = open_fds(guarded_app.proc.pid)
    host, port = guarded_app.url.split("//")[1].rstrip("/").split(":")
    head = (
        f"POST /gradio_api/upload HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        "Content-Length: 100000\r\n\r\n"
        '--b\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\n'
    ).encode()
    sockets = []
    for _ in range(20):
        s = socket.create_connection((host, int(port)), timeout=30)
        s.sendall(head)
        sockets.append(s)
    answers: list[bytes] = [b""] * len(sockets)
    start = time.monotonic()
    while time.monotonic() - start < 20 and not all(answers):  # one byte per socket every 2 s, as the attacker
        for i, s in enumerate(sockets):
            if answers[i]:
                continue
            try:
                s.sendall(b"x")
                s.settimeout(0.05)
                answers[i] = s.recv(4096) or b"closed"
            except TimeoutError:
                pass
            except OSError:
                answers[i] = b"closed"
        time.sleep(2)
    elapsed = time.monotonic() - start
    for s in sockets:
        s.close()
    assert all(a.startswith(b"HTTP/1.1 408") or a == b"closed" for a in answers), answers[:3]
    assert any(a.startswith(b"HTTP/1.1 408") for a in answers) and elapsed < 20
    time.sleep(1)
    assert open_fds(guarded_app.proc.pid) <= fds_before + 5
    # A normal upload still passes.
    with VQA_IMAGE.open("rb") as f:
        assert httpx.post(f"{guarded_app.url}gradio_api/upload", files={"files": f}, timeout=30).status_code == 200


def lecture_video(path: Path, scenes: int, seconds: float = 0.5, size: tuple[int, int] = (320, 180)) -> Path:
    """`scenes` slides of `seconds` each, each with its own words on screen (OCR reads every one); the first slide
    says when it was made, so no earlier run's index is reused."""
    from tests import video_samples as vs

    slides = [vs.Scene(seconds, (240, 240, 240), "", f"SLIDE {i} TOPIC {i * 7}") for i in range(scenes)]
    slides[0] = vs.Scene(seconds, (240, 240, 240), "", f"RUN {time.time_ns() % 10**9}")
    return vs.render(path, slides, size=size, fps=4)


@pytest.mark.server
def test_one_address_cannot_hold_the_video_slot_even_through_mcp(guarded_app, tmp_path):
    """Hole: one address had 9 long video searches accepted (about 130 s each); the class then read "8 requests are
    already waiting" for 19 minutes. MCP calls, each with a forged X-Forwarded-For, were each a new address."""
    # 6 minutes of 960x540 slides: OCR of its capped keyframes takes well over VIDEO_CAP_S even on a quiet machine
    # (there, at 320x180 the whole search took 2.5 s and at 640x360 3.2 s)
    long_video = lecture_video(tmp_path / "lecture.mp4", 720, size=(960, 540))
    short = lecture_video(tmp_path / "short.mp4", 4, 1.0)
    with long_video.open("rb") as f:
        (uploaded,) = httpx.post(f"{guarded_app.url}gradio_api/upload", files={"files": f}, timeout=60).json()
    with short.open("rb") as f:
        (short_uploaded,) = httpx.post(f"{guarded_app.url}gradio_api/upload", files={"files": f}, timeout=60).json()
    a = {"x-forwarded-for": "10.7.0.1"}  # uvicorn applies it from loopback: a second address for this test

    def search(path: str, interval: float) -> list:
        return [{"path": path}, "slide", "ocr", "clip_vit_b32_openai", 3, "uniform", interval, 10, "en"]

    url = f"{guarded_app.url}gradio_api/call/video_search"
    first = httpx.post(url, json={"data": search(uploaded, 0.5)}, headers=a, timeout=30).json()["event_id"]
    outcome: dict = {}

    def read_first():
        with httpx.stream("GET", f"{url}/{first}", timeout=120) as stream:
            outcome["first"] = "".join(stream.iter_text())

    reader = threading.Thread(target=read_first)
    reader.start()
    time.sleep(1.5)  # the first search is running: the slot is held
    # The same address: one more may wait, the next is refused.
    second = httpx.post(url, json={"data": search(short_uploaded, 2.0)}, headers=a, timeout=30)
    third = httpx.post(url, json={"data": search(short_uploaded, 3.0)}, headers=a, timeout=30)
    assert second.status_code == 200 and third.status_code == 503, third.text
    assert "Your address already has 2 requests running or waiting" in third.text
    assert f"at most {VIDEO_CAP_S / 60:g} minutes" in third.text

    # Three MCP callers from one address (127.0.0.2), each claiming another one: counted as one.
    clip = data_url(short.read_bytes(), "video/mp4")

    def mcp_search(i: int):
        arguments = {"video": clip, "query": "slide", "mode": "ocr", "keyframes": "uniform", "interval_s": 2.0 + i}
        forged = {"X-Forwarded-For": f"198.51.100.{i}"}
        return mcp_call(guarded_app, [("video_search", arguments)], headers=forged, source="127.0.0.2")[0]

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(mcp_search, range(3)))
    refused = [r for r in results if r.isError]
    assert len(refused) == 1 and "Your address already has 2 requests running or waiting" in text_of(refused[0])
    answered = [json.loads(text_of(r)) for r in results if not r.isError]
    assert len(answered) == 2 and all("moments" in r for r in answered)
    reader.join(120)
    # The long search was stopped at its cap, saying so.
    assert "event: error" in outcome["first"] and f"stopped after {VIDEO_CAP_S / 60:g} minutes" in outcome["first"]
    assert not any(name.startswith("mcp-") for name in tree(guarded_app.temp))  # each MCP call's file removed

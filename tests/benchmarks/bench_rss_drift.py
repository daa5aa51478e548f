"""Does a long-lived server's memory keep growing? RSS of one APP_PROFILE=tiny app (with MCP) across rounds of mixed
calls, then after a pause.

    python -m tests.benchmarks.bench_rss_drift [--rounds 6] [--per-round 50] [--pause 30] [--smoke]

Each round sends `per-round` calls in turn: the JSON API (classify_image, vqa_answer, classify_text,
clip_zero_shot, conv_arithmetic, model_status), MCP tool calls with a data-URL image, and refused calls (a bad
top_k through the API and through MCP). The first round loads every model; what follows it shows the trend: a
high-water mark stays flat after the first rounds (allocator arenas and caches filled once), a leak grows by about
the same amount every round. Prints RSS (VmRSS) and peak (VmHWM) after each round and after the pause. Not a timed
test; the tiny models' answers mean nothing, the allocations per call are the real code's.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import tempfile
import time
from pathlib import Path

from tests.conftest import REPO, launch_app, stop_app

PHOTO = REPO / "examples" / "images" / "ten_lua.jpg"
VQA_PHOTO = REPO / "examples" / "vqa" / "easy_vqa_test_0.png"


def vm_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def api_call(client, i: int) -> None:
    from gradio_client import handle_file

    kind = i % 7
    try:
        if kind == 0:
            client.predict(handle_file(str(PHOTO)), api_name="/classify_image")
        elif kind == 1:
            client.predict(handle_file(str(VQA_PHOTO)), "what color is the shape?", api_name="/vqa_answer")
        elif kind == 2:
            client.predict("The rocket reached orbit after launch.", api_name="/classify_text")
        elif kind == 3:
            client.predict(handle_file(str(PHOTO)), "rocket, dog, cat", api_name="/clip_zero_shot")
        elif kind == 4:
            client.predict("1 2 3\n4 5 6\n7 8 9", "1 0\n0 1", api_name="/conv_arithmetic")
        elif kind == 5:
            client.predict(api_name="/model_status")
        else:
            client.predict(handle_file(str(PHOTO)), "", "", 0, api_name="/classify_image")  # refused: top_k 0
    except Exception as exc:  # noqa: BLE001 (the refused call; any other error is printed)
        if "top_k" not in str(exc):
            print("unexpected:", str(exc)[:200])


def mcp_calls(url: str, count: int) -> int:
    """`count` MCP calls in one session, every third one refused; how many were answered."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    photo = "data:image/png;base64," + base64.b64encode(VQA_PHOTO.read_bytes()).decode()

    async def main():
        answered = 0
        async with streamablehttp_client(f"{url}gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                for i in range(count):
                    top_k = 0 if i % 3 == 2 else 3
                    result = await session.call_tool("classify_image", {"image": photo, "top_k": top_k})
                    answered += not result.isError
        return answered

    return asyncio.run(main())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=50)
    parser.add_argument("--pause", type=float, default=30.0)
    parser.add_argument("--smoke", action="store_true", help="2 rounds of 9 calls, 1 s pause: checks it still runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.per_round, args.pause = 2, 9, 1.0
    from gradio_client import Client

    with tempfile.TemporaryDirectory() as tmp:
        app = launch_app(Path(tmp), APP_PROFILE="tiny", HF_HUB_OFFLINE="1", DL_MCP="1")
        try:
            pid = app.proc.pid
            print(f"started: RSS {vm_mb(pid, 'VmRSS'):.0f} MB")
            client = Client(app.url, verbose=False)
            total = 0
            print("round  calls  RSS MB  peak MB  seconds")
            for r in range(args.rounds):
                start = time.monotonic()
                api_share = args.per_round * 2 // 3
                for i in range(api_share):
                    api_call(client, total + i)
                mcp_calls(app.url, args.per_round - api_share)
                total += args.per_round
                rss, peak = vm_mb(pid, "VmRSS"), vm_mb(pid, "VmHWM")
                print(f"{r + 1:5d}  {total:5d}  {rss:6.1f}  {peak:7.1f}  {time.monotonic() - start:7.1f}")
            time.sleep(args.pause)
            print(f"after a {args.pause:.0f} s pause: RSS {vm_mb(pid, 'VmRSS'):.0f} MB, peak {vm_mb(pid, 'VmHWM'):.0f}")
        finally:
            stop_app(app)


if __name__ == "__main__":
    main()

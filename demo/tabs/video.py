"""Tab "Video event search": find moments in a video by describing them or by the text on screen, and hear them.

Composes components only; indexing and search are core.video (PyAV, CLIP, RapidOCR, espeak-ng/gTTS).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from core.catalog import get_spec
from core.catalog.availability import Initial, runs_here, video_mode
from core.runtime.images import ImageInputError
from core.runtime.inputs import InputError
from core.runtime.messages import Bilingual, UserError, number_text
from core.video.search import looks_vietnamese
from core.video.service import CLIP_MODELS as CLIP
from core.video.service import deadline_progress, playable_copy
from demo.server import first_run
from demo.server.fair_queue import VIDEO_GROUP
from demo.server.gpu import gpu_task
from demo.server.limits import video_request_limit_s
from demo.tabs.clip import inline_note
from demo.ui.components import checked_choices
from demo.ui.course_panel import course_panel
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import lang_of, say, tr
from demo.ui.wiring import for_profile

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "video"
# Each example video with a query that finds something in it: first the one with captions on screen, which OCR
# search (all a machine without CLIP weights has) finds; then the film, whose rabbit only CLIP can see.
EXAMPLE_QUERIES = (("shapes_and_captions.mp4", "xin chào"), ("big_buck_bunny.mp4", "a rabbit on the grass"))
VOICES = ("auto", "vi", "en", "off")
# What report 001 (chapter 1.3 and 1.7: CLIP, RNN, zero-shot, ANN, OCR, gTTS) names, against what this tab builds.
# Its chapter 3 (the application and its results) is empty: there is no course number to show beside ours.
RECONSTRUCTION = Bilingual(
    "#### Report 001: event queries in video (a reconstruction)\n"
    "Report 001 names its tools in chapter 1 (sections 1.3 and 1.7); its chapter 3, which should build the "
    "application and give its results, is empty. So this tab is a reconstruction from those names, with no course "
    "number to compare.\n\n"
    "| report 001 names | here |\n| --- | --- |\n"
    "| CLIP (OpenAI) to match frames and text, zero-shot | built: keyframes encoded with CLIP ViT-B/32, searched by "
    "a text query |\n"
    "| OCR for text in the video | built: RapidOCR on the keyframes, fuzzy text search |\n"
    "| gTTS to speak a summary of the events | built: gTTS when online, espeak-ng offline |\n"
    '| RNN (LSTM/GRU) for the sequence of events over time | **not built**: "A then B" is a rule over the '
    "found moments' times, not a trained recurrent model |\n"
    "| ANN (feed-forward network) to classify events | **not built**: no event classes, no trained classifier |\n"
    '\nSource: report 001, chapter 1 (1.3 "Phạm vi nghiên cứu", 1.7 tools) and chapter 3 (empty).',
    "#### Báo cáo 001: truy vấn sự kiện trong video (bản dựng lại)\n"
    "Báo cáo 001 nêu các công cụ ở chương 1 (mục 1.3 và 1.7); chương 3, lẽ ra xây dựng ứng dụng và đưa kết quả, "
    "để trống. Vì vậy tab này là bản dựng lại từ các tên đó, không có số liệu nào của môn học để so.\n\n"
    "| báo cáo 001 nêu | ở đây |\n| --- | --- |\n"
    "| CLIP (OpenAI) so khớp khung hình với văn bản, zero-shot | đã dựng: khung hình chính mã hoá bằng CLIP "
    "ViT-B/32, tìm bằng câu truy vấn |\n"
    "| OCR đọc chữ trong video | đã dựng: RapidOCR trên khung hình chính, tìm chữ gần đúng |\n"
    "| gTTS đọc tóm tắt sự kiện | đã dựng: gTTS khi có mạng, espeak-ng khi không có mạng |\n"
    "| RNN (LSTM/GRU) cho chuỗi sự kiện theo thời gian | **chưa dựng**: “A rồi B” là một quy tắc trên thời điểm "
    "của các khoảnh khắc tìm được, không phải mô hình hồi tiếp đã huấn luyện |\n"
    "| ANN (mạng truyền thẳng) phân loại sự kiện | **chưa dựng**: không có lớp sự kiện, không có bộ phân loại |\n"
    "\nNguồn: báo cáo 001, chương 1 (1.3 “Phạm vi nghiên cứu”, 1.7 công cụ) và chương 3 (trống).",
)
PLAYER_ID = "video_search_player"
PREVIEW_ID = "video_search_preview"
# Seek the player to the chosen moment and play it (the browser does this; the server only sends the time). The
# H.264 preview, when an upload needed one, is the player; otherwise the upload itself.
SEEK_JS = f"""(t) => {{
  const v = document.querySelector('#{PREVIEW_ID} video') || document.querySelector('#{PLAYER_ID} video');
  if (v && t !== null && t !== undefined) {{ v.currentTime = t; v.play().catch(() => {{}}); }}
  return [];
}}"""


def build_video_tab(profile: str) -> None:
    _intro(profile)
    with gr.Row():
        query = _query_box()
        video, preview, examples = _video_column(query)
        ui = _query_column(query)
    # Without CLIP weights the tab opens on OCR search, which runs offline (RapidOCR ships its models), and says why.
    first_run.on_page_load(for_profile(page_load, profile), [ui.mode, ui.model, ui.clip_note])
    gallery, summary, audio, details, seek, moments = _results()
    inputs = [video, ui.query, ui.mode, ui.model, ui.top_k, ui.keyframes, ui.interval, ui.window, ui.voice]
    # gr.Video's data model makes Gradio refuse a path sent without its FileData `meta` tag, and one with the tag
    # unless it lies in the upload folder; run_search checks the path again with core.runtime.uploads (the same gate as
    # images) before anything opens it. gr.Video's preprocess (format=None) passes the path through unconverted.
    # Indexing a long video can take minutes: it has its own slot, so image, text and CLIP requests do not wait.
    outputs = [gallery, summary, audio, details, moments, preview]
    event = gpu_task(for_profile(search, profile))
    # A failed search (its error stays on screen) empties the results: the previous video's or query's moments
    # under the error read as this search's answer.
    failed = dict(fn=clear_results, outputs=outputs, api_visibility="private", queue=False, show_progress="hidden")
    ui.run.click(event, inputs, outputs, api_visibility="private", **VIDEO_GROUP).failure(**failed)
    ui.query.submit(event, inputs, outputs, api_visibility="private", **VIDEO_GROUP).failure(**failed)
    # A new upload: the old moments, summary and preview belonged to the previous video. `input` (the visitor's own
    # upload or clear), not `change`: an example fires that too, and its clearing could arrive after the example's
    # search (a cached index answers in milliseconds) and wipe the results; the search replaces them all anyway.
    # A file that is no video is taken out of the player at once (it showed "0:00 / NaN:NaN"), and said why.
    # always_last: an upload right after a clear must still be checked (Gradio's default, "once", dropped it).
    video.input(new_video, [video], [video, *outputs], api_visibility="private", queue=False,
                trigger_mode="always_last")  # fmt: skip
    # An example fills the video and its query, then searches at once, in the video slot like the button.
    # Chained here, not gr.Examples(run_on_click=True): that event would skip the video's concurrency group and
    # stay callable through the API.
    examples.load_input_event.then(event, inputs, outputs, api_visibility="private", **VIDEO_GROUP).failure(**failed)
    course_panel("video", [], profile, extra=(RECONSTRUCTION,))
    gallery.select(play_from, [moments], [seek], api_visibility="private").then(
        None, [seek], None, js=SEEK_JS, api_visibility="private"
    )


def _intro(profile: str) -> None:
    """What the tab does; a note when CLIP is random."""
    gr.Markdown(
        tr(
            "video.intro",
            "### Tìm sự kiện trong video\n"
            "Tải lên một video (mp4, webm, mov, avi) rồi mô tả khoảnh khắc cần tìm. Video được giải mã từng khung "
            "hình; các khung hình chính (lấy mẫu đều và/hoặc ranh giới cảnh theo histogram màu) được mã hoá bằng "
            "CLIP và đọc chữ bằng OCR, rồi lưu vào bộ đệm trên đĩa: câu hỏi thứ hai không phải mã hoá lại. "
            "Viết “A rồi B” để tìm B xảy ra ngay sau A.\n\n"
            "Đây là **bản dựng lại** hệ thống của báo cáo 001 (truy vấn sự kiện trong video), không phải bản sao: "
            "chương 3 của báo cáo (xây dựng ứng dụng và kết quả) để trống, nên không có mã hay số liệu nào để so. "
            "Mục “Môn học và ở đây” bên dưới liệt kê phần nào đã dựng và phần nào chưa.",
            "### Video event search\n"
            "Upload a video (mp4, webm, mov, avi) and describe the moment you are looking for. The video is decoded "
            "frame by frame; keyframes (uniform sampling and/or shot boundaries from colour histograms) are encoded "
            "with CLIP and read with OCR, and cached on disk: a second query does not encode again. "
            'Write "A then B" to find B happening shortly after A.\n\n'
            "This is a **reconstruction** of report 001's system (event queries in video), not a copy: the report's "
            "chapter 3 (building the application, results) is empty, so there is no code or number to compare with. "
            '"Course vs here" below lists what is built and what is not.',
        )
    )
    if profile != "default":
        gr.Markdown(
            tr(
                f"video.profile_note.{profile}",
                f"**Mô hình thử ({profile})**: CLIP là bản khởi tạo ngẫu nhiên nên điểm hình ảnh không có ý nghĩa; "
                "OCR vẫn là mô hình thật.",
                f"**Test models ({profile})**: CLIP is random-initialised, so image scores are meaningless; OCR is the "
                "real model.",
            )
        )


def _video_column(query: gr.Textbox) -> tuple:
    """The upload, its H.264 preview (shown when the browser cannot play the original) and the examples."""
    with gr.Column(scale=3):
        video = gr.Video(
            label=tr("video.video", "Tệp video", "Video"), sources=["upload"], height=340, elem_id=PLAYER_ID
        )
        preview = gr.Video(
            label=tr(
                "video.preview",
                "Bản xem trước H.264 (trình duyệt không phát được tệp gốc)",
                "H.264 preview (browsers cannot play the original)",
            ),
            interactive=False,
            visible=False,
            height=240,
            elem_id=PREVIEW_ID,
        )
        examples = gr.Examples(
            [[str(EXAMPLES / name), query] for name, query in EXAMPLE_QUERIES],
            inputs=[video, query],
            visible_columns=[0],  # the videos; each brings its query
            label=tr("video.examples", "Video ví dụ (bấm để tìm)", "Example videos (click to search)"),
            api_visibility="private",
        )
    return video, preview, examples


def _query_box() -> gr.Textbox:
    """Created before the video column, drawn in the query column: an example sets the video and its query."""
    return gr.Textbox(
        label=tr("video.query", "Tìm gì?", "What to find"),
        placeholder=tr(
            "video.query_placeholder",
            "ví dụ: một con thỏ trên bãi cỏ · xin chào · hình tròn rồi hình vuông",
            "e.g. a rabbit on the grass · xin chao · a circle then a square",
        ),
        max_lines=2,
        render=False,
    )


def _query_column(query: gr.Textbox) -> SimpleNamespace:
    """The query, search mode, CLIP model, settings, the voice and the Search button."""
    with gr.Column(scale=2):
        query.render()
        mode = gr.Radio(
            mode_choices(),
            value="combined",
            label=tr("video.mode", "Cách tìm", "Search by"),
        )
        clip_note = gr.Markdown(visible=False)  # page_load: why the CLIP modes or a CLIP model are not offered
        model = gr.Dropdown(
            [
                (tr("video.model_en", "CLIP ViT-B/32 (câu hỏi tiếng Anh)", "CLIP ViT-B/32 (English)"), CLIP[0]),
                (
                    tr(
                        "video.model_multi",
                        "CLIP đa ngôn ngữ (câu hỏi tiếng Việt)",
                        "Multilingual CLIP (Vietnamese)",
                    ),
                    CLIP[1],
                ),
            ],
            value=CLIP[0],
            label=tr("video.model", "Mô hình CLIP", "CLIP model"),
        )
        with gr.Accordion(tr("video.settings", "Tuỳ chọn", "Settings"), open=False):
            top_k = gr.Slider(1, 12, value=5, step=1, label=tr("video.top_k", "Số khoảnh khắc", "Moments"))
            keyframes = gr.Radio(
                [
                    (tr("video.kf_both", "Đều + ranh giới cảnh", "Uniform + shot cuts"), "both"),
                    (tr("video.kf_uniform", "Lấy mẫu đều", "Uniform"), "uniform"),
                    (tr("video.kf_shots", "Ranh giới cảnh", "Shot cuts"), "shots"),
                ],
                value="both",
                label=tr("video.kf", "Khung hình chính", "Keyframes"),
            )
            interval = gr.Slider(
                0.5, 10, value=2.0, step=0.5, label=tr("video.interval", "Khoảng lấy mẫu (giây)", "Interval (s)")
            )
            window = gr.Slider(
                1,
                60,
                value=10,
                step=1,
                label=tr("video.window", "Cửa sổ “A rồi B” (giây)", '"A then B" window (s)'),
            )
        voice = gr.Radio(
            [
                (tr("video.voice_page", "Theo ngôn ngữ trang", "Page language"), "auto"),
                ("Tiếng Việt", "vi"),
                ("English", "en"),
                (tr("video.voice_off", "Tắt", "Off"), "off"),
            ],
            value="auto",
            label=tr("video.voice", "Đọc kết quả", "Spoken summary"),
        )
        run = gr.Button(tr("video.run", "Tìm", "Search"), variant="primary")
    return SimpleNamespace(**locals())  # the components, by name


def _results() -> tuple:
    """The moments, the summary, its audio, the JSON details, and the hidden seek time and moment times."""
    gallery = gr.Gallery(
        label=tr("video.moments", "Khoảnh khắc (bấm để phát từ đó)", "Moments (click to play from there)"),
        columns=5,
        height=270,
        object_fit="contain",
        allow_preview=False,
        fit_columns=False,  # two moments stay thumbnails: stretched to the full width they were cut off at the top
    )
    summary = gr.Markdown()
    audio = gr.Audio(label=tr("video.audio", "Tóm tắt bằng giọng nói", "Spoken summary"), type="filepath")
    with gr.Accordion(tr("video.details", "Chi tiết (JSON)", "Details (JSON)"), open=False):
        details = gr.JSON()
    seek = gr.Number(visible=False)
    moments = gr.State([])
    return gallery, summary, audio, details, seek, moments


# --- handlers: plain values in and out; tests call them directly ----------------------------------------------------


def page_load(request: gr.Request | None = None, *, profile: str) -> list:
    """The search mode, the CLIP model and the note: only what can run here is offered.

    No CLIP here: OCR search (core.catalog.availability.video_mode) the only mode offered, the model list hidden, and a
    note saying why and how the instructor gets CLIP. One of the two CLIPs here: that one, fixed, and a note naming the
    other."""
    ready = clip_here(profile)
    if not ready:
        mode = gr.update(choices=mode_choices(clip=False), value=video_mode(profile))
        model = gr.update(value=CLIP[0], visible=False)
    else:
        mode = gr.update(choices=mode_choices(), value=video_mode(profile))
        model = gr.update(value=ready[0], visible=True, interactive=len(ready) == len(CLIP))
    return [mode, model, first_run.note_update(request, Initial(ready or CLIP[:1], clip_note(ready)))]


def mode_choices(clip: bool = True) -> list[tuple]:
    """The search modes, labelled in the page's language; without CLIP only the text on screen (OCR)."""
    ocr = (tr("video.mode_ocr", "Chữ trên màn hình (OCR)", "Text on screen (OCR)"), "ocr")
    if not clip:
        return [ocr]
    return [
        (tr("video.mode_clip", "Hình ảnh (CLIP)", "Picture (CLIP)"), "clip"),
        ocr,
        (tr("video.mode_combined", "Kết hợp cả hai", "Both, fused"), "combined"),
    ]


def clip_here(profile: str) -> tuple[str, ...]:
    """The video tab's CLIP models that can run on this machine now (files on disk; nothing is loaded)."""
    return tuple(name for name in CLIP if runs_here(name, profile))


def clip_note(ready: tuple[str, ...]) -> Bilingual | None:
    """Why the tab offers less than both CLIPs, in words for the class (the commands are in the Status tab)."""
    if len(ready) == len(CLIP):
        return None
    if not ready:
        sizes = [getattr(w, "size_mb", None) for w in get_spec(CLIP[0]).weights]
        mb = next((s for s in sizes if s), None)
        size_en, size_vi = (f"about {mb:.0f} MB, ", f"khoảng {mb:.0f} MB, ") if mb else ("", "")
        return Bilingual(
            "Searching by picture (CLIP) needs the CLIP model's weights, which this machine does not have yet: this "
            f"tab searches the text on screen (OCR) only. The instructor downloads CLIP once ({size_en}needs "
            "network); the Model status tab says how. Reload the page afterwards.",
            "Tìm theo hình ảnh (CLIP) cần trọng số CLIP mà máy này chưa có: thẻ này chỉ tìm theo chữ trên màn hình "
            f"(OCR). Giảng viên tải CLIP về một lần ({size_vi}cần mạng); thẻ Trạng thái mô hình cho biết cách làm. "
            "Sau đó hãy tải lại trang.",
        )
    here, missing = get_spec(ready[0]).display_name, get_spec(next(n for n in CLIP if n not in ready)).display_name
    return Bilingual(
        f"{missing} has no weights on this machine: searching by picture uses {here}. The Model status tab says "
        "how the instructor gets the other.",
        f"Máy này chưa có trọng số của {missing}: tìm theo hình ảnh dùng {here}. Thẻ Trạng thái mô hình cho biết "
        "cách giảng viên có mô hình còn lại.",
    )


@shows_user_errors
def search(
    payload,
    text,
    mode_,
    model_,
    k,
    kf_mode,
    interval_s,
    window_s,
    voice_,
    request: gr.Request = None,
    progress=gr.Progress(),  # noqa: B008 (Gradio's idiom)
    *,
    profile: str,
):
    """The moments (thumbnail, caption), the summary, its audio, the JSON, the moments' times and the preview."""
    missing = _missing(payload, text)
    if missing:  # said where the results go: a missing input is no error (no toast, no red badges)
        return [], inline_note(request, *missing), None, None, [], gr.update(value=None, visible=False)
    options = (payload, text, mode_, model_, k, kf_mode, interval_s, window_s)
    (voice_,) = checked_choices((voice_, VOICES, ("The spoken summary", "Đọc kết quả")))
    _language_advice(text, mode_, model_, profile, request)
    # At most VIDEO_MAX_REQUEST_S of the single video slot per search, as for the API (demo/server/limits.py).
    path, result = run_search(
        *options, profile=profile, request=request, progress=deadline_progress(progress, video_request_limit_s())
    )
    data = result.as_dict()
    lang = lang_of(request) if voice_ in ("auto", "off") else voice_
    spoken = spoken_summary(result, text, lang)
    items = [(result.index.image_path(m.keyframe), _caption(m)) for m in result.moments]
    speech = _speak(spoken, lang, request) if voice_ != "off" and result.moments else None
    notes = "".join(f"\n\n> {say(request, vi, en)}" for vi, en in result.index.notes)
    if not result.moments and result.mode == "ocr":
        notes += "\n\n> " + say(
            request,
            "Chỉ tìm theo chữ trên màn hình (OCR), và không khung hình chính nào có dòng chữ này. Muốn tìm theo hình "
            "ảnh thì cần CLIP (thẻ Trạng thái mô hình cho biết cách có trọng số).",
            "Only the text on screen was searched (OCR), and no keyframe shows this text. Searching what is seen "
            "needs CLIP (the Model status tab says how to get its weights).",
        )
    times = [m.time_s for m in result.moments]
    copy = playable_copy(path, result.index)
    shown = gr.update(value=copy, visible=True) if copy else gr.update(value=None, visible=False)
    return items, f"{spoken}{_cache_line(result, request)}{notes}", speech, data, times, shown


def _language_advice(text, mode_, model_, profile: str, request) -> None:
    """A Vietnamese query for the English CLIP: a warning that points only to what runs here (the multilingual CLIP
    when its weights are here, else an English query or OCR). Nothing when that CLIP cannot run: the search says so."""
    vietnamese = looks_vietnamese(text if isinstance(text, str) else "")
    if mode_ == "ocr" or model_ != CLIP[0] or not vietnamese or not runs_here(CLIP[0], profile):
        return
    if runs_here(CLIP[1], profile):
        gr.Warning(say(request, "CLIP tiếng Anh hiểu câu tiếng Việt rất kém: hãy chọn “CLIP đa ngôn ngữ”.",
                       "The English CLIP understands Vietnamese poorly: choose the multilingual CLIP."))  # fmt: skip
        return
    gr.Warning(
        say(
            request,
            "CLIP tiếng Anh hiểu câu tiếng Việt rất kém: hãy viết câu truy vấn bằng tiếng Anh, hoặc tìm theo chữ trên "
            "màn hình (OCR).",
            "The English CLIP understands Vietnamese poorly: write the query in English, or search the text on "
            "screen (OCR).",
        )
    )


# Said as "**title.** message" (demo.tabs.clip.inline_note): a title that is a statement, not a question.
NO_VIDEO = (Bilingual("No video", "Chưa có video"),
            Bilingual("Upload a video or pick an example.", "Hãy tải video lên hoặc chọn video ví dụ."))  # fmt: skip
NO_QUERY = (
    Bilingual("No query", "Chưa có câu truy vấn"),
    Bilingual(
        "Describe the moment, or type the text on screen to find.",
        "Hãy mô tả khoảnh khắc, hoặc gõ dòng chữ trên màn hình cần tìm.",
    ),
)


def _missing(payload, text) -> tuple | None:
    """(title, message) when the video or the query is missing; None when both are there."""
    path = payload.get("path") if isinstance(payload, dict) else payload
    if not path:
        return NO_VIDEO
    if isinstance(text, str) and not text.strip():
        return NO_QUERY
    return None


def play_from(times, evt: gr.SelectData):
    """The time of the clicked moment (the browser seeks the player there: SEEK_JS)."""
    return times[evt.index] if times and 0 <= evt.index < len(times) else None


def new_video(payload, request: gr.Request = None) -> tuple:
    """The visitor's upload (or clear): no results from before; a file that cannot be read as a video leaves the
    player, with the reason where the results go (a metadata read: no frame is decoded)."""
    from core.runtime.uploads import checked_upload
    from core.video.decode import VideoInputError, probe

    path = payload.get("path") if isinstance(payload, dict) else payload
    cleared = clear_results()
    if not path:
        return gr.update(), *cleared
    try:
        probe(checked_upload(path))
    except UserError as exc:  # core.runtime.uploads' refusal or core.video.decode's, said for a video
        note = inline_note(request, VideoInputError.title, exc)
        return gr.update(value=None), cleared[0], note, *cleared[2:]
    return gr.update(), *cleared


def clear_results() -> tuple:
    """A new upload or a failed search: no moments, summary, audio, details or preview from before."""
    return [], "", None, None, [], gr.update(value=None, visible=False)


# --- what the handler and the public API (demo/api.py) share ---------------------------------------------------------


def run_search(payload, text, mode, model, k, kf_mode, interval_s, window_s, *, profile, request, progress):
    """Check the upload and the options, then index (cached) and search: (the checked path, core's result)."""
    from core.catalog.weights import WeightsUnavailable
    from core.runtime.uploads import checked_upload
    from core.video.decode import VideoInputError
    from core.video.service import checked_options, video_search

    path = payload.get("path") if isinstance(payload, dict) else payload
    if not path:
        raise VideoInputError("Upload a video first.", "Hãy tải video lên trước.")
    try:
        path = str(checked_upload(path))  # an upload or an example, a regular file, under the size limit
    except ImageInputError as exc:  # core.runtime.uploads' refusal (the same for every path), titled for a video here
        raise VideoInputError(str(exc), exc.vi) from exc
    options = checked_options(text, mode, model, k, kf_mode, interval_s, window_s)
    if not options.query:
        raise InputError(str(NO_QUERY[1]), NO_QUERY[1].vi, title=NO_QUERY[0])
    report = lambda f, m: progress(f, desc=_progress_text(m, request))  # noqa: E731
    common = dict(clip_name=options.clip_name, profile=profile, params=options.params, top_k=options.top_k,
                  window_s=options.window_s)  # fmt: skip
    try:
        return path, video_search(path, options.query, mode=options.mode, progress=report, **common)
    except WeightsUnavailable as exc:  # "both" still answers from the text on screen
        if options.mode != "combined":
            # Said without core's reasons and commands (cache paths, prefetch lines): the Status tab has those.
            raise UserError(
                "No CLIP weights on this machine: search by text on screen (OCR) instead. The Model status tab says "
                "how to get them.",
                "Máy này chưa có trọng số CLIP: hãy tìm theo chữ trên màn hình (OCR). Thẻ Trạng thái mô hình cho biết "
                "cách có trọng số.",
                title=exc.title,
            ) from exc
        gr.Warning(say(request, "Chưa có trọng số CLIP trên máy này: chỉ tìm theo chữ trên màn hình (OCR).",
                       "No CLIP weights on this machine: searching the text on screen (OCR) only."))  # fmt: skip
        return path, video_search(path, options.query, mode="ocr", progress=report, **common)


# core.video names its indexing stages in English; the progress bar is UI text, so a Vietnamese page shows these.
PROGRESS_VI = {"hashing": "đang tính mã băm của tệp", "CLIP": "mã hoá CLIP", "OCR": "đọc chữ (OCR)", "ready": "xong"}


def _progress_text(message: str, request) -> str:
    count, _, rest = message.partition(" ")
    vi = f"{count} khung hình chính" if rest == "keyframes" else PROGRESS_VI.get(message, message)
    return say(request, vi, message)


def spoken_summary(result, text: str, lang: str) -> str:
    """The one-paragraph summary (spoken by the tab, returned by /video_search) in `lang`."""
    from core.video.speech import summary_text

    return summary_text(" ".join(text.split())[:200], result.moments, lang, result.parts)


def _speak(text: str, lang: str, request):
    from core.video.speech import SpeechUnavailable, synthesize

    try:
        return synthesize(text, lang).path
    except SpeechUnavailable as exc:  # the moments stand without the voice: a warning, not an error
        gr.Warning(localized(request, exc))
        return None


def _caption(m) -> str:
    when = m.timestamp if m.end_s is None else f"{m.timestamp} → {m.end_s:.1f}s"
    words = f" · {m.ocr_text[:40]}" if m.ocr_text else ""
    return f"{when} · {m.score:.3f}{words}"


def _cache_line(result, request) -> str:
    hit = all(result.index.cached.values())
    t = result.timings_ms
    if hit:
        return say(
            request,
            f"\n\n*Chỉ mục lấy từ bộ đệm · truy vấn {t['query']:.0f} ms.*",
            f"\n\n*Index from cache · query {t['query']:.0f} ms.*",
        )
    n = len(result.index.keyframes)
    return say(
        request,
        f"\n\n*Đã lập chỉ mục {n} khung hình chính trong {number_text(t['index'] / 1000, 1).vi} s · truy vấn "
        f"{number_text(t['query']).vi} ms.*",
        f"\n\n*Indexed {n} keyframes in {t['index'] / 1000:.1f} s · query {t['query']:.0f} ms.*",
    )

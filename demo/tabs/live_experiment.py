"""The live tab's class experiment: the instructor opens it, each student submits one value, everybody watches the
same chart fill in (core.training.experiment does the work; this module only shows it)."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import gradio as gr

from core.training.experiment import MODELS, VARIABLES, allowed_values, format_value
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import lang_of, say, tr
from demo.ui.wiring import for_profile

REFRESH_EVERY_S = 3  # how often each open page asks for the shared view (a dictionary read; a chart only when new)
_CHART_CACHE: dict = {}  # (what the chart shows, the visitor's own run, language) -> image; a few kept
_CHART_LOCK = threading.Lock()
TINY_SAMPLES = 500  # under the tiny profile (tests, demos without weights) runs are shorter still


def build_experiment_section(profile: str) -> None:
    with gr.Accordion(tr("exp.title", "Thí nghiệm cả lớp", "Class experiment"), open=True):
        gr.Markdown(
            tr(
                "exp.intro",
                "Cả lớp cùng làm một thí nghiệm: giảng viên cố định mô hình, dữ liệu và ngân sách (1 epoch trên 1.500 "
                "ảnh Fashion-MNIST, chấm trên 1.000 ảnh kiểm tra) và để **một** thiết lập tự do. Mỗi bạn gửi **một** "
                "giá trị; các lượt chạy lần lượt theo hàng đợi, mỗi lượt vài giây. Mọi người thấy cùng một biểu đồ: "
                "đường mất mát của mọi lượt (của bạn tô đỏ) và độ chính xác theo giá trị đã chọn. Lượt đã gửi thuộc "
                "về hàng đợi của máy chủ: **đóng tab thì lượt của bạn vẫn chạy** và vẫn hiện trên biểu đồ (chỉ không "
                "còn tô đỏ ở tab mới). Nếu ứng dụng khởi động lại, bảng các lượt đã xong được giữ lại; lượt chưa "
                "xong thì mất, hãy gửi lại.",
                "The whole class runs one experiment: the instructor fixes the model, the data and the budget (1 "
                "epoch on 1,500 Fashion-MNIST images, scored on 1,000 test images) and leaves **one** setting free. "
                "Each student submits **one** value; runs train one after another in a queue, a few seconds each. "
                "Everybody sees the same chart: every run's loss curve (yours in red) and accuracy against the chosen "
                "value. A submitted run belongs to the server's queue: **if you close this tab your run still "
                "trains** and appears in the chart (a new tab just no longer shows it in red). If the app restarts, "
                "the finished runs' table is kept; unfinished runs are lost, submit again.",
            )
        )
        with gr.Row():
            value = gr.Textbox(
                label=tr("exp.value", "Giá trị của bạn", "Your value"),
                placeholder="0.001",
                max_lines=1,
                elem_id="exp_value",
            )
            who = gr.Textbox(label=tr("exp.who", "Tên bạn (mọi người thấy)", "Your name (everyone sees it)"),
                             max_lines=1, elem_id="exp_who")  # fmt: skip
            submit = gr.Button(tr("exp.submit", "Gửi giá trị", "Submit value"), variant="primary", elem_id="exp_submit")
        mine = gr.Markdown(elem_id="exp_mine")
        board = gr.Markdown(elem_id="exp_board")
        chart = gr.Image(
            label=tr("exp.chart", "Biểu đồ chung của lớp", "The class's shared chart"),
            type="pil",
            interactive=False,
            elem_id="exp_chart",
            buttons=[],
            visible=False,  # shown once an experiment is open: no empty frame before
        )
        table = gr.Markdown(elem_id="exp_table")
        with gr.Accordion(tr("exp.instructor", "Dành cho giảng viên", "For the instructor"), open=False):
            gr.Markdown(
                tr(
                    "exp.instructor_help",
                    "Người mở thí nghiệm là giảng viên của nó (chỉ phiên trình duyệt đó đóng, đặt lại hay xuất được). "
                    "Nếu máy chủ đặt mã giảng viên thì cần mã để mở, và ai có mã đều quản lý được. Mỗi lúc chỉ một "
                    "thí nghiệm.",
                    "Whoever opens the experiment is its instructor (only that browser session can close, reset or "
                    "export it). If the server sets an instructor key, opening needs it, and anyone with it can "
                    "manage the experiment. One experiment at a time.",
                )
            )
            with gr.Row():
                variable = gr.Dropdown(
                    [(f"{k}: {v.name.vi}", k) for k, v in VARIABLES.items()],
                    value="lr",
                    label=tr("exp.variable", "Thiết lập tự do", "The free setting"),
                )  # fmt: skip
                model = gr.Dropdown(list(MODELS), value="simple_cnn", label=tr("exp.model", "Mô hình", "Model"))
                key = gr.Textbox(label=tr("exp.key", "Mã giảng viên (nếu có)", "Instructor key (if any)"),
                                 type="password", max_lines=1)  # fmt: skip
            with gr.Row():
                open_btn = gr.Button(tr("exp.open", "Mở thí nghiệm", "Open experiment"), elem_id="exp_open")
                close_btn = gr.Button(tr("exp.close", "Đóng (không nhận thêm)", "Close (no more submissions)"))
                reset_btn = gr.Button(tr("exp.reset", "Đặt lại (xoá bảng)", "Reset (clear the table)"), variant="stop")
                csv_btn = gr.Button(tr("exp.csv", "Xuất bảng (CSV)", "Export table (CSV)"))
                png_btn = gr.Button(tr("exp.png", "Xuất biểu đồ (PNG)", "Export chart (PNG)"))
            admin = gr.Markdown()
            download = gr.File(
                label=tr("exp.download", "Tệp xuất", "Exported file"), interactive=False, elem_id="exp_download"
            )
    seen = gr.State(None)
    timer = gr.Timer(REFRESH_EVERY_S)
    view = [seen, mine, board, chart, table]
    hidden = {"api_visibility": "private", "show_progress": "hidden"}

    # The actions go through the queue (a failed one shows its error as a toast in the visitor's language); the
    # view's refresh is a dictionary read and a cached image, so it skips the queue.
    submit.click(submit_value, [value, who], mine, api_visibility="private").then(
        refresh, seen, view, queue=False, **hidden
    )
    open_btn.click(for_profile(open_experiment, profile), [variable, model, key], admin,
                   api_visibility="private").then(refresh, seen, view, queue=False, **hidden)  # fmt: skip
    close_btn.click(close_experiment, key, admin, api_visibility="private").then(
        refresh, seen, view, queue=False, **hidden
    )
    reset_btn.click(reset_experiment, key, admin, api_visibility="private").then(
        refresh, seen, view, queue=False, **hidden
    )
    csv_btn.click(export_csv, key, download, api_visibility="private")
    png_btn.click(export_png, key, download, api_visibility="private")
    timer.tick(refresh, seen, view, queue=False, **hidden)


def _owner(request) -> str | None:
    return getattr(request, "session_hash", None)


@shows_user_errors
def submit_value(raw, person, request: gr.Request | None = None) -> str:
    from core.training.experiment import hub

    run = hub().submit(raw, owner=_owner(request), who=person)
    return say(
        request,
        f"Đã nhận giá trị **{format_value(run.value, 'vi')}** (lượt #{run.id}).",
        f"Got your value **{format_value(run.value)}** (run #{run.id}).",
    )


@shows_user_errors
def open_experiment(variable, model, key, request: gr.Request | None = None, *, profile: str) -> str:
    from core.training.experiment import hub

    tiny = profile == "tiny"
    extra = {"train_samples": TINY_SAMPLES, "test_samples": TINY_SAMPLES} if tiny else {}
    exp = hub().open(variable, model, owner=_owner(request), key=key, tiny=tiny, **extra)
    name = exp.var.name.vi if lang_of(request) == "vi" else str(exp.var.name)
    return say(
        request,
        f"Đã mở thí nghiệm về **{name}**. Học viên gửi giá trị ở ô phía trên.",
        f"Opened an experiment on the **{name}**. Students submit their values in the box above.",
    )


@shows_user_errors
def close_experiment(key, request: gr.Request | None = None) -> str:
    from core.training.experiment import hub

    hub().close(owner=_owner(request), key=key)
    return say(
        request,
        "Đã đóng: không nhận thêm giá trị; các lượt đang chờ vẫn chạy cho xong.",
        "Closed: no more submissions; the runs already queued still train.",
    )


@shows_user_errors
def reset_experiment(key, request: gr.Request | None = None) -> str:
    from core.training.experiment import hub

    n = hub().reset(owner=_owner(request), key=key)
    return say(
        request,
        f"Đã đặt lại: bỏ {n} lượt (lượt đang chờ bị huỷ). Có thể mở thí nghiệm mới.",
        f"Reset: {n} runs forgotten (queued ones dropped). A new experiment can be opened.",
    )


def _export_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="experiment_export_"))


@shows_user_errors
def export_csv(key, request: gr.Request | None = None) -> str:
    from core.training.experiment import hub

    h = hub()
    exp = h.exportable(_owner(request), key)
    path = _export_dir() / f"experiment_{exp.id}_{exp.variable}.csv"
    path.write_text(h.csv_text(), encoding="utf-8")
    return str(path)


@shows_user_errors
def export_png(key, request: gr.Request | None = None) -> str:
    from core.training.experiment import draw_chart, hub

    h = hub()
    exp = h.exportable(_owner(request), key)
    _, snap, _ = h.snapshot()
    path = _export_dir() / f"experiment_{exp.id}_{exp.variable}.png"
    draw_chart(snap, None, lang_of(request)).save(path)
    return str(path)


def refresh(seen, request: gr.Request | None = None):
    """(seen, my run, the board, the chart, the table) for this page; the chart is drawn only when a run finished
    since this page last drew it (cached for everyone: one drawing per run, language and highlighted run)."""
    from core.training.experiment import hub

    h = hub()
    version, exp, progress = h.snapshot()
    lang = lang_of(request)
    owner = _owner(request)
    own = next((r for r in exp.runs if owner is not None and r.owner == owner), None) if exp else None
    finished = tuple((r.id, r.status) for r in exp.runs if r.status not in ("queued", "running")) if exp else ()
    chart_key = (exp.id if exp else None, finished, own.id if own and own.status == "done" else None, lang)
    if seen == (version, chart_key, str(progress)):  # the running run's percentage counts as a change
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    chart = gr.skip() if seen is not None and seen[1] == chart_key else _chart(chart_key, exp)
    return (
        (version, chart_key, str(progress)),
        _mine_text(h, exp, own, request),
        _board(exp, progress, request),
        chart,
        _table(exp, own, request),
    )


def _chart(chart_key, exp):
    from core.training.experiment import draw_chart

    if exp is None:
        return gr.Image(value=None, visible=False)
    with _CHART_LOCK:
        if chart_key not in _CHART_CACHE:
            while len(_CHART_CACHE) > 64:
                _CHART_CACHE.pop(next(iter(_CHART_CACHE)))
            _CHART_CACHE[chart_key] = draw_chart(exp, chart_key[2], chart_key[3])
        return gr.Image(value=_CHART_CACHE[chart_key], visible=True)


def _mine_text(h, exp, own, request) -> str:
    if exp is None or own is None:
        return ""
    _, ahead = h.queue_position(own.owner)
    v = format_value(own.value, lang_of(request))
    if own.status == "queued":
        return say(
            request,
            f"Lượt của bạn (#{own.id}, giá trị {v}) đang chờ: còn {ahead} lượt trước. Đóng tab thì lượt vẫn chạy.",
            f"Your run (#{own.id}, value {v}) is queued: {ahead} runs before it. "
            "It still trains if you close this tab.",
        )
    if own.status == "running":
        return say(request, f"Lượt của bạn (#{own.id}, giá trị {v}) đang chạy…",
                   f"Your run (#{own.id}, value {v}) is training…")  # fmt: skip
    if own.status == "done":
        acc = f"{100 * own.test_accuracy:.1f}"
        return say(
            request,
            f"Lượt của bạn (#{own.id}, giá trị {v}): độ chính xác kiểm tra **{acc.replace('.', ',')}%** (tô đỏ).",
            f"Your run (#{own.id}, value {v}): test accuracy **{acc}%** (in red).",
        )
    if own.status == "diverged":
        return say(
            request,
            f"Lượt của bạn (#{own.id}, giá trị {v}) **phân kỳ**: hàm mất mát không còn là số. Đó cũng là một kết quả.",
            f"Your run (#{own.id}, value {v}) **diverged**: the loss stopped being a number. That is a result too.",
        )
    return say(request, f"Lượt của bạn (#{own.id}) bị dừng trước khi xong.", f"Your run (#{own.id}) was stopped.")


def _board(exp, progress, request) -> str:
    if exp is None:
        return say(
            request,
            "**Chưa có thí nghiệm nào.** Giảng viên mở một thí nghiệm ở mục *Dành cho giảng viên* bên dưới.",
            "**No experiment yet.** The instructor opens one under *For the instructor* below.",
        )
    vi = lang_of(request) == "vi"
    name = exp.var.name.vi if vi else str(exp.var.name)
    queued = [r for r in exp.runs if r.status == "queued"]
    done = [r for r in exp.runs if r.status not in ("queued", "running")]
    model = (
        say(request, "kiến trúc của từng lượt", "each run's architecture")
        if exp.variable == "architecture"
        else exp.model
    )
    state = (
        say(request, "đang nhận giá trị", "open for values")
        if exp.is_open
        else say(request, "đã đóng, không nhận thêm", "closed, no more values")
    )
    lines = [
        say(
            request,
            f"**Thí nghiệm: {name}** ({state}) · mô hình {model} · {_vi_int(exp.train_samples)} ảnh huấn luyện, "
            f"{_vi_int(exp.test_samples)} ảnh kiểm tra",
            f"**Experiment: {name}** ({state}) · model {model} · {exp.train_samples:,} training images, "
            f"{exp.test_samples:,} test images",
        ),
        say(
            request,
            f"Đã xong {len(done)} lượt · đang chờ {len(queued)}",
            f"{len(done)} runs finished · {len(queued)} queued",
        )
        + (f" · {say(request, 'đang chạy', 'training')} {localized(request, progress)}" if progress else ""),
    ]
    if exp.is_open:
        allowed = allowed_values(exp.variable)
        lines.append(say(request, f"Giá trị được gửi: {allowed.vi}.", f"Values accepted: {allowed}."))
    if queued:
        waiting = ", ".join(f"#{r.id} {r.who or '?'} ({format_value(r.value, lang_of(request))})" for r in queued[:12])
        lines.append(say(request, "Hàng đợi: ", "Queue: ") + waiting + (" …" if len(queued) > 12 else ""))
    return "\n\n".join(lines)


def _table(exp, own, request) -> str:
    done = [r for r in exp.runs if r.status not in ("queued", "running")] if exp else []
    if not done:
        return ""
    vi = lang_of(request) == "vi"
    name = exp.var.name.vi if vi else str(exp.var.name)
    status = {
        "done": say(request, "xong", "done"),
        "diverged": say(request, "phân kỳ", "diverged"),
        "stopped": say(request, "bị dừng", "stopped"),
    }
    head = say(request, f"| Lượt | Người học | {name} | Kết quả | Độ chính xác | Giây |",
               f"| Run | Student | {name} | Result | Accuracy | Seconds |")  # fmt: skip
    rows = [head, "|---|---|---|---|---|---|"]
    for r in sorted(done, key=lambda r: -(r.test_accuracy or -1)):
        acc = f"{100 * r.test_accuracy:.1f}%" if r.test_accuracy is not None else "–"
        secs = f"{r.seconds:.1f}" if r.seconds is not None else "–"
        if vi:
            acc, secs = acc.replace(".", ","), secs.replace(".", ",")
        star = " ★" if own is not None and r.id == own.id else ""
        rows.append(
            f"| #{r.id}{star} | {r.who or '?'} | {format_value(r.value, 'vi' if vi else 'en')} "
            f"| {status.get(r.status, r.status)} | {acc} | {secs} |"
        )
    return "\n".join(rows)


def _vi_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # 1.500: Vietnamese groups thousands with dots

"""Tab "Live training": train a small zoo model in class and watch the curves move."""

from __future__ import annotations

import gradio as gr

from core.catalog.course_results import REPORT002, REPORT002_LR
from core.training.live import LIVE_MODELS, MAX_EPOCHS, MAX_TRAIN_SAMPLES, TIME_BUDGET_S
from demo.server.fair_queue import LIVE_GROUP
from demo.tabs.live_drawing import build_drawing_section
from demo.tabs.live_experiment import build_experiment_section
from demo.ui.course_panel import course_panel
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import lang_of, say, tr
from demo.ui.reports import curves_plot
from demo.ui.wiring import for_profile

ACTIVITY_EVERY_S = 5  # how often every open Live tab asks who is training (a dictionary read, no queue)


def build_live_tab(profile: str) -> None:
    from core.training.live_models import clean_stale

    clean_stale()  # what a save cut short (killed, disk full) left behind, before this server saves anything
    gr.Markdown(
        tr(
            "live.intro",
            "### Huấn luyện trực tiếp\n"
            "Huấn luyện một trong các mô hình nhỏ của môn học trên Fashion-MNIST trong vài epoch, ngay trên CPU của "
            "máy chủ này, và xem hàm mất mát cùng độ chính xác thay đổi trong lúc huấn luyện. Mỗi lúc chỉ có một "
            "lượt huấn luyện cho tất cả mọi người. Kết quả là một mô hình mới mang tên bạn, có trong tab "
            "**Ảnh: ResNet vs ViT** bên cạnh mô hình gốc (mô hình gốc không đổi); chỉ bạn xoá được nó.",
            "### Live training\n"
            "Train one of the course's small models on Fashion-MNIST for a few epochs, on this server's CPU, and "
            "watch loss and accuracy change as it trains. One training at a time for everybody. The result is a new "
            "model under your name, offered in the **Images: ResNet vs ViT** tab beside the committed one (which "
            "stays as it is); only you can delete it.",
        )
    )
    with gr.Row():
        model = gr.Dropdown(list(LIVE_MODELS), value="simple_cnn", label=tr("live.model", "Mô hình", "Model"))
        epochs = gr.Slider(1, MAX_EPOCHS, value=2, step=1, label=tr("live.epochs", "Số epoch", "Epochs"))
        samples = gr.Slider(
            1000,
            MAX_TRAIN_SAMPLES,
            value=5000,
            step=1000,
            label=tr("live.samples", "Số ảnh huấn luyện", "Training images"),
        )
        who = gr.Textbox(
            label=tr(
                "live.who",
                "Tên bạn (người khác thấy tên này trong lúc bạn huấn luyện)",
                "Your name (shown to others while you train)",
            ),
            max_lines=1,
        )
    with gr.Row():
        start = gr.Button(tr("live.start", "Bắt đầu huấn luyện", "Start training"), variant="primary")
        # Active only while a run is in progress (the ticker below): a red button nobody can use invites clicks.
        stop = gr.Button(tr("live.stop", "Dừng", "Stop"), variant="stop", interactive=False)
    status = gr.Markdown()
    # Who trains what and for how long still, for everybody, refreshed every few seconds.
    activity = gr.Markdown()
    ticker = gr.Timer(ACTIVITY_EVERY_S)
    curves = curves_plot(
        tr("live.curves", "Đường cong hàm mất mát và độ chính xác", "Loss and accuracy curves"), elem_id="live_curves"
    )

    with gr.Row():
        mine = gr.Dropdown([], label=tr("live.mine", "Mô hình bạn đã huấn luyện", "Models you trained"), scale=3)
        delete = gr.Button(tr("live.delete", "Xoá mô hình này", "Delete this model"), scale=1)
    # What the course's runs reached beside the committed checkpoints, with the learning rate each run recorded.
    course_panel("live", [REPORT002, REPORT002_LR], profile)
    build_drawing_section(profile)  # teach a small CNN your own classes by drawing them

    # One training runs at a time (core.training.live's lock). More than one slot here means a second request runs
    # at once and is refused straight away with who is training and the time left, instead of waiting in the queue
    # for the whole run; demo.server.fair_queue bounds how many can wait.
    start.click(lambda: gr.Button(interactive=True), outputs=stop, api_visibility="private", queue=False)
    start.click(
        for_profile(run, profile),
        [model, epochs, samples, who],
        [status, curves],
        api_visibility="private",
        **LIVE_GROUP,
    ).then(refresh_mine, outputs=mine, api_visibility="private", queue=False).then(
        _activity, outputs=[activity, stop], api_visibility="private", queue=False, show_progress="hidden"
    )
    stop.click(request_stop, outputs=status, api_visibility="private")
    delete.click(delete_mine, mine, status, api_visibility="private", queue=False).then(
        refresh_mine, outputs=mine, api_visibility="private", queue=False
    )
    ticker.tick(_activity, outputs=[activity, stop], api_visibility="private", queue=False, show_progress="hidden")
    build_experiment_section(profile)  # the whole class runs one experiment on the same slot (live_experiment)


@shows_user_errors
def run(name, n_epochs, n_samples, person, progress=gr.Progress(), request: gr.Request | None = None, *, profile: str):  # noqa: B008 (Gradio's idiom)
    """Start a training (the tab binds `profile`) and stream (status, curves) while it runs. Refusals are core's
    UserErrors (a bad value, the slot busy, the data set missing), shown by @shows_user_errors."""
    from core.training.live import checked_request, train_live
    from core.training.report import curve_rows

    name, n_epochs, n_samples, person = checked_request(name, n_epochs, n_samples, person)
    shown = -1
    owner = getattr(request, "session_hash", None)
    for p in train_live(name, epochs=n_epochs, train_samples=n_samples, who=person, tiny=profile == "tiny",
                        owner=owner):  # fmt: skip
        progress(p.fraction, desc=f"epoch {p.epoch}/{p.epochs}")
        rows = gr.skip()
        # New points (every few batches): the curves grow during each epoch. Not before both the train and the
        # validation curves have a point: the plot fixes its legend and colours on the curves of its first data.
        if len(p.points) != shown and len({q["split"] for q in p.points}) == 2:
            shown = len(p.points)
            rows = curve_rows(p.history, lang=lang_of(request), points=p.points)
        yield _status_text(p, request), rows


def request_stop(request: gr.Request | None = None) -> str:
    from core.training.live import busy_message, request_cancel

    stopped, info = request_cancel(getattr(request, "session_hash", None))
    if info is None:
        return say(request, "Không có mô hình nào đang được huấn luyện.", "Nothing is training.")
    if not stopped:  # only the visitor who started a run can stop it
        busy = busy_message(info)
        return say(request, f"{busy.vi}. Chỉ người bắt đầu mới dừng được.", f"{busy}. Only they can stop it.")
    return say(request, "Sẽ dừng sau lô (batch) hiện tại…", "Stopping after the current batch…")


def refresh_mine(request: gr.Request | None = None):
    from core.training.live_models import owned_by

    owned = owned_by(getattr(request, "session_hash", None))
    choices = [(localized(request, m.label()), m.name) for m in owned]
    return gr.Dropdown(choices=choices, value=owned[-1].name if owned else None)  # the newest shown


def delete_mine(name, request: gr.Request | None = None) -> str:
    from core.training.live_models import delete as delete_model

    if not name:
        return say(request, "Hãy chọn một mô hình của bạn.", "Pick one of your models first.")
    if not delete_model(name, getattr(request, "session_hash", None)):
        return say(request, "Chỉ người đã huấn luyện mới xoá được mô hình này.", "Only its trainer can delete it.")
    return say(request, f"Đã xoá `{name}`.", f"Deleted `{name}`.")


def _activity(request: gr.Request | None = None) -> tuple[str, gr.Button]:
    """Who is training, and the Stop button active only while somebody is (only the one who started can stop it;
    anyone else who clicks is told who that is)."""
    from core.training.live import current_training

    return _activity_text(request), gr.Button(interactive=current_training() is not None)


def _activity_text(request: gr.Request | None = None) -> str:
    from core.training.live import busy_message, current_training

    info = current_training()
    if info is None:
        return say(request, "Hiện không ai đang huấn luyện.", "Nobody is training right now.")
    return localized(request, busy_message(info)) + "."


def _status_text(p, request: gr.Request | None = None) -> str:
    if p.timed_out:
        return say(
            request,
            f"**Hết thời gian** ({TIME_BUDGET_S:.0f} giây) ở epoch {p.epoch}. Không có gì được lưu.",
            f"**Time budget** ({TIME_BUDGET_S:.0f} s) reached at epoch {p.epoch}. Nothing was saved.",
        )
    if p.cancelled:
        return say(
            request,
            f"**Đã dừng** ở epoch {p.epoch}, bước {p.step}/{p.steps_per_epoch}. Không có gì được lưu.",
            f"**Stopped** at epoch {p.epoch}, step {p.step}/{p.steps_per_epoch}. Nothing was saved.",
        )
    if p.done:
        acc = f"{100 * p.test_accuracy:.1f}"
        return say(
            request,
            f"**Xong.** Độ chính xác trên 2.000 ảnh kiểm tra để riêng: **{acc.replace('.', ',')}%**. Đây là một mô "
            "hình mới, "
            f"`{p.entry}`: chọn nó trong tab Ảnh: ResNet vs ViT (mô hình `{p.model}` gốc không đổi).",
            f"**Done.** Test accuracy on 2,000 held-out images: **{acc}%**. This is a new model, `{p.entry}`: "
            f"pick it in the Images: ResNet vs ViT tab (the committed `{p.model}` is unchanged).",
        )
    last = p.history[-1] if p.history else None
    val_acc = f"{100 * last['val_acc']:.1f}" if last else ""
    loss, acc = f"{p.train_loss:.3f}", f"{100 * p.train_acc:.1f}"
    est = p.estimate_s or 0.0
    return say(
        request,
        f"Epoch {p.epoch}/{p.epochs}, bước {p.step}/{p.steps_per_epoch}: hàm mất mát huấn luyện hiện tại "
        f"{loss.replace('.', ',')}, độ chính xác {acc.replace('.', ',')}%"
        + (f" · độ chính xác kiểm định gần nhất {val_acc.replace('.', ',')}%" if last else "")
        + f" · ước tính cả lượt: khoảng {est:.0f} giây",
        f"Epoch {p.epoch}/{p.epochs}, step {p.step}/{p.steps_per_epoch}: running train loss {loss}, "
        f"accuracy {acc}%"
        + (f" · last validation accuracy {val_acc}%" if last else "")
        + f" · whole run estimated at about {est:.0f} s",
    )

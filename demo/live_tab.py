"""Tab "Huấn luyện trực tiếp · Live training": train a small zoo model in class and watch the curves move."""

from __future__ import annotations

import gradio as gr

from core.live_training import LIVE_MODELS, MAX_EPOCHS, MAX_TRAIN_SAMPLES


def build_live_tab(profile: str) -> None:
    gr.Markdown(
        "### Huấn luyện trực tiếp · Live training\n"
        "Train one of the course's small models on Fashion-MNIST for a few epochs, on this server's CPU, and watch "
        "loss and accuracy per epoch. One training at a time for everybody; the result replaces that model in the "
        "**ResNet vs ViT** tab straight away (its weights go to `checkpoints/live/`)."
    )
    with gr.Row():
        model = gr.Dropdown(list(LIVE_MODELS), value="simple_cnn", label="Mô hình · Model")
        epochs = gr.Slider(1, MAX_EPOCHS, value=2, step=1, label="Epochs")
        samples = gr.Slider(1000, MAX_TRAIN_SAMPLES, value=5000, step=1000, label="Ảnh huấn luyện · Training images")
        who = gr.Textbox(label="Tên bạn · Your name (shown to others while you train)", max_lines=1)
    with gr.Row():
        start = gr.Button("Bắt đầu · Start", variant="primary")
        stop = gr.Button("Dừng · Stop", variant="stop")
    status = gr.Markdown()
    curves = gr.Plot(label="Đường cong · Curves")

    def run(name, n_epochs, n_samples, person, progress=gr.Progress()):  # noqa: B008 (Gradio's idiom)
        from core.live_training import TrainingBusy, train_live
        from core.training_report import plot_curves

        shown = -1
        try:
            for p in train_live(
                name,
                epochs=int(n_epochs),
                train_samples=int(n_samples),
                who=(person or "")[:40],
                tiny=profile == "tiny",
            ):
                progress(p.fraction, desc=f"epoch {p.epoch}/{p.epochs}")
                figure = gr.Plot()
                if len(p.history) != shown:  # redraw only when an epoch finished
                    shown = len(p.history)
                    figure = plot_curves({"history": p.history}, title=f"{name} (live)") if p.history else None
                yield _status_text(p), figure
        except TrainingBusy as exc:
            raise gr.Error(str(exc), title="Training slot busy") from exc
        except RuntimeError as exc:  # dataset missing: say how to get it
            raise gr.Error(str(exc), title="Cannot train") from exc

    def request_stop():
        from core.live_training import cancel_event, current_training

        if current_training() is None:
            return "Nothing is training."
        cancel_event.set()
        return "Stopping after the current batch…"

    start.click(
        run,
        [model, epochs, samples, who],
        [status, curves],
        concurrency_limit=1,
        concurrency_id="live_training",
        api_name="live_train",
    )
    stop.click(request_stop, outputs=status, api_visibility="private")


def _status_text(p) -> str:
    if p.cancelled:
        return f"**Stopped** at epoch {p.epoch}, step {p.step}/{p.steps_per_epoch}. Nothing was saved."
    if p.done:
        return (
            f"**Done.** Test accuracy on 2,000 held-out images: **{100 * p.test_accuracy:.1f}%**. "
            f"Saved to `{p.checkpoint}`; pick `{p.model}` in the ResNet vs ViT tab to use it."
        )
    last = p.history[-1] if p.history else None
    val = f" · last validation accuracy {100 * last['val_acc']:.1f}%" if last else ""
    return (
        f"Epoch {p.epoch}/{p.epochs}, step {p.step}/{p.steps_per_epoch}: running train loss "
        f"{p.train_loss:.3f}, accuracy {100 * p.train_acc:.1f}%{val}"
    )

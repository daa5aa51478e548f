"""The CNN tab's "Feature maps" section: the maps the first convolution of a trained zoo model makes of a photo
(core.image.feature_maps), tiled into one picture."""

from __future__ import annotations

import gradio as gr

from demo.server.gpu import gpu_task
from demo.ui.components import checked_choices, image_file, image_input, read_user_image
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import say, tr
from demo.ui.wiring import for_profile

MAPS_MODELS = ("simple_cnn", "cnn_transformer", "channel_token_vit", "simple_vit")


def build_feature_maps_section(profile: str) -> None:
    """Lay out the section inside the CNN tab and wire it; a model call, so it waits in the models' queue."""
    maps_image, maps_model, maps_btn, maps_md, maps_out = _maps_panel()
    event = gpu_task(for_profile(feature_maps, profile))
    maps_btn.click(event, [maps_image, maps_model], [maps_out, maps_md], preprocess=False, concurrency_id="models",
                   api_visibility="private")  # fmt: skip


def _maps_panel() -> tuple:
    """Photo, zoo model and the first convolution's feature maps."""
    gr.Markdown(
        tr(
            "cnn.maps_intro",
            "### Bản đồ đặc trưng của lớp tích chập đầu tiên trong một mô hình đã huấn luyện",
            "### Feature maps of the first convolution of a trained model",
        )
    )
    with gr.Row():
        maps_image = image_input(label=tr("cnn.maps_photo", "Ảnh", "Photo"), height=200, elem_id="maps_photo")
        with gr.Column():
            maps_model = gr.Dropdown(
                list(MAPS_MODELS),
                value="simple_cnn",
                label=tr("cnn.maps_model", "Mô hình trong bộ sưu tập (zoo)", "Zoo model"),
            )
            maps_btn = gr.Button(tr("cnn.show_maps", "Xem bản đồ đặc trưng", "Show feature maps"))
            maps_md = gr.Markdown(elem_id="maps_summary")
    maps_out = gr.Image(
        label=tr(
            "cnn.maps",
            "Bản đồ đặc trưng (mỗi bản đồ được co giãn theo min..max của riêng nó)",
            "Feature maps (each scaled to its own min..max)",
        ),
        interactive=False,
        elem_id="maps_output",
    )
    return maps_image, maps_model, maps_btn, maps_md, maps_out


# --- handler: plain values in and out; tests call it directly ------------------------------------------------------


@shows_user_errors
def feature_maps(img, name, request: gr.Request | None = None, *, profile: str):
    """The first convolution's maps of a zoo model on the photo, tiled, and a line saying what they are."""
    from core.image.feature_maps import feature_maps_for, tile_maps

    (name,) = checked_choices((name, MAPS_MODELS, ("Zoo model", "Mô hình")))
    image = read_user_image(img).image
    got = feature_maps_for(image, name, profile)
    count, size = got.maps.shape[0], f"{got.maps.shape[1]}x{got.maps.shape[2]}"
    source = localized(request, got.source)
    return (
        image_file(tile_maps(got.maps)),
        say(
            request,
            f"{count} bản đồ đặc trưng {size} từ lớp `{got.layer}` của {got.display_name} ({source})",
            f"{count} maps of {size} from `{got.layer}` of {got.display_name} ({source})",
        ),
    )

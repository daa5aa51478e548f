"""core.runtime.images.load_image on the bad inputs users really upload."""

from __future__ import annotations

import numpy as np
import pytest

from core.runtime.images import MAX_DECODE_PIXELS, WORKING_MAX_SIDE, ImageInputError, load_image
from tests import bad_images as bad


@pytest.mark.parametrize(
    "writer, fragment",
    [
        (bad.text_named_png, "not an image"),
        (bad.empty_file, "empty"),
        (bad.truncated_jpeg, "damaged or incomplete"),
        (bad.huge_png_header, "too large"),
    ],
)
def test_unusable_files_raise_actionable_errors(tmp_path, writer, fragment):
    with pytest.raises(ImageInputError, match=fragment):
        load_image(writer(tmp_path))


def test_missing_input_asks_for_an_image():
    with pytest.raises(ImageInputError, match="upload"):
        load_image(None)


def test_cmyk_is_converted_to_rgb(tmp_path):
    loaded = load_image(bad.cmyk_jpeg(tmp_path))
    r, g, b = np.asarray(loaded.image).reshape(-1, 3).mean(0)
    assert loaded.image.mode == "RGB" and r > 200 and g < 60 and b < 60
    assert any("CMYK" in n for n in loaded.notes)


def test_16bit_png_keeps_its_contrast(tmp_path):
    arr = np.asarray(load_image(bad.png16(tmp_path)).image)
    # 1000/65535 -> 4, 60000/65535 -> 233: PIL's plain convert would clip both to 255
    assert arr[:20].mean() < 10 and 220 < arr[20:].mean() < 240


def test_transparent_pixels_become_white(tmp_path):
    assert np.asarray(load_image(bad.rgba_png(tmp_path)).image).min() == 255


@pytest.mark.parametrize("writer, rgb", [(bad.palette_png, (0, 0, 255)), (bad.gray_png, (128, 128, 128))])
def test_palette_and_grayscale(tmp_path, writer, rgb):
    im = load_image(writer(tmp_path)).image
    assert im.mode == "RGB" and im.getpixel((5, 5)) == rgb


def test_one_pixel_image_is_accepted_with_a_note(tmp_path):
    loaded = load_image(bad.one_pixel(tmp_path))
    assert loaded.image.size == (1, 1) and any("tiny image" in n for n in loaded.notes)


def test_exif_orientation_is_honoured(tmp_path):
    loaded = load_image(bad.exif_rotated(tmp_path))
    assert loaded.image.size == (20, 40)


def test_animated_gif_uses_first_frame(tmp_path):
    loaded = load_image(bad.animated_gif(tmp_path))
    assert loaded.image.getpixel((5, 5))[0] > 200 and any("first of 2 frames" in n for n in loaded.notes)


def test_150_megapixel_jpeg_is_decoded_at_reduced_scale(tmp_path, monkeypatch):
    """libjpeg decodes it at a reduced scale (draft mode) under the 40 MP cap: the 450 MB full-size bitmap is never
    built. Checked by what the decoder was asked for, not by a timing, which would only fail on a busy machine."""
    from PIL import JpegImagePlugin

    requested = []
    draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size, *args, **kwargs):
        requested.append(size)
        return draft(self, mode, size, *args, **kwargs)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    loaded = load_image(bad.huge_jpeg(tmp_path))
    assert max(loaded.image.size) <= WORKING_MAX_SIDE
    assert loaded.original_size == (15000, 10000)
    assert requested and requested[0][0] * requested[0][1] <= MAX_DECODE_PIXELS < 15000 * 10000, requested
    assert any("reduced resolution" in note for note in loaded.notes)


def test_numpy_float_and_uint8_arrays():
    assert load_image(np.zeros((4, 5, 3), dtype=np.uint8)).image.size == (5, 4)
    assert np.asarray(load_image(np.ones((4, 4), dtype=np.float32)).image).min() == 255


def test_encoded_bytes_like_a_pasted_image(tmp_path):
    data = bad.palette_png(tmp_path).read_bytes()
    assert load_image(data).image.getpixel((0, 0)) == (0, 0, 255)
    with pytest.raises(ImageInputError, match="not an image"):
        load_image(b"<html>not an image</html>")

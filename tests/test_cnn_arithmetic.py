"""Convolution arithmetic and layer tables against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from core.catalog import build_architecture, get_spec
from core.image.conv_arithmetic import KERNELS, SLIDE_EXAMPLES, SLIDE_INPUT, conv2d, output_size, parse_grid, pool2d
from core.image.layer_table import (
    COURSE_LENET_ROWS,
    COURSE_LENET_TOTAL,
    IGNORES_DEPTH,
    ONE_BIAS_PER_LAYER,
    compare_with_course,
    explain_count,
    layer_table,
)
from core.models.lenet import C3_CONNECTIONS, CourseLeNet5, LeNet5, LeNet5Original


def _run(key):
    ex = SLIDE_EXAMPLES[key]
    out, steps = conv2d(ex.grid, ex.kernel, padding=ex.padding, stride=ex.stride)
    return out, steps, pool2d(out, mode=ex.pool)


def test_slide_convolution_is_the_reports_grid_and_gives_16():
    # The CNN slides (course report on CNNs and VQA), every cell as printed there.
    assert SLIDE_INPUT == [[9, 4, 1, 2, 2], [1, 1, 1, 0, 4], [1, 2, 1, 0, 6], [1, 0, 0, 2, 0], [9, 6, 7, 4, 0]]
    assert KERNELS["slide example"] == [[0, 2, 1], [4, 1, 0], [1, 0, 1]]
    out, steps, _ = _run("slide_convolution")
    assert out[0, 0] == 16 and out.shape == (3, 3)
    assert steps[0].formula() == "out[0][0] = 9·0 + 4·2 + 1·1 + 1·4 + 1·1 + 1·0 + 1·1 + 2·0 + 1·1 = 16"
    assert out.tolist() == [[16, 11, 17], [10, 13, 8], [25, 12, 15]]


def test_slide_binary_image_example():
    ex = SLIDE_EXAMPLES["slide_binary"]
    assert ex.grid == [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
    assert ex.kernel == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    out, _, _ = _run("slide_binary")
    assert out[0].tolist() == [4, 3, 4]  # the first row the slide builds up cell by cell
    assert out.tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]  # the slide's last frame


def test_slide_pooling_examples():
    grid = [[2, 2, 7, 3], [9, 4, 6, 1], [8, 5, 2, 4], [3, 1, 2, 6]]
    for key in ("slide_max_pool", "slide_avg_pool"):
        assert SLIDE_EXAMPLES[key].grid == grid
        out, _, _ = _run(key)
        assert out.tolist() == grid  # the 1x1 kernel of 1 passes the grid through to the pooling step
    assert _run("slide_max_pool")[2].tolist() == [[9, 7], [8, 6]]
    assert _run("slide_avg_pool")[2].tolist() == [[4.25, 4.25], [4.25, 3.5]]


@pytest.mark.parametrize("padding, stride", [(0, 1), (1, 1), (1, 2), (2, 3)])
def test_conv_and_pooling_match_torch(padding, stride):
    rng = np.random.default_rng(padding * 10 + stride)
    grid, kernel = rng.integers(-5, 9, (9, 7)).astype(float), rng.normal(size=(3, 3))
    ours, _ = conv2d(grid, kernel, padding=padding, stride=stride)
    ref = F.conv2d(torch.tensor(grid)[None, None], torch.tensor(kernel)[None, None], padding=padding, stride=stride)
    assert np.allclose(ours, ref[0, 0].numpy())
    assert ours.shape == (output_size(9, 3, padding, stride), output_size(7, 3, padding, stride))
    if min(ours.shape) >= 2:
        t = torch.tensor(ours)[None, None]
        assert np.allclose(pool2d(ours, mode="max"), F.max_pool2d(t, 2)[0, 0].numpy())
        assert np.allclose(pool2d(ours, mode="avg"), F.avg_pool2d(t, 2)[0, 0].numpy())


@pytest.mark.parametrize("text, fragment", [("", "empty"), ("1 2\n3", "same number"), ("1 x", "not a number")])
def test_bad_grids_are_explained(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_grid(text)


def test_kernel_too_big_for_input():
    with pytest.raises(ValueError, match="does not fit"):
        conv2d([[1, 2], [3, 4]], KERNELS["sharpen"])


def test_lenet_layer_table():
    rows = layer_table(LeNet5(), (1, 32, 32))
    assert sum(r.params for r in rows) == 61_706
    shapes = [r.output_shape for r in rows if r.kind in ("Conv2d", "MaxPool2d")]
    assert shapes == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]


def test_course_lenet_table_row_by_row():
    """The course's LeNet-5 table (video event query report, 2.2.6) against the network it describes."""
    rows = compare_with_course()
    assert [r.row for r in rows] == [
        "Input", "CONV1 (f=5, s=1)", "POOL1", "CONV2 (f=5, s=1)", "POOL2", "FC3", "FC4", "SOFTMAX",
    ]  # fmt: skip
    assert [r.printed_params for r in rows] == [0, 208, 0, 416, 0, 48_001, 10_081, 841]
    assert sum(r.printed_params for r in rows) == COURSE_LENET_TOTAL == 59_547  # the printed total is their sum
    assert [r.params for r in rows] == [0, 608, 0, 3_216, 0, 48_120, 10_164, 850]
    assert sum(r.params for r in rows) == 62_958 == sum(p.numel() for p in CourseLeNet5().parameters())
    # Shapes and activation sizes: the table is right on every row (it writes H, W, C; torch C, H, W).
    for r in rows:
        assert r.activations == r.printed_activations, r.row
        measured = (*r.output_shape[1:], r.output_shape[0])
        assert measured == tuple(d for d in r.printed_shape if d != 1) or measured == r.printed_shape, r.row
    by_row = {r.row: r for r in rows}
    assert by_row["CONV1 (f=5, s=1)"].formula == "8 × (5·5·3 + 1) = 608"
    assert by_row["CONV1 (f=5, s=1)"].printed_formula == "8 × (5·5 + 1) = 208"
    assert by_row["CONV2 (f=5, s=1)"].formula == "16 × (5·5·8 + 1) = 3,216"
    assert by_row["CONV2 (f=5, s=1)"].printed_formula == "16 × (5·5 + 1) = 416"
    assert by_row["FC3"].formula == "400·120 + 120 = 48,120" and by_row["FC3"].printed_formula == "400·120 + 1 = 48,001"
    assert by_row["FC4"].formula == "120·84 + 84 = 10,164" and by_row["FC4"].printed_formula == "120·84 + 1 = 10,081"
    assert by_row["SOFTMAX"].formula == "84·10 + 10 = 850" and by_row["SOFTMAX"].printed_formula == "84·10 + 1 = 841"
    # Which rule each printed number broke: conv rows ignore the input depth, FC rows share one bias per layer.
    for r in rows:
        if r.kind == "Conv2d":
            assert r.broken_rule.startswith(IGNORES_DEPTH.split(":")[0]) and r.broken_rule.vi, r.row
        elif r.kind == "Linear":
            assert r.broken_rule.startswith(ONE_BIAS_PER_LAYER.split(":")[0]) and r.broken_rule.vi, r.row
        else:
            assert r.broken_rule is None and r.params == r.printed_params == 0, r.row
    assert "5·5·3 weights" in by_row["CONV1 (f=5, s=1)"].broken_rule
    assert "5·5·8 trọng số" in by_row["CONV2 (f=5, s=1)"].broken_rule.vi
    assert "120 units have 120 biases" in by_row["FC3"].broken_rule
    assert len(COURSE_LENET_ROWS) == len(rows)


def test_explain_finds_no_fault_in_a_right_count():
    assert explain_count(nn.Conv2d(1, 6, 5), 156) == ("6 × (5·5·1 + 1) = 156", "", None)
    assert explain_count(nn.Linear(400, 120), 48_120) == ("400·120 + 120 = 48,120", "", None)
    assert explain_count(nn.Linear(400, 120), 47_000)[1] == "?"  # a wrong number no known rule explains


def test_lenet_1998_original():
    rows = layer_table(LeNet5Original(), (1, 32, 32))
    assert [(r.name, r.params) for r in rows] == [
        ("c1", 156), ("s2", 12), ("c3", 1_516), ("s4", 32), ("c5", 48_120), ("f6", 10_164), ("output", 840),
    ]  # fmt: skip
    assert sum(r.params for r in rows) == 60_840
    assert [r.output_shape for r in rows][:4] == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]
    assert sorted(len(c) for c in C3_CONNECTIONS) == [3] * 6 + [4] * 9 + [6]
    # C3's masked kernel: map 0 reads only S2's maps 0, 1, 2; changing map 5 does not move it.
    model = LeNet5Original().eval()
    x = torch.randn(1, 6, 14, 14)
    y = x.clone()
    y[:, 5] += 1
    with torch.no_grad():
        before, after = model.c3(x), model.c3(y)
    assert torch.allclose(before[:, 0], after[:, 0]) and not torch.allclose(before[:, 3], after[:, 3])


@pytest.mark.parametrize("name", ["simple_cnn", "simple_vit", "gru_row"])
def test_layer_table_counts_every_parameter(name):
    spec = get_spec(name)
    module = build_architecture(spec.arch, **spec.model_args)
    rows = layer_table(module, (3, 32, 32))
    assert sum(r.params for r in rows) == sum(p.numel() for p in module.parameters())


def test_tab_handlers_called_directly(example_image):
    """The CNN tab's module-level handlers without a server: what each component receives."""
    from pathlib import Path

    from demo.tabs import cnn as cnn_tab
    from demo.tabs import cnn_feature_maps, cnn_layer_table

    size, output, pooled, slider, step = cnn_tab.compute("1 2 3\n4 5 6\n7 8 9", "1 0\n0 1", 0, 1, "max")
    assert _cells(output) == [["6", "8"], ["12", "14"]] and _cells(pooled) == [["14"]] and "output 2x2" in size
    assert "<th" not in output + pooled  # no header row that reads like data
    assert slider["maximum"] == 3 and slider["value"] == 0 and "<code>out[0][0] = 1·1 + 2·0" in step
    last = cnn_tab.show_step("1 2 3\n4 5 6\n7 8 9", "1 0\n0 1", 0, 1, 3)
    assert "<code>out[1][1] = 5·1" in last
    # The window (rows 1-2, columns 1-2 of the input) and the output cell [1][1] coloured, nothing else.
    assert _marked(last) == [["5", "6", "8", "9"], ["14"]]
    assert cnn_tab.show_step("1 2\n3", "1", 0, 1, 0) == ""  # unparsable: the step view stays empty
    # A changed grid recomputes by itself; one that cannot compute yet says why in the size line, no error box.
    size, output, *_ = cnn_tab.recompute("1 2\n3", "1", 0, 1, "max")
    assert size.startswith("⚠") and output == ""
    assert cnn_tab.pick_kernel("Sobel x") == "-1 0 1\n-2 0 2\n-1 0 1"
    grid = cnn_tab.from_photo(example_image, 4)
    assert len(grid.splitlines()) == 4 and all(len(row.split()) == 4 for row in grid.splitlines())
    picture, line = cnn_feature_maps.feature_maps(example_image, "simple_cnn", profile="tiny")
    assert Path(picture).is_file() and "maps of 32x32" in line and "tiny" in line
    summary, table = cnn_layer_table.layer_table_event("simple_cnn")
    assert "Total:" in summary and table["headers"][0] == "layer" and table["data"][0][1] == "Conv2d"


def _cells(html: str) -> list[list[str]]:
    import re

    return [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]


def _marked(html: str) -> list[list[str]]:
    """The coloured cells of each table in a step view."""
    import re

    from demo.tabs.cnn_grids import WINDOW_STYLE

    return [
        re.findall(rf'<td style="[^"]*{re.escape(WINDOW_STYLE)}">([^<]*)</td>', t) for t in html.split("</table>")[:-1]
    ]


def test_the_slide_example_is_reproduced_in_the_tab():
    """The course's slide: the 5x5 grid and 3x3 kernel give 16 11 17 / 10 13 8 / 25 12 15 (report 003's CNN
    slides), and the tab's first view steps to out[0][0] = 16 with its window and cell coloured."""
    from demo.tabs import cnn as cnn_tab
    from demo.tabs.cnn_grids import grid_to_text

    ex = SLIDE_EXAMPLES["slide_convolution"]
    grid, kernel = grid_to_text(ex.grid), grid_to_text(ex.kernel)
    _, output, _, _, step = cnn_tab.compute(grid, kernel, ex.padding, ex.stride, ex.pool)
    assert _cells(output) == [["16", "11", "17"], ["10", "13", "8"], ["25", "12", "15"]]
    window, cell = _marked(step)
    assert len(window) == 9 and cell == ["16"] and "= 16</code>" in step


# --- convolution on a multi-channel input, pooling window by window (report 001, 2.2.2.2 and 2.2.3) -----------------


def test_rgb_convolution_sums_the_channels_adds_the_bias_then_relu_by_hand():
    from core.image.conv_arithmetic import RGB_EXAMPLES, conv_channels

    ex = RGB_EXAMPLES["rgb_small"]
    z, out, steps = conv_channels(ex.channels, ex.kernels, ex.bias)
    # Cell (0, 0) by hand, channel by channel, each with its own kernel slice.
    r = 1 * 1 + 2 * 0 + 0 * -1 + 0 * 1 + 1 * 0 + 3 * -1 + 2 * 1 + 1 * 0 + 0 * -1
    g = 1 + 2 + 1 + 1 - 0  # G[0][1] + G[1][0] + G[1][2] + G[2][1] - G[1][1]
    b = -1 * 1 + 1 * 1 + -1 * 1  # -B[0][0] + B[1][1] - B[2][2]
    assert (r, g, b) == (0, 5, -1)
    assert steps[0].sums == [r, g, b]
    assert z[0, 0] == r + g + b - 2 == 2 and out[0, 0] == 2
    assert steps[0].sum_formula() == "z[0][0] = 0 + 5 + (-1) − 2 = 2"
    assert steps[0].relu_formula() == "ReLU(2) = max(0, 2) = 2"
    assert steps[0].channel_formula(0) == "R: 1·1 + 2·0 + 0·(-1) + 0·1 + 1·0 + 3·(-1) + 2·1 + 1·0 + 0·(-1) = 0"
    # Cell (1, 1) ends at -2 and ReLU clips it to 0.
    assert z[1, 1] == -2 and out[1, 1] == 0 and steps[3].relu_formula() == "ReLU(-2) = max(0, -2) = 0"
    assert (z < 0).sum() >= 1 and out.min() == 0 and (out == np.maximum(z, 0)).all()
    # torch's conv2d with one filter of depth 3 (the filter's depth equals the input's) and the same bias.
    x = torch.tensor([ex.channels], dtype=torch.float64)
    k = torch.tensor([ex.kernels], dtype=torch.float64)
    ref = F.relu(F.conv2d(x, k, bias=torch.tensor([float(ex.bias)], dtype=torch.float64)))[0, 0]
    assert np.allclose(out, ref.numpy())


def test_filter_depth_must_equal_input_depth():
    from core.image.conv_arithmetic import RGB_EXAMPLES, GridError, conv_channels

    ex = RGB_EXAMPLES["rgb_small"]
    with pytest.raises(GridError) as err:
        conv_channels(ex.channels, ex.kernels[:2])
    assert "depth" in str(err.value) and "chiều sâu" in err.value.vi


def test_report_001_vertical_edge_presets():
    from core.image.conv_arithmetic import EDGE_KERNEL, RGB_EXAMPLES, conv_channels

    assert EDGE_KERNEL == [[1, 0, -1]] * 3  # report 001: "Filter 1,0,-1" for vertical edges
    # The window report 001 prints: 1x1 + 7x0 + 0x(-1) + 4x1 + 4x0 + 1x(-1) + 5x1 + 1x0 + 7x(-1) = 2.
    ex = RGB_EXAMPLES["report001_window"]
    z, _, steps = conv_channels(ex.channels, ex.kernels)
    assert z.tolist() == [[2]] and 1 + 0 + 0 + 4 + 0 - 1 + 5 + 0 - 7 == 2
    assert steps[0].channel_formula(0) == "x: 1·1 + 7·0 + 0·(-1) + 4·1 + 4·0 + 1·(-1) + 5·1 + 1·0 + 7·(-1) = 2"
    # The 6x6 edge image: 6 - 3 + 1 = 4, so a 4x4 output (report 001's size), the edge between columns 3 and 4 lit:
    # at columns 2 and 3 the window holds 10 10 10 | 10 .. 0 per row, 3 * (10 - 0) = 30.
    ex = RGB_EXAMPLES["report001_edge"]
    z, _, _ = conv_channels(ex.channels, ex.kernels)
    assert z.tolist() == [[0, 30, 30, 0]] * 4
    # In colour (white 2 2 2 beside purple 1 0 1): per channel 3 * (2 - 1), 3 * (2 - 0), 3 * (2 - 1) = 12.
    ex = RGB_EXAMPLES["rgb_edge"]
    z, _, steps = conv_channels(ex.channels, ex.kernels)
    assert z.tolist() == [[0, 12, 12, 0]] * 4 and steps[1].sums == [3, 6, 3]


@pytest.mark.parametrize(("size", "stride"), [(2, 2), (2, 1), (3, 1), (3, 2), (1, 1)])
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool_steps_match_torch(size, stride, mode):
    from core.image.pooling import pool_steps

    grid = np.arange(36, dtype=float).reshape(6, 6) % 7 - 3
    out, steps = pool_steps(grid, size=size, stride=stride, mode=mode)
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    ref = pool(torch.tensor(grid)[None, None], size, stride)[0, 0].numpy()
    assert np.allclose(out, ref) and len(steps) == out.size
    assert out.shape[0] == (6 - size) // stride + 1  # report 001: floor((n - f) / s) + 1


def test_pool_presets_window_by_window():
    from core.image.pooling import POOL_EXAMPLES, pool_steps

    ex = POOL_EXAMPLES["slide_max"]
    out, steps = pool_steps(ex.grid, size=ex.size, stride=ex.stride, mode=ex.mode)
    assert out.tolist() == [[9, 7], [8, 6]]  # report 003's slide
    assert [s.formula() for s in steps] == [
        "out[0][0] = max(2, 2, 9, 4) = 9",
        "out[0][1] = max(7, 3, 6, 1) = 7",
        "out[1][0] = max(8, 5, 3, 1) = 8",
        "out[1][1] = max(2, 4, 2, 6) = 6",
    ]
    ex = POOL_EXAMPLES["slide_avg"]
    out, steps = pool_steps(ex.grid, size=ex.size, stride=ex.stride, mode=ex.mode)
    assert out.tolist() == [[4.25, 4.25], [4.25, 3.5]]
    assert steps[3].formula() == "out[1][1] = (2 + 4 + 2 + 6) / 4 = 3.5"  # 14 / 4
    ex = POOL_EXAMPLES["overlap_max"]  # windows overlap with stride 1: (4 - 2) / 1 + 1 = 3 per side
    out, _ = pool_steps(ex.grid, size=ex.size, stride=ex.stride, mode=ex.mode)
    assert out.tolist() == [[9, 7, 7], [9, 6, 6], [8, 5, 6]]


def test_tab_sections_compute_from_their_examples_in_both_languages():
    """The tab's handlers for each new section's first example: numbers by hand, words in the page's language."""
    import gradio as gr

    from demo.tabs import cnn, cnn_pooling, cnn_rgb, cnn_rnn, cnn_skip_connections

    vi = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9"}, cookies={})
    *inputs, summary, maps, step, html = cnn_rgb.rgb_example("rgb_small", vi)
    assert inputs[6:] == [-2, 0, 1] and "chiều sâu bộ lọc = chiều sâu đầu vào = 3" in summary
    assert "R: 1·1 + 2·0 + 0·(-1)" in html and "z[0][0] = 0 + 5 + (-1) − 2 = 2" in html
    assert step["maximum"] == 3  # 2x2 output: cells 0..3
    last = cnn_rgb.rgb_step(*inputs, 3)
    assert "ReLU(-2) = max(0, -2) = 0" in last and "Cell (1, 1)" in last
    *_, summary, _, step, html = cnn_rgb.rgb_example("report001_window")
    assert "= 2</code>" in html and "prints only the first 3x3 window" in summary
    assert step["maximum"] > step["minimum"]  # one output cell, yet a slider Gradio accepts (min < max)
    assert cnn.compute.__wrapped__("1 2\n3 4", "1 0\n0 1", 0, 1, "max")[3]["maximum"] == 1
    grid, size, stride, mode, summary, step, html = cnn_pooling.pool_example("slide_avg", vi)
    assert (size, stride, mode) == (2, 2, "avg") and "đầu ra 2x2" in summary
    assert "out[0][0] = (2 + 2 + 9 + 4) / 4 = 4.25" in html
    assert "out[1][1] = max(2, 4, 2, 6) = 6" in cnn_pooling.pool_step(grid, 2, 2, "max", 3)
    cell, seq, *boxes_and_outs = cnn_rnn.rnn_example("lstm_short", vi)
    summary, table, step, html, grads = boxes_and_outs[5:]
    # f_1 of unit 1 = σ(1·1 + 1) = σ(2) = 0.881 (h_0 = 0), written out in Vietnamese.
    assert "f₁[đơn vị 1] = σ(0.500·0.000 + 0.000·0.000 + 1.000·1.000 + 1.000) = σ(2.000) = 0.881" in html
    assert "cổng quên" in html and table.count("<tr>") == 5 and grads.count("<tr>") == 5
    t2 = cnn_rnn.rnn_step(cell, seq, "", *(b["value"] for b in boxes_and_outs[1:5]), 2)
    assert "[h₁, x₂] = [0.315, -0.315, 0.500]" in t2  # h_1 carried over into step 2
    _, summary = cnn_skip_connections.skip_example("sigmoid_20")[4:]
    assert "Plain stack: the gradient is 1.65e-17 at layer 1" in summary


def test_tab_sections_say_what_is_wrong_in_the_visitors_language():
    import gradio as gr

    from demo.tabs.cnn_pooling import pool_compute
    from demo.tabs.cnn_rgb import rgb_compute
    from demo.tabs.cnn_rnn import rnn_run
    from demo.tabs.cnn_skip_connections import skip_compute

    vi = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9"}, cookies={})
    cases = [
        (rgb_compute, ("1 2 3\n4 5 6\n7 8 9", "1 1 1\n1 1 1\n1 1 1", "", "1 0\n0 1", "", "", 0, 0, 1), "chiều sâu"),
        (rgb_compute, ("1 2\n3 4", "", "5 6\n7 8", "1", "", "", 0, 0, 1), "theo thứ tự"),
        (pool_compute, ("1 2\n3 4", 3, 1, "max"), "không vừa"),
        (rnn_run, ("lstm", "1 2 x", "", *["1 1 1"] * 4), "không phải là số"),
        (rnn_run, ("lstm", "1 2", "", "1 1 1 1", *["1 1 1"] * 3), "mỗi hàng cần 3 số"),
        (skip_compute, (500, 16, "tanh", 0), "từ 2 đến 50"),
    ]
    for fn, args, words in cases:
        with pytest.raises(gr.Error) as err:
            fn(*args, vi)
        assert words in err.value.message, (fn.__name__, err.value.message)


def test_the_sections_share_one_step_slider_and_one_example_lookup():
    """demo/tabs/cnn_steps.py: what every section's step slider and example list do, in one place."""
    from core.image.pooling import POOL_EXAMPLES
    from core.runtime.inputs import InputError
    from demo.tabs.cnn_steps import chosen_example, slider_reset, step_at

    steps = ["first", "second", "third"]
    assert step_at(steps, 1) == "second" and step_at(steps, "2") == "third"
    assert step_at(steps, 7) == "third"  # a slider left past the end of a smaller result: the last step
    assert step_at(steps, 1, first=1) == "first"  # time steps count from t = 1
    for bad in ("x", 1.5, -1, float("nan"), 10**9):
        with pytest.raises(InputError):
            step_at(steps, bad)
    assert slider_reset(4) == {"__type__": "update", "minimum": 0, "maximum": 3, "value": 0, "step": 1}
    assert slider_reset(1)["maximum"] == 1 and slider_reset(12, first=1)["maximum"] == 12  # min < max always
    assert chosen_example("slide_max", POOL_EXAMPLES) is POOL_EXAMPLES["slide_max"]
    with pytest.raises(InputError) as err:
        chosen_example("slide_median", POOL_EXAMPLES)
    assert "slide_max" in str(err.value) and err.value.vi

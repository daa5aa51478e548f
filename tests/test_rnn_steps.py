"""The RNN/LSTM step-through (core/text/rnn_steps.py): gate values by hand, against torch's cells, and the gradient
through time measured by autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.text.rnn_steps import CELL_EXAMPLES, SequenceError, parse_gate, parse_sequence, parse_weights, run_cell


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


def _preset(key):
    ex = CELL_EXAMPLES[key]
    xs = parse_sequence(ex.sequence)
    return xs, parse_weights(ex.cell, ex.weights, xs.shape[1])


def test_one_lstm_step_by_hand_equals_the_module_and_torch_lstmcell():
    xs, w = _preset("lstm_short")
    # Step 1 from h_0 = C_0 = 0 and x_1 = 1, gate by gate, from report 003's equations. Each row of a gate is
    # [w on h_1(t-1), w on h_2(t-1), w on x, bias]; with h_0 = 0 only the x weight and the bias count.
    x = 1.0
    assert xs[0].tolist() == [x]
    f = [_sigmoid(1 * x + 1), _sigmoid(-1 * x + 1)]  # f rows: 0.5 0 1 1 / 0 0.5 -1 1
    i = [_sigmoid(1 * x + 0), _sigmoid(1 * x + 0)]  # i rows: 0.5 0.5 1 0 / -0.5 0.5 1 0
    c_tilde = [math.tanh(1 * x), math.tanh(-1 * x)]  # C~ rows: 1 0 1 0 / 0 1 -1 0
    o = [_sigmoid(0.5 * x), _sigmoid(0.5 * x)]  # o rows: 0.5 0 0.5 0 / 0 0.5 0.5 0
    c = [f[k] * 0 + i[k] * c_tilde[k] for k in range(2)]  # C_1 = f_1 * C_0 + i_1 * C~_1
    h = [o[k] * math.tanh(c[k]) for k in range(2)]  # h_1 = o_1 * tanh(C_1)
    assert f[0] == pytest.approx(0.880797, abs=1e-6) and f[1] == 0.5  # σ(2), σ(0)
    step = run_cell("lstm", xs, w).steps[0]
    for name, want in {"f": f, "i": i, "c": c_tilde, "o": o, "C": c, "h": h}.items():
        assert step.values[name] == pytest.approx(want, abs=1e-12), name

    # Step 2 by hand too: now h_1 and C_1 carry over.
    x2 = 0.5
    hx = [h[0], h[1], x2]
    row = lambda wts, b: sum(a * v for a, v in zip(wts, hx)) + b  # noqa: E731
    f2 = [_sigmoid(row([0.5, 0, 1], 1)), _sigmoid(row([0, 0.5, -1], 1))]
    i2 = [_sigmoid(row([0.5, 0.5, 1], 0)), _sigmoid(row([-0.5, 0.5, 1], 0))]
    ct2 = [math.tanh(row([1, 0, 1], 0)), math.tanh(row([0, 1, -1], 0))]
    o2 = [_sigmoid(row([0.5, 0, 0.5], 0)), _sigmoid(row([0, 0.5, 0.5], 0))]
    c2 = [f2[k] * c[k] + i2[k] * ct2[k] for k in range(2)]
    h2 = [o2[k] * math.tanh(c2[k]) for k in range(2)]
    step2 = run_cell("lstm", xs, w).steps[1]
    assert step2.h_prev == pytest.approx(h) and step2.c_prev == pytest.approx(c)
    assert step2.values["C"] == pytest.approx(c2, abs=1e-12) and step2.values["h"] == pytest.approx(h2, abs=1e-12)

    # torch.nn.LSTMCell with the same weights: its rows are stacked i, f, g (= C~), o; W_ih on x, W_hh on h.
    cell = torch.nn.LSTMCell(1, 2).double()
    with torch.no_grad():
        cell.weight_hh.copy_(torch.tensor(np.concatenate([w[g][0][:, :2] for g in "ifco"])))
        cell.weight_ih.copy_(torch.tensor(np.concatenate([w[g][0][:, 2:] for g in "ifco"])))
        cell.bias_ih.copy_(torch.tensor(np.concatenate([w[g][1] for g in "ifco"])))
        cell.bias_hh.zero_()
        state = (torch.zeros(1, 2, dtype=torch.float64), torch.zeros(1, 2, dtype=torch.float64))
        run = run_cell("lstm", xs, w)
        for t, x_t in enumerate(torch.tensor(xs)):
            state = cell(x_t[None], state)
            assert state[0][0].numpy() == pytest.approx(run.steps[t].values["h"], abs=1e-12)
            assert state[1][0].numpy() == pytest.approx(run.steps[t].values["C"], abs=1e-12)
    assert torch.tensor(h) == pytest.approx(torch.tensor(run.steps[0].values["h"]))


def test_rnn_step_is_reports_recurrence_and_matches_torch_rnncell():
    xs, w = _preset("rnn_short")
    run = run_cell("rnn", xs, w)
    # a<1> = tanh(W_aa a<0> + W_ax x<1> + b_a) with a<0> = 0, x<1> = 1: tanh(1 + 0), tanh(-1 + 0.1).
    assert run.steps[0].values["h"] == pytest.approx([math.tanh(1), math.tanh(-0.9)], abs=1e-12)
    a1 = run.steps[0].values["h"]
    want = [math.tanh(0.5 * a1[0] - 0.3 * a1[1] + 0.5), math.tanh(0.2 * a1[0] + 0.4 * a1[1] - 0.5 + 0.1)]
    assert run.steps[1].values["h"] == pytest.approx(want, abs=1e-12)  # a<1> carried over into step 2
    cell = torch.nn.RNNCell(1, 2).double()
    with torch.no_grad():
        cell.weight_hh.copy_(torch.tensor(w["a"][0][:, :2]))
        cell.weight_ih.copy_(torch.tensor(w["a"][0][:, 2:]))
        cell.bias_ih.copy_(torch.tensor(w["a"][1]))
        cell.bias_hh.zero_()
        h = torch.zeros(1, 2, dtype=torch.float64)
        for t, x_t in enumerate(torch.tensor(xs)):
            h = cell(x_t[None], h)
            assert h[0].numpy() == pytest.approx(run.steps[t].values["h"], abs=1e-12)


def test_gradient_through_time_by_hand_and_vanishing():
    # One unit, one input: h_t = tanh(w h_{t-1} + x_t). dh_T/dh_t = prod over s > t of w (1 - h_s^2), by the chain rule.
    xs = parse_sequence("1 0 0 0 0")
    w = {"a": parse_gate("0.5 1 0", "a", 1)}
    run = run_cell("rnn", xs, w)
    hs = [s.values["h"][0] for s in run.steps]
    for t in range(5):
        want = math.prod(0.5 * (1 - hs[s] ** 2) for s in range(t + 1, 5))
        assert run.grad_h[t] == pytest.approx(abs(want), rel=1e-12)
    assert run.grad_h[-1] == 1  # dh_T/dh_T is the identity
    # The twelve-step preset: the RNN's gradient reaching step 1 is under 1/1000 of step 11's; the LSTM's cell
    # state keeps it within a factor of 10 (measured, not assumed: the numbers come from autograd).
    rnn = run_cell("rnn", *_preset("rnn_long"))
    lstm = run_cell("lstm", *_preset("lstm_long"))
    assert all(a < b for a, b in zip(rnn.grad_h, rnn.grad_h[1:]))
    assert rnn.grad_h[0] < rnn.grad_h[10] / 1000
    assert lstm.grad_c[0] > lstm.grad_c[10] / 10 and lstm.grad_c[0] > 100 * rnn.grad_h[0]


def test_bad_sequences_and_weights_say_what_is_wrong():
    for text, words in [
        ("", "empty"),
        ("1 abc", "not a number"),
        (" ".join(["1"] * 21), "at most 20"),
        ("1 2\n3", "same number"),
        ("nan", "between"),
    ]:
        with pytest.raises(SequenceError) as err:
            parse_sequence(text)
        assert words in str(err.value) and err.value.vi
    with pytest.raises(SequenceError) as err:
        parse_weights("lstm", {"f": "1 2 3 4\n1 2 3 4", "i": "1 2 3 4", "c": "", "o": ""}, 1)
    assert "rows" in str(err.value) and "hàng" in err.value.vi
    with pytest.raises(SequenceError) as err:
        parse_gate("1 2 3", "a", 1)  # one hidden unit, one input: 1 + 1 + 1 numbers, fine; two inputs: 4 needed
        parse_gate("1 2 3", "a", 2)
    assert "4 numbers" in str(err.value)
    assert parse_sequence("1 0; 0 1; 1 1").shape == (3, 2)  # vectors, one step per ';'

"""The scalar LSTM explorer: its trace follows the LSTM equations and nn.LSTMCell; its controls drive it."""

from __future__ import annotations

import base64
import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from lecture_lib.explore.gated import STORE_GAIN, VALUE_GAIN, lstm_cell_explorer, scalar_lstm_trace


def sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def test_without_distractors_the_cell_state_decays_like_powers_of_f():
    b_f, b_i, b_o, T = 2.0, -1.0, 0.5, 12
    r = scalar_lstm_trace(b_f, b_i, b_o, noise=0.0, T=T)
    f, i1, v1, o = sigmoid(b_f), sigmoid(STORE_GAIN + b_i), math.tanh(VALUE_GAIN), sigmoid(b_o)
    c = np.array([i1 * v1 * f**k for k in range(T)])  # by hand: written once, then forgotten by f per step
    np.testing.assert_allclose(r["c"], c, rtol=1e-12, atol=0)
    np.testing.assert_allclose(r["h"], o * np.tanh(c), rtol=1e-12, atol=0)
    np.testing.assert_allclose(r["f"], f, rtol=1e-14)
    assert r["i"][0] == pytest.approx(i1, rel=1e-14)
    np.testing.assert_allclose(r["i"][1:], sigmoid(b_i), rtol=1e-14)
    np.testing.assert_allclose(r["distractors"], 0.0, atol=1e-15)
    np.testing.assert_allclose(r["grad"], [f ** (T - 1 - k) for k in range(T)], rtol=1e-12)
    np.testing.assert_array_equal(r["t"], np.arange(1, T + 1))
    assert r["u"][0] == 1.0 and r["s"][0] == 1.0 and not r["s"][1:].any()


def test_trace_matches_nn_lstmcell_and_the_decomposition_of_c():
    b_f, b_i, b_o, noise, T = 1.5, -2.0, -0.5, 0.8, 30
    r = scalar_lstm_trace(b_f, b_i, b_o, noise, T, seed=3)
    cell = nn.LSTMCell(2, 1, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor([[0.0, STORE_GAIN], [0.0, 0.0], [VALUE_GAIN, 0.0], [0.0, 0.0]]))
        cell.weight_hh.zero_()
        cell.bias_ih.copy_(torch.tensor([b_i, b_f, 0.0, b_o]))
        cell.bias_hh.zero_()
    x = torch.tensor(np.stack([r["u"], r["s"]], axis=1))  # (T, 2)
    h, c = torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
    cs, hs = [], []
    with torch.no_grad():
        for t in range(T):
            h, c = cell(x[t : t + 1], (h, c))
            cs.append(c.item())
            hs.append(h.item())
    np.testing.assert_allclose(r["c"], cs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(r["h"], hs, rtol=1e-12, atol=1e-15)
    # the distractors' part, written at steps 2..T and forgotten afterwards, summed by hand
    f = sigmoid(b_f)
    by_hand = [
        sum(f ** (t - s) * sigmoid(b_i) * math.tanh(VALUE_GAIN * r["u"][s]) for s in range(1, t + 1))
        for t in range(T)
    ]
    np.testing.assert_allclose(r["distractors"], by_hand, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(r["stored"] + r["distractors"], r["c"], rtol=1e-12, atol=1e-15)
    assert np.abs(r["distractors"]).max() > 0.01  # the distractors do write something
    np.testing.assert_allclose(r["u"][1:], noise * torch.randn(200, generator=torch.Generator().manual_seed(3),
                                                                 dtype=torch.float64)[: T - 1].numpy())  # fmt: skip


def test_the_distractors_do_not_change_with_T():
    short = scalar_lstm_trace(1.0, -1.0, 0.0, 0.5, 10)
    long = scalar_lstm_trace(1.0, -1.0, 0.0, 0.5, 40)
    for key in ("u", "c", "h", "stored"):
        np.testing.assert_array_equal(short[key], long[key][:10])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"forget_bias": float("nan")},
            ValueError,
            "forget_bias=nan must be a number between -50.0 and 50.0",
        ),
        ({"input_bias": "1"}, TypeError, "input_bias='1' must be a number between -50.0 and 50.0"),
        ({"output_bias": 99.0}, ValueError, "output_bias=99.0 must be a number between -50.0 and 50.0"),
        ({"noise": -0.1}, ValueError, "noise=-0.1 must be a number between 0.0 and 10.0"),
        ({"T": 0}, ValueError, "T=0 must be an integer between 1 and 200"),
        ({"T": 2.0}, TypeError, "T=2.0 must be an integer between 1 and 200"),
        ({"seed": 1.5}, TypeError, "seed=1.5 must be an int"),
        ({"seed": 2**64}, ValueError, "seed=18446744073709551616 must be an int"),  # torch would overflow
    ],
)
def test_trace_rejects_bad_arguments(kwargs, error, message):
    args = {"forget_bias": 1.0, "input_bias": -1.0, "output_bias": 0.0, "noise": 0.5, "T": 10}
    args.update(kwargs)
    with pytest.raises(error, match=re.escape(message)):
        scalar_lstm_trace(**args)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"forget_bias": 9.0}, "forget_bias=9.0 must be a number between -2.0 and 8.0"),
     ({"input_bias": 3.0}, "input_bias=3.0 must be a number between -8.0 and 2.0"),
     ({"T": 101}, "T=101 must be an integer between 5 and 100"),
     ({"noise": 2.0}, "noise=2.0 must be a number between 0.0 and 1.0"),
     ({"output_bias": -5.0}, "output_bias=-5.0 must be a number between -4.0 and 4.0")],
)  # fmt: skip
def test_explorer_rejects_values_off_its_sliders(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):  # the slider's own range, not the trace's
        lstm_cell_explorer(**kwargs)


@pytest.fixture(scope="module")
def explorer():
    return lstm_cell_explorer()


def test_default_state_numbers(explorer):
    assert explorer.state == {
        "forget_bias": 4.0,
        "input_bias": -5.0,
        "output_bias": 0.0,
        "noise": 0.5,
        "T": 40,
    }
    f, i1 = sigmoid(4.0), sigmoid(STORE_GAIN - 5.0)
    stored = i1 * math.tanh(VALUE_GAIN) * f**39
    text = explorer.summary.value
    assert f"= {f:.3f} per step" in text
    assert f"stored part <b>{stored:.3f}</b>" in text
    assert f"dc_T/dc_1 = {f**39:.2g}" in text


def test_controls_change_summary_and_figure(explorer):
    first_png, renders = explorer.image.value, explorer.renders
    explorer.controls["forget_bias"].value = 1.0
    assert explorer.renders == renders + 1
    assert explorer.image.value != first_png
    f = sigmoid(1.0)
    assert f"f = sigmoid(1) = {f:.3f}" in explorer.summary.value
    assert f"dc_T/dc_1 = {f**39:.2g}" in explorer.summary.value  # 4.9e-06: the stored value is gone
    explorer.controls["T"].value = 10
    assert f"dc_T/dc_1 = {f**9:.2g}" in explorer.summary.value
    explorer.controls["input_bias"].value = 0.0
    assert f"later i_t = {0.5:.3f}" in explorer.summary.value
    explorer.controls["noise"].value = 0.0
    assert "distractors wrote <b>+0.000</b>" in explorer.summary.value
    assert "Invalid" not in explorer.summary.value
    for name, value in (("forget_bias", 4.0), ("input_bias", -5.0), ("noise", 0.5), ("T", 40)):
        explorer.controls[name].value = value


def test_mime_bundle_has_widget_default_png_and_text():
    explorer = lstm_cell_explorer(T=20)
    explorer.controls["output_bias"].value = 2.0  # moving a control does not change the default figure
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    assert png == lstm_cell_explorer(T=20)._default_png
    assert "interactive explorer" in bundle["text/plain"]


def test_explorer_refuses_a_string_or_nan_bias():
    with pytest.raises(TypeError, match="forget_bias='4' must be a number"):
        lstm_cell_explorer(forget_bias="4")
    with pytest.raises(ValueError, match="noise=nan must be a number between 0.0 and 1.0"):
        lstm_cell_explorer(noise=float("nan"))

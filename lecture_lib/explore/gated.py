"""Explorer of the chapter "LSTM and GRU": a scalar LSTM cell that stores one value and keeps it, or not.

The cell has one hidden unit, two inputs and hand-set weights, and no recurrent weights, so its gates
depend on the input only and every quantity can be followed by eye. At step 1 it sees the value to store
(1.0) together with a "store" flag; at steps 2..T it sees distractors (a fixed random sequence scaled by
``noise``) and no flag::

    x_t = (u_t, s_t),   u_1 = 1, s_1 = 1,   u_t = noise * xi_t, s_t = 0 for t >= 2
    i_t = sigmoid(6 s_t + b_i)     f_t = sigmoid(b_f)     v_t = tanh(2 u_t)     o_t = sigmoid(b_o)
    c_t = f_t c_{t-1} + i_t v_t,   h_t = o_t tanh(c_t),   c_0 = h_0 = 0

Because the gates do not see h, c_T = sum_t (prod_{s>t} f_s) i_t v_t exactly: the part written at step 1
(the stored value) and the part the distractors wrote can be told apart, and dc_T/dc_t = prod_{s>t} f_s
is the whole gradient (the gradient highway with nothing else).

Taught in: chapter "LSTM and GRU".
"""

from __future__ import annotations

import numbers
from typing import Any

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from .._validate import check_int, describe
from ..gated import lstm_cell
from ._core import Explorer

__all__ = ["STORE_GAIN", "VALUE_GAIN", "lstm_cell_explorer", "scalar_lstm_trace"]

STORE_GAIN = 6.0
"""Weight from the store flag s_t to the input gate, so that i_1 = sigmoid(6 + b_i)."""

VALUE_GAIN = 2.0
"""Weight from the value channel u_t to the "value" v, so that v_t = tanh(2 u_t)."""

_T_MAX = 200  # the distractors are the first T - 1 of a fixed sequence, so changing T does not redraw them


def _check_number(name: str, value: Any, low: float, high: float, integer: bool = False) -> None:
    """A real number (an int if ``integer``; never a bool) in ``[low, high]``: TypeError, then ValueError."""
    kinds = numbers.Integral if integer else numbers.Real
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TypeError(
            f"{name}={describe(value)} must be {kind} between {low} and {high}, not {type(value).__name__}"
        )
    if not low <= value <= high:  # NaN never is
        raise ValueError(f"{name}={value!r} must be {kind} between {low} and {high}")


def scalar_lstm_trace(
    forget_bias: float, input_bias: float, output_bias: float, noise: float, T: int, seed: int = 0
) -> dict[str, np.ndarray]:
    """Run the explorer's scalar LSTM cell for T steps and return every gate and state.

    Shapes: every entry is a (T,) float64 array indexed by t = 1..T: ``t``, the inputs ``u`` (value channel)
    and ``s`` (store flag), the gates ``i``, ``f``, ``v``, ``o``, the states ``c``, ``h``, the part of c_t
    written at step 1 (``stored`` = prod_{s=2..t} f_s * i_1 v_1), the part the distractors wrote
    (``distractors``; c = stored + distractors up to rounding), and ``grad`` = dc_T/dc_t computed by
    autograd (entry T is 1).

    Formula: see the module docstring; each step is :func:`lecture_lib.gated_cells.lstm_cell` with PyTorch's
    gate layout (i, f, g, o), w_ih = [[0, 6], [0, 0], [2, 0], [0, 0]], w_hh = 0, b = (b_i, b_f, 0, b_o).
    ``seed`` picks the distractor sequence xi (standard normal).

    Taught in: chapter "LSTM and GRU".
    """
    for name, value in (
        ("forget_bias", forget_bias),
        ("input_bias", input_bias),
        ("output_bias", output_bias),
    ):
        _check_number(name, value, -50.0, 50.0)
    _check_number("noise", noise, 0.0, 10.0)
    _check_number("T", T, 1, _T_MAX, integer=True)
    seed = check_int("seed", seed, minimum=-(2**63), maximum=2**64 - 1)

    dtype = torch.float64
    xi = torch.randn(_T_MAX, generator=torch.Generator().manual_seed(seed), dtype=dtype)
    u = torch.cat([torch.ones(1, dtype=dtype), noise * xi[: T - 1]])  # (T,)
    s = torch.zeros(T, dtype=dtype)
    s[0] = 1.0
    x = torch.stack([u, s], dim=1)  # (T, 2)
    w_ih = torch.tensor([[0.0, STORE_GAIN], [0.0, 0.0], [VALUE_GAIN, 0.0], [0.0, 0.0]], dtype=dtype)  # (4, 2)
    w_hh = torch.zeros(4, 1, dtype=dtype)  # (4, 1): the gates do not see h
    b = torch.tensor([input_bias, forget_bias, 0.0, output_bias], dtype=dtype)  # (4,) rows i, f, g, o

    pre = x @ w_ih.T + b  # (T, 4): pre-activations, the same at every step whatever h is
    i, f, o = torch.sigmoid(pre[:, 0]), torch.sigmoid(pre[:, 1]), torch.sigmoid(pre[:, 3])  # (T,) each
    v = torch.tanh(pre[:, 2])  # (T,)

    h_t = torch.zeros(1, dtype=dtype)
    c_t = torch.zeros(1, dtype=dtype, requires_grad=True)  # a leaf, so that every c_t is in the graph
    cs, hs = [], []
    for t in range(T):
        h_t, c_t = lstm_cell(x[t], (h_t, c_t), w_ih, w_hh, b, None)  # (1,), (1,)
        c_t.retain_grad()
        cs.append(c_t)
        hs.append(h_t)
    c_t.sum().backward()  # L = c_T
    grad = torch.stack([c.grad for c in cs]).reshape(T)  # (T,): dc_T/dc_t
    c = torch.stack(cs).detach().reshape(T)  # (T,)
    h = torch.stack(hs).detach().reshape(T)  # (T,)
    kept = torch.cat([torch.ones(1, dtype=dtype), torch.cumprod(f[1:], 0)])  # (T,): prod_{s=2..t} f_s
    stored = kept * i[0] * v[0]  # (T,)
    # what steps 2..t wrote, forgotten since: d_1 = 0, d_t = f_t d_{t-1} + i_t v_t
    written = [torch.zeros((), dtype=dtype)]
    for t in range(1, T):
        written.append(f[t] * written[-1] + i[t] * v[t])
    out = {"t": torch.arange(1, T + 1, dtype=dtype), "u": u, "s": s, "i": i, "f": f, "v": v, "o": o, "c": c,
           "h": h, "stored": stored, "distractors": torch.stack(written), "grad": grad}  # fmt: skip
    return {k: val.detach().numpy() for k, val in out.items()}


def lstm_cell_explorer(
    forget_bias: float = 4.0,
    input_bias: float = -5.0,
    output_bias: float = 0.0,
    noise: float = 0.5,
    T: int = 40,
) -> Explorer:
    """Sliders for the forget, input and output biases of a scalar LSTM cell that stores one value.

    Top: the value channel u_t (grey bars) and the gates i_t, f_t, o_t. Middle: the cell state c_t, the part
    of it written at step 1 (the stored value, dashed) and h_t. Bottom: dc_T/dc_t by autograd (dots) and the
    product of the forget gates prod_{s>t} f_s (line) on a log scale: the gradient highway. The summary gives
    what is left of the stored value at step T, what the distractors wrote, and dc_T/dc_1.
    See :func:`scalar_lstm_trace` for the cell.

    Taught in: chapter "LSTM and GRU".
    """
    _check_number("forget_bias", forget_bias, -2.0, 8.0)
    _check_number("input_bias", input_bias, -8.0, 2.0)
    _check_number("output_bias", output_bias, -4.0, 4.0)
    _check_number("noise", noise, 0.0, 1.0)
    _check_number("T", T, 5, 100, integer=True)

    def draw(**state: Any) -> Figure:
        r = scalar_lstm_trace(**state)
        t = r["t"]
        fig = Figure(figsize=(9.0, 7.2))
        ax_gates, ax_state, ax_grad = fig.subplots(3, 1, sharex=True)
        ax_gates.bar(t, r["u"], width=0.6, color="#bbbbbb", label="input u_t")
        for name, color in (("i", "C0"), ("f", "C2"), ("o", "C1")):
            ax_gates.plot(t, r[name], "-", marker=".", color=color, label=f"{name}_t")
        ax_gates.set_ylim(-1.6, 1.6)
        ax_gates.set_ylabel("gate / input")
        ax_gates.set_title("gates of a scalar LSTM cell that stores u_1 = 1 (distractors after)", fontsize=10)
        ax_gates.legend(fontsize=8, ncol=4, loc="lower right")
        ax_state.axhline(0.0, color="#999999", linewidth=0.6)
        ax_state.plot(t, r["c"], "-", marker=".", color="C3", label="c_t")
        ax_state.plot(t, r["stored"], "--", color="C3", label="part of c_t written at step 1")
        ax_state.plot(t, r["h"], "-", color="C4", label="h_t = o_t tanh(c_t)")
        ax_state.set_ylabel("state")
        ax_state.legend(fontsize=8, loc="upper right")
        ax_grad.semilogy(t, np.abs(r["grad"]), "o", markersize=3, color="C2", label="|dc_T/dc_t| (autograd)")
        product = np.concatenate([np.cumprod(r["f"][:0:-1])[::-1], [1.0]])  # prod_{s=t+1..T} f_s
        ax_grad.semilogy(t, product, "-", color="#333333", linewidth=0.8, label="prod_{s>t} f_s")
        ax_grad.set_ylim(max(float(product.min()), 1e-30) / 3, 3.0)
        ax_grad.set_xlabel("step t")
        ax_grad.set_ylabel("dc_T / dc_t")
        ax_grad.legend(fontsize=8, loc="lower right")
        for ax in (ax_gates, ax_state, ax_grad):
            ax.grid(alpha=0.3)
        fig.tight_layout()
        return fig

    def summarize(**state: Any) -> str:
        r = scalar_lstm_trace(**state)
        T_ = state["T"]
        f = float(r["f"][-1])
        return (
            f"f = sigmoid({state['forget_bias']:g}) = {f:.3f} per step; i_1 = {r['i'][0]:.3f} writes "
            f"{r['stored'][0]:.3f}, later i_t = {r['i'][-1]:.3f}. At T = {T_}: stored part "
            f"<b>{r['stored'][-1]:.3f}</b> (f^{T_ - 1} = {f ** (T_ - 1):.2g} of it), distractors wrote "
            f"<b>{r['distractors'][-1]:+.3f}</b>, h_T = {r['h'][-1]:.3f}; dc_T/dc_1 = {r['grad'][0]:.2g}"
        )

    def slider(description: str, value: float, low: float, high: float, step: float) -> widgets.FloatSlider:
        return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                                   continuous_update=False, readout_format=".1f")  # fmt: skip

    controls = {
        "forget_bias": slider("forget b_f", forget_bias, -2.0, 8.0, 0.5),
        "input_bias": slider("input b_i", input_bias, -8.0, 2.0, 0.5),
        "output_bias": slider("output b_o", output_bias, -4.0, 4.0, 0.5),
        "noise": slider("distractors", noise, 0.0, 1.0, 0.1),
        "T": widgets.IntSlider(
            value=T, min=5, max=100, step=5, description="steps T", continuous_update=False
        ),
    }
    return Explorer("A scalar LSTM cell: forget, write, read", controls, draw, summarize)

"""Diagrams of the gated cells, drawn gate by gate: the LSTM, the GRU and the LSTM's gradient highway.

Each function draws on a matplotlib ``Axes`` (a new figure when ``ax`` is None) and returns it. Gates are
labelled with the lecture's names, PyTorch's, or both (``names`` is "lecture", "pytorch" or "both").

``GATE_NAMES`` maps each gate to both names: the LSTM's forget gate f_t, input gate i_t, value v_t and output
gate o_t are PyTorch's f, i, g and o (rows [H, 2H), [0, H), [2H, 3H), [3H, 4H) of ``weight_ih`` and
``weight_hh``); the GRU's reset gate r_t, update gate u_t and candidate h~_t are PyTorch's r, z and n (rows
[0, H), [H, 2H), [2H, 3H)).

Taught in: chapter "LSTM and GRU".
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyBboxPatch

from ._validate import check_choice, check_int

__all__ = ["GATE_NAMES", "draw_lstm_cell", "draw_gru_cell", "draw_gradient_highway"]

GATE_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    # gate: (lecture's name, PyTorch's name with its block of rows)
    "lstm": {
        "f": ("forget $f_t$", "f: rows [H, 2H)"),
        "i": ("input $i_t$", "i: rows [0, H)"),
        "v": ("value $v_t$", "g: rows [2H, 3H)"),
        "o": ("output $o_t$", "o: rows [3H, 4H)"),
    },
    "gru": {
        "r": ("reset $r_t$", "r: rows [0, H)"),
        "u": ("update $u_t$", "z: rows [H, 2H)"),
        "n": (r"candidate $\tilde h_t$", "n: rows [2H, 3H)"),
    },
}
_NAMINGS = ("lecture", "pytorch", "both")
_GATE_COLOR = {"sigmoid": "#f3d9a4", "tanh": "#b9d7ea"}


def _axes(ax: Any, size: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, not {type(ax).__name__}")
    ax.set_axis_off()
    ax.set_aspect("equal")
    return ax


def _label(cell: str, gate: str, names: str) -> str:
    lecture, pytorch = GATE_NAMES[cell][gate]
    return {"lecture": lecture, "pytorch": pytorch, "both": f"{lecture}\n{pytorch}"}[names]


def _gate(ax: Axes, x: float, y: float, activation: str, label: str) -> None:
    """A gate: a box with its activation at (x, y), its name below."""
    ax.add_patch(
        FancyBboxPatch(
            (x - 0.45, y - 0.3), 0.9, 0.6, boxstyle="round,pad=0.05", fc=_GATE_COLOR[activation], ec="0.2"
        )
    )
    ax.text(x, y, r"$\sigma$" if activation == "sigmoid" else "tanh", ha="center", va="center", fontsize=11)
    ax.text(
        x,
        y - 0.42,
        label,
        ha="center",
        va="top",
        fontsize=7.5,
        zorder=5,
        bbox={"fc": "#f7f7f7", "ec": "none", "pad": 0.3},
    )


def _op(ax: Axes, x: float, y: float, symbol: str) -> None:
    """A pointwise operation (a circle with its symbol)."""
    ax.add_patch(Circle((x, y), 0.22, fc="white", ec="0.2", zorder=3))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=11, zorder=4)


def _arrow(
    ax: Axes, start: tuple[float, float], end: tuple[float, float], color: str = "0.2", **kw: Any
) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": color, "lw": 1.3, **kw})


def _line(ax: Axes, xs: list[float], ys: list[float], color: str = "0.2", lw: float = 1.3) -> None:
    ax.plot(xs, ys, color=color, lw=lw, solid_capstyle="round")


def draw_lstm_cell(ax: Axes | None = None, names: str = "both") -> Axes:
    """One LSTM step: c_t = f_t * c_{t-1} + i_t * v_t on the top line, h_t = o_t * tanh(c_t) on the right.

    All four gates read [h_{t-1}; x_t] (the bottom line); the cell state runs along the top, touched only
    by one multiplication (forget) and one addition (write): the path the gradient highway follows.
    """
    names = check_choice("names", names, _NAMINGS)
    ax = _axes(ax, (9.5, 5.0))
    ax.add_patch(FancyBboxPatch((0.9, 0.4), 8.9, 5.0, boxstyle="round,pad=0.1", fc="#f7f7f7", ec="0.6"))
    top, gates, bottom = 4.8, 2.4, 0.8
    # cell state line: c_{t-1} -> (x f) -> (+ i*v) -> c_t
    _arrow(ax, (0.0, top), (2.58, top))
    _op(ax, 2.8, top, "×")
    _arrow(ax, (3.02, top), (5.18, top))
    _op(ax, 5.4, top, "+")
    _arrow(ax, (5.62, top), (10.7, top))
    ax.text(-0.1, top, "$c_{t-1}$", ha="right", va="center", fontsize=12)
    ax.text(10.8, top, "$c_t$", ha="left", va="center", fontsize=12)
    # input line: [h_{t-1}; x_t] feeding every gate
    _line(ax, [0.0, 7.6], [bottom, bottom])
    _line(ax, [1.8, 1.8], [0.0, bottom])
    ax.text(-0.1, bottom, "$h_{t-1}$", ha="right", va="center", fontsize=12)
    ax.text(1.8, -0.1, "$x_t$", ha="center", va="top", fontsize=12)
    layout = (("f", 2.8, "sigmoid"), ("i", 4.4, "sigmoid"), ("v", 6.0, "tanh"), ("o", 7.6, "sigmoid"))
    for gate, x, activation in layout:
        _arrow(ax, (x, bottom), (x, gates - 0.35))
        _gate(ax, x, gates, activation, _label("lstm", gate, names))
    # forget: f_t up to the multiplication on the cell line
    _arrow(ax, (2.8, gates + 0.35), (2.8, top - 0.22))
    # write: i_t * v_t, added to the cell line
    _op(ax, 5.4, 3.7, "×")
    _arrow(ax, (4.4, gates + 0.35), (5.22, 3.56))
    _arrow(ax, (6.0, gates + 0.35), (5.56, 3.54))
    _arrow(ax, (5.4, 3.92), (5.4, top - 0.22))
    # read: h_t = o_t * tanh(c_t)
    _line(ax, [9.0, 9.0], [top, 4.0])
    ax.add_patch(
        FancyBboxPatch((8.65, 3.4), 0.7, 0.4, boxstyle="round,pad=0.05", fc=_GATE_COLOR["tanh"], ec="0.2")
    )
    ax.text(9.0, 3.6, "tanh", ha="center", va="center", fontsize=9)
    _arrow(ax, (9.0, 3.35), (9.0, gates + 0.22))
    _op(ax, 9.0, gates, "×")
    _arrow(ax, (7.6 + 0.5, gates), (8.78, gates))
    _arrow(ax, (9.22, gates), (10.7, gates))
    ax.text(10.8, gates, "$h_t$", ha="left", va="center", fontsize=12)
    ax.set_xlim(-1.2, 11.7)
    ax.set_ylim(-0.6, 5.8)
    ax.set_title("LSTM cell: forget and write on the cell state, read through the output gate", fontsize=10)
    return ax


def draw_gru_cell(ax: Axes | None = None, names: str = "both") -> Axes:
    """One GRU step: h_t = u_t * h_{t-1} + (1 - u_t) * h~_t on the top line.

    The candidate h~_t = tanh(W_h [r_t * h_{t-1}; x_t] + b_h) applies the reset gate before the matrix, as
    the lecture and Cho et al. write it; PyTorch applies it after (r_t * (W_hn h_{t-1} + b_hn)), noted
    under the figure.
    """
    names = check_choice("names", names, _NAMINGS)
    ax = _axes(ax, (9, 5.2))
    ax.add_patch(FancyBboxPatch((0.9, 0.4), 8.2, 5.0, boxstyle="round,pad=0.1", fc="#f7f7f7", ec="0.6"))
    top, gates, bottom = 4.8, 2.3, 1.0
    # state line: h_{t-1} -> (x u) -> (+ (1-u) h~) -> h_t
    _arrow(ax, (0.0, top), (2.18, top))
    _op(ax, 2.4, top, "×")
    _arrow(ax, (2.62, top), (7.28, top))
    _op(ax, 7.5, top, "+")
    _arrow(ax, (7.72, top), (10.7, top))
    ax.text(-0.1, top, "$h_{t-1}$", ha="right", va="center", fontsize=12)
    ax.text(10.8, top, "$h_t$", ha="left", va="center", fontsize=12)
    # h_{t-1} also goes down to the gates, joined by x_t
    _line(ax, [0.6, 0.6], [top, 0.55])
    _line(ax, [0.6, 4.2], [bottom, bottom])
    _line(ax, [1.8, 1.8], [0.0, bottom])
    ax.text(1.8, -0.1, "$x_t$", ha="center", va="top", fontsize=12)
    for gate, x in (("u", 2.4), ("r", 4.2)):
        _arrow(ax, (x, bottom), (x, gates - 0.35))
        _gate(ax, x, gates, "sigmoid", _label("gru", gate, names))
    # update gate: keeps u_t of the old state, lets 1 - u_t of the candidate in
    _arrow(ax, (2.4, gates + 0.35), (2.4, top - 0.22))
    _op(ax, 3.4, 3.7, "1−")
    _arrow(ax, (2.6, gates + 0.35), (3.25, 3.53))
    _op(ax, 7.5, 3.7, "×")
    _arrow(ax, (3.62, 3.7), (7.28, 3.7))
    _arrow(ax, (7.5, 3.92), (7.5, top - 0.22))
    # reset gate: r_t * h_{t-1} before the candidate's matrix
    _op(ax, 6.0, 1.5, "×")
    _arrow(ax, (4.65, gates - 0.1), (5.8, 1.62))
    _line(ax, [0.6, 6.0], [0.55, 0.55])
    _arrow(ax, (6.0, 0.55), (6.0, 1.28))
    _arrow(ax, (6.22, 1.5), (7.05, 2.05))
    _gate(ax, 7.5, gates, "tanh", _label("gru", "n", names))
    _line(ax, [1.8, 8.6, 8.6], [0.25, 0.25, gates])
    _line(ax, [1.8, 1.8], [0.25, bottom])
    _arrow(ax, (8.6, gates), (7.97, gates))
    _arrow(ax, (7.5, gates + 0.35), (7.5, 3.48))
    ax.text(5.0, -0.45, "PyTorch resets after the matrix: $\\tilde h_t = \\tanh(W_{in} x_t + b_{in} + r_t \\odot "
            "(W_{hn} h_{t-1} + b_{hn}))$", ha="center", va="top", fontsize=8)  # fmt: skip
    ax.set_xlim(-1.2, 11.7)
    ax.set_ylim(-0.9, 5.8)
    ax.set_title("GRU cell: keep u_t of the old state, take 1 - u_t of the candidate", fontsize=10)
    return ax


def draw_gradient_highway(ax: Axes | None = None, T: int = 4) -> Axes:
    """The LSTM's cell states c_0 .. c_T in a row and the gradient dc_T/dc_t flowing back along them.

    Along the cell line each step back multiplies by the forget gate only: the direct path gives
    dc_T/dc_t = f_{t+1} * ... * f_T (elementwise), with no weight matrix and no tanh' in the product.
    """
    T = check_int("T", T, 1, 12)
    ax = _axes(ax, (1.9 * T + 2.5, 3.2))
    top = 2.0
    for t in range(T + 1):
        x = 1.9 * t
        ax.text(x, top + 0.45, f"$c_{{{t}}}$", ha="center", va="bottom", fontsize=11)
        ax.add_patch(Circle((x, top), 0.08, fc="0.2"))
        if t < T:
            _line(ax, [x, x + 1.9], [top, top])
            _op(ax, x + 0.95, top, "×")
            ax.text(x + 0.95, top - 0.35, f"$f_{{{t + 1}}}$", ha="center", va="top", fontsize=10)
            _arrow(ax, (x + 1.75, top - 1.1), (x + 0.15, top - 1.1), color="C3")
            ax.text(
                x + 0.95,
                top - 1.25,
                f"$\\times f_{{{t + 1}}}$",
                ha="center",
                va="top",
                fontsize=9,
                color="C3",
            )
    product = r" \odot ".join(f"f_{{{t}}}" for t in range(1, T + 1))
    ax.text(0.95 * T, -0.25, f"$\\partial c_{{{T}}} / \\partial c_0 = {product}$ along the cell line "
            "(the gates' own paths add more terms)", ha="center", va="top", fontsize=9)  # fmt: skip
    ax.set_xlim(-0.8, 1.9 * T + 0.8)
    ax.set_ylim(-0.8, 3.0)
    ax.set_title(
        "The gradient highway: backwards along the cell state, one forget gate per step", fontsize=10
    )
    return ax

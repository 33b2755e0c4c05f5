"""Explorers of the recurrent-network chapters: gradient paths through the unrolled graph, gradient flow.

``bptt_paths_explorer`` (chapter "RNNs and backpropagation through time") draws the unrolled graph of a
vanilla RNN and, for a sequence length, a truncation and a choice of losses, which occurrences of W_rec
receive gradient from which loss, with the size of every term of the double sum over (t, s).
``gradient_flow_explorer`` (chapter "Vanishing and exploding gradients") rescales one random W_rec to a
chosen spectral radius and plots how the norm of dL_T/dh_t shrinks or grows going back in time.

The helpers they are built on are public, so the chapters draw the same figures: ``draw_unrolled_graph``,
``draw_recurrent_connections`` and ``w_rec_path_terms`` (the double sum, term by term).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch

from .._validate import (
    check_bytes_budget,
    check_same_device,
    check_same_dtype,
    check_tensor,
    describe,
    is_int,
)
from ..rnn import (
    _check_backward_args,
    _derivative_from_output,
    bptt,
    gradient_norms_through_time,
    rnn_forward,
)
from ._core import Explorer, _check_float_tensor, _check_range

__all__ = [
    "w_rec_path_terms",
    "draw_unrolled_graph",
    "draw_recurrent_connections",
    "bptt_paths_explorer",
    "gradient_flow_explorer",
]

_GRAD = "#C44E52"  # edges that carry gradient
_PLAIN = "#8C8C8C"  # edges of the forward graph
_NODE = {"x": "#DDDDDD", "h": "#4C72B0", "z": "#55A868", "L": "#DD8452"}


_MAX_DRAWN_T = 100  # the longest unrolled graph drawn (4 rows of T nodes each)


def _check_truncate(truncate: int | None) -> None:
    if truncate is None:
        return
    if not is_int(truncate):
        raise TypeError(
            f"truncate={describe(truncate)} must be None or an integer >= 1 (the number of steps)"
        )
    if truncate < 1:
        raise ValueError(f"truncate={truncate!r} must be None or an integer >= 1 (the number of steps)")


def _check_loss_at(loss_at: str) -> None:
    if not isinstance(loss_at, str) or loss_at not in ("every", "last"):
        raise ValueError(f"loss_at={describe(loss_at)} must be 'every' (a loss at every step) or 'last'")


def _check_axes(ax: Any) -> None:
    if not isinstance(ax, Axes):
        raise TypeError(f"ax={describe(ax)} must be a matplotlib Axes, not {type(ax).__name__}")


def _window(t: int, truncate: int | None) -> range:
    """The steps s (1-based) whose use of W_rec receives gradient from the loss L_t."""
    first = 1 if truncate is None else max(1, t - truncate + 1)
    return range(first, t + 1)


# --------------------------------------------------------------------------------------------- terms
def w_rec_path_terms(
    h: torch.Tensor,
    dz: torch.Tensor,
    W_rec: torch.Tensor,
    W_out: torch.Tensor,
    activation: str = "relu",
    truncate: int | None = None,
) -> torch.Tensor:
    """Every term of the double sum dL/dW_rec = sum_t sum_s dL_t/dW_rec(used at step s), one by one.

    Shapes: h (T+1, N, H) from ``rnn_forward`` (h[0] = h0), dz (T, N, O) = dL/dz_t, W_rec (H, H),
    W_out (O, H). Returns terms (T, T, H, H) with ``terms[t-1, s-1]`` the gradient that the loss L_t sends
    to the copy of W_rec used at step s (zero for s > t and for steps outside the truncation window).

    Formula (row-vector form, as ``bptt``): for each loss t start from g = dz_t W_out, then for
    s = t, t-1, ..., max(1, t-k+1): delta = f'(a_s) * g, term[t, s] = delta^T h_{s-1}, g = delta W_rec.
    Summing the terms over s and t gives ``bptt(..., truncate=k)["W_rec"]``; this version recomputes
    every path from scratch, so it costs O(T^2) products where ``bptt`` needs O(T).

    Taught in: chapter "RNNs and backpropagation through time".
    """
    T, N, H, O = _check_backward_args(h, dz, W_rec, W_out, activation)
    tensors = {"h": h, "dz": dz, "W_rec": W_rec, "W_out": W_out}
    for name, value in tensors.items():
        _check_float_tensor(name, value, value.ndim)
    check_same_device(**tensors)
    check_same_dtype(**tensors)
    _check_truncate(truncate)
    check_bytes_budget("w_rec_path_terms (T, T, H, H)", T * T * H * H * h.element_size(), limit=2**30)
    fprime = _derivative_from_output(h[1:], activation)  # (T, N, H): f'(a_s) for s = 1..T
    terms = h.new_zeros((T, T, H, H))  # (T, T, H, H)
    for t in range(1, T + 1):
        g = dz[t - 1] @ W_out  # (N, H): dL_t/dh_t
        for s in reversed(_window(t, truncate)):
            delta = g * fprime[s - 1]  # (N, H): dL_t/da_s
            terms[t - 1, s - 1] = delta.T @ h[s - 1]  # (H, H)
            g = delta @ W_rec  # (N, H): dL_t/dh_{s-1}
    return terms


# --------------------------------------------------------------------------------------------- drawings
def _node(ax: Axes, xy: tuple[float, float], label: str, kind: str) -> None:
    ax.add_patch(Circle(xy, 0.3, facecolor=_NODE[kind], edgecolor="#333333", linewidth=0.8, zorder=3))
    color = "black" if kind in ("x", "L") else "white"
    ax.text(*xy, label, ha="center", va="center", fontsize=9, color=color, zorder=4)


def _edge(
    ax: Axes, a: tuple[float, float], b: tuple[float, float], color: str, width: float, rad: float = 0.0
) -> None:
    ax.add_patch(
        FancyArrowPatch(
            a, b, arrowstyle="-|>", mutation_scale=9, color=color, linewidth=width, shrinkA=11, shrinkB=11,
            connectionstyle=f"arc3,rad={rad}", zorder=2,
        )
    )  # fmt: skip


def draw_unrolled_graph(
    ax: Axes, T: int, truncate: int | None = None, loss_at: str = "every", focus: int | None = None
) -> list[int]:
    """Draw the unrolled graph of a vanilla RNN and mark the uses of W_rec that receive gradient.

    Rows from bottom to top: inputs x_t, states h_t (h_0 on the left), outputs z_t, losses L_t. Every
    arrow h_{s-1} -> h_s is one use of W_rec. With ``focus=t`` the paths from L_t back to W_rec are drawn
    in red (through z_t, h_t and the W_rec arrows of steps max(1, t-k+1)..t); with ``focus=None`` every
    W_rec arrow is labelled with the number of losses whose gradient reaches it, and drawn thicker the more
    losses use it. ``truncate=k`` keeps k steps per loss (None: full BPTT); ``loss_at="last"`` puts a loss
    on L_T only. Returns the count of losses per W_rec arrow, s = 1..T.

    Raises ValueError when ``focus`` is not a step with a loss.

    Taught in: chapter "RNNs and backpropagation through time".
    """
    _check_axes(ax)
    if not is_int(T):
        raise TypeError(f"T={describe(T)} must be a positive integer")
    if not 1 <= T <= _MAX_DRAWN_T:
        raise ValueError(f"T={T!r} must be a positive integer <= {_MAX_DRAWN_T} (the steps drawn)")
    _check_truncate(truncate)
    _check_loss_at(loss_at)
    losses = list(range(1, T + 1)) if loss_at == "every" else [T]
    if focus is not None:
        if not is_int(focus):
            raise TypeError(f"focus={describe(focus)} must be None or a step between 1 and T={T}")
        if not 1 <= focus <= T:
            raise ValueError(f"focus={focus!r} must be a step between 1 and T={T}")
        if focus not in losses:
            raise ValueError(f"focus={focus}: L_{focus} is zero when only the last step (T={T}) has a loss")
        losses = [focus]
    counts = [sum(s in _window(t, truncate) for t in losses) for s in range(1, T + 1)]
    highest = max(max(counts), 1)

    for t in range(1, T + 1):
        _node(ax, (t, 0), f"$x_{{{t}}}$", "x")
        _node(ax, (t, 2), f"$z_{{{t}}}$", "z")
        has_loss = loss_at == "every" or t == T
        if has_loss:
            _node(ax, (t, 3), f"$L_{{{t}}}$", "L")
        on_path = t in losses
        _edge(ax, (t, 0), (t, 1), _PLAIN, 1.0)
        _edge(ax, (t, 1), (t, 2), _GRAD if on_path else _PLAIN, 2.0 if on_path else 1.0)
        if has_loss:
            _edge(ax, (t, 2), (t, 3), _GRAD if on_path else _PLAIN, 2.0 if on_path else 1.0)
    for t in range(0, T + 1):
        _node(ax, (t, 1), f"$h_{{{t}}}$", "h")
    for s in range(1, T + 1):
        c = counts[s - 1]
        _edge(ax, (s - 1, 1), (s, 1), _GRAD if c else _PLAIN, 1.0 + 3.0 * c / highest if c else 1.0)
        if focus is None and c:
            ax.text(s - 0.5, 1.22, str(c), ha="center", va="bottom", fontsize=8, color=_GRAD)
    ax.text(0.5, 0.62, "$W_{rec}$", ha="center", va="top", fontsize=8, color="#333333")
    ax.text(T + 0.45, 0.5, "$W_{in}$", ha="left", va="center", fontsize=8, color="#333333")
    ax.text(T + 0.45, 1.5, "$W_{out}$", ha="left", va="center", fontsize=8, color="#333333")
    ax.set_xlim(-0.5, T + 1.1)
    ax.set_ylim(-0.5, 3.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return counts


def draw_recurrent_connections(ax: Axes, W_rec: torch.Tensor | np.ndarray) -> None:
    """Draw the units of a recurrent layer on a circle and an arrow j -> i for every W_rec[i, j] != 0.

    Shapes: W_rec (H, H), H <= 12 (a bigger drawing is unreadable). Self-connections are drawn as loops
    outside the circle; every arrow is labelled with its weight.

    Taught in: chapter "RNNs and backpropagation through time".
    """
    _check_axes(ax)
    if isinstance(W_rec, np.ndarray):
        if W_rec.dtype.kind not in "iuf":
            raise TypeError(f"W_rec must hold real numbers (an int or float array); got dtype {W_rec.dtype}")
        W_rec = torch.from_numpy(W_rec)
    check_tensor("W_rec", W_rec, 2, dtype="real", finite=True)
    if W_rec.device.type == "meta":
        raise ValueError(f"W_rec is on the meta device (a shape without values); got {describe(W_rec)}")
    W = np.asarray(W_rec.detach().cpu().double())
    if W.ndim != 2 or W.shape[0] != W.shape[1] or not 1 <= W.shape[0] <= 12:
        raise ValueError(f"W_rec has shape {W.shape}; expected a square (H, H) matrix with 1 <= H <= 12")
    H = W.shape[0]
    angles = [math.pi / 2 - 2 * math.pi * i / H for i in range(H)]  # unit 1 on top, clockwise
    pos = [(1.6 * math.cos(a), 1.6 * math.sin(a)) for a in angles]
    for i in range(H):
        for j in range(H):
            w = W[i, j]
            if w == 0:
                continue
            if i == j:  # a loop outside the circle, its weight beyond it
                cx, cy = 2.25 * math.cos(angles[i]), 2.25 * math.sin(angles[i])
                ax.add_patch(Circle((cx, cy), 0.38, fill=False, edgecolor=_GRAD, linewidth=1.2))
                lx, ly = 2.95 * math.cos(angles[i]), 2.95 * math.sin(angles[i])
                ax.text(lx, ly, f"{w:g}", ha="center", va="center", fontsize=9, color=_GRAD)
                continue
            (xj, yj), (xi, yi) = pos[j], pos[i]
            _edge(ax, (xj, yj), (xi, yi), _GRAD, 1.2, rad=0.18)
            mx, my = (xi + xj) / 2, (yi + yj) / 2
            nx, ny = (yi - yj), -(xi - xj)  # the side the arc bends to
            norm = math.hypot(nx, ny) or 1.0
            ax.text(mx + 0.28 * nx / norm, my + 0.28 * ny / norm, f"{w:g}", ha="center", va="center",
                    fontsize=9, color=_GRAD, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})  # fmt: skip
    for i, xy in enumerate(pos):
        _node(ax, xy, f"{i + 1}", "h")
    ax.set_xlim(-3.3, 3.3)
    ax.set_ylim(-3.3, 3.3)
    ax.set_aspect("equal")
    ax.axis("off")


# --------------------------------------------------------------------------------------------- explorer 1
def _paths_problem(T: int) -> dict[str, torch.Tensor]:
    """A small fixed tanh RNN (H=6, D=2, O=2, one sequence, rho(W_rec) = 0.9) with random dL/dz_t, T steps."""
    g = torch.Generator().manual_seed(0)
    H, D, O, T_max = 6, 2, 2, 12

    def r(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    W_rec = r(H, H)
    W_rec = W_rec * 0.9 / torch.linalg.eigvals(W_rec).abs().max()  # spectral radius 0.9
    W_in, W_out, b = r(H, D) / math.sqrt(D), r(O, H) / math.sqrt(H), 0.1 * r(H)
    x, dz = r(T_max, 1, D)[:T], r(T_max, 1, O)[:T]
    h0 = 0.5 * r(1, H)  # not zero, so that the use of W_rec at step 1 gets a gradient too
    h, _ = rnn_forward(x, h0, W_in, W_rec, b, W_out, None, "tanh")
    return {"x": x, "h": h, "dz": dz, "W_in": W_in, "W_rec": W_rec, "W_out": W_out}


def bptt_paths_explorer(T: int = 5, truncate: int = 0, loss_at: str = "every", focus: int = 0) -> Explorer:
    """Sliders for the sequence length T, the truncation k and the loss shown, over the unrolled graph.

    Top: the unrolled graph (``draw_unrolled_graph``) with the uses of W_rec that receive gradient.
    Bottom: the norm of every term dL_t/dW_rec(step s) (``w_rec_path_terms``) of a small fixed tanh RNN,
    loss t against step s; terms dropped by the truncation are blank. The summary counts the terms kept
    and gives the relative error of the truncated dL/dW_rec against full BPTT. ``truncate=0`` means no
    truncation; ``focus=0`` shows every loss, ``focus=t`` only L_t.

    Moving a control never leaves the loss shown without a figure: the slider "show L_t" ends at T
    (lowering T below it moves it to T), and with "last step only" L_T is the one loss, so the slider moves
    to T (unless it is at 0, every loss), follows T and is greyed out until the losses are at every step
    again. Starting values the slider cannot show raise ValueError: ``focus`` above ``T``, or
    ``loss_at="last"`` with a ``focus`` other than 0 and T (that L_t is zero).

    Taught in: chapter "RNNs and backpropagation through time".
    """
    _check_range("T", T, 1, 10, integer=True)
    _check_range("truncate", truncate, 0, 10, integer=True)
    _check_range("focus", focus, 0, 10, integer=True)
    _check_loss_at(loss_at)
    if focus > T:  # the slider ends at T: it would move focus there silently
        raise ValueError(f"focus={focus!r} must be 0 (every loss) or a step between 1 and T={T}")

    def options(state: dict[str, Any]) -> tuple[int, int | None, str, int | None]:
        T_, k, where, f = state["T"], state["truncate"], state["loss_at"], state["focus"]
        return T_, (k or None), where, (f or None)

    @functools.lru_cache(maxsize=64)
    def compute(T_: int, k: int | None, where: str) -> tuple[np.ndarray, float]:
        p = _paths_problem(T_)
        dz = p["dz"].clone()
        if where == "last":
            dz[:-1] = 0
        terms = w_rec_path_terms(p["h"], dz, p["W_rec"], p["W_out"], "tanh", truncate=k)  # (T, T, H, H)
        full = bptt(p["x"], p["h"], dz, p["W_in"], p["W_rec"], p["W_out"], "tanh")["W_rec"]
        error = float(torch.linalg.norm(terms.sum((0, 1)) - full) / torch.linalg.norm(full))
        norms = torch.linalg.matrix_norm(terms).numpy()  # (T, T)
        return norms, error

    def draw(**state: Any) -> Figure:
        T_, k, where, f = options(state)
        fig = Figure(figsize=(9.0, 6.4))
        ax_graph, ax_terms = fig.subplots(2, 1, height_ratios=[1.25, 1.0])
        draw_unrolled_graph(ax_graph, T_, k, where, f)
        scheme = "full BPTT" if k is None or k >= T_ else f"truncated to k={k} steps per loss"
        shown = f"paths from L_{f}" if f else "losses per use of W_rec"
        ax_graph.set_title(f"Unrolled graph, T={T_}, {scheme}: {shown} (red)", fontsize=10)
        norms, _ = compute(T_, k, where)
        kept = np.zeros_like(norms, dtype=bool)
        for t in range(1, T_ + 1):
            if where == "every" or t == T_:
                for s in _window(t, k):
                    kept[t - 1, s - 1] = True
        shown_values = np.where(kept, np.log10(np.maximum(norms, 1e-12)), np.nan)
        top = float(np.nanmax(shown_values)) if kept.any() else 0.0
        image = ax_terms.imshow(shown_values, cmap="viridis", origin="upper", aspect="auto", vmin=top - 4,
                                vmax=top, extent=(0.5, T_ + 0.5, T_ + 0.5, 0.5))  # fmt: skip
        if f:
            ax_terms.axhline(f - 0.5, color=_GRAD, linewidth=1.5)
            ax_terms.axhline(f + 0.5, color=_GRAD, linewidth=1.5)
        ax_terms.set_xlabel("step s whose W_rec receives the gradient")
        ax_terms.set_ylabel("loss L_t")
        ax_terms.set_xticks(range(1, T_ + 1))
        ax_terms.set_yticks(range(1, T_ + 1))
        ax_terms.set_title("log10 ||dL_t / dW_rec(step s)|| (blank: not backpropagated)", fontsize=10)
        fig.colorbar(image, ax=ax_terms, shrink=0.9)
        fig.tight_layout()
        return fig

    def summarize(**state: Any) -> str:
        T_, k, where, f = options(state)
        losses = list(range(1, T_ + 1)) if where == "every" else [T_]
        n_kept = sum(len(_window(t, k)) for t in losses)
        n_full = sum(len(_window(t, None)) for t in losses)
        _, error = compute(T_, k, where)
        text = f"T={T_}: {n_kept} of {n_full} (t, s) terms reach W_rec"
        if f:
            window = _window(f, k)
            text += f"; L_{f} reaches the W_rec of steps {window[0]}..{window[-1]} ({len(window)} terms)"
        return text + f"; relative error of dL/dW_rec against full BPTT: {error:.3g}"

    def slider(description: str, value: int, low: int, high: int) -> widgets.IntSlider:
        return widgets.IntSlider(
            value=value, min=low, max=high, description=description, continuous_update=False
        )

    controls = {
        "T": slider("length T", T, 1, 10),
        "truncate": slider("k (0: full)", truncate, 0, 10),
        "loss_at": widgets.ToggleButtons(
            options=[("loss at every step", "every"), ("last step only", "last")], value=loss_at,
            description="losses",
        ),
        "focus": slider("show L_t (0: all)", focus, 0, T),
    }  # fmt: skip
    controls["focus"].disabled = loss_at == "last"

    def follow(change: dict) -> None:
        """Keep the loss shown on a step with a loss when T or the losses change, before the redraw."""
        T_, shown = controls["T"].value, controls["focus"]
        last = controls["loss_at"].value == "last"
        # The explorer redraws once, for the change of T or of the losses, after this: not for the focus too.
        shown.unobserve(explorer._on_change, names="value")
        try:
            shown.max = T_  # lowering it below the value moves the value to T_
            if last and shown.value:
                shown.value = T_  # L_T, the only loss
        finally:
            shown.observe(explorer._on_change, names="value")
        shown.disabled = last

    # Observed before the Explorer observes its controls, so that it draws the focus already moved.
    controls["T"].observe(follow, names="value")
    controls["loss_at"].observe(follow, names="value")
    explorer = Explorer("Paths of the gradient to W_rec", controls, draw, summarize)
    return explorer


# --------------------------------------------------------------------------------------------- explorer 2
def _flow_problem(spectral_radius: float, T: int, input_scale: float) -> dict[str, torch.Tensor]:
    """One fixed random W_rec (H=32) rescaled to ``spectral_radius``; inputs and a last-step gradient."""
    g = torch.Generator().manual_seed(0)
    H, D = 32, 4
    W0 = torch.randn(H, H, generator=g, dtype=torch.float64) / math.sqrt(H)
    W_rec = W0 * (spectral_radius / torch.linalg.eigvals(W0).abs().max())  # (H, H), rho = spectral_radius
    W_in = torch.randn(H, D, generator=g, dtype=torch.float64) / math.sqrt(D)
    x = input_scale * torch.randn(200, 1, D, generator=g, dtype=torch.float64)[:T]  # (T, 1, D)
    dz_last = torch.randn(1, H, generator=g, dtype=torch.float64)
    return {"W_rec": W_rec, "W_in": W_in, "x": x, "dz_last": dz_last / torch.linalg.norm(dz_last)}


def _flow_norms(spectral_radius: float, activation: str, T: int, input_scale: float) -> dict[str, Any]:
    p = _flow_problem(spectral_radius, T, input_scale)
    W_rec, H = p["W_rec"], p["W_rec"].shape[0]
    eye = torch.eye(H, dtype=torch.float64)  # W_out = I: z_t = h_t, so dL_T/dh_T = dz_last
    if activation == "linear":  # f' = 1: going back one step multiplies by W_rec^T exactly
        g, norms = p["dz_last"], [1.0]
        for _ in range(T):
            g = g @ W_rec  # (1, H)
            norms.append(float(torch.linalg.norm(g)))
        norms = np.array(norms[::-1])  # (T+1,), entry t = ||dL_T/dh_t||
    else:
        h, _ = rnn_forward(p["x"], torch.zeros(1, H, dtype=torch.float64), p["W_in"], W_rec, None, eye, None,
                           activation)  # fmt: skip
        norms = gradient_norms_through_time(h, p["dz_last"], W_rec, eye, activation).numpy()
    return {
        "norms": norms,
        "eigenvalues": torch.linalg.eigvals(W_rec).numpy(),
        "sigma_max": float(torch.linalg.matrix_norm(W_rec, ord=2)),
    }


def gradient_flow_explorer(
    spectral_radius: float = 1.0, activation: str = "linear", T: int = 100, input_scale: float = 1.0
) -> Explorer:
    """A spectral-radius slider over the gradient norms ||dL_T/dh_t|| of a random 32-unit RNN.

    One fixed random W_rec is rescaled to the chosen spectral radius rho. Left: its eigenvalues and the
    unit circle. Right: ||dL_T/dh_t|| / ||dL_T/dh_T|| against the number of steps back T - t (log scale)
    with rho^(T-t) for reference. ``activation`` "linear" gives exactly powers of W_rec^T; "tanh" and
    "relu" run the network on random inputs of size ``input_scale`` and multiply by f'(a_t) at each step.

    Taught in: chapter "Vanishing and exploding gradients".
    """
    _check_range("spectral_radius", spectral_radius, 0.5, 1.5)
    _check_range("T", T, 10, 200, integer=True)
    _check_range("input_scale", input_scale, 0.0, 3.0)
    if not isinstance(activation, str) or activation not in ("linear", "tanh", "relu"):
        raise ValueError(f"activation={activation!r} must be 'linear', 'tanh' or 'relu'")

    def draw(**state: Any) -> Figure:
        rho, T_ = state["spectral_radius"], state["T"]
        out = _flow_norms(rho, state["activation"], T_, state["input_scale"])
        fig = Figure(figsize=(9.0, 3.8))
        ax_eig, ax_norm = fig.subplots(1, 2, width_ratios=[1.0, 1.8])
        circle = np.exp(1j * np.linspace(0, 2 * np.pi, 200))
        ax_eig.plot(circle.real, circle.imag, color="#333333", linewidth=0.8, label="|λ| = 1")
        ax_eig.plot(
            rho * circle.real, rho * circle.imag, "--", color=_GRAD, linewidth=0.8, label=f"|λ| = {rho:.2f}"
        )
        ax_eig.scatter(out["eigenvalues"].real, out["eigenvalues"].imag, s=12, color=_NODE["h"], zorder=3)
        ax_eig.set_aspect("equal")
        ax_eig.set_xlim(-1.6, 1.6)
        ax_eig.set_ylim(-1.6, 1.6)
        ax_eig.set_xlabel("Re λ")
        ax_eig.set_ylabel("Im λ")
        ax_eig.set_title("eigenvalues of W_rec", fontsize=10)
        ax_eig.legend(fontsize=7, loc="upper right")
        back = np.arange(T_ + 1)  # steps back, T - t
        ratio = out["norms"][::-1] / out["norms"][-1]  # (T+1,), index = steps back
        ax_norm.semilogy(
            back, np.where(ratio > 0, ratio, np.nan), color=_NODE["h"], label=state["activation"]
        )
        ax_norm.semilogy(back, rho**back, "--", color=_GRAD, label=f"ρ^k = {rho:.2f}^k")
        ax_norm.set_xlabel("steps back k = T - t")
        ax_norm.set_ylabel("||dL_T/dh_t|| / ||dL_T/dh_T||")
        ax_norm.set_title(f"gradient norm going back in time (T = {T_})", fontsize=10)
        ax_norm.legend(fontsize=8)
        ax_norm.grid(True, which="major", alpha=0.3)
        fig.tight_layout()
        return fig

    def summarize(**state: Any) -> str:
        rho, T_ = state["spectral_radius"], state["T"]
        out = _flow_norms(rho, state["activation"], T_, state["input_scale"])
        ratio = out["norms"][0] / out["norms"][-1]
        return (
            f"{state['activation']}: ρ = {rho:.2f}, largest singular value {out['sigma_max']:.2f}; "
            f"||dL/dh_0|| / ||dL/dh_{T_}|| = {ratio:.3g} (ρ^{T_} = {rho**T_:.3g})"
        )

    controls = {
        "spectral_radius": widgets.FloatSlider(
            value=spectral_radius, min=0.5, max=1.5, step=0.05, description="ρ(W_rec)", readout_format=".2f",
            continuous_update=False,
        ),
        "activation": widgets.ToggleButtons(options=["linear", "tanh", "relu"], value=activation,
                                            description="f"),
        "T": widgets.IntSlider(value=T, min=10, max=200, step=10, description="steps T", continuous_update=False),
        "input_scale": widgets.FloatSlider(
            value=input_scale, min=0.0, max=3.0, step=0.25, description="input scale", continuous_update=False
        ),
    }  # fmt: skip
    return Explorer("Gradient flow through time", controls, draw, summarize)

"""Explorer of the chapter "Checkerboard artifacts": the overlap of a transposed convolution's kernel taps.

A transposed convolution with kernel size ``k`` and stride ``s`` paints a ``k``-wide patch for every input
cell, ``s`` cells apart. :func:`~lecture_lib.checkerboard.overlap_counts` counts the patches covering each
output cell; away from the borders the counts alternate between ``floor(k / s)`` and ``ceil(k / s)``. The
explorer draws the counts as 1-D bars and as a 2-D map, and reports the interior max/min ratio.

Taught in: chapter "Checkerboard artifacts".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .._validate import check_int, describe
from ..checkerboard import overlap_counts
from ..plotting import COLORS
from ._core import Explorer, _int_slider

__all__ = [
    "checkerboard_explorer",
    "draw_overlap",
    "interior",
    "plot_overlap_bars",
    "plot_overlap_map",
    "summarize_overlap",
]


_MAX_LENGTH = 512  # the longest output drawn or summarised: a (512, 512) map of counts


def _check_sizes(kernel_size: Any, stride: Any, input_size: Any, drawn: bool = True) -> tuple[int, int, int]:
    """Positive ints; when ``drawn``, an output length ``(n - 1) * s + k`` of at most ``_MAX_LENGTH``."""
    k = check_int("kernel_size", kernel_size, minimum=1)
    s = check_int("stride", stride, minimum=1)
    n = check_int("input_size", input_size, minimum=1)
    if drawn and (n - 1) * s + k > _MAX_LENGTH:
        raise ValueError(
            f"kernel_size={k}, stride={s}, input_size={n} give an output of {(n - 1) * s + k} positions; "
            f"at most {_MAX_LENGTH} are drawn or summarised"
        )
    return k, s, n


def _check_axes(ax: Any) -> None:
    if not isinstance(ax, Axes):
        raise TypeError(f"ax={describe(ax)} must be a matplotlib Axes, not {type(ax).__name__}")


def interior(kernel_size: int, stride: int, input_size: int) -> slice:
    """The output positions of a 1-D transposed convolution (no padding) that are away from both borders.

    Output ``o`` is interior when ``k - 1 <= o <= (n - 1) * s``. Then ``o - t`` lies in ``[0, (n - 1) * s]``
    for every tap ``t = 0 .. k-1``, so every input cell ``i = (o - t) / s`` that an endless input would send
    there exists, and the count is the one of an endless input: ``floor(k / s)`` or ``ceil(k / s)``.
    Returns ``slice(k - 1, (n - 1) * s + 1)``.

    Raises:
        ValueError: when no position is interior (``(n - 1) * s < k - 1``: the input is too small).

    Taught in: chapter "Checkerboard artifacts" (uneven overlap).
    """
    k, s, n = _check_sizes(kernel_size, stride, input_size, drawn=False)
    if (n - 1) * s < k - 1:
        raise ValueError(
            f"input_size={n} is too small for kernel_size={k}, stride={s}: no output position is away from "
            f"the borders (need (input_size - 1) * stride >= kernel_size - 1)"
        )
    return slice(k - 1, (n - 1) * s + 1)


def _ratio_text(counts: torch.Tensor) -> str:
    low, high = int(counts.min()), int(counts.max())
    return "∞ (holes)" if low == 0 else f"{high / low:g}"


def plot_overlap_bars(ax: Axes, kernel_size: int, stride: int, input_size: int) -> torch.Tensor:
    """Bar chart of the 1-D overlap counts, the interior shaded; returns the counts (L,).

    Taught in: chapter "Checkerboard artifacts" (uneven overlap).
    """
    _check_axes(ax)
    _check_sizes(kernel_size, stride, input_size)
    counts = overlap_counts(kernel_size, stride, input_size)  # (L,)
    inner = interior(kernel_size, stride, input_size)
    positions = np.arange(len(counts))
    ax.axvspan(inner.start - 0.5, inner.stop - 0.5, color=COLORS["padding"], alpha=0.6, zorder=0)
    ax.bar(positions, counts.numpy(), color=COLORS["output"], edgecolor=COLORS["edge"], zorder=2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("output position")
    ax.set_ylabel("kernel taps landing here")
    top = max(int(counts.max()), 1)
    ax.text((inner.start + inner.stop - 1) / 2, top + 0.3, "interior", ha="center", va="center", fontsize=8)
    ax.set_ylim(0, top + 0.6)
    ax.set_yticks(range(int(counts.max()) + 1))
    ax.set_title(f"1-D, k={kernel_size}, s={stride}: interior max/min = {_ratio_text(counts[inner])}")
    return counts


def plot_overlap_map(ax: Axes, kernel_size: int, stride: int, input_size: int) -> torch.Tensor:
    """Image of the 2-D overlap counts (square kernel, stride and input), interior framed; returns (L, L).

    Taught in: chapter "Checkerboard artifacts" (uneven overlap).
    """
    _check_axes(ax)
    _check_sizes(kernel_size, stride, input_size)
    counts = overlap_counts(kernel_size, stride, (input_size, input_size))  # (L, L)
    inner = interior(kernel_size, stride, input_size)
    length = counts.shape[0]
    ax.imshow(counts.numpy(), cmap="viridis", vmin=0, interpolation="nearest")
    if length <= 16:
        top = int(counts.max())
        for r in range(length):
            for c in range(length):
                value = int(counts[r, c])
                color = "black" if value > 0.6 * top else "white"
                ax.text(c, r, str(value), ha="center", va="center", fontsize=7, color=color)
    lo, hi = inner.start - 0.5, inner.stop - 0.5
    ax.plot([lo, hi, hi, lo, lo], [lo, lo, hi, hi, lo], color="#DD8452", linewidth=1.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("output column")
    ax.set_ylabel("output row")
    ax.set_title(f"2-D: interior max/min = {_ratio_text(counts[inner, inner])}")
    return counts


def draw_overlap(kernel_size: int = 3, stride: int = 2, input_size: int = 5) -> Figure:
    """Figure of the overlap counts of a transposed convolution: 1-D bars (left) and the 2-D map (right).

    Raises:
        ValueError: from :func:`interior` when the input is too small to have an interior.

    Taught in: chapter "Checkerboard artifacts".
    """
    _check_sizes(kernel_size, stride, input_size)
    fig = Figure(figsize=(9.0, 3.8))
    ax_bars, ax_map = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
    plot_overlap_bars(ax_bars, kernel_size, stride, input_size)
    plot_overlap_map(ax_map, kernel_size, stride, input_size)
    fig.suptitle(f"Transposed convolution of {input_size} input cells: kernel {kernel_size}, stride {stride}")
    fig.tight_layout()
    return fig


def summarize_overlap(kernel_size: int, stride: int, input_size: int) -> str:
    """One line: the interior counts and max/min ratio in 1-D and 2-D, and whether the overlap is even."""
    k, s, n = _check_sizes(kernel_size, stride, input_size)
    inner = interior(k, s, n)
    counts_1d = overlap_counts(k, s, n)[inner]
    counts_2d = overlap_counts(k, s, (n, n))[inner, inner]
    values = sorted(set(counts_1d.tolist()))
    if values[0] == 0:
        verdict = "holes: stride > kernel size, some outputs receive no input"
    elif len(values) == 1:
        verdict = f"even: s={s} divides k={k}"
    else:
        verdict = f"uneven: s={s} does not divide k={k}"
    return (
        f"interior counts {values}; max/min: 1-D <b>{_ratio_text(counts_1d)}</b>, "
        f"2-D <b>{_ratio_text(counts_2d)}</b> ({verdict})"
    )


def checkerboard_explorer(kernel_size: int = 3, stride: int = 2, input_size: int = 5) -> Explorer:
    """Sliders for kernel size, stride and input size over the overlap bars and map of a transposed conv.

    The summary gives the interior counts and their max/min ratio (1 means even overlap, no checkerboard from
    the layout). An input too small to have an interior shows the error message instead of a figure.

    Slider ranges: kernel 1..7, stride 1..4, input 2..8.

    Raises:
        ValueError: for a starting value off its slider (ipywidgets would clamp it silently), and for a
            starting input too small to have an interior (the book shows only the starting figure).

    Taught in: chapter "Checkerboard artifacts".
    """
    controls = {
        "kernel_size": _int_slider("kernel_size", kernel_size, 1, 7, "kernel k"),
        "stride": _int_slider("stride", stride, 1, 4, "stride s"),
        "input_size": _int_slider("input_size", input_size, 2, 8, "input n"),
    }

    def summarize(**state: Any) -> str:
        return summarize_overlap(**state)

    return Explorer("Overlap of a transposed convolution", controls, draw_overlap, summarize)

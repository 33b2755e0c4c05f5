"""Explorer of the chapter "Transposed convolution from scratch": the scattered patches and the output."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .._validate import check_int
from ..conv_arith import conv_transpose_output_size
from ..plotting import COLORS, draw_grid
from ..transposed_conv import conv_transpose2d_scatter
from ._core import Explorer, _int_slider

__all__ = ["transposed_conv_explorer", "draw_transposed_conv", "scatter_counts"]


_MAX_SIZE = 64  # the largest input, kernel, stride and padding counted (the scatter loops over the input)
_MAX_DRAWN = 48  # the largest canvas drawn cell by cell, with a number in every output cell


def _check_settings(
    input_size: Any, kernel_size: Any, stride: Any, padding: Any, output_padding: Any
) -> tuple[int, int, int, int, int]:
    """Ints in range (each at most ``_MAX_SIZE``) that give an output of at least one cell."""
    i = check_int("input_size", input_size, minimum=1, maximum=_MAX_SIZE)
    k = check_int("kernel_size", kernel_size, minimum=1, maximum=_MAX_SIZE)
    s = check_int("stride", stride, minimum=1, maximum=_MAX_SIZE)
    p = check_int("padding", padding, minimum=0, maximum=_MAX_SIZE)
    a = check_int("output_padding", output_padding, minimum=0, maximum=_MAX_SIZE)
    conv_transpose_output_size(i, k, s, p, a)  # raises ValueError for invalid settings
    return i, k, s, p, a


def scatter_counts(
    input_size: int, kernel_size: int, stride: int, padding: int, output_padding: int
) -> torch.Tensor:
    """How many kernel taps land on each output cell: the transposed convolution of ones with ones.

    Shapes: a square input (input_size, input_size) and kernel (kernel_size, kernel_size) of ones ->
    (H_out, H_out) int64 with H_out = (input_size - 1) * stride - 2 * padding + kernel_size + output_padding.

    Taught in: chapter "Transposed convolution from scratch" (explorer).
    """
    input_size, kernel_size, stride, padding, output_padding = _check_settings(
        input_size, kernel_size, stride, padding, output_padding
    )
    ones_x = torch.ones(1, 1, input_size, input_size, dtype=torch.float64)
    ones_k = torch.ones(1, 1, kernel_size, kernel_size, dtype=torch.float64)
    out = conv_transpose2d_scatter(
        ones_x, ones_k, None, stride, padding, output_padding
    )  # (1, 1, H_out, W_out)
    return out[0, 0].round().long()


def _values(input_size: int, kernel_size: int, stride: int, padding: int, output_padding: int):
    """The input 1, 2, ..., the all-ones kernel and their transposed convolution (so a cell sums its inputs)."""
    x = torch.arange(1, input_size**2 + 1, dtype=torch.float64).view(1, 1, input_size, input_size)
    k = torch.ones(1, 1, kernel_size, kernel_size, dtype=torch.float64)
    out = conv_transpose2d_scatter(x, k, None, stride, padding, output_padding)  # (1, 1, H_out, W_out)
    return x[0, 0], out[0, 0]


def draw_transposed_conv(
    input_size: int = 2, kernel_size: int = 3, stride: int = 2, padding: int = 0, output_padding: int = 0
) -> Figure:
    """Draw a transposed convolution in the distribution view: input, scattered patches, output.

    Left: the input (values 1, 2, ..., one colour per cell). Middle: the full canvas of size
    (i - 1) s + k (+ output padding beyond it), where every input cell's k x k patch (all-ones kernel) is
    drawn in that cell's colour; the output window, which ``padding`` crops by p on each side and
    ``output_padding`` extends at the bottom and right, is outlined in black. Right: the output; each cell
    holds the sum of the input values whose patches cover it, shaded by how many patches do.

    Raises:
        ValueError: from :func:`~lecture_lib.conv_arith.conv_transpose_output_size` for invalid settings.

    Taught in: chapter "Transposed convolution from scratch" (explorer).
    """
    i, k, s, p, a = _check_settings(input_size, kernel_size, stride, padding, output_padding)
    o = conv_transpose_output_size(i, k, s, p, a)
    if max((i - 1) * s + k, p + o) > _MAX_DRAWN:
        raise ValueError(
            f"input_size={i}, kernel_size={k}, stride={s}, padding={p}, output_padding={a} need a canvas of "
            f"{max((i - 1) * s + k, p + o)} cells; at most {_MAX_DRAWN} are drawn"
        )
    x, out = _values(i, k, s, p, a)
    counts = scatter_counts(i, k, s, p, a).numpy()
    full = (i - 1) * s + k
    canvas = max(full, p + o)
    palette = colormaps["tab20"]
    cell_colour = [to_hex(palette(n % 20)) for n in range(i * i)]

    fig = Figure(figsize=(10.5, 3.8))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.86, wspace=0.08)
    ax_in, ax_mid, ax_out = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 2, 2]})

    in_colors = np.array([[cell_colour[r * i + c] for c in range(i)] for r in range(i)], dtype=object)
    in_labels = np.array([[f"{int(x[r, c])}" for c in range(i)] for r in range(i)], dtype=object)
    draw_grid(ax_in, in_colors, labels=in_labels)
    ax_in.set_xlim(-0.2, max(i, 2) + 0.2)
    ax_in.set_ylim(-max(i, 2) - 0.2, 0.2)
    ax_in.set_title(f"input {i}x{i}")

    # the canvas: white cells, each input cell's patch as a translucent square in its colour
    draw_grid(ax_mid, np.full((canvas, canvas), COLORS["zero"], dtype=object))
    inset = 0.35 / max(i * i, 1)
    for r in range(i):
        for c in range(i):
            n = r * i + c
            off = inset * n  # shift each patch a little so overlapping patches stay visible
            ax_mid.add_patch(
                Rectangle(
                    (c * s + off, -(r * s + k) + off),
                    k - 2 * off,
                    k - 2 * off,
                    facecolor=cell_colour[n],
                    edgecolor=cell_colour[n],
                    alpha=0.45,
                    linewidth=1.5,
                )
            )
    ax_mid.add_patch(Rectangle((p, -(p + o)), o, o, fill=False, edgecolor="black", linewidth=2.5))
    ax_mid.set_xlim(-0.2, canvas + 0.2)
    ax_mid.set_ylim(-canvas - 0.2, 0.2)
    ax_mid.set_title(
        f"patches on the {full}x{full} canvas (stride {s});\noutput window (black): crop {p}, add {a}"
    )

    shades = colormaps["Greens"]
    top = max(int(counts.max()), 1)
    out_colors = np.array(
        [[to_hex(shades(0.15 + 0.6 * counts[r, c] / top)) for c in range(o)] for r in range(o)], dtype=object
    )
    out_labels = np.array([[f"{out[r, c]:g}" for c in range(o)] for r in range(o)], dtype=object)
    draw_grid(ax_out, out_colors, labels=out_labels)
    ax_out.set_xlim(-0.2, o + 0.2)
    ax_out.set_ylim(-o - 0.2, 0.2)
    ax_out.set_title(f"output {o}x{o} (darker: more patches)")
    return fig


def transposed_conv_explorer(
    input_size: int = 2, kernel_size: int = 3, stride: int = 2, padding: int = 0, output_padding: int = 0
) -> Explorer:
    """Sliders for input size, kernel size, stride, padding and output padding over the scatter drawing.

    Invalid combinations (output padding not below the stride, an output smaller than 1) show the error
    message instead of a figure.

    Slider ranges: input 1..4, kernel 1..5, stride 1..3, padding 0..2, output padding 0..2.

    Raises:
        ValueError: for a starting value off its slider (ipywidgets would clamp it silently), and for
            starting values that form an invalid combination (the book shows only the starting figure).

    Taught in: chapter "Transposed convolution from scratch".
    """
    controls = {
        "input_size": _int_slider("input_size", input_size, 1, 4, "input i"),
        "kernel_size": _int_slider("kernel_size", kernel_size, 1, 5, "kernel k"),
        "stride": _int_slider("stride", stride, 1, 3, "stride s"),
        "padding": _int_slider("padding", padding, 0, 2, "padding p"),
        "output_padding": _int_slider("output_padding", output_padding, 0, 2, "output pad"),
    }

    def summarize(**state: Any) -> str:
        i, k, s, p, a = (
            state[n] for n in ("input_size", "kernel_size", "stride", "padding", "output_padding")
        )
        o = conv_transpose_output_size(i, k, s, p, a)
        counts = scatter_counts(i, k, s, p, a)
        low, high = int(counts.min()), int(counts.max())
        return (
            f"output o = ({i}−1)·{s} − 2·{p} + {k} + {a} = <b>{o}</b>; "
            f"each output cell receives between <b>{low}</b> and <b>{high}</b> kernel taps"
        )

    return Explorer("Transposed convolution: scattered patches", controls, draw_transposed_conv, summarize)

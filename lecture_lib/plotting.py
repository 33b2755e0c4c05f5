"""Matplotlib helpers shared by the chapters: grids of cells, figure-to-PNG.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state), so a helper can be called from an
explorer callback or a test without opening windows or leaking figures.

Taught in: used by every chapter; the grid drawings belong to "Convolution arithmetic".
"""

from __future__ import annotations

import io
import numbers
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import is_color_like
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._validate import check_bool, check_int, check_real, describe
from .conv_arith import conv_output_size, conv_transpose_output_size

__all__ = ["figure_to_png", "draw_grid", "draw_conv_arithmetic", "COLORS"]

COLORS = {
    "input": "#4C72B0",
    "padding": "#DDDDDD",
    "kernel": "#DD8452",
    "output": "#55A868",
    "zero": "#FFFFFF",
    "edge": "#333333",
}
"""Colours of the course's grid drawings, by role (input cells, padding, kernel taps, output, inserted zeros)."""

#: the largest PNG :func:`figure_to_png` renders (64 megapixels, 256 MiB of RGBA)
MAX_PIXELS = 2**26
#: the most cells :func:`draw_grid` draws (one patch each) and the longest side :func:`draw_conv_arithmetic` draws
MAX_CELLS = 2**14
MAX_SIDE = 128


def _cell_array(name: str, value: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``value`` as a 2-D NumPy array (of ``shape`` when given), its name in the message otherwise."""
    if not isinstance(value, (np.ndarray, list, tuple)):
        raise TypeError(
            f"{name}={describe(value)} must be a 2-D array (rows, columns), not {type(value).__name__}"
        )
    array = np.asarray(value, dtype=object)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows, columns); got shape {array.shape}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} must have the shape {shape} of colors; got {array.shape}")
    return array


def figure_to_png(fig: Figure, dpi: int = 100) -> bytes:
    """Render a figure to PNG bytes (deterministic metadata, so identical figures give identical bytes).

    Raises:
        TypeError: ``fig`` not a matplotlib Figure, ``dpi`` not an int.
        ValueError: ``dpi`` below 1, or so large that the image would exceed ``MAX_PIXELS`` pixels.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig={describe(fig)} must be a matplotlib.figure.Figure, not {type(fig).__name__}")
    check_int("dpi", dpi, minimum=1)
    width, height = fig.get_size_inches() * dpi
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"dpi={dpi} makes a {width:.0f} x {height:.0f}-pixel image of the {fig.get_figwidth():g} x "
            f"{fig.get_figheight():g}-inch figure, more than {MAX_PIXELS} pixels"
        )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def draw_grid(
    ax: Axes,
    colors: np.ndarray,
    origin: tuple[float, float] = (0.0, 0.0),
    hatch: np.ndarray | None = None,
    dashed: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> None:
    """Draw an (R, C) grid of unit cells with the given face colours, row 0 at the top.

    Args:
        ax: the axes to draw on (its aspect is set to equal and its frame hidden).
        colors: (R, C) array of colour strings.
        origin: (x, y) of the grid's top-left corner, in cell units; y grows downwards.
        hatch: optional (R, C) bool array: cells drawn with a hatch (kernel taps).
        dashed: optional (R, C) bool array: cells drawn with a dashed edge (padding).
        labels: optional (R, C) array of strings written in the cells.
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax={describe(ax)} must be a matplotlib Axes, not {type(ax).__name__}")
    colors = _cell_array("colors", colors)
    rows, cols = colors.shape
    if rows * cols > MAX_CELLS:
        raise ValueError(
            f"colors has {rows} x {cols} cells; at most {MAX_CELLS} can be drawn (one patch each)"
        )
    for colour in set(colors.ravel().tolist()):
        if not is_color_like(colour):
            raise ValueError(f"colors holds {colour!r}, which is not a matplotlib colour")
    hatch, dashed, labels = (
        None if v is None else _cell_array(n, v, (rows, cols))
        for n, v in (("hatch", hatch), ("dashed", dashed), ("labels", labels))
    )
    if not isinstance(origin, (tuple, list)) or len(origin) != 2:
        raise TypeError(f"origin={describe(origin)} must be a pair (x, y) of real numbers")
    x0, y0 = (check_real("origin", v) for v in origin)
    for r in range(rows):
        for c in range(cols):
            rect = Rectangle(
                (x0 + c, -(y0 + r + 1)),
                1,
                1,
                facecolor=colors[r, c],
                edgecolor=COLORS["edge"],
                linewidth=0.8,
                linestyle="--" if dashed is not None and dashed[r, c] else "-",
                hatch="///" if hatch is not None and hatch[r, c] else None,
            )
            ax.add_patch(rect)
            if labels is not None and labels[r, c]:
                ax.text(x0 + c + 0.5, -(y0 + r + 0.5), labels[r, c], ha="center", va="center", fontsize=8)
    ax.set_aspect("equal")
    ax.axis("off")


def _as_pair(v: int | Sequence[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def draw_conv_arithmetic(
    input_size: int = 5,
    kernel_size: int = 3,
    stride: int = 2,
    padding: int = 1,
    dilation: int = 1,
    output_padding: int = 0,
    transposed: bool = False,
) -> Figure:
    """Draw a convolution (or transposed convolution) on square grids: input, first window, output.

    Convolution: the input of size i (blue) inside its padding (grey, dashed), the taps of the first
    kernel window (orange, hatched; spaced by the dilation), and the output of size
    ``conv_output_size(i, k, s, p, d)`` (green) with its first cell marked.

    Transposed convolution, drawn as the equivalent direct convolution (Dumoulin & Visin, 2016): the
    input cells spread apart by ``s - 1`` inserted zeros (white), padded by ``d(k-1) - p`` on each side
    plus ``output_padding`` at the bottom and right, then convolved with stride 1. When ``d(k-1) - p`` is
    negative, the transposed convolution crops instead of padding; the figure says so in its title.

    Raises:
        TypeError: when a size is not an int or ``transposed`` not a bool (the message names it).
        ValueError: from :func:`~lecture_lib.conv_arith.conv_output_size` or
            :func:`~lecture_lib.conv_arith.conv_transpose_output_size` for invalid sizes.

    Taught in: chapter "Convolution arithmetic".
    """
    sizes = {
        "input_size": input_size,
        "kernel_size": kernel_size,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "output_padding": output_padding,
    }
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name}={value!r} must be an int (the drawing is square: one size per axis)")
    if not isinstance(transposed, bool):
        raise TypeError(f"transposed={transposed!r} must be True or False")
    check_bool("transposed", transposed)
    for name, value in sizes.items():
        low = 0 if name in ("padding", "output_padding") else 1
        if value < low:
            raise ValueError(f"{name}={value!r} must be >= {low}")
        if value > MAX_SIDE:
            raise ValueError(f"{name}={value!r} is too large to draw (at most {MAX_SIDE} cells per side)")
    i, k, s, p, d, op = (int(v) for v in sizes.values())
    side = (i - 1) * s + 1 + 2 * max(d * (k - 1) - p, 0) + op if transposed else i + 2 * p
    if side > MAX_SIDE:
        settings = ", ".join(f"{name}={value}" for name, value in sizes.items())
        raise ValueError(
            f"{settings} make a grid of {side} x {side} cells; at most {MAX_SIDE} per side can be drawn"
        )
    if transposed:
        o = conv_transpose_output_size(i, k, s, p, op, d)
        pad = d * (k - 1) - p  # negative: the stretched input is cropped instead of padded
        stretched = (i - 1) * s + 1
        full = stretched + 2 * pad + op  # = o + d(k-1): the grid a stride-1 convolution slides over
        colors = np.full((full, full), COLORS["padding"], dtype=object)
        dashed = np.ones((full, full), dtype=bool)
        for a in range(full):
            for b in range(full):
                ra, rb = a - pad, b - pad  # position in the stretched (zero-inserted) input
                if 0 <= ra < stretched and 0 <= rb < stretched:
                    dashed[a, b] = False
                    on_input = ra % s == 0 and rb % s == 0
                    colors[a, b] = COLORS["input"] if on_input else COLORS["zero"]
        window = np.zeros((full, full), dtype=bool)
        for u in range(k):
            for v in range(k):
                window[u * d, v * d] = True
        title_left = f"input {i}x{i}, {s - 1} zero(s) inserted, padded by {pad}" + (
            f" + output padding {op}" if op else ""
        )
        if pad < 0:
            title_left = f"input {i}x{i}, {s - 1} zero(s) inserted, cropped by {-pad} (p > d(k-1))"
        title_right = f"output {o}x{o}\n= ({i}-1)*{s} - 2*{p} + {d}*({k}-1) + {op} + 1"
    else:
        o = conv_output_size(i, k, s, p, d)
        full = i + 2 * p
        colors = np.full((full, full), COLORS["padding"], dtype=object)
        dashed = np.ones((full, full), dtype=bool)
        colors[p : p + i, p : p + i] = COLORS["input"]
        dashed[p : p + i, p : p + i] = False
        window = np.zeros((full, full), dtype=bool)
        for u in range(k):
            for v in range(k):
                window[u * d, v * d] = True
        title_left = f"input {i}x{i}, padding {p}, kernel {k}" + (f", dilation {d}" if d > 1 else "")
        title_right = f"output {o}x{o}\n= floor(({i} + 2*{p} - {d}*({k}-1) - 1) / {s}) + 1"
    out_colors = np.full((o, o), COLORS["output"], dtype=object)
    out_mark = np.zeros((o, o), dtype=bool)
    out_mark[0, 0] = True

    fig = Figure(figsize=(8.0, 4.0))
    ax_in, ax_out = fig.subplots(1, 2, gridspec_kw={"width_ratios": [max(full, 1), max(o, 1)]})
    draw_grid(ax_in, colors, hatch=window, dashed=dashed)
    for u in range(full):
        for v in range(full):
            if window[u, v]:
                ax_in.add_patch(
                    Rectangle((v, -(u + 1)), 1, 1, facecolor=COLORS["kernel"], alpha=0.55, edgecolor="none")
                )
    ax_in.set_xlim(-0.2, full + 0.2)
    ax_in.set_ylim(-full - 0.2, 0.2)
    ax_in.set_title(title_left, fontsize=9)
    draw_grid(ax_out, out_colors, hatch=out_mark)
    ax_out.set_xlim(-0.2, o + 0.2)
    ax_out.set_ylim(-o - 0.2, 0.2)
    ax_out.set_title(title_right, fontsize=9)
    kind = "Transposed convolution" if transposed else "Convolution"
    fig.suptitle(f"{kind}: k={k}, s={s}, p={p}, d={d}" + (f", output_padding={op}" if transposed else ""))
    fig.tight_layout()
    return fig

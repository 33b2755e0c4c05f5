"""Animated convolutions on integer grids, one frame per output position, as GIFs that play in any browser.

Each frame shows the grid the kernel slides over (left) and the output (right). For a convolution the grid
is the input inside its padding; for a transposed convolution it is the grid of the equivalent direct
convolution (Dumoulin & Visin, *A guide to convolution arithmetic for deep learning*, 2016): the input with
``s - 1`` zeros inserted between its cells, padded by ``d(k-1) - p`` on each side (cropped where that is
negative) and by ``output_padding`` more at the bottom and right, then convolved with stride 1. Frame ``t``
marks the kernel taps of output cell ``t`` (row-major) and colours that output cell.

Frames are painted cell by cell into integer arrays with a fixed palette (no fonts, no anti-aliasing), so
the same arguments give the same bytes on every machine. Taught in: chapter "Convolution arithmetic".
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from ._validate import check_bool, check_int, describe
from .conv_arith import conv_output_size, conv_transpose_output_size

__all__ = ["PALETTE", "conv_animation_frames", "conv_animation", "animation_gallery"]

PALETTE: dict[str, tuple[int, int, int]] = {
    "background": (255, 255, 255),
    "edge": (64, 64, 64),
    "padding": (221, 221, 221),
    "input": (76, 114, 176),
    "zero": (250, 250, 250),
    "padding_tap": (240, 190, 150),
    "input_tap": (221, 132, 82),
    "zero_tap": (252, 222, 196),
    "output_done": (85, 168, 104),
    "output_current": (232, 116, 52),
    "output_todo": (214, 236, 219),
}
"""RGB colours of the animations, by role (padding, input and inserted-zero cells of the grid the kernel slides
over, ``*_tap`` where a kernel tap covers them; output cells computed, current and still to come; the cell
edges and the background)."""

_INDEX = {role: n for n, role in enumerate(PALETTE)}
#: pixels of white border around the drawing, and blank pixels between the two grids
MARGIN = 4
GAP = 16
#: the largest grid side (in cells) an animation draws
MAX_SIDE = 48


def _geometry(
    input_size: int,
    kernel_size: int,
    stride: int,
    padding: int,
    dilation: int,
    transposed: bool,
    output_padding: int,
) -> tuple[int, int, np.ndarray, int]:
    """(output size o, window stride, base roles of the grid the kernel slides over, grid side)."""
    args = dict(input_size=input_size, kernel_size=kernel_size, stride=stride, dilation=dilation)
    for name, value in args.items():
        check_int(name, value, minimum=1)
    check_int("padding", padding, minimum=0)
    check_int("output_padding", output_padding, minimum=0)
    check_bool("transposed", transposed)
    i, k, s, p, d, op = input_size, kernel_size, stride, padding, dilation, output_padding
    for name, value in dict(args, padding=p, output_padding=op).items():
        if value > MAX_SIDE:
            raise ValueError(f"{name}={value} is too large to animate (at most {MAX_SIDE})")
    if not transposed and op:
        raise ValueError(f"output_padding={op} only applies to a transposed convolution (transposed=True)")
    settings = f"input_size={i}, kernel_size={k}, stride={s}, padding={p}, dilation={d}, output_padding={op}"
    try:
        if transposed:
            o = conv_transpose_output_size(i, k, stride=s, padding=p, output_padding=op, dilation=d)
        else:
            o = conv_output_size(i, k, stride=s, padding=p, dilation=d)
    except ValueError as err:
        raise ValueError(f"{settings} (transposed={transposed}): {err}") from None
    # transposed: the last window ends at the grid's last cell; direct: cells the floor drops stay unread
    side = o + d * (k - 1) if transposed else i + 2 * p
    if max(side, o) > MAX_SIDE:
        raise ValueError(
            f"{settings} make a grid of {side} x {side} cells; at most {MAX_SIDE} can be animated"
        )
    roles = np.full((side, side), _INDEX["padding"], dtype=np.uint8)
    if transposed:
        pad = d * (k - 1) - p  # negative: the zero-inserted input is cropped instead of padded
        stretched = (i - 1) * s + 1
        pos = np.arange(side) - pad  # grid cell -> position in the zero-inserted input
        inside = (pos >= 0) & (pos < stretched)
        on_input = inside & (pos % s == 0)
        roles[np.ix_(inside, inside)] = _INDEX["zero"]
        roles[np.ix_(on_input, on_input)] = _INDEX["input"]
        return o, 1, roles, side
    roles[p : p + i, p : p + i] = _INDEX["input"]
    return o, s, roles, side


def _paint(canvas: np.ndarray, top: int, left: int, roles: np.ndarray, cell: int) -> None:
    """Paint an (R, C) grid of palette indices with ``cell``-pixel cells and 1-pixel edges."""
    rows, cols = roles.shape
    canvas[top : top + rows * cell, left : left + cols * cell] = np.repeat(np.repeat(roles, cell, 0), cell, 1)
    for r in range(rows + 1):
        canvas[top + r * cell, left : left + cols * cell + 1] = _INDEX["edge"]
    for c in range(cols + 1):
        canvas[top : top + rows * cell + 1, left + c * cell] = _INDEX["edge"]


def _indexed_frames(
    input_size: int,
    kernel_size: int,
    stride: int,
    padding: int,
    dilation: int,
    transposed: bool,
    output_padding: int,
    cell_size: int,
) -> np.ndarray:
    check_int("cell_size", cell_size, minimum=4, maximum=64)
    o, step, base, side = _geometry(
        input_size, kernel_size, stride, padding, dilation, transposed, output_padding
    )
    k, d = kernel_size, dilation
    height = 2 * MARGIN + max(side, o) * cell_size + 1
    out_left = MARGIN + side * cell_size + 1 + GAP
    width = out_left + o * cell_size + 1 + MARGIN
    tap = {_INDEX[r]: _INDEX[f"{r}_tap"] for r in ("padding", "input", "zero")}
    lut = np.arange(len(PALETTE), dtype=np.uint8)
    for plain, tapped in tap.items():
        lut[plain] = tapped
    taps = np.arange(k) * d
    frames = np.full((o * o, height, width), _INDEX["background"], dtype=np.uint8)
    for t in range(o * o):
        a, b = divmod(t, o)
        roles = base.copy()
        window = np.ix_(a * step + taps, b * step + taps)  # (k, k) taps of output cell (a, b)
        roles[window] = lut[roles[window]]
        out = np.full(o * o, _INDEX["output_todo"], dtype=np.uint8)
        out[:t] = _INDEX["output_done"]
        out[t] = _INDEX["output_current"]
        _paint(frames[t], MARGIN, MARGIN, roles, cell_size)
        _paint(frames[t], MARGIN, out_left, out.reshape(o, o), cell_size)
    return frames


def conv_animation_frames(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    transposed: bool = False,
    output_padding: int = 0,
    *,
    cell_size: int = 10,
) -> np.ndarray:
    """The frames of a (transposed) convolution on a square input, one per output position, as RGB arrays.

    Sizes as in ``nn.Conv2d`` / ``nn.ConvTranspose2d`` (one int per side). The output size is
    ``o = floor((i + 2p - d(k-1) - 1) / s) + 1`` for a convolution and
    ``o = (i-1)s - 2p + d(k-1) + output_padding + 1`` for a transposed one. The kernel slides over a grid
    of ``g`` cells per side: the padded input (``g = i + 2p``), or for a transposed convolution the
    zero-inserted input padded by ``d(k-1) - p`` (cropped where negative) plus ``output_padding`` at the
    bottom and right (``g = o + d(k-1)``, slid over with stride 1).

    Frame ``t`` (``t = a·o + b``) colours the taps of output cell ``(a, b)`` with the ``*_tap`` roles of
    :data:`PALETTE` and that output cell ``output_current``. Cell ``(r, c)`` of the grid spans pixels
    ``MARGIN + r·cell_size`` to ``MARGIN + (r+1)·cell_size`` (edges included); the output grid starts at
    column ``MARGIN + g·cell_size + 1 + GAP``.

    Returns:
        uint8 array of shape ``(o·o, H, W, 3)`` with ``H = 2·MARGIN + max(g, o)·cell_size + 1`` and
        ``W = 2·MARGIN + (g + o)·cell_size + 2 + GAP``.

    Raises:
        TypeError: a size that is not an int, ``transposed`` not a bool.
        ValueError: sizes below 1 (padding below 0), sizes PyTorch refuses (no output, ``output_padding``
            not below ``max(stride, dilation)``, ``output_padding`` without ``transposed``), ``cell_size``
            outside [4, 64], or a grid larger than ``MAX_SIDE`` cells per side.

    Taught in: chapter "Convolution arithmetic".
    """
    indexed = _indexed_frames(input_size, kernel_size, stride, padding, dilation, transposed, output_padding,
                              cell_size)  # fmt: skip
    colours = np.array(list(PALETTE.values()), dtype=np.uint8)
    return colours[indexed]  # (o*o, H, W, 3)


def conv_animation(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    transposed: bool = False,
    output_padding: int = 0,
    *,
    cell_size: int = 10,
    frame_ms: int = 400,
) -> bytes:
    """The frames of :func:`conv_animation_frames` as a looping animated GIF (bytes), ``frame_ms`` per frame.

    The GIF has exactly ``o·o`` frames of the size :func:`conv_animation_frames` gives (the last one shown
    three times as long, so the finished output stays a moment before the loop restarts). It is encoded by
    Pillow from a fixed palette: equal arguments give equal bytes. Show it with
    ``IPython.display.Image(data=gif, format="gif")`` or in :func:`animation_gallery`.

    Raises:
        TypeError: as :func:`conv_animation_frames`.
        ValueError: as :func:`conv_animation_frames`, and ``frame_ms`` outside [20, 10000].

    Taught in: chapter "Convolution arithmetic".
    """
    check_int("frame_ms", frame_ms, minimum=20, maximum=10_000)
    indexed = _indexed_frames(input_size, kernel_size, stride, padding, dilation, transposed, output_padding,
                              cell_size)  # fmt: skip
    palette = [channel for rgb in PALETTE.values() for channel in rgb]
    images = []
    for frame in indexed:
        image = Image.frombytes("P", (frame.shape[1], frame.shape[0]), frame.tobytes())
        image.putpalette(palette)
        images.append(image)
    durations = [frame_ms] * len(images)
    durations[-1] = 3 * frame_ms
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0,
                   optimize=False, disposal=1)  # fmt: skip
    return buf.getvalue()


def animation_gallery(animations: Sequence[tuple[str, bytes]], columns: int = 3) -> str:
    """An HTML gallery of GIF animations, ``columns`` per row, each embedded as a data URI with its caption.

    Args:
        animations: ``(caption, gif_bytes)`` pairs, e.g. from :func:`conv_animation`; the caption is also the
            image's ``alt`` text.
        columns: animations per row (1 to 8).

    Returns:
        the HTML text; show it with ``IPython.display.HTML(text)``. It plays offline in Jupyter, Colab and the
        rendered book, because the images travel inside the page
        (``<img class="conv-animation" src="data:image/gif;base64,...">``).

    Raises:
        TypeError: ``animations`` not a sequence of (str, bytes) pairs, ``columns`` not an int.
        ValueError: ``animations`` empty, bytes that are not a GIF, ``columns`` outside [1, 8].

    Taught in: chapter "Convolution arithmetic".
    """
    check_int("columns", columns, minimum=1, maximum=8)
    if not isinstance(animations, (list, tuple)):
        raise TypeError(f"animations={describe(animations)} must be a list of (caption, gif bytes) pairs")
    if not animations:
        raise ValueError("animations=[] must hold at least one (caption, gif bytes) pair")
    figures = []
    for n, item in enumerate(animations):
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], (bytes, bytearray))):  # fmt: skip
            raise TypeError(f"animations[{n}]={describe(item)} must be a (caption, gif bytes) pair")
        caption, gif = item
        if bytes(gif[:6]) not in (b"GIF87a", b"GIF89a"):
            raise ValueError(
                f"animations[{n}] holds bytes that are not a GIF (they start {bytes(gif[:6])!r})"
            )
        text = html.escape(caption)
        data = base64.b64encode(bytes(gif)).decode("ascii")
        figures.append(
            f'<figure style="margin:0;text-align:center"><img class="conv-animation" alt="{text}" '
            f'src="data:image/gif;base64,{data}" style="max-width:100%;height:auto;image-rendering:pixelated">'
            f'<figcaption style="font-size:0.8em;line-height:1.3">{text}</figcaption></figure>'
        )
    style = (
        f"display:grid;grid-template-columns:repeat({columns},minmax(0,1fr));gap:14px 10px;align-items:end"
    )
    return f'<div class="conv-animation-gallery" style="{style}">' + "".join(figures) + "</div>"

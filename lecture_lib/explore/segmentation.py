"""Explorer of the chapter "Segmentation": what labelling every pixel with a sliding-window CNN costs.

A patch classifier labels the pixel at the centre of a ``p x p`` window. Sliding the window over an
``H x W`` image (zero-padded by ``p // 2`` so that border pixels get a window too) in steps of ``s`` costs one
forward pass per window, and neighbouring windows read mostly the same pixels. :func:`sliding_window_cost`
counts both; :func:`window_coverage` says how many windows read each pixel; :func:`sliding_window_explorer`
puts sliders on image size, patch size and stride.

Taught in: chapter "Segmentation" (sliding windows and their cost).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .._validate import check_real, describe
from ._core import Explorer, _int_slider

__all__ = [
    "SlidingWindowCost",
    "draw_sliding_windows",
    "sliding_window_cost",
    "sliding_window_explorer",
    "sliding_window_summary",
    "window_coverage",
]


_MAX_DRAWN = 4096  # the largest height, width, patch size or stride drawn (and counted window by window)


def _positive_int(value: Any, name: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name}={describe(value)} must be a positive int, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name}={value!r} must be a positive int")
    return int(value)


def _pair(value: Any, name: str) -> tuple[int, int]:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise TypeError(f"{name}={describe(value)} must be a pair of positive ints")
    return _positive_int(value[0], f"{name}[0]"), _positive_int(value[1], f"{name}[1]")


def _check_drawn(**sizes: int) -> None:
    """Sizes that set a drawing, an allocation or a loop: each at most ``_MAX_DRAWN``."""
    for name, value in sizes.items():
        if value > _MAX_DRAWN:
            raise ValueError(
                f"{name}={value} is too large to draw or count pixel by pixel (at most {_MAX_DRAWN})"
            )


def _check(image_size: Any, patch_size: Any, stride: Any) -> tuple[int, int, int, int]:
    if not isinstance(image_size, tuple | list) or len(image_size) != 2:
        raise TypeError(f"image_size={describe(image_size)} must be a pair (H, W) of positive ints")
    h = _positive_int(image_size[0], "image_size[0] (H)")
    w = _positive_int(image_size[1], "image_size[1] (W)")
    p = _positive_int(patch_size, "patch_size")
    if p % 2 == 0:
        raise ValueError(f"patch_size={p} must be odd, so that a window has a centre pixel to label")
    s = _positive_int(stride, "stride")
    return h, w, p, s


@dataclass(frozen=True)
class SlidingWindowCost:
    """The counts of one sliding-window setting (see :func:`sliding_window_cost` for the formulas)."""

    image_size: tuple[int, int]
    patch_size: int
    stride: int
    windows: tuple[int, int]  # windows per column and per row: (ceil(H / s), ceil(W / s))
    forward_passes: int  # one per window
    pixels_read: int  # forward_passes * p * p
    distinct_pixels: int  # pixels of the padded image that at least one window reads
    redundant_fraction: float  # 1 - distinct_pixels / pixels_read
    neighbour_overlap: float  # share of a window's pixels that the next window along a row also reads
    labelled_fraction: float  # share of the image's pixels that are some window's centre

    def __post_init__(self) -> None:
        _check(self.image_size, self.patch_size, self.stride)
        _pair(self.windows, "windows")
        for name in ("forward_passes", "pixels_read", "distinct_pixels"):
            _positive_int(getattr(self, name), name)
        for name in ("redundant_fraction", "neighbour_overlap", "labelled_fraction"):
            check_real(name, getattr(self, name), minimum=0.0, maximum=1.0)

    @property
    def reads_per_pixel(self) -> float:
        """Pixels read per image pixel, ``pixels_read / (H W)``."""
        return self.pixels_read / (self.image_size[0] * self.image_size[1])


def sliding_window_cost(image_size: tuple[int, int], patch_size: int, stride: int = 1) -> SlidingWindowCost:
    """Count the forward passes and the repeated reads of a sliding-window segmenter.

    Windows: ``p x p`` (``p = patch_size``, odd), centred on the pixels ``(i, j)`` with ``i`` in
    ``0, s, 2s, ... < H`` and ``j`` in ``0, s, 2s, ... < W``, on the image zero-padded by ``r = p // 2``.

    Formulas (per axis ``n = ceil(H / s)`` windows; union of the windows' extents ``u = (n - 1) s + p`` if
    ``s <= p``, else ``n p``):

    * forward passes ``N = n_H n_W`` (``H W`` for ``s = 1``: one per pixel);
    * pixels read ``N p^2``; distinct pixels read ``u_H u_W``; redundant fraction ``1 - u_H u_W / (N p^2)``;
    * neighbour overlap ``max(p - s, 0) / p``: the share of a window that the window ``s`` pixels to its
      right also reads;
    * labelled fraction ``N / (H W)``: only window centres get a label (all pixels when ``s = 1``).

    Taught in: chapter "Segmentation" (the cost of sliding windows).
    """
    h, w, p, s = _check(image_size, patch_size, stride)
    n_h, n_w = -(-h // s), -(-w // s)

    def union(n: int) -> int:
        return (n - 1) * s + p if s <= p else n * p

    passes = n_h * n_w
    read = passes * p * p
    distinct = union(n_h) * union(n_w)
    return SlidingWindowCost(
        image_size=(h, w),
        patch_size=p,
        stride=s,
        windows=(n_h, n_w),
        forward_passes=passes,
        pixels_read=read,
        distinct_pixels=distinct,
        redundant_fraction=1.0 - distinct / read,
        neighbour_overlap=max(p - s, 0) / p,
        labelled_fraction=passes / (h * w),
    )


def window_coverage(image_size: tuple[int, int], patch_size: int, stride: int = 1) -> torch.Tensor:
    """How many windows read each pixel of the zero-padded image.

    Shapes: returns int64 ``(H + 2r, W + 2r)`` with ``r = patch_size // 2``; the image itself is
    ``[r:r + H, r:r + W]``. The count is separable: ``count[y, x] = c_H[y] c_W[x]`` with
    ``c[t] = #{windows whose extent contains t}``; its sum is ``forward_passes * p^2`` and its number of
    non-zero entries is ``distinct_pixels`` of :func:`sliding_window_cost`.

    Taught in: chapter "Segmentation" (the cost of sliding windows).
    """
    h, w, p, s = _check(image_size, patch_size, stride)
    _check_drawn(**{"image_size[0]": h, "image_size[1]": w, "patch_size": p})
    r = p // 2

    def counts_1d(n: int) -> torch.Tensor:
        c = torch.zeros(n + 2 * r, dtype=torch.int64)
        for start in range(0, n, s):  # window centred on pixel `start` covers padded [start, start + p)
            c[start : start + p] += 1
        return c  # (n + 2r,)

    return counts_1d(h)[:, None] * counts_1d(w)[None, :]  # (H + 2r, W + 2r)


def sliding_window_summary(height: int, width: int, patch_size: int, stride: int) -> str:
    """One line of HTML with the numbers of :func:`sliding_window_cost` for the explorer.

    Taught in: chapter "Segmentation".
    """
    _positive_int(height, "height")
    _positive_int(width, "width")
    c = sliding_window_cost((height, width), patch_size, stride)
    n_h, n_w = c.windows
    text = (
        f"{n_h} × {n_w} = <b>{c.forward_passes:,}</b> forward passes of a {c.patch_size}×{c.patch_size} "
        f"patch CNN for a {height}×{width} image; {c.pixels_read:,} pixels read "
        f"({c.reads_per_pixel:,.1f} per image pixel), <b>{c.redundant_fraction:.2%}</b> of them read before; "
        f"neighbouring windows share {c.neighbour_overlap:.1%}"
    )
    if stride > 1:
        text += f"; only {c.labelled_fraction:.1%} of the pixels are window centres and get a label"
    if stride > patch_size:
        text += " (the windows leave gaps: some pixels are never seen)"
    return text


def draw_sliding_windows(height: int, width: int, patch_size: int, stride: int) -> Figure:
    """Left: windows per pixel over the padded image, with three windows drawn. Right: passes against stride.

    Taught in: chapter "Segmentation".
    """
    h, w, p, s = _check((_positive_int(height, "height"), _positive_int(width, "width")), patch_size, stride)
    _check_drawn(height=h, width=w, patch_size=p, stride=s)
    cost = sliding_window_cost((height, width), patch_size, stride)
    coverage = window_coverage((height, width), patch_size, stride).numpy()  # (H + 2r, W + 2r)
    r = patch_size // 2
    fig = Figure(figsize=(9.5, 3.8))
    fig.subplots_adjust(left=0.07, right=0.97, bottom=0.14, top=0.9, wspace=0.3)
    ax_map, ax_cost = fig.subplots(1, 2, width_ratios=(1.15, 1))

    shown = ax_map.imshow(coverage, cmap="viridis", interpolation="nearest", vmin=0)
    fig.colorbar(shown, ax=ax_map, shrink=0.8, label="windows reading the pixel")
    ax_map.add_patch(Rectangle((r - 0.5, r - 0.5), width, height, fill=False, ec="white", lw=1.2, ls="--"))
    starts = [(0, 0), (0, stride), (stride, 0)]  # a window, its right and its lower neighbour
    for (y0, x0), colour in zip(starts, ("#DD8452", "#C44E52", "#8172B3")):
        if y0 < height and x0 < width:
            ax_map.add_patch(
                Rectangle((x0 - 0.5, y0 - 0.5), patch_size, patch_size, fill=False, ec=colour, lw=1.5)
            )
    ax_map.set_title(f"{patch_size}×{patch_size} windows, stride {stride} (dashed: the image)")
    ax_map.set_xlabel("x (pixels, padded image)")
    ax_map.set_ylabel("y (pixels, padded image)")

    strides = np.arange(1, max(2 * patch_size, stride) + 1)
    passes = [sliding_window_cost((height, width), patch_size, int(s)).forward_passes for s in strides]
    ax_cost.semilogy(strides, passes, color="#4C72B0")
    ax_cost.plot([stride], [cost.forward_passes], "o", color="#DD8452")
    ax_cost.axvline(patch_size, color="#999999", ls=":", lw=1)
    ax_cost.set_xlabel("stride s (pixels)")
    ax_cost.set_ylabel("forward passes (log scale)")
    ax_cost.set_title(f"{cost.forward_passes:,} passes, {cost.redundant_fraction:.2%} of reads repeated")
    ax_cost.text(patch_size, passes[0], " s = p: no overlap", color="#666666", va="top", fontsize=8)
    return fig


def sliding_window_explorer(
    height: int = 375, width: int = 500, patch_size: int = 65, stride: int = 1
) -> Explorer:
    """Sliders for the image size, the patch size (odd) and the stride of a sliding-window segmenter.

    The summary gives the forward passes, the pixels read and the share read more than once; the figure
    shows how many windows read each pixel and how the number of passes falls with the stride.

    Slider ranges: height and width 16..512, patch 1..129 (odd), stride 1..96.

    Raises:
        ValueError: for an even or non-positive size (as :func:`sliding_window_cost`) and for a starting
            value off its slider (ipywidgets would clamp it silently).

    Taught in: chapter "Segmentation".
    """
    _check((_positive_int(height, "height"), _positive_int(width, "width")), patch_size, stride)
    controls = {
        "height": _int_slider("height", height, 16, 512, "height H"),
        "width": _int_slider("width", width, 16, 512, "width W"),
        "patch_size": _int_slider("patch_size", patch_size, 1, 129, "patch p", step=2),
        "stride": _int_slider("stride", stride, 1, 96, "stride s"),
    }
    return Explorer("Sliding-window cost", controls, draw_sliding_windows, sliding_window_summary)

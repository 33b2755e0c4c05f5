"""Explorer of the chapter "Upsampling": one small image grown by each method, with its pixel grid.

The picture is the top of the pagoda in scikit-learn's bundled ``china.jpg`` (it ships with scikit-learn,
so it works offline). The explorer shows the small input, the upsampled output and, for comparison, the
same crop at the output resolution: that is what an ideal upsampler would produce.

Taught in: chapter "Upsampling".
"""

from __future__ import annotations

import functools

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from PIL import Image

from .._validate import check_bytes_budget, check_int, check_same_device, check_same_dtype, describe, is_int
from ..upsample import (
    bed_of_nails_upsample,
    bilinear_kernel,
    bilinear_upsample,
    max_pool2d_with_switches,
    max_unpool2d,
    nearest_upsample,
)
from ._core import Explorer, _check_float_tensor

__all__ = ["METHODS", "PAGODA_BOX", "pagoda_image", "upsample_by_method", "upsampling_explorer"]

METHODS: dict[str, str] = {
    "nearest": "nearest neighbour",
    "bed_of_nails": "bed of nails",
    "max_unpool": "max-unpooling (switches)",
    "bilinear": "bilinear, align_corners=False",
    "bilinear_aligned": "bilinear, align_corners=True",
    "transposed": "transposed conv, bilinear init",
}
"""Method key -> label, in the order the explorer offers them."""

_MAX_SIZE = 2048  # the largest side pagoda_image resizes the crop to

PAGODA_BOX = (95, 25, 325, 255)
"""(left, top, right, bottom) of the crop of ``china.jpg`` in pixels: the top two roofs of the pagoda."""


@functools.cache
def _china_grey() -> Image.Image:
    """scikit-learn's bundled ``china.jpg`` (427 x 640) in grey levels, loaded once."""
    from sklearn.datasets import load_sample_image

    return Image.fromarray(load_sample_image("china.jpg")).convert("L")


def pagoda_image(size: int, box: tuple[int, int, int, int] = PAGODA_BOX) -> torch.Tensor:
    """The pagoda crop of scikit-learn's ``china.jpg`` in grey levels, area-averaged to ``size x size``.

    Shape: (1, 1, size, size), float64 in [0, 1], on the CPU.

    The photo is converted to grey levels (Pillow's ``"L"`` mode) and every output pixel is the mean of
    the pixels it covers (``Image.BOX``), so smaller sizes are honest downsamplings of the same scene.
    One channel keeps max-unpooling readable: with colour, each channel has its own switches.

    Taught in: chapter "Upsampling" (every method on a real image).
    """
    size = check_int("size", size, minimum=1, maximum=_MAX_SIZE)
    photo = _china_grey()
    if not isinstance(box, (tuple, list)) or len(box) != 4 or not all(is_int(v) for v in box):
        raise TypeError(f"box={describe(box)} must be (left, top, right, bottom): four ints, in pixels")
    left, top, right, bottom = box
    if not (0 <= left < right <= photo.width and 0 <= top < bottom <= photo.height):
        raise ValueError(
            f"box={tuple(box)!r} must satisfy 0 <= left < right <= {photo.width} and 0 <= top < bottom <= "
            f"{photo.height} (a crop inside the {photo.width} x {photo.height} photo)"
        )
    photo = photo.crop(tuple(int(v) for v in box))
    small = np.asarray(photo.resize((size, size), Image.BOX), dtype=np.float64) / 255.0  # (size, size)
    return torch.from_numpy(small)[None, None].contiguous()  # (1, 1, size, size)


def _transposed_layout(scale_factor: int) -> tuple[int, int]:
    """Kernel size and padding of the stride-s transposed convolution that upsamples by exactly s."""
    return 2 * scale_factor - scale_factor % 2, scale_factor // 2


def upsample_by_method(
    x: torch.Tensor, method: str, scale_factor: int, full: torch.Tensor | None = None
) -> torch.Tensor:
    """Upsample ``x`` by the integer ``scale_factor`` with one of the chapter's :data:`METHODS`.

    Shapes: ``x`` (N, C, H, W) -> (N, C, s*H, s*W); ``full`` (N, C, s*H, s*W).

    ``"max_unpool"`` needs ``full``, the image an encoder max-pooled with ``s x s`` windows: its switches
    say where the values of ``x`` go back (as in DeconvNet, the values come from ``x``, the positions from
    the encoder). ``"transposed"`` is ``F.conv_transpose2d`` with stride ``s``, kernel ``2s - s % 2``,
    padding ``s // 2`` and the weight :func:`~lecture_lib.upsample.bilinear_kernel` (no bias).

    Taught in: chapter "Upsampling" (the explorer and the side-by-side figure).
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method={describe(method)} is not one of {list(METHODS)}")
    if not is_int(scale_factor):
        raise TypeError(f"scale_factor={describe(scale_factor)} must be a positive int")
    if scale_factor < 1:
        raise ValueError(f"scale_factor={scale_factor!r} must be a positive int")
    s = int(scale_factor)
    _check_float_tensor("x", x, 4)
    check_bytes_budget("scale_factor", x.numel() * s * s * x.element_size(), limit=2**30)
    if full is not None:
        _check_float_tensor("full", full, 4)
        check_same_device(x=x, full=full)
        check_same_dtype(x=x, full=full)
    if method == "nearest":
        return nearest_upsample(x, s)
    if method == "bed_of_nails":
        return bed_of_nails_upsample(x, s)
    if method == "bilinear":
        return bilinear_upsample(x, s, align_corners=False)
    if method == "bilinear_aligned":
        return bilinear_upsample(x, s, align_corners=True)
    if method == "transposed":
        k, p = _transposed_layout(s)
        weight = bilinear_kernel(x.shape[1], x.shape[1], k, dtype=x.dtype, device=x.device)  # (C, C, k, k)
        return F.conv_transpose2d(x, weight, stride=s, padding=p)  # (N, C, s*H, s*W)
    if full is None:
        raise ValueError("method='max_unpool' needs full=, the image whose max-pooling gives the switches")
    expected = (*x.shape[:2], s * x.shape[2], s * x.shape[3])
    if tuple(full.shape) != expected:
        raise ValueError(
            f"full must have shape {expected} (scale_factor={s} times x); got {tuple(full.shape)}"
        )
    _, switches = max_pool2d_with_switches(full, s)  # (N, C, H, W)
    return max_unpool2d(x, switches, s)  # (N, C, s*H, s*W)


def _n_parameters(method: str, channels: int, scale_factor: int) -> int:
    """Learnable parameters of the method on ``channels`` channels (a full transposed convolution, no bias)."""
    if method != "transposed":
        return 0
    k, _ = _transposed_layout(scale_factor)
    return channels * channels * k * k


def _grid_lines(n_rows: int, n_cols: int, every: int, thick: bool) -> LineCollection:
    """Pixel-boundary lines of an image of n_rows x n_cols pixels: every ``every``-th one, or all others."""
    segments = [[(v, 0), (v, n_rows)] for v in range(n_cols + 1) if (v % every == 0) == thick]
    segments += [[(0, v), (n_cols, v)] for v in range(n_rows + 1) if (v % every == 0) == thick]
    if thick:
        return LineCollection(segments, colors="#DD8452", linewidths=0.9, alpha=0.85)
    return LineCollection(segments, colors="#777777", linewidths=0.4, alpha=0.7)


def _show(ax: Axes, image: torch.Tensor, block: int, title: str) -> None:
    """Draw a (1, 1, H, W) grey image in [0, 1] with its pixel grid, orange lines every ``block`` pixels."""
    grey = image[0, 0].cpu().numpy()  # (H, W)
    h, w = grey.shape
    ax.imshow(grey, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest", extent=(0, w, h, 0))
    if block > 1:
        ax.add_collection(_grid_lines(h, w, block, thick=False))
    ax.add_collection(_grid_lines(h, w, block, thick=True))
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.set_xticks([0, w])
    ax.set_yticks([0, h])
    ax.set_xlabel("column (pixels)")
    ax.set_ylabel("row (pixels)")
    ax.set_title(title, fontsize=9)


def upsampling_explorer(method: str = "bilinear", scale_factor: int = 2, size: int = 16) -> Explorer:
    """A method selector and a scale selector (2, 3, 4) over the pagoda image of ``size x size`` pixels.

    The figure shows the input, the output (thick grid lines mark the block of ``s x s`` output pixels of
    one input pixel) and the crop at the output resolution; the summary gives the sizes, the number of
    learnable parameters (one grey channel) and the mean absolute error to that full-resolution crop.

    Taught in: chapter "Upsampling".
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method={describe(method)} is not one of {list(METHODS)}")
    if not is_int(scale_factor):
        raise TypeError(f"scale_factor={describe(scale_factor)} must be 2, 3 or 4 (an int)")
    if scale_factor not in (2, 3, 4):
        raise ValueError(f"scale_factor={scale_factor!r} must be 2, 3 or 4")
    if not is_int(size):
        raise TypeError(f"size={describe(size)} must be an int from 2 to 32")
    if not 2 <= size <= 32:
        raise ValueError(f"size={size!r} must be an int from 2 to 32")

    small = pagoda_image(size)  # (1, 1, size, size)
    full_by_scale = {s: pagoda_image(s * size) for s in (2, 3, 4)}  # (1, 1, s*size, s*size) each

    controls = {
        "method": widgets.Dropdown(options=[(v, k) for k, v in METHODS.items()], value=method, description="method"),
        "scale_factor": widgets.ToggleButtons(options=[2, 3, 4], value=scale_factor, description="scale s"),
    }  # fmt: skip

    def result(method: str, scale_factor: int) -> tuple[torch.Tensor, torch.Tensor]:
        full = full_by_scale[scale_factor]
        return upsample_by_method(small, method, scale_factor, full=full), full

    def draw(method: str, scale_factor: int) -> Figure:
        out, full = result(method, scale_factor)
        fig = Figure(figsize=(10.5, 3.8))
        axes = fig.subplots(1, 3)
        _show(axes[0], small, 1, f"input {size}x{size}")
        _show(axes[1], out, scale_factor, f"{METHODS[method]}\noutput {out.shape[2]}x{out.shape[3]}")
        _show(axes[2], full, scale_factor, f"the crop at {full.shape[2]}x{full.shape[3]} (reference)")
        fig.suptitle(f"Upsampling by s = {scale_factor}: {METHODS[method]}")
        fig.tight_layout()
        return fig

    def summarize(method: str, scale_factor: int) -> str:
        out, full = result(method, scale_factor)
        error = (out - full).abs().mean().item()
        params = _n_parameters(method, small.shape[1], scale_factor)
        learn = (
            f"<b>{params}</b> learnable parameters" if params else "<b>0</b> parameters (nothing to learn)"
        )
        return (
            f"{METHODS[method]}: {size}x{size} → {out.shape[2]}x{out.shape[3]}; {learn}; "
            f"mean |output − reference| = <b>{error:.3f}</b>"
        )

    return Explorer("Upsampling methods", controls, draw, summarize)

"""Receptive fields computed, not guessed: the recurrence for strided stacks, and exact intervals per output.

For a stack of convolutions and poolings (kernel ``k_l``, stride ``s_l``, padding ``p_l``, dilation ``d_l``,
effective kernel ``k'_l = d_l (k_l - 1) + 1``) three numbers per layer follow from the previous layer's
(Dumoulin and Visin 2016; Araujo et al. 2019), starting from the input with ``r_0 = 1, j_0 = 1, c_0 = 0``:

* the receptive field size ``r_l = r_{l-1} + (k'_l - 1) j_{l-1}``,
* the jump (input pixels between neighbouring outputs) ``j_l = j_{l-1} s_l``,
* the start, the centre of output 0's field in input coordinates, ``c_l = c_{l-1} + ((k'_l - 1)/2 - p_l) j_{l-1}``;

output ``o`` of layer ``l`` then sees input pixels ``c_l + o j_l +- (r_l - 1)/2``: one size for every output
(:func:`receptive_field`). An upsampling layer breaks this: a stride-2 transposed convolution reads one or
two input cells depending on the parity of ``o``, so below a decoder the size depends on the position.
:func:`receptive_field_intervals` propagates the exact interval ``[first, last]`` of input pixels backwards
through every layer instead, for every output position, and handles convolutions, poolings, transposed
convolutions, nearest and bilinear upsampling, resize-convolutions and max-unpooling.

Taught in: chapter "Segmentation" (the receptive field of an encoder-decoder).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

from ._validate import check_bool, check_int, check_real, describe
from .checkerboard import ResizeConv2d

__all__ = ["ReceptiveField", "receptive_field", "receptive_field_intervals"]

# layers that act on every pixel separately: they leave the receptive field as it is
_POINTWISE = (
    nn.BatchNorm2d,
    nn.ReLU,
    nn.LeakyReLU,
    nn.Sigmoid,
    nn.Tanh,
    nn.Identity,
    nn.Dropout,
    nn.Dropout2d,
    nn.GELU,
    nn.InstanceNorm2d,
)


@dataclass(frozen=True)
class ReceptiveField:
    """One row of :func:`receptive_field`: a layer and the field of its outputs.

    ``size`` is ``r_l`` (pixels of the input seen by one output, along one axis), ``jump`` is ``j_l`` (input
    pixels between neighbouring outputs) and ``start`` is ``c_l`` (centre of output 0's field, in input pixel
    coordinates; negative: it lies in the padding). Output ``o`` sees ``start + o * jump +- (size - 1) / 2``.

    Taught in: chapter "Segmentation".
    """

    layer: str
    size: int
    jump: int
    start: float

    def __post_init__(self) -> None:
        if not isinstance(self.layer, str):
            raise TypeError(f"layer={describe(self.layer)} must be a str (the layer's class name)")
        check_int("size", self.size, 1)
        check_int("jump", self.jump, 1)
        check_real("start", self.start)


def _flatten(layers: nn.Module | Iterable[nn.Module], name: str) -> list[nn.Module]:
    if isinstance(layers, nn.Sequential):
        modules: Iterable[nn.Module] = layers
    elif isinstance(layers, nn.Module):
        modules = [layers]
    elif isinstance(layers, Iterable) and not isinstance(layers, (str, bytes, torch.Tensor)):
        modules = list(layers)
    else:
        raise TypeError(f"{name}={describe(layers)} must be an nn.Module or a list of them")
    out: list[nn.Module] = []
    for m in modules:
        if not isinstance(m, nn.Module):
            raise TypeError(f"{name} holds {describe(m)}; expected nn.Module layers")
        out += _flatten(m, name) if isinstance(m, nn.Sequential) else [m]
    if not out:
        raise ValueError(f"{name} holds no layer")
    return out


def _at(value: int | tuple[int, ...], axis: int) -> int:
    """The entry of a PyTorch int-or-pair argument along ``axis`` (0: height, 1: width)."""
    return int(value[axis] if isinstance(value, tuple) else value)


def _window(m: nn.Module, axis: int) -> tuple[int, int, int, int] | None:
    """(kernel, stride, padding, dilation) of a sliding-window layer along ``axis``, or None."""
    if isinstance(m, nn.Conv2d):
        if isinstance(m.padding, str):
            raise ValueError(f"layers holds {m}: give its padding as numbers, not {m.padding!r}")
        return _at(m.kernel_size, axis), _at(m.stride, axis), _at(m.padding, axis), _at(m.dilation, axis)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        if m.ceil_mode:
            raise ValueError(f"layers holds {m}: ceil_mode=True is not supported")
        stride = m.stride if m.stride is not None else m.kernel_size
        dilation = getattr(m, "dilation", 1)
        return _at(m.kernel_size, axis), _at(stride, axis), _at(m.padding, axis), _at(dilation, axis)
    return None


def receptive_field(layers: nn.Module | Iterable[nn.Module], axis: int = -1) -> list[ReceptiveField]:
    """The recurrence ``r_l = r_{l-1} + (k'_l - 1) j_{l-1}``, ``j_l = j_{l-1} s_l``, with the start, per layer.

    ``layers``: an ``nn.Sequential`` or a list of layers applied in order (nested Sequentials are opened) made
    of ``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.AvgPool2d`` and pointwise layers (ReLU, BatchNorm, ...).
    ``axis``: -1 (width) or -2 (height). Returns one :class:`ReceptiveField` per sliding-window layer, the
    field of that layer's outputs in input pixels, ignoring the image border (the padding counts as pixels).
    Upsampling layers give a size that depends on the output position: use
    :func:`receptive_field_intervals` for them (a ValueError here says so).

    Taught in: chapter "Segmentation".
    """
    axis = check_int("axis", axis, -2, -1) + 2
    size, jump, start, rows = 1, 1, 0.0, []
    for m in _flatten(layers, "layers"):
        window = _window(m, axis)
        if window is not None:
            k, s, p, d = window
            k_eff = d * (k - 1) + 1
            size, start, jump = size + (k_eff - 1) * jump, start + ((k_eff - 1) / 2 - p) * jump, jump * s
            rows.append(ReceptiveField(type(m).__name__, size, jump, start))
        elif not isinstance(m, _POINTWISE):
            raise ValueError(
                f"layers holds {type(m).__name__}, which the recurrence does not cover (one field size per "
                "layer exists only for convolutions and poolings); use receptive_field_intervals"
            )
    return rows


def _back(m: nn.Module, lo: torch.Tensor, hi: torch.Tensor, n_in: int, axis: int, clip: bool) -> tuple:
    """Input interval [lo, hi] (int64 tensors) that outputs [lo, hi] of ``m`` read (before clipping)."""
    window = _window(m, axis)
    if window is not None:  # output o reads inputs o s - p .. o s - p + d (k - 1)
        k, s, p, d = window
        return lo * s - p, hi * s - p + d * (k - 1)
    if isinstance(m, (nn.ConvTranspose2d, nn.MaxUnpool2d)):  # output o = i s - p + t d, t = 0 .. k - 1
        k, s, p = _at(m.kernel_size, axis), _at(m.stride, axis), _at(m.padding, axis)
        d = _at(m.dilation, axis) if isinstance(m, nn.ConvTranspose2d) else 1
        return torch.div(lo + p - d * (k - 1) + s - 1, s, rounding_mode="floor"), torch.div(
            hi + p, s, rounding_mode="floor"
        )
    if isinstance(m, nn.Upsample) or isinstance(m, ResizeConv2d):
        scale = m.scale_factor[axis] if isinstance(m.scale_factor, tuple) else m.scale_factor
        if scale is None or float(scale) != int(scale) or m.mode not in ("nearest", "bilinear"):
            raise ValueError(
                f"layers holds {m}: only integer nearest or bilinear scale factors are supported"
            )
        if getattr(m, "align_corners", False):
            raise ValueError(f"layers holds {m}: align_corners=True is not supported")
        s = int(scale)
        if m.mode == "nearest":  # output o copies input floor(o / s)
            return torch.div(lo, s, rounding_mode="floor"), torch.div(hi, s, rounding_mode="floor")
        # bilinear, align_corners=False: source (o + 1/2)/s - 1/2, clamped at 0; it mixes floor(source) and
        # the next input pixel, the latter with weight source - floor(source) (zero at the clamped border)
        src_lo, src_hi = (lo.double() + 0.5) / s - 0.5, (hi.double() + 0.5) / s - 0.5
        if clip:  # the border clamp belongs to the layer; on an unbounded map there is no border
            src_lo, src_hi = src_lo.clamp(min=0), src_hi.clamp(min=0)
        last = src_hi.floor()
        last = torch.where(src_hi > last, last + 1, last).long()
        return src_lo.floor().long(), last.clamp(max=n_in - 1) if clip else last
    raise ValueError(f"layers holds {type(m).__name__}, whose receptive field is not known here")


def _size_after(m: nn.Module, n: int, axis: int) -> int:
    window = _window(m, axis)
    if window is not None:
        k, s, p, d = window
        return (n + 2 * p - d * (k - 1) - 1) // s + 1
    if isinstance(m, nn.ConvTranspose2d):
        k, s, p, d = (_at(v, axis) for v in (m.kernel_size, m.stride, m.padding, m.dilation))
        return (n - 1) * s - 2 * p + d * (k - 1) + _at(m.output_padding, axis) + 1
    if isinstance(m, nn.MaxUnpool2d):
        k, s, p = (_at(v, axis) for v in (m.kernel_size, m.stride, m.padding))
        return (n - 1) * s - 2 * p + k
    if isinstance(m, (nn.Upsample, ResizeConv2d)):
        scale = m.scale_factor[axis] if isinstance(m.scale_factor, tuple) else m.scale_factor
        return n * int(scale)
    return n


def receptive_field_intervals(
    layers: nn.Module | Iterable[nn.Module], size: int, axis: int = -1, clip: bool = True
) -> torch.Tensor:
    """Exact first and last input pixel that each output position depends on, along one axis.

    ``layers`` as in :func:`receptive_field`, and also ``nn.ConvTranspose2d``, ``nn.Upsample`` (nearest or
    bilinear, ``align_corners=False``), :class:`~lecture_lib.checkerboard.ResizeConv2d` and
    ``nn.MaxUnpool2d`` (the positions it *may* write to: which one it does depends on the switches).
    ``size``: the input's length along ``axis`` (-1: width, -2: height).

    Returns an int64 tensor of shape (O, 2), O the output length: row ``o`` holds ``[first, last]``, and the
    field's size is ``last - first + 1``. Computed backwards, layer by layer: an output interval ``[a, b]`` of
    a convolution (k, s, p, d) reads ``[a s - p, b s - p + d (k - 1)]``; of a transposed convolution,
    ``[ceil((a + p - d (k - 1)) / s), floor((b + p) / s)]``; of a nearest x s upsampling,
    ``[floor(a / s), floor(b / s)]``. ``clip=True`` intersects every interval with the pixels that exist
    (zero padding is not input), as a gradient would show; ``clip=False`` treats every map as unbounded, the
    field a pixel far from the border has. The intervals are exact (they equal the extent of the pixels with a
    non-zero gradient, all weights positive) for undilated layers; a dilated kernel's taps skip pixels, so
    near the border its clipped interval is a bound.

    Taught in: chapter "Segmentation" (a receptive field that depends on the output position).
    """
    modules = _flatten(layers, "layers")
    axis = check_int("axis", axis, -2, -1) + 2
    size = check_int("size", size, 1, 1 << 20)
    check_bool("clip", clip)
    sizes = [size]
    for m in modules:
        sizes.append(_size_after(m, sizes[-1], axis))
        if sizes[-1] < 1:
            raise ValueError(f"size={size} is too small: {type(m).__name__} leaves {sizes[-1]} pixels")
    positions = torch.arange(sizes[-1], dtype=torch.int64)
    lo, hi = positions.clone(), positions.clone()
    for m, n_in in zip(reversed(modules), reversed(sizes[:-1])):
        if isinstance(m, _POINTWISE):
            continue
        if isinstance(m, ResizeConv2d):  # its convolution ("same" padding) first, then the resize
            k, pad, n_up = _at(m.conv.kernel_size, axis), m._pad[2 - 2 * axis], _size_after(m, n_in, axis)
            lo, hi = lo - pad, hi - pad + k - 1
            if clip:
                lo, hi = lo.clamp(0, n_up - 1), hi.clamp(0, n_up - 1)
        lo, hi = _back(m, lo, hi, n_in, axis, clip)
        if clip:
            lo, hi = lo.clamp(0, n_in - 1), hi.clamp(0, n_in - 1)
    return torch.stack([lo, hi], dim=1)  # (O, 2)

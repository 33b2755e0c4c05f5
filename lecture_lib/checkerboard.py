"""Checkerboard artifacts, measured: uneven overlap of transposed convolutions, a spectral artifact score,
and the two remedies (resize-convolution and ICNR-initialised pixel shuffle).

Odena, Dumoulin & Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016, explain the artifacts by
uneven overlap but give no number for them; :func:`checkerboard_energy` is this course's measure.
ICNR: Aitken et al., "Checkerboard artifact free sub-pixel convolution", arXiv:1707.02937, 2017.

Taught in: chapter checkerboard artifacts.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ._validate import (
    check_bool,
    check_bytes_budget,
    check_device,
    check_dtype,
    check_module_matches,
    check_tensor,
    describe,
)
from .upsample import _int_pair, _is_int, bilinear_upsample, nearest_upsample

#: the largest tensor one call here may create (a typo such as stride=2**40 must not ask for terabytes)
_MAX_BYTES = 2**32

__all__ = ["ResizeConv2d", "checkerboard_energy", "icnr_", "overlap_counts"]


def overlap_counts(
    kernel_size: int | tuple[int, int], stride: int | tuple[int, int], input_size: int | tuple[int, int]
) -> torch.Tensor:
    """How many kernel taps of a transposed convolution (no padding) land on each output position.

    Shapes: all three ints -> 1-D int64 tensor of length ``L = (n - 1) * s + k``; if any of them is a pair
    (ints then stand for ``(v, v)``) -> 2-D tensor (L_h, L_w).

    Formula (1-D): input position ``i`` paints the outputs ``i*s ... i*s + k - 1``, so
    ``count[o] = #{(i, t) : i*s + t = o, 0 <= i < n, 0 <= t < k}``. In 2-D the count is the product of the
    row and column counts (``count2d = count_h[:, None] * count_w[None, :]``); it equals a transposed
    convolution of an all-ones input with an all-ones kernel. Away from the borders
    (``k - 1 <= o <= (n - 1) * s``) the count is ``ceil(k / s)`` or ``floor(k / s)``: even when ``s`` divides
    ``k``, uneven (the checkerboard) otherwise.

    Taught in: chapter checkerboard artifacts (uneven overlap).
    """
    two_d = any(not _is_int(v) for v in (kernel_size, stride, input_size))
    kh, kw = _int_pair(kernel_size, "kernel_size")
    sh, sw = _int_pair(stride, "stride")
    nh, nw = _int_pair(input_size, "input_size")
    length_h, length_w = (nh - 1) * sh + kh, (nw - 1) * sw + kw
    check_bytes_budget(
        f"kernel_size={kernel_size!r}, stride={stride!r} and input_size={input_size!r} (an output of "
        f"{length_h} x {length_w} counts)",
        (length_h * length_w if two_d else length_h) * 8,
        _MAX_BYTES,
    )

    def counts_1d(k: int, s: int, n: int) -> torch.Tensor:
        length = (n - 1) * s + k
        counts = torch.zeros(length, dtype=torch.int64)
        for t in range(k):  # tap t of the kernel, painted by every input position
            counts[t : t + (n - 1) * s + 1 : s] += 1
        return counts  # (L,)

    if not two_d:
        return counts_1d(kh, sh, nh)
    return counts_1d(kh, sh, nh)[:, None] * counts_1d(kw, sw, nw)[None, :]  # (L_h, L_w)


def _period_mask(size: int, period: int, device: torch.device) -> torch.Tensor:
    """DFT bins (length ``size``) at a nonzero multiple of frequency 1/period: k = m * size/period, m != 0."""
    k = torch.arange(size, device=device)
    return (k % (size // period) == 0) & (k != 0)


def checkerboard_energy(images: torch.Tensor, period: int = 2, reduction: str = "mean") -> torch.Tensor:
    """Share of an image's non-DC spectral power at the frequencies of a period-``period`` pattern.

    Shapes: ``images`` (..., H, W), every trailing H x W slice one image (e.g. (N, C, H, W) or (N, H, W))
    -> a 0-dim tensor (``reduction="mean"``, the average over all images) or the leading shape
    (``reduction="none"``). Values lie in [0, 1].

    Definition. For one image ``x`` remove its mean and take the power spectrum ``P = |FFT2(x - mean x)|^2``
    (bins ``(k_y, k_x)``, frequency ``k/H`` resp. ``k/W`` cycles per pixel). Let ``S`` be the bins where
    ``k_y`` or ``k_x`` is a *nonzero* multiple of ``H/period`` resp. ``W/period`` (frequency a nonzero
    multiple of ``1/period``); DC is not in ``S``. Then

        energy = sum_{S} P / sum_{all bins but DC} P.

    Why it measures a period-``period`` pattern: a pattern that repeats every ``period`` pixels in both
    directions has its DFT on the lattice ``(a H/period, b W/period)``; after removing its mean every such
    bin lies in ``S``, so a pure pattern (plus any constant) scores 1. A smooth image keeps its power near
    DC, at frequencies far below ``1/period`` cycles per pixel, and scores close to 0 (exactly 0 for
    low-frequency sinusoids on the DFT grid). White noise spreads its power evenly and scores
    ``|S| / (H W - 1)``, e.g. ``(2*32 - 1) / 1023 = 0.06`` for period 2 at 32 x 32: the "no structure"
    baseline. A zero bin on one axis is excluded on purpose: otherwise the whole ``k_y = 0`` row, smooth
    variation along x, would count. The score is invariant to adding a constant and to scaling the image.
    The DFT treats the image as periodic, so a jump between opposite borders leaks a little power (falling
    like 1/k^2) into ``S``.

    An image that is constant up to rounding (all deviations from its mean below ``64 * eps * max|x|``) has
    no pattern; its energy is defined as 0.

    Args:
        images: real floating tensor with at least 2 dimensions; H and W must be divisible by ``period``.
        period: the pattern period in pixels (the stride of the upsampling layers), an int >= 2.
        reduction: ``"mean"`` or ``"none"``.

    Taught in: chapter checkerboard artifacts (measuring the artifacts).
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor of shape (..., H, W); got {type(images).__name__}")
    if images.dim() < 2:
        raise ValueError(
            f"images must have shape (..., H, W) (at least 2 dimensions); got {tuple(images.shape)}"
        )
    if not images.dtype.is_floating_point:
        raise TypeError(
            f"images must have a real floating dtype; got {images.dtype} (convert it with .float())"
        )
    if not _is_int(period):
        raise TypeError(f"period={describe(period)} must be an int >= 2, not {type(period).__name__}")
    if period < 2:
        raise ValueError(f"period={period!r} must be an int >= 2")
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction={reduction!r} must be 'mean' or 'none'")
    h, w = images.shape[-2:]
    if h % period or w % period:
        raise ValueError(
            f"the image size (H, W)=({h}, {w}) must be divisible by period={period} "
            "(the pattern frequencies must be DFT bins)"
        )
    check_tensor("images", images, finite=True)  # a NaN would give a NaN score, an infinity a NaN share
    x = images if images.dtype in (torch.float32, torch.float64) else images.float()
    centred = x - x.mean(dim=(-2, -1), keepdim=True)  # (..., H, W)
    power = torch.fft.fft2(centred).abs().square()  # (..., H, W)
    mask = _period_mask(h, period, x.device)[:, None] | _period_mask(w, period, x.device)[None, :]  # (H, W)
    at_pattern = (power * mask).sum(dim=(-2, -1))  # (...)
    non_dc = power.sum(dim=(-2, -1)) - power[..., 0, 0]  # (...)
    eps = torch.finfo(x.dtype).eps
    flat = centred.abs().amax(dim=(-2, -1)) <= 64 * eps * x.abs().amax(dim=(-2, -1))  # (...)
    energy = torch.where(flat, torch.zeros_like(non_dc), at_pattern / torch.where(flat, 1.0, non_dc))
    energy = energy.clamp(0.0, 1.0).to(images.dtype)
    return energy.mean() if reduction == "mean" else energy


class ResizeConv2d(nn.Module):
    """Resize-convolution: upsample (nearest or bilinear) by ``scale_factor``, then a size-preserving conv.

    Shapes: (N, C_in, H, W) -> (N, C_out, s_h*H, s_w*W), the output size of the matching stride-s
    transposed convolution (e.g. ``nn.ConvTranspose2d(C_in, C_out, 4, stride=2, padding=1)`` for s=2).

    Formula: ``conv(resize(x))`` with ``resize`` = :func:`~lecture_lib.upsample.nearest_upsample` or
    :func:`~lecture_lib.upsample.bilinear_upsample` (``align_corners=False``) and ``conv`` an
    ``nn.Conv2d(C_in, C_out, kernel_size)`` after "same" zero padding (``k - 1`` zeros per dimension; an
    even kernel gets the extra one at the bottom/right, as ``padding="same"`` in PyTorch). Every output pixel
    sees the same number of input pixels, so no uneven overlap; Odena et al. 2016 recommend it against
    checkerboard artifacts.

    Args:
        in_channels, out_channels: channel counts.
        scale_factor: positive int or pair of ints (the stride of the transposed convolution it replaces).
        mode: ``"nearest"`` or ``"bilinear"``.
        kernel_size: of the convolution, int or pair.
        bias: whether the convolution has a bias.

    Taught in: chapter checkerboard artifacts (remedies).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        scale_factor: int | tuple[int, int],
        mode: str = "nearest",
        kernel_size: int | tuple[int, int] = 3,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if mode not in ("nearest", "bilinear"):
            raise ValueError(f"mode={mode!r} must be 'nearest' or 'bilinear'")
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not _is_int(v):
                raise TypeError(f"{name}={describe(v)} must be a positive int, not {type(v).__name__}")
            if v < 1:
                raise ValueError(f"{name}={v!r} must be a positive int")
        self.scale_factor = _int_pair(scale_factor, "scale_factor")
        self.mode = mode
        kh, kw = _int_pair(kernel_size, "kernel_size")
        check_bool("bias", bias)
        device = check_device("device", device)
        itemsize = (check_dtype("dtype", dtype) or torch.get_default_dtype()).itemsize
        check_bytes_budget(
            f"in_channels={in_channels}, out_channels={out_channels} and kernel_size={kernel_size!r} (the weight)",
            in_channels * out_channels * kh * kw * itemsize,
            _MAX_BYTES,
        )
        sh, sw = self.scale_factor  # even a 1 x 1 image becomes s_h x s_w pixels per channel
        check_bytes_budget(
            f"scale_factor={scale_factor!r} (at least {sh} x {sw} pixels for each of in_channels={in_channels} "
            "and each input pixel)",
            max(in_channels, out_channels) * sh * sw * itemsize,
            _MAX_BYTES,
        )
        # "same" padding: k - 1 zeros per dimension, the extra one (even k) at the bottom/right like PyTorch's
        # padding="same"; done by hand because PyTorch warns for even kernels
        self._pad = ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2)
        self.conv = nn.Conv2d(in_channels, out_channels, (kh, kw), bias=bias, device=device, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) -> (N, C_out, s_h*H, s_w*W); x on the device and of the dtype of the layer."""
        check_tensor("x", x, 4, dtype="floating")
        check_module_matches("ResizeConv2d", self, x, "x")
        if x.shape[1] != self.conv.in_channels:
            raise ValueError(
                f"x has {x.shape[1]} channels (shape {tuple(x.shape)}) but the layer has "
                f"in_channels={self.conv.in_channels}"
            )
        if self.mode == "nearest":
            up = nearest_upsample(x, self.scale_factor)  # (N, C_in, s_h*H, s_w*W)
        else:
            up = bilinear_upsample(x, self.scale_factor, align_corners=False)  # (N, C_in, s_h*H, s_w*W)
        up = F.pad(up, self._pad)  # (N, C_in, s_h*H + k_h - 1, s_w*W + k_w - 1)
        return self.conv(up)  # (N, C_out, s_h*H, s_w*W)

    def extra_repr(self) -> str:
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}"


def icnr_(
    tensor: torch.Tensor,
    upscale_factor: int,
    init: Callable[[torch.Tensor], object] = nn.init.kaiming_normal_,
) -> torch.Tensor:
    """ICNR initialisation, in place, of a conv weight followed by ``nn.PixelShuffle(upscale_factor)``.

    Shape: ``tensor`` (C * r^2, C_in, k_h, k_w), a ``nn.Conv2d`` weight; returned as is (filled in place,
    like the ``torch.nn.init`` functions).

    Formula: draw a kernel ``w0`` of shape (C, C_in, k_h, k_w) with ``init`` (default Kaiming normal) and
    repeat each of its output channels ``r^2`` times: ``tensor[c * r^2 + q] = w0[c]`` for ``q < r^2``.
    ``nn.PixelShuffle`` sends channel ``c * r^2 + i * r + j`` to pixel ``(i, j)`` of each ``r x r`` block of
    output channel ``c``; all of them are equal at initialisation, so every block is constant: the pair
    starts as "convolve with ``w0`` at low resolution, then nearest-neighbour upsample", free of
    checkerboard artifacts, and training moves it away from that.

    The conv bias must also be equal within each group of ``r^2`` channels for the blocks to be constant
    (zero it, e.g. ``nn.init.zeros_(conv.bias)``, or use ``bias=False``); this function leaves it alone.

    Args:
        tensor: 4-D conv weight whose first dimension is divisible by ``upscale_factor ** 2``.
        upscale_factor: ``r``, a positive int, the ``nn.PixelShuffle`` factor.
        init: in-place initialiser applied to the (C, C_in, k_h, k_w) sub-kernel.

    Taught in: chapter checkerboard artifacts (pixel shuffle and ICNR).
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor; got {type(tensor).__name__}")
    if tensor.dim() != 4:
        raise ValueError(
            "tensor must be a Conv2d weight of shape (C_out, C_in, k_h, k_w); "
            f"got shape {tuple(tensor.shape)}"
        )
    check_tensor("tensor", tensor, dtype="floating")
    if not _is_int(upscale_factor):
        raise TypeError(f"upscale_factor={describe(upscale_factor)} must be a positive int")
    if upscale_factor < 1:
        raise ValueError(f"upscale_factor={upscale_factor!r} must be a positive int")
    if not callable(init):
        raise TypeError(
            f"init={describe(init)} must be an in-place initialiser such as nn.init.kaiming_normal_"
        )
    r2 = int(upscale_factor) ** 2
    if tensor.shape[0] % r2:
        raise ValueError(
            f"tensor has {tensor.shape[0]} output channels, not divisible by upscale_factor**2={r2} "
            f"(upscale_factor={upscale_factor})"
        )
    sub = torch.full(
        (tensor.shape[0] // r2, *tensor.shape[1:]), math.nan, dtype=tensor.dtype, device=tensor.device
    )
    init(sub)  # (C, C_in, k_h, k_w), in place
    if bool(sub.isnan().any()):
        raise ValueError(
            f"init={init!r} left the sub-kernel unfilled (NaN): it must fill its argument in place, like the "
            "torch.nn.init functions ending in _"
        )
    with torch.no_grad():
        tensor.copy_(sub.repeat_interleave(r2, dim=0))  # (C * r^2, C_in, k_h, k_w)
    return tensor

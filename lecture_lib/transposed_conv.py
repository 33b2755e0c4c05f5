"""Transposed convolution from scratch: the matrix view, the distribution and collection views, a fast path.

A 2-D transposed convolution with stride s, padding p, output padding a and dilation d maps an input of
size (H, W) to an output of size

    H_out = (H - 1) * s - 2 * p + d * (k - 1) + 1 + a        (and the same for W)

Five ways to compute it live here, all with the semantics of ``torch.nn.functional.conv_transpose2d``:

* :func:`conv2d_matrix` builds the matrix C of a convolution; the transposed convolution multiplies by C^T.
* :func:`conv_transpose2d_scatter` (distribution view): every input pixel scatters ``value * kernel`` into
  the output; a ``torch.autograd.Function`` with a hand-written backward.
* :func:`conv_transpose2d_zero_insert` (collection view): insert s - 1 zeros between input pixels, pad,
  flip the kernel and convolve with stride 1.
* :func:`conv_transpose2d_col2im` (the matrix view at full size): one matrix product per group, then col2im
  (what ``F.fold`` does).
* :func:`conv_transpose2d` (fast path): the output split into its s_h * s_w phases, each an ordinary
  stride-1 convolution of the input with the kernel taps that land in that phase, then interleaved.

:class:`ConvTranspose2d` is an ``nn.Module`` whose weights load both ways with ``nn.ConvTranspose2d``.

Taught in: chapter "Transposed convolution from scratch".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._validate import (
    check_bool,
    check_device,
    check_dtype,
    check_tensor,
    describe,
    is_int,
)
from .conv_arith import conv_output_size, conv_transpose_output_size, required_output_padding

__all__ = [
    "ConvTranspose2d",
    "ConvTranspose2dScatterFunction",
    "conv2d_matrix",
    "conv_transpose2d",
    "conv_transpose2d_col2im",
    "conv_transpose2d_scatter",
    "conv_transpose2d_zero_insert",
]

Size2 = int | tuple[int, int]


# ----------------------------------------------------------------------------------------------------------
# Argument checking shared by every implementation
# ----------------------------------------------------------------------------------------------------------
def _pair(value: int | Sequence[int], name: str, minimum: int) -> tuple[int, int]:
    """``value`` as a pair of ints, each at least ``minimum``; an int means the same for height and width."""
    if not is_int(value) and not isinstance(value, (tuple, list, torch.Size)):
        raise TypeError(f"{name}={describe(value)} must be an int or a pair of ints (height, width)")
    pair = (value, value) if is_int(value) else tuple(value)
    if len(pair) != 2 or not all(is_int(v) for v in pair):
        raise TypeError(f"{name}={value!r} must be an int or a pair of ints (height, width)")
    if min(pair) < minimum:
        raise ValueError(f"{name}={value!r} must be >= {minimum} in each dimension")
    return int(pair[0]), int(pair[1])


#: Limits that keep one call from asking for an unbounded amount of memory or time (a typo such as
#: ``stride=2**40`` would otherwise hang in the phase loops or ask for terabytes). Every tensor a
#: transposed convolution here makes is at most about N * max(C_in, C_out) * E_h * E_w elements, with the
#: canvas E = max((H - 1) s + d (k - 1) + 1 + a, s) per dimension (the output before the padding is cropped,
#: at least one block of phases); it must fit in 4 GiB. The fast path loops over the s_h * s_w output phases;
#: there may be at most 65536 of them (stride (256, 256)).
_MAX_BYTES = 2**32
_MAX_PHASES = 2**16


def _check_budget(
    input_shape: tuple[int, ...],
    c_out: int,
    kernel: tuple[int, int],
    itemsize: int,
    s: tuple[int, int],
    p: tuple[int, int],
    a: tuple[int, int],
    d: tuple[int, int],
) -> None:
    """Refuse a geometry whose canvas or phase count exceeds the limits above, naming the argument."""
    if s[0] * s[1] > _MAX_PHASES:
        raise ValueError(
            f"stride={s} gives s_h * s_w = {s[0] * s[1]} output phases, more than the {_MAX_PHASES} allowed "
            "(each phase is one convolution)"
        )
    n, c_in, h, w = input_shape
    terms = [  # per dimension: what each argument adds to the canvas
        {"input size": (size - 1) * si, "dilation": di * (ki - 1), "output_padding": ai, "stride": si}
        for size, si, ki, ai, di in zip((h, w), s, kernel, a, d)
    ]
    extent = [max(t["input size"] + t["dilation"] + 1 + t["output_padding"], t["stride"]) for t in terms]
    nbytes = n * max(c_in, c_out) * extent[0] * extent[1] * itemsize
    if nbytes > _MAX_BYTES:
        worst = max(((v, k) for t in terms for k, v in t.items()), key=lambda kv: kv[0])[1]
        culprit = {
            "input size": f"the input size {(h, w)} with stride={s}",
            "stride": f"stride={s}",
            "dilation": f"dilation={d}",
            "output_padding": f"output_padding={a}",
        }[worst]
        raise ValueError(
            f"{culprit} makes a canvas of {extent[0]} x {extent[1]} pixels for {n} x {max(c_in, c_out)} "
            f"channels ({nbytes / 2**30:.3g} GiB) before padding={p} is cropped; the limit is "
            f"{_MAX_BYTES // 2**30} GiB (stride={s}, padding={p}, output_padding={a}, dilation={d})"
        )


def _check_inputs(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    stride: Size2,
    padding: Size2,
    output_padding: Size2,
    groups: int,
    dilation: Size2,
) -> tuple[torch.Tensor, bool, tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int], tuple]:
    """Validate the arguments of a transposed convolution.

    Returns the input with a batch axis, whether it came without one (the output must then drop it),
    stride, padding, output_padding and dilation as pairs, and the output size (H_out, W_out) from
    ``conv_arith.conv_transpose_output_size``, which raises ValueError for an output padding not smaller
    than the stride or the dilation and for an output smaller than 1; then refuses a geometry beyond the
    memory and phase limits (``_check_budget``).
    """
    # any floating dtype, float16 and bfloat16 included, as F.conv_transpose2d
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
    if input.dim() not in (3, 4):
        raise ValueError(
            f"input must be 3-D (C_in, H, W) or 4-D (N, C_in, H, W), got shape {tuple(input.shape)}"
        )
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"weight must be a torch.Tensor, got {type(weight).__name__}")
    if weight.dim() != 4:
        raise ValueError(
            f"weight must be 4-D (in_channels, out_channels // groups, kH, kW), got shape {tuple(weight.shape)}"
        )
    if bias is not None and not isinstance(bias, torch.Tensor):
        raise TypeError(f"bias must be a torch.Tensor or None, got {type(bias).__name__}")
    check_tensor("input", input, dtype="floating")
    check_tensor("weight", weight, dtype="floating")
    check_tensor("bias", bias, dtype="floating", allow_none=True)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.device != input.device:  # a meta weight would give uninitialised memory
            raise ValueError(
                f"{name} is on {t.device} but input is on {input.device}: {name} ({t.dtype}, {t.device}) must "
                f"have the dtype and device of input ({input.dtype}, {input.device})"
            )
        if t is not None and t.dtype != input.dtype:
            raise TypeError(
                f"{name} ({t.dtype}, {t.device}) must have the dtype and device of input "
                f"({input.dtype}, {input.device})"
            )
    if not is_int(groups):
        raise TypeError(f"groups={describe(groups)} must be a positive int, not {type(groups).__name__}")
    if groups < 1:
        raise ValueError(f"groups={groups!r} must be a positive int")
    unbatched = input.dim() == 3
    if unbatched:
        input = input.unsqueeze(0)  # (1, C_in, H, W)
    c_in = weight.shape[0]
    if input.shape[1] != c_in:
        raise ValueError(
            f"input has {input.shape[1]} channels (shape {tuple(input.shape)}) but weight has "
            f"in_channels={c_in} (weight.shape[0], weight shape {tuple(weight.shape)})"
        )
    if c_in % groups != 0:
        raise ValueError(f"in_channels={c_in} (weight.shape[0]) must be divisible by groups={groups}")
    if min(weight.shape[2:]) < 1 or min(input.shape[2:]) < 1:
        raise ValueError(
            f"input spatial size {tuple(input.shape[2:])} and kernel size {tuple(weight.shape[2:])} "
            "must be at least 1"
        )
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(
            f"bias must have shape (out_channels,) = ({c_out},) (weight.shape[1] * groups), "
            f"got {tuple(bias.shape)}"
        )
    s = _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    a = _pair(output_padding, "output_padding", 0)
    d = _pair(dilation, "dilation", 1)
    out_size = conv_transpose_output_size(tuple(input.shape[2:]), tuple(weight.shape[2:]), s, p, a, d)
    _check_budget(tuple(input.shape), c_out, tuple(weight.shape[2:]), input.element_size(), s, p, a, d)
    return input, unbatched, s, p, a, d, out_size


# ----------------------------------------------------------------------------------------------------------
# The matrix view
# ----------------------------------------------------------------------------------------------------------
def conv2d_matrix(
    kernel: torch.Tensor,
    input_size: Size2,
    stride: Size2 = 1,
    padding: Size2 = 0,
    dilation: Size2 = 1,
) -> torch.Tensor:
    """The dense matrix C of a single-channel 2-D convolution (cross-correlation, as in ``F.conv2d``).

    Shapes: kernel (kH, kW), input_size (H, W) -> C of shape (H_out * W_out, H * W), where
    H_out = floor((H + 2p - d(kH - 1) - 1) / s) + 1. Row r = a * W_out + b of C holds the kernel tap
    kernel[u, v] in column (a*s - p + d*u) * W + (b*s - p + d*v) whenever that input pixel exists, so::

        C @ x.flatten()   == F.conv2d(x, kernel, stride=s, padding=p, dilation=d).flatten()
        C.T @ y.flatten() == F.conv_transpose2d(y, kernel, stride=s, padding=p, output_padding=a,
                                                dilation=d).flatten()

    (with the output padding a that gives back (H, W)). C follows the kernel's dtype and device and is
    differentiable with respect to the kernel.

    Taught in: chapter "Transposed convolution from scratch" (the matrix view).
    """
    if not isinstance(kernel, torch.Tensor):
        raise TypeError(f"kernel must be a 2-D tensor (kH, kW), got {type(kernel).__name__}")
    if kernel.dim() != 2:
        raise ValueError(f"kernel must be a 2-D tensor (kH, kW), got {tuple(kernel.shape)}")
    check_tensor("kernel", kernel, dtype="floating")
    k_h, k_w = kernel.shape
    if k_h < 1 or k_w < 1:
        raise ValueError(f"kernel must have at least one tap, got shape {tuple(kernel.shape)}")
    h, w = _pair(input_size, "input_size", 1)
    s_h, s_w = _pair(stride, "stride", 1)
    p_h, p_w = _pair(padding, "padding", 0)
    d_h, d_w = _pair(dilation, "dilation", 1)
    h_out = (h + 2 * p_h - d_h * (k_h - 1) - 1) // s_h + 1
    w_out = (w + 2 * p_w - d_w * (k_w - 1) - 1) // s_w + 1
    if h_out < 1 or w_out < 1:
        raise ValueError(
            f"input_size={(h, w)} is too small for kernel {(k_h, k_w)} with padding={(p_h, p_w)} and "
            f"dilation={(d_h, d_w)}: the convolution output would be {(h_out, w_out)}"
        )
    nbytes = h_out * w_out * h * w * kernel.element_size()
    if nbytes > _MAX_BYTES:
        raise ValueError(
            f"input_size={(h, w)} with stride={(s_h, s_w)} makes C of shape ({h_out * w_out}, {h * w}), "
            f"{nbytes / 2**30:.3g} GiB, with padding={(p_h, p_w)} and dilation={(d_h, d_w)}; the limit is "
            f"{_MAX_BYTES // 2**30} GiB"
        )
    C = kernel.new_zeros(h_out * w_out, h * w)  # (H_out * W_out, H * W)
    out_rows = torch.arange(h_out, device=kernel.device)
    out_cols = torch.arange(w_out, device=kernel.device)
    for u in range(k_h):
        in_rows = out_rows * s_h - p_h + d_h * u  # input row read by tap row u, for each output row
        row_ok = (in_rows >= 0) & (in_rows < h)
        for v in range(k_w):
            in_cols = out_cols * s_w - p_w + d_w * v
            col_ok = (in_cols >= 0) & (in_cols < w)
            out_index = (out_rows[row_ok, None] * w_out + out_cols[None, col_ok]).flatten()
            in_index = (in_rows[row_ok, None] * w + in_cols[None, col_ok]).flatten()
            C[out_index, in_index] = kernel[u, v]  # each (output, input) pair gets exactly one tap
    return C


# ----------------------------------------------------------------------------------------------------------
# The distribution view: every input pixel scatters value * kernel into the output
# ----------------------------------------------------------------------------------------------------------
def _window(
    i: int, j: int, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int]
) -> tuple[slice, slice]:
    """Rows and columns of the (uncropped) output touched by input pixel (i, j): a dilated k_h x k_w grid."""
    return (
        slice(i * s[0], i * s[0] + d[0] * (k[0] - 1) + 1, d[0]),
        slice(j * s[1], j * s[1] + d[1] * (k[1] - 1) + 1, d[1]),
    )


class ConvTranspose2dScatterFunction(torch.autograd.Function):
    """Transposed convolution by scattering, with a hand-written backward for input, weight and bias.

    forward(input (N, C_in, H, W), weight (C_in, C_out, kH, kW), bias (C_out,) or None, stride, padding,
    output_padding, dilation) -> (N, C_out, H_out, W_out); the size arguments are pairs of ints.

    Taught in: chapter "Transposed convolution from scratch" (the distribution view).
    """

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, output_padding, dilation):
        if isinstance(input, torch.Tensor) and input.dim() != 4:
            raise ValueError(f"input must be 4-D (N, C_in, H, W), got shape {tuple(input.shape)}")
        _, _, stride, padding, output_padding, dilation, _ = _check_inputs(
            input, weight, bias, stride, padding, output_padding, 1, dilation
        )
        n, _, h, w = input.shape
        _, c_out, k_h, k_w = weight.shape
        k = (k_h, k_w)
        # The full canvas holds every contribution; the output is the window [p, p + H_out) of it.
        full_h = (h - 1) * stride[0] + dilation[0] * (k_h - 1) + 1
        full_w = (w - 1) * stride[1] + dilation[1] * (k_w - 1) + 1
        h_out = full_h - 2 * padding[0] + output_padding[0]
        w_out = full_w - 2 * padding[1] + output_padding[1]
        canvas_h = max(full_h, padding[0] + h_out)  # output padding may reach past the last contribution
        canvas_w = max(full_w, padding[1] + w_out)
        canvas = input.new_zeros(n, c_out, canvas_h, canvas_w)  # (N, C_out, canvas_h, canvas_w)
        for i in range(h):
            for j in range(w):
                # input[:, :, i, j] (N, C_in) times the kernel, summed over input channels
                contribution = torch.einsum("nc,cokl->nokl", input[:, :, i, j], weight)  # (N, C_out, kH, kW)
                rows, cols = _window(i, j, k, stride, dilation)
                canvas[:, :, rows, cols] += contribution
        out = canvas[:, :, padding[0] : padding[0] + h_out, padding[1] : padding[1] + w_out]
        if bias is not None:
            out = out + bias.view(1, c_out, 1, 1)
        ctx.save_for_backward(input, weight)
        ctx.config = (stride, padding, dilation, (canvas_h, canvas_w), bias is not None)
        return out.contiguous()  # (N, C_out, H_out, W_out)

    @staticmethod
    def backward(ctx, grad_out):
        input, weight = ctx.saved_tensors
        stride, padding, dilation, (canvas_h, canvas_w), has_bias = ctx.config
        n, c_out, h_out, w_out = grad_out.shape
        _, _, h, w = input.shape
        k = (weight.shape[2], weight.shape[3])
        # Put the gradient back on the canvas: the cropped border received no gradient.
        grad_canvas = grad_out.new_zeros(n, c_out, canvas_h, canvas_w)
        grad_canvas[:, :, padding[0] : padding[0] + h_out, padding[1] : padding[1] + w_out] = grad_out
        need_input, need_weight, need_bias = ctx.needs_input_grad[:3]
        grad_input = torch.zeros_like(input) if need_input else None
        grad_weight = torch.zeros_like(weight) if need_weight else None
        for i in range(h):
            for j in range(w):
                # Input pixel (i, j) wrote into this window, so it collects its gradient from there.
                rows, cols = _window(i, j, k, stride, dilation)
                window = grad_canvas[:, :, rows, cols]  # (N, C_out, kH, kW)
                if need_input:
                    grad_input[:, :, i, j] = torch.einsum("nokl,cokl->nc", window, weight)  # (N, C_in)
                if need_weight:
                    grad_weight += torch.einsum("nc,nokl->cokl", input[:, :, i, j], window)
        grad_bias = grad_out.sum(dim=(0, 2, 3)) if (has_bias and need_bias) else None
        return grad_input, grad_weight, grad_bias, None, None, None, None


def conv_transpose2d_scatter(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: Size2 = 1,
    padding: Size2 = 0,
    output_padding: Size2 = 0,
    groups: int = 1,
    dilation: Size2 = 1,
) -> torch.Tensor:
    """Transposed convolution in the distribution view: each input pixel scatters ``value * kernel``.

    Shapes: input (N, C_in, H, W) or (C_in, H, W), weight (C_in, C_out / groups, kH, kW), bias (C_out,) or
    None -> (N, C_out, H_out, W_out) (or (C_out, H_out, W_out)), with H_out = (H-1)s - 2p + d(kH-1) + 1 + a.
    Input pixel (i, j) adds sum_c input[n, c, i, j] * weight[c, o, u, v] to output pixel
    (i*s - p + d*u, j*s - p + d*v); contributions landing in the padding border are dropped. With groups g,
    the channels split into g independent transposed convolutions, as in ``F.conv_transpose2d``.
    Written as :class:`ConvTranspose2dScatterFunction` with a hand-written backward.

    Taught in: chapter "Transposed convolution from scratch" (the distribution view).
    """
    batched, unbatched, s, p, a, d, _ = _check_inputs(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )
    if groups == 1:
        out = ConvTranspose2dScatterFunction.apply(batched, weight, bias, s, p, a, d)
    else:  # one scatter per group of channels, side by side
        parts = zip(batched.chunk(groups, dim=1), weight.chunk(groups, dim=0))
        out = torch.cat(
            [ConvTranspose2dScatterFunction.apply(x, w, None, s, p, a, d) for x, w in parts], dim=1
        )
        if bias is not None:
            out = out + bias.view(1, -1, 1, 1)
    return out.squeeze(0) if unbatched else out


# ----------------------------------------------------------------------------------------------------------
# The collection view: insert zeros, pad, flip the kernel, convolve with stride 1
# ----------------------------------------------------------------------------------------------------------
def conv_transpose2d_zero_insert(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: Size2 = 1,
    padding: Size2 = 0,
    output_padding: Size2 = 0,
    groups: int = 1,
    dilation: Size2 = 1,
) -> torch.Tensor:
    """Transposed convolution in the collection view: a stride-1 convolution of a stretched input.

    Shapes: input (N, C_in, H, W) or (C_in, H, W), weight (C_in, C_out, kH, kW), bias (C_out,) or None
    -> (N, C_out, H_out, W_out) (or (C_out, H_out, W_out)), with H_out = (H-1)s - 2p + d(kH-1) + 1 + a.
    The recipe:

    1. insert s - 1 zeros between neighbouring input pixels: (H - 1) * s + 1 rows;
    2. pad d(k - 1) - p zeros on every side (a negative amount crops) and the output padding a
       at the bottom and on the right;
    3. flip the kernel in both spatial directions and swap its channel axes: (C_out, C_in, kH, kW)
       (with groups g, within each group: (C_out, C_in / g, kH, kW));
    4. convolve with stride 1 (and the same dilation and groups).

    Taught in: chapter "Transposed convolution from scratch" (the collection view).
    """
    x, unbatched, s, p, a, d, _ = _check_inputs(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )
    n, c_in, h, w = x.shape
    k_h, k_w = weight.shape[2], weight.shape[3]
    # 1. fractional stride: s - 1 zeros between pixels
    stretched = x.new_zeros(n, c_in, (h - 1) * s[0] + 1, (w - 1) * s[1] + 1)
    stretched[:, :, :: s[0], :: s[1]] = x  # (N, C_in, (H-1)s+1, (W-1)s+1)
    # 2. pad by d(k-1) - p on each side, plus the output padding at the bottom and right
    pad_h, pad_w = d[0] * (k_h - 1) - p[0], d[1] * (k_w - 1) - p[1]
    padded = F.pad(stretched, (pad_w, pad_w + a[1], pad_h, pad_h + a[0]))  # (N, C_in, H_out+d(kH-1), ...)
    # 3. flip the kernel and swap in/out channels (within each group)
    c_out_g = weight.shape[1]
    kernel = weight.flip(2, 3).reshape(groups, c_in // groups, c_out_g, k_h, k_w).transpose(1, 2)
    kernel = kernel.reshape(groups * c_out_g, c_in // groups, k_h, k_w)  # (C_out, C_in / g, kH, kW)
    # 4. an ordinary convolution with stride 1
    out = F.conv2d(padded, kernel, bias, stride=1, dilation=d, groups=groups)  # (N, C_out, H_out, W_out)
    return out.squeeze(0) if unbatched else out


# ----------------------------------------------------------------------------------------------------------
# The matrix view at full size: one matrix product per group, then col2im
# ----------------------------------------------------------------------------------------------------------
class _PhasePlan:
    """Where each kernel tap lands in col2im, along one spatial dimension, grouped by stride phase.

    Tap u of input pixel i lands on output row y = i*s + u*d - p. Writing u*d - p = q_u * s + r_u
    (floor division, 0 <= r_u < s) gives y = (i + q_u) * s + r_u: the tap adds the whole input plane,
    shifted by q_u blocks of s rows, into phase r_u of the output (the rows y with y % s == r_u).
    Within one phase every tap is a plain shifted block; only writing the phases out is strided.
    """

    def __init__(self, size: int, kernel: int, stride: int, padding: int, dilation: int, out_size: int):
        self.size, self.stride, self.out_size = size, stride, out_size
        self.taps = [divmod(u * dilation - padding, stride) for u in range(kernel)]  # (q_u, r_u)
        self.blocks = -(-out_size // stride)  # ceil(out_size / s): output rows y = b * s + r, 0 <= b < blocks
        # tap u reaches the blocks b = i + q_u, 0 <= i < size, that exist: (phase, blocks, input rows)
        self.landing = []
        for q, r in self.taps:
            first, last = max(0, q), max(0, min(self.blocks, q + size))
            last = max(first, last)
            self.landing.append((r, slice(first, last), slice(first - q, last - q)))
        # im2col works on a zero-padded canvas of `rows` blocks per phase, where every tap lands whole
        self.q0 = self.taps[0][0]  # smallest shift (<= 0): canvas block 0 is output block q0
        self.rows = max(size + self.taps[-1][0] - self.q0, self.blocks - self.q0)
        # kernel == stride, no padding: phase r holds tap r alone, unshifted, and nothing is cropped
        self.one_tap_per_phase = kernel == stride and dilation == 1 and padding == 0 and self.rows == size

    def block(self, u: int) -> tuple[int, slice]:
        """im2col: phase of tap u and the rows of the padded canvas its shifted input occupies."""
        q, r = self.taps[u]
        return r, slice(q - self.q0, q - self.q0 + self.size)


def _plane(t: torch.Tensor, u: int, v: int, rows: slice, cols: slice) -> torch.Tensor:
    """The view t[:, :, u, v, rows, cols] of a 6-D tensor, made in one call (col2im makes dozens of them)."""
    st = t.stride()
    offset = t.storage_offset() + u * st[2] + v * st[3] + rows.start * st[4] + cols.start * st[5]
    size = (t.shape[0], t.shape[1], rows.stop - rows.start, cols.stop - cols.start)
    return t.as_strided(size, (st[0], st[1], st[4], st[5]), offset)


def _col2im(cols, bias, channels, plan_h, plan_w):
    """col2im (what ``F.fold`` computes): add every column's kH x kW patch into the output, plus the bias.

    cols (N, C*kH*kW, H*W), bias (C,) or None -> (N, C, H_out, W_out). The output is built phase by phase
    (see :class:`_PhasePlan`): the taps landing in one phase are shifted copies of whole (H, W) planes, so
    summing them takes a few contiguous, vectorised, multi-threaded adds; each finished phase is then
    written into every s-th row and column of the output.
    """
    n = cols.shape[0]
    k_h, k_w = len(plan_h.taps), len(plan_w.taps)
    s_h, s_w, b_h, b_w = plan_h.stride, plan_w.stride, plan_h.blocks, plan_w.blocks
    taps = cols.view(n, channels, k_h, k_w, plan_h.size, plan_w.size)  # (N, C, kH, kW, H, W)
    out = cols.new_empty(n, channels, b_h, s_h, b_w, s_w)  # output pixel (b * s_h + r, b' * s_w + c)
    by_phase = out.permute(0, 1, 3, 5, 2, 4)  # (N, C, s_h, s_w, b_h, b_w), a view
    start = cols.new_zeros(()) if bias is None else bias.view(1, channels, 1, 1)  # what every pixel starts at
    whole = (slice(0, b_h), slice(0, b_w))
    buffer = None
    for r in range(s_h):
        for c in range(s_w):
            phase = _plane(by_phase, r, c, slice(0, b_h), slice(0, b_w))  # out[:, :, :, r, :, c]
            # each tap landing in this phase: (output blocks it covers, its input plane cut to them)
            pieces = [
                ((rows_out, cols_out), _plane(taps, u, v, rows_in, cols_in))
                for u, (r_u, rows_out, rows_in) in enumerate(plan_h.landing)
                if r_u == r
                for v, (c_v, cols_out, cols_in) in enumerate(plan_w.landing)
                if c_v == c
            ]
            pieces.sort(key=lambda piece: piece[0] != whole)  # a piece covering the whole phase first
            if len(pieces) == 1 and pieces[0][0] == whole:
                torch.add(pieces[0][1], start, out=phase)
                continue
            if buffer is None:
                buffer = cols.new_empty(n, channels, b_h, b_w)
            if pieces and pieces[0][0] == whole:
                torch.add(pieces.pop(0)[1], start, out=buffer)
            else:
                buffer.copy_(start.expand_as(buffer))
            for (rows_out, cols_out), piece in pieces:
                buffer[:, :, rows_out, cols_out].add_(piece)
            phase.copy_(buffer)
    out = out.view(n, channels, b_h * s_h, b_w * s_w)
    if b_h * s_h != plan_h.out_size or b_w * s_w != plan_w.out_size:  # the last block is partly outside
        out = out[:, :, : plan_h.out_size, : plan_w.out_size].contiguous()
    return out  # (N, C, H_out, W_out)


def _im2col(grad, plan_h, plan_w):
    """im2col (what ``F.unfold`` computes), the adjoint of :func:`_col2im` without bias.

    grad (N, C, H_out, W_out) -> (N, C*kH*kW, H*W): column (i, j) holds the kH x kW patch of grad that input
    pixel (i, j) scattered into (zero where the patch falls outside the output).
    """
    n, channels = grad.shape[:2]
    k_h, k_w = len(plan_h.taps), len(plan_w.taps)
    s_h, s_w = plan_h.stride, plan_w.stride
    top, left = -plan_h.q0 * s_h, -plan_w.q0 * s_w
    bottom = plan_h.rows * s_h - top - plan_h.out_size
    right = plan_w.rows * s_w - left - plan_w.out_size
    padded = grad if top == left == bottom == right == 0 else F.pad(grad, (left, right, top, bottom))
    blocks = padded.view(n, channels, plan_h.rows, s_h, plan_w.rows, s_w)
    phases = grad.new_empty(n, channels, s_h, s_w, plan_h.rows, plan_w.rows)  # (N, C, s_h, s_w, rows, cols)
    for r in range(s_h):
        for c in range(s_w):
            phases[:, :, r, c] = blocks[:, :, :, r, :, c]
    if plan_h.one_tap_per_phase and plan_w.one_tap_per_phase:
        return phases.view(n, channels * k_h * k_w, plan_h.size * plan_w.size)
    cols = grad.new_empty(n, channels, k_h, k_w, plan_h.size, plan_w.size)  # (N, C, kH, kW, H, W)
    for u in range(k_h):
        r, rows = plan_h.block(u)
        for v in range(k_w):
            c, columns = plan_w.block(v)
            cols[:, :, u, v] = phases[:, :, r, c, rows, columns]
    return cols.view(n, channels * k_h * k_w, plan_h.size * plan_w.size)


class _Col2Im(torch.autograd.Function):
    """col2im plus bias as an autograd Function: backward is im2col (and the sum of the gradient for the bias)."""

    @staticmethod
    def forward(ctx, cols, bias, channels, plan_h, plan_w):
        ctx.plans = (plan_h, plan_w)
        ctx.has_bias = bias is not None
        return _col2im(cols, bias, channels, plan_h, plan_w)

    @staticmethod
    def backward(ctx, grad_out):
        grad_cols = _im2col(grad_out.contiguous(), *ctx.plans) if ctx.needs_input_grad[0] else None
        grad_bias = grad_out.sum(dim=(0, 2, 3)) if ctx.has_bias and ctx.needs_input_grad[1] else None
        return grad_cols, grad_bias, None, None, None


# Below this many multiply-adds a product runs as torch.matmul; above it, on a CPU, as a 1 x 1 convolution.
_ONEDNN_MIN_MACS = 1 << 24


def _per_group_product(x: torch.Tensor, weight: torch.Tensor, groups: int) -> torch.Tensor:
    """cols[n, g] = W_g^T @ X_g for every image n and group g: the scattered kernels of every pixel.

    x (N, C_in, H, W), weight (C_in, C_out/G, kH, kW) -> cols (N, C_out*kH*kW, H*W), the rows of group g
    being g*C_out/G*kH*kW onwards (channel-major, as col2im expects).

    The same product has two spellings. ``torch.matmul`` is the plain one. A 1 x 1 convolution with
    groups=G computes exactly W_g^T @ X_g at every pixel, and on a CPU PyTorch runs it with oneDNN, whose
    GEMM kernels ran about twice as fast as ``torch.matmul``'s (MKL) on large products on the course's
    CPU; for small products its set-up costs more than it saves, so those stay with ``torch.matmul``.
    """
    n, c_in, h, w = x.shape
    _, c_out_g, k_h, k_w = weight.shape
    c_in_g, patch = c_in // groups, c_out_g * k_h * k_w
    w_t = weight.reshape(groups, c_in_g, patch).transpose(1, 2)  # (G, C_out/G*kH*kW, C_in/G): W_g^T
    if x.device.type == "cpu" and n * h * w * c_in_g * patch * groups >= _ONEDNN_MIN_MACS:
        cols = F.conv2d(x, w_t.reshape(groups * patch, c_in_g, 1, 1), groups=groups)  # (N, G*patch, H, W)
        return cols.reshape(n, groups * patch, h * w)  # a view unless PyTorch chose channels-last
    if groups == 1:
        return torch.matmul(w_t[0], x.reshape(n, c_in, h * w))  # (N, patch, H*W)
    cols = torch.matmul(w_t, x.reshape(n, groups, c_in_g, h * w))  # (N, G, patch, H*W)
    return cols.reshape(n, groups * patch, h * w)


def conv_transpose2d_col2im(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: Size2 = 1,
    padding: Size2 = 0,
    output_padding: Size2 = 0,
    groups: int = 1,
    dilation: Size2 = 1,
) -> torch.Tensor:
    """Transposed convolution as one matrix product per group and a col2im (the matrix view, batched).

    Shapes: input (N, C_in, H, W) or (C_in, H, W), weight (C_in, C_out // groups, kH, kW), bias (C_out,)
    or None -> (N, C_out, H_out, W_out) (or (C_out, H_out, W_out)), H_out = (H-1)s - 2p + d(kH-1) + 1 + a.
    For group g, with W_g the (C_in/G, C_out/G * kH * kW) slice of the weight and X_g the (C_in/G, H * W)
    slice of one image:

        cols_g = W_g^T @ X_g        # (C_out/G * kH * kW, H * W): the kernel scattered by every pixel
        out    = col2im(cols) + bias

    col2im (``F.fold``) adds the kH x kW patch of column (i, j) into the output at rows i*s - p + d*u and
    columns j*s - p + d*v, cropping what falls in the padding: the distribution view for all pixels at once.

    This is how a transposed convolution was long computed (a GEMM, then col2im). Its cost is the column
    tensor (N, C_out * kH * kW, H * W), kH * kW numbers per output channel and input pixel, written and
    read back once forward and once backward; :func:`conv_transpose2d` never builds it.
    Large products run as a 1 x 1 grouped convolution, which *is* W_g^T @ X_g at every pixel (see
    ``_per_group_product``), and col2im is written tap by tap, grouped by stride phase, so that it is
    made of vectorised adds (``F.fold`` runs on one core). The backward pass comes from autograd for the
    product and from the hand-written adjoint of col2im (im2col).

    Taught in: chapter "Transposed convolution from scratch" (the matrix view at full size).
    """
    x, unbatched, s, p, a, d, (h_out, w_out) = _check_inputs(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )
    n, c_in, h, w = x.shape
    _, c_out_g, k_h, k_w = weight.shape
    cols = _per_group_product(x, weight, groups)  # (N, C_out*kH*kW, H*W)
    plan_h = _PhasePlan(h, k_h, s[0], p[0], d[0], h_out)
    plan_w = _PhasePlan(w, k_w, s[1], p[1], d[1], w_out)
    out = _Col2Im.apply(cols, bias, c_out_g * groups, plan_h, plan_w)
    return out.squeeze(0) if unbatched else out  # (N, C_out, H_out, W_out)


# ----------------------------------------------------------------------------------------------------------
# The fast path: the output split into its s_h * s_w phases, one stride-1 convolution each
# ----------------------------------------------------------------------------------------------------------
class _SubPixelAxis:
    """How the kernel taps of one spatial dimension split among the s output phases.

    Tap u of input row i lands on output row y = i*s + u*d - p. Writing u*d - p = q_u * s + r_u (floor
    division, 0 <= r_u < s) gives y = (i + q_u) * s + r_u: the rows of phase r (y = b*s + r) receive the
    taps with r_u == r only, and row b of that phase is sum over those taps of x[b - q_u] * w[u], an
    ordinary stride-1 correlation of the input with the phase's taps in reverse order. The taps of one
    phase are sigma = s/g apart in the kernel and delta = d/g apart in q (g = gcd(s, d)), so the phase's
    sub-kernel is dilated by delta. Every phase is computed on ``blocks = ceil(out_size / s)`` rows; the
    rows past out_size are cut off after interleaving.
    """

    def __init__(self, size: int, kernel: int, stride: int, padding: int, dilation: int, out_size: int):
        self.stride, self.out_size = stride, out_size
        self.blocks = -(-out_size // stride)
        taps = [divmod(u * dilation - padding, stride) for u in range(kernel)]  # (q_u, r_u)
        #: per phase r, None (no tap lands there) or (its taps in correlation order, delta, left pad, right pad)
        self.phases: list[tuple[list[int], int, int, int] | None] = []
        for r in range(stride):
            us = [u for u, (_, r_u) in enumerate(taps) if r_u == r]
            if not us:
                self.phases.append(None)
                continue
            qs = [taps[u][0] for u in us]
            delta = qs[1] - qs[0] if len(us) > 1 else 1
            left = qs[-1]  # row b reads x[b - q_u]: the largest q is the farthest reach above row 0
            right = self.blocks + (len(us) - 1) * delta - size - left
            self.phases.append((us[::-1], delta, left, right))
        # all phases in one convolution: a sub-kernel of span q_max - q_min + 1, zero where a phase has no tap
        q_min, q_max = taps[0][0], taps[-1][0]
        self.union_span = q_max - q_min + 1
        self.union_taps = [[kernel] * self.union_span for _ in range(stride)]  # `kernel` indexes a zero tap
        for u, (q, r) in enumerate(taps):
            self.union_taps[r][q_max - q] = u
        self.union_pad = (q_max, self.blocks + self.union_span - 1 - size - q_max)


@functools.lru_cache(maxsize=256)
def _sub_pixel_axis(
    size: int, kernel: int, stride: int, padding: int, dilation: int, out_size: int
) -> _SubPixelAxis:
    """The plan of one dimension, made once per geometry (a layer sees the same sizes at every step)."""
    return _SubPixelAxis(size, kernel, stride, padding, dilation, out_size)


def _interleave(planes: Sequence[torch.Tensor], s_h: int, s_w: int, out_h: int, out_w: int) -> torch.Tensor:
    """Phase planes (N, C, B_h, B_w), s_h * s_w of them in row-major phase order -> (N, C, H_out, W_out).

    Plane (r, c) fills the output pixels (b*s_h + r, b'*s_w + c); rows and columns past (H_out, W_out) are
    dropped (the last block of a phase may reach beyond the output).
    """
    n, c, b_h, b_w = planes[0].shape
    if s_h == s_w == 1:  # one phase: nothing to interleave
        return planes[0][:, :, :out_h, :out_w].contiguous()
    out = planes[0].new_empty(n, c, b_h, s_h, b_w, s_w)
    for i, plane in enumerate(planes):
        out[:, :, :, i // s_w, :, i % s_w] = plane
    out = out.view(n, c, b_h * s_h, b_w * s_w)
    if b_h * s_h != out_h or b_w * s_w != out_w:
        out = out[:, :, :out_h, :out_w].contiguous()
    return out


# At or above this many multiply-adds, each phase gets its own convolution (no wasted zero taps); below it,
# all phases share one convolution with a zero-filled sub-kernel (one call instead of s_h * s_w).
_PER_PHASE_MIN_MACS = 1 << 22


def _phase_by_phase(x, weight_oi, bias, plan_h, plan_w, groups):
    """One stride-1 convolution per phase (r, c), with the sub-kernel of the taps that land there."""
    n = x.shape[0]
    c_out, c_in_g, _, k_w = weight_oi.shape
    taps = weight_oi.flatten(2)  # (C_out, C_in/G, kH * kW)
    planes = []
    for phase_h in plan_h.phases:
        for phase_w in plan_w.phases:
            if phase_h is None or phase_w is None:  # no tap lands here: bias (or zero) alone
                start = x.new_zeros(1, 1, 1, 1) if bias is None else bias.view(1, c_out, 1, 1)
                planes.append(start.expand(n, c_out, plan_h.blocks, plan_w.blocks))
                continue
            (taps_h, delta_h, left_h, right_h), (taps_w, delta_w, left_w, right_w) = phase_h, phase_w
            flat = torch.tensor([u * k_w + v for u in taps_h for v in taps_w], device=x.device)
            sub = taps.index_select(2, flat).view(c_out, c_in_g, len(taps_h), len(taps_w))  # flipped
            if min(left_h, right_h, left_w, right_w) >= 0:  # pad inside the convolution, then crop
                pad_h, pad_w = max(left_h, right_h), max(left_w, right_w)
                y = F.conv2d(x, sub, bias, padding=(pad_h, pad_w), dilation=(delta_h, delta_w), groups=groups)
                top, left = pad_h - left_h, pad_w - left_w
            else:  # a negative pad crops the input
                padded = F.pad(x, (left_w, right_w, left_h, right_h))
                y = F.conv2d(padded, sub, bias, dilation=(delta_h, delta_w), groups=groups)
                top = left = 0
            planes.append(y[:, :, top : top + plan_h.blocks, left : left + plan_w.blocks])
    return planes


def _all_phases_at_once(x, weight_oi, bias, plan_h, plan_w, groups):
    """Sub-pixel convolution: one stride-1 convolution with C_out * s_h * s_w output channels, interleaved."""
    n = x.shape[0]
    c_out, c_in_g = weight_oi.shape[:2]
    s_h, s_w, span_h, span_w = plan_h.stride, plan_w.stride, plan_h.union_span, plan_w.union_span
    rows = torch.tensor(plan_h.union_taps, device=x.device).flatten()  # (s_h * span_h,)
    cols = torch.tensor(plan_w.union_taps, device=x.device).flatten()
    padded_weight = F.pad(weight_oi, (0, 1, 0, 1))  # tap index k is the zero tap
    sub = padded_weight[:, :, rows][:, :, :, cols].view(c_out, c_in_g, s_h, span_h, s_w, span_w)
    sub = sub.permute(0, 2, 4, 1, 3, 5).reshape(c_out * s_h * s_w, c_in_g, span_h, span_w)
    (top, bottom), (left, right) = plan_h.union_pad, plan_w.union_pad
    padded = F.pad(x, (left, right, top, bottom))
    sub_bias = None if bias is None else bias.repeat_interleave(s_h * s_w)
    y = F.conv2d(padded, sub, sub_bias, groups=groups)  # (N, C_out * s_h * s_w, B_h, B_w)
    y = y.view(n, c_out, s_h, s_w, plan_h.blocks, plan_w.blocks).permute(0, 1, 4, 2, 5, 3)
    out = y.reshape(n, c_out, plan_h.blocks * s_h, plan_w.blocks * s_w)  # interleaved in one copy
    # (reshape may return a transposed view when a stride is 1; contiguous() copies only then)
    return out[:, :, : plan_h.out_size, : plan_w.out_size].contiguous()


def conv_transpose2d(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: Size2 = 1,
    padding: Size2 = 0,
    output_padding: Size2 = 0,
    groups: int = 1,
    dilation: Size2 = 1,
) -> torch.Tensor:
    """Transposed convolution as s_h * s_w stride-1 convolutions, one per output phase; a drop-in for ``F.conv_transpose2d``.

    Shapes: input (N, C_in, H, W) or (C_in, H, W), weight (C_in, C_out // groups, kH, kW), bias (C_out,)
    or None -> (N, C_out, H_out, W_out) (or (C_out, H_out, W_out)), H_out = (H-1)s - 2p + d(kH-1) + 1 + a.

    The collection view convolves a zero-inserted input with the flipped kernel, and most of its products
    are with the inserted zeros. Which taps meet real input depends only on the output pixel's *phase*
    (y mod s, x mod s): with u*d - p = q_u * s + r_u, tap u of input row i lands on output row
    (i + q_u) * s + r_u. So the output rows of phase r are

        out[b*s + r] = sum over taps u with r_u == r of  x[b - q_u] * w[u]        (and the same for columns)

    a stride-1 convolution of the *original* input with the sub-kernel of that phase's taps (flipped). The
    s_h * s_w phase planes are then interleaved into the output. Nothing is multiplied by an inserted zero
    and no column tensor is built; each phase is an ordinary ``F.conv2d``. Large problems run one
    convolution per phase; small ones run all phases in a single convolution with C_out * s_h * s_w output
    channels and a zero-filled sub-kernel (the *sub-pixel convolution*), which costs a few wasted products
    but one call instead of s_h * s_w. The backward pass is the gradient view: dL/dinput is the convolution
    of dL/dout with the same weight (see ``_SubPixelConvTranspose2d``).

    Any floating dtype is accepted (float16 and bfloat16 too, as by ``F.conv_transpose2d``); integer, bool
    and complex tensors are refused, and input, weight and bias must share one dtype and one device (a
    ``meta`` weight among CPU tensors is refused rather than giving uninitialised memory). The same checks
    hold for the three teaching versions.

    Taught in: chapter "Transposed convolution from scratch" (the fast path); the phases are those of the
    chapter "Checkerboard artifacts".
    """
    x, unbatched, s, p, a, d, (h_out, w_out) = _check_inputs(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )
    out = _SubPixelConvTranspose2d.apply(x, weight, bias, s, p, d, groups, (h_out, w_out))
    return out.squeeze(0) if unbatched else out  # (N, C_out, H_out, W_out)


class _SubPixelConvTranspose2d(torch.autograd.Function):
    """The fast path as an autograd Function: phases forward, the gradient view backward.

    Backward uses two identities of the chapter: the gradient with respect to the input of a transposed
    convolution is the *convolution* with the same weight, stride, padding and dilation,
    dL/dx = conv2d(dL/dout, w); and the gradient with respect to the weight is that convolution's weight
    gradient with x in the role of its output gradient (``torch.nn.grad.conv2d_weight``). Both are
    differentiable, so double backward works too.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, out_size):
        n, c_in, h, w = x.shape
        _, c_out_g, k_h, k_w = weight.shape
        plan_h = _sub_pixel_axis(h, k_h, stride[0], padding[0], dilation[0], out_size[0])
        plan_w = _sub_pixel_axis(w, k_w, stride[1], padding[1], dilation[1], out_size[1])
        # F.conv2d's weight layout: (C_out, C_in/G, kH, kW), output channels grouped as the input's
        weight_oi = weight.reshape(groups, c_in // groups, c_out_g, k_h, k_w).transpose(1, 2)
        weight_oi = weight_oi.reshape(groups * c_out_g, c_in // groups, k_h, k_w)
        ctx.save_for_backward(x, weight)
        ctx.args = (stride, padding, dilation, groups)
        if stride == (1, 1) or n * c_in * c_out_g * h * w * k_h * k_w >= _PER_PHASE_MIN_MACS:
            planes = _phase_by_phase(x, weight_oi, bias, plan_h, plan_w, groups)
            return _interleave(planes, stride[0], stride[1], *out_size)
        return _all_phases_at_once(x, weight_oi, bias, plan_h, plan_w, groups)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.args
        grad_x = grad_weight = grad_bias = None
        h, w = x.shape[2:]
        if ctx.needs_input_grad[0]:
            grad_x = F.conv2d(grad_out, weight, None, stride, padding, dilation, groups)
            grad_x = grad_x[:, :, :h, :w]  # an output padding >= stride (allowed by dilation) adds a row
        if ctx.needs_input_grad[1]:
            # the convolution conv2d(grad_out, weight) may have one more row and column than x (same case)
            h_c, w_c = conv_output_size(
                tuple(grad_out.shape[2:]), tuple(weight.shape[2:]), stride, padding, dilation
            )
            x_c = x if (h_c, w_c) == (h, w) else F.pad(x, (0, w_c - w, 0, h_c - h))
            grad_weight = torch.nn.grad.conv2d_weight(
                grad_out, weight.shape, x_c, stride, padding, dilation, groups
            )
        if ctx.needs_input_grad[2]:  # False when bias is None
            grad_bias = grad_out.sum(dim=(0, 2, 3))
        return grad_x, grad_weight, grad_bias, None, None, None, None, None


# ----------------------------------------------------------------------------------------------------------
# The layer
# ----------------------------------------------------------------------------------------------------------
def _check_layer_geometry(c_in: int, c_out: int, groups: int, layer: ConvTranspose2d, itemsize: int) -> None:
    """Refuse, when a layer is built, a weight above the memory limit or a geometry that no input can use.

    The weight has in_channels * out_channels / groups * kH * kW entries. Even the smallest forward call
    (one image, the fewest input pixels that give an output pixel: H_min = 1 + ceil((2p - d(k-1) - a) / s))
    must stay within the limits of ``_check_budget``; a larger input only needs more.
    """
    k, s, p, a, d = layer.kernel_size, layer.stride, layer.padding, layer.output_padding, layer.dilation
    weight_bytes = c_in * (c_out // groups) * k[0] * k[1] * itemsize
    if weight_bytes > _MAX_BYTES:
        raise ValueError(
            f"in_channels={c_in}, out_channels={c_out}, groups={groups} and kernel_size={k} make a weight of "
            f"{weight_bytes / 2**30:.3g} GiB; the limit is {_MAX_BYTES // 2**30} GiB"
        )
    smallest = tuple(
        1 + max(0, -(-(2 * pi - di * (ki - 1) - ai) // si)) for ki, si, pi, ai, di in zip(k, s, p, a, d)
    )
    if c_in * smallest[0] * smallest[1] * itemsize > _MAX_BYTES:
        raise ValueError(
            f"padding={p} crops everything unless the input has at least {smallest[0]} x {smallest[1]} pixels "
            f"(kernel_size={k}, stride={s}, dilation={d}), more than fits in {_MAX_BYTES // 2**30} GiB"
        )
    _check_budget((1, c_in, *smallest), c_out, k, itemsize, s, p, a, d)


class ConvTranspose2d(nn.Module):
    """A transposed-convolution layer built on :func:`conv_transpose2d`; interchangeable with nn.ConvTranspose2d.

    Same constructor, parameter shapes (weight (in_channels, out_channels // groups, kH, kW), bias
    (out_channels,)), default initialisation and state_dict keys as ``torch.nn.ConvTranspose2d``.
    forward(input (N, C_in, H, W) or (C_in, H, W), output_size=None) -> (N, C_out, H_out, W_out);
    ``output_size`` picks the output padding that gives that size, as in PyTorch: between the smallest output
    and stride - 1 more (so, like nn.ConvTranspose2d, not up to dilation - 1 more); given in full, as
    (N, C_out, H_out, W_out) or (C_out, H_out, W_out), its leading sizes must be those of the output.
    The constructor refuses, before allocating anything, a weight or a geometry beyond the memory limits
    of :func:`conv_transpose2d` (e.g. ``kernel_size=2**40``, ``stride=2**40``, ``padding=2**40``).

    Taught in: chapter "Transposed convolution from scratch".
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Size2,
        stride: Size2 = 1,
        padding: Size2 = 0,
        output_padding: Size2 = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Size2 = 1,
        padding_mode: str = "zeros",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not is_int(value):
                raise TypeError(
                    f"{name}={describe(value)} must be a positive int, not {type(value).__name__}"
                )
            if value < 1:
                raise ValueError(f"{name}={value!r} must be a positive int")
        if in_channels % groups != 0:
            raise ValueError(f"in_channels={in_channels} must be divisible by groups={groups}")
        if out_channels % groups != 0:
            raise ValueError(f"out_channels={out_channels} must be divisible by groups={groups}")
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode={describe(padding_mode)} is not supported; only 'zeros' is")
        check_bool("bias", bias)
        device = check_device("device", device)
        dtype = check_dtype("dtype", dtype)
        self.in_channels = in_channels = int(in_channels)
        self.out_channels = out_channels = int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        self.output_padding = _pair(output_padding, "output_padding", 0)
        self.dilation = _pair(dilation, "dilation", 1)
        for a, s, d in zip(self.output_padding, self.stride, self.dilation):
            if a >= max(s, d):
                raise ValueError(
                    f"output_padding={self.output_padding} must be smaller than stride or dilation "
                    f"(stride={self.stride}, dilation={self.dilation})"
                )
        itemsize = (dtype or torch.get_default_dtype()).itemsize
        _check_layer_geometry(in_channels, out_channels, int(groups), self, itemsize)
        self.groups = int(groups)
        self.padding_mode = padding_mode
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(
            torch.empty(in_channels, out_channels // groups, *self.kernel_size, **factory)
        )
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) on the weight, bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

        For a transposed convolution's weight (C_in, C_out/g, kH, kW), fan_in is computed from dimension 1:
        fan_in = C_out / groups * kH * kW, which gives a weight bound of 1/sqrt(fan_in) as well.
        """
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            nn.init.uniform_(self.bias, -bound, bound)

    def _output_padding_for(self, input: torch.Tensor, output_size: Sequence[int]) -> tuple[int, int]:
        """The output padding that makes the output (H_out, W_out) == output_size (last two entries)."""
        if not isinstance(input, torch.Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
        if input.dim() not in (3, 4):
            raise ValueError(
                f"input must be 3-D (C_in, H, W) or 4-D (N, C_in, H, W), got shape {tuple(input.shape)}"
            )
        if isinstance(output_size, torch.Size):
            output_size = tuple(output_size)
        if not isinstance(output_size, (tuple, list)) or not all(is_int(v) for v in output_size):
            raise TypeError(f"output_size={describe(output_size)} must be a sequence of ints")
        output_size = tuple(int(v) for v in output_size)
        if len(output_size) not in (2, input.dim()):
            raise ValueError(
                f"output_size={output_size} must have 2 or {input.dim()} entries for a {input.dim()}-D input"
            )
        leading = (*input.shape[:-3], self.out_channels)  # (N, C_out) or (C_out,)
        if len(output_size) > 2 and output_size[:-2] != leading:
            raise ValueError(
                f"output_size={output_size} must have the batch size and out_channels={self.out_channels} "
                f"of the output {leading} in front of (H_out, W_out)"
            )
        if min(output_size[-2:]) < 1:
            raise ValueError(f"output_size={output_size} must be at least 1 in H_out and W_out")
        target = tuple(output_size[-2:])
        try:
            padding = required_output_padding(
                tuple(input.shape[-2:]), target, self.kernel_size, self.stride, self.padding, self.dilation
            )
        except ValueError as exc:
            raise ValueError(f"output_size={tuple(output_size)} is not reachable: {exc}") from None
        # nn.ConvTranspose2d accepts output sizes within stride - 1 of the smallest one, even where
        # F.conv_transpose2d would take an output padding up to dilation - 1 (dilation > stride): match it
        for a, s, dim in zip(padding, self.stride, ("H_out", "W_out")):
            if a >= s:
                smallest = tuple(t - q for t, q in zip(target, padding))
                largest = tuple(m + st - 1 for m, st in zip(smallest, self.stride))
                raise ValueError(
                    f"output_size={tuple(output_size)} is not reachable: as in nn.ConvTranspose2d, {dim} must "
                    f"lie within stride - 1 of the smallest output; valid sizes range from {smallest} to {largest}"
                )
        return padding

    def forward(self, input: torch.Tensor, output_size: Sequence[int] | None = None) -> torch.Tensor:
        """(N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out) or (C_out, H_out, W_out)."""
        output_padding = (
            self.output_padding if output_size is None else self._output_padding_for(input, output_size)
        )
        return conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text

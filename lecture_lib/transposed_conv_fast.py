"""Transposed convolution, the fast path: the output split into its s_h * s_w phases, one convolution each.

:func:`conv_transpose2d` is a drop-in for ``F.conv_transpose2d``: every output phase (y mod s, x mod s) is
an ordinary stride-1 convolution of the input with the kernel taps that land in it, and the phase planes
are interleaved into the output (on small problems all phases run as one *sub-pixel convolution*). It is
the optimised twin of the teaching versions of ``transposed_conv_views``, tested equal to them and to
``F.conv_transpose2d``; ``transposed_conv_layer.ConvTranspose2d`` runs it.

Taught in: chapter "Transposed convolution from scratch" (the fast path); the phases are those of the
chapter "Checkerboard artifacts".
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ._transposed_conv_checks import Size2, _check_inputs
from .conv_arith import conv_output_size

__all__ = ["conv_transpose2d"]


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

"""Transposed convolution as the matrix view at full size: one matrix product per group, then col2im.

:func:`conv_transpose2d_col2im` is the classic implementation (a GEMM, then col2im, what ``F.fold``
computes), the optimised twin of ``transposed_conv_views.conv2d_matrix`` and
``transposed_conv_views.conv_transpose2d_scatter``, tested equal to them and to ``F.conv_transpose2d``.
col2im is written phase by phase (``_PhasePlan``) so that it is made of vectorised adds, and its
adjoint im2col is the hand-written backward.

Taught in: chapter "Transposed convolution from scratch" (the matrix view at full size).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._transposed_conv_checks import Size2, _check_inputs

__all__ = ["conv_transpose2d_col2im"]


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
    read back once forward and once backward; :func:`~lecture_lib.transposed_conv_fast.conv_transpose2d`
    never builds it. Large products run as a 1 x 1 grouped convolution, which *is* W_g^T @ X_g at every
    pixel (see ``_per_group_product``), and col2im is written tap by tap, grouped by stride phase, so that
    it is made of vectorised adds (``F.fold`` runs on one core). The backward pass comes from autograd for
    the product and from the hand-written adjoint of col2im (im2col).

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

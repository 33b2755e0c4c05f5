"""Transposed convolution, the teaching versions: the matrix view, the distribution and collection views.

A 2-D transposed convolution with stride s, padding p, output padding a and dilation d maps an input of
size (H, W) to an output of size

    H_out = (H - 1) * s - 2 * p + d * (k - 1) + 1 + a        (and the same for W)

Three of the chapter's ways to compute it, each written as the lecture writes it, with the semantics of
``torch.nn.functional.conv_transpose2d``:

* :func:`conv2d_matrix` builds the matrix C of a convolution; the transposed convolution multiplies by C^T.
* :func:`conv_transpose2d_scatter` (distribution view): every input pixel scatters ``value * kernel`` into
  the output; :class:`ConvTranspose2dScatterFunction` is the ``torch.autograd.Function`` with a hand-written
  backward.
* :func:`conv_transpose2d_zero_insert` (collection view): insert s - 1 zeros between input pixels, pad,
  flip the kernel and convolve with stride 1.

The optimised twins, tested equal to these, are ``transposed_conv_col2im.conv_transpose2d_col2im`` (the
matrix view at full size) and ``transposed_conv_fast.conv_transpose2d`` (the fast path).

Taught in: chapter "Transposed convolution from scratch".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._transposed_conv_checks import _MAX_BYTES, Size2, _check_inputs, _pair
from ._validate import check_tensor

__all__ = [
    "ConvTranspose2dScatterFunction",
    "conv2d_matrix",
    "conv_transpose2d_scatter",
    "conv_transpose2d_zero_insert",
]


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

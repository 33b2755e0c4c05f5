"""Large float32 matrix products on a CPU through oneDNN, PyTorch's convolution engine.

On a CPU, ``torch.matmul`` calls the BLAS library PyTorch was built with (MKL in the official wheels),
while ``nn.LSTM``, ``F.conv2d`` and ``F.conv_transpose2d`` run on oneDNN's own kernels. On some
processors (the course's AMD EPYC among them) oneDNN's are two to four times faster on the products an
LSTM layer makes outside its time loop. A product rows @ W^T *is* a 1 x 1 convolution whose pixels are the
rows and whose channels are the columns, so writing it as one reaches oneDNN with the same arithmetic.
Below ``MIN_MACS`` multiply-adds, and for other dtypes or devices, plain ``F.linear`` and ``@`` are used.
(``transposed_conv.conv_transpose2d_col2im`` uses the same identity for its grouped product.)

Used by: ``lecture_lib.gated`` (the LSTM layer's input projection and weight gradients).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

#: products smaller than this many multiply-adds run as F.linear or @
MIN_MACS = 1 << 24


def _check_same(first: str, a: Tensor, **others: Tensor | None) -> None:
    """Every tensor on ``a``'s device and of its dtype: PyTorch returns uninitialised CPU memory for a
    ``meta`` weight among CPU tensors (``F.linear`` and ``F.conv2d`` alike), so this refuses it by name."""
    for name, t in others.items():
        if t is None:
            continue
        if t.device != a.device:
            raise ValueError(
                f"{name} is on {t.device} but {first} is on {a.device}; they must share a device"
            )
        if t.dtype != a.dtype:
            raise TypeError(f"{name} has dtype {t.dtype} but {first} has {a.dtype}; they must share a dtype")


def _use_onednn(a: Tensor, macs: int) -> bool:
    return (
        a.device.type == "cpu"
        and a.dtype == torch.float32
        and macs >= MIN_MACS
        and torch.backends.mkldnn.is_available()
        and torch.backends.mkldnn.enabled
    )


def _as_image(rows: Tensor) -> Tensor:
    """(M, K) -> (1, K, M, 1): M pixels with K channels, in channels-last memory (a view when contiguous)."""
    m, k = rows.shape
    return rows.contiguous().view(1, m, 1, k).permute(0, 3, 1, 2)


def linear(rows: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """rows @ weight^T + bias, as ``F.linear``: rows (M, K), weight (C, K), bias (C,) or None -> (M, C)."""
    _check_same("rows", rows, weight=weight, bias=bias)
    (m, k), c = rows.shape, weight.shape[0]
    if not _use_onednn(rows, m * k * c):
        return F.linear(rows, weight, bias)
    out = F.conv2d(_as_image(rows), weight.reshape(c, k, 1, 1), bias)  # (1, C, M, 1)
    return out.permute(0, 2, 3, 1).reshape(m, c)


def outer_sum(grad_rows: Tensor, rows: Tensor) -> Tensor:
    """grad_rows^T @ rows, the weight gradient of ``linear``: grad_rows (M, C), rows (M, K) -> (C, K)."""
    _check_same("rows", rows, grad_rows=grad_rows)
    (m, c), k = grad_rows.shape, rows.shape[1]
    if not _use_onednn(rows, m * k * c):
        return grad_rows.t() @ rows
    grad = torch.nn.grad.conv2d_weight(_as_image(rows), (c, k, 1, 1), _as_image(grad_rows))
    return grad.view(c, k)

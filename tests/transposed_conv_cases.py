"""Shared by the tests of lecture_lib.transposed_conv*: random cases, the PyTorch reference, forced routes."""

from __future__ import annotations

from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume
from hypothesis import strategies as st

from lecture_lib import transposed_conv_col2im, transposed_conv_fast
from lecture_lib.transposed_conv import (
    conv2d_matrix,
    conv_transpose2d,
    conv_transpose2d_col2im,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insert,
)

TOL = 1e-10
F64 = torch.float64


def conv_transpose2d_by_matrix(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    """The matrix view as an implementation: out[n, o] = sum_c C(weight[c, o])^T x[n, c] (+ bias).

    conv2d_matrix is built for the convolution whose input has the transposed convolution's output size;
    valid when output_padding < stride, so that this convolution maps back to the input size.
    """
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    s, p, a, d = pair(stride), pair(padding), pair(output_padding), pair(dilation)
    n, c_in, h, w = x.shape
    _, c_out, k_h, k_w = weight.shape
    h_out = (h - 1) * s[0] - 2 * p[0] + d[0] * (k_h - 1) + 1 + a[0]
    w_out = (w - 1) * s[1] - 2 * p[1] + d[1] * (k_w - 1) + 1 + a[1]
    out = x.new_zeros(n, c_out, h_out * w_out)
    for c in range(c_in):
        for o in range(c_out):
            C = conv2d_matrix(weight[c, o], (h_out, w_out), s, p, d)  # (H*W, H_out*W_out)
            out[:, o] += x[:, c].reshape(n, h * w) @ C  # row vectors: (C^T y)^T = y^T C
    out = out.view(n, c_out, h_out, w_out)
    return out if bias is None else out + bias.view(1, -1, 1, 1)


@st.composite
def transposed_cases(draw, max_groups=1):
    """A random valid transposed convolution: sizes, channels, groups, batch and every argument."""
    k = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    a = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
    size = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    out = [
        (n - 1) * si - 2 * pi + di * (ki - 1) + 1 + ai for n, ki, si, pi, ai, di in zip(size, k, s, p, a, d)
    ]
    assume(min(out) >= 1)
    groups = draw(st.integers(1, max_groups))
    c_in = groups * draw(st.integers(1, 3))
    c_out_g = draw(st.integers(1, 3))
    batch = draw(st.integers(1, 3))
    has_bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, c_in, *size, generator=gen, dtype=F64)
    weight = torch.randn(c_in, c_out_g, *k, generator=gen, dtype=F64)
    bias = torch.randn(c_out_g * groups, generator=gen, dtype=F64) if has_bias else None
    # ints where both entries agree, pairs otherwise: both spellings get exercised
    squash = lambda t: t[0] if t[0] == t[1] and draw(st.booleans()) else t  # noqa: E731
    kwargs = dict(stride=squash(s), padding=squash(p), output_padding=squash(a), dilation=squash(d))
    return x, weight, bias, groups, kwargs


def reference(x, weight, bias, groups, kwargs):
    return F.conv_transpose2d(x, weight, bias, groups=groups, **kwargs)


# Each fast implementation has two internal routes, chosen by problem size; `route` forces one or the other.
FAST_ROUTES = {
    # conv_transpose2d: one convolution per phase, or all phases in one sub-pixel convolution
    "subpixel-per-phase": (conv_transpose2d, transposed_conv_fast, "_PER_PHASE_MIN_MACS", 0),
    "subpixel-all-at-once": (conv_transpose2d, transposed_conv_fast, "_PER_PHASE_MIN_MACS", 1 << 62),
    # conv_transpose2d_col2im: the product as a 1 x 1 convolution, or as torch.matmul
    "col2im-conv1x1": (conv_transpose2d_col2im, transposed_conv_col2im, "_ONEDNN_MIN_MACS", 0),
    "col2im-matmul": (conv_transpose2d_col2im, transposed_conv_col2im, "_ONEDNN_MIN_MACS", 1 << 62),
}


def fast(route):
    """The fast implementation of ``route``, with that route forced."""
    fn, module, threshold, value = FAST_ROUTES[route]

    def call(*args, **kwargs):
        with mock.patch.object(module, threshold, value):
            return fn(*args, **kwargs)

    return call


BACKWARD_CASES = [
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(0, 2), output_padding=(1, 2), dilation=(2, 1), groups=2),
    dict(stride=1, padding=1, output_padding=1, dilation=2),  # the conv of the backward is one row larger
    dict(stride=3, padding=0),  # k = 2 < s: some phases receive no tap
]


def backward_case(kwargs):
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(2, 2, 3, 4, generator=gen, dtype=F64, requires_grad=True)
    weight = torch.randn(2, 2, 2, 3, generator=gen, dtype=F64)
    bias = torch.randn(2, generator=gen, dtype=F64, requires_grad=True)  # C_out = 2 // groups * groups
    weight = weight[:, : 2 // kwargs.get("groups", 1)].requires_grad_()
    return x, weight, bias


FUNCTIONAL = [
    pytest.param(conv_transpose2d_scatter, id="scatter"),
    pytest.param(conv_transpose2d_zero_insert, id="zero_insert"),
    pytest.param(conv_transpose2d, id="fast"),
    pytest.param(conv_transpose2d_col2im, id="col2im"),
]


ALL_FOUR = [
    conv_transpose2d,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insert,
    conv_transpose2d_col2im,
]

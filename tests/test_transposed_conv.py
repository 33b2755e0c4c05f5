"""Tests for lecture_lib.transposed_conv: every implementation against F.conv_transpose2d in float64."""

from __future__ import annotations

import math
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from lecture_lib import transposed_conv
from lecture_lib.transposed_conv import (
    ConvTranspose2d,
    ConvTranspose2dScatterFunction,
    _col2im,
    _im2col,
    _PhasePlan,
    _SubPixelAxis,
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


# ---------------------------------------------------------------------------------------- values against PyTorch
@given(transposed_cases(max_groups=3))
def test_teaching_versions_equal_pytorch(case):
    x, weight, bias, groups, kwargs = case
    expected = reference(x, weight, bias, groups, kwargs)
    for fn in (conv_transpose2d_scatter, conv_transpose2d_zero_insert):
        got = fn(x, weight, bias, groups=groups, **kwargs)
        assert got.shape == expected.shape
        torch.testing.assert_close(got, expected, atol=TOL, rtol=0)


@given(transposed_cases())
def test_matrix_view_equals_pytorch(case):
    x, weight, bias, groups, kwargs = case
    s = kwargs["stride"] if isinstance(kwargs["stride"], tuple) else (kwargs["stride"],) * 2
    a = (
        kwargs["output_padding"]
        if isinstance(kwargs["output_padding"], tuple)
        else (kwargs["output_padding"],) * 2
    )
    assume(a[0] < s[0] and a[1] < s[1])  # otherwise the convolution does not map back to the input size
    got = conv_transpose2d_by_matrix(x, weight, bias, **kwargs)
    torch.testing.assert_close(got, reference(x, weight, bias, groups, kwargs), atol=TOL, rtol=0)


# Each fast implementation has two internal routes, chosen by problem size; `route` forces one or the other.
FAST_ROUTES = {
    # conv_transpose2d: one convolution per phase, or all phases in one sub-pixel convolution
    "subpixel-per-phase": (conv_transpose2d, "_PER_PHASE_MIN_MACS", 0),
    "subpixel-all-at-once": (conv_transpose2d, "_PER_PHASE_MIN_MACS", 1 << 62),
    # conv_transpose2d_col2im: the product as a 1 x 1 convolution, or as torch.matmul
    "col2im-conv1x1": (conv_transpose2d_col2im, "_ONEDNN_MIN_MACS", 0),
    "col2im-matmul": (conv_transpose2d_col2im, "_ONEDNN_MIN_MACS", 1 << 62),
}


def fast(route):
    """The fast implementation of ``route``, with that route forced."""
    fn, threshold, value = FAST_ROUTES[route]

    def call(*args, **kwargs):
        with mock.patch.object(transposed_conv, threshold, value):
            return fn(*args, **kwargs)

    return call


@given(transposed_cases(max_groups=3), st.booleans(), st.sampled_from(sorted(FAST_ROUTES)))
def test_fast_paths_equal_pytorch_with_groups(case, unbatched, route):
    x, weight, bias, groups, kwargs = case
    if unbatched:
        x = x[0]
    got = fast(route)(x, weight, bias, groups=groups, **kwargs)
    expected = reference(x, weight, bias, groups, kwargs)
    assert got.shape == expected.shape
    assert got.is_contiguous()
    torch.testing.assert_close(got, expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("route", sorted(FAST_ROUTES))
def test_fast_paths_accept_non_contiguous_and_channels_last_input(route):
    gen = torch.Generator().manual_seed(5)
    weight = torch.randn(4, 3, 3, 3, generator=gen, dtype=F64)
    base = torch.randn(2, 4, 5, 6, generator=gen, dtype=F64)
    inputs = [base.contiguous(memory_format=torch.channels_last), base.transpose(2, 3), base[:, :, ::2]]
    for x in inputs:
        x = x.detach().requires_grad_()  # keeps the strides
        out = fast(route)(x, weight, stride=2, padding=1, output_padding=1)
        expected = F.conv_transpose2d(x, weight, stride=2, padding=1, output_padding=1)
        torch.testing.assert_close(out, expected, atol=TOL, rtol=0)
        upstream = torch.randn(expected.shape, generator=gen, dtype=F64).contiguous(
            memory_format=torch.channels_last
        )
        (got,) = torch.autograd.grad(out, [x], upstream)
        (want,) = torch.autograd.grad(expected, [x], upstream)
        torch.testing.assert_close(got, want, atol=TOL, rtol=0)


@settings(max_examples=30)
@given(transposed_cases(max_groups=3), st.sampled_from(sorted(FAST_ROUTES)))
def test_gradients_equal_autograd_through_pytorch(case, route):
    x, weight, bias, groups, kwargs = case
    implementations = [
        lambda *t: fast(route)(*t, groups=groups, **kwargs),
        lambda *t: conv_transpose2d_scatter(*t, groups=groups, **kwargs),
        lambda *t: conv_transpose2d_zero_insert(*t, groups=groups, **kwargs),
    ]
    leaves = [t.clone().requires_grad_() for t in (x, weight) + ((bias,) if bias is not None else ())]
    expected_out = reference(*leaves[:2], leaves[2] if bias is not None else None, groups, kwargs)
    upstream = torch.randn_like(expected_out)
    expected = torch.autograd.grad(expected_out, leaves, upstream)
    for fn in implementations:
        out = fn(*leaves[:2], leaves[2] if bias is not None else None)
        for g, e in zip(torch.autograd.grad(out, leaves, upstream), expected):
            torch.testing.assert_close(g, e, atol=TOL, rtol=0)


BACKWARD_CASES = [
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(0, 2), output_padding=(1, 2), dilation=(2, 1), groups=2),
    dict(stride=1, padding=1, output_padding=1, dilation=2),  # the conv of the backward is one row larger
    dict(stride=3, padding=0),  # k = 2 < s: some phases receive no tap
]


def _backward_case(kwargs):
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(2, 2, 3, 4, generator=gen, dtype=F64, requires_grad=True)
    weight = torch.randn(2, 2, 2, 3, generator=gen, dtype=F64)
    bias = torch.randn(2, generator=gen, dtype=F64, requires_grad=True)  # C_out = 2 // groups * groups
    weight = weight[:, : 2 // kwargs.get("groups", 1)].requires_grad_()
    return x, weight, bias


@pytest.mark.parametrize("kwargs", BACKWARD_CASES)
@pytest.mark.parametrize("route", ["subpixel-per-phase", "subpixel-all-at-once"])
def test_subpixel_backward_passes_gradcheck_and_gradgradcheck(kwargs, route):
    """The hand-written backward (the gradient view) is itself differentiable: double backward works."""
    fn = lambda *t: fast(route)(*t, **kwargs)  # noqa: E731
    assert torch.autograd.gradcheck(fn, _backward_case(kwargs))
    assert torch.autograd.gradgradcheck(fn, _backward_case(kwargs))


@pytest.mark.parametrize("kwargs", BACKWARD_CASES)
@pytest.mark.parametrize("route", ["col2im-conv1x1", "col2im-matmul"])
def test_col2im_backward_passes_gradcheck(kwargs, route):
    """The hand-written backward of the col2im path (an im2col of the output gradient), on both products."""
    fn = lambda *t: fast(route)(*t, **kwargs)  # noqa: E731
    assert torch.autograd.gradcheck(fn, _backward_case(kwargs))


def test_subpixel_backward_skips_unneeded_gradients():
    x = torch.randn(1, 2, 3, 3, dtype=F64, requires_grad=True)
    weight = torch.randn(2, 2, 3, 3, dtype=F64)  # no gradient wanted for the weight or a bias
    out = conv_transpose2d(x, weight, stride=2, padding=1)
    assert out.grad_fn is not None
    (grad_x,) = torch.autograd.grad(out.sum(), [x])
    expected = torch.autograd.grad(F.conv_transpose2d(x, weight, stride=2, padding=1).sum(), [x])[0]
    torch.testing.assert_close(grad_x, expected, atol=TOL, rtol=0)
    assert conv_transpose2d(x.detach(), weight, stride=2, padding=1).grad_fn is None


@given(
    st.integers(1, 6),
    st.integers(1, 5),
    st.integers(1, 4),
    st.integers(0, 3),
    st.integers(1, 3),
    st.integers(0, 2),
)
def test_subpixel_phases_split_the_taps(size, kernel, stride, padding, dilation, extra):
    """Every tap lands in exactly one phase, and each phase computes out[b*s + r] from x[b - q_u]."""
    out_size = (
        (size - 1) * stride
        - 2 * padding
        + dilation * (kernel - 1)
        + 1
        + min(extra, max(stride, dilation) - 1)
    )
    assume(out_size >= 1)
    plan = _SubPixelAxis(size, kernel, stride, padding, dilation, out_size)
    taps = [u for phase in plan.phases if phase is not None for u in phase[0]]
    assert sorted(taps) == list(range(kernel))
    assert plan.blocks * stride >= out_size > (plan.blocks - 1) * stride
    # one dimension by hand: scatter every tap of every input row, then read each phase's rows back
    gen = torch.Generator().manual_seed(size * 100 + kernel)
    x, w = torch.randn(size, generator=gen, dtype=F64), torch.randn(kernel, generator=gen, dtype=F64)
    full = torch.zeros(out_size, dtype=F64)
    for i in range(size):
        for u in range(kernel):
            y = i * stride + u * dilation - padding
            if 0 <= y < out_size:
                full[y] += x[i] * w[u]
    for r, phase in enumerate(plan.phases):
        rows = full[r::stride]
        if phase is None:
            assert torch.all(rows == 0)
            continue
        flipped_taps, delta, left, right = phase
        padded = F.pad(x.view(1, 1, -1), (left, right)).view(-1)  # a negative pad crops
        sub = w[flipped_taps]
        conv = torch.stack(
            [sum(padded[b + j * delta] * sub[j] for j in range(len(sub))) for b in range(plan.blocks)]
        )
        torch.testing.assert_close(conv[: len(rows)], rows, atol=TOL, rtol=0)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(stride=1, padding=0, output_padding=0, dilation=1),
        dict(stride=2, padding=1, output_padding=1, dilation=1),
        dict(stride=(2, 3), padding=(0, 2), output_padding=(1, 2), dilation=(2, 1)),
        dict(stride=1, padding=1, output_padding=1, dilation=2),  # output padding allowed by the dilation
    ],
)
@pytest.mark.parametrize("with_bias", [True, False])
def test_scatter_function_passes_gradcheck(kwargs, with_bias):
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 2, 3, 2, generator=gen, dtype=F64, requires_grad=True)
    weight = torch.randn(2, 3, 3, 2, generator=gen, dtype=F64, requires_grad=True)
    bias = torch.randn(3, generator=gen, dtype=F64, requires_grad=True) if with_bias else None
    inputs = (x, weight, bias) if with_bias else (x, weight)

    def fn(*t):
        return conv_transpose2d_scatter(t[0], t[1], t[2] if with_bias else None, **kwargs)

    assert torch.autograd.gradcheck(fn, inputs)


def test_scatter_function_skips_unneeded_gradients():
    x = torch.randn(1, 2, 3, 3, dtype=F64, requires_grad=True)
    weight = torch.randn(2, 2, 3, 3, dtype=F64)  # no gradient wanted for the weight
    out = ConvTranspose2dScatterFunction.apply(x, weight, None, (2, 2), (1, 1), (0, 0), (1, 1))
    (grad_x,) = torch.autograd.grad(out.sum(), [x])
    expected = torch.autograd.grad(F.conv_transpose2d(x, weight, stride=2, padding=1).sum(), [x])[0]
    torch.testing.assert_close(grad_x, expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("fn", [conv_transpose2d, conv_transpose2d_col2im])
def test_fast_paths_kernel_equal_to_stride(fn):
    """kernel == stride (a pure rearrangement) with and without output padding beyond the padding."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, 5, 3, generator=gen, dtype=F64)
    weight = torch.randn(4, 3, 2, 3, generator=gen, dtype=F64)
    for kwargs in (
        dict(stride=(2, 3)),
        dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2)),
        dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 1)),
    ):
        torch.testing.assert_close(
            fn(x, weight, **kwargs), F.conv_transpose2d(x, weight, **kwargs), atol=TOL, rtol=0
        )


@given(transposed_cases())
def test_phase_col2im_and_im2col_equal_fold_and_unfold(case):
    """conv_transpose2d_col2im's col2im is F.fold (plus bias) and its adjoint is F.unfold, for every geometry."""
    x, weight, bias, _, kwargs = case
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    s, p, a, d = (pair(kwargs[k]) for k in ("stride", "padding", "output_padding", "dilation"))
    n, _, h, w = x.shape
    c, k_h, k_w = weight.shape[1], weight.shape[2], weight.shape[3]
    out_hw = [
        (i - 1) * si - 2 * pi + di * (ki - 1) + 1 + ai
        for i, ki, si, pi, ai, di in zip((h, w), (k_h, k_w), s, p, a, d)
    ]
    plan_h = _PhasePlan(h, k_h, s[0], p[0], d[0], out_hw[0])
    plan_w = _PhasePlan(w, k_w, s[1], p[1], d[1], out_hw[1])
    cols = torch.randn(n, c * k_h * k_w, h * w, dtype=F64)
    got = _col2im(cols, bias, c, plan_h, plan_w)
    # F.fold needs the padded size to hold whole blocks: fold the full canvas, then crop or extend
    full = [(i - 1) * si + di * (ki - 1) + 1 for i, ki, si, di in zip((h, w), (k_h, k_w), s, d)]
    folded = F.fold(cols, full, (k_h, k_w), dilation=d, stride=s)
    expected = F.pad(folded, (-p[1], a[1] - p[1], -p[0], a[0] - p[0]))
    if bias is not None:
        expected = expected + bias.view(1, -1, 1, 1)
    assert got.is_contiguous()
    torch.testing.assert_close(got, expected, atol=TOL, rtol=0)
    grad = torch.randn(n, c, *out_hw, dtype=F64)
    unfolded = F.unfold(F.pad(grad, (p[1], p[1] - a[1], p[0], p[0] - a[0])), (k_h, k_w), dilation=d, stride=s)
    torch.testing.assert_close(_im2col(grad, plan_h, plan_w), unfolded, atol=TOL, rtol=0)


# ---------------------------------------------------------------------------------------- the matrix view
def test_conv2d_matrix_by_hand():
    kernel = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64)
    expected = torch.tensor(
        [
            [1, 2, 0, 3, 4, 0, 0, 0, 0],
            [0, 1, 2, 0, 3, 4, 0, 0, 0],
            [0, 0, 0, 1, 2, 0, 3, 4, 0],
            [0, 0, 0, 0, 1, 2, 0, 3, 4],
        ],
        dtype=F64,
    )
    assert torch.equal(conv2d_matrix(kernel, 3), expected)


@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(1, 2),
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(0, 2**31 - 1),
)
def test_conv2d_matrix_identities(k_h, k_w, stride, padding, dilation, h, w, seed):
    assume(h + 2 * padding >= dilation * (k_h - 1) + 1 and w + 2 * padding >= dilation * (k_w - 1) + 1)
    gen = torch.Generator().manual_seed(seed)
    kernel = torch.randn(k_h, k_w, generator=gen, dtype=F64)
    x = torch.randn(h, w, generator=gen, dtype=F64)
    C = conv2d_matrix(kernel, (h, w), stride, padding, dilation)
    conv = F.conv2d(x[None, None], kernel[None, None], stride=stride, padding=padding, dilation=dilation)
    assert C.shape == (conv.numel(), h * w)
    torch.testing.assert_close(C @ x.flatten(), conv.flatten(), atol=TOL, rtol=0)
    y = torch.randn(conv.shape[2:], generator=gen, dtype=F64)
    a = (
        (h + 2 * padding - dilation * (k_h - 1) - 1) % stride,
        (w + 2 * padding - dilation * (k_w - 1) - 1) % stride,
    )
    transposed = F.conv_transpose2d(
        y[None, None], kernel[None, None], stride=stride, padding=padding, output_padding=a, dilation=dilation
    )
    torch.testing.assert_close(C.T @ y.flatten(), transposed.flatten(), atol=TOL, rtol=0)


def test_conv2d_matrix_follows_kernel_and_is_differentiable(device):
    kernel = torch.randn(3, 3, device=device, dtype=torch.float32, requires_grad=True)
    C = conv2d_matrix(kernel, (4, 5), stride=2, padding=1)
    assert C.device == kernel.device and C.dtype == torch.float32
    (grad,) = torch.autograd.grad(C.sum(), [kernel])
    # tap (u, v) appears once per output pixel that reads an existing input pixel
    x = torch.ones(1, 1, 4, 5, device=device)
    expected = torch.autograd.grad(F.conv2d(x, kernel[None, None], stride=2, padding=1).sum(), [kernel])[0]
    torch.testing.assert_close(grad, expected)


def test_transpose_is_not_the_inverse():
    """A convolution followed by its transpose does not give back the input (C^T C is not the identity)."""
    kernel = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64)
    C = conv2d_matrix(kernel, 3)
    assert not torch.allclose(C.T @ C, torch.eye(9, dtype=F64))
    x = torch.arange(9, dtype=F64)
    assert not torch.allclose(C.T @ (C @ x), x)


# ---------------------------------------------------------------------------------------- the lecture's numbers
IMPLEMENTATIONS = [
    pytest.param(conv_transpose2d_scatter, id="scatter"),
    pytest.param(conv_transpose2d_zero_insert, id="zero_insert"),
    pytest.param(conv_transpose2d, id="fast"),
    pytest.param(conv_transpose2d_col2im, id="col2im"),
    pytest.param(conv_transpose2d_by_matrix, id="matrix"),
]


@pytest.mark.parametrize("fn", IMPLEMENTATIONS)
def test_lecture_example_d2l(fn):
    x = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=F64).view(1, 1, 2, 2)
    expected = torch.tensor([[0, 0, 1], [0, 4, 6], [4, 12, 9]], dtype=F64).view(1, 1, 3, 3)
    assert torch.equal(fn(x, x.clone()), expected)


@pytest.mark.parametrize("fn", IMPLEMENTATIONS)
def test_lecture_example_slide_14(fn):
    x = torch.tensor([[3.0, 1.0], [1.0, 5.0]], dtype=F64).view(1, 1, 2, 2)
    kernel = torch.tensor([[2.0, 4.0], [0.0, 1.0]], dtype=F64).view(1, 1, 2, 2)
    expected = torch.tensor([[6, 14, 4], [2, 17, 21], [0, 1, 5]], dtype=F64).view(1, 1, 3, 3)
    out = fn(x, kernel)
    assert torch.equal(out, expected)
    assert out[0, 0, 0, 1] == 4 * 3 + 2 * 1  # the slide's 4*3 + 2*1 = 14


# the appendix's "Final result" table for input [[1,2,3],[4,5,6]] and the 4x4 kernel 0.1 ... 1.6
APPENDIX_TABLE = [
    [0.1, 0.4, 1.0, 1.6, 1.7, 1.2],
    [0.9, 2.9, 6.2, 8.3, 7.5, 4.8],
    [2.9, 7.7, 14.6, 16.7, 13.9, 8.4],
    [4.9, 12.5, 23.0, 25.1, 20.3, 12.0],
    [5.2, 12.1, 20.8, 22.3, 17.0, 9.6],
]


@pytest.mark.parametrize("fn", IMPLEMENTATIONS)
def test_lecture_example_appendix_table(fn):
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=F64).view(1, 1, 2, 3)
    kernel = (torch.arange(1, 17, dtype=F64) / 10).view(1, 1, 4, 4)
    out = fn(x, kernel, stride=1, padding=0)
    assert out.shape == (1, 1, 5, 6)
    torch.testing.assert_close(out[0, 0], torch.tensor(APPENDIX_TABLE, dtype=F64), atol=1e-12, rtol=0)


def test_output_padding_rows_are_not_zeros_when_padding_is_positive():
    """Output padding extends the crop window; with padding > 0 the extra row holds real contributions.

    So "append output_padding zero rows to the output" (the appendix's step 5) is right only for padding 0.
    """
    x = torch.ones(1, 1, 2, 2, dtype=F64)
    kernel = torch.ones(1, 1, 3, 3, dtype=F64)
    with_op = F.conv_transpose2d(x, kernel, stride=2, padding=1, output_padding=1)  # (1, 1, 4, 4)
    without = F.conv_transpose2d(x, kernel, stride=2, padding=1)  # (1, 1, 3, 3)
    assert torch.equal(with_op[..., :3, :3], without)
    assert with_op[0, 0, 3].abs().sum() > 0 and with_op[0, 0, :, 3].abs().sum() > 0
    for fn in (
        conv_transpose2d_scatter,
        conv_transpose2d_zero_insert,
        conv_transpose2d,
        conv_transpose2d_col2im,
    ):
        assert torch.equal(fn(x, kernel, stride=2, padding=1, output_padding=1), with_op)
    no_padding = F.conv_transpose2d(x, kernel, stride=2, output_padding=1)  # (1, 1, 6, 6)
    assert no_padding[0, 0, 5].abs().sum() == 0  # with padding 0 the extra row is indeed zero


def test_lecture_layer_shape():
    layer = ConvTranspose2d(1, 3, kernel_size=4)
    x = torch.tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])  # (1, 2, 3): one channel, unbatched
    out = layer(x)
    assert out.shape == (3, 5, 6)
    assert layer.weight.shape == (1, 3, 4, 4) and layer.bias.shape == (3,)
    assert layer(x[None]).shape == (1, 3, 5, 6)


# ---------------------------------------------------------------------------------------- device, dtype, shapes
@pytest.mark.parametrize(
    "fn", [conv_transpose2d_scatter, conv_transpose2d_zero_insert, conv_transpose2d, conv_transpose2d_col2im]
)
def test_device_and_dtype_follow_the_input(fn, device):
    x = torch.randn(2, 3, 4, 5, device=device)
    weight = torch.randn(3, 2, 3, 3, device=device)
    bias = torch.randn(2, device=device)
    out = fn(x, weight, bias, stride=2, padding=1, output_padding=1)
    assert out.device == x.device and out.dtype == torch.float32
    expected = F.conv_transpose2d(x, weight, bias, stride=2, padding=1, output_padding=1)
    torch.testing.assert_close(out, expected, atol=1e-4, rtol=1e-4)
    assert fn(x[0], weight, bias, stride=2).shape == F.conv_transpose2d(x[0], weight, bias, stride=2).shape


# ---------------------------------------------------------------------------------------- the layer
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(in_channels=1, out_channels=3, kernel_size=4),
        dict(
            in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1), padding=1, output_padding=(1, 0)
        ),
        dict(in_channels=4, out_channels=6, kernel_size=3, groups=2, bias=False, dilation=2),
        dict(in_channels=6, out_channels=3, kernel_size=2, stride=2, groups=3),
    ],
)
def test_state_dict_loads_both_ways(kwargs):
    ours = ConvTranspose2d(**kwargs, dtype=F64)
    theirs = nn.ConvTranspose2d(**kwargs, dtype=F64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, tensor in theirs.state_dict().items():
        assert ours.state_dict()[name].shape == tensor.shape
    x = torch.randn(2, kwargs["in_channels"], 5, 4, dtype=F64)
    ours.load_state_dict(theirs.state_dict())
    torch.testing.assert_close(ours(x), theirs(x), atol=TOL, rtol=0)
    fresh = nn.ConvTranspose2d(**kwargs, dtype=F64)
    fresh.load_state_dict(ConvTranspose2d(**kwargs, dtype=F64).state_dict())
    ours.load_state_dict(fresh.state_dict())
    torch.testing.assert_close(ours(x), fresh(x), atol=TOL, rtol=0)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(in_channels=8, out_channels=6, kernel_size=3),
        dict(in_channels=4, out_channels=6, kernel_size=(2, 5), groups=2),
    ],
)
def test_initialisation_matches_pytorch(kwargs):
    torch.manual_seed(123)
    ours = ConvTranspose2d(**kwargs)
    torch.manual_seed(123)
    theirs = nn.ConvTranspose2d(**kwargs)
    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)
    # PyTorch's fan_in for a transposed convolution comes from weight dimension 1: out_channels / groups * kH * kW
    k = kwargs["kernel_size"] if isinstance(kwargs["kernel_size"], tuple) else (kwargs["kernel_size"],) * 2
    fan_in = kwargs["out_channels"] // kwargs.get("groups", 1) * k[0] * k[1]
    bound = 1 / math.sqrt(
        fan_in
    )  # kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / 6), bound gain * sqrt(3 / fan_in)
    assert ours.weight.abs().max() <= bound and ours.bias.abs().max() <= bound


def test_initialisation_statistics():
    torch.manual_seed(0)
    layer = ConvTranspose2d(256, 64, kernel_size=4, groups=2)
    bound = 1 / math.sqrt(64 // 2 * 16)
    w = layer.weight.detach()
    assert w.abs().max() <= bound and w.abs().max() > 0.99 * bound
    assert abs(w.mean().item()) < 0.01 * bound
    assert w.var().item() == pytest.approx(bound**2 / 3, rel=0.02)  # variance of U(-b, b) is b^2 / 3
    assert layer.bias.abs().max() <= bound


def test_layer_follows_device_and_dtype(device):
    layer = ConvTranspose2d(2, 3, 3, stride=2, device=device, dtype=F64)
    assert layer.weight.device.type == device.type and layer.weight.dtype == F64
    x = torch.randn(1, 2, 4, 4, device=device, dtype=F64)
    assert layer(x).device == x.device


@pytest.mark.parametrize("output_size", [(9, 9), (10, 10), (9, 10), [1, 3, 10, 9], torch.Size([10, 10])])
def test_output_size_like_pytorch(output_size):
    kwargs = dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1)
    ours = ConvTranspose2d(**kwargs, dtype=F64)
    theirs = nn.ConvTranspose2d(**kwargs, dtype=F64)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(1, 2, 5, 5, dtype=F64)
    out = ours(x, output_size=output_size)
    assert tuple(out.shape[-2:]) == tuple(output_size)[-2:]
    torch.testing.assert_close(out, theirs(x, output_size=list(output_size)), atol=TOL, rtol=0)


def test_output_size_with_unbatched_input():
    kwargs = dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1)
    ours = ConvTranspose2d(**kwargs, dtype=F64)
    theirs = nn.ConvTranspose2d(**kwargs, dtype=F64)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 5, 4, dtype=F64)
    for output_size in [(10, 8), (3, 9, 7)]:
        out = ours(x, output_size=output_size)
        torch.testing.assert_close(out, theirs(x, output_size=list(output_size)), atol=TOL, rtol=0)


def test_output_size_beyond_stride_when_dilation_allows():
    """output_padding < dilation is reachable through the constructor; output_size, as in nn, stays within stride."""
    x = torch.randn(1, 1, 4, 4, dtype=F64)
    layer = ConvTranspose2d(1, 1, 3, stride=1, dilation=2, output_padding=(1, 0), dtype=F64)
    out = layer(x)
    expected = F.conv_transpose2d(x, layer.weight, layer.bias, output_padding=(1, 0), dilation=2)
    torch.testing.assert_close(out, expected, atol=TOL, rtol=0)
    assert out.shape[-2:] == (9, 8)
    with pytest.raises(ValueError, match=r"output_size=\(9, 8\) is not reachable: as in nn.ConvTranspose2d"):
        ConvTranspose2d(1, 1, 3, stride=1, dilation=2, dtype=F64)(x, output_size=(9, 8))


def test_extra_repr_names_the_arguments():
    text = repr(
        ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2)
    )
    for part in ("4, 6", "kernel_size=(3, 3)", "stride=(2, 2)", "padding=(1, 1)", "output_padding=(1, 1)"):
        assert part in text
    assert "groups=2" in text and "bias=False" in text and "dilation=(2, 2)" in text


# ---------------------------------------------------------------------------------------- errors
FUNCTIONAL = [
    pytest.param(conv_transpose2d_scatter, id="scatter"),
    pytest.param(conv_transpose2d_zero_insert, id="zero_insert"),
    pytest.param(conv_transpose2d, id="fast"),
    pytest.param(conv_transpose2d_col2im, id="col2im"),
]


def _x_w(c_in=4, c_out=2):
    return torch.randn(1, c_in, 3, 3), torch.randn(c_in, c_out, 3, 3)


@pytest.mark.parametrize("fn", FUNCTIONAL)
@pytest.mark.parametrize(
    "change, error, match",
    [
        (dict(input=torch.randn(4, 3)), ValueError, r"input must be 3-D .* or 4-D .* got shape \(4, 3\)"),
        (dict(input=torch.randn(1, 1, 4, 3, 3)), ValueError, "input must be 3-D"),
        (dict(input=[[1.0]]), TypeError, "input must be a torch.Tensor"),
        (dict(weight=torch.randn(4, 2, 3)), ValueError, "weight must be 4-D"),
        (dict(input=torch.randn(1, 5, 3, 3)), ValueError, "input has 5 channels .* in_channels=4"),
        (dict(bias=torch.randn(3)), ValueError, r"bias must have shape \(out_channels,\) = \(2,\)"),
        (dict(bias=torch.randn(2, dtype=F64)), TypeError, "bias .* dtype"),
        (dict(weight=torch.randn(4, 2, 3, 3, dtype=F64)), TypeError, "weight .* dtype and device of input"),
        (dict(stride=0), ValueError, "stride=0 must be >= 1"),
        (dict(stride=1.5), TypeError, "stride=1.5 must be an int or a pair"),
        (dict(stride=(1, 2, 3)), TypeError, r"stride=\(1, 2, 3\) must be an int or a pair"),
        (dict(stride=True), TypeError, "stride=True"),
        (dict(padding=-1), ValueError, "padding=-1 must be >= 0"),
        (dict(dilation=(1, 0)), ValueError, r"dilation=\(1, 0\) must be >= 1"),
        (dict(output_padding=-1), ValueError, "output_padding=-1 must be >= 0"),
        (dict(stride=2, output_padding=2), ValueError, "output_padding=.*smaller than .*stride or dilation"),
        (dict(stride=(2, 1), output_padding=(1, 1)), ValueError, "output_padding"),
        (dict(padding=3), ValueError, "smaller than 1"),
    ],
)
def test_errors_name_the_argument(fn, change, error, match):
    x, weight = _x_w()
    args = dict(input=x, weight=weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1)
    args.update(change)
    with pytest.raises(error, match=match):
        fn(**args)


@pytest.mark.parametrize("fn", [conv_transpose2d, conv_transpose2d_col2im])
def test_fast_path_group_errors(fn):
    x = torch.randn(1, 4, 3, 3)
    with pytest.raises(ValueError, match="in_channels=4 .* divisible by groups=3"):
        fn(x, torch.randn(4, 2, 3, 3), groups=3)
    with pytest.raises(ValueError, match="groups=0 must be a positive int"):
        fn(x, torch.randn(4, 2, 3, 3), groups=0)
    with pytest.raises(ValueError, match=r"bias must have shape \(out_channels,\) = \(4,\)"):
        fn(x, torch.randn(4, 2, 3, 3), torch.randn(2), groups=2)


def test_conv2d_matrix_errors():
    with pytest.raises(ValueError, match="kernel must be a 2-D tensor"):
        conv2d_matrix(torch.randn(1, 3, 3), 5)
    with pytest.raises(ValueError, match="input_size=.* too small"):
        conv2d_matrix(torch.randn(3, 3), 2)
    with pytest.raises(ValueError, match="input_size=0 must be >= 1"):
        conv2d_matrix(torch.randn(3, 3), 0)
    with pytest.raises(ValueError, match="stride=0"):
        conv2d_matrix(torch.randn(3, 3), 5, stride=0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            dict(in_channels=3, out_channels=4, kernel_size=3, groups=2),
            ValueError,
            "in_channels=3 .* groups=2",
        ),
        (
            dict(in_channels=4, out_channels=3, kernel_size=3, groups=2),
            ValueError,
            "out_channels=3 .* groups=2",
        ),
        (dict(in_channels=0, out_channels=3, kernel_size=3), ValueError, "in_channels=0"),
        (
            dict(in_channels=2, out_channels=3, kernel_size=3, padding_mode="reflect"),
            ValueError,
            "padding_mode",
        ),
        (
            dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, output_padding=2),
            ValueError,
            "output_padding",
        ),
        (dict(in_channels=2, out_channels=3, kernel_size=0), ValueError, "kernel_size=0 must be >= 1"),
        (dict(in_channels=2, out_channels=3, kernel_size=(3, 3, 3)), TypeError, "kernel_size"),
    ],
)
def test_layer_constructor_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        ConvTranspose2d(**kwargs)


def test_layer_forward_errors():
    layer = ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = torch.randn(1, 2, 5, 5)
    with pytest.raises(ValueError, match=r"output_size=\(11, 9\) is not reachable.*9 to 10"):
        layer(x, output_size=(11, 9))
    with pytest.raises(ValueError, match="output_size=.* must have 2 or 4 entries"):
        layer(x, output_size=(3, 9, 9))
    with pytest.raises(TypeError, match="output_size"):
        layer(x, output_size=9)
    with pytest.raises(ValueError, match="input has 3 channels .* in_channels=2"):
        layer(torch.randn(1, 3, 5, 5))
    with pytest.raises(ValueError, match="input must be 3-D"):
        layer(torch.randn(5, 5))


def test_teaching_versions_take_pytorchs_positional_order():
    """F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)."""
    gen = torch.Generator().manual_seed(9)
    x = torch.randn(1, 4, 3, 3, generator=gen, dtype=F64)
    weight = torch.randn(4, 1, 2, 2, generator=gen, dtype=F64)
    expected = F.conv_transpose2d(x, weight, None, 2, 0, 1, 2, 2)  # groups=2, dilation=2
    for fn in (conv_transpose2d_scatter, conv_transpose2d_zero_insert):
        torch.testing.assert_close(fn(x, weight, None, 2, 0, 1, 2, 2), expected, atol=TOL, rtol=0)


# ------------------------------------------------------------------- unbounded work (issue 15)

_ALL_FOUR = [
    conv_transpose2d,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insert,
    conv_transpose2d_col2im,
]


@pytest.mark.parametrize("fn", _ALL_FOUR)
@pytest.mark.parametrize(
    ("size", "kwargs", "match"),
    [
        (
            (2, 2),
            {"stride": 2**40},
            r"stride=\(1099511627776, 1099511627776\) gives s_h \* s_w = .* output phases",
        ),
        ((1, 1), {"stride": (2**40, 1)}, r"stride=\(1099511627776, 1\) gives"),  # a 1x1 input: no big output
        (
            (2, 2),
            {"dilation": 2**40},
            r"dilation=\(1099511627776, 1099511627776\) makes a canvas of .* 4 GiB",
        ),
        (
            (2, 2),
            {"dilation": (1, 2**31), "padding": (0, 2**30)},
            r"dilation=\(1, 2147483648\) makes a canvas",
        ),
    ],
)
def test_absurd_geometry_is_refused_before_any_work(fn, size, kwargs, match):
    x = torch.ones(1, 1, *size)
    w = torch.ones(1, 1, 2, 2)
    with pytest.raises(ValueError, match=match):
        fn(x, w, **kwargs)


@pytest.mark.parametrize("fn", _ALL_FOUR)
def test_a_huge_input_times_stride_is_refused_naming_both(fn):
    x = torch.ones(1, 8, 1000, 1000)
    with pytest.raises(
        ValueError, match=r"the input size \(1000, 1000\) with stride=\(256, 1\) makes a canvas"
    ):
        fn(x, torch.ones(8, 8, 1, 1), stride=(256, 1))


@pytest.mark.parametrize("fn", _ALL_FOUR)
def test_large_but_bounded_strides_still_work(fn):
    x = torch.randn(1, 2, 1, 2, dtype=torch.float64)
    w = torch.randn(2, 3, 2, 3, dtype=torch.float64)
    kwargs = {"stride": (200, 300), "padding": (0, 1), "dilation": (1, 2)}  # 60000 phases: allowed
    torch.testing.assert_close(fn(x, w, **kwargs), F.conv_transpose2d(x, w, **kwargs))


def test_conv2d_matrix_refuses_a_matrix_above_the_limit():
    with pytest.raises(
        ValueError, match=r"input_size=\(100000, 100000\) with stride=\(1, 1\) makes C of shape"
    ):
        conv2d_matrix(torch.ones(3, 3), (10**5, 10**5))
    assert conv2d_matrix(torch.ones(3, 3), (10**5, 3), stride=(10**5, 1)).shape == (1, 3 * 10**5)


# ------------------------------------------------------------------- bad inputs refused by name (issue 15)
@pytest.mark.parametrize("fn", _ALL_FOUR)
def test_a_meta_weight_or_bias_among_cpu_tensors_is_refused(fn):
    x, w, b = torch.randn(1, 4, 3, 3), torch.randn(4, 2, 3, 3), torch.randn(2)
    with pytest.raises(ValueError, match="weight is on meta but input is on cpu"):
        fn(x, w.to("meta"), b)
    with pytest.raises(ValueError, match="bias is on meta but input is on cpu"):
        fn(x, w, b.to("meta"))
    with pytest.raises(ValueError, match="weight is on cpu but input is on meta"):
        fn(x.to("meta"), w, b)


@pytest.mark.parametrize("fn", _ALL_FOUR)
@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.complex64])
def test_integer_bool_and_complex_tensors_are_refused(fn, dtype):
    x, w = torch.randn(1, 4, 3, 3), torch.randn(4, 2, 3, 3)
    with pytest.raises(TypeError, match="input must have a floating dtype"):
        fn(x.to(dtype), w.to(dtype))
    with pytest.raises(TypeError, match="weight must have a floating dtype"):
        fn(x, w.to(dtype))
    with pytest.raises(TypeError, match="bias must have a floating dtype"):
        fn(x, w, torch.zeros(2, dtype=dtype))


@pytest.mark.parametrize("fn", _ALL_FOUR)
def test_half_precision_is_supported_like_f_conv_transpose2d(fn):
    """float16 and bfloat16 are accepted on purpose: the result follows F.conv_transpose2d in float64."""
    gen = torch.Generator().manual_seed(3)
    x, w, b = torch.randn(2, 4, 5, 5, generator=gen), torch.randn(4, 3, 3, 3, generator=gen), torch.randn(3)
    expected = F.conv_transpose2d(x.double(), w.double(), b.double(), stride=2, padding=1)
    for dtype, tol in ((torch.float16, 0.05), (torch.bfloat16, 0.3)):
        out = fn(x.to(dtype), w.to(dtype), b.to(dtype), stride=2, padding=1)
        assert out.dtype == dtype
        torch.testing.assert_close(out.double(), expected, atol=tol, rtol=0)


def test_scatter_function_apply_checks_its_arguments():
    x, w = torch.randn(1, 4, 3, 3), torch.randn(4, 2, 3, 3)
    apply = ConvTranspose2dScatterFunction.apply
    torch.testing.assert_close(apply(x, w, None, 2, 1, 1, 1), F.conv_transpose2d(x, w, None, 2, 1, 1))
    with pytest.raises(ValueError, match="input must be 4-D"):
        apply(x[0], w, None, (1, 1), (0, 0), (0, 0), (1, 1))
    with pytest.raises(ValueError, match="weight is on meta"):
        apply(x, w.to("meta"), None, (1, 1), (0, 0), (0, 0), (1, 1))
    with pytest.raises(TypeError, match=r"stride=\(1, 1, 1\) must be an int or a pair"):
        apply(x, w, None, (1, 1, 1), (0, 0), (0, 0), (1, 1))
    with pytest.raises(ValueError, match=r"stride=\(1099511627776, 1099511627776\) gives"):
        apply(x, w, None, 2**40, (0, 0), (0, 0), (1, 1))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(kernel_size=2**40), ValueError, r"kernel_size=\(1099511627776, 1099511627776\) make a weight"),
        (dict(in_channels=2**40), ValueError, "in_channels=1099511627776, .* make a weight of"),
        (dict(stride=2**40), ValueError, r"stride=\(1099511627776, 1099511627776\) gives"),
        (dict(dilation=2**40), ValueError, r"dilation=\(1099511627776, 1099511627776\) makes a canvas"),
        (dict(padding=2**40), ValueError, r"padding=\(1099511627776, 1099511627776\) crops everything"),
        (dict(bias="False"), TypeError, "bias='False' must be a bool"),
        (dict(in_channels=2.0), TypeError, "in_channels=2.0 must be a positive int"),
        (dict(device="no-such-device"), ValueError, "device='no-such-device'"),
        (dict(dtype=torch.int64), TypeError, "dtype=torch.int64 must be a floating dtype"),
        (dict(padding_mode=3), ValueError, "padding_mode=3 is not supported"),
    ],
)
def test_layer_constructor_refuses_before_allocating(kwargs, error, match):
    args = dict(in_channels=4, out_channels=2, kernel_size=3) | kwargs
    with pytest.raises(error, match=match):
        ConvTranspose2d(**args)


def test_layer_output_size_is_validated():
    layer = ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    x = torch.randn(1, 4, 3, 3)
    assert layer(x, output_size=(1, 2, 6, 6)).shape == (1, 2, 6, 6)
    assert layer(x[0], output_size=torch.Size([2, 5, 5])).shape == (2, 5, 5)
    with pytest.raises(ValueError, match=r"output_size=\(2, 2, 6, 6\) must have the batch size"):
        layer(x, output_size=(2, 2, 6, 6))
    with pytest.raises(ValueError, match=r"output_size=\(1, 3, 6, 6\) must have the batch size"):
        layer(x, output_size=(1, 3, 6, 6))
    with pytest.raises(ValueError, match=r"output_size=\(0, 0\) must be at least 1"):
        layer(x, output_size=(0, 0))
    with pytest.raises(TypeError, match=r"output_size=\(True, True\) must be a sequence of ints"):
        layer(x, output_size=(True, True))
    with pytest.raises(ValueError, match="output_size=.* is not reachable"):
        layer(x, output_size=(2**40, 2**40))
    with pytest.raises(
        ValueError, match="input is on meta but weight is on cpu|weight is on cpu but input is on meta"
    ):
        layer(x.to("meta"))
    with pytest.raises(TypeError, match="weight .* must have the dtype and device of input"):
        layer(x.double())


@pytest.mark.parametrize(("k", "s", "d"), [(3, 1, 2), (3, 2, 1), (3, 2, 3), (4, 3, 2), (2, 2, 1)])
def test_layer_output_size_accepts_exactly_what_nn_conv_transpose2d_accepts(k, s, d):
    """Sizes within stride - 1 of the smallest output, even when dilation > stride would allow more padding."""
    x = torch.randn(1, 1, 4, 5)
    ours, ref = (
        ConvTranspose2d(1, 1, k, stride=s, dilation=d),
        torch.nn.ConvTranspose2d(1, 1, k, stride=s, dilation=d),
    )
    for h in range(1, 20):
        for w in (h, h + 1):
            try:
                expected = tuple(ref(x, output_size=(h, w)).shape)
            except ValueError:
                with pytest.raises(ValueError, match="output_size"):
                    ours(x, output_size=(h, w))
            else:
                assert tuple(ours(x, output_size=(h, w)).shape) == expected

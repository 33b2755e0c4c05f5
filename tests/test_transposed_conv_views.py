"""Tests for lecture_lib.transposed_conv_views: the matrix, distribution and collection views, in float64."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st
from transposed_conv_cases import F64, TOL, conv_transpose2d_by_matrix, reference, transposed_cases

from lecture_lib.transposed_conv_views import (
    ConvTranspose2dScatterFunction,
    conv2d_matrix,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insert,
)

# ---------------------------------------------------------------------------------- values against PyTorch


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


def test_teaching_versions_take_pytorchs_positional_order():
    """F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)."""
    gen = torch.Generator().manual_seed(9)
    x = torch.randn(1, 4, 3, 3, generator=gen, dtype=F64)
    weight = torch.randn(4, 1, 2, 2, generator=gen, dtype=F64)
    expected = F.conv_transpose2d(x, weight, None, 2, 0, 1, 2, 2)  # groups=2, dilation=2
    for fn in (conv_transpose2d_scatter, conv_transpose2d_zero_insert):
        torch.testing.assert_close(fn(x, weight, None, 2, 0, 1, 2, 2), expected, atol=TOL, rtol=0)


# ----------------------------------------------------------------------------------- the distribution view
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


# ----------------------------------------------------------------------------------------- the matrix view
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


def test_conv2d_matrix_errors():
    with pytest.raises(ValueError, match="kernel must be a 2-D tensor"):
        conv2d_matrix(torch.randn(1, 3, 3), 5)
    with pytest.raises(ValueError, match="input_size=.* too small"):
        conv2d_matrix(torch.randn(3, 3), 2)
    with pytest.raises(ValueError, match="input_size=0 must be >= 1"):
        conv2d_matrix(torch.randn(3, 3), 0)
    with pytest.raises(ValueError, match="stride=0"):
        conv2d_matrix(torch.randn(3, 3), 5, stride=0)


def test_conv2d_matrix_refuses_a_matrix_above_the_limit():
    with pytest.raises(
        ValueError, match=r"input_size=\(100000, 100000\) with stride=\(1, 1\) makes C of shape"
    ):
        conv2d_matrix(torch.ones(3, 3), (10**5, 10**5))
    assert conv2d_matrix(torch.ones(3, 3), (10**5, 3), stride=(10**5, 1)).shape == (1, 3 * 10**5)

"""Tests for lecture_lib._onednn: matrix products written as 1 x 1 convolutions equal torch.matmul."""

from __future__ import annotations

from unittest import mock

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from lecture_lib import _onednn
from lecture_lib.gated import LSTM


@pytest.fixture(params=[0, 1 << 62], ids=["as-convolution", "as-matmul"])
def threshold(request):
    """Force either route, whatever the size of the product."""
    with mock.patch.object(_onednn, "MIN_MACS", request.param):
        yield request.param


@pytest.mark.parametrize("route", [0, 1 << 62], ids=["as-convolution", "as-matmul"])
@given(st.integers(1, 40), st.integers(1, 20), st.integers(1, 20), st.booleans(), st.integers(0, 1000))
def test_linear_and_outer_sum_equal_matmul(route, m, k, c, with_bias, seed):
    with mock.patch.object(_onednn, "MIN_MACS", route):
        _check_products(m, k, c, with_bias, seed)


def _check_products(m, k, c, with_bias, seed):
    g = torch.Generator().manual_seed(seed)
    rows, weight = torch.randn(m, k, generator=g), torch.randn(c, k, generator=g)
    bias = torch.randn(c, generator=g) if with_bias else None
    expected = rows.double() @ weight.double().t() + (0 if bias is None else bias.double())
    got = _onednn.linear(rows, weight, bias)
    assert got.shape == (m, c) and got.dtype == torch.float32
    torch.testing.assert_close(got.double(), expected, atol=1e-4, rtol=1e-4)
    grad_rows = torch.randn(m, c, generator=g)
    expected_outer = grad_rows.double().t() @ rows.double()
    torch.testing.assert_close(
        _onednn.outer_sum(grad_rows, rows).double(), expected_outer, atol=1e-4, rtol=1e-4
    )


def test_non_contiguous_rows(threshold):
    rows = torch.randn(6, 4).t()  # (4, 6), a transposed view
    weight, grad_rows = torch.randn(3, 6), torch.randn(3, 4).t()  # grad_rows (4, 3), transposed too
    torch.testing.assert_close(_onednn.linear(rows, weight), rows @ weight.t())
    torch.testing.assert_close(_onednn.outer_sum(grad_rows, rows), grad_rows.t() @ rows)


def test_only_float32_on_cpu_takes_the_convolution():
    big = 1 << 24
    assert _onednn._use_onednn(torch.zeros(1), big) == torch.backends.mkldnn.is_available()
    assert not _onednn._use_onednn(torch.zeros(1, dtype=torch.float64), big)
    assert not _onednn._use_onednn(torch.zeros(1), big - 1)


def test_lstm_float32_equals_nn_lstm_on_both_routes(threshold):
    """The LSTM layer uses these products for its input projection and weight gradients."""
    torch.manual_seed(0)
    ref = nn.LSTM(5, 7, num_layers=2, bidirectional=True)
    ours = LSTM(5, 7, num_layers=2, bidirectional=True)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(9, 4, 5)
    results = []
    for module in (ours, ref):
        xi = x.clone().requires_grad_()
        output, (h_n, c_n) = module(xi)
        loss = output.square().sum() + h_n.sum() + c_n.sum()
        results.append([output, h_n, c_n, *torch.autograd.grad(loss, [xi, *module.parameters()])])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("fn", [_onednn.linear, _onednn.outer_sum])
def test_a_meta_or_other_dtype_operand_is_refused_by_name(threshold, fn):
    """F.linear and F.conv2d return uninitialised CPU memory for a meta weight; both routes refuse it."""
    rows, other = torch.randn(6, 3), torch.randn(4, 3) if fn is _onednn.linear else torch.randn(6, 4)
    name = "weight" if fn is _onednn.linear else "grad_rows"
    args = (rows, other.to("meta")) if fn is _onednn.linear else (other.to("meta"), rows)
    with pytest.raises(ValueError, match=f"{name} is on meta but rows is on cpu"):
        fn(*args)
    args = (rows, other.double()) if fn is _onednn.linear else (other.double(), rows)
    with pytest.raises(TypeError, match=f"{name} has dtype torch.float64 but rows has torch.float32"):
        fn(*args)

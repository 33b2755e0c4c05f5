"""Tests for lecture_lib.transposed_conv_col2im: the phase-by-phase col2im and its adjoint im2col."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from transposed_conv_cases import BACKWARD_CASES, F64, TOL, backward_case, fast, transposed_cases

from lecture_lib.transposed_conv_col2im import _col2im, _im2col, _PhasePlan


@pytest.mark.parametrize("kwargs", BACKWARD_CASES)
@pytest.mark.parametrize("route", ["col2im-conv1x1", "col2im-matmul"])
def test_col2im_backward_passes_gradcheck(kwargs, route):
    """The hand-written backward of the col2im path (an im2col of the output gradient), on both products."""
    fn = lambda *t: fast(route)(*t, **kwargs)  # noqa: E731
    assert torch.autograd.gradcheck(fn, backward_case(kwargs))


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

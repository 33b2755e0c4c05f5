"""Tests for lecture_lib.transposed_conv_fast (and the col2im twin): both routes of each against PyTorch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from transposed_conv_cases import (
    BACKWARD_CASES,
    F64,
    FAST_ROUTES,
    TOL,
    backward_case,
    fast,
    reference,
    transposed_cases,
)

from lecture_lib.transposed_conv_col2im import conv_transpose2d_col2im
from lecture_lib.transposed_conv_fast import _SubPixelAxis, conv_transpose2d
from lecture_lib.transposed_conv_views import conv_transpose2d_scatter, conv_transpose2d_zero_insert

# ---------------------------------------------------------------------------------- values against PyTorch


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


# ----------------------------------------------------------------------------------------------- gradients
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


@pytest.mark.parametrize("kwargs", BACKWARD_CASES)
@pytest.mark.parametrize("route", ["subpixel-per-phase", "subpixel-all-at-once"])
def test_subpixel_backward_passes_gradcheck_and_gradgradcheck(kwargs, route):
    """The hand-written backward (the gradient view) is itself differentiable: double backward works."""
    fn = lambda *t: fast(route)(*t, **kwargs)  # noqa: E731
    assert torch.autograd.gradcheck(fn, backward_case(kwargs))
    assert torch.autograd.gradgradcheck(fn, backward_case(kwargs))


def test_subpixel_backward_skips_unneeded_gradients():
    x = torch.randn(1, 2, 3, 3, dtype=F64, requires_grad=True)
    weight = torch.randn(2, 2, 3, 3, dtype=F64)  # no gradient wanted for the weight or a bias
    out = conv_transpose2d(x, weight, stride=2, padding=1)
    assert out.grad_fn is not None
    (grad_x,) = torch.autograd.grad(out.sum(), [x])
    expected = torch.autograd.grad(F.conv_transpose2d(x, weight, stride=2, padding=1).sum(), [x])[0]
    torch.testing.assert_close(grad_x, expected, atol=TOL, rtol=0)
    assert conv_transpose2d(x.detach(), weight, stride=2, padding=1).grad_fn is None


# ---------------------------------------------------------------------------------------------- the phases
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


# -------------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("fn", [conv_transpose2d, conv_transpose2d_col2im])
def test_fast_path_group_errors(fn):
    x = torch.randn(1, 4, 3, 3)
    with pytest.raises(ValueError, match="in_channels=4 .* divisible by groups=3"):
        fn(x, torch.randn(4, 2, 3, 3), groups=3)
    with pytest.raises(ValueError, match="groups=0 must be a positive int"):
        fn(x, torch.randn(4, 2, 3, 3), groups=0)
    with pytest.raises(ValueError, match=r"bias must have shape \(out_channels,\) = \(4,\)"):
        fn(x, torch.randn(4, 2, 3, 3), torch.randn(2), groups=2)

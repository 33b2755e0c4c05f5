"""lecture_lib.upsample_bicubic against F.interpolate(mode="bicubic") in float64, and Keys' kernel by hand."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from lecture_lib.upsample_bicubic import bicubic_matrix, bicubic_upsample, cubic_kernel

F64 = torch.float64


def _randn(shape, seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=F64).to(device)


spatial = st.integers(1, 7)
real_scale = st.one_of(
    st.integers(1, 4),
    st.floats(0.25, 4.0, allow_nan=False),  # below 1 it shrinks (no antialiasing, like PyTorch)
    st.tuples(st.floats(0.25, 4.0, allow_nan=False), st.floats(0.25, 4.0, allow_nan=False)),
)


# ---------------------------------------------------------------------------------------------------------
# the kernel
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a", [-0.75, -0.5, -1.0])
def test_cubic_kernel_values_by_hand(a):
    t = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, -0.5, -1.5], dtype=F64)
    inner = (a + 2) * 0.125 - (a + 3) * 0.25 + 1  # d = 1/2
    outer = a * 3.375 - 5 * a * 2.25 + 8 * a * 1.5 - 4 * a  # d = 3/2
    expected = torch.tensor([1.0, inner, 0.0, outer, 0.0, 0.0, inner, outer], dtype=F64)
    torch.testing.assert_close(cubic_kernel(t, a), expected, atol=1e-15, rtol=0)
    assert outer == pytest.approx(a / 8)  # the negative lobe at 3/2: -3/32 for a = -0.75


def test_cubic_kernel_partition_of_unity_and_continuity():
    t = torch.linspace(0, 1, 101, dtype=F64)
    for a in (-0.75, -0.5):
        taps = cubic_kernel(torch.stack([t + 1, t, 1 - t, 2 - t]), a)  # (4, 101)
        torch.testing.assert_close(taps.sum(0), torch.ones_like(t), atol=1e-14, rtol=0)
        eps = 1e-7
        for knot in (1.0, 2.0):  # value and slope continuous at the knots
            left, right = cubic_kernel(torch.tensor([knot - eps, knot + eps], dtype=F64), a)
            assert abs(left - right) < 1e-6


def test_keys_a_minus_half_reproduces_quadratics():
    """Keys' a = -1/2 interpolates a quadratic exactly away from the edges; PyTorch's -3/4 does not."""
    i = torch.arange(12, dtype=F64)
    signal = 0.3 * i**2 - i + 2
    u = (torch.arange(24, dtype=F64) + 0.5) / 2 - 0.5
    exact = 0.3 * u**2 - u + 2
    inside = slice(6, 18)  # taps within the signal
    for a, ok in ((-0.5, True), (-0.75, False)):
        y = bicubic_matrix(12, 24, a=a, dtype=F64) @ signal
        assert torch.allclose(y[inside], exact[inside], atol=1e-12) is ok


# ---------------------------------------------------------------------------------------------------------
# against F.interpolate
# ---------------------------------------------------------------------------------------------------------
@given(h=spatial, w=spatial, scale=real_scale, align_corners=st.booleans(), seed=st.integers(0, 99))
def test_bicubic_matches_interpolate(h, w, scale, align_corners, seed):
    s_h, s_w = scale if isinstance(scale, tuple) else (scale, scale)
    assume(math.floor(h * s_h) >= 1 and math.floor(w * s_w) >= 1)  # an empty output is refused
    x = _randn((2, 3, h, w), seed)
    ours = bicubic_upsample(x, scale, align_corners=align_corners)
    ref = F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=align_corners)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, atol=1e-12, rtol=0)


@pytest.mark.parametrize("align_corners", [False, True])
def test_torch_uses_a_minus_three_quarters(align_corners):
    x = _randn((1, 1, 6, 5), 3)
    ref = F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=align_corners)
    diff = {a: (bicubic_upsample(x, 2, align_corners, a=a) - ref).abs().max().item() for a in (-0.75, -0.5)}
    assert diff[-0.75] < 1e-12 < 0.01 < diff[-0.5]


def test_bicubic_matrix_is_interpolate_on_one_axis():
    x = _randn((1, 1, 1, 5), 4)
    for ac in (False, True):
        for out in (1, 3, 5, 8, 13):
            ref = F.interpolate(x, size=(1, out), mode="bicubic", align_corners=ac)[0, 0, 0]
            ours = bicubic_matrix(5, out, ac, dtype=F64) @ x[0, 0, 0]
            torch.testing.assert_close(ours, ref, atol=1e-12, rtol=0)


def test_bicubic_matrix_rows_sum_to_one_with_negative_weights():
    m = bicubic_matrix(4, 8, dtype=F64)
    torch.testing.assert_close(m.sum(1), torch.ones(8, dtype=F64), atol=1e-15, rtol=0)
    assert (m < 0).any()
    assert (m != 0).sum(1).max() <= 4


def test_unchanged_size_is_resampled_like_pytorch():
    # floor(2 * 1.25) = 2: bilinear copies such an axis; PyTorch's bicubic applies the half-pixel formula
    x = _randn((1, 1, 2, 2), 21)
    ref = F.interpolate(x, scale_factor=1.25, mode="bicubic")
    torch.testing.assert_close(bicubic_upsample(x, 1.25), ref, atol=1e-12, rtol=0)
    assert not torch.equal(ref, x)


def test_bicubic_overshoots_at_an_edge():
    step = torch.tensor([0.0, 0, 0, 1, 1, 1], dtype=F64)[None, None, None].expand(1, 1, 3, 6)
    y = bicubic_upsample(step, 4)
    assert y.min() < 0 and y.max() > 1  # ringing on both sides of the step
    flat = bicubic_upsample(torch.ones(1, 1, 3, 3, dtype=F64), 3)  # a constant stays constant
    torch.testing.assert_close(flat, torch.ones(1, 1, 9, 9, dtype=F64), atol=1e-14, rtol=0)


def test_gradcheck_and_gradient_matches_interpolate():
    x = _randn((1, 2, 3, 4), 11).requires_grad_()
    for ac in (False, True):
        assert torch.autograd.gradcheck(lambda t, ac=ac: bicubic_upsample(t, (2, 3), align_corners=ac), (x,))
        g = _randn((1, 2, 6, 12), 12)
        (ours,) = torch.autograd.grad(bicubic_upsample(x, (2, 3), align_corners=ac), x, g)
        ref_out = F.interpolate(x, scale_factor=(2, 3), mode="bicubic", align_corners=ac)
        (ref,) = torch.autograd.grad(ref_out, x, g)
        torch.testing.assert_close(ours, ref, atol=1e-10, rtol=0)


def test_float32_close_to_interpolate_and_device(device):
    x = _randn((2, 2, 5, 4), 13).float()
    for ac in (False, True):
        ours = bicubic_upsample(x, 3, align_corners=ac)
        assert ours.dtype == torch.float32
        ref = F.interpolate(x, scale_factor=3, mode="bicubic", align_corners=ac)
        torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    on_device = bicubic_upsample(x.to(device), 2)
    assert on_device.device.type == torch.device(device).type and on_device.dtype == torch.float32


# ---------------------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------------------
def test_errors_name_the_argument():
    x = torch.zeros(1, 1, 2, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\)"):
        bicubic_upsample(torch.zeros(2, 3, 4), 2)
    with pytest.raises(TypeError, match="floating dtype.*torch.int64"):
        bicubic_upsample(torch.zeros(1, 1, 2, 2, dtype=torch.int64), 2)
    with pytest.raises(TypeError, match="align_corners='False' must be a bool"):
        bicubic_upsample(x, 2, align_corners="False")
    with pytest.raises(ValueError, match=r"scale_factor=1000000000000.0 on x .* would need"):
        bicubic_upsample(x, 1e12)
    with pytest.raises(ValueError, match=r"scale_factor=0.1 turns the spatial size \(2, 2\) into \(0, 0\)"):
        bicubic_upsample(x, 0.1)
    with pytest.raises(ValueError, match="a=nan must be a finite"):
        bicubic_upsample(x, 2, a=math.nan)
    with pytest.raises(TypeError, match="a=True must be a real number"):
        cubic_kernel(torch.zeros(3), a=True)
    with pytest.raises(TypeError, match="t must be a torch.Tensor"):
        cubic_kernel([0.5])
    with pytest.raises(ValueError, match="out_size=0"):
        bicubic_matrix(3, 0)
    with pytest.raises(ValueError, match=r"in_size=1099511627776 and out_size=3 .* would need"):
        bicubic_matrix(2**40, 3)
    with pytest.raises(TypeError, match=r"scale_factor=\(2.0, 3.0\) must be one number"):
        bicubic_matrix(4, 8, scale_factor=(2.0, 3.0))

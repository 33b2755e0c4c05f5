"""lecture_lib.upsample against its PyTorch twins (float64) and the numbers of the lecture slides."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lecture_lib.upsample import (
    bed_of_nails_upsample,
    bilinear_kernel,
    bilinear_matrix,
    bilinear_upsample,
    max_pool2d_with_switches,
    max_unpool2d,
    nearest_upsample,
)

F64 = torch.float64
SLIDE_2X2 = [[1.0, 2.0], [3.0, 4.0]]


def _randn(shape, seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=F64).to(device)


int_scale = st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4)))
spatial = st.integers(1, 6)


# ---------------------------------------------------------------------------------------------------------
# the slides: [[1, 2], [3, 4]] -> 4 x 4
# ---------------------------------------------------------------------------------------------------------
def test_nearest_slide_example():
    x = torch.tensor([[SLIDE_2X2]])
    expected = torch.tensor([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]], dtype=x.dtype)
    assert torch.equal(nearest_upsample(x, 2), expected)


def test_bed_of_nails_slide_example():
    x = torch.tensor([[SLIDE_2X2]])
    expected = torch.tensor([[[[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]]], dtype=x.dtype)
    assert torch.equal(bed_of_nails_upsample(x, 2), expected)


# ---------------------------------------------------------------------------------------------------------
# nearest and bed of nails
# ---------------------------------------------------------------------------------------------------------
@given(
    n=st.integers(1, 2), c=st.integers(1, 3), h=spatial, w=spatial, scale=int_scale, seed=st.integers(0, 99)
)
def test_nearest_matches_interpolate(n, c, h, w, scale, seed):
    x = _randn((n, c, h, w), seed)
    sf = scale if isinstance(scale, tuple) else (scale, scale)
    ours = nearest_upsample(x, scale)
    assert torch.equal(ours, F.interpolate(x, scale_factor=sf, mode="nearest"))
    assert torch.equal(ours, F.interpolate(x, size=(h * sf[0], w * sf[1]), mode="nearest"))


def test_nearest_gradient_matches_interpolate():
    x = _randn((2, 3, 3, 4), 0).requires_grad_()
    g = _randn((2, 3, 6, 12), 1)
    (ours,) = torch.autograd.grad(nearest_upsample(x, (2, 3)), x, g)
    (ref,) = torch.autograd.grad(F.interpolate(x, scale_factor=(2, 3), mode="nearest"), x, g)
    torch.testing.assert_close(ours, ref, atol=1e-12, rtol=0)


@given(
    n=st.integers(1, 2), c=st.integers(1, 3), h=spatial, w=spatial, scale=int_scale, seed=st.integers(0, 99)
)
def test_bed_of_nails_by_definition(n, c, h, w, scale, seed):
    x = _randn((n, c, h, w), seed)
    sh, sw = scale if isinstance(scale, tuple) else (scale, scale)
    out = bed_of_nails_upsample(x, scale)
    assert out.shape == (n, c, sh * h, sw * w)
    for i in range(sh * h):
        for j in range(sw * w):
            expected = (
                x[:, :, i // sh, j // sw] if i % sh == 0 and j % sw == 0 else torch.zeros(n, c, dtype=F64)
            )
            assert torch.equal(out[:, :, i, j], expected)


@given(h=spatial, w=spatial, scale=int_scale, seed=st.integers(0, 99))
def test_bed_of_nails_is_max_unpool_with_top_left_switches(h, w, scale, seed):
    x = _randn((2, 2, h, w), seed)
    sh, sw = scale if isinstance(scale, tuple) else (scale, scale)
    rows = torch.arange(h)[:, None] * sh
    cols = torch.arange(w)[None, :] * sw
    top_left = (rows * (w * sw) + cols).expand(2, 2, h, w)
    ref = F.max_unpool2d(x, top_left, (sh, sw), output_size=(h * sh, w * sw))
    assert torch.equal(bed_of_nails_upsample(x, scale), ref)


# ---------------------------------------------------------------------------------------------------------
# max pooling with switches and max-unpooling
# ---------------------------------------------------------------------------------------------------------
pool_args = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))


@given(k=pool_args, extra=st.tuples(st.integers(0, 5), st.integers(0, 5)), seed=st.integers(0, 99))
def test_max_pool_with_switches_matches_torch(k, extra, seed):
    kh, kw, sh, sw = k
    x = _randn((2, 3, kh + extra[0], kw + extra[1]), seed)
    pooled, switches = max_pool2d_with_switches(x, (kh, kw), (sh, sw))
    ref_pooled, ref_idx = F.max_pool2d(x, (kh, kw), (sh, sw), return_indices=True)
    assert torch.equal(pooled, ref_pooled)
    assert torch.equal(switches, ref_idx)
    assert switches.dtype == ref_idx.dtype


def test_max_pool_stride_defaults_to_kernel_size_and_ties_pick_first():
    x = _randn((1, 2, 6, 6), 3)
    pooled, switches = max_pool2d_with_switches(x, 2)
    ref_pooled, ref_idx = F.max_pool2d(x, 2, return_indices=True)
    assert torch.equal(pooled, ref_pooled) and torch.equal(switches, ref_idx)
    # all equal: the first element of each 2x2 window (its top-left, row-major) is the switch
    _, switches = max_pool2d_with_switches(torch.ones(1, 1, 4, 4), 2)
    assert switches.tolist() == [[[[0, 2], [8, 10]]]]


def test_max_pool_gradient_matches_torch():
    x = _randn((2, 2, 7, 6), 5).requires_grad_()
    g = _randn((2, 2, 3, 2), 6)
    (ours,) = torch.autograd.grad(max_pool2d_with_switches(x, 3, 2)[0], x, g)
    (ref,) = torch.autograd.grad(F.max_pool2d(x, 3, 2), x, g)
    torch.testing.assert_close(ours, ref, atol=1e-12, rtol=0)


@given(k=pool_args, extra=st.tuples(st.integers(0, 5), st.integers(0, 5)), seed=st.integers(0, 99))
def test_max_unpool_matches_torch(k, extra, seed):
    kh, kw, sh, sw = k
    h, w = kh + extra[0], kw + extra[1]
    x = _randn((2, 3, h, w), seed)
    pooled, idx = F.max_pool2d(x, (kh, kw), (sh, sw), return_indices=True)
    ref = F.max_unpool2d(pooled, idx, (kh, kw), (sh, sw), output_size=(h, w))
    assert torch.equal(max_unpool2d(pooled, idx, (kh, kw), (sh, sw), output_size=(h, w)), ref)
    assert torch.equal(max_unpool2d(pooled, idx, (kh, kw), (sh, sw), 0, x.shape), ref)
    # without output_size both use the default size (h_p - 1) s + k, which floor pooling may have shrunk
    default = ((pooled.shape[2] - 1) * sh + kh, (pooled.shape[3] - 1) * sw + kw)
    if int(idx.max()) < default[0] * default[1]:  # every switch lands inside the default plane
        ours = max_unpool2d(pooled, idx, (kh, kw), stride=(sh, sw))
        assert ours.shape[2:] == default
        assert torch.equal(ours, F.max_unpool2d(pooled, idx, (kh, kw), (sh, sw)))
    else:  # a maximum in a dropped row or column: both refuse
        with pytest.raises(RuntimeError, match="invalid max index"):
            F.max_unpool2d(pooled, idx, (kh, kw), (sh, sw))
        with pytest.raises(ValueError, match=r"indices must lie in \[0, "):
            max_unpool2d(pooled, idx, (kh, kw), stride=(sh, sw))


pair = st.tuples(st.integers(1, 4), st.integers(1, 4))


@given(
    k=pair,
    s=st.one_of(st.none(), pair),
    p=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    size=pair,
    delta=st.tuples(st.integers(-5, 5), st.integers(-5, 5)),
)
def test_max_unpool_sizes_follow_torch(k, s, p, size, delta):
    # the default output size and the range allowed for output_size are PyTorch's, per dimension, padding
    # and stride=None included
    x = torch.ones(1, 1, *size, dtype=torch.float64)
    indices = torch.zeros(1, 1, *size, dtype=torch.long)
    stride = k if s is None else s
    out_size = tuple(
        (n - 1) * step - 2 * pad + kern + d for n, step, pad, kern, d in zip(size, stride, p, k, delta)
    )

    def outcome(fn, **kwargs):
        try:
            return fn(x, indices, k, s, p, **kwargs)
        except (ValueError, RuntimeError):
            return None

    for kwargs in ({}, {"output_size": out_size}):
        ref, ours = outcome(F.max_unpool2d, **kwargs), outcome(max_unpool2d, **kwargs)
        if ref is None or ref.numel() == 0:  # PyTorch refuses, or returns an empty map for an empty size
            assert ours is None
        else:
            assert ours is not None and torch.equal(ours, ref)


def test_max_unpool_puts_maxima_back():
    x = torch.tensor(
        [[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 9.0, 1.0], [0.0, 0.0, 7.0, 8.0], [6.0, 0.0, 0.0, 1.0]]]]
    )
    pooled, switches = max_pool2d_with_switches(x, 2)
    assert pooled.tolist() == [[[[5.0, 9.0], [6.0, 8.0]]]]
    assert switches.tolist() == [[[[1, 6], [12, 11]]]]
    expected = [[[[0, 5, 0, 0], [0, 0, 9, 0], [0, 0, 0, 8], [6, 0, 0, 0]]]]
    assert max_unpool2d(pooled, switches, 2).tolist() == expected


def test_max_unpool_gradcheck():
    x = _randn((1, 2, 5, 5), 7)
    pooled, switches = max_pool2d_with_switches(x, 2, 2)
    pooled = pooled.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda p: max_unpool2d(p, switches, 2, output_size=(5, 5)), (pooled,))
    g = _randn((1, 2, 5, 5), 8)
    (ours,) = torch.autograd.grad(max_unpool2d(pooled, switches, 2, 2, output_size=(5, 5)), pooled, g)
    (ref,) = torch.autograd.grad(F.max_unpool2d(pooled, switches, 2, 2, output_size=(5, 5)), pooled, g)
    torch.testing.assert_close(ours, ref, atol=1e-12, rtol=0)


# ---------------------------------------------------------------------------------------------------------
# bilinear
# ---------------------------------------------------------------------------------------------------------
real_scale = st.one_of(
    st.integers(1, 4),
    st.tuples(st.integers(1, 4), st.integers(1, 4)),
    st.floats(0.25, 4.0, allow_nan=False),  # below 1 it shrinks (no antialiasing, like PyTorch)
    st.tuples(st.floats(0.25, 4.0, allow_nan=False), st.floats(0.25, 4.0, allow_nan=False)),
)


@given(h=spatial, w=spatial, scale=real_scale, align_corners=st.booleans(), seed=st.integers(0, 99))
def test_bilinear_matches_interpolate(h, w, scale, align_corners, seed):
    s_h, s_w = scale if isinstance(scale, tuple) else (scale, scale)
    assume(math.floor(h * s_h) >= 1 and math.floor(w * s_w) >= 1)  # an empty output is refused
    x = _randn((2, 3, h, w), seed)
    ours = bilinear_upsample(x, scale, align_corners=align_corners)
    ref = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=align_corners)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=0)


def test_bilinear_leaves_an_axis_of_unchanged_size_alone_like_pytorch():
    # floor(2 * 1.25) = 2: the half-pixel formula with s = 1.25 would blend (u = 0, 0.7), PyTorch copies
    x = _randn((1, 1, 2, 2), 21)
    assert torch.equal(bilinear_upsample(x, 1.25), x)
    assert torch.equal(F.interpolate(x, scale_factor=1.25, mode="bilinear"), x)


def test_bilinear_gradcheck_and_gradient_matches_interpolate():
    x = _randn((1, 2, 3, 4), 11).requires_grad_()
    for ac in (False, True):
        assert torch.autograd.gradcheck(lambda t, ac=ac: bilinear_upsample(t, (2, 3), align_corners=ac), (x,))
        g = _randn((1, 2, 6, 12), 12)
        (ours,) = torch.autograd.grad(bilinear_upsample(x, (2, 3), align_corners=ac), x, g)
        ref_out = F.interpolate(x, scale_factor=(2, 3), mode="bilinear", align_corners=ac)
        (ref,) = torch.autograd.grad(ref_out, x, g)
        torch.testing.assert_close(ours, ref, atol=1e-10, rtol=0)


def test_bilinear_float32_close_to_interpolate():
    x = _randn((2, 2, 5, 4), 13).float()
    for ac in (False, True):
        ours = bilinear_upsample(x, 3, align_corners=ac)
        assert ours.dtype == torch.float32
        ref = F.interpolate(x, scale_factor=3, mode="bilinear", align_corners=ac)
        torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)


def test_bilinear_matrix_by_hand():
    # 2 -> 4 samples, half-pixel: u = clamp((j + 1/2)/2 - 1/2) = 0, 1/4, 3/4, 1 (the last one after clamping)
    a = bilinear_matrix(2, 4, align_corners=False, dtype=F64)
    assert a.tolist() == [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
    # corners aligned: u = 0, 1/3, 2/3, 1
    a = bilinear_matrix(2, 4, align_corners=True, dtype=F64)
    torch.testing.assert_close(a, torch.tensor([[1, 0], [2 / 3, 1 / 3], [1 / 3, 2 / 3], [0, 1]], dtype=F64))


SLIDE_BILINEAR = [[10, 12, 17, 20], [15, 17, 22, 25], [25, 27, 32, 35], [30, 32, 37, 40]]


def test_bilinear_slide_table_is_align_corners_false_truncated():
    x = torch.tensor([[[[10.0, 20.0], [30.0, 40.0]]]], dtype=F64)
    out = bilinear_upsample(x, 2, align_corners=False)[0, 0]
    # by hand: source rows/columns u = 0, 1/4, 3/4, 1 (after clamping); the top row blends 10 and 20
    exact = [[10, 12.5, 17.5, 20], [15, 17.5, 22.5, 25], [25, 27.5, 32.5, 35], [30, 32.5, 37.5, 40]]
    assert out.tolist() == exact
    assert torch.trunc(out).to(torch.int64).tolist() == SLIDE_BILINEAR
    # rounding (half to even, or half up) would not give the slide: 12.5 -> 12 or 13, 17.5 -> 18
    assert torch.round(out).to(torch.int64).tolist() != SLIDE_BILINEAR
    assert torch.floor(out + 0.5).to(torch.int64).tolist() != SLIDE_BILINEAR


def test_bilinear_align_corners_true_gives_a_different_table():
    x = torch.tensor([[[[10.0, 20.0], [30.0, 40.0]]]], dtype=F64)
    out = bilinear_upsample(x, 2, align_corners=True)[0, 0]
    # the input is the affine map 10 + 20 u_y + 10 u_x, and u = 0, 1/3, 2/3, 1: the output samples it exactly
    exact = [[Fraction(10) + Fraction(20 * i, 3) + Fraction(10 * j, 3) for j in range(4)] for i in range(4)]
    torch.testing.assert_close(out, torch.tensor([[float(v) for v in row] for row in exact], dtype=F64))
    truncated = [[int(v) for v in row] for row in exact]  # int() of a positive Fraction truncates
    assert truncated == [[10, 13, 16, 20], [16, 20, 23, 26], [23, 26, 30, 33], [30, 33, 36, 40]]
    assert truncated != SLIDE_BILINEAR


# ---------------------------------------------------------------------------------------------------------
# bilinear_kernel: FCN's initialisation of a transposed convolution
# ---------------------------------------------------------------------------------------------------------
def test_bilinear_kernel_values_by_hand():
    w = bilinear_kernel(3, 3, 4, dtype=F64)
    assert w.shape == (3, 3, 4, 4)
    g = torch.tensor([0.25, 0.75, 0.75, 0.25], dtype=F64)  # f = 2, centre 1.5
    for i in range(3):
        for j in range(3):
            expected = g[:, None] * g[None, :] if i == j else torch.zeros(4, 4, dtype=F64)
            assert torch.equal(w[i, j], expected)
    odd = bilinear_kernel(1, 1, (3, 5), dtype=F64)[0, 0]  # f = 2, centre 1 / f = 3, centre 2
    rows = torch.tensor([0.5, 1, 0.5], dtype=F64)
    cols = torch.tensor([1 / 3, 2 / 3, 1, 2 / 3, 1 / 3], dtype=F64)
    torch.testing.assert_close(odd, rows[:, None] * cols[None, :], atol=1e-15, rtol=0)


@settings(max_examples=30)
@given(s=st.sampled_from([2, 3, 4]), h=st.integers(2, 6), w=st.integers(2, 6), seed=st.integers(0, 99))
def test_bilinear_kernel_transposed_conv_equals_bilinear_in_the_interior(s, h, w, seed):
    """Kernel 2s - s % 2, stride s, padding s // 2: equal to bilinear_upsample(x, s) on rows/cols
    s//2 ... s*H - s//2 - 1 (everything but a frame s//2 wide)."""
    c = 2
    x = _randn((2, c, h, w), seed)
    k = 2 * s - s % 2
    y = F.conv_transpose2d(x, bilinear_kernel(c, c, k, dtype=F64), stride=s, padding=s // 2)
    ref = bilinear_upsample(x, s, align_corners=False)
    assert y.shape == ref.shape == (2, c, s * h, s * w)
    m = s // 2
    torch.testing.assert_close(
        y[..., m : s * h - m, m : s * w - m], ref[..., m : s * h - m, m : s * w - m], atol=1e-10, rtol=0
    )


@pytest.mark.parametrize("s", [2, 3, 4])
def test_bilinear_kernel_frame_is_exactly_where_it_differs(s):
    # on a constant image bilinear interpolation gives the constant everywhere; the transposed convolution
    # gives it exactly inside the frame and strictly less on every frame pixel (its taps reach the padding)
    h = w = 5
    x = torch.ones(1, 1, h, w, dtype=F64)
    y = F.conv_transpose2d(x, bilinear_kernel(1, 1, 2 * s - s % 2, dtype=F64), stride=s, padding=s // 2)[0, 0]
    m = s // 2
    inside = torch.zeros(s * h, s * w, dtype=torch.bool)
    inside[m : s * h - m, m : s * w - m] = True
    torch.testing.assert_close(y[inside], torch.ones_like(y[inside]), atol=1e-12, rtol=0)
    assert (y[~inside] < 1 - 1e-3).all()


# ---------------------------------------------------------------------------------------------------------
# devices and errors
# ---------------------------------------------------------------------------------------------------------
def test_outputs_stay_on_the_input_device(device):
    dtype = torch.float32
    x = torch.randn(1, 2, 4, 4, device=device, dtype=dtype)
    for out in (nearest_upsample(x, 2), bed_of_nails_upsample(x, 2), bilinear_upsample(x, 2)):
        assert out.device == x.device and out.dtype == dtype
    pooled, switches = max_pool2d_with_switches(x, 2)
    assert pooled.device == x.device and switches.device == x.device
    out = max_unpool2d(pooled, switches, 2)
    assert out.device == x.device
    assert torch.equal(out.cpu(), F.max_unpool2d(pooled.cpu(), switches.cpu(), 2, output_size=(4, 4)))
    assert bilinear_kernel(2, 2, 4, device=device).device.type == device.type


@pytest.mark.parametrize("fn", [nearest_upsample, bed_of_nails_upsample, bilinear_upsample])
def test_upsamplers_reject_bad_rank_and_scale(fn):
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\).*\(2, 3, 4\)"):
        fn(torch.zeros(2, 3, 4), 2)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        fn([[1.0]], 2)
    with pytest.raises(ValueError, match=r"scale_factor=0 must be"):
        fn(torch.zeros(1, 1, 2, 2), 0)
    with pytest.raises(ValueError, match=r"scale_factor=\(2, -1\)"):
        fn(torch.zeros(1, 1, 2, 2), (2, -1))
    with pytest.raises(TypeError, match="scale_factor=True"):
        fn(torch.zeros(1, 1, 2, 2), True)
    with pytest.raises(TypeError, match=r"scale_factor=\(2, 2, 2\)"):
        fn(torch.zeros(1, 1, 2, 2), (2, 2, 2))


@pytest.mark.parametrize("fn", [nearest_upsample, bed_of_nails_upsample])
def test_integer_upsamplers_reject_float_scale(fn):
    with pytest.raises(TypeError, match=r"scale_factor=2.0 must be an int or a pair of ints"):
        fn(torch.zeros(1, 1, 2, 2), 2.0)


def test_bilinear_errors():
    with pytest.raises(TypeError, match="floating dtype.*torch.int64"):
        bilinear_upsample(torch.zeros(1, 1, 2, 2, dtype=torch.int64), 2)
    with pytest.raises(ValueError, match=r"scale_factor=nan must be finite"):
        bilinear_upsample(torch.zeros(1, 1, 2, 2), float("nan"))
    with pytest.raises(ValueError, match=r"scale_factor=0.1 turns the spatial size \(2, 2\) into \(0, 0\)"):
        bilinear_upsample(torch.zeros(1, 1, 2, 2), 0.1)
    with pytest.raises(ValueError, match="out_size=0"):
        bilinear_matrix(3, 0)
    with pytest.raises(TypeError, match=r"scale_factor=\(2.0, 3.0\) must be one number"):
        bilinear_matrix(4, 8, scale_factor=(2.0, 3.0))
    with pytest.raises(TypeError, match="dtype=torch.int64 must be a floating torch.dtype"):
        bilinear_matrix(4, 8, dtype=torch.int64)


def test_bilinear_matrix_align_corners_uses_the_floored_output_size():
    """3 -> 4 pixels (s = 1.5): u = j (3 - 1) / (4 - 1), so output 1 sits at u = 2/3, as in F.interpolate."""
    a = bilinear_matrix(3, 4, align_corners=True, dtype=torch.float64)
    torch.testing.assert_close(a[1], torch.tensor([1 / 3, 2 / 3, 0.0], dtype=torch.float64))
    x = torch.arange(3.0, dtype=torch.float64).view(1, 1, 3)
    expected = F.interpolate(x, size=4, mode="linear", align_corners=True)[0, 0]
    torch.testing.assert_close(a @ x[0, 0], expected)


def test_pool_and_unpool_errors():
    x = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match=r"input must have shape \(N, C, H, W\) .*got shape \(4, 4\)"):
        max_pool2d_with_switches(torch.zeros(4, 4), 2)
    with pytest.raises(ValueError, match=r"kernel_size=0"):
        max_pool2d_with_switches(x, 0)
    with pytest.raises(ValueError, match=r"stride=\(1, 0\)"):
        max_pool2d_with_switches(x, 2, (1, 0))
    with pytest.raises(ValueError, match=r"kernel_size=\(5, 5\) does not fit.*\(4, 4\)"):
        max_pool2d_with_switches(x, 5)
    pooled, switches = max_pool2d_with_switches(x, 2)
    with pytest.raises(
        ValueError, match=r"indices must have the shape of input \(1, 1, 2, 2\); got \(1, 1, 2, 1\)"
    ):
        max_unpool2d(pooled, switches[..., :1], 2)
    with pytest.raises(TypeError, match=r"indices must be an integer tensor"):
        max_unpool2d(pooled, switches.double(), 2)
    with pytest.raises(TypeError, match=r"indices must be a torch.Tensor; got list"):
        max_unpool2d(pooled, switches.tolist(), 2)
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 9\).*from 0 to 10"):
        max_unpool2d(pooled, switches, 2, output_size=(3, 3))
    with pytest.raises(ValueError, match=r"output_size=\(4,\) must be"):
        max_unpool2d(pooled, switches, 2, output_size=(4,))
    with pytest.raises(ValueError, match=r"output_size=\(2, 1, 4, 4\) must have the batch and channel"):
        max_unpool2d(pooled, switches, 2, output_size=(2, 1, 4, 4))
    with pytest.raises(
        ValueError, match=r"output_size=\(6, 4\) must lie strictly between \(2, 2\) and \(6, 6\)"
    ):
        max_unpool2d(pooled, switches, 2, output_size=(6, 4))
    with pytest.raises(ValueError, match=r"padding=-1 must be >= 0"):
        max_unpool2d(pooled, switches, 2, padding=-1)
    with pytest.raises(ValueError, match=r"give an empty output \(0, 0\)"):
        max_unpool2d(pooled, switches, 2, padding=2)
    with pytest.raises(TypeError, match=r"kernel_size=2.5 must be an int or a pair of ints"):
        max_unpool2d(pooled, switches, 2.5)
    with pytest.raises(ValueError, match=r"input must have shape \(N, C, H, W\)"):
        max_unpool2d(pooled[0], switches[0], 2)


def test_bilinear_kernel_errors():
    with pytest.raises(ValueError, match=r"in_channels=3 and out_channels=2 must be equal"):
        bilinear_kernel(3, 2, 4)
    with pytest.raises(ValueError, match=r"kernel_size=0"):
        bilinear_kernel(2, 2, 0)
    with pytest.raises(ValueError, match=r"in_channels=0"):
        bilinear_kernel(0, 0, 4)
    with pytest.raises(TypeError, match="dtype=torch.int64 must be a floating torch.dtype"):
        bilinear_kernel(1, 1, 4, dtype=torch.int64)


# ------------------------------------------------------------------- bad inputs refused by name (issue 15)
def test_align_corners_must_be_a_real_bool():
    x = torch.randn(1, 1, 3, 3)
    with pytest.raises(TypeError, match="align_corners='False' must be a bool"):
        bilinear_upsample(x, 2, align_corners="False")  # the string is truthy: it used to mean True
    with pytest.raises(TypeError, match="align_corners=0 must be a bool"):
        bilinear_upsample(x, 2, align_corners=0)
    with pytest.raises(TypeError, match="align_corners='False' must be a bool"):
        bilinear_matrix(3, 6, align_corners="False")


@pytest.mark.parametrize("fn", [nearest_upsample, bed_of_nails_upsample])
def test_unpooling_refuses_bool_and_complex_but_keeps_integers(fn):
    assert fn(torch.arange(4).view(1, 1, 2, 2), 2).dtype == torch.int64
    with pytest.raises(TypeError, match="x must have a real"):
        fn(torch.ones(1, 1, 2, 2, dtype=torch.bool), 2)
    with pytest.raises(TypeError, match="x must have a real"):
        fn(torch.ones(1, 1, 2, 2, dtype=torch.complex64), 2)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: nearest_upsample(torch.ones(1, 1, 2, 2), 2**40), "scale_factor=1099511627776 .* would need"),
        (lambda: bed_of_nails_upsample(torch.ones(1, 1, 2, 2), 2**40), "scale_factor=1099511627776"),
        (
            lambda: bilinear_upsample(torch.ones(1, 1, 2, 2), 1e12),
            "scale_factor=1000000000000.0 .* would need",
        ),
        (lambda: bilinear_matrix(2**40, 3), "in_size=1099511627776 and out_size=3"),
        (lambda: bilinear_kernel(2, 2, 2**40), "kernel_size=1099511627776 .* would need"),
        (
            lambda: max_unpool2d(torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 2, 2, dtype=torch.long), 2**40),
            "kernel_size=",
        ),
    ],
)
def test_huge_sizes_are_refused_before_allocating(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_max_unpool_refuses_tensors_on_two_devices():
    pooled, switches = max_pool2d_with_switches(torch.randn(1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match="indices is on cpu but input is on meta"):
        max_unpool2d(pooled.to("meta"), switches, 2)
    with pytest.raises(ValueError, match="indices is on meta but input is on cpu"):
        max_unpool2d(pooled, switches.to("meta"), 2)


def test_devices_and_sizes_of_the_weight_builders_are_checked():
    with pytest.raises(ValueError, match="device='no-such-device'"):
        bilinear_matrix(3, 6, device="no-such-device")
    with pytest.raises(TypeError, match="device=3.5 must be a str or torch.device"):
        bilinear_kernel(2, 2, 4, device=3.5)
    with pytest.raises(TypeError, match="in_size=2.5 must be a positive int"):
        bilinear_matrix(2.5, 6)

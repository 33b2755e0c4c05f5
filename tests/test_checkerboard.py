"""lecture_lib.checkerboard: overlap counts against an all-ones transposed convolution, the spectral artifact
score on synthetic images, resize-convolution shapes and values, ICNR."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lecture_lib.checkerboard import ResizeConv2d, checkerboard_energy, icnr_, overlap_counts

F64 = torch.float64


def _randn(shape, seed, device="cpu", dtype=F64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=F64).to(device=device, dtype=dtype)


# ---------------------------------------------------------------------------------------------------------
# overlap_counts
# ---------------------------------------------------------------------------------------------------------
def test_overlap_counts_by_hand():
    # k=3, s=2, n=3: input 0 paints 0..2, input 1 paints 2..4, input 2 paints 4..6
    assert overlap_counts(3, 2, 3).tolist() == [1, 1, 2, 1, 2, 1, 1]
    assert overlap_counts(2, 2, 3).tolist() == [1, 1, 1, 1, 1, 1]
    assert overlap_counts(3, 1, 2).tolist() == [1, 2, 2, 1]
    assert overlap_counts(3, 2, (1, 2)).tolist() == [[1, 1, 2, 1, 1]] * 3


def _interior_ratio(k: int, s: int, n: int = 8, two_d: bool = False) -> float:
    """max / min of the counts away from the borders: outputs k-1 ... (n-1)*s in each dimension."""
    counts = overlap_counts((k, k) if two_d else k, s, n)
    inner = slice(k - 1, (n - 1) * s + 1)
    interior = counts[inner, inner] if two_d else counts[inner]
    return interior.max().item() / interior.min().item()


@pytest.mark.parametrize(
    ("k", "s", "ratio_1d", "ratio_2d"),
    [(3, 2, 2, 4), (4, 2, 1, 1), (2, 2, 1, 1), (5, 2, 1.5, 2.25), (4, 3, 2, 4)],
)
def test_interior_overlap_ratios_of_the_chapter(k, s, ratio_1d, ratio_2d):
    assert _interior_ratio(k, s) == ratio_1d
    assert _interior_ratio(k, s, two_d=True) == ratio_2d


def test_interior_counts_are_floor_and_ceil_of_k_over_s():
    for k in range(1, 8):
        for s in range(1, 5):
            counts = overlap_counts(k, s, 9)[k - 1 : 8 * s + 1]
            assert set(counts.tolist()) == {k // s, -(-k // s)}


ks = st.integers(1, 5)


@given(k=ks, s=ks, n=st.integers(1, 6))
def test_overlap_counts_equal_all_ones_conv_transpose1d(k, s, n):
    ref = F.conv_transpose1d(torch.ones(1, 1, n, dtype=F64), torch.ones(1, 1, k, dtype=F64), stride=s)
    assert torch.equal(overlap_counts(k, s, n).to(F64), ref[0, 0])


@given(k=st.tuples(ks, ks), s=st.tuples(ks, ks), n=st.tuples(st.integers(1, 5), st.integers(1, 5)))
def test_overlap_counts_equal_all_ones_conv_transpose2d(k, s, n):
    ones_in = torch.ones(1, 1, *n, dtype=F64)
    ref = F.conv_transpose2d(ones_in, torch.ones(1, 1, *k, dtype=F64), stride=s)[0, 0]
    assert torch.equal(overlap_counts(k, s, n).to(F64), ref)
    # an int anywhere stands for (v, v) once any argument is a pair
    ref_square = F.conv_transpose2d(
        torch.ones(1, 1, n[0], n[0], dtype=F64), torch.ones(1, 1, k[0], k[0], dtype=F64), stride=s[0]
    )
    assert torch.equal(overlap_counts(k[0], s[0], (n[0], n[0])).to(F64), ref_square[0, 0])


def test_overlap_counts_errors():
    with pytest.raises(ValueError, match=r"kernel_size=0"):
        overlap_counts(0, 2, 3)
    with pytest.raises(ValueError, match=r"stride=\(2, 0\)"):
        overlap_counts(3, (2, 0), 3)
    with pytest.raises(TypeError, match=r"input_size=3.5"):
        overlap_counts(3, 2, 3.5)


# ---------------------------------------------------------------------------------------------------------
# checkerboard_energy
# ---------------------------------------------------------------------------------------------------------
def _grid(h, w):
    return torch.meshgrid(torch.arange(h, dtype=F64), torch.arange(w, dtype=F64), indexing="ij")


@given(
    period=st.sampled_from([2, 3, 4]),
    reps=st.tuples(st.integers(2, 5), st.integers(2, 5)),
    const=st.floats(-10, 10),
    seed=st.integers(0, 999),
)
def test_energy_is_one_for_a_periodic_pattern_plus_constant(period, reps, const, seed):
    tile = _randn((3, period, period), seed)  # three random period x period tiles
    images = tile.repeat(1, *reps) + const  # (3, period*r_h, period*r_w)
    torch.testing.assert_close(
        checkerboard_energy(images, period), torch.tensor(1.0, dtype=F64), atol=1e-10, rtol=0
    )


def test_energy_is_one_for_the_classic_checkerboard():
    yy, xx = _grid(32, 32)
    board = (-1.0) ** (yy + xx) + 5  # the stride-2 artifact in its purest form
    torch.testing.assert_close(
        checkerboard_energy(board, 2), torch.tensor(1.0, dtype=F64), atol=1e-12, rtol=0
    )
    # a period-2 pattern is also period-4: its frequencies are multiples of 1/4 too
    torch.testing.assert_close(
        checkerboard_energy(board, 4), torch.tensor(1.0, dtype=F64), atol=1e-12, rtol=0
    )


def test_energy_is_zero_for_smooth_images():
    yy, xx = _grid(32, 32)
    sinusoids = torch.sin(2 * math.pi * xx / 32) + 0.5 * torch.cos(2 * math.pi * 3 * yy / 32)  # on DFT bins
    assert checkerboard_energy(sinusoids, 2).item() < 1e-20
    blob = torch.exp(-((yy - 15.5) ** 2 + (xx - 12.0) ** 2) / (2 * 4.0**2))  # Gaussian, sigma 4 pixels
    # its spectrum exp(-2 pi^2 sigma^2 f^2) is ~1e-9 of its peak at f = 1/4 and ~1e-17 at f = 1/2; what is
    # left is the leak of the small jump between the left and right borders (the blob is off-centre)
    for period in (2, 4):
        assert checkerboard_energy(blob, period).item() < 1e-6


def test_energy_of_white_noise_is_the_share_of_pattern_bins():
    # power spread evenly: expected share |S| / (H W - 1); for period 2 on 16 x 16, |S| = 16 + 16 - 1 = 31
    noise = _randn((400, 16, 16), 3)
    assert abs(checkerboard_energy(noise, 2).item() - 31 / 255) < 0.01
    # period 4: rows k_y in {4, 8, 12}, same for columns: |S| = 3*16 + 3*16 - 9 = 87
    assert abs(checkerboard_energy(noise, 4).item() - 87 / 255) < 0.01


def test_energy_mixes_pattern_and_smooth_parts_by_power():
    yy, xx = _grid(16, 16)
    smooth = torch.cos(2 * math.pi * xx / 16)  # non-DC power 16*16*(1/2)
    board = (-1.0) ** (yy + xx)  # power 16*16*1, orthogonal to the cosine
    assert checkerboard_energy(smooth + board, 2).item() == pytest.approx(1 / 1.5, abs=1e-12)


@given(seed=st.integers(0, 999), shift=st.floats(-100, 100), scale=st.floats(0.01, 100), negate=st.booleans())
def test_energy_invariant_to_constant_and_scale(seed, shift, scale, negate):
    images = _randn((2, 3, 8, 12), seed)
    base = checkerboard_energy(images, 2, reduction="none")
    assert base.shape == (2, 3)
    factor = -scale if negate else scale
    moved = checkerboard_energy(images * factor + shift, 2, reduction="none")
    torch.testing.assert_close(moved, base, atol=1e-9, rtol=0)


def test_energy_reduction_mean_is_mean_of_none_and_constant_images_score_zero():
    images = _randn((5, 8, 8), 4)
    torch.testing.assert_close(checkerboard_energy(images, 2), checkerboard_energy(images, 2, "none").mean())
    flat = torch.stack([torch.zeros(8, 8, dtype=F64), torch.full((8, 8), 0.1, dtype=F64)])
    assert checkerboard_energy(flat, 2, "none").tolist() == [0.0, 0.0]


def test_energy_follows_device_and_dtype(device):
    yy, xx = _grid(8, 8)
    board = ((-1.0) ** (yy + xx)).to(device=device, dtype=torch.float32)
    e = checkerboard_energy(board[None], 2)
    assert e.device == board.device and e.dtype == torch.float32
    assert abs(e.item() - 1.0) < 1e-5


def test_energy_errors():
    with pytest.raises(ValueError, match=r"size \(H, W\)=\(6, 8\) must be divisible by period=4"):
        checkerboard_energy(torch.zeros(2, 6, 8), 4)
    with pytest.raises(ValueError, match=r"size \(H, W\)=\(8, 9\) must be divisible by period=2"):
        checkerboard_energy(torch.zeros(8, 9), 2)
    with pytest.raises(ValueError, match=r"period=1 must be an int >= 2"):
        checkerboard_energy(torch.zeros(8, 8), 1)
    with pytest.raises(ValueError, match=r"images must have shape \(\.\.\., H, W\).*\(8,\)"):
        checkerboard_energy(torch.zeros(8), 2)
    with pytest.raises(TypeError, match=r"images must have a real floating dtype; got torch.uint8"):
        checkerboard_energy(torch.zeros(8, 8, dtype=torch.uint8), 2)
    with pytest.raises(ValueError, match=r"reduction='sum'"):
        checkerboard_energy(torch.zeros(8, 8), 2, reduction="sum")


# ---------------------------------------------------------------------------------------------------------
# ResizeConv2d
# ---------------------------------------------------------------------------------------------------------
@settings(max_examples=30)
@given(
    s=st.integers(1, 4),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    mode=st.sampled_from(["nearest", "bilinear"]),
    k=st.sampled_from([1, 3, 4, 5]),
)
def test_resize_conv_output_shape_matches_transposed_conv(s, h, w, mode, k):
    x = torch.zeros(2, 3, h, w)
    resize_conv = ResizeConv2d(3, 5, s, mode=mode, kernel_size=k)
    # the stride-s transposed conv with kernel s and no padding, and FCN's: kernel 2s - s%2, padding s//2
    for tconv in (nn.ConvTranspose2d(3, 5, s, stride=s), nn.ConvTranspose2d(3, 5, 2 * s - s % 2, s, s // 2)):
        assert resize_conv(x).shape == tconv(x).shape == (2, 5, s * h, s * w)


@pytest.mark.parametrize(("k", "p", "op"), [(3, 1, 1), (4, 1, 0), (2, 0, 0)])
def test_resize_conv_matches_the_common_stride2_transposed_convs(k, p, op):
    x = torch.zeros(1, 4, 7, 5)
    tconv = nn.ConvTranspose2d(4, 2, k, stride=2, padding=p, output_padding=op)
    assert ResizeConv2d(4, 2, 2)(x).shape == tconv(x).shape == (1, 2, 14, 10)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("k", [3, (4, 2)])
def test_resize_conv_equals_interpolate_then_conv2d(mode, k):
    torch.manual_seed(0)
    layer = ResizeConv2d(3, 4, (2, 3), mode=mode, kernel_size=k, dtype=F64)
    x = _randn((2, 3, 5, 4), 1).requires_grad_()
    kwargs = {"align_corners": False} if mode == "bilinear" else {}
    ref_in = F.interpolate(x, scale_factor=(2, 3), mode=mode, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about padding="same" with an even kernel
        ref = F.conv2d(ref_in, layer.conv.weight, layer.conv.bias, padding="same")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ours must not warn: a notebook that warns fails nbval
        out = layer(x)
    torch.testing.assert_close(out, ref, atol=1e-10, rtol=0)
    g = _randn(out.shape, 2)
    (ours,) = torch.autograd.grad(out, x, g)
    (theirs,) = torch.autograd.grad(ref, x, g)
    torch.testing.assert_close(ours, theirs, atol=1e-10, rtol=0)
    assert f"mode='{mode}'" in repr(layer)


def test_resize_conv_on_device(device):
    layer = ResizeConv2d(2, 3, 2, mode="bilinear", device=device)
    out = layer(torch.randn(1, 2, 4, 4, device=device))
    assert out.device.type == device.type and out.shape == (1, 3, 8, 8)


def test_resize_conv_errors():
    with pytest.raises(ValueError, match=r"mode='bicubic' must be 'nearest' or 'bilinear'"):
        ResizeConv2d(3, 3, 2, mode="bicubic")
    with pytest.raises(ValueError, match=r"scale_factor=0"):
        ResizeConv2d(3, 3, 0)
    with pytest.raises(TypeError, match=r"scale_factor=1.5"):
        ResizeConv2d(3, 3, 1.5)
    with pytest.raises(ValueError, match=r"out_channels=0"):
        ResizeConv2d(3, 0, 2)


# ---------------------------------------------------------------------------------------------------------
# icnr_
# ---------------------------------------------------------------------------------------------------------
@settings(max_examples=20)
@given(r=st.integers(1, 4), c_out=st.integers(1, 3), k=st.sampled_from([1, 3]), seed=st.integers(0, 999))
def test_icnr_makes_every_pixel_shuffle_block_constant(r, c_out, k, seed):
    torch.manual_seed(seed)
    conv = nn.Conv2d(3, c_out * r * r, k, padding=k // 2, bias=False, dtype=F64)
    assert icnr_(conv.weight, r) is conv.weight
    x = _randn((2, 3, 5, 6), seed)
    y = nn.PixelShuffle(r)(conv(x))  # (2, c_out, 5r, 6r)
    blocks = y.reshape(2, c_out, 5, r, 6, r)
    # equal up to the summation order of the conv backend, which may differ between output channels
    torch.testing.assert_close(blocks, blocks[:, :, :, :1, :, :1].expand_as(blocks), atol=1e-12, rtol=0)
    # that is: convolve at low resolution with the sub-kernel, then nearest-neighbour upsample
    low = F.conv2d(x, conv.weight[:: r * r], padding=k // 2)
    torch.testing.assert_close(y, F.interpolate(low, scale_factor=r, mode="nearest"), atol=1e-12, rtol=0)


def test_icnr_blocks_are_not_constant_without_it():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3, padding=1, bias=False, dtype=F64)
    y = nn.PixelShuffle(2)(conv(_randn((1, 3, 4, 4), 0))).reshape(1, 1, 4, 2, 4, 2)
    assert not torch.equal(y, y[:, :, :, :1, :, :1].expand_as(y))


def test_icnr_with_zeroed_bias_and_custom_init():
    conv = nn.Conv2d(2, 3 * 4, 3, padding=1)
    seen = []

    def init(t):
        seen.append(tuple(t.shape))
        return nn.init.ones_(t)

    icnr_(conv.weight, 2, init=init)
    nn.init.zeros_(conv.bias)
    assert seen == [(3, 2, 3, 3)]
    assert torch.equal(conv.weight, torch.ones_like(conv.weight))
    y = nn.PixelShuffle(2)(conv(torch.randn(1, 2, 3, 3))).reshape(1, 3, 3, 2, 3, 2)
    assert torch.equal(y, y[:, :, :, :1, :, :1].expand_as(y))


def test_icnr_default_init_is_kaiming_normal_of_the_sub_kernel():
    w = torch.empty(32 * 4, 16, 3, 3)  # fan_in (16 * 9) differs from fan_out (32 * 9): a mode mix-up shows
    torch.manual_seed(0)
    icnr_(w, 2)
    torch.manual_seed(0)
    reference = nn.init.kaiming_normal_(torch.empty(32, 16, 3, 3))  # the same draws, the same scale
    for q in range(4):
        assert torch.equal(w[q::4], reference)


def test_icnr_on_device(device):
    w = torch.empty(8, 2, 3, 3, device=device)
    assert icnr_(w, 2).device.type == device.type
    assert torch.equal(w[0::4], w[1::4])


def test_icnr_errors():
    with pytest.raises(
        ValueError, match=r"tensor has 6 output channels, not divisible by upscale_factor\*\*2=4"
    ):
        icnr_(torch.empty(6, 2, 3, 3), 2)
    with pytest.raises(ValueError, match=r"tensor must be a Conv2d weight.*\(4, 2, 3\)"):
        icnr_(torch.empty(4, 2, 3), 2)
    with pytest.raises(ValueError, match=r"upscale_factor=0 must be a positive int"):
        icnr_(torch.empty(4, 2, 3, 3), 0)
    with pytest.raises(TypeError, match=r"upscale_factor=2.0 must be a positive int"):
        icnr_(torch.empty(4, 2, 3, 3), 2.0)
    with pytest.raises(ValueError, match="left the sub-kernel unfilled"):  # an init that returns a copy
        icnr_(torch.empty(4, 2, 3, 3), 2, init=lambda t: nn.init.normal_(t.clone()))


# ---------------------------------------------------------------------------------------------------------
# bad inputs refused by name (issue 15)
# ---------------------------------------------------------------------------------------------------------
def test_energy_refuses_nan_and_infinity():
    images = torch.zeros(8, 8)
    for value in (math.nan, math.inf):
        images[0, 0] = value
        with pytest.raises(ValueError, match="images contains NaN or infinity"):
            checkerboard_energy(images, 2)
    with pytest.raises(TypeError, match="period=2.5 must be an int >= 2"):
        checkerboard_energy(torch.zeros(8, 8), 2.5)


def test_overlap_counts_refuses_a_huge_output_before_allocating():
    with pytest.raises(ValueError, match="stride=1099511627776 .* would need"):
        overlap_counts(3, 2**40, 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(bias="False"), TypeError, "bias='False' must be a bool"),
        (dict(kernel_size=2**40), ValueError, "kernel_size=1099511627776 .* would need"),
        (dict(out_channels=2**40), ValueError, "out_channels=1099511627776 .* would need"),
        (dict(scale_factor=2**40), ValueError, "scale_factor=1099511627776 .* would need"),
        (dict(in_channels=2.0), TypeError, "in_channels=2.0 must be a positive int"),
        (dict(dtype=torch.int64), TypeError, "dtype=torch.int64 must be a floating dtype"),
        (dict(device="no-such-device"), ValueError, "device='no-such-device'"),
    ],
)
def test_resize_conv_constructor_refuses_before_allocating(kwargs, error, match):
    with pytest.raises(error, match=match):
        ResizeConv2d(**(dict(in_channels=2, out_channels=3, scale_factor=2) | kwargs))


def test_resize_conv_forward_names_x():
    layer = ResizeConv2d(2, 3, 2)
    with pytest.raises(ValueError, match="x is on meta but ResizeConv2d's parameters are on cpu"):
        layer(torch.randn(1, 2, 3, 3, device="meta"))
    with pytest.raises(TypeError, match="x has dtype torch.float64 but ResizeConv2d's parameters"):
        layer(torch.randn(1, 2, 3, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        layer(torch.ones(1, 2, 3, 3, dtype=torch.int64))
    with pytest.raises(ValueError, match="x has 3 channels .* in_channels=2"):
        layer(torch.randn(1, 3, 3, 3))


def test_icnr_refuses_non_floating_tensors_and_non_callables():
    with pytest.raises(TypeError, match="tensor must have a floating dtype"):
        icnr_(torch.zeros(4, 2, 3, 3, dtype=torch.int64), 2)
    with pytest.raises(TypeError, match="init=3 must be an in-place initialiser"):
        icnr_(torch.empty(4, 2, 3, 3), 2, init=3)

"""Tests of lecture_lib.receptive_field: the recurrence and the exact intervals against the gradient (the input
pixels with a non-zero gradient for one output pixel, all weights positive), hand cases, errors."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lecture_lib.checkerboard import ResizeConv2d
from lecture_lib.models import EncoderDecoder
from lecture_lib.receptive_field import ReceptiveField, receptive_field, receptive_field_intervals


def gradient_intervals(layers: nn.Module, size: int, channels: int = 1) -> torch.Tensor:
    """(O, 2): first and last input column with a non-zero gradient, for each output column of the middle row."""
    layers = layers.double().eval()  # eval: BatchNorm uses fixed statistics, pixels stay independent
    with torch.no_grad():
        for p in layers.parameters():
            p.fill_(1.0)  # all positive: nothing cancels, every ReLU passes
    x = torch.ones(1, channels, size, size, dtype=torch.float64, requires_grad=True)
    y = layers(x)  # (1, C, O_h, O_w)
    rows = []
    for o in range(y.shape[-1]):
        (grad,) = torch.autograd.grad(y[0, 0, y.shape[-2] // 2, o], x, retain_graph=True)
        cols = torch.nonzero(grad[0].abs().sum(dim=(0, 1))).flatten()
        rows.append((int(cols.min()), int(cols.max())))
    return torch.tensor(rows)


def test_three_3x3_layers_and_dilations_by_hand():
    three = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(3)])
    assert [r.size for r in receptive_field(three)] == [3, 5, 7]
    dilated = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=d, dilation=d) for d in (1, 2, 4)])
    assert receptive_field(dilated)[-1].size == 15  # 1 + 2 (1 + 2 + 4)


def test_recurrence_with_strides_and_start_by_hand():
    # conv k3 s1 p0, pool k2 s2, conv k3 s2 p1: r = 1 + 2 = 3, 3 + 1 = 4, 4 + 2 * 2 = 8; j = 1, 2, 4
    layers = [nn.Conv2d(1, 1, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3, stride=2, padding=1)]
    rows = receptive_field(layers)
    assert rows == [
        ReceptiveField("Conv2d", 3, 1, 1.0),  # output 0 is centred on input pixel 1 (no padding)
        ReceptiveField("MaxPool2d", 4, 2, 1.5),
        ReceptiveField("Conv2d", 8, 4, 1.5),  # c = 1.5 + (1 - 1) * 2
    ]


def test_encoder_decoder_field_depends_on_the_position():
    """The chapter's network: 69 or 77 pixels (transposed, resize-conv), 85 or 93 (bilinear), by the gradient."""
    expected = {"transposed": {69, 77}, "resize_conv": {69, 77}, "bilinear": {85, 93}}
    for kind, sizes in expected.items():
        model = EncoderDecoder(2, upsample=kind, width=1)
        layers = nn.Sequential(*model.encoder, *model.decoder, model.head)
        unbounded = receptive_field_intervals(layers, 64, clip=False)
        assert set((unbounded[:, 1] - unbounded[:, 0] + 1).tolist()) == sizes
        clipped = receptive_field_intervals(layers, 64)
        assert torch.equal(clipped, gradient_intervals(layers, 64, channels=3))
        assert torch.equal(receptive_field_intervals(layers, 64, axis=-2), clipped)  # square kernels


def _layer(kind: str, k: int, s: int) -> nn.Module:
    if kind == "conv":
        return nn.Conv2d(1, 1, k, stride=s, padding=k // 2)
    if kind == "dilated":
        return nn.Conv2d(1, 1, 3, padding=2, dilation=2)
    if kind == "avgpool":
        return nn.AvgPool2d(k, stride=s)
    if kind == "transposed":
        return nn.ConvTranspose2d(1, 1, max(k, s), stride=s, padding=(max(k, s) - s) // 2)
    if kind == "resize":
        return ResizeConv2d(1, 1, s, mode="nearest", kernel_size=k)
    return nn.Upsample(scale_factor=s, mode=kind)


@settings(max_examples=30)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["conv", "avgpool", "transposed", "resize", "nearest", "bilinear"]),
            st.integers(1, 4),
            st.integers(1, 2),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_intervals_match_the_gradient(spec):
    layers = nn.Sequential(*[_layer(*t) for t in spec])
    try:
        assert torch.equal(receptive_field_intervals(layers, 12), gradient_intervals(layers, 12))
    except ValueError as err:  # a stack that shrinks 12 pixels to nothing is refused by name
        assert "size=12 is too small" in str(err)


@settings(max_examples=30)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2)), min_size=1, max_size=4))
def test_recurrence_matches_the_unbounded_intervals(spec):
    layers = [nn.Conv2d(1, 1, k, stride=s, padding=min(p, k - 1)) for k, s, p in spec]
    try:
        intervals = receptive_field_intervals(layers, 64, clip=False)  # (O, 2)
    except ValueError:
        return
    last = receptive_field(layers)[-1]
    assert torch.all(intervals[:, 1] - intervals[:, 0] + 1 == last.size)
    centres = (intervals[:, 0] + intervals[:, 1]).double() / 2
    assert torch.allclose(centres, last.start + last.jump * torch.arange(len(intervals), dtype=torch.float64))


def test_dilated_interior_exact_border_a_bound():
    """Dilated taps skip pixels: far from the border the extent is exact, near it the interval may be loose."""
    layers = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=d, dilation=d) for d in (1, 2)])
    bounds, measured = receptive_field_intervals(layers, 16), gradient_intervals(layers, 16)
    assert torch.equal(bounds[3:-3], measured[3:-3]) and torch.all(bounds[3:-3, 1] - bounds[3:-3, 0] == 6)
    assert torch.all(bounds[:, 0] <= measured[:, 0]) and torch.all(bounds[:, 1] >= measured[:, 1])


def test_max_unpooling_is_a_bound():
    """The switches decide which output a value goes to; the intervals cover every position it may reach."""
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    x = torch.rand(1, 1, 8, 8, dtype=torch.float64, requires_grad=True)
    pooled, indices = pool(x)
    y = unpool(pooled, indices)  # (1, 1, 8, 8)
    bounds = receptive_field_intervals([pool, unpool], 8)
    for o in range(8):
        (grad,) = torch.autograd.grad(y[0, 0, :, o].sum(), x, retain_graph=True)
        cols = torch.nonzero(grad[0, 0].abs().sum(dim=0)).flatten()
        assert all(bounds[o, 0] <= c <= bounds[o, 1] for c in cols.tolist())
    assert torch.equal(bounds, torch.tensor([[2 * (o // 2), 2 * (o // 2) + 1] for o in range(8)]))


def test_errors():
    with pytest.raises(ValueError, match="LSTM"):
        receptive_field_intervals([nn.LSTM(2, 2)], 8)
    with pytest.raises(ValueError, match="receptive_field_intervals"):
        receptive_field([nn.Upsample(scale_factor=2)])
    with pytest.raises(ValueError, match="ceil_mode"):
        receptive_field([nn.MaxPool2d(2, ceil_mode=True)])
    with pytest.raises(ValueError, match="align_corners"):
        receptive_field_intervals([nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)], 8)
    with pytest.raises(ValueError, match="size=4 is too small"):
        receptive_field_intervals([nn.Conv2d(1, 1, 5)], 4)
    with pytest.raises(TypeError, match="layers"):
        receptive_field(3)
    with pytest.raises(ValueError, match="axis"):
        receptive_field([nn.Conv2d(1, 1, 3)], axis=0)

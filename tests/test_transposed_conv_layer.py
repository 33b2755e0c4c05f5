"""Tests for lecture_lib.transposed_conv_layer.ConvTranspose2d against torch.nn.ConvTranspose2d."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from transposed_conv_cases import F64, TOL

from lecture_lib.transposed_conv_layer import ConvTranspose2d


def test_lecture_layer_shape():
    layer = ConvTranspose2d(1, 3, kernel_size=4)
    x = torch.tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])  # (1, 2, 3): one channel, unbatched
    out = layer(x)
    assert out.shape == (3, 5, 6)
    assert layer.weight.shape == (1, 3, 4, 4) and layer.bias.shape == (3,)
    assert layer(x[None]).shape == (1, 3, 5, 6)


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


# -------------------------------------------------------------------------------------------------- errors
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

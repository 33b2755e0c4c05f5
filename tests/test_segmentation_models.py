"""Tests of lecture_lib.segmentation_models: shapes, SegNet's unpooling at the switches of the matching pooling
layer (against F.max_unpool2d, and a hand case), U-Net's skip path in use, parameter counts by hand, errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lecture_lib.models import EncoderDecoder
from lecture_lib.segmentation_models import SegNet, UNet


def _block(ci: int, co: int) -> int:
    return ci * co * 9 + 2 * co  # 3x3 conv without bias, BatchNorm weight and bias


@pytest.mark.parametrize("make", [lambda: UNet(21, width=4), lambda: SegNet(21, width=4)])
@pytest.mark.parametrize("size", [(8, 8), (16, 40), (64, 48)])
def test_shapes_and_gradients(make, size, device):
    torch.manual_seed(0)
    model = make().to(device)
    out = model(torch.rand(2, 3, *size, device=device))
    assert out.shape == (2, 21, *size) and out.device.type == device.type
    if size == (16, 40):
        out.sum().backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


@pytest.mark.parametrize("upsample", ["transposed", "resize_conv", "bilinear"])
def test_unet_dtype_and_upsampling(upsample):
    model = UNet(2, upsample=upsample, in_channels=1, width=2).double()
    assert model(torch.rand(1, 1, 24, 16, dtype=torch.float64)).dtype == torch.float64
    kinds = {"transposed": nn.ConvTranspose2d, "bilinear": nn.Upsample}
    if upsample in kinds:
        assert sum(isinstance(m, kinds[upsample]) for m in model.modules()) == 3


def test_unet_parameter_count_by_hand():
    w, c_out = 8, 5
    model, plain = UNet(c_out, width=w), EncoderDecoder(c_out, width=w)
    enc = _block(3, w) + sum(_block(c, 2 * c) + _block(2 * c, 2 * c) for c in (w, 2 * w, 4 * w))
    dec = sum(2 * c * c * 16 + 2 * c + _block(2 * c, c) for c in (4 * w, 2 * w, w))  # up k4, BN, fuse 2c -> c
    assert sum(p.numel() for p in model.parameters()) == enc + dec + w * c_out + c_out
    # the only difference to EncoderDecoder: the fusing convolutions read c more channels, 9 c^2 weights each
    extra = sum(9 * c * c for c in (4 * w, 2 * w, w))
    assert sum(p.numel() for p in model.parameters()) - sum(p.numel() for p in plain.parameters()) == extra


def test_segnet_parameter_count_by_hand():
    w, c_out = 8, 5
    enc = _block(3, w) + _block(w, 2 * w) + _block(2 * w, 2 * w) + _block(2 * w, 4 * w) + _block(4 * w, 4 * w)
    enc += _block(4 * w, 8 * w) + _block(8 * w, 4 * w)
    dec = _block(4 * w, 4 * w) + _block(4 * w, 2 * w) + _block(2 * w, 2 * w) + _block(2 * w, w) + _block(w, w)
    model = SegNet(c_out, width=w)
    assert sum(p.numel() for p in model.parameters()) == enc + dec + w * c_out + c_out
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in model.modules())  # no learned upsampling


def test_unet_skip_path_is_used():
    torch.manual_seed(0)
    model = UNet(3, width=4).eval()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        out = model(x)
        for k, c in enumerate((16, 8, 4)):  # the fusing conv of stage k reads [upsampled (c), skip (c)]
            fuse = model.decoder[k][0]
            assert fuse.in_channels == 2 * c
            saved = fuse.weight[:, c:].clone()
            fuse.weight[:, c:] = 0  # cut this skip
            assert not torch.allclose(model(x), out)
            fuse.weight[:, c:] = saved
        assert torch.equal(model(x), out)


def test_segnet_unpools_at_the_switches_of_the_matching_pool():
    torch.manual_seed(0)
    model = SegNet(3, width=2).eval()
    pooled, unpooled = [], []
    for pool in model.pool:
        pool.register_forward_hook(lambda m, args, out: pooled.append(out))  # (values, indices)
    for unpool in model.unpool:
        unpool.register_forward_hook(lambda m, args, out: unpooled.append((args, out)))
    with torch.no_grad():
        model(torch.rand(2, 3, 32, 16))
    assert len(pooled) == len(unpooled) == 3
    for k, ((values, indices), out) in enumerate(unpooled):
        match = pooled[2 - k]  # the last pooling is undone first
        assert torch.equal(indices, match[1]) and indices.shape == values.shape
        assert torch.equal(out, F.max_unpool2d(values, match[1], 2))
        assert out.shape[-2:] == (2 * values.shape[-2], 2 * values.shape[-1])


def test_segnet_pool_and_unpool_by_hand():
    model = SegNet(3, width=1)
    x = torch.tensor([[[[1.0, 5, 2, 0], [3, 4, 8, 1], [0, 0, 6, 7], [9, 2, 3, 5]]]])  # (1, 1, 4, 4)
    values, indices = model.pool[0](x)
    assert torch.equal(values, torch.tensor([[[[5.0, 8], [9, 7]]]]))
    assert torch.equal(indices, torch.tensor([[[[1, 6], [12, 11]]]]))  # flat positions in the 4x4 map
    back = model.unpool[2](values, indices)  # (1, 1, 4, 4): the maxima where they were, zeros elsewhere
    expected = torch.tensor([[[[0.0, 5, 0, 0], [0, 0, 8, 0], [0, 0, 0, 7], [9, 0, 0, 0]]]])
    assert torch.equal(back, expected) and torch.equal(back, F.max_unpool2d(values, indices, 2))


@pytest.mark.parametrize("make", [UNet, SegNet])
def test_errors(make):
    model = make(3, width=2)
    with pytest.raises(ValueError, match=r"\(H, W\)=\(30, 32\) must be a positive multiple of 8"):
        model(torch.rand(1, 3, 30, 32))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3, H, W\)"):
        model(torch.rand(1, 1, 32, 32))
    with pytest.raises(ValueError, match="width"):
        make(3, width=0)
    with pytest.raises(TypeError, match="x"):
        model(torch.rand(1, 3, 32, 32).double())

"""Tests of lecture_lib.models: output shapes, the lecture's autoencoder layer by layer, parameter counts
computed by hand, encode/decode, errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lecture_lib.checkerboard import ResizeConv2d
from lecture_lib.conv_arith import shape_trace
from lecture_lib.models import ConvAutoencoder, DenseAutoencoder, EncoderDecoder

# ------------------------------------------------------------------------------------- EncoderDecoder


@pytest.mark.parametrize("upsample", ["transposed", "resize_conv", "bilinear"])
@pytest.mark.parametrize("size", [(8, 8), (16, 40), (64, 48)])
def test_encoder_decoder_shapes(upsample, size, device):
    torch.manual_seed(0)
    model = EncoderDecoder(21, upsample=upsample, width=4).to(device)
    x = torch.rand(2, 3, *size, device=device)
    out = model(x)
    assert out.shape == (2, 21, *size) and out.device.type == device.type
    # the bottleneck is 8x smaller, with 8 * width channels
    assert model.encoder(x).shape == (2, 32, size[0] // 8, size[1] // 8)
    if size == (16, 40):  # gradients reach every parameter (once per decoder kind is enough)
        out.sum().backward()
        assert all(p.grad is not None for p in model.parameters())


def test_encoder_decoder_in_channels_and_dtype():
    model = EncoderDecoder(2, in_channels=1, width=2).double()
    out = model(torch.rand(1, 1, 24, 16, dtype=torch.float64))
    assert out.shape == (1, 2, 24, 16) and out.dtype == torch.float64


def _seg_param_count(c: int, w: int, in_ch: int, upsample: str) -> int:
    """Parameters counted by hand: conv 3x3 without bias c_in*c_out*9, BatchNorm 2*c, head w*C + C."""

    def block(ci, co):
        return ci * co * 9 + 2 * co

    enc = block(in_ch, w) + sum(block(ci, 2 * ci) + block(2 * ci, 2 * ci) for ci in (w, 2 * w, 4 * w))
    up_kernel = 16 if upsample == "transposed" else 9  # 4x4 transposed conv, or 3x3 conv after resizing
    dec = sum(
        ci * (ci // 2) * up_kernel + 2 * (ci // 2) + block(ci // 2, ci // 2) for ci in (8 * w, 4 * w, 2 * w)
    )
    return enc + dec + w * c + c


@pytest.mark.parametrize("upsample", ["transposed", "resize_conv", "bilinear"])
def test_encoder_decoder_parameter_count(upsample):
    model = EncoderDecoder(5, upsample=upsample, in_channels=3, width=16)
    assert sum(p.numel() for p in model.parameters()) == _seg_param_count(5, 16, 3, upsample)


def test_encoder_decoder_upsampling_layers():
    def layers(model, kind):
        return [m for m in model.decoder.modules() if isinstance(m, kind)]

    t = layers(EncoderDecoder(3, "transposed"), nn.ConvTranspose2d)
    assert len(t) == 3
    assert all((m.kernel_size, m.stride, m.padding) == ((4, 4), (2, 2), (1, 1)) for m in t)
    r = layers(EncoderDecoder(3, "resize_conv"), ResizeConv2d)
    assert len(r) == 3 and all(m.mode == "nearest" and m.scale_factor == (2, 2) for m in r)
    b = EncoderDecoder(3, "bilinear")
    ups = layers(b, nn.Upsample)
    assert len(ups) == 3 and all(m.mode == "bilinear" and not m.align_corners for m in ups)
    assert not layers(b, nn.ConvTranspose2d) and not layers(b, ResizeConv2d)


def test_encoder_decoder_errors():
    model = EncoderDecoder(3, width=2)
    with pytest.raises(ValueError, match=r"\(H, W\)=\(30, 32\) must be a positive multiple of 8"):
        model(torch.rand(1, 3, 30, 32))
    with pytest.raises(ValueError, match=r"\(H, W\)=\(0, 32\) must be a positive multiple of 8"):
        model(torch.rand(1, 3, 0, 32))
    with pytest.raises(ValueError, match=r"\(H, W\)=\(32, 12\)"):
        model(torch.rand(1, 3, 32, 12))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3, H, W\); got \(1, 1, 32, 32\)"):
        model(torch.rand(1, 1, 32, 32))
    with pytest.raises(ValueError, match="upsample='deconv' must be one of"):
        EncoderDecoder(3, upsample="deconv")
    with pytest.raises(ValueError, match="num_classes=0"):
        EncoderDecoder(0)
    with pytest.raises(ValueError, match="width=1.5"):
        EncoderDecoder(3, width=1.5)
    with pytest.raises(ValueError, match="in_channels=True"):
        EncoderDecoder(3, in_channels=True)


# ------------------------------------------------------------------------------------ ConvAutoencoder

# the lecture's get_model(): (layer type, constructor arguments) in order
_LECTURE_ENCODER = [
    (nn.Conv2d, dict(in_channels=1, out_channels=32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))),
    (nn.BatchNorm2d, dict(num_features=32)),
    (nn.LeakyReLU, {}),
    (nn.Conv2d, dict(in_channels=32, out_channels=64, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))),
    (nn.BatchNorm2d, dict(num_features=64)),
    (nn.LeakyReLU, {}),
    (nn.Conv2d, dict(in_channels=64, out_channels=64, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))),
    (nn.BatchNorm2d, dict(num_features=64)),
    (nn.LeakyReLU, {}),
    (nn.Flatten, {}),
    (nn.Linear, dict(in_features=3136, out_features=2)),
    (nn.LeakyReLU, {}),
]
_LECTURE_DECODER = [
    (nn.Linear, dict(in_features=2, out_features=3136)),
    (nn.Unflatten, dict(dim=1, unflattened_size=(64, 7, 7))),
    (nn.LeakyReLU, {}),
    (
        nn.ConvTranspose2d,
        dict(
            in_channels=64,
            out_channels=64,
            kernel_size=(3, 3),
            stride=(2, 2),
            padding=(1, 1),
            output_padding=(1, 1),
        ),
    ),
    (nn.BatchNorm2d, dict(num_features=64)),
    (nn.LeakyReLU, {}),
    (
        nn.ConvTranspose2d,
        dict(
            in_channels=64,
            out_channels=32,
            kernel_size=(3, 3),
            stride=(2, 2),
            padding=(1, 1),
            output_padding=(1, 1),
        ),
    ),
    (nn.BatchNorm2d, dict(num_features=32)),
    (nn.LeakyReLU, {}),
    (
        nn.ConvTranspose2d,
        dict(in_channels=32, out_channels=1, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)),
    ),
    (nn.Sigmoid, {}),
]


def _matches(layers, expected):
    assert len(layers) == len(expected)
    for layer, (kind, attrs) in zip(layers, expected):
        assert type(layer) is kind
        for name, value in attrs.items():
            assert getattr(layer, name) == value, (layer, name)


def test_autoencoder_is_the_lectures_architecture():
    model = ConvAutoencoder()
    _matches(list(model.encoder), _LECTURE_ENCODER)
    _matches(list(model.decoder), _LECTURE_DECODER)
    assert all(m.negative_slope == 0.01 for m in model.modules() if isinstance(m, nn.LeakyReLU))


def test_autoencoder_shape_trace():
    trace = shape_trace(ConvAutoencoder(latent_dim=2), (3, 1, 28, 28))
    shapes = [row.output_shape for row in trace if row.num_params and "BatchNorm" not in row.layer]
    # conv 28 -> 28 -> 14 -> 7, linear to the latent; linear back, transposed conv 7 -> 14 -> 28 -> 28
    assert shapes == [
        (3, 32, 28, 28),
        (3, 64, 14, 14),
        (3, 64, 7, 7),
        (3, 2),
        (3, 3136),
        (3, 64, 14, 14),
        (3, 32, 28, 28),
        (3, 1, 28, 28),
    ]
    assert [row.output_shape for row in trace if "Unflatten" in row.layer] == [(3, 64, 7, 7)]


def _autoencoder_param_count(latent: int) -> int:
    """By hand: conv/transposed conv c_in*c_out*9 + c_out, BatchNorm 2c, Linear in*out + out."""
    encoder = (1 * 32 * 9 + 32) + 2 * 32 + (32 * 64 * 9 + 64) + 2 * 64 + (64 * 64 * 9 + 64) + 2 * 64
    encoder += 3136 * latent + latent
    decoder = (latent * 3136 + 3136) + (64 * 64 * 9 + 64) + 2 * 64 + (64 * 32 * 9 + 32) + 2 * 32
    decoder += 32 * 1 * 9 + 1
    return encoder + decoder


@pytest.mark.parametrize("upsample", ["transposed", "resize_conv"])
@pytest.mark.parametrize("latent", [2, 16])
def test_autoencoder_parameter_count(upsample, latent):
    model = ConvAutoencoder(latent, upsample=upsample)
    if latent == 2:  # the lecture's figures: 127,619 = 62,338 in the encoder + 65,281 in the decoder
        assert sum(p.numel() for p in model.encoder.parameters()) == 62_338
        assert sum(p.numel() for p in model.decoder.parameters()) == 65_281
    assert sum(p.numel() for p in model.parameters()) == _autoencoder_param_count(latent)


@pytest.mark.parametrize("upsample", ["transposed", "resize_conv"])
def test_autoencoder_encode_decode_compose(upsample, device):
    torch.manual_seed(0)
    model = ConvAutoencoder(latent_dim=3, upsample=upsample).to(device).eval()
    x = torch.rand(5, 1, 28, 28, device=device)
    with torch.no_grad():
        z = model.encode(x)
        y = model.decode(z)
        assert torch.equal(model(x), y)
    assert z.shape == (5, 3) and z.device.type == device.type
    assert y.shape == (5, 1, 28, 28)
    assert float(y.min()) > 0.0 and float(y.max()) < 1.0  # sigmoid output


def test_autoencoder_resize_conv_replaces_the_stride_2_layers():
    model = ConvAutoencoder(upsample="resize_conv")
    resize = [m for m in model.decoder if isinstance(m, ResizeConv2d)]
    assert len(resize) == 2 and all(m.mode == "nearest" and m.scale_factor == (2, 2) for m in resize)
    transposed = [m for m in model.decoder if isinstance(m, nn.ConvTranspose2d)]
    assert len(transposed) == 1 and transposed[0].stride == (1, 1)
    trace = shape_trace(model, (2, 1, 28, 28))
    assert trace[-1].output_shape == (2, 1, 28, 28)


def test_autoencoder_latent_activation():
    assert isinstance(ConvAutoencoder().encoder[-1], nn.LeakyReLU)
    model = ConvAutoencoder(latent_activation=False)
    assert isinstance(model.encoder[-1], nn.Linear)
    assert sum(p.numel() for p in model.parameters()) == _autoencoder_param_count(2)


def test_autoencoder_errors():
    model = ConvAutoencoder()
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, 28, 28\); got \(2, 1, 32, 32\)"):
        model(torch.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, 28, 28\); got \(1, 28, 28\)"):
        model.encode(torch.rand(1, 28, 28))
    with pytest.raises(ValueError, match=r"z must have shape \(N, 2\); got \(4, 3\)"):
        model.decode(torch.rand(4, 3))
    with pytest.raises(ValueError, match="latent_dim=0"):
        ConvAutoencoder(0)
    with pytest.raises(ValueError, match="upsample='bilinear' must be one of"):
        ConvAutoencoder(upsample="bilinear")
    with pytest.raises(TypeError, match="latent_activation=1"):
        ConvAutoencoder(latent_activation=1)


# ----------------------------------------------------------------------------------- DenseAutoencoder


@pytest.mark.parametrize("latent", [1, 16])
def test_dense_autoencoder_shapes_range_and_parameter_count(latent, device):
    torch.manual_seed(0)
    model = DenseAutoencoder(latent, hidden=32).to(device)
    x = torch.rand(5, 1, 28, 28, device=device)
    z = model.encode(x)
    out = model(x)
    assert z.shape == (5, latent) and out.shape == x.shape and out.device.type == device.type
    assert torch.equal(out, model.decode(z)) and out.min() > 0 and out.max() < 1  # the sigmoid
    by_hand = (784 * 32 + 32) + (32 * latent + latent) + (latent * 32 + 32) + (32 * 784 + 784)
    assert sum(p.numel() for p in model.parameters()) == by_hand
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_dense_autoencoder_matches_the_same_layers_in_torch():
    torch.manual_seed(1)
    model = DenseAutoencoder(3, hidden=8, image_shape=(2, 3, 4)).double()
    x = torch.rand(4, 2, 3, 4, dtype=torch.float64)
    e1, e2 = model.encoder[1], model.encoder[3]
    d1, d2 = model.decoder[0], model.decoder[2]
    z = torch.relu(x.flatten(1) @ e1.weight.T + e1.bias) @ e2.weight.T + e2.bias
    y = torch.sigmoid(torch.relu(z @ d1.weight.T + d1.bias) @ d2.weight.T + d2.bias).view(4, 2, 3, 4)
    assert torch.allclose(model.encode(x), z, atol=1e-12) and torch.allclose(model(x), y, atol=1e-12)


def test_linear_dense_autoencoder_is_affine():
    torch.manual_seed(2)
    model = DenseAutoencoder(4, hidden=0).double()
    assert [type(m) for m in model.encoder] == [nn.Flatten, nn.Linear]
    x, y = torch.randn(3, 1, 28, 28, dtype=torch.float64), torch.randn(3, 1, 28, 28, dtype=torch.float64)
    # an affine map: f(x) + f(y) - f(0) = f(x + y), outputs unbounded (no sigmoid)
    zero = torch.zeros_like(x)
    assert torch.allclose(model(x) + model(y) - model(zero), model(x + y), atol=1e-10)
    assert "hidden=0" in repr(model)


def test_dense_autoencoder_errors():
    with pytest.raises(ValueError, match="latent_dim"):
        DenseAutoencoder(0)
    with pytest.raises(ValueError, match="hidden"):
        DenseAutoencoder(2, hidden=-1)
    with pytest.raises(ValueError, match="hidden"):
        DenseAutoencoder(2, hidden=True)
    with pytest.raises(ValueError, match="image_shape"):
        DenseAutoencoder(2, image_shape=(1, 0, 28))
    with pytest.raises(ValueError, match="image_shape"):
        DenseAutoencoder(2, image_shape="28x28")
    model = DenseAutoencoder(2, hidden=4)
    with pytest.raises(ValueError, match="x must have shape"):
        model.encode(torch.rand(2, 784))
    with pytest.raises(ValueError, match="z must have shape"):
        model.decode(torch.rand(2, 3))

"""The networks the dense-prediction and autoencoder chapters train: an encoder-decoder for segmentation,
the lecture's convolutional autoencoder and a small fully connected autoencoder.

Both decoders upsample with a choice of layer, so a chapter can train the same network with a transposed
convolution and with its alternatives and compare them (mean IoU, reconstruction error, checkerboard energy).

Taught in: chapters "Segmentation" (:class:`EncoderDecoder`) and "Autoencoders" (:class:`ConvAutoencoder`,
:class:`DenseAutoencoder`).
"""

from __future__ import annotations

import numbers

import torch
from torch import nn

from ._validate import check_module_matches, check_tensor
from .checkerboard import ResizeConv2d

__all__ = ["ConvAutoencoder", "DenseAutoencoder", "EncoderDecoder"]

_SEG_UPSAMPLE = ("transposed", "resize_conv", "bilinear")
_AE_UPSAMPLE = ("transposed", "resize_conv")


def _check_positive_int(value: object, name: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive int")
    return int(value)


def _conv_bn_relu(c_in: int, c_out: int, stride: int = 1) -> list[nn.Module]:
    # 3x3 conv, padding 1: H -> floor((H - 1) / stride) + 1, i.e. H / stride for H divisible by stride
    return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


def _upsample_x2(c_in: int, c_out: int, kind: str) -> list[nn.Module]:
    """A x2 upsampling layer from c_in to c_out channels: (N, c_in, H, W) -> (N, c_out, 2H, 2W)."""
    if kind == "transposed":  # (H - 1) * 2 - 2 * 1 + 4 = 2H; k = 4 divisible by s = 2: even overlap
        return [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False)]
    if kind == "resize_conv":  # nearest x2, then a 3x3 "same" conv (Odena et al. 2016)
        return [ResizeConv2d(c_in, c_out, 2, mode="nearest", kernel_size=3, bias=False)]
    # fixed bilinear x2 (F.interpolate, align_corners=False; nothing learned), then a learned 3x3 conv
    return [
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
    ]


class EncoderDecoder(nn.Module):
    """Encoder-decoder for semantic segmentation: downsample 8x to a bottleneck, upsample 8x back, classify.

    Shapes: (N, in_channels, H, W) -> (N, num_classes, H, W) scores (logits), for H and W divisible by 8.

    Architecture (``w = width``; each "block" is Conv 3x3 (no bias) - BatchNorm - ReLU)::

        stem      block in_channels -> w                               H
        down i    block stride 2 c -> 2c, block 2c -> 2c   (i = 1, 2, 3)  H/2, H/4, H/8 (bottleneck, 8w channels)
        up i      upsample x2 2c -> c, BatchNorm, ReLU, block c -> c     H/4, H/2, H (mirror of down)
        head      Conv 1x1 w -> num_classes

    ``upsample`` chooses the x2 layer of the decoder:

    * ``"transposed"``: ``nn.ConvTranspose2d(2c, c, kernel_size=4, stride=2, padding=1)`` (learned; the
      kernel size is a multiple of the stride, so its taps overlap evenly).
    * ``"resize_conv"``: :class:`lecture_lib.checkerboard.ResizeConv2d` (nearest x2, then 3x3 conv).
    * ``"bilinear"``: a fixed bilinear x2 (``nn.Upsample(mode="bilinear", align_corners=False)``, i.e.
      ``F.interpolate``, nothing learned) followed by a learned 3x3 conv. (Not FCN's learnable transposed
      convolution initialised with ``bilinear_kernel``: that would differ from "transposed" only in its
      starting point.)

    There are no skip connections (as in DeconvNet; U-Net adds them): everything the decoder knows passes
    through the bottleneck of ``8 * width`` channels at ``H/8 x W/8``.

    Taught in: chapter "Segmentation" (the encoder-decoder bottleneck; comparing decoders).
    """

    def __init__(self, num_classes: int, upsample: str = "transposed", in_channels: int = 3, width: int = 16):
        super().__init__()
        num_classes = _check_positive_int(num_classes, "num_classes")
        in_channels = _check_positive_int(in_channels, "in_channels")
        width = _check_positive_int(width, "width")
        if upsample not in _SEG_UPSAMPLE:
            raise ValueError(f"upsample={upsample!r} must be one of {_SEG_UPSAMPLE}")
        self.num_classes, self.upsample = num_classes, upsample
        self.in_channels, self.width = in_channels, width
        w = width
        self.encoder = nn.Sequential(
            *_conv_bn_relu(in_channels, w),  # (N, w, H, W)
            *_conv_bn_relu(w, 2 * w, stride=2),  # (N, 2w, H/2, W/2)
            *_conv_bn_relu(2 * w, 2 * w),
            *_conv_bn_relu(2 * w, 4 * w, stride=2),  # (N, 4w, H/4, W/4)
            *_conv_bn_relu(4 * w, 4 * w),
            *_conv_bn_relu(4 * w, 8 * w, stride=2),  # (N, 8w, H/8, W/8): the bottleneck
            *_conv_bn_relu(8 * w, 8 * w),
        )
        self.decoder = nn.Sequential(
            *_upsample_x2(8 * w, 4 * w, upsample),  # (N, 4w, H/4, W/4)
            nn.BatchNorm2d(4 * w),
            nn.ReLU(),
            *_conv_bn_relu(4 * w, 4 * w),
            *_upsample_x2(4 * w, 2 * w, upsample),  # (N, 2w, H/2, W/2)
            nn.BatchNorm2d(2 * w),
            nn.ReLU(),
            *_conv_bn_relu(2 * w, 2 * w),
            *_upsample_x2(2 * w, w, upsample),  # (N, w, H, W)
            nn.BatchNorm2d(w),
            nn.ReLU(),
            *_conv_bn_relu(w, w),
        )
        self.head = nn.Conv2d(w, num_classes, 1)  # (N, num_classes, H, W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != self.in_channels:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (N, {self.in_channels}, H, W); got {shape}")
        check_tensor("x", x, dtype="floating")
        check_module_matches(type(self).__name__, self, x, "x")
        h, w = x.shape[-2:]
        if h % 8 or w % 8 or h < 8 or w < 8:
            raise ValueError(
                f"the input size (H, W)=({h}, {w}) must be a positive multiple of 8 (three stride-2 stages); "
                f"pad or crop to e.g. ({max(8, (h + 7) // 8 * 8)}, {max(8, (w + 7) // 8 * 8)})"
            )
        return self.head(self.decoder(self.encoder(x)))  # (N, num_classes, H, W)

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, upsample={self.upsample!r}, width={self.width}"


class ConvAutoencoder(nn.Module):
    """The lecture's convolutional (denoising) autoencoder for 28 x 28 grey images, with a linear bottleneck.

    Shapes: ``forward`` (N, 1, 28, 28) -> (N, 1, 28, 28) in (0, 1); ``encode`` (N, 1, 28, 28) ->
    (N, latent_dim); ``decode`` (N, latent_dim) -> (N, 1, 28, 28). ``forward(x) = decode(encode(x))``.

    Encoder (``self.encoder``, layer order as in the lecture)::

        Conv2d(1, 32, 3, padding=1)            BatchNorm2d(32)  LeakyReLU   (N, 32, 28, 28)
        Conv2d(32, 64, 3, stride=2, padding=1) BatchNorm2d(64)  LeakyReLU   (N, 64, 14, 14)
        Conv2d(64, 64, 3, stride=2, padding=1) BatchNorm2d(64)  LeakyReLU   (N, 64, 7, 7)
        Flatten  Linear(3136, latent_dim)  LeakyReLU                        (N, latent_dim)

    Decoder (``self.decoder``)::

        Linear(latent_dim, 3136)  Unflatten(1, (64, 7, 7))  LeakyReLU      (N, 64, 7, 7)
        ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1) BatchNorm2d(64) LeakyReLU  (N, 64, 14, 14)
        ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1) BatchNorm2d(32) LeakyReLU  (N, 32, 28, 28)
        ConvTranspose2d(32, 1, 3, padding=1)  Sigmoid                      (N, 1, 28, 28)

    Output sizes: conv ``floor((H + 2p - k) / s) + 1`` gives 28 -> 28 -> 14 -> 7; transposed conv
    ``(H - 1) s - 2p + k + output_padding`` gives 7 -> 14 -> 28 -> 28.

    The LeakyReLU (slope 0.01) after the encoder's Linear is the lecture's: it shrinks negative latent
    coordinates 100-fold. ``latent_activation=False`` drops it (the code is then the Linear's output).

    ``upsample="resize_conv"`` replaces the two stride-2 transposed convolutions by
    :class:`lecture_lib.checkerboard.ResizeConv2d` (nearest x2, then a 3x3 conv with the same channels and
    the same parameter count), keeping every shape; the last stride-1 layer stays. A 3x3 kernel with
    stride 2 overlaps unevenly (taps per output pixel alternate 1, 2), the checkerboard's cause.

    Taught in: chapter "Autoencoders".
    """

    image_shape = (1, 28, 28)

    def __init__(self, latent_dim: int = 2, upsample: str = "transposed", latent_activation: bool = True):
        super().__init__()
        latent_dim = _check_positive_int(latent_dim, "latent_dim")
        if upsample not in _AE_UPSAMPLE:
            raise ValueError(f"upsample={upsample!r} must be one of {_AE_UPSAMPLE}")
        if not isinstance(latent_activation, bool):
            raise TypeError(f"latent_activation={latent_activation!r} must be a bool")
        self.latent_dim, self.upsample, self.latent_activation = latent_dim, upsample, latent_activation

        def up(c_in: int, c_out: int) -> nn.Module:  # (N, c_in, H, W) -> (N, c_out, 2H, 2W)
            if upsample == "transposed":
                return nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1)
            return ResizeConv2d(c_in, c_out, 2, mode="nearest", kernel_size=3)

        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, stride=1, padding=1),  # (N, 32, 28, 28)
            nn.BatchNorm2d(32),
            nn.LeakyReLU(),
            nn.Conv2d(32, 64, kernel_size=3, stride=2, padding=1),  # (N, 64, 14, 14)
            nn.BatchNorm2d(64),
            nn.LeakyReLU(),
            nn.Conv2d(64, 64, kernel_size=3, stride=2, padding=1),  # (N, 64, 7, 7)
            nn.BatchNorm2d(64),
            nn.LeakyReLU(),
            nn.Flatten(),  # (N, 3136)
            nn.Linear(64 * 7 * 7, latent_dim),  # (N, latent_dim)
            *([nn.LeakyReLU()] if latent_activation else []),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 64 * 7 * 7),  # (N, 3136)
            nn.Unflatten(1, (64, 7, 7)),  # (N, 64, 7, 7)
            nn.LeakyReLU(),
            up(64, 64),  # (N, 64, 14, 14)
            nn.BatchNorm2d(64),
            nn.LeakyReLU(),
            up(64, 32),  # (N, 32, 28, 28)
            nn.BatchNorm2d(32),
            nn.LeakyReLU(),
            nn.ConvTranspose2d(32, 1, kernel_size=3, padding=1),  # (N, 1, 28, 28)
            nn.Sigmoid(),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) -> the code z, (N, latent_dim)."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != self.image_shape:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (N, 1, 28, 28); got {shape}")
        check_tensor("x", x, dtype="floating")
        check_module_matches(type(self).__name__, self, x, "x")
        return self.encoder(x)  # (N, latent_dim)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim) -> the reconstruction, (N, 1, 28, 28) in (0, 1)."""
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (N, {self.latent_dim}); got {shape}")
        return self.decoder(z)  # (N, 1, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))  # (N, 1, 28, 28)

    def extra_repr(self) -> str:
        return (
            f"latent_dim={self.latent_dim}, upsample={self.upsample!r}, "
            f"latent_activation={self.latent_activation}"
        )


class DenseAutoencoder(nn.Module):
    """A small fully connected autoencoder: one hidden layer on each side of a linear code.

    Shapes: ``forward`` ``(N, *image_shape)`` -> ``(N, *image_shape)`` in (0, 1); ``encode`` ``(N, *image_shape)`` ->
    (N, latent_dim); ``decode`` (N, latent_dim) -> ``(N, *image_shape)``. With D = prod(image_shape)::

        encoder   Flatten  Linear(D, hidden)  ReLU  Linear(hidden, latent_dim)          (N, latent_dim)
        decoder   Linear(latent_dim, hidden)  ReLU  Linear(hidden, D)  Sigmoid  Unflatten  (N, *image_shape)

    About ``2 D hidden`` multiply-adds per image (0.2 M for 28 x 28 and ``hidden=128``), some 50 times
    fewer than :class:`ConvAutoencoder`: cheap enough to train one per code size, or one per held-out class.
    ``hidden=0`` removes the hidden layers and the sigmoid: a *linear* autoencoder
    ``x_hat = W_dec (W_enc x + b_enc) + b_dec``, whose optimum under the squared error is the PCA projection.

    Taught in: chapter "Autoencoders" (the bottleneck sweep, the linear autoencoder, anomaly detection per
    held-out class).
    """

    def __init__(self, latent_dim: int = 16, hidden: int = 128, image_shape: tuple[int, ...] = (1, 28, 28)):
        super().__init__()
        latent_dim = _check_positive_int(latent_dim, "latent_dim")
        if not isinstance(hidden, numbers.Integral) or isinstance(hidden, bool) or hidden < 0:
            raise ValueError(f"hidden={hidden!r} must be a non-negative int (0: a linear autoencoder)")
        shape = tuple(image_shape) if isinstance(image_shape, tuple | list) else ()
        if not shape or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in shape
        ):
            raise ValueError(f"image_shape={image_shape!r} must be a non-empty tuple of positive ints")
        self.latent_dim, self.hidden, self.image_shape = latent_dim, int(hidden), tuple(int(s) for s in shape)
        d_in = 1
        for s in self.image_shape:
            d_in *= s
        if hidden:
            self.encoder = nn.Sequential(
                nn.Flatten(),  # (N, D)
                nn.Linear(d_in, hidden),  # (N, hidden)
                nn.ReLU(),
                nn.Linear(hidden, latent_dim),  # (N, latent_dim)
            )
            self.decoder = nn.Sequential(
                nn.Linear(latent_dim, hidden),  # (N, hidden)
                nn.ReLU(),
                nn.Linear(hidden, d_in),  # (N, D)
                nn.Sigmoid(),
                nn.Unflatten(1, self.image_shape),  # (N, *image_shape)
            )
        else:
            self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(d_in, latent_dim))  # (N, latent_dim)
            self.decoder = nn.Sequential(nn.Linear(latent_dim, d_in), nn.Unflatten(1, self.image_shape))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, *image_shape)`` -> the code z, (N, latent_dim)."""
        if not isinstance(x, torch.Tensor) or x.dim() < 2 or tuple(x.shape[1:]) != self.image_shape:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.image_shape))}); got {shape}")
        check_tensor("x", x, dtype="floating")
        check_module_matches(type(self).__name__, self, x, "x")
        return self.encoder(x)  # (N, latent_dim)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim) -> the reconstruction, ``(N, *image_shape)``."""
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (N, {self.latent_dim}); got {shape}")
        return self.decoder(z)  # (N, *image_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))  # (N, *image_shape)

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, hidden={self.hidden}, image_shape={self.image_shape}"

"""The two classic answers to the blobby outputs of a plain encoder-decoder: U-Net's skip connections and
SegNet's max-unpooling with the encoder's pooling switches.

Both mirror :class:`lecture_lib.models.EncoderDecoder` (three x2 stages down to ``H/8``, the same channel
widths ``w, 2w, 4w, 8w``, every block a 3x3 convolution without bias, BatchNorm and ReLU), so that a chapter
can train the three side by side and attribute a difference to the one thing that differs:

* :class:`UNet` (Ronneberger et al. 2015; FCN-8s by Long et al. 2015 adds coarse and fine scores instead of
  concatenating features) hands each encoder stage's output to the decoder stage of the same resolution,
  which concatenates it with the upsampled features: the outlines need not pass through the bottleneck.
* :class:`SegNet` (Badrinarayanan et al. 2017) downsamples with 2x2 max-pooling, keeps where each maximum
  was (the *switches*) and upsamples with ``nn.MaxUnpool2d`` at exactly those positions: no learned
  upsampling weights, but the decoder knows, within every 2x2 window, where the strongest response sat.

Taught in: chapter "Segmentation" (skip connections and unpooling switches).
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_module_matches, check_tensor
from .models import _SEG_UPSAMPLE, _check_positive_int, _conv_bn_relu, _upsample_x2

__all__ = ["SegNet", "UNet"]


def _check_input(model: nn.Module, x: object) -> torch.Tensor:
    """(N, in_channels, H, W), floating, H and W positive multiples of 8, on the model's device and dtype."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != model.in_channels:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must have shape (N, {model.in_channels}, H, W); got {shape}")
    check_tensor("x", x, dtype="floating")
    check_module_matches(type(model).__name__, model, x, "x")
    h, w = x.shape[-2:]
    if h % 8 or w % 8 or h < 8 or w < 8:
        raise ValueError(
            f"the input size (H, W)=({h}, {w}) must be a positive multiple of 8 (three x2 stages); "
            f"pad or crop to e.g. ({max(8, (h + 7) // 8 * 8)}, {max(8, (w + 7) // 8 * 8)})"
        )
    return x


def _check_args(num_classes: int, in_channels: int, width: int) -> tuple[int, int, int]:
    return (
        _check_positive_int(num_classes, "num_classes"),
        _check_positive_int(in_channels, "in_channels"),
        _check_positive_int(width, "width"),
    )


class UNet(nn.Module):
    """U-Net-style encoder-decoder: :class:`~lecture_lib.models.EncoderDecoder` plus skip connections.

    Shapes: (N, in_channels, H, W) -> (N, num_classes, H, W) scores (logits), for H and W divisible by 8.

    Architecture (``w = width``; "block" is Conv 3x3 (no bias) - BatchNorm - ReLU; ``[a, b]`` concatenates
    along the channels)::

        stem       e0 = block(x)                   in -> w           H
        down i     e_i = block(block_s2(e_{i-1}))  c -> 2c -> 2c     H/2, H/4, H/8 (i = 1, 2, 3; e3 = bottleneck)
        up i       d = up_x2(d), BatchNorm, ReLU   2c -> c           H/4, H/2, H   (i = 3, 2, 1; d starts at e3)
                   d = block([d, e_{i-1}])         c + c -> c        the skip: e_{i-1} has the same size
        head       Conv 1x1 w -> num_classes

    ``upsample`` picks ``up_x2`` as in :class:`~lecture_lib.models.EncoderDecoder` (``"transposed"``: a 4x4
    stride-2 transposed convolution, U-Net's "up-convolution"; ``"resize_conv"``; ``"bilinear"``). The
    encoder and the upsampling layers are those of ``EncoderDecoder``; only the first convolution of each
    decoder block has ``2c`` instead of ``c`` input channels, ``9 c^2`` more weights per stage. Its input
    channels ``c .. 2c - 1`` (``self.decoder[k][0].weight[:, c:]``) read the skip: zero them and the network
    is an ``EncoderDecoder`` again.

    Taught in: chapter "Segmentation" (skip connections, Ronneberger et al. 2015; Long et al. 2015).
    """

    def __init__(self, num_classes: int, upsample: str = "transposed", in_channels: int = 3, width: int = 8):
        super().__init__()
        num_classes, in_channels, width = _check_args(num_classes, in_channels, width)
        if upsample not in _SEG_UPSAMPLE:
            raise ValueError(f"upsample={upsample!r} must be one of {_SEG_UPSAMPLE}")
        self.num_classes, self.upsample = num_classes, upsample
        self.in_channels, self.width = in_channels, width
        w = width
        self.stem = nn.Sequential(*_conv_bn_relu(in_channels, w))  # (N, w, H, W)
        self.down = nn.ModuleList(
            nn.Sequential(*_conv_bn_relu(c, 2 * c, stride=2), *_conv_bn_relu(2 * c, 2 * c))  # H/2^i, 2c
            for c in (w, 2 * w, 4 * w)
        )
        self.up = nn.ModuleList(
            nn.Sequential(*_upsample_x2(2 * c, c, upsample), nn.BatchNorm2d(c), nn.ReLU())  # x2, 2c -> c
            for c in (4 * w, 2 * w, w)
        )
        self.decoder = nn.ModuleList(nn.Sequential(*_conv_bn_relu(2 * c, c)) for c in (4 * w, 2 * w, w))
        self.head = nn.Conv2d(w, num_classes, 1)  # (N, num_classes, H, W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_input(self, x)
        skips = [self.stem(x)]  # e0: (N, w, H, W)
        for stage in self.down:
            skips.append(stage(skips[-1]))  # e1, e2, e3: (N, 2w, H/2, W/2), (N, 4w, ...), (N, 8w, H/8, W/8)
        d = skips.pop()  # the bottleneck e3
        for up, fuse in zip(self.up, self.decoder):
            d = up(d)  # (N, c, 2h, 2w)
            d = fuse(torch.cat([d, skips.pop()], dim=1))  # (N, 2c, 2h, 2w) -> (N, c, 2h, 2w)
        return self.head(d)  # (N, num_classes, H, W)

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, upsample={self.upsample!r}, width={self.width}"


class SegNet(nn.Module):
    """SegNet-style encoder-decoder: max-pooling with switches down, max-unpooling at the switches up.

    Shapes: (N, in_channels, H, W) -> (N, num_classes, H, W) scores (logits), for H and W divisible by 8.

    Architecture (``w = width``; "block" is Conv 3x3 (no bias) - BatchNorm - ReLU)::

        stem      block in -> w                                   H
        down i    MaxPool 2x2 (keep indices_i), block c -> 2c,    H/2, H/4, H/8 (i = 1, 2, 3)
                  block 2c -> 2c  (c = w, 2w, 4w; the last one is 8w -> 4w: the bottleneck returns to 4w)
        up i      MaxUnpool 2x2 with indices_i, block c -> c,     H/4, H/2, H  (i = 3, 2, 1; c = 4w, 2w, w)
                  block c -> c/2 (the last stage: block w -> w)
        head      Conv 1x1 w -> num_classes

    Pooling ``i`` stores, for each 2x2 window, the flat index of its maximum (``nn.MaxPool2d(2,
    return_indices=True)``); unpooling ``i`` (``nn.MaxUnpool2d(2)``) writes every value back at that index of
    the ``2h x 2w`` map and zeros elsewhere: the decoder stage of a resolution uses the switches of the
    encoder stage of the same resolution (``self.unpool[k]`` with the indices of ``self.pool[2 - k]``). The
    channel counts match EncoderDecoder's (up to ``8w`` in the bottleneck) but nothing upsamples with
    learned weights.

    Taught in: chapter "Segmentation" (unpooling switches, Badrinarayanan et al. 2017).
    """

    def __init__(self, num_classes: int, in_channels: int = 3, width: int = 8):
        super().__init__()
        num_classes, in_channels, width = _check_args(num_classes, in_channels, width)
        self.num_classes, self.in_channels, self.width = num_classes, in_channels, width
        w = width
        self.stem = nn.Sequential(*_conv_bn_relu(in_channels, w))  # (N, w, H, W)
        self.pool = nn.ModuleList(nn.MaxPool2d(2, stride=2, return_indices=True) for _ in range(3))
        # after pooling i: (N, 2w, H/2, W/2), (N, 4w, H/4, W/4), (N, 4w, H/8, W/8) (8w inside the bottleneck)
        self.down = nn.ModuleList(
            nn.Sequential(*_conv_bn_relu(c_in, c_mid), *_conv_bn_relu(c_mid, c_out))
            for c_in, c_mid, c_out in ((w, 2 * w, 2 * w), (2 * w, 4 * w, 4 * w), (4 * w, 8 * w, 4 * w))
        )
        self.unpool = nn.ModuleList(nn.MaxUnpool2d(2, stride=2) for _ in range(3))
        # after unpooling i: (N, 2w, H/4, W/4), (N, w, H/2, W/2), (N, w, H, W)
        self.up = nn.ModuleList(
            [
                nn.Sequential(*_conv_bn_relu(4 * w, 4 * w), *_conv_bn_relu(4 * w, 2 * w)),
                nn.Sequential(*_conv_bn_relu(2 * w, 2 * w), *_conv_bn_relu(2 * w, w)),
                nn.Sequential(*_conv_bn_relu(w, w)),
            ]
        )
        self.head = nn.Conv2d(w, num_classes, 1)  # (N, num_classes, H, W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_input(self, x)
        h = self.stem(x)  # (N, w, H, W)
        switches = []
        for pool, stage in zip(self.pool, self.down):
            h, indices = pool(h)  # (N, c, h/2, w/2) and where each maximum was in the (h, w) map
            switches.append(indices)
            h = stage(h)
        for unpool, stage in zip(self.unpool, self.up):
            h = unpool(h, switches.pop())  # (N, c, 2h, 2w): values back at the maxima, zeros elsewhere
            h = stage(h)
        return self.head(h)  # (N, num_classes, H, W)

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, width={self.width}"

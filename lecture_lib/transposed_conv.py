"""Transposed convolution from scratch: the matrix view, the distribution and collection views, a fast path.

A 2-D transposed convolution with stride s, padding p, output padding a and dilation d maps an input of
size (H, W) to an output of size

    H_out = (H - 1) * s - 2 * p + d * (k - 1) + 1 + a        (and the same for W)

This module gathers the public names, so that ``from lecture_lib.transposed_conv import conv_transpose2d``
works; each concept lives in its own module, and all five ways to compute it have the semantics of
``torch.nn.functional.conv_transpose2d``:

- ``lecture_lib.transposed_conv_views``: the teaching versions, written as the lecture writes them:
  ``conv2d_matrix`` builds the matrix C of a convolution (the transposed convolution multiplies by C^T);
  ``conv_transpose2d_scatter`` (distribution view), where every input pixel scatters ``value * kernel``
  into the output, a ``torch.autograd.Function`` (``ConvTranspose2dScatterFunction``) with a hand-written
  backward; ``conv_transpose2d_zero_insert`` (collection view): insert s - 1 zeros between input pixels,
  pad, flip the kernel and convolve with stride 1;
- ``lecture_lib.transposed_conv_col2im``: ``conv_transpose2d_col2im``, the matrix view at full size, one
  matrix product per group, then col2im (what ``F.fold`` does);
- ``lecture_lib.transposed_conv_fast``: ``conv_transpose2d``, the fast path: the output split into its
  s_h * s_w phases, each an ordinary stride-1 convolution of the input with the kernel taps that land in
  that phase, then interleaved;
- ``lecture_lib.transposed_conv_layer``: ``ConvTranspose2d``, an ``nn.Module`` whose weights load both ways
  with ``nn.ConvTranspose2d``.

The argument checks and memory budgets they share are in ``lecture_lib._transposed_conv_checks``.

Taught in: chapter "Transposed convolution from scratch".
"""

from __future__ import annotations

from .transposed_conv_col2im import conv_transpose2d_col2im
from .transposed_conv_fast import conv_transpose2d
from .transposed_conv_layer import ConvTranspose2d
from .transposed_conv_views import (
    ConvTranspose2dScatterFunction,
    conv2d_matrix,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insert,
)

__all__ = [
    "ConvTranspose2d",
    "ConvTranspose2dScatterFunction",
    "conv2d_matrix",
    "conv_transpose2d",
    "conv_transpose2d_col2im",
    "conv_transpose2d_scatter",
    "conv_transpose2d_zero_insert",
]

"""Interactive explorers, one per chapter: live controls in a kernel, a figure of the default state in the book.

An :class:`~lecture_lib.explore._core.Explorer` holds its controls (``explorer.controls["stride"]`` is an ipywidgets slider), a
``summary`` line with the computed numbers, and an ``image`` widget with the current figure. Displayed in
Jupyter or Colab it shows the live controls; its MIME bundle also carries a PNG of the default state and a
one-line text, which is what the rendered book (which has no kernel) shows. Each chapter's explorer lives in
``lecture_lib.explore.<topic>``.
"""

from ._core import Explorer
from .autoencoder import denoising_explorer, latent_explorer
from .checkerboard import checkerboard_explorer
from .conv_arith import conv_arithmetic_explorer
from .datasets import iou_explorer
from .gated import lstm_cell_explorer
from .init import init_explorer
from .rnn import bptt_paths_explorer, gradient_flow_explorer
from .segmentation import sliding_window_explorer
from .training import training_explorer
from .transposed_conv import transposed_conv_explorer
from .upsample import upsampling_explorer

__all__ = [
    "Explorer",
    "conv_arithmetic_explorer",
    "iou_explorer",
    "upsampling_explorer",
    "bptt_paths_explorer",
    "gradient_flow_explorer",
    "lstm_cell_explorer",
    "checkerboard_explorer",
    "training_explorer",
    "transposed_conv_explorer",
    "sliding_window_explorer",
    "latent_explorer",
    "denoising_explorer",
    "init_explorer",
]

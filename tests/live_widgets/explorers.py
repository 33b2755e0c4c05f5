"""The explorers that tests/test_live_widgets.py shows in JupyterLab: every chapter's, as the chapter builds it.

Each entry gives the chapter, the code of one notebook cell that builds the explorer and displays it (with
the chapter's starting values; the two autoencoder explorers and the training explorer take a small untrained
model or made-up curves instead of the chapter's trained ones), and the control the test moves: its position
among the explorer's controls, its description as shown, and how to move it (``"right"``/``"left"``: one arrow
key on a slider; ``"click"``: the first button of a toggle that is not selected).
"""

from __future__ import annotations

from typing import NamedTuple

import nbformat


class LiveExplorer(NamedTuple):
    chapter: str
    source: str
    control: int  # position of the moved control in the explorer's row of controls
    description: str  # its label, as the front end shows it
    move: str  # "right" or "left" (slider, one arrow key) or "click" (toggle button)


SETUP = """\
import ipywidgets
import torch

import lecture_lib.explore as explore
from lecture_lib.models import ConvAutoencoder

torch.manual_seed(0)
print(f"ipywidgets {ipywidgets.__version__}")"""

EXPLORERS = [
    LiveExplorer(  # L_5 has no loss with "last step only": the focus moves to L_6 (it gave no figure before)
        "rnn_bptt", "explore.bptt_paths_explorer(T=6, truncate=3, focus=5)", 2, "losses", "click"
    ),
    LiveExplorer(
        "vanishing_gradients",
        'explore.gradient_flow_explorer(spectral_radius=1.1, activation="linear", T=100)',
        0,
        "ρ(W_rec)",
        "right",
    ),
    LiveExplorer(
        "initialisation",
        'explore.init_explorer(init="xavier", activation="tanh", depth=20, width=128)',
        1,
        "f",
        "click",
    ),
    LiveExplorer(
        "lstm_gru",
        "explore.lstm_cell_explorer(forget_bias=4.0, input_bias=-5.0, output_bias=0.0, noise=0.5, T=40)",
        0,
        "forget b_f",
        "left",
    ),
    LiveExplorer(
        "training_rnns",
        """\
steps = torch.arange(1, 201, dtype=torch.float64)
curves = {
    "falls": {"loss": (0.2 * torch.exp(-steps / 40)).tolist(), "eval_steps": [50, 100, 150, 200],
              "eval_mse": [0.05, 0.008, 0.002, 0.001]},
    "flat": {"loss": [0.17] * 200, "eval_steps": [50, 100, 150, 200], "eval_mse": [0.17, 0.168, 0.169, 0.17]},
}
explore.training_explorer(curves, recipe="falls", smooth=20)""",
        1,
        "smooth",
        "right",
    ),
    LiveExplorer("voc_coco", "explore.iou_explorer()", 0, "x", "right"),
    LiveExplorer(
        "conv_arithmetic",
        "explore.conv_arithmetic_explorer(input_size=5, kernel_size=3, stride=2, padding=1)",
        6,
        "kind",
        "click",
    ),
    LiveExplorer(
        "transposed_conv",
        "explore.transposed_conv_explorer(input_size=2, kernel_size=3, stride=2, padding=0, "
        "output_padding=0)",
        0,
        "input i",
        "right",
    ),
    LiveExplorer(
        "upsampling", 'explore.upsampling_explorer(method="bilinear", scale_factor=2)', 1, "scale s", "click"
    ),
    LiveExplorer(
        "checkerboard",
        "explore.checkerboard_explorer(kernel_size=3, stride=2, input_size=5)",
        0,
        "kernel k",
        "right",
    ),
    LiveExplorer(
        "segmentation",
        "explore.sliding_window_explorer(height=375, width=500, patch_size=65, stride=1)",
        3,
        "stride s",
        "right",
    ),
    LiveExplorer(
        "autoencoders (latent space)",
        """\
model2 = ConvAutoencoder(latent_dim=2, latent_activation=False).eval()
explore.latent_explorer(model2, z=(0.5, -1.0))""",
        0,
        "z₁",
        "right",
    ),
    LiveExplorer(
        "autoencoders (denoising)",
        """\
models = {"plain": ConvAutoencoder(latent_dim=16).eval(), "denoising": ConvAutoencoder(latent_dim=16).eval()}
images = torch.rand(4, 1, 28, 28)
explore.denoising_explorer(models, images, kind="gaussian", noise_factor=0.3, index=1)""",
        1,
        "level",
        "right",
    ),
]


def build_notebook() -> nbformat.NotebookNode:
    """The notebook: the set-up cell, then one cell per explorer, in book order."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(SETUP)] + [nbformat.v4.new_code_cell(e.source) for e in EXPLORERS]
    return nb

"""Bad-input specs: lecture_lib.linear_fit (the closed-form least-squares fit of a layer).

See tests/badinput.py for the machinery.
"""

from __future__ import annotations

import torch
from badinput import Arg, Spec
from torch import nn

from lecture_lib import linear_fit


def _layer() -> nn.Module:
    return nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1).double()


# The module is deep-copied for every call (tests/badinput.py), so each call fits a fresh layer.
SPECS = [
    Spec(
        "lecture_lib.linear_fit.least_squares_fit_",
        linear_fit.least_squares_fit_,
        {
            "module": Arg(_layer(), "module"),
            "input": Arg(
                torch.randn(1, 1, 3, 3, dtype=torch.float64),
                "tensor",
                dtype="floating",
                finite=True,
                ndims=(3, 4, 5),  # what the module accepts decides; a layer that refuses raises its own error
            ),
            "target": Arg(
                torch.randn(1, 1, 6, 6, dtype=torch.float64), "tensor", dtype="floating", finite=True
            ),
        },
    ),
]

"""Bad-input specs: the checkerboard exercise checker (lecture_lib.exercises.checkerboard).

See tests/badinput.py for the machinery.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from badinput import Arg, Spec

from lecture_lib.exercises import checkerboard as ex_checkerboard


def _kernel(weight: torch.Tensor) -> torch.Tensor:
    """A right answer: the flipped 3x3 kernel convolved (full) with a 2x2 box, as (C_in, C_out, 4, 4)."""
    c_out, c_in = weight.shape[:2]
    flipped = weight.flip(-2, -1).reshape(c_out * c_in, 1, 3, 3)
    box = torch.ones(1, 1, 2, 2, dtype=weight.dtype)
    return F.conv2d(F.pad(flipped, (1, 1, 1, 1)), box).reshape(c_out, c_in, 4, 4).transpose(0, 1)


SPECS = [
    Spec(
        "lecture_lib.exercises.checkerboard.check_resize_conv_as_transposed",
        ex_checkerboard.check_resize_conv_as_transposed,
        {
            "fn": Arg(_kernel, "callable"),
            "n_cases": Arg(3, "size", huge=True),
            "seed": Arg(0, "int", bad=(("too-big", 2**64), ("too-negative", -(2**63) - 1))),
        },
    ),
]

"""Bad-input specs: upsample_bicubic (see tests/badinput.py)."""

from __future__ import annotations

import math

import torch
from badinput import Arg, Spec

from lecture_lib import upsample_bicubic


def _t(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


_BAD_A = (("nan", math.nan), ("inf", math.inf), ("str", "-0.75"), ("bool", True), ("complex", -0.75j))

SPECS = [
    Spec(
        "lecture_lib.upsample_bicubic.cubic_kernel",
        upsample_bicubic.cubic_kernel,
        {
            "t": Arg(_t(7), "tensor", ndims=tuple(range(9)), half_ok=True),  # any shape
            "a": Arg(-0.75, "real", bad=_BAD_A),
        },
    ),
    Spec(
        "lecture_lib.upsample_bicubic.bicubic_matrix",
        upsample_bicubic.bicubic_matrix,
        {
            "in_size": Arg(3, "size", huge=True),
            "out_size": Arg(6, "size", huge=True),
            "align_corners": Arg(False, "bool"),
            "scale_factor": Arg(
                2.0, "real", optional=True, minimum=0.0, bad=(("zero", 0.0), ("pair", (2.0, 2.0)))
            ),
            "a": Arg(-0.75, "real", bad=_BAD_A),
            "dtype": Arg(torch.float64, "dtype", optional=True),
            "device": Arg("cpu", "device", optional=True),
        },
    ),
    Spec(
        "lecture_lib.upsample_bicubic.bicubic_upsample",
        upsample_bicubic.bicubic_upsample,
        {
            "x": Arg(_t(1, 2, 3, 3), "tensor", half_ok=True),
            "scale_factor": Arg(
                2.0,
                "real",
                minimum=0.0,
                bad=(
                    ("zero", 0.0),
                    ("huge", 1e12),
                    ("huge-pair", (2.0, 1e15)),
                    ("too-small", 0.01),
                    ("nan-pair", (2.0, math.nan)),
                    ("triple", (2.0, 2.0, 2.0)),
                    ("bool-pair", (True, 2.0)),
                    ("str-pair", "22"),
                ),
            ),
            "align_corners": Arg(False, "bool", bad=(("str-False", "False"), ("int", 0))),
            "a": Arg(-0.75, "real", bad=_BAD_A),
        },
    ),
]

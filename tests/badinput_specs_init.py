"""Bad-input specs: lecture_lib.init and lecture_lib.device (see tests/badinput.py for the machinery).

The init functions fill float16 and bfloat16 tensors as torch.nn.init does (``half_ok=True``); integer,
bool and complex tensors are refused.
"""

from __future__ import annotations

import torch
from badinput import Arg, Spec

from lecture_lib import device, init


def _w(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


_BAD_GENERATOR = (("generator-int", 3), ("generator-seed-str", "0"), ("generator-tensor", torch.zeros(1)))

CONSTANTS = ["lecture_lib.__version__"]

SPECS = [
    Spec(
        "lecture_lib.init.calculate_fans",
        init.calculate_fans,
        {"tensor": Arg(_w(3, 4, 2), "tensor", ndims=(2, 3, 4, 5), dtype=None)},
    ),
    Spec(
        "lecture_lib.init.calculate_gain",
        init.calculate_gain,
        {"nonlinearity": Arg("leaky_relu", "choice"), "param": Arg(0.1, "real", optional=True)},
    ),
    Spec(
        "lecture_lib.init.xavier_uniform_",
        init.xavier_uniform_,
        {
            "tensor": Arg(_w(3, 4), "tensor", ndims=(2, 3, 4, 5), half_ok=True),
            "gain": Arg(1.0, "real", minimum=0.0),
            "generator": Arg(_gen(), "any", optional=True, bad=_BAD_GENERATOR),
        },
    ),
    Spec(
        "lecture_lib.init.xavier_normal_",
        init.xavier_normal_,
        {
            "tensor": Arg(_w(3, 4), "tensor", ndims=(2, 3, 4, 5), half_ok=True),
            "gain": Arg(1.0, "real", minimum=0.0),
            "generator": Arg(_gen(), "any", optional=True, bad=_BAD_GENERATOR),
        },
    ),
    Spec(
        "lecture_lib.init.kaiming_normal_",
        init.kaiming_normal_,
        {
            "tensor": Arg(_w(3, 4), "tensor", ndims=(2, 3, 4, 5), half_ok=True),
            "a": Arg(0.0, "real"),
            "mode": Arg("fan_in", "choice"),
            "nonlinearity": Arg("leaky_relu", "choice"),
            "generator": Arg(_gen(), "any", optional=True, bad=_BAD_GENERATOR),
        },
    ),
    Spec(
        "lecture_lib.init.identity_",
        init.identity_,
        {"tensor": Arg(_w(4, 4), "tensor", half_ok=True), "gain": Arg(1.0, "real")},
    ),
    Spec(
        "lecture_lib.init.np_rnn_",
        init.np_rnn_,
        {
            "tensor": Arg(_w(4, 4), "tensor", half_ok=True),
            "generator": Arg(_gen(), "any", optional=True, bad=_BAD_GENERATOR),
        },
    ),
    Spec(
        "lecture_lib.device.get_device",
        device.get_device,
        {"prefer": Arg("cpu", "device", optional=True, bad=(("torch-device", 3),))},
    ),
    Spec(
        "lecture_lib.device.seed_everything",
        device.seed_everything,
        {"seed": Arg(0, "int", minimum=0, bad=(("too-big", 2**32),))},
    ),
]

"""Bad-input specs: transposed_conv, upsample, conv_arith, checkerboard and plotting (see tests/badinput.py)."""

from __future__ import annotations

import math

import numpy as np
import torch
from badinput import Arg, Spec
from matplotlib.figure import Figure
from torch import nn

from lecture_lib import checkerboard, conv_arith, plotting, transposed_conv, upsample


def _t(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


HUGE = 2**40
# a pair argument (stride=(2, 2)) has its own bad values besides the generated ones for an int
_BAD_PAIR = (("triple", (1, 1, 1)), ("bool-pair", (True, 1)), ("float-pair", (1.0, 1)), ("str-pair", "11"))
_BAD_SHAPE = (("zero", (0, 0)), ("negative", (-6, -6)), ("huge", (HUGE, HUGE)), ("bool-items", (True, True)))
# tensors that may be float16 or bfloat16: the convolutions are drop-ins for F.conv_transpose2d, which
# accepts half precision, and test_transposed_conv checks that they agree with it in float16


# ---------------------------------------------------------------------------------------------- transposed_conv
def _conv_args(pairs: bool = False) -> dict[str, Arg]:
    """input (1, 4, 3, 3), weight (4, 2, 3, 3), bias (2,), stride 2, padding 1, output_padding 1."""

    def size(v: int, **kw) -> Arg:
        return Arg((v, v) if pairs else v, "size", huge=True, bad=_BAD_PAIR, **kw)

    args = {
        "input": Arg(_t(1, 4, 3, 3), "tensor", ndims=(4,) if pairs else (3, 4), half_ok=True),
        "weight": Arg(_t(4, 2, 3, 3, seed=1), "tensor", half_ok=True),
        "bias": Arg(_t(2, seed=2), "tensor", optional=True, half_ok=True),
        "stride": size(2),
        "padding": size(1, minimum=0),
        "output_padding": size(1, minimum=0),
    }
    if not pairs:
        args["groups"] = Arg(1, "size", huge=True)
    args["dilation"] = size(1)
    return args


def _conv_spec(fn) -> Spec:
    return Spec(f"{fn.__module__}.{fn.__name__}", fn, _conv_args())


def _scatter_apply(input, weight, bias, stride, padding, output_padding, dilation):
    return transposed_conv.ConvTranspose2dScatterFunction.apply(
        input, weight, bias, stride, padding, output_padding, dilation
    )


_CT_LAYER = transposed_conv.ConvTranspose2d(4, 2, 3, stride=2, padding=1)


def _ct_forward(input, output_size):
    return _CT_LAYER(input, output_size=output_size)


_CT_SPECS = [
    *(
        _conv_spec(fn)
        for fn in (
            transposed_conv.conv_transpose2d,
            transposed_conv.conv_transpose2d_scatter,
            transposed_conv.conv_transpose2d_zero_insert,
            transposed_conv.conv_transpose2d_col2im,
        )
    ),
    Spec(
        "lecture_lib.transposed_conv_views.ConvTranspose2dScatterFunction",
        _scatter_apply,
        _conv_args(pairs=True),
    ),
    Spec(
        "lecture_lib.transposed_conv_views.conv2d_matrix",
        transposed_conv.conv2d_matrix,
        {
            "kernel": Arg(_t(3, 3), "tensor", half_ok=True, bad=(("empty", torch.zeros(0, 3)),)),
            "input_size": Arg(5, "size", huge=True, bad=_BAD_PAIR),
            "stride": Arg(2, "size", huge=True, bad=_BAD_PAIR),
            "padding": Arg(1, "size", minimum=0, huge=True, bad=_BAD_PAIR),
            "dilation": Arg(1, "size", huge=True, bad=_BAD_PAIR),
        },
        skip={
            "stride:huge": "a stride beyond the input leaves one output pixel per dimension: a valid "
            "(1, H * W) matrix, as F.conv2d gives; nothing grows with the stride"
        },
    ),
    Spec(
        "lecture_lib.transposed_conv_layer.ConvTranspose2d",
        transposed_conv.ConvTranspose2d,
        {
            "in_channels": Arg(4, "size", huge=True),
            "out_channels": Arg(2, "size", huge=True),
            "kernel_size": Arg(3, "size", huge=True, bad=_BAD_PAIR),
            "stride": Arg(2, "size", huge=True, bad=_BAD_PAIR),
            "padding": Arg(1, "size", minimum=0, huge=True, bad=_BAD_PAIR),
            "output_padding": Arg(1, "size", minimum=0, huge=True, bad=_BAD_PAIR),
            "groups": Arg(1, "size", huge=True),
            "bias": Arg(True, "bool"),
            "dilation": Arg(1, "size", huge=True, bad=_BAD_PAIR),
            "padding_mode": Arg("zeros", "choice"),
            "device": Arg("cpu", "device", optional=True),
            "dtype": Arg(torch.float32, "dtype", optional=True),
        },
    ),
    Spec(
        "lecture_lib.transposed_conv_layer.ConvTranspose2d.forward",
        _ct_forward,
        {
            "input": Arg(
                _t(1, 4, 3, 3),
                "tensor",
                ndims=(3, 4),
                bad=(("meta", _t(1, 4, 3, 3).to("meta")), ("float64", _t(1, 4, 3, 3).double())),
            ),
            "output_size": Arg(
                (6, 6),
                "seq",
                optional=True,
                bad=(
                    *_BAD_SHAPE,
                    ("unreachable", (9, 9)),
                    ("int", 6),
                    ("wrong-length", (6,)),
                    ("five", (1, 1, 1, 6, 6)),
                    ("other-batch", (2, 2, 6, 6)),
                    ("other-channels", (1, 3, 6, 6)),
                ),
            ),
        },
    ),
]


# ---------------------------------------------------------------------------------------------- upsample
def _upsample_spec(fn) -> Spec:
    return Spec(
        f"lecture_lib.upsample.{fn.__name__}",
        fn,
        {
            "x": Arg(_t(1, 2, 3, 3), "tensor", dtype="real", half_ok=True),
            "scale_factor": Arg(2, "size", huge=True, bad=_BAD_PAIR),
        },
    )


_POOLED, _SWITCHES = upsample.max_pool2d_with_switches(_t(1, 2, 4, 4), 2)

_UPSAMPLE_SPECS = [
    _upsample_spec(upsample.nearest_upsample),
    _upsample_spec(upsample.bed_of_nails_upsample),
    Spec(
        "lecture_lib.upsample.max_pool2d_with_switches",
        upsample.max_pool2d_with_switches,
        {
            "input": Arg(_t(1, 2, 4, 4), "tensor", dtype="real", half_ok=True),
            "kernel_size": Arg(2, "size", huge=True, bad=_BAD_PAIR),
            "stride": Arg(2, "size", optional=True, bad=_BAD_PAIR),
        },
    ),
    Spec(
        "lecture_lib.upsample.max_unpool2d",
        upsample.max_unpool2d,
        {
            "input": Arg(_POOLED, "tensor", dtype="real", half_ok=True),
            "indices": Arg(
                _SWITCHES,
                "tensor",
                dtype="integer",
                bad=(("out-of-range", _SWITCHES + 100), ("negative", -_SWITCHES - 1)),
            ),
            "kernel_size": Arg(2, "size", huge=True, bad=_BAD_PAIR),
            "stride": Arg(2, "size", optional=True, huge=True, bad=_BAD_PAIR),
            "padding": Arg(0, "size", minimum=0, huge=True, bad=_BAD_PAIR),
            # None: the default size (with a given output_size PyTorch's rule accepts any stride it lies within)
            "output_size": Arg(
                None, "seq", optional=True, bad=(*_BAD_SHAPE, ("int", 4), ("other-batch", (3, 2, 4, 4)))
            ),
        },
    ),
    Spec(
        "lecture_lib.upsample.bilinear_matrix",
        upsample.bilinear_matrix,
        {
            "in_size": Arg(3, "size", huge=True),
            "out_size": Arg(6, "size", huge=True),
            "align_corners": Arg(False, "bool"),
            "scale_factor": Arg(
                2.0, "real", optional=True, minimum=0.0, bad=(("zero", 0.0), ("pair", (2.0, 2.0)))
            ),
            "dtype": Arg(torch.float64, "dtype", optional=True),
            "device": Arg("cpu", "device", optional=True),
        },
    ),
    Spec(
        "lecture_lib.upsample.bilinear_upsample",
        upsample.bilinear_upsample,
        {
            "x": Arg(_t(1, 2, 3, 3), "tensor", half_ok=True),
            "scale_factor": Arg(
                2.0,
                "real",
                minimum=0.0,
                bad=(
                    ("zero", 0.0),
                    ("huge", 1e12),
                    ("too-small", 0.01),
                    ("nan-pair", (2.0, math.nan)),
                    ("triple", (2.0, 2.0, 2.0)),
                    ("bool-pair", (True, 2.0)),
                    ("str-pair", "22"),
                ),
            ),
            "align_corners": Arg(False, "bool"),
        },
    ),
    Spec(
        "lecture_lib.upsample.bilinear_kernel",
        upsample.bilinear_kernel,
        {
            "in_channels": Arg(2, "size", huge=True),
            "out_channels": Arg(2, "size", huge=True),
            "kernel_size": Arg(4, "size", huge=True, bad=_BAD_PAIR),
            "dtype": Arg(torch.float64, "dtype", optional=True),
            "device": Arg("cpu", "device", optional=True),
        },
    ),
]


# ---------------------------------------------------------------------------------------------- conv_arith
def _arith_spec(fn, names: dict[str, tuple[int, int]], **extra: Arg) -> Spec:
    """Every size argument an int or a tuple; (value, minimum) per name."""
    args = {
        name: Arg(value, "size", minimum=minimum, bad=(("empty-tuple", ()), ("float-items", (1.5, 2))))
        for name, (value, minimum) in names.items()
    }
    args.update(extra)
    return Spec(f"lecture_lib.conv_arith.{fn.__name__}", fn, args)


_LS = conv_arith.LayerShape("0", "Linear(in_features=4, out_features=2, bias=True)", (1, 4), (1, 2), 10)

_ARITH_SPECS = [
    _arith_spec(
        conv_arith.conv_output_size,
        {"size": (5, 1), "kernel_size": (3, 1), "stride": (2, 1), "padding": (1, 0), "dilation": (1, 1)},
    ),
    _arith_spec(
        conv_arith.pool_output_size,
        {"size": (5, 1), "kernel_size": (3, 1), "padding": (1, 0), "dilation": (1, 1)},
        stride=Arg(2, "size", optional=True),
        ceil_mode=Arg(False, "bool"),
    ),
    _arith_spec(
        conv_arith.conv_transpose_output_size,
        {
            "size": (3, 1),
            "kernel_size": (3, 1),
            "stride": (2, 1),
            "padding": (1, 0),
            "output_padding": (1, 0),
            "dilation": (1, 1),
        },
    ),
    _arith_spec(
        conv_arith.required_output_padding,
        {
            "input_size": (3, 1),
            "target_size": (6, 1),
            "kernel_size": (3, 1),
            "stride": (2, 1),
            "padding": (1, 0),
            "dilation": (1, 1),
        },
    ),
    Spec(
        "lecture_lib.conv_arith.shape_trace",
        conv_arith.shape_trace,
        {
            "model": Arg(nn.Sequential(nn.Linear(4, 2)), "module"),
            "input_shape": Arg((1, 4), "seq", bad=(*_BAD_SHAPE, ("int", 4), ("empty", ()))),
            "dtype": Arg(torch.float32, "dtype", optional=True),
        },
    ),
    Spec(
        "lecture_lib.conv_arith.ShapeTrace",
        conv_arith.ShapeTrace,
        {
            "rows": Arg(
                [_LS],
                "any",
                bad=(("none", None), ("int", 3), ("str", "ab"), ("int-items", [1, 2]), ("dict-items", [{}])),
            )
        },
    ),
    Spec(
        "lecture_lib.conv_arith.LayerShape",
        conv_arith.LayerShape,
        {
            "name": Arg("0", "str"),
            "layer": Arg("Linear()", "str"),
            "input_shape": Arg(
                (1, 4), "seq", bad=(("negative", (-1, 4)), ("bool-items", (True, 4)), ("int", 4))
            ),
            "output_shape": Arg(
                (1, 2), "seq", bad=(("negative", (-1, 2)), ("bool-items", (True, 2)), ("int", 2))
            ),
            "num_params": Arg(10, "int", minimum=0),
        },
    ),
]


# ---------------------------------------------------------------------------------------------- checkerboard
_RC_LAYER = checkerboard.ResizeConv2d(2, 3, 2, mode="bilinear")


def _rc_forward(x):
    return _RC_LAYER(x)


_CHECKERBOARD_SPECS = [
    Spec(
        "lecture_lib.checkerboard.overlap_counts",
        checkerboard.overlap_counts,
        {
            "kernel_size": Arg(3, "size", huge=True, bad=_BAD_PAIR),
            "stride": Arg(2, "size", huge=True, bad=_BAD_PAIR),
            "input_size": Arg(3, "size", huge=True, bad=_BAD_PAIR),
        },
    ),
    Spec(
        "lecture_lib.checkerboard.checkerboard_energy",
        checkerboard.checkerboard_energy,
        {
            "images": Arg(_t(8, 8), "tensor", ndims=(2, 3, 4, 5), finite=True, half_ok=True),
            "period": Arg(2, "size", minimum=2, huge=True),
            "reduction": Arg("mean", "choice"),
        },
    ),
    Spec(
        "lecture_lib.checkerboard.ResizeConv2d",
        checkerboard.ResizeConv2d,
        {
            "in_channels": Arg(2, "size", huge=True),
            "out_channels": Arg(3, "size", huge=True),
            "scale_factor": Arg(2, "size", huge=True, bad=_BAD_PAIR),
            "mode": Arg("nearest", "choice"),
            "kernel_size": Arg(3, "size", huge=True, bad=_BAD_PAIR),
            "bias": Arg(True, "bool"),
            "device": Arg("cpu", "device", optional=True),
            "dtype": Arg(torch.float32, "dtype", optional=True),
        },
    ),
    Spec(
        "lecture_lib.checkerboard.ResizeConv2d.forward",
        _rc_forward,
        {
            "x": Arg(
                _t(1, 2, 3, 3),
                "tensor",
                bad=(
                    ("meta", _t(1, 2, 3, 3).to("meta")),
                    ("float64", _t(1, 2, 3, 3).double()),
                    ("wrong-channels", _t(1, 3, 3, 3)),
                ),
            )
        },
    ),
    Spec(
        "lecture_lib.checkerboard.icnr_",
        checkerboard.icnr_,
        {
            "tensor": Arg(_t(8, 2, 3, 3), "tensor", half_ok=True),
            "upscale_factor": Arg(2, "size", huge=True),
            "init": Arg(nn.init.kaiming_normal_, "callable", bad=(("no-fill", lambda t: None),)),
        },
    ),
]


# ---------------------------------------------------------------------------------------------- plotting
_FIG = Figure(figsize=(1, 1))
_AX = Figure().subplots()
_COLORS = np.full((2, 3), "#ffffff", dtype=object)
_BOOL_23 = np.zeros((2, 3), dtype=bool)
_HUGE_GRID = np.broadcast_to(np.array("#ffffff", dtype=object), (10**6, 10**6))  # a view: no memory

_PLOTTING_SPECS = [
    Spec(
        "lecture_lib.plotting.figure_to_png",
        plotting.figure_to_png,
        {
            "fig": Arg(_FIG, "any", bad=(("none", None), ("int", 3), ("axes", _AX))),
            "dpi": Arg(20, "size", huge=True, bad=(("too-large", 10**5),)),
        },
    ),
    Spec(
        "lecture_lib.plotting.draw_grid",
        plotting.draw_grid,
        {
            "ax": Arg(_AX, "any", bad=(("none", None), ("int", 3), ("figure", _FIG))),
            "colors": Arg(
                _COLORS,
                "any",
                bad=(
                    ("none", None),
                    ("int", 3),
                    ("1-D", np.array(["#ffffff"])),
                    ("not-a-colour", np.full((2, 3), "no-such-colour", dtype=object)),
                    ("huge", _HUGE_GRID),
                ),
            ),
            "origin": Arg(
                (0.0, 0.0),
                "any",
                bad=(
                    ("none", None),
                    ("nan", (math.nan, 0.0)),
                    ("str", "00"),
                    ("triple", (0, 0, 0)),
                    ("int", 3),
                ),
            ),
            "hatch": Arg(
                _BOOL_23, "any", optional=True, bad=(("shape", np.zeros((3, 3), dtype=bool)), ("int", 3))
            ),
            "dashed": Arg(
                _BOOL_23, "any", optional=True, bad=(("shape", np.zeros((3, 3), dtype=bool)), ("int", 3))
            ),
            "labels": Arg(
                np.full((2, 3), "a", dtype=object),
                "any",
                optional=True,
                bad=(("shape", np.full((3, 3), "a", dtype=object)), ("int", 3)),
            ),
        },
    ),
    Spec(
        "lecture_lib.plotting.draw_conv_arithmetic",
        plotting.draw_conv_arithmetic,
        {
            "input_size": Arg(3, "size", huge=True),
            "kernel_size": Arg(3, "size", huge=True),
            "stride": Arg(2, "size", huge=True),
            "padding": Arg(1, "size", minimum=0, huge=True),
            "dilation": Arg(1, "size", huge=True),
            "output_padding": Arg(1, "size", minimum=0, huge=True),
            "transposed": Arg(True, "bool"),
        },
    ),
]

SPECS = _CT_SPECS + _UPSAMPLE_SPECS + _ARITH_SPECS + _CHECKERBOARD_SPECS + _PLOTTING_SPECS

CONSTANTS = ["lecture_lib.plotting.COLORS"]

"""Bad-input specs: the explorers (lecture_lib.explore, except explore.autoencoder) and the exercise checkers.

Explorers are slow to build (a figure is drawn at construction), so their valid calls use small settings;
every bad variant is refused before anything is drawn. Drawing helpers get a fresh matplotlib Axes per call
(the ``_AX`` sentinel), so no figure outlives a call. See tests/badinput.py for the machinery.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import torch
import torch.nn.functional as F
from badinput import Arg, Spec
from matplotlib.figure import Figure

from lecture_lib import gated, metrics, rnn
from lecture_lib.exercises import _core as ex_core
from lecture_lib.exercises import gated as ex_gated
from lecture_lib.exercises import metrics as ex_metrics
from lecture_lib.exercises import rnn as ex_rnn
from lecture_lib.exercises import transposed_conv as ex_tconv
from lecture_lib.explore import _core as ex_explore
from lecture_lib.explore import (
    checkerboard,
    conv_arith,
    datasets,
    init,
    segmentation,
    training,
    transposed_conv,
    upsample,
)
from lecture_lib.explore import gated as ex_lstm
from lecture_lib.explore import rnn as ex_rnn_explore

CONSTANTS = [
    "lecture_lib.explore.datasets.COCO_IOU_THRESHOLDS",
    "lecture_lib.explore.gated.STORE_GAIN",
    "lecture_lib.explore.gated.VALUE_GAIN",
    "lecture_lib.explore.init.INITS",
    "lecture_lib.explore.upsample.METHODS",
    "lecture_lib.explore.upsample.PAGODA_BOX",
]


class _Fresh:
    """A sentinel replaced by a new object at every call (an Axes, a dict of widgets)."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return f"<fresh {self.label}>"


_AX = _Fresh("axes")
_CONTROLS = _Fresh("controls")


def _ax(value):
    return Figure().subplots() if value is _AX else value


def _r(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _on_fresh_axes(fn):
    """``fn(ax, ...)`` called on a new Axes when ``ax`` is the ``_AX`` sentinel."""
    return lambda ax, **kw: fn(_ax(ax), **kw)


_BAD_AX = (("int", 3), ("none", None), ("figure", Figure()))
_NAN, _INF = math.nan, math.inf


def _off(value):
    return (("off-slider", value),)


# ------------------------------------------------------------------------------------------- exercises
def _student_bptt(*args):
    return rnn.bptt(*args, activation="tanh")


def _checker_args(fn, n_cases: int = 3) -> dict[str, Arg]:
    return {
        "fn": Arg(fn, "callable"),
        "n_cases": Arg(n_cases, "size", huge=True),
        "seed": Arg(0, "int", bad=(("too-big", 2**64), ("too-negative", -(2**63) - 1))),
    }


def _cases() -> list:
    x = _r(2, 3)
    return [ex_core.Case(args=(x,), description="a 2 x 3 tensor")]


def _double(x: torch.Tensor) -> torch.Tensor:
    return 2 * x


def _explorer(title, controls, draw, summarize):
    if controls is _CONTROLS:
        controls = {"n": widgets.IntSlider(value=2, min=1, max=5)}
    return ex_explore.Explorer(title, controls, draw, summarize)


def _draw_n(n: int) -> Figure:
    fig = Figure(figsize=(1, 1))
    fig.subplots().plot([0, n])
    return fig


_EXERCISE_SPECS = [
    Spec(
        "lecture_lib.exercises.gated.check_lstm_cell",
        ex_gated.check_lstm_cell,
        _checker_args(gated.lstm_cell),
    ),
    Spec(
        "lecture_lib.exercises.metrics.check_box_iou",
        ex_metrics.check_box_iou,
        _checker_args(metrics.box_iou),
    ),
    Spec(
        "lecture_lib.exercises.metrics.check_mean_iou",
        ex_metrics.check_mean_iou,
        _checker_args(metrics.mean_iou),
    ),
    Spec("lecture_lib.exercises.rnn.check_bptt", ex_rnn.check_bptt, _checker_args(_student_bptt)),
    Spec(
        "lecture_lib.exercises.transposed_conv.check_conv_transpose2d",
        ex_tconv.check_conv_transpose2d,
        _checker_args(F.conv_transpose2d),
    ),
    Spec(
        "lecture_lib.exercises._core.compare_on_cases",
        ex_core.compare_on_cases,
        {
            "name": Arg("double", "str"),
            "student_fn": Arg(_double, "callable"),
            "reference_fn": Arg(_double, "callable"),
            "cases": Arg(
                _cases(),
                "any",
                bad=(("none", None), ("int", 3), ("empty", []), ("not-cases", [(1, 2)]), ("str", "ab")),
            ),
            "atol": Arg(1e-8, "real", minimum=0.0),
            "rtol": Arg(1e-6, "real", minimum=0.0),
        },
    ),
    Spec(
        "lecture_lib.exercises._core.Case",
        ex_core.Case,
        {
            "args": Arg((1.0,), "any", bad=(("none", None), ("str", "ab"), ("int", 3), ("tensor", _r(2)))),
            "kwargs": Arg({"k": 1}, "any", bad=(("none", None), ("list", [1]), ("non-str-key", {1: 2}))),
            "description": Arg("one number", "str"),
        },
    ),
    Spec(
        "lecture_lib.exercises._core.CheckResult",
        ex_core.CheckResult,
        {
            "name": Arg("check", "str"),
            "passed": Arg(True, "bool"),
            "n_cases": Arg(3, "int", minimum=0),
            "message": Arg("all 3 cases pass", "str"),
            "failing_case": Arg(None, "any", optional=True, bad=(("int", 3), ("str", "case 1"))),
            "max_abs_error": Arg(0.5, "real", optional=True, minimum=0.0),
        },
        skip={"max_abs_error:inf": "infinity is the error a NaN or infinite answer is reported with"},
    ),
    # every value can be described: describe has no bad input (no variants)
    Spec("lecture_lib.exercises._core.describe", ex_core.describe, {"value": Arg(_r(2, 3), "any")}),
]

# ------------------------------------------------------------------------------------------- explorers
_CURVES = {
    "plain": {"loss": [1.0, 0.5, 0.3, 0.2, 0.1, 0.05], "eval_steps": [3, 6], "eval_mse": [0.3, 0.05]},
    "clipped": {"loss": [0.9, 0.4, 0.2, 0.1, 0.01, 0.005], "eval_steps": [3, 6], "eval_mse": [0.2, 0.004]},
}
_BAD_CURVES = (
    ("none", None),
    ("int", 3),
    ("empty", {}),
    ("list", [1.0, 2.0]),
    ("curve-str", {"a": "loss eval_steps eval_mse"}),
    ("float-steps", {"a": {"loss": [1.0, 0.5, 0.2], "eval_steps": [1.5, 2.5], "eval_mse": [0.5, 0.2]}}),
    ("str-loss", {"a": {"loss": "abc", "eval_steps": [1, 2], "eval_mse": [0.5, 0.2]}}),
    ("complex-mse", {"a": {"loss": [1.0, 0.5, 0.2], "eval_steps": [1, 2], "eval_mse": [0.5, 0.2j]}}),
    ("int-name", {3: {"loss": [1.0, 0.5, 0.2], "eval_steps": [1, 2], "eval_mse": [0.5, 0.2]}}),
)
_BAD_REFERENCE = (
    ("none", None),
    ("nan", (_NAN, 4.0, 14.0, 12.0)),
    ("inf", (4.0, 4.0, _INF, 12.0)),
    ("three", (4.0, 4.0, 14.0)),
    ("inverted", (14.0, 12.0, 4.0, 4.0)),
    ("str", "abcd"),
    ("complex", (4.0, 4.0, 14.0, 12.0j)),
)
_W_REC_PATHS = {
    "h": _r(4, 2, 4, seed=1),
    "dz": _r(3, 2, 2, seed=2),
    "W_rec": _r(4, 4, seed=3),
    "W_out": _r(2, 4, seed=4),
}
_LAYERS = [_r(4, 4, seed=5), _r(4, 4, seed=6)]
_BAD_WEIGHTS = (
    ("none", None),
    ("empty", []),
    ("tensor", _r(4, 4)),
    ("int-items", [1, 2]),
    ("wrong-shape", [_r(3, 4)]),
    ("nan", [_r(4, 4) * _NAN]),
    ("meta", [_r(4, 4).to("meta")]),
    ("mixed-dtype", [_r(4, 4).float()]),
    ("complex", [_r(4, 4).to(torch.complex128)]),
    ("int64", [_r(4, 4).round().long()]),
)
_COST = segmentation.sliding_window_cost((8, 8), 3, 1)
_BAD_PAIR = (("one", (5,)), ("zero", (0, 5)), ("bool", (True, 5)))

_EXPLORE_SPECS = [
    Spec(
        "lecture_lib.explore._core.Explorer",
        _explorer,
        {
            "title": Arg("a test", "str"),
            "controls": Arg(
                _CONTROLS,
                "any",
                bad=(
                    ("none", None),
                    ("int", 3),
                    ("list", [1]),
                    ("non-widget", {"n": 3}),
                    ("int-key", {1: 3}),
                ),
            ),
            "draw": Arg(_draw_n, "callable", bad=(("returns-none", lambda n: None),)),
            "summarize": Arg(lambda n: f"n = {n}", "callable", bad=(("returns-int", lambda n: n),)),
        },
    ),
    Spec(
        "lecture_lib.explore.conv_arith.conv_arithmetic_explorer",
        conv_arith.conv_arithmetic_explorer,
        {
            "input_size": Arg(5, "int", minimum=1, bad=_off(9)),
            "kernel_size": Arg(3, "int", minimum=1, bad=_off(6)),
            "stride": Arg(2, "int", minimum=1, bad=_off(4)),
            "padding": Arg(1, "int", minimum=0, bad=_off(4)),
            "dilation": Arg(1, "int", minimum=1, bad=_off(4)),
            "output_padding": Arg(0, "int", minimum=0, bad=_off(3)),
            "transposed": Arg(False, "bool"),
        },
    ),
    # checkerboard
    Spec(
        "lecture_lib.explore.checkerboard.checkerboard_explorer",
        checkerboard.checkerboard_explorer,
        {
            "kernel_size": Arg(3, "int", minimum=1, bad=_off(8)),
            "stride": Arg(2, "int", minimum=1, bad=_off(5)),
            "input_size": Arg(5, "int", minimum=2, bad=_off(9)),
        },
    ),
    Spec(
        "lecture_lib.explore.checkerboard.interior",
        checkerboard.interior,
        {"kernel_size": Arg(3, "size"), "stride": Arg(2, "size"), "input_size": Arg(5, "size")},
    ),
    *[
        Spec(
            f"lecture_lib.explore.checkerboard.{fn.__name__}",
            _on_fresh_axes(fn),
            {
                "ax": Arg(_AX, "any", bad=_BAD_AX),
                "kernel_size": Arg(3, "size", huge=True),
                "stride": Arg(2, "size", huge=True),
                "input_size": Arg(5, "size", huge=True),
            },
        )
        for fn in (checkerboard.plot_overlap_bars, checkerboard.plot_overlap_map)
    ],
    *[
        Spec(
            f"lecture_lib.explore.checkerboard.{fn.__name__}",
            fn,
            {
                "kernel_size": Arg(3, "size", huge=True),
                "stride": Arg(2, "size", huge=True),
                "input_size": Arg(5, "size", huge=True),
            },
        )
        for fn in (checkerboard.draw_overlap, checkerboard.summarize_overlap)
    ],
    # datasets (IoU)
    Spec(
        "lecture_lib.explore.datasets.iou_explorer",
        datasets.iou_explorer,
        {
            "x": Arg(6, "int", minimum=0, bad=_off(20)),
            "y": Arg(5, "int", minimum=0, bad=_off(20)),
            "width": Arg(10, "int", minimum=1, bad=_off(21)),
            "height": Arg(8, "int", minimum=1, bad=_off(21)),
            "threshold": Arg(0.5, "real", bad=_off(0.52)),
            "reference": Arg((4.0, 4.0, 14.0, 12.0), "any", bad=_BAD_REFERENCE),
            "canvas": Arg(20, "size", bad=(("too-big", 10**7),)),
        },
    ),
    *[
        Spec(
            f"lecture_lib.explore.datasets.{fn.__name__}",
            fn,
            {
                "x": Arg(6.0, "real"),
                "y": Arg(5.0, "real"),
                "width": Arg(10.0, "real", minimum=0.0, bad=(("zero", 0.0),)),
                "height": Arg(8.0, "real", minimum=0.0, bad=(("zero", 0.0),)),
                "threshold": Arg(0.5, "real", minimum=0.0, bad=(("above-1", 1.5),)),
                "reference": Arg((4.0, 4.0, 14.0, 12.0), "any", bad=_BAD_REFERENCE),
                **extra,
            },
        )
        for fn, extra in (
            (datasets.iou_summary, {}),
            (datasets.draw_iou, {"canvas": Arg(20, "size", bad=(("too-big", 10**7),))}),
        )
    ],
    # gated (LSTM)
    Spec(
        "lecture_lib.explore.gated.lstm_cell_explorer",
        ex_lstm.lstm_cell_explorer,
        {
            "forget_bias": Arg(4.0, "real", bad=_off(9.0)),
            "input_bias": Arg(-5.0, "real", bad=_off(3.0)),
            "output_bias": Arg(0.0, "real", bad=_off(5.0)),
            "noise": Arg(0.5, "real", minimum=0.0, bad=_off(1.5)),
            "T": Arg(10, "int", minimum=5, bad=_off(101)),
        },
    ),
    Spec(
        "lecture_lib.explore.gated.scalar_lstm_trace",
        ex_lstm.scalar_lstm_trace,
        {
            "forget_bias": Arg(4.0, "real", bad=(("too-big", 51.0),)),
            "input_bias": Arg(-5.0, "real"),
            "output_bias": Arg(0.0, "real"),
            "noise": Arg(0.5, "real", minimum=0.0),
            "T": Arg(10, "size", huge=True, bad=(("too-long", 201),)),
            "seed": Arg(0, "int", bad=(("too-big", 2**64),)),
        },
    ),
    # init
    Spec(
        "lecture_lib.explore.init.init_explorer",
        init.init_explorer,
        {
            "init": Arg("xavier", "choice"),
            "activation": Arg("tanh", "choice"),
            "depth": Arg(2, "int", minimum=2, bad=_off(51)),
            "width": Arg(16, "int", minimum=16, bad=_off(272)),
            "scale": Arg(1.0, "real", minimum=0.25, bad=_off(2.5)),
            "shared": Arg(False, "bool"),
        },
    ),
    Spec(
        "lecture_lib.explore.init.init_weight",
        init.init_weight,
        {
            "init": Arg("np-rnn", "choice"),
            "width": Arg(8, "size", huge=True, bad=(("too-big", 10**5),)),
            "scale": Arg(1.0, "real"),
            "generator": Arg(
                torch.Generator().manual_seed(0), "any", optional=True, bad=(("int", 3), ("str", "0"))
            ),
            "dtype": Arg(torch.float64, "dtype"),
        },
    ),
    Spec(
        "lecture_lib.explore.init.layer_statistics",
        init.layer_statistics,
        {
            "weights": Arg(_LAYERS, "any", bad=_BAD_WEIGHTS),
            "x": Arg(_r(5, 4, seed=7), "tensor", ndims=(2,), finite=True, empty_bad=True),
            "activation": Arg("tanh", "choice"),
            "v": Arg(_r(5, 4, seed=8), "tensor", ndims=(2,), optional=True, finite=True, empty_bad=True),
        },
    ),
    # rnn
    Spec(
        "lecture_lib.explore.rnn.bptt_paths_explorer",
        ex_rnn_explore.bptt_paths_explorer,
        {
            "T": Arg(3, "int", minimum=1, bad=_off(11)),
            "truncate": Arg(0, "int", minimum=0, bad=_off(11)),
            "loss_at": Arg("every", "choice"),
            "focus": Arg(0, "int", minimum=0, bad=_off(11)),
        },
    ),
    Spec(
        "lecture_lib.explore.rnn.gradient_flow_explorer",
        ex_rnn_explore.gradient_flow_explorer,
        {
            "spectral_radius": Arg(1.0, "real", minimum=0.5, bad=_off(1.6)),
            "activation": Arg("linear", "choice"),
            "T": Arg(10, "int", minimum=10, bad=_off(201)),
            "input_scale": Arg(1.0, "real", minimum=0.0, bad=_off(3.5)),
        },
    ),
    Spec(
        "lecture_lib.explore.rnn.w_rec_path_terms",
        ex_rnn_explore.w_rec_path_terms,
        {
            **{k: Arg(v, "tensor", finite=True) for k, v in _W_REC_PATHS.items()},
            "activation": Arg("tanh", "choice"),
            "truncate": Arg(None, "int", optional=True, minimum=1),
        },
    ),
    Spec(
        "lecture_lib.explore.rnn.draw_unrolled_graph",
        _on_fresh_axes(ex_rnn_explore.draw_unrolled_graph),
        {
            "ax": Arg(_AX, "any", bad=_BAD_AX),
            "T": Arg(3, "size", huge=True),
            "truncate": Arg(None, "int", optional=True, minimum=1),
            "loss_at": Arg("every", "choice"),
            "focus": Arg(2, "int", optional=True, minimum=1, bad=(("beyond-T", 4),)),
        },
    ),
    Spec(
        "lecture_lib.explore.rnn.draw_recurrent_connections",
        _on_fresh_axes(ex_rnn_explore.draw_recurrent_connections),
        {
            "ax": Arg(_AX, "any", bad=_BAD_AX),
            "W_rec": Arg(
                torch.tensor([[0.0, 1.0], [0.5, -1.0]]),
                "tensor",
                dtype="real",
                finite=True,
                half_ok=True,
                bad=(("too-big", _r(13, 13)), ("non-square", _r(2, 3)), ("str", "ab")),
            ),
        },
        skip={"W_rec:ndarray": "an ndarray of weights is documented and drawn the same"},
    ),
    # segmentation
    Spec(
        "lecture_lib.explore.segmentation.sliding_window_explorer",
        segmentation.sliding_window_explorer,
        {
            "height": Arg(32, "int", minimum=16, bad=_off(513)),
            "width": Arg(32, "int", minimum=16, bad=_off(513)),
            "patch_size": Arg(5, "int", minimum=1, bad=(*_off(131), ("even", 4))),
            "stride": Arg(1, "int", minimum=1, bad=_off(97)),
        },
    ),
    Spec(
        "lecture_lib.explore.segmentation.sliding_window_cost",
        segmentation.sliding_window_cost,
        {
            "image_size": Arg((8, 8), "seq", bad=_BAD_PAIR),
            "patch_size": Arg(3, "size", bad=(("even", 4),)),
            "stride": Arg(1, "size"),
        },
    ),
    Spec(
        "lecture_lib.explore.segmentation.window_coverage",
        segmentation.window_coverage,
        {
            "image_size": Arg((8, 8), "seq", bad=(*_BAD_PAIR, ("huge", (2**40, 2**40)))),
            "patch_size": Arg(3, "size", huge=True, bad=(("even", 4),)),
            "stride": Arg(1, "size"),  # a huge stride means one window per axis: no work
        },
    ),
    Spec(
        "lecture_lib.explore.segmentation.sliding_window_summary",
        segmentation.sliding_window_summary,
        {
            "height": Arg(8, "size"),
            "width": Arg(8, "size"),
            "patch_size": Arg(3, "size", bad=(("even", 4),)),
            "stride": Arg(2, "size"),
        },
    ),
    Spec(
        "lecture_lib.explore.segmentation.draw_sliding_windows",
        segmentation.draw_sliding_windows,
        {
            "height": Arg(8, "size", huge=True),
            "width": Arg(8, "size", huge=True),
            "patch_size": Arg(3, "size", huge=True, bad=(("even", 4),)),
            "stride": Arg(2, "size", huge=True),
        },
    ),
    Spec(
        "lecture_lib.explore.segmentation.SlidingWindowCost",
        segmentation.SlidingWindowCost,
        {
            "image_size": Arg(_COST.image_size, "seq", bad=_BAD_PAIR),
            "patch_size": Arg(_COST.patch_size, "size", bad=(("even", 4),)),
            "stride": Arg(_COST.stride, "size"),
            "windows": Arg(_COST.windows, "seq", bad=_BAD_PAIR),
            "forward_passes": Arg(_COST.forward_passes, "size"),
            "pixels_read": Arg(_COST.pixels_read, "size"),
            "distinct_pixels": Arg(_COST.distinct_pixels, "size"),
            "redundant_fraction": Arg(_COST.redundant_fraction, "real", minimum=0.0, bad=(("above-1", 1.5),)),
            "neighbour_overlap": Arg(_COST.neighbour_overlap, "real", minimum=0.0, bad=(("above-1", 1.5),)),
            "labelled_fraction": Arg(_COST.labelled_fraction, "real", minimum=0.0, bad=(("above-1", 1.5),)),
        },
    ),
    # training
    Spec(
        "lecture_lib.explore.training.training_explorer",
        training.training_explorer,
        {
            "curves": Arg(_CURVES, "any", bad=_BAD_CURVES),
            "recipe": Arg("plain", "str", optional=True, bad=(("unknown", "nope"),)),
            "smooth": Arg(2, "int", minimum=1, bad=_off(7)),
            "baseline": Arg(1.0 / 6.0, "real", minimum=0.0, bad=(("zero", 0.0),)),
            "target": Arg(0.01, "real", minimum=0.0, bad=(("zero", 0.0),)),
        },
    ),
    Spec(
        "lecture_lib.explore.training.draw_training_curves",
        training.draw_training_curves,
        {
            "curves": Arg(_CURVES, "any", bad=_BAD_CURVES),
            "recipe": Arg("plain", "str", bad=(("unknown", "nope"),)),
            "smooth": Arg(2, "size"),
            "others": Arg(True, "bool"),
            "baseline": Arg(1.0 / 6.0, "real", minimum=0.0, bad=(("zero", 0.0),)),
            "target": Arg(0.01, "real", minimum=0.0, bad=(("zero", 0.0),)),
        },
    ),
    Spec(
        "lecture_lib.explore.training.check_curves",
        training.check_curves,
        {"curves": Arg(_CURVES, "any", bad=_BAD_CURVES)},
    ),
    Spec(
        "lecture_lib.explore.training.running_mean",
        training.running_mean,
        {
            "values": Arg(
                [1.0, 2.0, 3.0, 4.0],
                "any",
                bad=(
                    ("none", None),
                    ("str", "abc"),
                    ("int", 3),
                    ("complex", [1.0, 2.0j, 3.0]),
                    ("2-D", [[1.0, 2.0], [3.0, 4.0]]),
                    ("bool-items", [True, False, True]),
                    ("str-items", ["1", "2", "3"]),
                ),
            ),
            "window": Arg(2, "size", huge=True, bad=(("too-long", 5),)),
        },
    ),
    Spec(
        "lecture_lib.explore.training.first_step_below",
        training.first_step_below,
        {
            "steps": Arg(
                [10, 20, 30],
                "any",
                bad=(
                    ("none", None),
                    ("str", "123"),
                    ("float-steps", [10.5, 20.5, 30.5]),
                    ("bool-items", [True] * 3),
                ),
            ),
            "values": Arg(
                [0.5, 0.2, 0.05],
                "any",
                bad=(
                    ("none", None),
                    ("str-items", ["a", "b", "c"]),
                    ("complex", [0.5, 0.2j, 0.05]),
                    ("int", 3),
                ),
            ),
            "threshold": Arg(0.1, "real"),
        },
    ),
    # transposed convolution
    Spec(
        "lecture_lib.explore.transposed_conv.transposed_conv_explorer",
        transposed_conv.transposed_conv_explorer,
        {
            "input_size": Arg(2, "int", minimum=1, bad=_off(5)),
            "kernel_size": Arg(3, "int", minimum=1, bad=_off(6)),
            "stride": Arg(2, "int", minimum=1, bad=_off(4)),
            "padding": Arg(0, "int", minimum=0, bad=_off(3)),
            "output_padding": Arg(0, "int", minimum=0, bad=_off(3)),
        },
    ),
    *[
        Spec(
            f"lecture_lib.explore.transposed_conv.{fn.__name__}",
            fn,
            {
                "input_size": Arg(2, "size", huge=True),
                "kernel_size": Arg(3, "size", huge=True),
                "stride": Arg(2, "size", huge=True),
                "padding": Arg(0, "int", minimum=0, bad=(("huge", 2**40),)),
                "output_padding": Arg(1, "int", minimum=0, bad=(("not-below-stride", 2), ("huge", 2**40))),
            },
        )
        for fn in (transposed_conv.scatter_counts, transposed_conv.draw_transposed_conv)
    ],
    # upsample
    Spec(
        "lecture_lib.explore.upsample.upsampling_explorer",
        upsample.upsampling_explorer,
        {
            "method": Arg("bilinear", "choice"),
            "scale_factor": Arg(2, "int", minimum=2, bad=(("five", 5), ("float-two", 2.0))),
            "size": Arg(4, "int", minimum=2, bad=_off(33)),
        },
    ),
    Spec(
        "lecture_lib.explore.upsample.pagoda_image",
        upsample.pagoda_image,
        {
            "size": Arg(4, "size", huge=True),
            "box": Arg(
                upsample.PAGODA_BOX,
                "any",
                bad=(
                    ("none", None),
                    ("outside", (0, 0, 1000, 1000)),
                    ("inverted", (325, 255, 95, 25)),
                    ("float", (95.5, 25, 325, 255)),
                    ("three", (95, 25, 325)),
                    ("str", "abcd"),
                ),
            ),
        },
    ),
    Spec(
        "lecture_lib.explore.upsample.upsample_by_method",
        upsample.upsample_by_method,
        {
            "x": Arg(_r(1, 1, 3, 3), "tensor", finite=True),
            "method": Arg("max_unpool", "choice"),
            "scale_factor": Arg(2, "size", huge=True),
            "full": Arg(_r(1, 1, 6, 6, seed=1), "tensor", optional=True, finite=True),
        },
    ),
]

SPECS = _EXERCISE_SPECS + _EXPLORE_SPECS

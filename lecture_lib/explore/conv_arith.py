"""Explorer of the chapter "Convolution arithmetic": output sizes on grids, convolution and transposed."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..conv_arith import conv_output_size, conv_transpose_output_size
from ..plotting import draw_conv_arithmetic
from ._core import Explorer, _int_slider, _toggle

__all__ = ["conv_arithmetic_explorer"]


def conv_arithmetic_explorer(
    input_size: int = 5,
    kernel_size: int = 3,
    stride: int = 2,
    padding: int = 1,
    dilation: int = 1,
    output_padding: int = 0,
    transposed: bool = False,
) -> Explorer:
    """Sliders for input size, kernel, stride, padding, dilation and output padding over the grid drawing.

    Invalid combinations (an output smaller than 1, output padding not below stride or dilation) show
    the error message of :mod:`lecture_lib.conv_arith` instead of a figure.

    Slider ranges: input 1..8, kernel 1..5, stride 1..3, padding 0..3, dilation 1..3, output padding 0..2.

    Raises:
        ValueError: for a starting value off its slider (ipywidgets would clamp it silently), and for
            starting values that form an invalid combination (the book shows only the starting figure).

    Taught in: chapter "Convolution arithmetic".
    """
    controls: dict[str, widgets.ValueWidget] = {
        "input_size": _int_slider("input_size", input_size, 1, 8, "input i"),
        "kernel_size": _int_slider("kernel_size", kernel_size, 1, 5, "kernel k"),
        "stride": _int_slider("stride", stride, 1, 3, "stride s"),
        "padding": _int_slider("padding", padding, 0, 3, "padding p"),
        "dilation": _int_slider("dilation", dilation, 1, 3, "dilation d"),
        "output_padding": _int_slider("output_padding", output_padding, 0, 2, "output pad"),
        "transposed": _toggle(
            "transposed", transposed, [("convolution", False), ("transposed", True)], "kind"
        ),
    }

    def summarize(**state: Any) -> str:
        i, k, s, p, d, op = (state[n] for n in ("input_size", "kernel_size", "stride", "padding", "dilation",
                                                 "output_padding"))  # fmt: skip
        if state["transposed"]:
            o = conv_transpose_output_size(i, k, s, p, op, d)
            return f"transposed convolution: o = ({i}-1)·{s} − 2·{p} + {d}·({k}−1) + {op} + 1 = <b>{o}</b>"
        o = conv_output_size(i, k, s, p, d)
        note = " (output_padding is ignored by a convolution)" if op else ""
        return f"convolution: o = ⌊({i} + 2·{p} − {d}·({k}−1) − 1) / {s}⌋ + 1 = <b>{o}</b>{note}"

    return Explorer("Convolution arithmetic", controls, draw_conv_arithmetic, summarize)

"""Interactive explorers: live ipywidgets controls in a kernel, a static figure of the default state in the book.

An :class:`Explorer` holds its controls (``explorer.controls["stride"]`` is an ipywidgets slider), a
``summary`` label with the computed numbers, and an ``image`` widget with the current figure. Displayed in
Jupyter or Colab it shows the live controls; its MIME bundle also carries a PNG of the default state and a
one-line text, which is what the rendered book (which has no kernel) and plain consoles show.

Taught in: the explorers of each chapter; the first is in "Convolution arithmetic".
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

from .plotting import draw_conv_arithmetic, figure_to_png

__all__ = ["Explorer", "conv_arithmetic_explorer"]


class Explorer:
    """Controls, a summary line and a figure that follow the controls.

    Args:
        title: shown above the controls and in the text form.
        controls: name -> ipywidgets value widget (sliders, toggles); their ``value``\\ s are passed to
            ``draw`` and ``summarize`` as keyword arguments.
        draw: keyword arguments -> matplotlib ``Figure`` of that state. It may raise ``ValueError`` for an
            invalid combination: the explorer then shows the message instead of a figure.
        summarize: keyword arguments -> one line of text with the numbers of that state.
    """

    def __init__(
        self,
        title: str,
        controls: dict[str, widgets.ValueWidget],
        draw: Callable[..., Figure],
        summarize: Callable[..., str],
    ) -> None:
        self.title = title
        self.controls = controls
        self._draw = draw
        self._summarize = summarize
        self.summary = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.renders = 0  # how many times the figure was redrawn (tests drive the controls and watch this)
        self._default_png = self._render(self.state)
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox(
            [widgets.HTML(f"<b>{title}</b>"), widgets.HBox(list(controls.values()), layout={"flex_flow": "row wrap"}),
             self.summary, self.image]
        )  # fmt: skip

    @property
    def state(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def _render(self, state: dict[str, Any]) -> bytes | None:
        try:
            fig = self._draw(**state)
        except ValueError as exc:
            self.summary.value = f"<span style='color:#b00'>Invalid: {exc}</span>"
            self.image.layout.visibility = "hidden"
            return None
        png = figure_to_png(fig)
        self.summary.value = self._summarize(**state)
        self.image.value = png
        self.image.layout.visibility = "visible"
        self.renders += 1
        return png

    def _on_change(self, change: dict) -> None:
        self._render(self.state)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = (
            f"{self.title}: an interactive explorer. Run the notebook to move its controls; "
            "the figure shows its default state."
        )
        if self._default_png is not None:
            bundle["image/png"] = base64.b64encode(self._default_png).decode("ascii")
        return bundle


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

    Taught in: chapter "Convolution arithmetic".
    """

    def slider(description: str, value: int, low: int, high: int) -> widgets.IntSlider:
        return widgets.IntSlider(
            value=value, min=low, max=high, description=description, continuous_update=False
        )

    controls = {
        "input_size": slider("input i", input_size, 1, 8),
        "kernel_size": slider("kernel k", kernel_size, 1, 5),
        "stride": slider("stride s", stride, 1, 3),
        "padding": slider("padding p", padding, 0, 3),
        "dilation": slider("dilation d", dilation, 1, 3),
        "output_padding": slider("output pad", output_padding, 0, 2),
        "transposed": widgets.ToggleButtons(
            options=[("convolution", False), ("transposed", True)], value=transposed, description="kind"
        ),
    }

    def summarize(**state: Any) -> str:
        from .conv_arith import conv_output_size, conv_transpose_output_size

        i, k, s, p, d, op = (state[n] for n in ("input_size", "kernel_size", "stride", "padding", "dilation",
                                                 "output_padding"))  # fmt: skip
        if state["transposed"]:
            o = conv_transpose_output_size(i, k, s, p, op, d)
            return f"transposed convolution: o = ({i}-1)·{s} − 2·{p} + {d}·({k}−1) + {op} + 1 = <b>{o}</b>"
        o = conv_output_size(i, k, s, p, d)
        note = " (output_padding is ignored by a convolution)" if op else ""
        return f"convolution: o = ⌊({i} + 2·{p} − {d}·({k}−1) − 1) / {s}⌋ + 1 = <b>{o}</b>{note}"

    return Explorer("Convolution arithmetic", controls, draw_conv_arithmetic, summarize)

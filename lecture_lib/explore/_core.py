"""The explorer engine: live ipywidgets controls in a kernel, a static figure of the default state in the book.

An :class:`Explorer` holds its controls (``explorer.controls["stride"]`` is an ipywidgets slider), a
``summary`` label with the computed numbers, and an ``image`` widget with the current figure. Displayed in
Jupyter or Colab it shows the live controls; its MIME bundle also carries a PNG of the default state and a
one-line text, which is what the rendered book (which has no kernel) and plain consoles show.

Each chapter's explorer lives in ``lecture_lib.explore.<topic>`` and is re-exported by ``lecture_lib.explore``.
"""

from __future__ import annotations

import base64
import numbers
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from .._validate import check_bool, check_tensor, describe
from ..plotting import figure_to_png

__all__ = ["Explorer"]


def _check_range(name: str, value: Any, low: float, high: float, integer: bool = False) -> None:
    """An explorer's starting value must lie on its slider (ipywidgets would clamp it silently).

    Raises TypeError naming ``name`` unless ``value`` is a number (an integer if ``integer``; never a bool),
    ValueError naming ``name``, the value and the range unless ``low <= value <= high`` (NaN never is).
    """
    kinds = numbers.Integral if integer else numbers.Real
    kind = "an integer" if integer else "a number"
    expected = f"{kind} between {low} and {high} (the slider's range)"
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TypeError(f"{name}={describe(value)} must be {expected}, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name}={value!r} must be {expected}")


def _check_float_tensor(name: str, value: Any, ndim: int, *, finite: bool = True) -> None:
    """A float32 or float64 tensor of ``ndim`` dimensions (float16 is not supported by the explorers' math)."""
    check_tensor(name, value, ndim, dtype="floating", finite=finite)
    if value.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{name} must be float32 or float64; got {describe(value)}")


def _int_slider(
    name: str, value: Any, low: int, high: int, description: str, step: int = 1, **options: Any
) -> widgets.IntSlider:
    """An IntSlider from ``low`` to ``high`` that starts at ``value``, checked on that same range first.

    ``name`` is the explorer's argument, for the error message; ``options`` go to the slider
    (``continuous_update`` is False unless given).
    """
    _check_range(name, value, low, high, integer=True)
    options.setdefault("continuous_update", False)
    return widgets.IntSlider(
        value=int(value), min=low, max=high, step=step, description=description, **options
    )


def _float_slider(
    name: str, value: Any, low: float, high: float, description: str, step: float, **options: Any
) -> widgets.FloatSlider:
    """A FloatSlider from ``low`` to ``high`` that starts at ``value``, checked on that same range first.

    ``name`` is the explorer's argument, for the error message; ``options`` go to the slider
    (``continuous_update`` is False unless given).
    """
    _check_range(name, value, low, high)
    options.setdefault("continuous_update", False)
    return widgets.FloatSlider(
        value=float(value), min=low, max=high, step=step, description=description, **options
    )


def _toggle(name: str, value: Any, options: list[tuple[str, Any]], description: str) -> widgets.ToggleButtons:
    """ToggleButtons over ``options`` (label, value) that start at ``value``, checked first.

    A bool toggle needs a real bool (the string "False" would not be one of the options, and a truthy
    string must never stand for True): TypeError naming ``name`` otherwise; ValueError for a value that is
    not one of the options.
    """
    values = [v for _, v in options]
    if all(isinstance(v, bool) for v in values):
        check_bool(name, value)
    elif isinstance(value, bool) or value not in values or not isinstance(value, type(values[0])):
        raise ValueError(f"{name}={describe(value)} is not supported; expected one of {tuple(values)}")
    return widgets.ToggleButtons(options=options, value=value, description=description)


def _widget_bundle(widget: widgets.Widget, include: Any = None, exclude: Any = None) -> dict:
    """The MIME bundle that displays ``widget``, under ipywidgets 8 and 7.

    ipywidgets 8 widgets have ``_repr_mimebundle_``; ipywidgets 7 (Colab's) display through
    ``_ipython_display_`` instead, with the same widget-view entry, built here from the model id.
    """
    method = getattr(widget, "_repr_mimebundle_", None)
    if method is not None:
        return dict(method(include=include, exclude=exclude) or {})
    if widget._view_name is None:
        return {}
    view = {"version_major": 2, "version_minor": 0, "model_id": widget._model_id}
    return {"application/vnd.jupyter.widget-view+json": view}


class Explorer:
    """Controls, a summary line and a figure that follow the controls.

    Args:
        title: shown above the controls and in the text form.
        controls: name -> ipywidgets value widget (sliders, toggles); their ``value``\\ s are passed to
            ``draw`` and ``summarize`` as keyword arguments.
        draw: keyword arguments -> matplotlib ``Figure`` of that state. It may raise ``ValueError`` for an
            invalid combination: the explorer then shows the message instead of a figure.
        summarize: keyword arguments -> one line of text with the numbers of that state.

    Raises:
        ValueError: when ``draw`` rejects the starting state. The rendered book shows only the figure of
            the starting state (it has no kernel to show the live message), so an explorer that cannot
            draw it is refused at construction, with the state and ``draw``'s message.
    """

    def __init__(
        self,
        title: str,
        controls: dict[str, widgets.ValueWidget],
        draw: Callable[..., Figure],
        summarize: Callable[..., str],
    ) -> None:
        if not isinstance(title, str):
            raise TypeError(f"title={describe(title)} must be a str")
        if not isinstance(controls, dict):
            raise TypeError(f"controls={describe(controls)} must be a dict from names to ipywidgets controls")
        for key, control in controls.items():
            if not isinstance(key, str) or not isinstance(control, widgets.ValueWidget):
                raise TypeError(
                    f"controls[{key!r}]={describe(control)}: controls must map str names to ipywidgets value "
                    "widgets (sliders, toggles, dropdowns)"
                )
        for key, fn in (("draw", draw), ("summarize", summarize)):
            if not callable(fn):
                raise TypeError(f"{key}={describe(fn)} must be callable, not {type(fn).__name__}")
        self.title = title
        self.controls = controls
        self._draw = draw
        self._summarize = summarize
        self.summary = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.renders = 0  # how many times the figure was redrawn (tests drive the controls and watch this)
        try:
            self._default_png = self._render(self.state, strict=True)
        except ValueError as exc:
            values = ", ".join(f"{name}={value!r}" for name, value in self.state.items())
            raise ValueError(f"{title}: the starting values {values} cannot be drawn: {exc}") from exc
        for control in controls.values():
            control.observe(self._on_change, names="value")
            if isinstance(control, widgets.ToggleButtons):
                # ipywidgets 8 dropped the inline row class that 7 gives toggle buttons, which put the label
                # on a line of its own above the buttons; with it, the label sits beside them under both.
                control.add_class("widget-inline-hbox")
        self.widget = widgets.VBox(
            [widgets.HTML(f"<b>{title}</b>"), widgets.HBox(list(controls.values()), layout={"flex_flow": "row wrap"}),
             self.summary, self.image]
        )  # fmt: skip

    @property
    def state(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def _render(self, state: dict[str, Any], strict: bool = False) -> bytes | None:
        """Draw ``state`` into the widgets; a ValueError is shown instead of the figure, or raised if ``strict``."""
        try:
            fig = self._draw(**state)
        except ValueError as exc:
            if strict:
                raise
            self.summary.value = f"<span style='color:#b00'>Invalid: {exc}</span>"
            self.image.layout.visibility = "hidden"
            return None
        if not isinstance(fig, Figure):
            raise TypeError(f"draw returned {describe(fig)}; it must return a matplotlib Figure")
        png = figure_to_png(fig)
        summary = self._summarize(**state)
        if not isinstance(summary, str):
            raise TypeError(f"summarize returned {describe(summary)}; it must return a str")
        self.summary.value = summary
        self.image.value = png
        self.image.layout.visibility = "visible"
        self.renders += 1
        return png

    def _on_change(self, change: dict) -> None:
        self._render(self.state)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = _widget_bundle(self.widget, include, exclude)
        bundle["text/plain"] = (
            f"{self.title}: an interactive explorer. Run the notebook to move its controls; "
            "the figure shows its default state."
        )
        if self._default_png is not None:  # always, since an undrawable starting state is refused
            bundle["image/png"] = base64.b64encode(self._default_png).decode("ascii")
        return bundle

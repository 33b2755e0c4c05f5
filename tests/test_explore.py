"""Explorers: the controls drive the figure and the numbers; the MIME bundle serves kernel and book alike."""

from __future__ import annotations

import base64

import ipywidgets as widgets
import numpy as np
import pytest

from lecture_lib.conv_arith import conv_output_size, conv_transpose_output_size
from lecture_lib.explore import Explorer, conv_arithmetic_explorer
from lecture_lib.explore._core import _check_range, _float_slider, _int_slider


def test_conv_arithmetic_explorer_follows_its_controls():
    explorer = conv_arithmetic_explorer()
    assert explorer.state["stride"] == 2
    assert "<b>3</b>" in explorer.summary.value  # 5x5, k3 s2 p1 -> 3x3
    first_png, renders = explorer.image.value, explorer.renders

    explorer.controls["stride"].value = 1
    assert "<b>5</b>" in explorer.summary.value  # same padding, stride 1 -> 5x5
    assert explorer.renders == renders + 1
    assert explorer.image.value != first_png

    explorer.controls["transposed"].value = True
    assert explorer.summary.value.startswith("transposed convolution")
    assert "<b>5</b>" in explorer.summary.value  # (5-1)*1 - 2 + 2 + 0 + 1 = 5

    explorer.controls["input_size"].value = 3
    explorer.controls["stride"].value = 2
    assert "<b>5</b>" in explorer.summary.value  # (3-1)*2 - 2 + 2 + 0 + 1 = 5


def test_invalid_combination_shows_the_error_and_recovers():
    explorer = conv_arithmetic_explorer(transposed=True, stride=1)
    explorer.controls["output_padding"].value = 1
    assert "Invalid" in explorer.summary.value and "output_padding=1" in explorer.summary.value
    assert explorer.image.layout.visibility == "hidden"
    explorer.controls["stride"].value = 2
    assert explorer.image.layout.visibility == "visible"
    assert "Invalid" not in explorer.summary.value


def test_mime_bundle_has_widget_view_default_png_and_text():
    explorer = conv_arithmetic_explorer()
    explorer.controls["kernel_size"].value = 1  # moving a control does not change the default figure
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    assert png == conv_arithmetic_explorer()._default_png  # the default state, deterministic
    assert "interactive explorer" in bundle["text/plain"]


def test_explorer_with_an_undrawable_default_raises():
    # the book shows only the figure of the starting state: without one it would show nothing at all
    def draw(n):
        raise ValueError(f"n={n} is not drawable")

    with pytest.raises(
        ValueError, match="broken: the starting values n=1 cannot be drawn: n=1 is not drawable"
    ):
        Explorer("broken", {"n": widgets.IntSlider(value=1)}, draw, lambda n: f"{n}")


def test_conv_arithmetic_explorer_refuses_an_invalid_starting_combination():
    with pytest.raises(
        ValueError, match=r"starting values input_size=1, kernel_size=5, .*padding=0.* smaller than 1"
    ):
        conv_arithmetic_explorer(input_size=1, kernel_size=5, padding=0)
    explorer = conv_arithmetic_explorer(input_size=1, kernel_size=3, padding=1)  # o = 1: drawable
    assert "image/png" in explorer._repr_mimebundle_()


def test_check_range_is_shared_with_the_rnn_explorers():
    from lecture_lib.explore import rnn

    assert rnn._check_range is _check_range
    _check_range("n", 3, 1, 3, integer=True)
    _check_range("x", np.float64(0.5), 0.0, 1.0)
    _check_range("n", np.int64(2), 1, 3, integer=True)
    for value, error in ((4, ValueError), (0, ValueError), (2.0, TypeError), (True, TypeError)):
        with pytest.raises(
            error, match=rf"n={value!r} must be an integer between 1 and 3 \(the slider's range\)"
        ):
            _check_range("n", value, 1, 3, integer=True)
    for value, error in (
        (float("nan"), ValueError),
        ("0.5", TypeError),
        (1.5, ValueError),
        (None, TypeError),
    ):
        with pytest.raises(error, match="must be a number between 0.0 and 1.0"):
            _check_range("x", value, 0.0, 1.0)


def test_slider_factories_check_the_value_on_the_slider_range():
    slider = _int_slider("n", 7, 1, 8, "n")
    assert (slider.value, slider.min, slider.max, slider.continuous_update) == (7, 1, 8, False)
    with pytest.raises(ValueError, match=r"n=20 must be an integer between 1 and 8"):
        _int_slider("n", 20, 1, 8, "n")  # ipywidgets alone would clamp it to 8
    slider = _float_slider("x", 1, 0.25, 2.0, "x", step=0.05, continuous_update=True)
    assert (slider.value, slider.min, slider.max, slider.continuous_update) == (1.0, 0.25, 2.0, True)
    with pytest.raises(ValueError, match=r"x=5.0 must be a number between 0.25 and 2.0"):
        _float_slider("x", 5.0, 0.25, 2.0, "x", step=0.05)


SLIDERS = ("input_size", "kernel_size", "stride", "padding", "dilation", "output_padding")


@pytest.mark.parametrize("name", SLIDERS)
def test_conv_arithmetic_explorer_refuses_starting_values_off_its_sliders(name, refuses_off_slider):
    refuses_off_slider(conv_arithmetic_explorer, name)
    with pytest.raises(TypeError, match=rf"{name}=2.5 must be an integer"):
        conv_arithmetic_explorer(**{name: 2.5})


def test_conv_arithmetic_explorer_does_not_clamp_a_large_input():
    with pytest.raises(ValueError, match=r"input_size=20 must be an integer between 1 and 8"):
        conv_arithmetic_explorer(input_size=20)  # ipywidgets alone would start at 8
    assert conv_arithmetic_explorer(input_size=8).state["input_size"] == 8


def _library_output_size(state: dict) -> int:
    """The output size of an explorer state, straight from lecture_lib.conv_arith (not from the explorer)."""
    i, k, s, p, d, op = (state[n] for n in SLIDERS)
    if state["transposed"]:
        return conv_transpose_output_size(i, k, s, p, op, d)
    return conv_output_size(i, k, s, p, d)


@pytest.mark.parametrize("transposed", [False, True])
def test_every_slider_extreme_is_drawn_or_explained(transposed):
    explorer = conv_arithmetic_explorer(transposed=transposed)
    for name in ("input_size", "kernel_size", "stride", "padding", "dilation", "output_padding"):
        control = explorer.controls[name]
        for value in (control.min, control.max):
            control.value = value
            summary, state = explorer.summary.value, explorer.state
            assert ("Invalid" in summary) == (explorer.image.layout.visibility == "hidden"), (state, summary)
            if "Invalid" in summary:  # explained: the library refuses the state with the message shown
                with pytest.raises(ValueError) as refusal:
                    _library_output_size(state)
                assert str(refusal.value) in summary, (state, summary)
            else:  # drawn: the summary gives the library's output size
                o = _library_output_size(state)
                assert f"= <b>{o}</b>" in summary, (state, summary)
        control.value = {"input_size": 5, "kernel_size": 3, "stride": 2, "padding": 1}.get(name, control.min)


def test_bool_toggle_refuses_the_string_false():
    with pytest.raises(TypeError, match="transposed='False' must be a bool"):
        conv_arithmetic_explorer(transposed="False")  # truthy: it would have meant a transposed convolution
    with pytest.raises(TypeError, match="transposed=0 must be a bool"):
        conv_arithmetic_explorer(transposed=0)


def test_explorer_refuses_malformed_controls_and_callbacks():
    def draw(n):
        from matplotlib.figure import Figure

        return Figure()

    slider = {"n": widgets.IntSlider(value=2, min=1, max=5)}
    with pytest.raises(TypeError, match=r"controls\['n'\]=3: controls must map str names to ipywidgets"):
        Explorer("t", {"n": 3}, draw, str)
    with pytest.raises(TypeError, match="controls=None must be a dict"):
        Explorer("t", None, draw, str)
    with pytest.raises(TypeError, match="summarize=3 must be callable"):
        Explorer("t", slider, draw, 3)
    with pytest.raises(TypeError, match="draw returned None; it must return a matplotlib Figure"):
        Explorer("t", slider, lambda n: None, str)
    with pytest.raises(TypeError, match="summarize returned 2; it must return a str"):
        Explorer("t", slider, draw, lambda n: n)


def test_widget_bundle_under_ipywidgets_7_and_8():
    """ipywidgets 7 widgets (Colab's) have no _repr_mimebundle_: the view entry is built from the model id."""
    from lecture_lib.explore._core import _widget_bundle

    box = widgets.VBox([widgets.IntSlider()])
    bundle = _widget_bundle(box)
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == box.model_id and view["version_major"] == 2

    class Widget7:  # the attributes an ipywidgets 7.7 widget has, without _repr_mimebundle_
        _view_name = "VBoxView"
        _model_id = "abc123"

    assert _widget_bundle(Widget7()) == {
        "application/vnd.jupyter.widget-view+json": {
            "version_major": 2,
            "version_minor": 0,
            "model_id": "abc123",
        }
    }
    Widget7._view_name = None  # a widget without a view displays nothing
    assert _widget_bundle(Widget7()) == {}

"""Explorers: the controls drive the figure and the numbers; the MIME bundle serves kernel and book alike."""

from __future__ import annotations

import base64

import ipywidgets as widgets
import pytest

from lecture_lib.explore import Explorer, conv_arithmetic_explorer


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


def test_explorer_with_invalid_default_has_no_png():
    def draw(n):
        raise ValueError(f"n={n} is not drawable")

    explorer = Explorer("broken", {"n": widgets.IntSlider(value=1)}, draw, lambda n: f"{n}")
    assert "image/png" not in explorer._repr_mimebundle_()
    assert "n=1 is not drawable" in explorer.summary.value


@pytest.mark.parametrize("transposed", [False, True])
def test_every_slider_extreme_is_drawn_or_explained(transposed):
    explorer = conv_arithmetic_explorer(transposed=transposed)
    for name in ("input_size", "kernel_size", "stride", "padding", "dilation", "output_padding"):
        control = explorer.controls[name]
        for value in (control.min, control.max):
            control.value = value
            assert explorer.summary.value  # either numbers or the error message, never empty
        control.value = {"input_size": 5, "kernel_size": 3, "stride": 2, "padding": 1}.get(name, control.min)

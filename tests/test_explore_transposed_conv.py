"""The transposed-convolution explorer: its controls drive figure and numbers, which agree with PyTorch."""

from __future__ import annotations

import base64

import pytest
import torch
import torch.nn.functional as F

from lecture_lib.explore.transposed_conv import draw_transposed_conv, scatter_counts, transposed_conv_explorer


def test_default_state_and_summary():
    explorer = transposed_conv_explorer()
    assert explorer.state == {
        "input_size": 2,
        "kernel_size": 3,
        "stride": 2,
        "padding": 0,
        "output_padding": 0,
    }
    # (2 - 1) * 2 + 3 = 5; with k = 3 and s = 2 the centre cell is covered by all four patches
    assert "<b>5</b>" in explorer.summary.value
    assert "between <b>1</b> and <b>4</b>" in explorer.summary.value


def test_controls_change_summary_and_figure():
    explorer = transposed_conv_explorer()
    png, renders = explorer.image.value, explorer.renders
    explorer.controls["stride"].value = 3  # patches just touch: o = (2 - 1) * 3 + 3 = 6
    assert "<b>6</b>" in explorer.summary.value
    assert "between <b>1</b> and <b>1</b>" in explorer.summary.value
    assert explorer.renders == renders + 1
    assert explorer.image.value != png
    explorer.controls["output_padding"].value = 2  # one more row and column that no patch reaches
    assert "<b>8</b>" in explorer.summary.value
    assert "between <b>0</b> and <b>1</b>" in explorer.summary.value
    explorer.controls["padding"].value = 1  # crops one cell on each side: 8 - 2 = 6
    assert "<b>6</b>" in explorer.summary.value


def test_invalid_state_shows_the_error_and_hides_the_figure():
    explorer = transposed_conv_explorer()
    renders = explorer.renders
    explorer.controls["output_padding"].value = 2  # not smaller than stride 2
    assert "Invalid" in explorer.summary.value and "output_padding" in explorer.summary.value
    assert explorer.image.layout.visibility == "hidden"
    assert explorer.renders == renders
    explorer.controls["output_padding"].value = 1
    assert "Invalid" not in explorer.summary.value
    assert explorer.image.layout.visibility == "visible"


def test_draw_raises_value_error_for_an_output_smaller_than_one():
    with pytest.raises(ValueError, match="smaller than 1"):
        draw_transposed_conv(input_size=1, kernel_size=1, stride=1, padding=2, output_padding=0)


@pytest.mark.parametrize(
    ("i", "k", "s", "p", "a"), [(2, 3, 2, 0, 0), (3, 4, 2, 1, 1), (4, 2, 3, 2, 2), (1, 5, 1, 0, 0)]
)
def test_counts_are_pytorchs_transposed_convolution_of_ones(i, k, s, p, a):
    expected = F.conv_transpose2d(
        torch.ones(1, 1, i, i, dtype=torch.float64),
        torch.ones(1, 1, k, k, dtype=torch.float64),
        stride=s,
        padding=p,
        output_padding=a,
    )[0, 0]
    assert torch.equal(scatter_counts(i, k, s, p, a), expected.long())


def test_mime_bundle_has_widget_default_png_and_text():
    explorer = transposed_conv_explorer()
    explorer.controls["kernel_size"].value = 4  # moving a control does not change the default figure
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    assert png == transposed_conv_explorer()._default_png
    assert "interactive explorer" in bundle["text/plain"]


@pytest.mark.parametrize("name", ["input_size", "kernel_size", "stride", "padding", "output_padding"])
def test_explorer_refuses_starting_values_off_its_sliders(name, refuses_off_slider):
    refuses_off_slider(transposed_conv_explorer, name)


def test_explorer_does_not_clamp_a_large_input_and_refuses_an_invalid_start():
    with pytest.raises(ValueError, match=r"input_size=9 must be an integer between 1 and 4"):
        transposed_conv_explorer(input_size=9)  # ipywidgets alone would start at 4
    with pytest.raises(
        ValueError, match=r"starting values .*output_padding=2 cannot be drawn: output_padding=2"
    ):
        transposed_conv_explorer(output_padding=2)  # not below stride 2: the book would show no figure


def test_huge_settings_are_refused_before_any_work():
    with pytest.raises(ValueError, match="input_size=1099511627776 must be an int in \\[1, 64\\]"):
        scatter_counts(2**40, 3, 2, 0, 0)
    with pytest.raises(TypeError, match="padding=0.5 must be an int"):
        scatter_counts(2, 3, 2, 0.5, 0)
    with pytest.raises(ValueError, match="at most 48 are drawn"):
        draw_transposed_conv(20, 5, 3, 0, 0)  # a 62 x 62 canvas of labelled cells

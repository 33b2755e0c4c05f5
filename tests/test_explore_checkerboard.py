"""The checkerboard explorer: its counts are those of an all-ones transposed convolution, its interior is
free of border effects, and its summary and figure follow the sliders."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from lecture_lib.explore.checkerboard import (
    checkerboard_explorer,
    draw_overlap,
    interior,
    plot_overlap_bars,
    plot_overlap_map,
    summarize_overlap,
)

F64 = torch.float64


# ------------------------------------------------------------------------------------------------ interior
def test_interior_by_hand():
    # k=3, s=2, n=5: counts 1 1 2 1 2 1 2 1 2 1 1; positions 2..8 are away from both borders
    assert interior(3, 2, 5) == slice(2, 9)
    assert interior(1, 1, 2) == slice(0, 2)


@given(k=st.integers(1, 7), s=st.integers(1, 4), n=st.integers(2, 8))
def test_interior_counts_are_those_of_an_endless_input(k, s, n):
    if (n - 1) * s < k - 1:
        with pytest.raises(ValueError, match=f"input_size={n}"):
            interior(k, s, n)
        return
    inner = interior(k, s, n)
    pad = 10  # the same window inside a 20-cells-longer input, far from its borders
    longer = overlap_counts_by_torch(k, s, n + 2 * pad)
    shifted = slice(inner.start + pad * s, inner.stop + pad * s)
    assert torch.equal(overlap_counts_by_torch(k, s, n)[inner], longer[shifted])
    assert set(longer[shifted].tolist()) <= {k // s, -(-k // s)}


def overlap_counts_by_torch(k: int, s: int, n: int) -> torch.Tensor:
    ones = F.conv_transpose1d(torch.ones(1, 1, n, dtype=F64), torch.ones(1, 1, k, dtype=F64), stride=s)
    return ones[0, 0].round().long()


# ------------------------------------------------------------------------------------------------ drawings
@pytest.mark.parametrize(("k", "s", "n"), [(3, 2, 5), (4, 3, 4), (1, 3, 3), (7, 2, 8)])
def test_bars_and_map_show_the_all_ones_transposed_convolution(k, s, n):
    fig = Figure()
    ax_bars, ax_map = fig.subplots(1, 2)
    plot_overlap_bars(ax_bars, k, s, n)
    # the bars (width 0.8); the padding band of axvspan is a Polygon before matplotlib 3.9, a Rectangle since
    heights = [p.get_height() for p in ax_bars.patches if isinstance(p, Rectangle) and p.get_width() < 1]
    assert heights == overlap_counts_by_torch(k, s, n).tolist()

    plot_overlap_map(ax_map, k, s, n)
    shown = ax_map.get_images()[0].get_array()
    ones = torch.ones(1, 1, n, n, dtype=F64)
    expected = F.conv_transpose2d(ones, torch.ones(1, 1, k, k, dtype=F64), stride=s)[0, 0]
    np.testing.assert_array_equal(np.asarray(shown), expected.numpy())


def test_draw_overlap_explains_an_input_without_interior():
    with pytest.raises(ValueError, match="input_size=2 is too small"):
        draw_overlap(7, 1, 2)


@pytest.mark.parametrize(
    ("k", "s", "one_d", "two_d", "verdict"),
    [(3, 2, "2", "4", "uneven"), (4, 2, "1", "1", "even"), (2, 2, "1", "1", "even"),
     (5, 2, "1.5", "2.25", "uneven"), (4, 3, "2", "4", "uneven"), (1, 3, "∞ (holes)", "∞ (holes)", "holes")],
)  # fmt: skip
def test_summary_gives_the_interior_ratios(k, s, one_d, two_d, verdict):
    summary = summarize_overlap(k, s, 6)
    assert f"1-D <b>{one_d}</b>" in summary
    assert f"2-D <b>{two_d}</b>" in summary
    assert f"({verdict}" in summary


# ------------------------------------------------------------------------------------------------ explorer
def test_explorer_follows_its_sliders():
    explorer = checkerboard_explorer()
    assert explorer.state == {"kernel_size": 3, "stride": 2, "input_size": 5}
    assert "1-D <b>2</b>" in explorer.summary.value and "2-D <b>4</b>" in explorer.summary.value
    first_png, renders = explorer.image.value, explorer.renders

    explorer.controls["kernel_size"].value = 4  # k4 s2: even overlap
    assert "1-D <b>1</b>" in explorer.summary.value and "even: s=2 divides k=4" in explorer.summary.value
    assert explorer.renders == renders + 1
    assert explorer.image.value != first_png

    explorer.controls["stride"].value = 3  # k4 s3: counts 1 and 2
    assert "interior counts [1, 2]" in explorer.summary.value
    assert "2-D <b>4</b>" in explorer.summary.value


def test_explorer_shows_the_error_for_a_tiny_input_and_recovers():
    explorer = checkerboard_explorer(kernel_size=7, stride=1, input_size=8)  # the start must be drawable
    explorer.controls["input_size"].value = 2
    assert "Invalid" in explorer.summary.value and "input_size=2" in explorer.summary.value
    assert explorer.image.layout.visibility == "hidden"
    explorer.controls["input_size"].value = 8
    assert explorer.image.layout.visibility == "visible"
    assert "Invalid" not in explorer.summary.value


def test_every_slider_extreme_is_drawn_or_explained():
    explorer = checkerboard_explorer()
    for name, control in explorer.controls.items():
        for value in (control.min, control.max):
            control.value = value
            summary, state = explorer.summary.value, explorer.state
            assert ("Invalid" in summary) == (explorer.image.layout.visibility == "hidden"), (state, summary)
            if "Invalid" in summary:  # explained: interior() refuses the state with the message shown
                with pytest.raises(ValueError) as refusal:
                    interior(**state)
                assert str(refusal.value) in summary, (state, summary)
            else:  # drawn: the numbers of this very state
                assert summary == summarize_overlap(**state), state
        control.value = {"kernel_size": 3, "stride": 2, "input_size": 5}[name]
    assert "1-D <b>2</b>" in explorer.summary.value


def test_mime_bundle_has_the_default_png():
    explorer = checkerboard_explorer()
    explorer.controls["stride"].value = 1
    bundle = explorer._repr_mimebundle_()
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    assert png == checkerboard_explorer()._default_png
    assert "interactive explorer" in bundle["text/plain"]


@pytest.mark.parametrize("name", ["kernel_size", "stride", "input_size"])
def test_explorer_refuses_starting_values_off_its_sliders(name, refuses_off_slider):
    refuses_off_slider(checkerboard_explorer, name)


def test_explorer_does_not_clamp_a_large_kernel_and_refuses_a_start_without_interior():
    with pytest.raises(ValueError, match=r"kernel_size=12 must be an integer between 1 and 7"):
        checkerboard_explorer(kernel_size=12)  # ipywidgets alone would start at 7
    with pytest.raises(
        ValueError, match=r"starting values kernel_size=7, stride=1, input_size=2 cannot be drawn"
    ):
        checkerboard_explorer(kernel_size=7, stride=1, input_size=2)


def test_drawings_refuse_sizes_and_axes_before_any_work():
    ax = Figure().subplots()
    with pytest.raises(TypeError, match="ax=None must be a matplotlib Axes"):
        plot_overlap_bars(None, 3, 2, 5)
    for fn in (plot_overlap_bars, plot_overlap_map):
        with pytest.raises(ValueError, match="at most 512 are drawn"):
            fn(ax, 3, 2**40, 5)  # a (2**41, 2**41) map of counts
    with pytest.raises(ValueError, match="at most 512"):
        summarize_overlap(3, 2, 2**40)
    with pytest.raises(TypeError, match="stride=2.5 must be an int"):
        draw_overlap(3, 2.5, 5)
    with pytest.raises(ValueError, match="kernel_size=0 must be an int >= 1"):
        interior(0, 2, 5)
    assert interior(3, 2**40, 5) == slice(2, 4 * 2**40 + 1)  # arithmetic only: no size limit

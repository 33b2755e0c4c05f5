"""Plotting helpers: deterministic PNGs and grid drawings whose sizes follow the formulas."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from lecture_lib.plotting import COLORS, draw_conv_arithmetic, draw_grid, figure_to_png


def test_figure_to_png_is_deterministic():
    a, b = draw_conv_arithmetic(), draw_conv_arithmetic()
    assert figure_to_png(a) == figure_to_png(b)


def _cells(ax) -> int:
    return len(ax.patches)


@pytest.mark.parametrize(
    ("kwargs", "input_cells", "output_cells"),
    [
        (dict(input_size=5, kernel_size=3, stride=2, padding=1), 7 * 7, 3 * 3),
        (dict(input_size=4, kernel_size=2, stride=1, padding=0, dilation=2), 4 * 4, 2 * 2),
        # transposed: stride-1 convolution over the stretched, padded grid of side o + d(k-1)
        (dict(input_size=2, kernel_size=3, stride=2, padding=1, transposed=True), 5 * 5, 3 * 3),
        (
            dict(input_size=2, kernel_size=3, stride=2, padding=0, output_padding=1, transposed=True),
            8 * 8,
            6 * 6,
        ),
    ],
)
def test_grid_sizes_follow_the_formulas(kwargs, input_cells, output_cells):
    fig = draw_conv_arithmetic(**kwargs)
    ax_in, ax_out = fig.axes
    k = kwargs["kernel_size"]
    assert _cells(ax_in) == input_cells + k * k  # one extra patch per kernel tap (the orange overlay)
    assert _cells(ax_out) == output_cells


def test_transposed_grid_marks_inserted_zeros():
    fig = draw_conv_arithmetic(input_size=3, kernel_size=2, stride=2, padding=1, transposed=True)
    faces = [p.get_facecolor() for p in fig.axes[0].patches]
    from matplotlib.colors import to_rgba

    assert faces.count(to_rgba(COLORS["input"])) == 9  # the 3x3 input cells
    assert faces.count(to_rgba(COLORS["zero"])) == 5 * 5 - 9  # zeros inserted between them


def test_invalid_arguments_raise_the_formula_errors():
    with pytest.raises(ValueError, match="output_padding"):
        draw_conv_arithmetic(transposed=True, stride=1, output_padding=1)
    with pytest.raises(ValueError, match="smaller than 1"):
        draw_conv_arithmetic(input_size=1, kernel_size=5, padding=0)


def test_argument_types_are_checked():
    with pytest.raises(TypeError, match=r"kernel_size=\(3, 3\) must be an int"):
        draw_conv_arithmetic(kernel_size=(3, 3))
    with pytest.raises(TypeError, match="transposed='no' must be True or False"):
        draw_conv_arithmetic(transposed="no")
    fig = draw_conv_arithmetic(input_size=np.int64(5))  # NumPy integers are integers
    assert fig.axes


def test_draw_grid_draws_one_patch_per_cell():
    fig = Figure()
    ax = fig.subplots()
    draw_grid(ax, np.full((2, 3), "#fff", dtype=object), labels=np.array([["a", "", "c"], ["", "", ""]]))
    assert len(ax.patches) == 6
    assert [t.get_text() for t in ax.texts] == ["a", "c"]


# ------------------------------------------------------------------- bad inputs refused by name (issue 15)
def test_figure_to_png_checks_its_arguments():
    fig = Figure(figsize=(1, 1))
    with pytest.raises(TypeError, match="fig=None must be a matplotlib.figure.Figure"):
        figure_to_png(None)
    with pytest.raises(TypeError, match="dpi=72.5 must be an int"):
        figure_to_png(fig, dpi=72.5)
    with pytest.raises(ValueError, match="dpi=100000 makes a 100000 x 100000-pixel image"):
        figure_to_png(fig, dpi=10**5)  # refused before matplotlib allocates 40 GB


def test_draw_grid_checks_its_arguments():
    ax = Figure().subplots()
    colors = np.full((2, 3), "#fff", dtype=object)
    with pytest.raises(TypeError, match="ax=None must be a matplotlib Axes"):
        draw_grid(None, colors)
    with pytest.raises(ValueError, match="colors must be a 2-D array"):
        draw_grid(ax, np.array(["#fff"]))
    with pytest.raises(ValueError, match="colors holds 'no-such-colour'"):
        draw_grid(ax, np.full((2, 3), "no-such-colour", dtype=object))
    with pytest.raises(ValueError, match="colors has 1000000 x 1000000 cells"):
        draw_grid(ax, np.broadcast_to(np.array("#fff", dtype=object), (10**6, 10**6)))
    with pytest.raises(ValueError, match=r"hatch must have the shape \(2, 3\) of colors"):
        draw_grid(ax, colors, hatch=np.zeros((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="origin=nan must be a finite"):
        draw_grid(ax, colors, origin=(float("nan"), 0.0))
    assert not ax.patches  # nothing was drawn by a refused call


def test_draw_conv_arithmetic_refuses_grids_too_large_to_draw():
    with pytest.raises(ValueError, match="stride=1099511627776 is too large to draw"):
        draw_conv_arithmetic(stride=2**40)
    with pytest.raises(ValueError, match="input_size=100, .* make a grid of 201 x 201 cells"):
        draw_conv_arithmetic(input_size=100, stride=2, transposed=True)
    with pytest.raises(ValueError, match="input_size=0 must be >= 1"):
        draw_conv_arithmetic(input_size=0)

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

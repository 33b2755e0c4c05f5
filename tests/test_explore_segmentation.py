"""The sliding-window cost explorer: its counts against brute force and PyTorch, its controls drive the figure."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_lib.explore.segmentation import (
    draw_sliding_windows,
    sliding_window_cost,
    sliding_window_explorer,
    window_coverage,
)


def brute_force(h: int, w: int, p: int, s: int) -> tuple[int, int, set[tuple[int, int]]]:
    """Enumerate every window and every pixel it reads (padded coordinates)."""
    r = p // 2
    passes, reads, seen = 0, 0, set()
    for i in range(0, h, s):
        for j in range(0, w, s):
            passes += 1
            for y in range(i - r, i + r + 1):
                for x in range(j - r, j + r + 1):
                    reads += 1
                    seen.add((y + r, x + r))
    return passes, reads, seen


def test_voc_sized_image_by_hand():
    cost = sliding_window_cost((375, 500), 65, 1)
    assert cost.windows == (375, 500)
    assert cost.forward_passes == 187_500  # one per pixel
    assert cost.pixels_read == 187_500 * 4225
    assert cost.distinct_pixels == (375 + 64) * (500 + 64)  # the padded image, every pixel read
    assert cost.redundant_fraction == pytest.approx(1 - 439 * 564 / (187_500 * 4225), abs=1e-15)
    assert cost.neighbour_overlap == pytest.approx(64 / 65, abs=1e-15)
    assert cost.labelled_fraction == 1.0
    assert cost.reads_per_pixel == 4225.0


def test_stride_equal_to_patch_reads_every_pixel_once():
    cost = sliding_window_cost((10, 15), 5, 5)
    assert cost.windows == (2, 3)
    assert cost.pixels_read == cost.distinct_pixels == 6 * 25
    assert cost.redundant_fraction == 0.0 and cost.neighbour_overlap == 0.0


@settings(max_examples=40)
@given(
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    p=st.sampled_from([1, 3, 5, 7]),
    s=st.integers(1, 9),
)
def test_counts_match_brute_force(h, w, p, s):
    passes, reads, seen = brute_force(h, w, p, s)
    cost = sliding_window_cost((h, w), p, s)
    assert cost.forward_passes == passes
    assert cost.pixels_read == reads
    assert cost.distinct_pixels == len(seen)
    assert cost.redundant_fraction == pytest.approx(1 - len(seen) / reads, abs=1e-12)
    coverage = window_coverage((h, w), p, s)
    assert coverage.shape == (h + 2 * (p // 2), w + 2 * (p // 2))
    assert int(coverage.sum()) == reads
    assert {tuple(ix) for ix in torch.nonzero(coverage).tolist()} == seen


@settings(max_examples=30)
@given(h=st.integers(1, 20), w=st.integers(1, 20), p=st.sampled_from([1, 3, 5, 9]), s=st.integers(1, 6))
def test_coverage_is_a_transposed_convolution_of_the_window_centres(h, w, p, s):
    # every window centre paints a p x p block of ones: F.conv_transpose2d with an all-ones kernel
    centres = torch.zeros(1, 1, h, w, dtype=torch.float64)
    centres[..., ::s, ::s] = 1
    painted = F.conv_transpose2d(centres, torch.ones(1, 1, p, p, dtype=torch.float64))[0, 0]
    assert torch.equal(window_coverage((h, w), p, s), painted.round().long())


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (((375, 500), 64, 1), ValueError, "patch_size=64 must be odd"),
        (((375, 500), 0, 1), ValueError, "patch_size=0"),
        (((375, 500), 65, 0), ValueError, "stride=0"),
        (((375, 500), 65, 1.5), TypeError, "stride=1.5"),
        (((375,), 65, 1), TypeError, "image_size"),
        (((0, 500), 65, 1), ValueError, r"image_size\[0\]"),
        (((375, True), 65, 1), TypeError, r"image_size\[1\]"),
    ],
)
def test_bad_arguments_are_named(args, error, match):
    with pytest.raises(error, match=match):
        sliding_window_cost(*args)
    with pytest.raises(error, match=match):
        window_coverage(*args)


def test_explorer_default_state_and_controls():
    explorer = sliding_window_explorer()
    assert explorer.state == {"height": 375, "width": 500, "patch_size": 65, "stride": 1}
    assert "<b>187,500</b> forward passes" in explorer.summary.value
    assert "<b>99.97%</b>" in explorer.summary.value
    assert "share 98.5%" in explorer.summary.value

    first_png, renders = explorer.image.value, explorer.renders
    explorer.controls["stride"].value = 8  # ceil(375 / 8) x ceil(500 / 8) = 47 x 63 windows
    assert "47 × 63 = <b>2,961</b> forward passes" in explorer.summary.value
    assert "only 1.6% of the pixels are window centres" in explorer.summary.value
    assert explorer.renders == renders + 1
    assert explorer.image.value != first_png

    explorer.controls["patch_size"].value = 5  # stride 8 > patch 5: gaps
    assert "never seen" in explorer.summary.value
    assert "<b>0.00%</b>" in explorer.summary.value  # nothing is read twice
    explorer.controls["height"].value = 16
    assert "2 × 63" in explorer.summary.value


def test_explorer_rejects_an_even_patch():
    with pytest.raises(ValueError, match="patch_size=4 must be odd"):
        sliding_window_explorer(patch_size=4)


def test_draw_returns_two_panels():
    fig = draw_sliding_windows(40, 60, 9, 3)
    assert len(fig.axes) == 3  # coverage map, its colour bar, passes against stride


@pytest.mark.parametrize(
    ("name", "value"), [("height", 1000), ("width", 15), ("patch_size", 131), ("stride", 97)]
)
def test_explorer_refuses_starting_values_off_its_sliders(name, value):
    control = sliding_window_explorer().controls[name]
    expected = (
        rf"{name}={value} must be an integer between {control.min} and {control.max} \(the slider's range\)"
    )
    with pytest.raises(ValueError, match=expected):
        sliding_window_explorer(**{name: value})  # ipywidgets alone would clamp it
    assert (control.min, control.max) == {"height": (16, 512), "width": (16, 512), "patch_size": (1, 129),
                                          "stride": (1, 96)}[name]  # fmt: skip


def test_huge_sizes_are_refused_before_any_allocation():
    with pytest.raises(ValueError, match="patch_size=1099511627777 is too large"):
        window_coverage((8, 8), 2**40 + 1, 1)  # a (2**40, 2**40) count
    with pytest.raises(ValueError, match="stride=1099511627776 is too large"):
        draw_sliding_windows(8, 8, 3, 2**40)  # the cost curve loops over every stride
    assert sliding_window_cost((2**40, 2**40), 3, 1).forward_passes == 2**80  # arithmetic only: allowed


def test_cost_record_checks_its_fields():
    from dataclasses import asdict, replace

    from lecture_lib.explore.segmentation import SlidingWindowCost

    cost = sliding_window_cost((8, 8), 3, 1)
    assert SlidingWindowCost(**asdict(cost)) == cost
    with pytest.raises(ValueError, match="redundant_fraction=1.5 must be <= 1.0"):
        replace(cost, redundant_fraction=1.5)
    with pytest.raises(TypeError, match=r"windows\[0\]=2.5 must be a positive int"):
        replace(cost, windows=(2.5, 8))

"""The IoU explorer of the chapter "Pascal VOC and COCO": its controls drive the numbers and the figure."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from lecture_lib.explore.datasets import COCO_IOU_THRESHOLDS, draw_iou, iou_explorer, iou_summary


def test_default_state_is_the_documented_example():
    explorer = iou_explorer()
    assert explorer.state == {"x": 6, "y": 5, "width": 10, "height": 8, "threshold": 0.5}
    summary = explorer.summary.value
    # (4, 4, 14, 12) against (6, 5, 16, 13): overlap 8 x 7 = 56, union 80 + 80 - 56 = 104
    assert "intersection 56, union 104" in summary
    assert f"IoU = {56 / 104:.3f}" in summary
    assert "0.50: match, 0.75: no match" in summary
    assert "passes 1 of COCO's 10 thresholds" in summary


def test_moving_the_box_changes_iou_verdict_and_figure():
    explorer = iou_explorer()
    first_png, renders = explorer.image.value, explorer.renders

    explorer.controls["x"].value = 4
    explorer.controls["y"].value = 4  # now identical to the ground truth
    assert "IoU = 1.000" in explorer.summary.value
    assert "passes 10 of COCO's 10 thresholds" in explorer.summary.value
    assert explorer.renders == renders + 2
    assert explorer.image.value != first_png

    explorer.controls["x"].value = 14  # touches the ground truth's right edge: no overlap
    assert "intersection 0," in explorer.summary.value and "IoU = 0.000" in explorer.summary.value
    assert "passes 0 of COCO's 10" in explorer.summary.value

    explorer.controls["x"].value = 5
    explorer.controls["width"].value = 8  # (5, 4, 13, 12) inside the ground truth: 64 / 80 = 0.8
    assert "IoU = 0.800" in explorer.summary.value


def test_threshold_slider_changes_only_the_verdict():
    explorer = iou_explorer()  # IoU 0.538
    assert "at t = 0.50: <b>match</b>" in explorer.summary.value
    explorer.controls["threshold"].value = 0.55
    assert "at t = 0.55: <b>no match</b>" in explorer.summary.value
    assert f"IoU = {56 / 104:.3f}" in explorer.summary.value


def test_coco_thresholds_are_the_ten_of_cocoeval():
    from pycocotools.cocoeval import Params

    assert COCO_IOU_THRESHOLDS == tuple(float(t) for t in Params(iouType="bbox").iouThrs)
    assert len(COCO_IOU_THRESHOLDS) == 10
    assert COCO_IOU_THRESHOLDS[0] == 0.5 and COCO_IOU_THRESHOLDS[-1] == pytest.approx(0.95, abs=1e-12)


def test_a_match_needs_iou_at_least_the_threshold():
    # a 10 x 10 ground truth and a 10 x 5 box inside it: IoU exactly 0.5, a match at 0.5 as in the devkit
    line = iou_summary(0, 0, 10, 5, threshold=0.5, reference=(0.0, 0.0, 10.0, 10.0))
    assert "IoU = 0.500" in line and "at t = 0.50: <b>match</b>" in line
    assert "passes 1 of COCO's 10" in line


def test_box_leaving_the_canvas_widens_the_axes():
    fig = draw_iou(18, 17, 10, 8)
    ax = fig.axes[0]
    assert ax.get_xlim() == (0.0, 28.0)
    assert ax.get_ylim() == (28.0, 0.0)  # y grows downwards, as in an image


def test_invalid_size_is_rejected():
    with pytest.raises(ValueError, match="width=0"):
        iou_summary(1, 1, 0, 3)
    with pytest.raises(ValueError, match="threshold=0.52"):
        iou_explorer(threshold=0.52)


def test_every_slider_extreme_is_drawn():
    explorer = iou_explorer()
    for name in ("x", "y", "width", "height"):
        control = explorer.controls[name]
        for value in (control.min, control.max):
            control.value = value
            assert "IoU = " in explorer.summary.value
            assert explorer.image.layout.visibility == "visible"
        control.value = {"x": 6, "y": 5, "width": 10, "height": 8}[name]
    for t in explorer.controls["threshold"].options:
        explorer.controls["threshold"].value = t
        assert f"at t = {t:.2f}" in explorer.summary.value


def test_mime_bundle_has_the_default_png():
    explorer = iou_explorer()
    explorer.controls["width"].value = 3
    bundle = explorer._repr_mimebundle_()
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG") and png == iou_explorer()._default_png
    assert "IoU of two boxes" in bundle["text/plain"]


def test_summary_iou_equals_pixel_counting():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.integers(0, 19, size=2)
        w, h = rng.integers(1, 20, size=2)
        grid_a = np.zeros((60, 60), dtype=bool)
        grid_b = np.zeros((60, 60), dtype=bool)
        grid_a[4:12, 4:14] = True  # rows y, columns x of the reference (4, 4, 14, 12)
        grid_b[y : y + h, x : x + w] = True
        expected = (grid_a & grid_b).sum() / (grid_a | grid_b).sum()
        assert f"IoU = {expected:.3f}" in iou_summary(int(x), int(y), int(w), int(h))


@pytest.mark.parametrize("name", ["x", "y", "width", "height"])
def test_explorer_refuses_starting_values_off_its_sliders(name, refuses_off_slider):
    refuses_off_slider(iou_explorer, name)


def test_explorer_does_not_clamp_a_box_off_the_canvas():
    with pytest.raises(ValueError, match=r"x=40 must be an integer between 0 and 19"):
        iou_explorer(x=40)  # ipywidgets alone would start at 19
    explorer = iou_explorer(x=35, canvas=40)  # a larger canvas widens the sliders
    assert explorer.state["x"] == 35 and explorer.controls["x"].max == 39
    for canvas, error in ((0, ValueError), (10**6, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match=f"canvas={canvas!r} must be a positive integer"):
            iou_explorer(canvas=canvas)


def test_nan_threshold_or_reference_is_refused_by_name():
    with pytest.raises(ValueError, match="threshold=nan must be a finite real"):
        iou_summary(6, 5, 10, 8, threshold=float("nan"))  # every IoU would be "no match"
    with pytest.raises(ValueError, match="threshold=1.5 must be <= 1.0"):
        draw_iou(6, 5, 10, 8, threshold=1.5)
    with pytest.raises(ValueError, match=r"reference\[0\]=nan must be a finite real"):
        iou_summary(6, 5, 10, 8, reference=(float("nan"), 4.0, 14.0, 12.0))
    with pytest.raises(ValueError, match="reference=.* must have x0 < x1 and y0 < y1"):
        iou_explorer(reference=(14.0, 12.0, 4.0, 4.0))
    with pytest.raises(TypeError, match="width=None must be a real number"):
        draw_iou(6, 5, None, 8)

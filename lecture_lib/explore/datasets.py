"""Explorer of the chapter "Pascal VOC and COCO": the IoU of two boxes and the thresholds it passes."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .._validate import check_int, check_real, describe, is_int
from ..metrics import box_iou
from ._core import Explorer, _int_slider

__all__ = ["COCO_IOU_THRESHOLDS", "draw_iou", "iou_explorer", "iou_summary"]

#: COCO's ten IoU thresholds 0.50, 0.55, ..., 0.95, computed as pycocotools' ``COCOeval`` computes them.
COCO_IOU_THRESHOLDS: tuple[float, ...] = tuple(float(t) for t in np.linspace(0.5, 0.95, 10))

_THRESHOLD_OPTIONS = tuple(round(0.5 + 0.05 * k, 2) for k in range(10))


_MAX_CANVAS = 4096  # pixels: the side of the drawing (and the sliders' range in the explorer)


def _check_reference(reference: Any) -> tuple[float, float, float, float]:
    """A ground-truth box (x0, y0, x1, y1) of four finite reals with x0 < x1 and y0 < y1."""
    if not isinstance(reference, (tuple, list)) or len(reference) != 4:
        raise TypeError(f"reference={describe(reference)} must be a box (x0, y0, x1, y1) of four numbers")
    box = tuple(check_real(f"reference[{i}]", v) for i, v in enumerate(reference))
    if not (box[0] < box[2] and box[1] < box[3]):
        raise ValueError(f"reference={reference!r} must have x0 < x1 and y0 < y1 (a box of positive area)")
    return box  # type: ignore[return-value]


def _check_threshold(threshold: Any) -> float:
    return check_real("threshold", threshold, minimum=0.0, maximum=1.0)


def _check_canvas(canvas: Any) -> int:
    return check_int("canvas", canvas, minimum=1, maximum=_MAX_CANVAS)


def _iou_parts(reference: tuple[float, float, float, float], x: float, y: float, width: float, height: float):
    reference = _check_reference(reference)
    x, y = check_real("x", x), check_real("y", y)
    width = check_real("width", width, minimum=0.0, strict_minimum=True)
    height = check_real("height", height, minimum=0.0, strict_minimum=True)
    moving = (x, y, x + width, y + height)
    boxes = torch.tensor([reference, moving], dtype=torch.float64)  # (2, 4)
    iou = float(box_iou(boxes[:1], boxes[1:])[0, 0])
    ix = max(0.0, min(reference[2], moving[2]) - max(reference[0], moving[0]))
    iy = max(0.0, min(reference[3], moving[3]) - max(reference[1], moving[1]))
    inter = ix * iy
    union = (reference[2] - reference[0]) * (reference[3] - reference[1]) + width * height - inter
    return moving, iou, inter, union


def iou_summary(
    x: float,
    y: float,
    width: float,
    height: float,
    threshold: float = 0.5,
    reference: tuple[float, float, float, float] = (4.0, 4.0, 14.0, 12.0),
) -> str:
    """One line: intersection, union, IoU, the verdict at ``threshold``, at 0.5 and 0.75, and how many of
    COCO's ten thresholds the pair passes (a detection matches when ``IoU >= t``).

    Taught in: chapter "Pascal VOC and COCO".
    """
    threshold = _check_threshold(threshold)
    _moving, iou, inter, union = _iou_parts(reference, x, y, width, height)
    n_coco = sum(iou >= t for t in COCO_IOU_THRESHOLDS)

    def verdict(t: float) -> str:
        return "match" if iou >= t else "no match"

    return (
        f"intersection {inter:g}, union {union:g}, <b>IoU = {iou:.3f}</b>; at t = {threshold:.2f}: "
        f"<b>{verdict(threshold)}</b> (0.50: {verdict(0.5)}, 0.75: {verdict(0.75)}); "
        f"passes {n_coco} of COCO's 10 thresholds 0.50:0.95"
    )


def draw_iou(
    x: float,
    y: float,
    width: float,
    height: float,
    threshold: float = 0.5,
    reference: tuple[float, float, float, float] = (4.0, 4.0, 14.0, 12.0),
    canvas: int = 20,
) -> Figure:
    """Draw a ground-truth box (blue), a predicted box (orange, at ``(x, y)`` of size ``width x height``)
    and their intersection (hatched), with a bar of the IoU against the threshold and COCO's ten thresholds.

    Image coordinates: y grows downwards, one unit = one pixel. Raises ``ValueError`` for a non-positive size.

    Taught in: chapter "Pascal VOC and COCO".
    """
    threshold = _check_threshold(threshold)
    canvas = _check_canvas(canvas)
    reference = _check_reference(reference)
    moving, iou, inter, union = _iou_parts(reference, x, y, width, height)
    fig = Figure(figsize=(8.0, 3.6))
    ax, bar = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1.0]})
    extent = max(canvas, moving[2], moving[3], reference[2], reference[3])
    for box, colour, label in ((reference, "#4C72B0", "ground truth"), (moving, "#DD8452", "prediction")):
        box_w, box_h = box[2] - box[0], box[3] - box[1]
        ax.add_patch(
            Rectangle(
                (box[0], box[1]),
                box_w,
                box_h,
                facecolor=colour,
                alpha=0.35,
                edgecolor=colour,
                linewidth=2,
                label=label,
            )
        )
    ix0, iy0 = max(reference[0], moving[0]), max(reference[1], moving[1])
    ix1, iy1 = min(reference[2], moving[2]), min(reference[3], moving[3])
    if inter > 0:
        ax.add_patch(
            Rectangle(
                (ix0, iy0),
                ix1 - ix0,
                iy1 - iy0,
                fill=False,
                hatch="///",
                edgecolor="#333333",
                linewidth=1,
                label="intersection",
            )
        )
    ax.set_xlim(0, extent)
    ax.set_ylim(extent, 0)  # image coordinates: y downwards
    ax.set_aspect("equal")
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    ax.set_title(f"IoU = {inter:g} / {union:g} = {iou:.3f}")
    ax.legend(loc="lower right", fontsize=8)

    passed = iou >= threshold
    bar.barh([0], [iou], color="#55A868" if passed else "#C44E52", height=0.4)
    bar.text(min(iou, 0.8) + 0.02, 0.3, f"IoU {iou:.3f}", fontsize=9)
    for t in COCO_IOU_THRESHOLDS:
        bar.axvline(t, color="#999999", linewidth=0.8, linestyle=":")
    bar.axvline(threshold, color="#333333", linewidth=2)
    bar.set_xlim(0, 1)
    bar.set_ylim(-0.5, 0.6)
    bar.set_yticks([])
    bar.set_xlabel("IoU (dotted: COCO's thresholds)")
    bar.set_title(f"t = {threshold:.2f}: {'match' if passed else 'no match'}")
    fig.tight_layout()
    return fig


def iou_explorer(
    x: int = 6,
    y: int = 5,
    width: int = 10,
    height: int = 8,
    threshold: float = 0.5,
    reference: tuple[float, float, float, float] = (4.0, 4.0, 14.0, 12.0),
    canvas: int = 20,
) -> Explorer:
    """Sliders for the position and size of a predicted box against a fixed ground-truth box.

    Shows the IoU, whether the prediction counts as a match at the chosen threshold (VOC: 0.5; COCO: each
    of 0.50, 0.55, ..., 0.95) and how many of COCO's thresholds it passes. The default (a 10 x 8 box
    shifted by (2, 1) from an equal ground truth) has IoU 56/104 = 0.538: a match at 0.5, not at 0.75.

    Slider ranges: x and y 0..canvas-1, width and height 1..canvas (pixels); the threshold one of
    0.50, 0.55, ..., 0.95.

    Raises:
        ValueError: for a ``canvas`` that is not a positive integer, a starting value off its slider
            (ipywidgets would clamp it silently) or a threshold not on the slider.

    Taught in: chapter "Pascal VOC and COCO".
    """
    check_real("threshold", threshold)
    if threshold not in _THRESHOLD_OPTIONS:
        raise ValueError(f"threshold={threshold!r} must be one of {_THRESHOLD_OPTIONS}")
    if not is_int(canvas):
        raise TypeError(
            f"canvas={describe(canvas)} must be a positive integer (the side of the drawing, in pixels)"
        )
    if not 1 <= canvas <= _MAX_CANVAS:
        raise ValueError(
            f"canvas={canvas!r} must be a positive integer (the side of the drawing, in pixels) <= {_MAX_CANVAS}"
        )
    _check_reference(reference)

    controls = {
        "x": _int_slider("x", x, 0, canvas - 1, "x"),
        "y": _int_slider("y", y, 0, canvas - 1, "y"),
        "width": _int_slider("width", width, 1, canvas, "width"),
        "height": _int_slider("height", height, 1, canvas, "height"),
        "threshold": widgets.SelectionSlider(
            options=list(_THRESHOLD_OPTIONS), value=threshold, description="IoU thr.", continuous_update=False
        ),
    }

    def draw(**state: Any) -> Figure:
        return draw_iou(**state, reference=reference, canvas=canvas)

    def summarize(**state: Any) -> str:
        return iou_summary(**state, reference=reference)

    return Explorer("IoU of two boxes", controls, draw, summarize)

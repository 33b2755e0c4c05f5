"""Checkers for the metric exercises: box IoU and mean IoU written by the student.

Taught in: chapters "Pascal VOC and COCO" (exercise: box IoU; exercise: mean IoU from a confusion matrix)
and "Segmentation" (its IoU and mean IoU exercises).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import torch

from ..metrics import box_iou, mean_iou
from ._core import Case, CheckResult, WrongAnswer, _check_settings, compare_on_cases

__all__ = ["check_box_iou", "check_mean_iou"]


def _randint(gen: torch.Generator, low: int, high: int) -> int:
    """A uniform int in [low, high]."""
    return int(torch.randint(low, high + 1, (), generator=gen))


# --------------------------------------------------------------------------------------------- box IoU


def _boxes(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64).reshape(-1, 4)  # (K, 4)


def _random_boxes(gen: torch.Generator, k: int, integer: bool) -> torch.Tensor:
    """k xyxy boxes on a 0..20 canvas, sides >= 1 (so no box has zero area and no IoU is 0/0)."""
    if integer:
        xy = torch.randint(0, 15, (k, 2), generator=gen).to(torch.float64)
        wh = torch.randint(1, 9, (k, 2), generator=gen).to(torch.float64)
    else:
        xy = torch.rand(k, 2, generator=gen, dtype=torch.float64) * 15
        wh = torch.rand(k, 2, generator=gen, dtype=torch.float64) * 8 + 1
    return torch.cat([xy, xy + wh], dim=1)  # (k, 4)


_BOX_CASES = [
    (
        [[0.0, 0.0, 10.0, 10.0]],
        [[5.0, 5.0, 15.0, 15.0]],
        "the chapter's example: VOC boxes (1, 1, 10, 10) and (6, 6, 15, 15) converted to xyxy, IoU 1/7",
    ),
    ([[2.0, 3.0, 6.0, 9.0]], [[2.0, 3.0, 6.0, 9.0]], "a box with itself: IoU 1"),
    ([[0.0, 0.0, 8.0, 8.0]], [[2.0, 2.0, 4.0, 6.0]], "a box inside another: IoU = small area / large area"),
    (
        [[0.0, 0.0, 2.0, 2.0]],
        [[5.0, 6.0, 7.0, 9.0]],
        "boxes apart in x and in y: IoU 0 (both overlaps negative, their product positive: clamp each at 0)",
    ),
    ([[0.0, 0.0, 4.0, 4.0]], [[4.0, 0.0, 8.0, 4.0]], "boxes touching along an edge: IoU 0"),
    ([[0.0, 0.0, 4.0, 4.0]], [[1.0, 6.0, 3.0, 8.0]], "boxes overlapping in x but apart in y: IoU 0"),
    (
        [[0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 5.0, 3.0]],
        [[2.0, 2.0, 6.0, 6.0], [0.0, 0.0, 1.0, 1.0], [3.0, 0.0, 4.0, 9.0]],
        "2 x 3 boxes: the result is (N, M), row i for boxes1[i], column j for boxes2[j]",
    ),
]


def _box_cases(n_cases: int, seed: int) -> list[Case]:
    cases = [Case(args=(_boxes(a), _boxes(b)), description=d) for a, b, d in _BOX_CASES]
    gen = torch.Generator().manual_seed(seed)
    for k in range(len(cases), n_cases):
        n, m = _randint(gen, 1, 6), _randint(gen, 1, 6)
        integer = k % 2 == 0
        kind = "integer" if integer else "fractional"
        cases.append(
            Case(
                args=(_random_boxes(gen, n, integer), _random_boxes(gen, m, integer)),
                description=f"random {kind} boxes, N={n}, M={m}",
            )
        )
    return cases[:n_cases]


def check_box_iou(fn: Callable[..., torch.Tensor], n_cases: int = 20, seed: int = 0) -> CheckResult:
    """Check a student's pairwise box IoU against :func:`lecture_lib.metrics.box_iou`.

    ``fn(boxes1, boxes2)`` takes float64 xyxy boxes ``(N, 4)`` and ``(M, 4)`` (continuous coordinates,
    ``x0 < x1``, ``y0 < y1``) and returns ``(N, M)`` with ``IoU = inter / (area1 + area2 - inter)``,
    ``inter = max(0, min(x1) - max(x0)) * max(0, min(y1) - max(y0))``. The first seven cases are fixed (the
    chapter's 1/7 example, identical, nested, disjoint in both directions, touching, disjoint in one
    direction, a 2 x 3 batch), the rest random boxes with sides >= 1. Returns a CheckResult that prints
    "all N cases pass" or the first failing case with its largest error.

    Taught in: chapter "Pascal VOC and COCO" (exercise: box IoU).
    """
    _check_settings(fn, n_cases, seed, 1)
    return compare_on_cases("check_box_iou", fn, box_iou, _box_cases(n_cases, seed), atol=1e-10, rtol=1e-10)


# -------------------------------------------------------------------------------------------- mean IoU


def _confusion(rows: list[list[int]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.int64)  # (C, C)


_MEAN_IOU_CASES = [
    (
        [[6, 2, 0], [1, 3, 0], [0, 1, 3]],
        "3 classes, rows = truth, columns = prediction: IoU = (6/9, 3/7, 3/4)",
    ),
    (
        [[5, 1, 0], [2, 4, 0], [0, 0, 0]],
        "class 2 absent from truth and prediction: its IoU is NaN and it is left out of the mean",
    ),
    (
        [[5, 1, 2], [2, 4, 0], [0, 0, 0]],
        "class 2 predicted but never true: its IoU is 0 and it counts in the mean",
    ),
    (
        [[5, 0, 0], [2, 0, 0], [1, 0, 3]],
        "class 1 true but never predicted: its IoU is 0",
    ),
    ([[7, 0], [0, 9]], "a perfect prediction: every IoU is 1"),
]


def _random_confusion(gen: torch.Generator, c: int) -> torch.Tensor:
    m = torch.randint(0, 50, (c, c), generator=gen)  # (C, C)
    m += torch.diag(torch.randint(0, 200, (c,), generator=gen))  # mostly right, as a trained model
    absent = torch.rand(c, generator=gen) < 0.2  # some classes absent from truth and prediction
    m[absent, :] = 0
    m[:, absent] = 0
    return m


def _mean_iou_reference(confusion: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mean, per_class = mean_iou(confusion)
    return torch.tensor(mean, dtype=torch.float64), per_class


def _as_mean_and_per_class(out: Any) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise WrongAnswer(
            f"mean IoU must return a pair (mean, per_class) like lecture_lib.metrics.mean_iou, got "
            f"{type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, tuple | list) else "")
        )
    mean, per_class = out
    if isinstance(mean, torch.Tensor) and mean.numel() != 1:
        raise WrongAnswer(
            f"the mean (first element) must be one number, got a tensor of shape {tuple(mean.shape)}"
        )
    if (isinstance(mean, numbers.Complex) and not isinstance(mean, numbers.Real)) or (
        isinstance(mean, torch.Tensor) and mean.is_complex()
    ):
        raise WrongAnswer(f"the mean (first element) must be a real number, got the complex value {mean}")
    if isinstance(mean, torch.Tensor) and mean.device.type == "meta":
        raise WrongAnswer("the mean (first element) is on the meta device: a shape without a value")
    if isinstance(mean, bool) or not isinstance(mean, numbers.Real | torch.Tensor):
        raise WrongAnswer(f"the mean (first element) must be a number, got {type(mean).__name__}")
    mean = torch.as_tensor(float(mean), dtype=torch.float64)
    if not isinstance(per_class, torch.Tensor):
        try:
            per_class = torch.as_tensor(per_class)
        except (TypeError, ValueError, RuntimeError) as err:
            raise WrongAnswer(f"per_class (second element) must be a tensor of C numbers: {err}") from None
    return mean, per_class


def _mean_iou_cases(n_cases: int, seed: int) -> list[Case]:
    cases = [Case(args=(_confusion(rows),), description=d) for rows, d in _MEAN_IOU_CASES]
    gen = torch.Generator().manual_seed(seed)
    for _ in range(len(cases), n_cases):
        c = _randint(gen, 2, 21)
        confusion = _random_confusion(gen, c)
        absent = int(((confusion.sum(0) + confusion.sum(1)) == 0).sum())
        cases.append(
            Case(
                args=(confusion,), description=f"random {c} x {c} confusion matrix, {absent} class(es) absent"
            )
        )
    return cases[:n_cases]


def check_mean_iou(
    fn: Callable[[torch.Tensor], tuple[Any, torch.Tensor]], n_cases: int = 20, seed: int = 0
) -> CheckResult:
    """Check a student's mean IoU from a confusion matrix against :func:`lecture_lib.metrics.mean_iou`.

    ``fn(confusion)`` takes an int64 ``(C, C)`` matrix (rows: true class, columns: predicted class) and
    returns ``(mean, per_class)``: ``per_class`` float ``(C,)`` with ``IoU_c = TP / (TP + FP + FN)``,
    ``TP = M[c, c]``, ``FN`` the rest of row ``c``, ``FP`` the rest of column ``c``; NaN for a class absent
    from both truth and prediction; ``mean`` (a float or a 0-d tensor) the mean over the other classes.
    The first five cases are fixed (a hand example, an absent class, a class only predicted, a class never
    predicted, a perfect prediction), the rest random matrices with C from 2 to 21. Returns a CheckResult
    that prints "all N cases pass" or the first failing case (output 0 is the mean, output 1 per_class).

    Taught in: chapters "Pascal VOC and COCO" and "Segmentation" (exercise: mean IoU).
    """
    _check_settings(fn, n_cases, seed, 1)

    def student(confusion: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return _as_mean_and_per_class(fn(confusion))

    return compare_on_cases(
        "check_mean_iou",
        student,
        _mean_iou_reference,
        _mean_iou_cases(n_cases, seed),
        atol=1e-10,
        rtol=1e-10,
    )

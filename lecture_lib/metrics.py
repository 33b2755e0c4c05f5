"""Metrics of dense prediction: box IoU, confusion matrix, mean IoU, VOC AP, detection evaluation, COCO mAP.

Boxes are ``(x0, y0, x1, y1)`` in continuous pixel coordinates (pixel column ``i`` covers ``[i, i + 1)``),
the convention of :mod:`lecture_lib.datasets.voc` and :mod:`lecture_lib.datasets.coco`. The VOC devkit
computes IoU on its 1-based inclusive boxes with ``+ 1`` in every width; after the conversion
``(xmin - 1, ymin - 1, xmax, ymax)`` the plain formula below gives the same number.

Taught in: chapters "Pascal VOC and COCO" and "Segmentation".
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from ._validate import check_bool, check_int, check_real, check_same_device, check_tensor, describe

__all__ = [
    "COCO_STAT_NAMES",
    "box_iou",
    "coco_map",
    "confusion_matrix",
    "evaluate_detections",
    "mean_iou",
    "pixel_accuracy",
    "to_coco_results",
    "voc_ap",
    "VOC07_RECALL_LEVELS",
]

COCO_STAT_NAMES = (
    "AP",
    "AP50",
    "AP75",
    "AP_small",
    "AP_medium",
    "AP_large",
    "AR1",
    "AR10",
    "AR100",
    "AR_small",
    "AR_medium",
    "AR_large",
)


def _no_meta(name: str, x: torch.Tensor) -> None:
    if x.device.type == "meta":
        raise ValueError(f"{name} is on the meta device (shapes only, no values); got {describe(x)}")


def _check_box_tensor(boxes: Any, name: str) -> None:
    check_tensor(name, boxes)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(
            f"{name} must be a floating-point tensor of shape (N, 4), got shape {tuple(boxes.shape)} "
            f"and dtype {boxes.dtype}"
        )
    check_tensor(name, boxes, dtype="floating")
    _no_meta(name, boxes)
    finite = torch.isfinite(boxes).all(dim=1)
    if not finite.all():
        k = int((~finite).nonzero()[0, 0])
        raise ValueError(f"{name}[{k}]={boxes[k].tolist()} is not finite; expected finite (x0, y0, x1, y1)")
    bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    if bad.any():
        k = int(bad.nonzero()[0, 0])
        raise ValueError(f"{name}[{k}]={boxes[k].tolist()} has x1 < x0 or y1 < y0; expected (x0, y0, x1, y1)")


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Intersection over union of every pair of boxes (the same as ``torchvision.ops.box_iou``).

    Shapes: ``(N, 4) x (M, 4) -> (N, M)``, xyxy boxes. Formula: with
    ``w = max(0, min(a.x1, b.x1) - max(a.x0, b.x0))`` and ``h`` likewise,
    ``IoU = w h / (area(a) + area(b) - w h)``. Two boxes of zero area give 0/0 = NaN, as in torchvision.
    Both tensors must be on one device; float16 and bfloat16 boxes are computed in float32 (their areas
    would overflow above 65504 square pixels) and the result is returned in the inputs' dtype.

    Taught in: chapter "Pascal VOC and COCO".
    """
    check_tensor("boxes1", boxes1)
    check_tensor("boxes2", boxes2)
    check_same_device(boxes1=boxes1, boxes2=boxes2)
    _check_box_tensor(boxes1, "boxes1")
    _check_box_tensor(boxes2, "boxes2")
    dtype = torch.promote_types(boxes1.dtype, boxes2.dtype)
    if dtype in (torch.float16, torch.bfloat16):
        return box_iou(boxes1.float(), boxes2.float()).to(dtype)
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])  # (N,)
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])  # (M,)
    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])  # (N, M, 2)
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])  # (N, M, 2)
    wh = (bottom_right - top_left).clamp(min=0)  # (N, M, 2): no overlap -> 0
    inter = wh[..., 0] * wh[..., 1]  # (N, M)
    return inter / (area1[:, None] + area2[None, :] - inter)  # (N, M)


#: The largest confusion matrix :func:`confusion_matrix` builds: ``num_classes**2 * 8`` bytes (int64 counts)
#: at most 1 GiB, i.e. ``num_classes <= 11585`` (LVIS has 1203 classes, ADE20K 150). A larger value is almost
#: surely a mistake (a pixel count or an image size passed as ``num_classes``) and would ask for gigabytes.
_CONFUSION_MAX_BYTES = 2**30


def confusion_matrix(
    pred: torch.Tensor, target: torch.Tensor, num_classes: int, ignore_index: int | None = 255
) -> torch.Tensor:
    """Count pixels by (true class, predicted class), skipping ``target == ignore_index`` (VOC's void).

    Shapes: ``pred`` and ``target`` integer tensors of the same shape (e.g. ``(N, H, W)``) -> ``(C, C)``
    int64 with ``confusion[t, p]`` = number of pixels of true class ``t`` predicted as ``p`` (rows: truth).
    Computed with one ``bincount`` of ``t * C + p``. Matrices add: sum them over batches to evaluate a
    dataset. Predictions must lie in ``[0, C)``; targets in ``[0, C)`` or equal ``ignore_index``.
    ``num_classes`` is refused when the matrix would take more than 1 GiB
    (``C**2 * 8`` bytes, so ``C <= 11585``).

    Taught in: chapter "Segmentation".
    """
    num_classes = check_int("num_classes", num_classes, minimum=1)
    ignore_index = check_int("ignore_index", ignore_index, allow_none=True)
    if num_classes**2 * 8 > _CONFUSION_MAX_BYTES:
        raise ValueError(
            f"num_classes={num_classes} would need a {num_classes} x {num_classes} int64 matrix of "
            f"{num_classes**2 * 8 / 2**30:.3g} GiB; the limit is 1 GiB "
            f"(num_classes <= {math.isqrt(_CONFUSION_MAX_BYTES // 8)})"
        )
    for name, x in (("pred", pred), ("target", target)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"{name} must hold integer class indices, got dtype {x.dtype}")
    check_same_device(pred=pred, target=target)
    _no_meta("pred", pred)
    if pred.shape != target.shape:
        raise ValueError(
            f"pred shape {tuple(pred.shape)} differs from target shape {tuple(target.shape)}; pass class "
            "indices (e.g. logits.argmax(1)), not scores"
        )
    pred, target = pred.reshape(-1).long(), target.reshape(-1).long()
    if ignore_index is not None:
        keep = target != ignore_index
        pred, target = pred[keep], target[keep]
    for name, x in (("pred", pred), ("target", target)):
        bad = (x < 0) | (x >= num_classes)
        if bad.any():
            value = int(x[bad][0])
            allowed = f"[0, {num_classes})" + (
                "" if ignore_index is None or name == "pred" else f" or {ignore_index}"
            )
            raise ValueError(f"{name} contains the value {value}; expected class indices in {allowed}")
    counts = torch.bincount(target * num_classes + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)  # (C, C)


def _check_confusion(confusion: Any) -> None:
    if not isinstance(confusion, torch.Tensor):
        raise TypeError(f"confusion must be a torch.Tensor, got {type(confusion).__name__}")
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be a square (C, C) matrix, got shape {tuple(confusion.shape)}")
    check_tensor("confusion", confusion, dtype="real", finite=True)
    _no_meta("confusion", confusion)
    if (confusion < 0).any():
        raise ValueError("confusion has negative entries; expected pixel counts")


def mean_iou(confusion: torch.Tensor) -> tuple[float, torch.Tensor]:
    """Per-class IoU and their mean from a confusion matrix (rows: truth, columns: prediction).

    Shapes: ``(C, C) -> (float, (C,) float64)``. Formula: ``IoU_c = TP / (TP + FP + FN)`` with
    ``TP = M[c, c]``, ``FN = sum_p M[c, p] - TP``, ``FP = sum_t M[t, c] - TP``. A class absent from both
    truth and prediction (``TP + FP + FN = 0``) has IoU NaN and is left out of the mean; a class only
    predicted has IoU 0 and counts. Returns ``(mean, per_class)``; mean is NaN if every class is absent.

    Taught in: chapter "Segmentation".
    """
    _check_confusion(confusion)
    m = confusion.to(torch.float64)
    tp = torch.diagonal(m)  # (C,)
    denom = m.sum(dim=1) + m.sum(dim=0) - tp  # TP + FN + FP, (C,)
    per_class = torch.where(denom > 0, tp / denom.clamp(min=1), torch.full_like(tp, float("nan")))
    return float(torch.nanmean(per_class)), per_class


def pixel_accuracy(confusion: torch.Tensor) -> float:
    """Fraction of scored pixels whose class is right: ``trace(M) / sum(M)`` (NaN for an empty matrix).

    Taught in: chapter "Segmentation" (to show why it flatters a background-heavy dataset).
    """
    _check_confusion(confusion)
    total = confusion.sum()
    return float(torch.diagonal(confusion).sum()) / float(total) if total > 0 else float("nan")


def _matlab_colon(start: float, step: float, stop: float) -> tuple[float, ...]:
    """MATLAB's ``start:step:stop`` for a positive step, element by element (MathWorks' ``colonop.m``).

    n = round((stop - start) / step) steps; the first half is ``start + k * step``, the second half
    ``stop - k * step`` counted from the end, and for even n the middle element is ``(start + stop) / 2``.
    """
    n = round((stop - start) / step)
    out = [0.0] * (n + 1)
    for k in range(n // 2 + 1):
        out[k] = start + k * step
        out[n - k] = stop - k * step
    if n % 2 == 0:
        out[n // 2] = (start + stop) / 2
    return tuple(out)


VOC07_RECALL_LEVELS: tuple[float, ...] = _matlab_colon(0.0, 0.1, 1.0)  # the devkit's 0:0.1:1


def voc_ap(recall: torch.Tensor, precision: torch.Tensor, use_07_metric: bool = False) -> float:
    """Average precision from a precision-recall curve, as the VOC devkit computes it.

    Shapes: ``recall``, ``precision`` ``(D,)``, one point per detection in order of decreasing score.
    ``use_07_metric=True`` (VOC2007): mean over the 11 recall levels ``t = 0, 0.1, ..., 1`` of the best
    precision at recall ``>= t`` (0 if none). The levels are exactly those of the MATLAB devkit's
    ``for t=0:0.1:1`` (``VOC07_RECALL_LEVELS``). MATLAB's colon operator fills the first half from the
    start (``k * 0.1``), the second half from the end (``1 - (10 - k) * 0.1``) and puts the middle at 0.5,
    so every level is the float nearest to ``k / 10`` except the fourth, ``3 * 0.1 = 0.30000000000000004``:
    a recall of exactly 0.3 does not reach it. Python ports that use ``np.arange(0, 1.1, 0.1)``
    (``k * 0.1`` throughout) also get 0.6000000000000001 and 0.7000000000000001, and so miss a recall of
    exactly 0.3, 0.6 or 0.7.
    ``use_07_metric=False`` (VOC2010 on): pad the curve with (0, 0) and (1, 0), make precision
    non-increasing from the right (``p_i = max_{j >= i} p_j``), then sum ``(r_{i+1} - r_i) p_{i+1}`` over
    the points where recall changes: the exact area under the interpolated curve.

    Both curves must be floating tensors on one device holding real numbers in ``[0, 1]`` (no NaN), and
    ``recall`` must be non-decreasing (it is a cumulative count of true positives over the number of
    positives); anything else raises ``ValueError`` (``TypeError`` for a non-floating dtype).

    Taught in: chapter "Pascal VOC and COCO".
    """
    use_07_metric = check_bool("use_07_metric", use_07_metric)
    for name, x in (("recall", recall), ("precision", precision)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {tuple(x.shape)}")
        if not x.is_floating_point():
            raise TypeError(
                f"{name} must hold real numbers in [0, 1] (a floating dtype), got dtype {x.dtype}"
            )
    check_same_device(recall=recall, precision=precision)
    for name, x in (("recall", recall), ("precision", precision)):
        _no_meta(name, x)
        bad = ~((x >= 0) & (x <= 1))  # NaN fails both comparisons
        if bad.any():
            k = int(bad.nonzero()[0, 0])
            raise ValueError(f"{name}[{k}]={float(x[k])!r}; expected values in [0, 1]")
    if recall.shape != precision.shape:
        raise ValueError(
            f"recall shape {tuple(recall.shape)} differs from precision shape {tuple(precision.shape)}"
        )
    rec = recall.detach().to(torch.float64)
    prec = precision.detach().to(torch.float64)
    drop = rec[1:] < rec[:-1]
    if drop.any():
        k = int(drop.nonzero()[0, 0])
        raise ValueError(
            f"recall decreases from recall[{k}]={float(rec[k])!r} to recall[{k + 1}]={float(rec[k + 1])!r}; "
            "expected a non-decreasing curve (points in order of decreasing score)"
        )
    if use_07_metric:
        ap = 0.0
        for t in VOC07_RECALL_LEVELS:
            above = rec >= t
            ap += (float(prec[above].max()) if above.any() else 0.0) / 11.0
        return ap
    zero = torch.zeros(1, dtype=torch.float64, device=rec.device)
    mrec = torch.cat([zero, rec, zero + 1])  # (D + 2,)
    mpre = torch.cat([zero, prec, zero])  # (D + 2,)
    mpre = torch.flip(torch.cummax(torch.flip(mpre, [0]), dim=0).values, [0])  # running max from the right
    change = torch.nonzero(mrec[1:] != mrec[:-1]).flatten()  # indices i where recall moves
    return float(((mrec[change + 1] - mrec[change]) * mpre[change + 1]).sum())


def _get(entry: Mapping[str, Any], key: str, where: str) -> torch.Tensor:
    """``entry[key]`` as a tensor of real numbers (not on the meta device)."""
    if not isinstance(entry, Mapping):
        raise TypeError(
            f"{where} must be a dict with 'boxes', 'labels' (and 'scores'), not {describe(entry)}"
        )
    if key not in entry:
        raise ValueError(f"{where} has no {key!r}")
    value = entry[key]
    if not isinstance(value, torch.Tensor):
        try:
            value = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(
                f"{where}[{key!r}]={describe(value)} must be a tensor (or a list) of numbers"
            ) from None
    if value.is_complex():
        raise TypeError(f"{where}[{key!r}] must hold real numbers, got dtype {value.dtype}")
    if value.device.type == "meta":
        raise ValueError(f"{where}[{key!r}] is on the meta device (shapes only, no values)")
    return value


def _scores(entry: Mapping[str, Any], where: str) -> torch.Tensor:
    """``entry["scores"]`` flattened; real and finite (a NaN score would sort anywhere)."""
    scores = _get(entry, "scores", where).reshape(-1)
    if scores.is_complex() or scores.dtype == torch.bool:
        raise TypeError(f"{where}['scores'] must hold real numbers, got dtype {scores.dtype}")
    bad = ~torch.isfinite(scores.to(torch.float64))
    if bad.any():
        k = int(bad.nonzero()[0, 0])
        raise ValueError(f"{where}['scores'][{k}]={float(scores[k])!r}; expected finite scores")
    return scores


def _labels(entry: Mapping[str, Any], where: str) -> torch.Tensor:
    """``entry["labels"]`` flattened as int64; floating labels must hold whole numbers (1.7 is refused)."""
    labels = _get(entry, "labels", where).reshape(-1)
    if labels.is_complex() or labels.dtype == torch.bool:
        raise TypeError(f"{where}['labels'] must hold integer class ids, got dtype {labels.dtype}")
    if labels.is_floating_point():
        bad = ~torch.isfinite(labels) | (labels != torch.round(labels))
        if bad.any():
            k = int(bad.nonzero()[0, 0])
            raise ValueError(f"{where}['labels'][{k}]={float(labels[k])!r}; expected integer class ids")
    return labels.long()


def _class_id(c: Any, name: str, what: str = "class id") -> int:
    """An integer class id: an int, a NumPy integer, a one-element tensor or a float holding a whole number."""
    if isinstance(c, torch.Tensor) and c.numel() == 1:
        c = c.item()
    if isinstance(c, numbers.Integral) and not isinstance(c, bool):
        return int(c)
    if isinstance(c, numbers.Real) and not isinstance(c, bool) and math.isfinite(c) and float(c).is_integer():
        return int(c)
    raise ValueError(f"{name}={c!r} must be an integer {what}")


def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _difficult(entry: Mapping[str, Any], where: str) -> torch.Tensor:
    """``entry["difficult"]`` flattened as bool; only bools or the numbers 0 and 1 (0.5 is refused)."""
    flags = _get(entry, "difficult", where).reshape(-1)
    if flags.dtype != torch.bool and not ((flags == 0) | (flags == 1)).all():
        raise ValueError(f"{where}['difficult'] must hold bools (or 0 and 1), got {flags.tolist()[:8]}")
    return flags.bool()


def _check_entries(name: str, entries: Any) -> None:
    """A list (or tuple) of per-image dicts: not a dict, a string or a tensor."""
    if isinstance(entries, str | bytes | Mapping | torch.Tensor) or not isinstance(entries, Sequence):
        raise TypeError(f"{name}={describe(entries)} must be a list with one dict per image")


def _boxes(entry: Mapping[str, Any], where: str) -> torch.Tensor:
    """``entry["boxes"]`` as float64 (K, 4); an empty value is (0, 4), any other shape raises."""
    boxes = _get(entry, "boxes", where)
    if boxes.dtype == torch.bool:
        raise TypeError(f"{where}['boxes'] must hold coordinates, got dtype {boxes.dtype}")
    boxes = boxes.to(torch.float64)
    if boxes.numel() == 0:
        return boxes.reshape(0, 4)
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{where}['boxes'] has shape {tuple(boxes.shape)}, expected (K, 4) xyxy boxes")
    return boxes


def evaluate_detections(
    predictions: Sequence[Mapping[str, Any]],
    targets: Sequence[Mapping[str, Any]],
    iou_threshold: float = 0.5,
    use_07_metric: bool = False,
    classes: Iterable[int] | None = None,
) -> dict[str, Any]:
    """Per-class AP and mAP the way the VOC devkit (``VOCevaldet``) computes them.

    ``predictions[i]`` = ``{"boxes": (D, 4), "scores": (D,), "labels": (D,)}`` and ``targets[i]`` =
    ``{"boxes": (G, 4), "labels": (G,), "difficult": (G,) bool (optional)}`` for image ``i`` (the format of
    ``VOCDetection``; xyxy boxes). For each class, detections of all images are taken by decreasing score
    (ties in input order); each is matched to the ground-truth box of its image and class with the highest
    IoU. IoU ``>= iou_threshold`` with a difficult box: ignored (neither true nor false positive); with a box
    not yet matched: true positive; with a box already matched (a duplicate): false positive. Lower IoU or
    no box: false positive. ``recall = cumTP / npos`` with ``npos`` the non-difficult boxes, ``precision =
    cumTP / (cumTP + cumFP)``, AP by :func:`voc_ap`.

    Boxes and scores must be finite, labels whole numbers (a float label 1.7 is refused, not truncated).
    ``classes`` (an iterable of integer ids, not a string) defaults to every label in ``targets``. A class
    with no non-difficult box has AP NaN and is left out of the mean. ``difficult`` flags must be bools (or
    0 and 1); ``predictions`` and ``targets`` lists of dicts, one per image. Returns ``{"ap": {c: float}, "map": float, "recall": {c: tensor},
    "precision": {c: tensor}, "npos": {c: int}}``.

    Taught in: chapter "Pascal VOC and COCO".
    """
    _check_entries("predictions", predictions)
    _check_entries("targets", targets)
    if len(predictions) != len(targets):
        raise ValueError(f"predictions has {len(predictions)} images but targets has {len(targets)}")
    iou_threshold = check_real("iou_threshold", iou_threshold)
    if not 0 < iou_threshold <= 1:
        raise ValueError(f"iou_threshold={iou_threshold!r} must be a number in (0, 1]")
    use_07_metric = check_bool("use_07_metric", use_07_metric)
    gts, dets = [], []
    for i, (pred, tgt) in enumerate(zip(predictions, targets)):
        g_boxes = _boxes(tgt, f"targets[{i}]")
        g_labels = _labels(tgt, f"targets[{i}]")
        g_diff = (
            _difficult(tgt, f"targets[{i}]")
            if "difficult" in tgt
            else torch.zeros(len(g_labels), dtype=torch.bool)
        )
        if not len(g_boxes) == len(g_labels) == len(g_diff):
            raise ValueError(
                f"targets[{i}] has {len(g_boxes)} boxes, {len(g_labels)} labels, {len(g_diff)} flags"
            )
        _check_box_tensor(g_boxes, f"targets[{i}]['boxes']")
        d_boxes = _boxes(pred, f"predictions[{i}]")
        d_scores = _scores(pred, f"predictions[{i}]")
        d_labels = _labels(pred, f"predictions[{i}]")
        if not len(d_boxes) == len(d_scores) == len(d_labels):
            raise ValueError(
                f"predictions[{i}] has {len(d_boxes)} boxes, {len(d_scores)} scores, {len(d_labels)} labels"
            )
        _check_box_tensor(d_boxes, f"predictions[{i}]['boxes']")
        gts.append((g_boxes.cpu(), g_labels.cpu().long(), g_diff.cpu()))
        dets.append((d_boxes.cpu(), d_scores.cpu().to(torch.float64), d_labels.cpu().long()))
    if classes is None:
        classes = sorted({int(c) for _b, labels, _d in gts for c in labels.tolist()})
    elif isinstance(classes, str | bytes) or not isinstance(classes, Iterable):
        raise TypeError(f"classes={classes!r} must be an iterable of integer class ids (e.g. [1, 2]) or None")
    else:
        classes = [_class_id(c, "classes[" + str(k) + "]") for k, c in enumerate(classes)]
    result: dict[str, Any] = {"ap": {}, "recall": {}, "precision": {}, "npos": {}}
    for c in classes:
        gt_c = [(b[lab == c], d[lab == c]) for b, lab, d in gts]
        matched = [torch.zeros(len(b), dtype=torch.bool) for b, _d in gt_c]
        npos = int(sum(int((~d).sum()) for _b, d in gt_c))
        entries = [  # (score, image index, box) of every detection of class c, in input order
            (float(s), i, b)
            for i, (boxes, scores, labels) in enumerate(dets)
            for b, s in zip(boxes[labels == c], scores[labels == c])
        ]
        order = sorted(range(len(entries)), key=lambda k: -entries[k][0])  # stable: ties keep input order
        tp, fp = [], []
        for k in order:
            _score, i, box = entries[k]
            g_boxes, g_diff = gt_c[i]
            if len(g_boxes):
                ious = box_iou(box[None], g_boxes)[0]  # (G_c,)
                j = int(torch.argmax(ious))  # first of the best in case of ties
                if float(ious[j]) >= iou_threshold:
                    if g_diff[j]:
                        continue  # matched a difficult box: ignored
                    if not matched[i][j]:
                        matched[i][j] = True
                        tp.append(1.0)
                        fp.append(0.0)
                    else:
                        tp.append(0.0)  # duplicate detection
                        fp.append(1.0)
                    continue
            tp.append(0.0)
            fp.append(1.0)
        ctp = torch.cumsum(torch.tensor(tp, dtype=torch.float64), 0)
        cfp = torch.cumsum(torch.tensor(fp, dtype=torch.float64), 0)
        recall = ctp / npos if npos > 0 else torch.full_like(ctp, float("nan"))
        precision = ctp / (ctp + cfp)
        result["npos"][c] = npos
        result["recall"][c] = recall
        result["precision"][c] = precision
        result["ap"][c] = voc_ap(recall, precision, use_07_metric) if npos > 0 else float("nan")
    values = torch.tensor([v for v in result["ap"].values()], dtype=torch.float64)
    result["map"] = float(torch.nanmean(values)) if len(values) else float("nan")
    return result


def to_coco_results(
    image_ids: Sequence[int], predictions: Sequence[Mapping[str, Any]], masks: bool = False
) -> list[dict[str, Any]]:
    """Turn per-image predictions (xyxy ``boxes``, ``scores``, ``labels`` = category ids, optional bool
    ``masks`` (D, H, W)) into COCO's results list: ``{"image_id", "category_id", "bbox": [x, y, w, h],
    "score"}`` (plus ``"segmentation"`` as compact RLE when ``masks=True``). Boxes must be finite with
    ``x1 >= x0`` and ``y1 >= y0``, scores finite, labels and image ids whole numbers.

    Taught in: chapter "Pascal VOC and COCO".
    """
    if isinstance(image_ids, str | bytes | Mapping) or not isinstance(image_ids, Sequence | torch.Tensor):
        raise TypeError(f"image_ids={describe(image_ids)} must be a list of integer image ids")
    _check_entries("predictions", predictions)
    masks = check_bool("masks", masks)
    if len(image_ids) != len(predictions):
        raise ValueError(f"image_ids has {len(image_ids)} entries but predictions has {len(predictions)}")
    if masks:
        import numpy as np
        from pycocotools import mask as mask_utils
    results = []
    for n, (image_id, pred) in enumerate(zip(image_ids, predictions)):
        image_id = _class_id(image_id, f"image_ids[{n}]", "image id")
        where = f"predictions[{n}] for image {image_id}"
        boxes = _boxes(pred, where)
        _check_box_tensor(boxes, f"{where}: boxes")
        scores = _scores(pred, where)
        labels = _labels(pred, where)
        seg = _get(pred, "masks", where) if masks else None
        counts = {"boxes": len(boxes), "scores": len(scores), "labels": len(labels)}
        if seg is not None:
            if seg.dtype != torch.bool:
                raise TypeError(f"{where}: masks must be a bool tensor (D, H, W), got {seg.dtype}")
            if seg.dim() != 3 and seg.numel() > 0:
                raise ValueError(f"{where}: masks must have shape (D, H, W), got {tuple(seg.shape)}")
            counts["masks"] = 0 if seg.dim() == 0 else len(seg)
        if len(set(counts.values())) != 1:
            raise ValueError(
                f"{where} has " + ", ".join(f"{n} {k}" for k, n in counts.items()) + " (expected equal)"
            )
        for k in range(len(boxes)):
            x0, y0, x1, y1 = boxes[k].tolist()
            entry = {
                "image_id": int(image_id),
                "category_id": int(labels[k]),
                "bbox": [x0, y0, x1 - x0, y1 - y0],
                "score": float(scores[k]),
            }
            if seg is not None:
                rle = mask_utils.encode(np.asfortranarray(seg[k].cpu().numpy().astype(np.uint8)))
                entry["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
            results.append(entry)
    return results


def coco_map(coco_gt: Any, results: Sequence[Mapping[str, Any]], iou_type: str = "bbox") -> dict[str, float]:
    """COCO's AP@[.5:.95] and the other 11 summary numbers, computed by pycocotools' ``COCOeval``.

    ``coco_gt``: a ``pycocotools.coco.COCO``, a ``CocoDetection`` (its ``.coco`` is used) or the path of an
    instances JSON. ``results``: COCO results (see :func:`to_coco_results`); ``iou_type`` "bbox" or "segm".
    Returns ``{"AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large", "AR1", "AR10", "AR100",
    "AR_small", "AR_medium", "AR_large"}``; pycocotools' -1 (no ground truth in that size range) becomes NaN.
    AP is the mean over IoU thresholds 0.50, 0.55, ..., 0.95 and over categories of the 101-point
    interpolated precision. Crowd regions are never counted as misses; detections on them are ignored.
    Every result's ``score`` and ``bbox`` must be finite, with ``w, h >= 0`` (pycocotools would rank a NaN
    score or match a NaN box without a word).

    Taught in: chapter "Pascal VOC and COCO".
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if iou_type not in ("bbox", "segm"):
        raise ValueError(f"iou_type={iou_type!r} must be 'bbox' or 'segm'")
    if hasattr(coco_gt, "coco") and isinstance(coco_gt.coco, COCO):
        coco_gt = coco_gt.coco
    elif isinstance(coco_gt, str | os.PathLike):
        from .datasets.coco import load_instances

        data = load_instances(Path(coco_gt))
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt_obj = COCO()
            coco_gt_obj.dataset = data
            coco_gt_obj.createIndex()
        coco_gt = coco_gt_obj
    if not isinstance(coco_gt, COCO):
        raise TypeError(
            f"coco_gt must be a COCO object, a CocoDetection or a path, got {type(coco_gt).__name__}"
        )
    _check_entries("results", results)
    if len(results) == 0:
        raise ValueError("results is empty; pycocotools cannot evaluate an empty result list (AP would be 0)")
    known = set(coco_gt.getImgIds())
    categories = set(coco_gt.getCatIds())
    for k, r in enumerate(results):
        if not isinstance(r, Mapping):
            raise TypeError(f"results[{k}] must be a dict (see to_coco_results), got {type(r).__name__}")
        image_id = r.get("image_id")
        if not _is_real(image_id) or image_id not in known:
            raise ValueError(f"results[{k}] has image_id={image_id!r}, which is not in the ground truth")
        category_id = r.get("category_id")
        if not _is_real(category_id) or category_id not in categories:
            raise ValueError(
                f"results[{k}] has category_id={category_id!r}, which is not a category of the ground truth "
                f"(pycocotools would ignore the result); known ids: {sorted(categories)[:10]}"
            )
        score = r.get("score")
        if not _is_real(score) or not math.isfinite(score):
            raise ValueError(f"results[{k}]['score']={score!r} must be a finite number")
        bbox = r.get("bbox")
        if iou_type == "bbox" or bbox is not None:
            if not (
                isinstance(bbox, list | tuple)
                and len(bbox) == 4
                and all(_is_real(v) and math.isfinite(v) for v in bbox)
            ):
                raise ValueError(f"results[{k}]['bbox']={bbox!r} must be four finite numbers [x, y, w, h]")
            if bbox[2] < 0 or bbox[3] < 0:
                raise ValueError(f"results[{k}]['bbox']={bbox!r} has a negative width or height")
        if iou_type == "segm" and "segmentation" not in r:
            raise ValueError("iou_type='segm' needs a 'segmentation' in every result")
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress and timings
        coco_dt = coco_gt.loadRes(copy.deepcopy(list(results)))
        evaluator = COCOeval(coco_gt, coco_dt, iou_type)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return {
        name: (float("nan") if v == -1 else float(v)) for name, v in zip(COCO_STAT_NAMES, evaluator.stats)
    }

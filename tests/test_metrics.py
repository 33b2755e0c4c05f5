"""Tests of lecture_lib.metrics on hand-computed cases, brute-force loops and library references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils
from sklearn.metrics import accuracy_score, jaccard_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from lecture_lib import metrics
from lecture_lib.datasets import coco, synthetic

# ------------------------------------------------------------------------------------------ box_iou


def test_box_iou_hand_cases(device):
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0]], dtype=torch.float64, device=device)
    b = torch.tensor(
        [[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 2.0, 2.0], [2.0, 0.0, 4.0, 2.0], [5.0, 5.0, 6.0, 6.0]],
        dtype=torch.float64,
        device=device,
    )
    iou = metrics.box_iou(a, b)
    assert iou.shape == (2, 4) and iou.device == a.device and iou.dtype == torch.float64
    expected = [[1 / 7, 1.0, 0.0, 0.0], [0.0, 1 / 4, 0.0, 0.0]]  # boxes touching at an edge or corner: 0
    torch.testing.assert_close(iou.cpu(), torch.tensor(expected, dtype=torch.float64), atol=1e-15, rtol=0)


@settings(max_examples=40)
@given(n=st.integers(0, 6), m=st.integers(0, 6), seed=st.integers(0, 2**31 - 1))
def test_box_iou_equals_pycocotools(n, m, seed):
    g = torch.Generator().manual_seed(seed)

    def boxes(k):
        xy = torch.rand(k, 2, generator=g, dtype=torch.float64) * 10
        wh = torch.rand(k, 2, generator=g, dtype=torch.float64) * 5 + 0.01
        return torch.cat([xy, xy + wh], dim=1)

    a, b = boxes(n), boxes(m)
    iou = metrics.box_iou(a, b)
    assert iou.shape == (n, m)
    if n and m:  # pycocotools' box IoU (C, float64), boxes as [x, y, w, h], no crowd

        def xywh(t):
            return torch.cat([t[:, :2], t[:, 2:] - t[:, :2]], dim=1).tolist()

        reference = mask_utils.iou(xywh(a), xywh(b), [0] * m)
        torch.testing.assert_close(iou, torch.as_tensor(reference, dtype=torch.float64), atol=1e-12, rtol=0)


def test_box_iou_rejects_bad_boxes():
    good = torch.zeros(1, 4)
    with pytest.raises(ValueError, match=r"boxes1\[0\].*x1 < x0"):
        metrics.box_iou(torch.tensor([[2.0, 0.0, 1.0, 1.0]]), good)
    with pytest.raises(ValueError, match="boxes2 must be .* shape \\(N, 4\\)"):
        metrics.box_iou(good, torch.zeros(4))
    with pytest.raises(TypeError, match="boxes1"):
        metrics.box_iou([[0, 0, 1, 1]], good)


# --------------------------------------------------------------------------- confusion and mean IoU


def test_confusion_matrix_hand_case(device):
    target = torch.tensor([[0, 0, 1], [1, 255, 2]], device=device)
    pred = torch.tensor([[0, 1, 1], [1, 2, 0]], device=device)
    cm = metrics.confusion_matrix(pred, target, num_classes=3)
    # rows: truth. (0,0) (0,1) | (1,1) (1,1) | void skipped | (2,0)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert cm.dtype == torch.int64 and cm.device == target.device


@pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")  # sklearn, on one-class samples
@settings(max_examples=30)
@given(c=st.integers(1, 5), n=st.integers(1, 60), seed=st.integers(0, 2**31 - 1))
def test_confusion_matrix_and_iou_equal_sklearn(c, n, seed):
    rng = np.random.default_rng(seed)
    target = rng.integers(0, c, size=n)
    target[rng.random(n) < 0.2] = 255
    pred = rng.integers(0, c, size=n)
    cm = metrics.confusion_matrix(torch.from_numpy(pred), torch.from_numpy(target), c)
    keep = target != 255
    miou, per_class = metrics.mean_iou(cm)
    if not keep.any():
        assert int(cm.sum()) == 0 and math.isnan(miou)
        return
    reference = sk_confusion_matrix(target[keep], pred[keep], labels=list(range(c)))
    assert np.array_equal(cm.numpy(), reference)
    present = (reference.sum(0) + reference.sum(1)) > 0
    sk = jaccard_score(target[keep], pred[keep], labels=list(range(c)), average=None, zero_division=0)
    np.testing.assert_allclose(per_class.numpy()[present], sk[present], atol=1e-12, rtol=0)
    assert miou == pytest.approx(sk[present].mean(), abs=1e-12)
    assert np.isnan(per_class.numpy()[~present]).all()
    assert metrics.pixel_accuracy(cm) == pytest.approx(accuracy_score(target[keep], pred[keep]), abs=1e-12)


def test_confusion_matrices_accumulate():
    g = torch.Generator().manual_seed(0)
    pred = torch.randint(0, 4, (6, 5, 5), generator=g)
    target = torch.randint(0, 4, (6, 5, 5), generator=g)
    whole = metrics.confusion_matrix(pred, target, 4)
    total = sum(metrics.confusion_matrix(pred[i : i + 2], target[i : i + 2], 4) for i in range(0, 6, 2))
    assert torch.equal(whole, total) and int(whole.sum()) == 150


def test_confusion_matrix_errors():
    t = torch.zeros(2, 2, dtype=torch.int64)
    with pytest.raises(ValueError, match="pred contains the value 3; expected class indices in \\[0, 3\\)"):
        metrics.confusion_matrix(torch.full((2, 2), 3), t, 3)
    with pytest.raises(ValueError, match="target contains the value 7; .* or 255"):
        metrics.confusion_matrix(t, torch.full((2, 2), 7), 3)
    with pytest.raises(ValueError, match="pred shape"):
        metrics.confusion_matrix(torch.zeros(2, 3, 2, 2, dtype=torch.int64), t, 3)
    with pytest.raises(TypeError, match="pred must hold integer"):
        metrics.confusion_matrix(t.float(), t, 3)
    with pytest.raises(ValueError, match="num_classes="):
        metrics.confusion_matrix(t, t, 0)
    # without ignore_index, 255 is an error, not silently skipped
    with pytest.raises(ValueError, match="target contains the value 255"):
        metrics.confusion_matrix(t, torch.full((2, 2), 255), 3, ignore_index=None)


def test_mean_iou_hand_case(device):
    cm = torch.tensor([[3, 1, 0, 0], [0, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], device=device)
    cm[0, 3] = 1  # class 3 never present but once predicted: IoU 0, counted
    miou, per_class = metrics.mean_iou(cm)
    # class 0: TP 3, FN 2, FP 0 -> 3/5; class 1: TP 2, FP 1 -> 2/3; class 2 absent -> NaN; class 3: 0
    assert per_class[0].item() == pytest.approx(3 / 5) and per_class[1].item() == pytest.approx(2 / 3)
    assert math.isnan(per_class[2].item()) and per_class[3].item() == 0.0
    assert miou == pytest.approx((3 / 5 + 2 / 3 + 0) / 3)
    assert per_class.device == cm.device
    assert metrics.pixel_accuracy(cm) == pytest.approx(5 / 7)


def test_mean_iou_errors():
    with pytest.raises(ValueError, match="square"):
        metrics.mean_iou(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="negative"):
        metrics.mean_iou(torch.tensor([[1, -1], [0, 1]]))
    assert math.isnan(metrics.mean_iou(torch.zeros(2, 2, dtype=torch.int64))[0])


# -------------------------------------------------------------------------------------------- AP


def test_voc_ap_11_point_and_all_point_differ():
    # detections: TP, FP, TP with 2 positives -> recall .5 .5 1, precision 1 .5 2/3
    recall = torch.tensor([0.5, 0.5, 1.0])
    precision = torch.tensor([1.0, 0.5, 2 / 3])
    # all-point: 0.5 * 1 + 0.5 * 2/3 = 5/6
    assert metrics.voc_ap(recall, precision) == pytest.approx(5 / 6, abs=1e-7)
    # 11-point: t = 0 .. 0.5 (6 levels) see precision 1; t = 0.6 .. 1 (5 levels) see 2/3 -> (6 + 10/3) / 11
    assert metrics.voc_ap(recall, precision, use_07_metric=True) == pytest.approx(28 / 33, abs=1e-7)


def test_voc_ap_edge_cases():
    assert metrics.voc_ap(torch.tensor([1.0]), torch.tensor([1.0])) == 1.0
    assert metrics.voc_ap(torch.tensor([1.0]), torch.tensor([1.0]), use_07_metric=True) == pytest.approx(1.0)
    empty = torch.zeros(0)
    assert metrics.voc_ap(empty, empty) == 0.0 and metrics.voc_ap(empty, empty, use_07_metric=True) == 0.0
    with pytest.raises(ValueError, match="recall shape"):
        metrics.voc_ap(torch.zeros(2), torch.zeros(3))
    with pytest.raises(ValueError, match="precision must be 1-D"):
        metrics.voc_ap(torch.zeros(1, 1).flatten(), torch.zeros(1, 1))


def _box(*xyxy):
    return list(map(float, xyxy))


def test_evaluate_detections_devkit_rules():
    targets = [
        {"boxes": torch.tensor([_box(0, 0, 10, 10), _box(20, 20, 30, 30)]), "labels": torch.tensor([1, 1]),
         "difficult": torch.tensor([False, True])},
        {"boxes": torch.tensor([_box(0, 0, 10, 10)]), "labels": torch.tensor([1])},
    ]  # fmt: skip
    predictions = [
        {"boxes": torch.tensor([_box(0, 0, 10, 10), _box(1, 1, 10, 10), _box(20, 20, 30, 30)]),
         "scores": torch.tensor([0.9, 0.8, 0.7]), "labels": torch.tensor([1, 1, 1])},
        {"boxes": torch.tensor([_box(50, 50, 60, 60), _box(0, 0, 10, 9), _box(0, 0, 5, 5)]),
         "scores": torch.tensor([0.6, 0.5, 0.4]), "labels": torch.tensor([1, 1, 2])},
    ]  # fmt: skip
    # by score: TP (0.9) | duplicate of the same box, IoU 0.81: FP (0.8) | difficult: ignored (0.7) |
    # no overlap: FP (0.6) | IoU 0.9: TP (0.5). npos = 2 (the difficult box does not count)
    out = metrics.evaluate_detections(predictions, targets, classes=[1, 2])
    assert out["npos"] == {1: 2, 2: 0}
    torch.testing.assert_close(out["recall"][1], torch.tensor([0.5, 0.5, 0.5, 1.0], dtype=torch.float64))
    torch.testing.assert_close(out["precision"][1], torch.tensor([1.0, 0.5, 1 / 3, 0.5], dtype=torch.float64))
    assert out["ap"][1] == pytest.approx(0.5 * 1 + 0.5 * 0.5)  # all-point: 0.75
    assert math.isnan(out["ap"][2]) and out["map"] == pytest.approx(0.75)  # class 2 has no box: left out
    out07 = metrics.evaluate_detections(predictions, targets, use_07_metric=True)
    assert list(out07["ap"]) == [1]  # default classes: the labels of the targets
    assert out07["ap"][1] == pytest.approx((6 * 1 + 5 * 0.5) / 11)


def test_evaluate_detections_threshold_is_inclusive_and_low_iou_is_fp():
    target = [{"boxes": torch.tensor([_box(0, 0, 10, 10)]), "labels": torch.tensor([3])}]
    half = [
        {
            "boxes": torch.tensor([_box(0, 0, 10, 5)]),
            "scores": torch.tensor([1.0]),
            "labels": torch.tensor([3]),
        }
    ]
    assert metrics.evaluate_detections(half, target)["ap"][3] == 1.0  # IoU exactly 0.5 counts
    assert metrics.evaluate_detections(half, target, iou_threshold=0.51)["ap"][3] == 0.0


def test_evaluate_detections_errors():
    with pytest.raises(ValueError, match="predictions has 1 images but targets has 0"):
        metrics.evaluate_detections([{}], [])
    with pytest.raises(ValueError, match=r"targets\[0\] has no 'boxes'"):
        metrics.evaluate_detections([{}], [{}])
    with pytest.raises(ValueError, match="iou_threshold="):
        metrics.evaluate_detections([], [], iou_threshold=0)
    with pytest.raises(TypeError, match="iou_threshold=True"):  # a bool is the wrong kind of value
        metrics.evaluate_detections([], [], iou_threshold=True)
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0]] * 5)
    gt = [{"boxes": boxes[:1], "labels": torch.tensor([1])}]
    transposed = [
        {"boxes": boxes.T, "scores": torch.linspace(1, 0.5, 5), "labels": torch.ones(5, dtype=torch.long)}
    ]
    with pytest.raises(
        ValueError, match=r"predictions\[0\]\['boxes'\] has shape \(4, 5\), expected \(K, 4\)"
    ):
        metrics.evaluate_detections(transposed, gt)
    empty = [{"boxes": torch.zeros(0), "scores": torch.zeros(0), "labels": torch.zeros(0, dtype=torch.long)}]
    assert metrics.evaluate_detections(empty, gt)["ap"] == {1: 0.0}  # no detections: nothing found


# -------------------------------------------------------------------------------------- COCO mAP


def test_to_coco_results_converts_boxes():
    preds = [
        {
            "boxes": torch.tensor([_box(1, 2, 4, 8)]),
            "scores": torch.tensor([0.5]),
            "labels": torch.tensor([9]),
        }
    ]
    assert metrics.to_coco_results([7], preds) == [
        {"image_id": 7, "category_id": 9, "bbox": [1.0, 2.0, 3.0, 6.0], "score": 0.5}
    ]


def test_to_coco_results_errors():
    boxes = torch.tensor([_box(1, 2, 4, 8)] * 3)
    short = [{"boxes": boxes, "scores": torch.tensor([0.5, 0.4]), "labels": torch.tensor([9, 9, 9])}]
    with pytest.raises(ValueError, match="image 7 has 3 boxes, 2 scores, 3 labels"):
        metrics.to_coco_results([7], short)
    with pytest.raises(ValueError, match=r"\['boxes'\] has shape \(4, 3\)"):
        metrics.to_coco_results([7], [{**short[0], "boxes": boxes.T, "scores": torch.ones(3)}])
    float_masks = [
        {
            "boxes": boxes,
            "scores": torch.ones(3),
            "labels": torch.ones(3),
            "masks": torch.full((3, 4, 4), 0.9),
        }
    ]
    with pytest.raises(TypeError, match="masks must be a bool tensor"):
        metrics.to_coco_results([7], float_masks, masks=True)


def test_coco_map_hand_case(tmp_path):
    import json

    data = {
        "images": [{"id": 1, "file_name": "a.jpg", "height": 20, "width": 20}],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0,
             "segmentation": [[0, 0, 10, 0, 10, 10, 0, 10]]}
        ],
    }  # fmt: skip
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(data))
    # IoU 0.72: a hit at thresholds 0.50 .. 0.70 (5 of 10), a miss at 0.75 .. 0.95
    result = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 7.2], "score": 1.0}]
    stats = metrics.coco_map(path, result)
    assert stats["AP"] == pytest.approx(0.5) and stats["AP50"] == pytest.approx(1.0) and stats["AP75"] == 0.0
    assert math.isnan(stats["AP_large"])  # no large object: pycocotools' -1 becomes NaN
    assert result == [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 7.2], "score": 1.0}]  # untouched


def test_coco_map_on_the_synthetic_set(tmp_path):
    image_dir, ann_file = synthetic.make_coco_shapes(tmp_path, n_images=6, seed=0)
    ds = coco.CocoDetection(image_dir, ann_file)
    preds, ids = [], []
    for i in range(len(ds)):
        _, target = ds[i]
        keep = ~target["iscrowd"]  # crowd regions are not objects to detect
        preds.append({"boxes": target["boxes"][keep], "scores": torch.ones(int(keep.sum())),
                      "labels": target["labels"][keep], "masks": target["masks"][keep]})  # fmt: skip
        ids.append(target["image_id"])
    assert metrics.coco_map(ds, metrics.to_coco_results(ids, preds))["AP"] == pytest.approx(1.0)
    segm = metrics.coco_map(ds.coco, metrics.to_coco_results(ids, preds, masks=True), iou_type="segm")
    assert segm["AP"] == pytest.approx(1.0)
    # drop the tv of image 2: that category's recall, hence AP, falls below 1
    assert ids[1] == 2 and preds[1]["labels"].tolist() == [72]
    fewer = [p if i != 1 else {k: v[:0] for k, v in p.items()} for i, p in enumerate(preds)]
    assert 0.0 < metrics.coco_map(ds, metrics.to_coco_results(ids, fewer))["AP"] < 1.0


def test_coco_map_errors(tmp_path):
    image_dir, ann_file = synthetic.make_coco_shapes(tmp_path, n_images=3, seed=0)
    ds = coco.CocoDetection(image_dir, ann_file)
    with pytest.raises(ValueError, match="results is empty"):
        metrics.coco_map(ds, [])
    with pytest.raises(ValueError, match="iou_type="):
        metrics.coco_map(ds, [{"image_id": 1}], iou_type="keypoints")
    with pytest.raises(ValueError, match="image_id=99"):
        metrics.coco_map(ds, [{"image_id": 99, "category_id": 5, "bbox": [0, 0, 1, 1], "score": 1.0}])
    with pytest.raises(TypeError, match="coco_gt"):
        metrics.coco_map(42, [{"image_id": 1}])


def test_voc_ap_11_point_counts_a_recall_of_exactly_six_tenths():
    """3 of 5 objects found at precision 1: the level t = 0.6 is reached (k * 0.1 would miss it)."""
    recall = torch.tensor([1, 2, 3], dtype=torch.float64) / 5
    precision = torch.ones(3, dtype=torch.float64)
    assert 6 * 0.1 > 0.6  # the floating-point trap
    # levels 0, 0.1, ..., 0.6 are reached with precision 1: 7 of 11
    assert metrics.voc_ap(recall, precision, use_07_metric=True) == pytest.approx(7 / 11, abs=1e-12)


# ------------------------------------------------------------------- impossible values (issue 15)

NAN, INF = float("nan"), float("inf")


def test_confusion_matrix_refuses_a_num_classes_whose_matrix_is_too_large():
    x = torch.zeros(3, dtype=torch.long)
    assert metrics.confusion_matrix(x, x, 1203).shape == (1203, 1203)  # LVIS: 11 MiB
    for big in (11586, 10**6, 10**12):  # 11585**2 * 8 bytes is just under 1 GiB
        with pytest.raises(
            ValueError, match=rf"num_classes={big} would need .* 1 GiB \(num_classes <= 11585\)"
        ):
            metrics.confusion_matrix(x, x, big)


@pytest.mark.parametrize(
    ("recall", "precision", "match"),
    [
        ([0.5, 1.5], [1.0, 1.0], r"recall\[1\]=1\.5; expected values in \[0, 1\]"),
        ([0.5, NAN], [1.0, 1.0], r"recall\[1\]=nan"),
        ([-0.1, 0.5], [1.0, 1.0], r"recall\[0\]=-0\.1"),
        ([0.5, 1.0], [1.0, 2.0], r"precision\[1\]=2\.0"),
        ([0.5, 1.0], [NAN, 1.0], r"precision\[0\]=nan"),
        ([0.5, 1.0], [1.0, -INF], r"precision\[1\]=-inf"),
        ([0.5, 1.0, 0.25], [1.0, 1.0, 1.0], r"recall decreases from recall\[1\]=1\.0 to recall\[2\]=0\.25"),
    ],
)
@pytest.mark.parametrize("use_07_metric", [False, True])
def test_voc_ap_refuses_curves_outside_the_unit_square_or_decreasing_recall(
    recall, precision, match, use_07_metric
):
    with pytest.raises(ValueError, match=match):
        metrics.voc_ap(torch.tensor(recall), torch.tensor(precision), use_07_metric=use_07_metric)


def test_voc_ap_refuses_complex_curves():
    with pytest.raises(TypeError, match="recall must hold real numbers"):
        metrics.voc_ap(torch.tensor([0.5 + 1j]), torch.tensor([1.0]))


def _one_detection(**change):
    target = [{"boxes": torch.tensor([_box(0, 0, 10, 10)]), "labels": torch.tensor([1])}]
    pred = {
        "boxes": torch.tensor([_box(0, 0, 10, 10)]),
        "scores": torch.tensor([0.9]),
        "labels": torch.tensor([1]),
    }
    pred.update(change)
    return [pred], target


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"boxes": torch.tensor([[NAN, NAN, NAN, NAN]])}, r"predictions\[0\]\['boxes'\]\[0\]=.*not finite"),
        ({"boxes": torch.tensor([[0.0, 0.0, INF, 10.0]])}, r"predictions\[0\]\['boxes'\]\[0\]=.*not finite"),
        ({"scores": torch.tensor([NAN])}, r"predictions\[0\]\['scores'\]\[0\]=nan; expected finite"),
        ({"scores": torch.tensor([-INF])}, r"predictions\[0\]\['scores'\]\[0\]=-inf"),
        (
            {"labels": torch.tensor([1.7], dtype=torch.float64)},
            r"predictions\[0\]\['labels'\]\[0\]=1\.7; expected integer class ids",
        ),
        ({"labels": torch.tensor([NAN])}, r"predictions\[0\]\['labels'\]\[0\]=nan"),
    ],
)
def test_evaluate_detections_refuses_non_finite_boxes_scores_and_fractional_labels(change, match):
    preds, targets = _one_detection(**change)
    with pytest.raises(ValueError, match=match):
        metrics.evaluate_detections(preds, targets)


def test_evaluate_detections_refuses_bad_target_boxes_and_labels():
    preds, targets = _one_detection()
    targets[0]["boxes"] = torch.tensor([[0.0, NAN, 10.0, 10.0]])
    with pytest.raises(ValueError, match=r"targets\[0\]\['boxes'\]\[0\]=.*not finite"):
        metrics.evaluate_detections(preds, targets)
    preds, targets = _one_detection()
    targets[0]["labels"] = torch.tensor([1.5])
    with pytest.raises(ValueError, match=r"targets\[0\]\['labels'\]\[0\]=1\.5"):
        metrics.evaluate_detections(preds, targets)


def test_evaluate_detections_whole_float_labels_and_class_ids_still_work():
    preds, targets = _one_detection(labels=torch.tensor([1.0]))
    out = metrics.evaluate_detections(preds, targets, classes=[np.int64(1), 1.0, torch.tensor(1)])
    assert out["ap"] == {1: 1.0}


@pytest.mark.parametrize(
    ("classes", "error", "match"),
    [
        ("12", TypeError, r"classes='12' must be an iterable of integer class ids"),
        (b"12", TypeError, r"classes=b'12'"),
        (5, TypeError, r"classes=5"),
        ([1, 1.7], ValueError, r"classes\[1\]=1\.7 must be an integer class id"),
        ([True], ValueError, r"classes\[0\]=True"),
        (["1"], ValueError, r"classes\[0\]='1'"),
    ],
)
def test_evaluate_detections_refuses_classes_that_are_not_integer_ids(classes, error, match):
    preds, targets = _one_detection()
    with pytest.raises(error, match=match):
        metrics.evaluate_detections(preds, targets, classes=classes)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"boxes": torch.tensor([_box(4, 2, 1, 8)])}, r"image 7: boxes\[0\]=.*has x1 < x0"),
        ({"boxes": torch.tensor([_box(1, 8, 4, 2)])}, r"image 7: boxes\[0\]=.*has x1 < x0 or y1 < y0"),
        ({"boxes": torch.tensor([_box(1, 2, NAN, 8)])}, r"image 7: boxes\[0\]=.*not finite"),
        ({"scores": torch.tensor([INF])}, r"image 7\['scores'\]\[0\]=inf"),
        ({"labels": torch.tensor([9.5])}, r"image 7\['labels'\]\[0\]=9\.5"),
    ],
)
def test_to_coco_results_refuses_inverted_or_non_finite_boxes(change, match):
    pred = {
        "boxes": torch.tensor([_box(1, 2, 4, 8)]),
        "scores": torch.tensor([0.5]),
        "labels": torch.tensor([9]),
    }
    with pytest.raises(ValueError, match=match):
        metrics.to_coco_results([7], [{**pred, **change}])
    with pytest.raises(ValueError, match=r"image_ids\[0\]=7\.5 must be an integer"):
        metrics.to_coco_results([7.5], [pred])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            {"bbox": [NAN, NAN, NAN, NAN]},
            r"results\[0\]\['bbox'\]=\[nan, nan, nan, nan\] must be four finite",
        ),
        ({"bbox": [0, 0, INF, 10]}, r"results\[0\]\['bbox'\]=.* must be four finite"),
        ({"bbox": [0, 0, -10, 10]}, r"results\[0\]\['bbox'\]=.* negative width or height"),
        ({"bbox": [0, 0, 10]}, r"results\[0\]\['bbox'\]=.* must be four finite"),
        ({"score": NAN}, r"results\[0\]\['score'\]=nan must be a finite number"),
        ({"score": "0.9"}, r"results\[0\]\['score'\]='0.9'"),
    ],
)
def test_coco_map_refuses_non_finite_boxes_and_scores(tmp_path, change, match):
    image_dir, ann_file = synthetic.make_coco_shapes(tmp_path, n_images=3, seed=0)
    ds = coco.CocoDetection(image_dir, ann_file)
    ann = ds.coco.dataset["annotations"][1]
    result = {
        "image_id": ann["image_id"],
        "category_id": ann["category_id"],
        "bbox": ann["bbox"],
        "score": 1.0,
    }
    assert metrics.coco_map(ds, [result])["AP50"] >= 0  # the valid result is evaluated
    with pytest.raises(ValueError, match=match):
        metrics.coco_map(ds, [{**result, **change}])


# --------------------------------------------------------------- bad arguments refused by name (issue 15)


def test_box_iou_refuses_a_meta_tensor_among_cpu_ones_and_non_floating_boxes():
    good = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="boxes1 on meta, boxes2 on cpu"):
        metrics.box_iou(good.to("meta"), good)
    with pytest.raises(TypeError, match="boxes2 must have a floating dtype"):
        metrics.box_iou(good, good.long())


def test_box_iou_computes_half_precision_boxes_in_float32():
    a = torch.tensor([[0.0, 0.0, 400.0, 400.0]])  # area 160000: inf in float16
    b = torch.tensor([[0.0, 0.0, 400.0, 200.0]])
    iou = metrics.box_iou(a.half(), b.half())
    assert iou.dtype == torch.float16 and float(iou) == pytest.approx(0.5)
    assert metrics.box_iou(a.bfloat16(), b.bfloat16()).dtype == torch.bfloat16


def test_confusion_matrix_refuses_a_bad_ignore_index_and_mixed_devices():
    t = torch.zeros(2, 2, dtype=torch.int64)
    with pytest.raises(TypeError, match="ignore_index='255' must be an int or None"):
        metrics.confusion_matrix(t, t, 3, ignore_index="255")
    with pytest.raises(TypeError, match="ignore_index=True"):
        metrics.confusion_matrix(t, t, 3, ignore_index=True)
    with pytest.raises(TypeError, match="num_classes=2.5 must be an int"):
        metrics.confusion_matrix(t, t, 2.5)
    with pytest.raises(ValueError, match="pred on meta, target on cpu"):
        metrics.confusion_matrix(t.to("meta"), t, 3)


@pytest.mark.parametrize("fn", [metrics.mean_iou, metrics.pixel_accuracy])
def test_mean_iou_and_pixel_accuracy_refuse_nan_complex_and_meta(fn):
    with pytest.raises(ValueError, match="confusion contains NaN"):
        fn(torch.tensor([[1.0, NAN], [0.0, 1.0]]))
    with pytest.raises(TypeError, match="confusion must have a real"):
        fn(torch.eye(2, dtype=torch.complex64))
    with pytest.raises(TypeError, match="confusion must have a real"):
        fn(torch.eye(2, dtype=torch.bool))
    with pytest.raises(ValueError, match="confusion is on the meta device"):
        fn(torch.eye(2).to("meta"))


def test_voc_ap_refuses_integer_curves_string_flags_and_mixed_devices():
    r, p = torch.tensor([0.5, 1.0]), torch.tensor([1.0, 0.5])
    with pytest.raises(TypeError, match="recall must hold real numbers .*int64"):
        metrics.voc_ap(r.long(), p)
    with pytest.raises(TypeError, match="use_07_metric='False' must be a bool"):
        metrics.voc_ap(r, p, use_07_metric="False")
    with pytest.raises(ValueError, match="recall on cpu, precision on meta"):
        metrics.voc_ap(r, p.to("meta"))
    assert metrics.voc_ap(r.half(), p.half()) == pytest.approx(metrics.voc_ap(r, p))


def test_evaluate_detections_refuses_bad_containers_flags_and_difficult_values():
    preds, targets = _one_detection()
    with pytest.raises(TypeError, match="predictions=None must be a list"):
        metrics.evaluate_detections(None, targets)
    with pytest.raises(TypeError, match="targets=.* must be a list"):
        metrics.evaluate_detections(preds, targets[0])
    with pytest.raises(TypeError, match=r"predictions\[0\] must be a dict"):
        metrics.evaluate_detections([3], targets)
    with pytest.raises(TypeError, match="use_07_metric='True' must be a bool"):
        metrics.evaluate_detections(preds, targets, use_07_metric="True")
    with pytest.raises(TypeError, match=r"iou_threshold='0\.5' must be a real number"):
        metrics.evaluate_detections(preds, targets, iou_threshold="0.5")
    with pytest.raises(TypeError, match=r"predictions\[0\]\['boxes'\] must hold real numbers"):
        metrics.evaluate_detections([{**preds[0], "boxes": preds[0]["boxes"].to(torch.complex64)}], targets)
    with pytest.raises(TypeError, match=r"predictions\[0\]\['scores'\]=\['high'\] must be a tensor"):
        metrics.evaluate_detections([{**preds[0], "scores": ["high"]}], targets)
    with pytest.raises(ValueError, match=r"predictions\[0\]\['boxes'\] is on the meta device"):
        metrics.evaluate_detections([{**preds[0], "boxes": preds[0]["boxes"].to("meta")}], targets)
    with pytest.raises(ValueError, match=r"targets\[0\]\['difficult'\] must hold bools"):
        metrics.evaluate_detections(preds, [{**targets[0], "difficult": torch.tensor([0.5])}])
    # 0/1 integer flags stay valid
    assert metrics.evaluate_detections(preds, [{**targets[0], "difficult": torch.tensor([0])}])["ap"] == {
        1: 1.0
    }


def test_to_coco_results_refuses_string_flags_and_bad_containers():
    pred = {
        "boxes": torch.tensor([_box(1, 2, 4, 8)]),
        "scores": torch.tensor([0.5]),
        "labels": torch.tensor([9]),
    }
    with pytest.raises(TypeError, match="masks='False' must be a bool"):
        metrics.to_coco_results([7], [pred], masks="False")
    with pytest.raises(TypeError, match="image_ids='7' must be a list"):
        metrics.to_coco_results("7", [pred])
    with pytest.raises(TypeError, match="predictions=None must be a list"):
        metrics.to_coco_results([7], None)
    with pytest.raises(ValueError, match=r"image_ids\[0\]=7\.5 must be an integer image id"):
        metrics.to_coco_results([7.5], [pred])
    flat = {**pred, "masks": torch.ones(1, 16, dtype=torch.bool)}
    with pytest.raises(ValueError, match=r"masks must have shape \(D, H, W\), got \(1, 16\)"):
        metrics.to_coco_results([7], [flat], masks=True)


def test_coco_map_refuses_unknown_categories_and_non_list_results(tmp_path):
    image_dir, ann_file = synthetic.make_coco_shapes(tmp_path, n_images=3, seed=0)
    ds = coco.CocoDetection(image_dir, ann_file)
    ann = ds.coco.dataset["annotations"][1]
    result = {
        "image_id": ann["image_id"],
        "category_id": ann["category_id"],
        "bbox": ann["bbox"],
        "score": 1.0,
    }
    with pytest.raises(ValueError, match=r"results\[0\] has category_id=999, which is not a category"):
        metrics.coco_map(ds, [{**result, "category_id": 999}])  # pycocotools would silently ignore it
    with pytest.raises(TypeError, match="results=None must be a list"):
        metrics.coco_map(ds, None)
    with pytest.raises(TypeError, match="results=.* must be a list"):
        metrics.coco_map(ds, result)


def test_voc07_recall_levels_are_matlabs_colon_operator():
    """0:0.1:1 in MATLAB: k*0.1 for k <= 4, 0.5 in the middle, 1 - (10-k)*0.1 above (colonop.m)."""
    from lecture_lib.metrics import VOC07_RECALL_LEVELS

    expected = [k * 0.1 for k in range(5)] + [0.5] + [1 - (10 - k) * 0.1 for k in range(6, 11)]
    assert list(VOC07_RECALL_LEVELS) == expected
    differs_from_nearest = [k for k, t in enumerate(VOC07_RECALL_LEVELS) if t != k / 10]
    assert differs_from_nearest == [3] and VOC07_RECALL_LEVELS[3] == 0.30000000000000004
    arange = np.arange(0, 1.1, 0.1)
    assert [k for k in range(11) if arange[k] != k / 10] == [3, 6, 7]  # the Python ports' levels


def test_voc_ap_07_misses_a_recall_of_exactly_three_tenths_as_the_devkit():
    # 3 of 10 positives found at precision 1, nothing more: recall 0.3 stays below the level 0.30000000000000004
    recall = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    precision = torch.ones(3, dtype=torch.float64)
    from lecture_lib.metrics import voc_ap

    assert voc_ap(recall, precision, use_07_metric=True) == pytest.approx(3 / 11, abs=1e-15)
    assert voc_ap(recall + 1e-15, precision, use_07_metric=True) == pytest.approx(4 / 11, abs=1e-15)

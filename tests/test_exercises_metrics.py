"""Tests for lecture_lib.exercises.metrics: check_box_iou and check_mean_iou on right and wrong answers."""

from __future__ import annotations

import math

import pytest
import torch

from lecture_lib.exercises.metrics import _box_cases, _mean_iou_cases, check_box_iou, check_mean_iou
from lecture_lib.metrics import box_iou, mean_iou

# ---------------------------------------------------------------------------------------- box IoU


def iou_loops(boxes1, boxes2):
    """A correct answer written with plain loops, as a student might."""
    out = torch.zeros(len(boxes1), len(boxes2), dtype=boxes1.dtype)
    for i, a in enumerate(boxes1.tolist()):
        for j, b in enumerate(boxes2.tolist()):
            w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            inter = w * h
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            out[i, j] = inter / union
    return out


def iou_no_clamp(boxes1, boxes2):
    """Forgets to clamp the overlap at 0: two negative overlaps multiply to a positive 'intersection'."""
    lt = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    inter = (rb - lt).prod(-1)
    area1 = (boxes1[:, 2:] - boxes1[:, :2]).prod(-1)
    area2 = (boxes2[:, 2:] - boxes2[:, :2]).prod(-1)
    return inter / (area1[:, None] + area2[None, :] - inter)


def iou_union_without_minus(boxes1, boxes2):
    """Uses area1 + area2 as the union (counts the intersection twice)."""
    iou = box_iou(boxes1, boxes2)
    return iou / (1 + iou)  # inter / (a1 + a2) expressed through the IoU


def iou_voc_plus_one(boxes1, boxes2):
    """The devkit's +1 formula applied to continuous boxes: every side one pixel too long."""
    return box_iou(
        boxes1 + torch.tensor([0.0, 0.0, 1.0, 1.0], dtype=boxes1.dtype),
        boxes2 + torch.tensor([0.0, 0.0, 1.0, 1.0], dtype=boxes2.dtype),
    )


def iou_transposed(boxes1, boxes2):
    return box_iou(boxes2, boxes1)


def iou_diagonal_only(boxes1, boxes2):
    """Pairs boxes1[i] with boxes2[i] only (elementwise, not pairwise): returns a vector."""
    k = min(len(boxes1), len(boxes2))
    return torch.diagonal(box_iou(boxes1[:k], boxes2[:k]))


def test_first_case_is_the_chapters_one_seventh():
    case = _box_cases(20, 0)[0]
    assert box_iou(*case.args).item() == pytest.approx(1 / 7, abs=1e-15)
    assert "1/7" in case.description


@pytest.mark.parametrize("fn", [iou_loops, box_iou])
def test_right_box_iou_passes(fn):
    result = check_box_iou(fn)
    assert result.passed, str(result)
    assert "check_box_iou: all 20 cases pass." == str(result)


def test_no_clamp_fails_on_boxes_apart_in_both_directions():
    result = check_box_iou(iou_no_clamp)
    assert not result.passed
    assert "case 4 of 20" in str(result) and "apart in x and in y" in str(result)
    assert "expected 0, got" in str(result)


def test_union_without_minus_fails_on_the_first_case_with_its_numbers():
    result = check_box_iou(iou_union_without_minus)
    assert not result.passed
    message = str(result)
    assert "case 1 of 20" in message
    # 25 / 200 = 0.125 instead of 25 / 175 = 1/7
    assert "expected 0.142857, got 0.125" in message
    assert result.max_abs_error == pytest.approx(1 / 7 - 1 / 8, abs=1e-12)


def test_devkit_plus_one_on_continuous_boxes_fails():
    result = check_box_iou(iou_voc_plus_one)
    assert not result.passed and "case 1 of 20" in str(result)


def test_wrong_shapes_are_reported():
    transposed = check_box_iou(iou_transposed)
    assert not transposed.passed and "Wrong shape" in str(transposed) and "(2, 3)" in str(transposed)
    diagonal = check_box_iou(iou_diagonal_only)
    assert not diagonal.passed and "Wrong shape" in str(diagonal)


def test_a_student_exception_is_reported_not_raised():
    def unfinished(boxes1, boxes2):
        raise NotImplementedError("todo")

    result = check_box_iou(unfinished)
    assert not result.passed and "NotImplementedError: todo" in str(result)


def test_box_cases_are_seeded_and_valid():
    a, b = _box_cases(30, 3), _box_cases(30, 3)
    assert len(a) == 30
    for ca, cb in zip(a, b):
        for x, y in zip(ca.args, cb.args):
            assert torch.equal(x, y)
            assert x.dtype == torch.float64 and x.shape[1] == 4
            assert ((x[:, 2] - x[:, 0]) >= 1).all() and ((x[:, 3] - x[:, 1]) >= 1).all()
    assert not all(torch.equal(x.args[0], y.args[0]) for x, y in zip(_box_cases(30, 4), a))
    assert len(_box_cases(3, 0)) == 3


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_cases": 0}, ValueError, "n_cases=0"),
        ({"n_cases": 10**9}, ValueError, "n_cases=1000000000"),  # a loop of a billion cases, refused first
        ({"n_cases": True}, TypeError, "n_cases=True"),
        ({"seed": 1.5}, TypeError, "seed=1.5"),
        ({"seed": 2**64}, ValueError, "seed=18446744073709551616"),
    ],
)
def test_checker_settings_are_validated(kwargs, error, match):
    with pytest.raises(error, match=match):
        check_box_iou(box_iou, **kwargs)
    with pytest.raises(error, match=match):
        check_mean_iou(mean_iou, **kwargs)


def test_fn_must_be_callable():
    with pytest.raises(TypeError, match="fn must be callable"):
        check_box_iou("box_iou")
    with pytest.raises(TypeError, match="fn must be callable"):
        check_mean_iou(None)


# --------------------------------------------------------------------------------------- mean IoU


def miou_loops(confusion):
    """A correct answer with loops; returns a Python float and a tensor."""
    c = confusion.shape[0]
    per_class = torch.empty(c, dtype=torch.float64)
    for k in range(c):
        tp = int(confusion[k, k])
        fn = int(confusion[k].sum()) - tp
        fp = int(confusion[:, k].sum()) - tp
        per_class[k] = tp / (tp + fp + fn) if tp + fp + fn else math.nan
    present = [v for v in per_class.tolist() if not math.isnan(v)]
    return sum(present) / len(present), per_class


def miou_absent_as_zero(confusion):
    """Counts absent classes as IoU 0 (0/0 replaced by 0): pulls the mean down."""
    _mean, per_class = mean_iou(confusion)
    per_class = torch.nan_to_num(per_class, nan=0.0)
    return per_class.mean(), per_class


def miou_nan_mean(confusion):
    """Takes a plain mean: one absent class makes the mean NaN."""
    _mean, per_class = mean_iou(confusion)
    return per_class.mean(), per_class


def miou_recall(confusion):
    """TP / (TP + FN): per-class recall, not IoU."""
    m = confusion.double()
    per_class = torch.diagonal(m) / m.sum(1)
    return torch.nanmean(per_class), per_class


def miou_columns_as_truth(confusion):
    """Harmless: IoU is symmetric in FP and FN, so transposing the matrix changes nothing."""
    return mean_iou(confusion.T)


def test_mean_iou_first_case_is_the_hand_example():
    (confusion,) = _mean_iou_cases(20, 0)[0].args
    _mean, per_class = mean_iou(confusion)
    torch.testing.assert_close(per_class, torch.tensor([6 / 9, 3 / 7, 3 / 4], dtype=torch.float64))


@pytest.mark.parametrize("fn", [miou_loops, mean_iou, miou_columns_as_truth])
def test_right_mean_iou_passes(fn):
    result = check_mean_iou(fn)
    assert result.passed, str(result)
    assert str(result) == "check_mean_iou: all 20 cases pass."


def test_absent_class_as_zero_fails_on_case_two():
    result = check_mean_iou(miou_absent_as_zero)
    assert not result.passed
    message = str(result)
    assert "case 2 of 20" in message and "absent from truth and prediction" in message
    assert "Wrong values in output 0" in message  # the mean: (5/8 + 4/7 + 0) / 3 instead of / 2


def test_nan_mean_fails():
    result = check_mean_iou(miou_nan_mean)
    assert not result.passed and "case 2 of 20" in str(result) and "got nan" in str(result)


def test_recall_instead_of_iou_fails_on_the_hand_example():
    result = check_mean_iou(miou_recall)
    assert not result.passed and "case 1 of 20" in str(result)


def test_wrong_return_structure_is_explained():
    result = check_mean_iou(lambda confusion: mean_iou(confusion)[1])
    assert not result.passed and "pair (mean, per_class)" in str(result)
    result = check_mean_iou(lambda confusion: (mean_iou(confusion)[1], mean_iou(confusion)[1]))
    assert not result.passed and "must be one number" in str(result)


def test_random_confusions_have_absent_classes_and_are_seeded():
    cases = _mean_iou_cases(40, 0)
    absent = [int(((c.args[0].sum(0) + c.args[0].sum(1)) == 0).sum()) for c in cases[5:]]
    assert any(a > 0 for a in absent) and any(a == 0 for a in absent)
    again = _mean_iou_cases(40, 0)
    assert all(torch.equal(x.args[0], y.args[0]) for x, y in zip(cases, again))
    assert all(c.args[0].dtype == torch.int64 for c in cases)


def test_complex_box_iou_fails_even_when_its_real_part_is_right():
    result = check_box_iou(lambda a, b: box_iou(a, b) + 1e-3j)
    assert not result.passed and "case 1 of 20" in str(result)
    assert "Wrong type for output: it is complex" in str(result)


@pytest.mark.parametrize("make_complex", [lambda m: complex(m, 0.5), lambda m: torch.tensor(m + 0.5j)])
def test_complex_mean_iou_fails_even_when_its_real_part_is_right(make_complex):
    def complex_mean(confusion):
        mean, per_class = mean_iou(confusion)
        return make_complex(mean), per_class

    result = check_mean_iou(complex_mean)
    assert not result.passed and "the mean (first element) must be a real number" in str(result)
    result = check_mean_iou(lambda m: (mean_iou(m)[0], mean_iou(m)[1] + 0j))
    assert not result.passed and "Wrong type for output 1: it is complex" in str(result)

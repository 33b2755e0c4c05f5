"""The exercise engine: a right function passes, a wrong one is reported with the first failing case."""

from __future__ import annotations

import pytest
import torch

from lecture_lib.exercises import Case, CheckResult, compare_on_cases


def _cases():
    g = torch.Generator().manual_seed(0)
    return [Case((torch.randn(n, 3, generator=g, dtype=torch.float64),), {}, f"{n} rows") for n in (1, 2, 5)]


def test_right_function_passes():
    result = compare_on_cases("double", lambda x: 2 * x, lambda x: x * 2, _cases())
    assert isinstance(result, CheckResult) and result.passed and bool(result)
    assert str(result) == "double: all 3 cases pass."


def test_wrong_values_report_case_and_largest_error():
    result = compare_on_cases("double", lambda x: 2 * x + (x.shape[0] == 2), lambda x: 2 * x, _cases())
    assert not result.passed
    assert "case 2 of 3 failed (2 rows)" in str(result)
    assert "arg 0: tensor of shape (2, 3) (float64)" in str(result)
    assert result.max_abs_error == pytest.approx(1.0)


def test_wrong_shape_exception_and_structure_are_reported():
    shape = compare_on_cases("f", lambda x: x.T, lambda x: x, _cases())
    assert "Wrong shape for output: expected (1, 3), got (3, 1)" in str(shape)
    raised = compare_on_cases("f", lambda x: x.foo(), lambda x: x, _cases())
    assert "Your function raised AttributeError" in str(raised)
    count = compare_on_cases("f", lambda x: (x, x), lambda x: x, _cases())
    assert "Expected 1 tensor(s) back, got 2" in str(count)
    not_tensor = compare_on_cases("f", lambda x: 3, lambda x: x, _cases())
    assert "expected a tensor" in str(not_tensor)


def test_nan_where_a_number_is_expected_fails():
    result = compare_on_cases("f", lambda x: x * float("nan"), lambda x: x, _cases())
    assert not result.passed and result.max_abs_error == float("inf")
    assert "Non-finite value in output at index (0, 0): expected " in str(result)
    assert "got nan (3 NaN or infinite value(s) where the expected value is finite)" in str(result)


@pytest.mark.parametrize("wrong", [lambda x: x + 0j, lambda x: x + 1j, lambda x: torch.complex(x, -x)])
def test_complex_answer_fails_even_when_its_real_part_is_right(wrong):
    result = compare_on_cases("f", wrong, lambda x: x, _cases())
    assert not result.passed and "case 1 of 3" in str(result)
    assert "Wrong type for output: it is complex (complex128); expected real values (float64)" in str(result)


def test_infinite_answer_fails_with_a_clear_message():
    result = compare_on_cases(
        "f", lambda x: x.clone().index_fill_(1, torch.tensor([2]), float("-inf")), lambda x: x, _cases()
    )
    assert (
        not result.passed
        and "Non-finite value in output at index (0, 2)" in str(result)
        and "got -inf" in str(result)
    )


def test_nan_where_the_reference_has_nan_passes():
    def ref(x):
        return x / 0 * 0  # all NaN

    assert compare_on_cases("f", ref, ref, _cases()).passed


def test_meta_tensor_answer_fails_with_a_clear_message():
    result = compare_on_cases("f", lambda x: torch.empty_like(x, device="meta"), lambda x: x, _cases())
    assert not result.passed and "Output is on the meta device" in str(result)


def test_student_fn_must_be_callable():
    with pytest.raises(TypeError, match="student_fn must be callable"):
        compare_on_cases("f", 3, lambda x: x, _cases())


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"atol": float("inf")}, ValueError, "atol=inf"),  # would pass any finite answer
        ({"rtol": float("nan")}, ValueError, "rtol=nan"),
        ({"atol": -1e-8}, ValueError, "atol=-1e-08"),
        ({"atol": "0"}, TypeError, "atol='0'"),
        ({"cases": []}, ValueError, "cases is empty"),  # "all 0 cases pass" would pass anything
        ({"cases": [(1, 2)]}, TypeError, r"cases\[0\]=\(1, 2\) must be a Case"),
        ({"cases": 3}, TypeError, "cases=3 must be an iterable of Case"),
        ({"reference_fn": 3}, TypeError, "reference_fn must be callable"),
        ({"name": None}, TypeError, "name=None must be a str"),
    ],
)
def test_compare_on_cases_refuses_bad_settings(kwargs, error, match):
    args = {
        "name": "double",
        "student_fn": lambda x: 2 * x,
        "reference_fn": lambda x: 2 * x,
        "cases": _cases(),
    }
    args.update(kwargs)
    with pytest.raises(error, match=match):
        compare_on_cases(**args)


def test_case_and_result_refuse_malformed_fields():
    assert Case([1.0]).args == (1.0,)  # a list of arguments is taken as the tuple it stands for
    with pytest.raises(TypeError, match="args='ab' must be a tuple"):
        Case("ab")  # would be unpacked as two arguments 'a' and 'b'
    with pytest.raises(TypeError, match="kwargs=.* must be a dict with str keys"):
        Case((), {1: 2})
    with pytest.raises(TypeError, match="description=None must be a str"):
        Case((), {}, None)
    with pytest.raises(TypeError, match="passed='False' must be a bool"):
        CheckResult("f", "False", 1, "ok")  # "False" is truthy: bool(result) would say it passed
    with pytest.raises(ValueError, match="max_abs_error=nan"):
        CheckResult("f", False, 1, "bad", None, float("nan"))
    assert CheckResult("f", False, 1, "bad", None, float("inf")).max_abs_error == float("inf")


def test_malformed_answers_are_reported_as_returned_not_raised():
    from lecture_lib.exercises.metrics import check_mean_iou
    from lecture_lib.metrics import mean_iou

    def meta_mean(confusion):
        mean, per_class = mean_iou(confusion)
        return torch.tensor(mean).to("meta"), per_class

    result = check_mean_iou(meta_mean)
    assert (
        not result.passed
        and "Your function returned: the mean (first element) is on the meta device" in str(result)
    )
    result = check_mean_iou(lambda confusion: (None, mean_iou(confusion)[1]))
    assert "Your function returned: the mean (first element) must be a number, got NoneType" in str(result)
    result = check_mean_iou(lambda confusion: (mean_iou(confusion)[0], None))
    assert "Your function returned: per_class (second element) must be a tensor" in str(result)

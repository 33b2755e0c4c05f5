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

"""Tests for lecture_lib.exercises.transposed_conv.check_conv_transpose2d: right and wrong student functions."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lecture_lib.exercises.transposed_conv import _cases, check_conv_transpose2d
from lecture_lib.transposed_conv import conv_transpose2d, conv_transpose2d_scatter


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def student_right(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """A correct collection-view solution, as a student might write it."""
    s, p, a, d = _pair(stride), _pair(padding), _pair(output_padding), _pair(dilation)
    n, c, h, w = input.shape
    k_h, k_w = weight.shape[2:]
    stretched = input.new_zeros(n, c, (h - 1) * s[0] + 1, (w - 1) * s[1] + 1)
    stretched[:, :, :: s[0], :: s[1]] = input
    e_h, e_w = d[0] * (k_h - 1) - p[0], d[1] * (k_w - 1) - p[1]
    padded = F.pad(stretched, (e_w, e_w + a[1], e_h, e_h + a[0]))
    return F.conv2d(padded, weight.flip(2, 3).transpose(0, 1), bias, dilation=d)


def student_no_flip(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Forgets to flip the kernel."""
    return student_right(input, weight.flip(2, 3), bias, stride, padding, output_padding, groups, dilation)


def student_ignores_output_padding(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    return student_right(input, weight, bias, stride, padding, 0, groups, dilation)


def student_raises(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    raise NotImplementedError("todo: scatter the kernel")


@pytest.mark.parametrize(
    "fn", [student_right, F.conv_transpose2d, conv_transpose2d, conv_transpose2d_scatter]
)
def test_right_implementations_pass(fn):
    result = check_conv_transpose2d(fn)
    assert result.passed, str(result)
    assert bool(result) and "all 20 cases pass" in str(result)


def test_forgetting_the_flip_fails_on_the_first_case():
    result = check_conv_transpose2d(student_no_flip)
    assert not result.passed
    message = str(result)
    assert "case 1 of 20 failed" in message and "the chapter's example" in message
    assert "Wrong values" in message and "largest error" in message
    assert result.max_abs_error > 1


def test_ignoring_output_padding_names_the_case_that_uses_it():
    result = check_conv_transpose2d(student_ignores_output_padding)
    assert not result.passed
    cases = _cases(20, 0)
    first = next(i for i, c in enumerate(cases) if _pair(c.kwargs["output_padding"]) != (0, 0))
    assert result.failing_case is cases[first] or result.failing_case.description == cases[first].description
    message = str(result)
    assert f"case {first + 1} of 20 failed" in message
    assert f"output_padding={cases[first].kwargs['output_padding']}" in message
    assert "Wrong shape" in message


def test_a_raising_function_is_reported_not_raised():
    result = check_conv_transpose2d(student_raises, n_cases=5)
    assert not result.passed
    message = str(result)
    assert "case 1 of 5 failed" in message
    assert "raised NotImplementedError: todo: scatter the kernel" in message
    assert "tensor of shape (1, 1, 2, 2)" in message  # the arguments are described


def test_cases_cover_every_feature_and_are_reproducible():
    cases = _cases(20, 0)
    assert len(cases) == 20
    kw = [{k: _pair(v) for k, v in c.kwargs.items()} for c in cases]
    assert any(k["stride"] != (1, 1) for k in kw)
    assert any(k["padding"] != (0, 0) for k in kw)
    assert any(k["output_padding"] != (0, 0) for k in kw)
    assert any(k["dilation"] != (1, 1) for k in kw)
    assert any(c.args[1].shape[2] != c.args[1].shape[3] for c in cases)  # non-square kernels
    assert any(c.args[2] is None for c in cases) and any(c.args[2] is not None for c in cases)
    assert any(c.args[0].shape[1] != c.args[1].shape[1] for c in cases)  # C_in != C_out
    for c in cases:  # every case is valid for PyTorch itself
        assert F.conv_transpose2d(*c.args, **c.kwargs).numel() > 0
    again = _cases(20, 0)
    assert all(torch.equal(a.args[0], b.args[0]) and a.kwargs == b.kwargs for a, b in zip(cases, again))
    other = _cases(20, 1)
    assert [c.description for c in other[1:]] != [c.description for c in cases[1:]]


@pytest.mark.parametrize("n_cases", [1, 3, 7])
def test_small_numbers_of_cases(n_cases):
    assert check_conv_transpose2d(student_right, n_cases=n_cases).passed
    assert not check_conv_transpose2d(student_no_flip, n_cases=n_cases).passed


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_cases=0), ValueError, "n_cases=0"),
        (dict(n_cases=2.5), TypeError, "n_cases=2.5"),
        (dict(n_cases=2**40), ValueError, "n_cases=1099511627776"),
        (dict(seed="a"), TypeError, "seed='a'"),
    ],
)
def test_checker_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        check_conv_transpose2d(student_right, **kwargs)


def test_checker_rejects_a_non_callable():
    with pytest.raises(TypeError, match="fn must be callable"):
        check_conv_transpose2d("conv_transpose2d")


def test_complex_or_wrongly_shaped_answers_fail_clearly():
    def complex_right(*args, **kwargs):
        return student_right(*args, **kwargs).to(torch.complex128)  # imaginary part 0: still refused

    result = check_conv_transpose2d(complex_right)
    assert not result.passed and "case 1 of 20" in str(result)
    assert "Wrong type for output: it is complex (complex128); expected real values (float64)" in str(result)

    def flattened(*args, **kwargs):
        return student_right(*args, **kwargs).flatten()

    result = check_conv_transpose2d(flattened)
    assert not result.passed and "Wrong shape for output: expected (1, 1, 3, 3), got (9,)" in str(result)

"""Tests for lecture_lib.exercises.checkerboard.check_resize_conv_as_transposed: right and wrong answers."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lecture_lib.exercises.checkerboard import _cases, _resize_conv, check_resize_conv_as_transposed


def student_right(weight):
    """The 3x3 kernel flipped, then convolved (full) with a 2x2 box; channel axes swapped."""
    c_out, c_in = weight.shape[:2]
    flipped = weight.flip(-2, -1).reshape(c_out * c_in, 1, 3, 3)
    box = torch.ones(1, 1, 2, 2, dtype=weight.dtype)
    # full convolution (a box is its own flip): (C_out C_in, 1, 4, 4)
    full = F.conv2d(F.pad(flipped, (1, 1, 1, 1)), box)
    return full.reshape(c_out, c_in, 4, 4).transpose(0, 1)  # (C_in, C_out, 4, 4)


def student_by_loops(weight):
    """The same kernel, tap by tap: K[t, u] = sum of w'[a, b] over a in {t-1, t}, b in {u-1, u}."""
    flipped = weight.flip(-2, -1).transpose(0, 1)  # (C_in, C_out, 3, 3)
    kernel = weight.new_zeros(weight.shape[1], weight.shape[0], 4, 4)
    for t in range(4):
        for u in range(4):
            for a in (t - 1, t):
                for b in (u - 1, u):
                    if 0 <= a < 3 and 0 <= b < 3:
                        kernel[:, :, t, u] += flipped[:, :, a, b]
    return kernel


def student_no_flip(weight):
    return student_right(weight.flip(-2, -1))


def student_no_transpose(weight):
    return student_right(weight).transpose(0, 1)


def student_box_in_one_direction(weight):
    kernel = student_right(weight)
    return torch.cat([kernel[..., :1, :], kernel[..., 1:, :] / 2], dim=-2)


def test_right_answers_pass():
    for fn in (student_right, student_by_loops):
        result = check_resize_conv_as_transposed(fn)
        assert result.passed, str(result)
        assert "all 20 cases pass" in str(result)


def test_the_identity_holds_for_pytorch_itself():
    # the claim behind the checker, against F.conv_transpose2d directly and on a 7x5 input
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 7, 5, generator=g, dtype=torch.float64)
    w = torch.randn(4, 3, 3, 3, generator=g, dtype=torch.float64)
    b = torch.randn(4, generator=g, dtype=torch.float64)
    got = F.conv_transpose2d(x, student_right(w), b, stride=2, padding=1)
    assert got.shape == (2, 4, 14, 10)
    assert torch.allclose(got, _resize_conv(x, w, b), atol=1e-12, rtol=0)


def test_a_missing_flip_fails_on_the_first_case():
    result = check_resize_conv_as_transposed(student_no_flip)
    assert not result.passed
    message = str(result)
    assert "case 1 of 20 failed" in message and "the chapter's example" in message
    assert "Wrong values" in message and result.max_abs_error > 1


def test_channel_axes_in_the_wrong_order_are_reported_as_a_shape():
    result = check_resize_conv_as_transposed(student_no_transpose)
    assert not result.passed
    message = str(result)
    assert "case 2 of 20 failed" in message  # case 1 has one channel, case 2 has C_in=2, C_out=3
    assert "a kernel of shape (3, 2, 4, 4); expected (C_in, C_out, 4, 4) = (2, 3, 4, 4)" in message


def test_a_wrong_kernel_fails():
    result = check_resize_conv_as_transposed(student_box_in_one_direction)
    assert not result.passed and "Wrong values" in str(result)

    def zeros(weight):
        return weight.new_zeros(weight.shape[1], weight.shape[0], 4, 4)

    assert not check_resize_conv_as_transposed(zeros).passed


def test_malformed_answers_and_errors_are_reported_not_raised():
    def raises(weight):
        raise NotImplementedError("todo")

    result = check_resize_conv_as_transposed(raises, n_cases=3)
    assert not result.passed and "raised NotImplementedError: todo" in str(result)

    def a_list(weight):
        return student_right(weight).tolist()

    result = check_resize_conv_as_transposed(a_list)
    assert not result.passed and "expected a kernel tensor of shape (1, 1, 4, 4), got list" in str(result)

    def integer(weight):
        return student_right(weight).long()

    result = check_resize_conv_as_transposed(integer)
    assert not result.passed and "dtype torch.int64" in str(result)

    def three_by_three(weight):
        return weight.transpose(0, 1)

    result = check_resize_conv_as_transposed(three_by_three)
    assert not result.passed and "a kernel of shape (1, 1, 3, 3)" in str(result)


def test_an_in_place_change_of_the_weight_does_not_fool_the_checker():
    def mutates(weight):
        kernel = student_right(weight)
        weight.zero_()  # would make the reference output zero if the checker shared the tensor
        return kernel

    assert check_resize_conv_as_transposed(mutates).passed


def test_a_float32_answer_is_too_coarse():
    def single(weight):
        return student_right(weight).float()  # rounding errors of 1e-7, far above the tolerance of float64

    result = check_resize_conv_as_transposed(single)
    assert not result.passed and "Wrong values" in str(result)


def test_cases_are_varied_and_reproducible():
    cases = _cases(20, 0)
    assert len(cases) == 20
    assert any(c.args[2] is None for c in cases) and any(c.args[2] is not None for c in cases)
    assert any(c.args[1].shape[0] != c.args[1].shape[1] for c in cases)  # C_out != C_in
    assert any(c.args[0].shape[-2] != c.args[0].shape[-1] for c in cases)  # non-square inputs
    assert any(min(c.args[0].shape[-2:]) == 1 for c in _cases(60, 0))  # a one-pixel side: borders only
    again = _cases(20, 0)
    assert all(
        torch.equal(a.args[0], b.args[0]) and a.description == b.description for a, b in zip(cases, again)
    )
    assert [c.description for c in _cases(20, 1)[1:]] != [c.description for c in cases[1:]]


@pytest.mark.parametrize("n_cases", [1, 2, 5])
def test_small_numbers_of_cases(n_cases):
    assert check_resize_conv_as_transposed(student_right, n_cases=n_cases).passed
    assert not check_resize_conv_as_transposed(student_no_flip, n_cases=n_cases).passed


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
        check_resize_conv_as_transposed(student_right, **kwargs)


def test_checker_rejects_a_non_callable():
    with pytest.raises(TypeError, match="fn must be callable"):
        check_resize_conv_as_transposed("kernel")

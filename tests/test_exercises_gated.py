"""check_lstm_cell accepts a right LSTM cell, rejects wrong ones and says why."""

from __future__ import annotations

import pytest
import torch

from lecture_lib.exercises.gated import check_lstm_cell


def lstm_cell_student(x, state, w_ih, w_hh, b_ih=None, b_hh=None, order="ifgo", forget=True):
    """A right answer as a student would write it (with knobs to make it wrong in the usual ways)."""
    h, c = state
    gates = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        gates = gates + b_ih
    if b_hh is not None:
        gates = gates + b_hh
    blocks = dict(zip(order, gates.chunk(4, dim=1)))
    i, f, o = torch.sigmoid(blocks["i"]), torch.sigmoid(blocks["f"]), torch.sigmoid(blocks["o"])
    g = torch.tanh(blocks["g"])  # the lecture's "value" v
    c_new = f * c + i * g if forget else c + i * g
    return o * torch.tanh(c_new), c_new


def test_right_implementation_passes():
    result = check_lstm_cell(lstm_cell_student)
    assert result.passed, str(result)
    assert str(result) == "check_lstm_cell: all 20 cases pass."
    assert check_lstm_cell(lstm_cell_student, n_cases=5, seed=3).passed


def test_gates_in_the_wrong_order_fail_on_the_first_case():
    result = check_lstm_cell(lambda *a: lstm_cell_student(*a, order="ifog"))
    assert not result.passed
    assert "case 1 of 20 failed (N=3, D=4, H=5, with biases)" in str(result)
    assert "Wrong values in output 0" in str(result)
    assert result.max_abs_error > 1e-3
    assert not check_lstm_cell(lambda *a: lstm_cell_student(*a, order="figo")).passed


def test_forgetting_the_forget_gate_fails():
    # the lecture's "write in" slide alone: c_t = c_{t-1} + i * v, without f
    result = check_lstm_cell(lambda *a: lstm_cell_student(*a, forget=False))
    assert not result.passed and "case 1 of 20 failed" in str(result)


def test_a_cell_that_cannot_take_missing_biases_fails_on_the_first_bias_free_case():
    def needs_biases(x, state, w_ih, w_hh, b_ih, b_hh):
        h, c = state
        return lstm_cell_student(x, (h, c), w_ih, w_hh, b_ih + 0, b_hh + 0)

    result = check_lstm_cell(needs_biases)
    assert not result.passed
    assert "case 4 of 20 failed" in str(result) and "b_ih=None, b_hh=None" in str(result)
    assert "Your function raised TypeError" in str(result)


def test_bad_return_values_are_reported_not_raised():
    result = check_lstm_cell(lambda *a: lstm_cell_student(*a)[0])
    assert not result.passed and "expected a pair (h_t, c_t), got Tensor" in str(result)
    result = check_lstm_cell(lambda *a: tuple(reversed(lstm_cell_student(*a))))
    assert not result.passed and "Wrong values in output 0" in str(result)


def test_checker_argument_errors():
    with pytest.raises(ValueError, match="n_cases=0"):
        check_lstm_cell(lstm_cell_student, n_cases=0)
    with pytest.raises(TypeError, match="seed='a'"):  # the wrong kind of value: TypeError
        check_lstm_cell(lstm_cell_student, seed="a")
    with pytest.raises(TypeError, match="fn must be callable"):
        check_lstm_cell("lstm")


def test_complex_or_non_finite_answers_fail_clearly():
    def complex_h(*args):
        h, c = lstm_cell_student(*args)
        return h + 1e-3j, c  # a wrong answer whose real part is right

    result = check_lstm_cell(complex_h)
    assert not result.passed and "Wrong type for output 0: it is complex (complex128)" in str(result)

    def nan_c(*args):
        h, c = lstm_cell_student(*args)
        return h, c * float("nan")

    result = check_lstm_cell(nan_c)
    assert not result.passed and "Non-finite value in output 1 at index (0, 0)" in str(result)

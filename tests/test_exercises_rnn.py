"""check_bptt accepts a right BPTT, rejects wrong ones and says why."""

from __future__ import annotations

import pytest
import torch

from lecture_lib.exercises.rnn import check_bptt


def bptt_student_loop(x, h, dz, W_in, W_rec, W_out, derivative=lambda h_t: 1 - h_t**2):
    """A right answer as a student would write it: one step at a time, accumulating every gradient."""
    T = x.shape[0]
    grads = {
        "W_in": torch.zeros_like(W_in),
        "W_rec": torch.zeros_like(W_rec),
        "W_out": torch.zeros_like(W_out),
    }
    grads["b"] = torch.zeros(W_rec.shape[0], dtype=h.dtype)
    grads["b_out"] = torch.zeros(W_out.shape[0], dtype=h.dtype)
    dh = torch.zeros_like(h[0])  # dL/dh_t coming from the future
    for t in range(T, 0, -1):
        grads["W_out"] += dz[t - 1].T @ h[t]
        grads["b_out"] += dz[t - 1].sum(0)
        dh = dh + dz[t - 1] @ W_out
        da = dh * derivative(h[t])
        grads["W_rec"] += da.T @ h[t - 1]
        grads["W_in"] += da.T @ x[t - 1]
        grads["b"] += da.sum(0)
        dh = da @ W_rec
    grads["h0"] = dh
    return grads


def bptt_without_recurrent_path(x, h, dz, W_in, W_rec, W_out):
    """Wrong: forgets that dL/dh_{t-1} receives delta_t W_rec (only the injected gradient is used)."""
    delta = (dz @ W_out) * (1 - h[1:] ** 2)  # (T, N, H)
    T, N, H = delta.shape
    d = delta.reshape(T * N, H)
    return {
        "W_in": d.T @ x.reshape(T * N, -1),
        "W_rec": d.T @ h[:-1].reshape(T * N, H),
        "b": d.sum(0),
        "W_out": dz.reshape(T * N, -1).T @ h[1:].reshape(T * N, H),
        "b_out": dz.sum((0, 1)),
        "h0": delta[0] @ W_rec,
    }


def test_right_implementation_passes():
    result = check_bptt(bptt_student_loop)
    assert result.passed, str(result)
    assert str(result) == "check_bptt: all 10 cases pass."
    assert check_bptt(bptt_student_loop, n_cases=4, seed=5).passed


def test_wrong_implementation_fails_and_names_the_gradient():
    result = check_bptt(bptt_without_recurrent_path)
    assert not result.passed
    assert "case 1 of 10 failed" in str(result)
    assert "tanh, T=4, N=2, D=3, H=5, O=2, losses at every step" in str(result)
    assert 'Wrong values in the gradient "' in str(result)
    assert result.max_abs_error > 1e-3


def test_relu_derivative_instead_of_tanh_fails():
    def relu_version(x, h, dz, W_in, W_rec, W_out):
        return bptt_student_loop(x, h, dz, W_in, W_rec, W_out, derivative=lambda h_t: (h_t > 0).to(h_t.dtype))

    assert not check_bptt(relu_version).passed


def test_a_small_error_in_one_gradient_is_caught_and_named():
    def off_by_a_little(*args):
        out = bptt_student_loop(*args)
        out["W_rec"] = out["W_rec"] * 1.001
        return out

    result = check_bptt(off_by_a_little)
    assert not result.passed and 'the gradient "W_rec"' in str(result)


def test_bad_return_values_are_reported_not_raised():
    def missing_key(*args):
        out = bptt_student_loop(*args)
        del out["b_out"]
        return out

    result = check_bptt(missing_key)
    assert not result.passed and "missing ['b_out']" in str(result)
    result = check_bptt(lambda *args: tuple(bptt_student_loop(*args).values()))
    assert not result.passed and "expected a dict" in str(result)

    def crashes(*args):
        raise RuntimeError("not implemented yet")

    result = check_bptt(crashes)
    assert not result.passed and "RuntimeError: not implemented yet" in str(result)


def test_checker_argument_errors():
    with pytest.raises(ValueError, match="n_cases=0"):
        check_bptt(bptt_student_loop, n_cases=0)
    with pytest.raises(TypeError, match="fn must be callable"):
        check_bptt("bptt")
    for bad in (1.5, "0", True):
        with pytest.raises(TypeError, match=f"seed={bad!r} must be an integer"):
            check_bptt(bptt_student_loop, seed=bad)


def test_complex_or_non_finite_gradients_fail_clearly():
    def complex_w_rec(*args):
        grads = bptt_student_loop(*args)
        grads["W_rec"] = grads["W_rec"] + 1e-3j  # the real part is right
        return grads

    result = check_bptt(complex_w_rec)
    assert not result.passed and 'Wrong type for the gradient "W_rec": it is complex' in str(result)

    def infinite_b(*args):
        grads = bptt_student_loop(*args)
        grads["b"] = grads["b"] / 0.0
        return grads

    result = check_bptt(infinite_b)
    assert not result.passed and 'Non-finite value in the gradient "b" at index (0,)' in str(result)


def test_huge_n_cases_is_refused_before_any_case_is_built():
    with pytest.raises(ValueError, match="n_cases=1099511627776 must be an int in \\[1, 10000\\]"):
        check_bptt(bptt_student_loop, n_cases=2**40)


def test_meta_gradient_and_wrong_keys_are_named():
    def meta_w_in(*args):
        grads = bptt_student_loop(*args)
        grads["W_in"] = grads["W_in"].to("meta")
        return grads

    result = check_bptt(meta_w_in)
    assert not result.passed and 'The gradient "W_in" is on the meta device' in str(result)

    def no_h0(*args):
        grads = bptt_student_loop(*args)
        del grads["h0"]
        return grads

    result = check_bptt(no_h0)
    assert "Your function returned: the returned dict must have exactly the keys" in str(result)
    assert "missing ['h0']" in str(result)

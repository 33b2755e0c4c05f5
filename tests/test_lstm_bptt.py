"""lecture_lib.lstm_bptt: the readable LSTM forward and BPTT against autograd, nn.LSTM and the fast layer."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lecture_lib.lstm_bptt import lstm_bptt, lstm_forward
from lecture_lib.lstm_fast import lstm_layer

F64 = torch.float64
TOL = {"atol": 1e-12, "rtol": 1e-10}
NAMES = ("x", "h0", "c0", "weight_ih", "weight_hh", "bias_ih", "bias_hh")


def make_case(T, N, D, H, bias, seed, scale=1.0):
    """Leaves (x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh) in float64, the biases None as asked."""
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return (scale * torch.randn(*shape, generator=g, dtype=F64)).requires_grad_()

    x, h0, c0 = r(T, N, D), r(N, H), r(N, H)
    w_ih, w_hh = r(4 * H, D), r(4 * H, H)
    b_ih = r(4 * H) if bias in ("both", "ih only") else None
    b_hh = r(4 * H) if bias == "both" else None
    return dict(zip(NAMES, (x, h0, c0, w_ih, w_hh, b_ih, b_hh)))


def cotangents(T, N, H, seed, with_h_n, with_c_n):
    g = torch.Generator().manual_seed(seed + 1000)
    grad_output = torch.randn(T, N, H, generator=g, dtype=F64)
    grad_h_n = torch.randn(N, H, generator=g, dtype=F64) if with_h_n else None
    grad_c_n = torch.randn(N, H, generator=g, dtype=F64) if with_c_n else None
    return grad_output, grad_h_n, grad_c_n


def autograd_of(output, h_n, c_n, leaves, grad_output, grad_h_n, grad_c_n):
    """autograd's gradients of L = <grad_output, output> + <grad_h_n, h_n> + <grad_c_n, c_n>."""
    loss = (grad_output * output).sum()
    if grad_h_n is not None:
        loss = loss + (grad_h_n * h_n).sum()
    if grad_c_n is not None:
        loss = loss + (grad_c_n * c_n).sum()
    present = {k: v for k, v in leaves.items() if v is not None}
    return dict(zip(present, torch.autograd.grad(loss, list(present.values()))))


def by_hand(case, grad_output, grad_h_n, grad_c_n):
    with torch.no_grad():
        cache = lstm_forward(**case)
        return lstm_bptt(
            case["x"], cache, grad_output, case["weight_ih"], case["weight_hh"], grad_h_n, grad_c_n
        )


CASES = {
    "T": st.integers(1, 6),
    "N": st.integers(1, 3),
    "D": st.integers(1, 4),
    "H": st.integers(1, 4),
    "bias": st.sampled_from(["both", "ih only", "none"]),
    "with_h_n": st.booleans(),
    "with_c_n": st.booleans(),
    "seed": st.integers(0, 2**16),
}


@settings(max_examples=40, deadline=None)
@given(**CASES)
def test_bptt_equals_autograd_through_lstm_forward(T, N, D, H, bias, with_h_n, with_c_n, seed):
    case = make_case(T, N, D, H, bias, seed)
    grads = cotangents(T, N, H, seed, with_h_n, with_c_n)
    cache = lstm_forward(**case)
    expected = autograd_of(cache["h"][1:], cache["h"][-1], cache["c"][-1], case, *grads)
    got = by_hand(case, *grads)
    for name, value in expected.items():
        torch.testing.assert_close(got[name], value, **TOL, msg=name)


@settings(max_examples=40, deadline=None)
@given(**CASES, reverse=st.booleans())
def test_bptt_equals_the_fast_layer(T, N, D, H, bias, with_h_n, with_c_n, seed, reverse):
    """The optimised twin (lstm_fast.lstm_layer) gives the readable version's outputs and gradients."""
    case = make_case(T, N, D, H, bias, seed)
    grad_output, grad_h_n, grad_c_n = cotangents(T, N, H, seed, with_h_n, with_c_n)
    output, h_n, c_n = lstm_layer(**case, reverse=reverse)
    fast = autograd_of(output, h_n, c_n, case, grad_output, grad_h_n, grad_c_n)
    # reverse: the readable layer run on the sequence read backwards, its outputs flipped back
    flip = (lambda t: t.flip(0)) if reverse else (lambda t: t)  # noqa: E731
    forward_case = {**case, "x": flip(case["x"])}
    with torch.no_grad():
        cache = lstm_forward(**forward_case)
    torch.testing.assert_close(output.detach(), flip(cache["h"][1:]), **TOL)
    torch.testing.assert_close(c_n.detach(), cache["c"][-1], **TOL)
    got = by_hand(forward_case, flip(grad_output), grad_h_n, grad_c_n)
    got["x"] = flip(got["x"])
    for name, value in fast.items():
        torch.testing.assert_close(got[name], value, **TOL, msg=name)


@pytest.mark.parametrize("bias", [True, False])
def test_bptt_equals_nn_lstm(bias):
    """Weights taken from nn.LSTM: same outputs, and the hand-written gradients equal PyTorch's own."""
    torch.manual_seed(0)
    T, N, D, H = 9, 3, 4, 6
    ref = nn.LSTM(D, H, bias=bias, dtype=F64)
    p = dict(ref.named_parameters())
    x, h0, c0 = torch.randn(T, N, D, dtype=F64), torch.randn(N, H, dtype=F64), torch.randn(N, H, dtype=F64)
    leaves = {k: v.clone().requires_grad_() for k, v in {"x": x, "h0": h0, "c0": c0}.items()}
    output, (h_n, c_n) = ref(leaves["x"], (leaves["h0"][None], leaves["c0"][None]))
    grad_output, grad_h_n, grad_c_n = cotangents(T, N, H, 1, True, True)
    named = {**leaves, **{k[:-3]: v for k, v in p.items()}}  # weight_ih_l0 -> weight_ih
    expected = autograd_of(output, h_n[0], c_n[0], named, grad_output, grad_h_n, grad_c_n)
    w = {k: v.detach() for k, v in named.items() if k not in leaves}
    case = {"x": x, "h0": h0, "c0": c0, **w}
    with torch.no_grad():
        torch.testing.assert_close(lstm_forward(**case)["h"][1:], output, **TOL)
    got = by_hand(case, grad_output, grad_h_n, grad_c_n)
    assert set(expected) <= set(got)
    for name, value in expected.items():
        torch.testing.assert_close(got[name], value, **TOL, msg=name)


def test_lstm_forward_gradcheck():
    case = make_case(3, 2, 3, 2, "both", seed=5)
    args = tuple(case.values())

    def run(*args):
        out = lstm_forward(*args)
        return out["h"], out["c"]

    assert torch.autograd.gradcheck(run, args)


def test_the_highway_alone_when_the_gates_do_not_see_h():
    """With W_hh = 0 and no loss on the outputs, dL/dc_0 = dL/dc_T * f_1 * ... * f_T: the highway is all."""
    case = make_case(8, 2, 3, 4, "both", seed=3)
    with torch.no_grad():
        case["weight_hh"].zero_()
        cache = lstm_forward(**case)
    grad_output, _, grad_c_n = cotangents(8, 2, 4, 3, False, True)
    got = lstm_bptt(
        case["x"], cache, torch.zeros_like(grad_output), case["weight_ih"], case["weight_hh"], None, grad_c_n
    )
    torch.testing.assert_close(got["c0"], grad_c_n * cache["f"].prod(0), **TOL)
    assert got["h0"].abs().max() == 0  # h_0 reaches nothing: the gates of step 1 do not see it


def test_cache_holds_the_states_and_the_gates():
    case = make_case(5, 2, 3, 4, "none", seed=1)
    with torch.no_grad():
        cache = lstm_forward(**case)
    assert sorted(cache) == sorted("hcifvo")
    assert cache["h"].shape == cache["c"].shape == (6, 2, 4)
    assert all(cache[k].shape == (5, 2, 4) for k in "ifvo")
    torch.testing.assert_close(cache["h"][0], case["h0"].detach(), rtol=0, atol=0)
    torch.testing.assert_close(cache["c"][1:], cache["f"] * cache["c"][:-1] + cache["i"] * cache["v"], **TOL)
    torch.testing.assert_close(cache["h"][1:], cache["o"] * torch.tanh(cache["c"][1:]), **TOL)


def test_errors_name_the_argument():
    case = {k: (None if v is None else v.detach()) for k, v in make_case(4, 2, 3, 5, "both", seed=0).items()}
    cache = lstm_forward(**case)
    grad_output = torch.zeros(4, 2, 5, dtype=F64)
    w_ih, w_hh = case["weight_ih"], case["weight_hh"]
    with pytest.raises(ValueError, match=r"weight_ih has shape \(20, 2\)"):
        lstm_forward(**{**case, "weight_ih": w_ih[:, :2]})
    with pytest.raises(ValueError, match="h0 has shape"):
        lstm_forward(**{**case, "h0": case["h0"][:1]})
    with pytest.raises(TypeError, match="bias_hh is of dtype torch.float32"):
        lstm_forward(**{**case, "bias_hh": case["bias_hh"].float()})
    with pytest.raises(ValueError, match="T >= 1"):
        lstm_forward(**{**case, "x": case["x"][:0]})
    with pytest.raises(TypeError, match="cache must be the dict that lstm_forward returns"):
        lstm_bptt(case["x"], (cache["h"], cache["c"]), grad_output, w_ih, w_hh)
    with pytest.raises(ValueError, match=r"cache\['f'\] has shape"):
        lstm_bptt(case["x"], {**cache, "f": cache["f"][:3]}, grad_output, w_ih, w_hh)
    with pytest.raises(ValueError, match="grad_output has shape"):
        lstm_bptt(case["x"], cache, grad_output[:3], w_ih, w_hh)
    with pytest.raises(ValueError, match="grad_c_n has shape"):
        lstm_bptt(case["x"], cache, grad_output, w_ih, w_hh, grad_c_n=torch.zeros(2, 4, dtype=F64))
    with pytest.raises(ValueError, match="grad_h_n is on meta"):
        lstm_bptt(
            case["x"], cache, grad_output, w_ih, w_hh, grad_h_n=torch.zeros(2, 5, dtype=F64, device="meta")
        )

"""lecture_lib.rnn against PyTorch: forward vs nn.RNN, hand-written BPTT vs autograd, clipping vs torch."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lecture_lib.rnn import (
    VanillaRNN,
    bptt,
    clip_grad_norm_,
    gradient_norms_through_time,
    pascanu_regularizer,
    rnn_forward,
)

F64 = torch.float64
TOL = {"atol": 1e-10, "rtol": 1e-10}
NAMES = ("W_in", "W_rec", "b", "W_out", "b_out", "h0")


def _act(a: torch.Tensor, activation: str) -> torch.Tensor:
    return torch.relu(a) if activation == "relu" else torch.tanh(a)


def make_problem(T, N, D, H, O, seed=0, device="cpu", last_only=False, rec_scale=1.0):
    """Random inputs and weights of moderate size (values stay O(1) over the sequence)."""
    g = torch.Generator().manual_seed(seed)

    def r(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g, dtype=F64) * scale).to(device)

    p = {
        "x": r(T, N, D),
        "h0": r(N, H, scale=0.5),
        "W_in": r(H, D, scale=1 / math.sqrt(D)),
        "W_rec": r(H, H, scale=rec_scale / math.sqrt(H)),
        "b": r(H, scale=0.1),
        "W_out": r(O, H, scale=1 / math.sqrt(H)),
        "b_out": r(O, scale=0.1),
        "dz": r(T, N, O),
    }
    if last_only:
        p["dz"][:-1] = 0
    return p


def forward(p, activation):
    return rnn_forward(p["x"], p["h0"], p["W_in"], p["W_rec"], p["b"], p["W_out"], p["b_out"], activation)


def ours(p, activation, truncate=None):
    h, _ = forward(p, activation)
    return bptt(p["x"], h, p["dz"], p["W_in"], p["W_rec"], p["W_out"], activation, truncate=truncate)


def autograd_with_nn_rnn(p, activation):
    """Gradients of L = sum_t <dz_t, z_t> through torch.nn.RNN with the same weights (independent code)."""
    T, N, D = p["x"].shape
    H = p["W_rec"].shape[0]
    rnn = nn.RNN(D, H, nonlinearity=activation, dtype=F64, device=p["x"].device)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(p["W_in"])
        rnn.weight_hh_l0.copy_(p["W_rec"])
        rnn.bias_ih_l0.copy_(p["b"])
        rnn.bias_hh_l0.zero_()
    W_out = p["W_out"].clone().requires_grad_()
    b_out = p["b_out"].clone().requires_grad_()
    h0 = p["h0"].clone().requires_grad_()
    out, _ = rnn(p["x"], h0.unsqueeze(0))  # (T, N, H)
    z = out @ W_out.T + b_out
    inputs = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, W_out, b_out, h0]
    return dict(zip(NAMES, torch.autograd.grad((z * p["dz"]).sum(), inputs)))


def autograd_truncated(p, activation, k):
    """Autograd of sum_t L_t where L_t is recomputed from h[t-k].detach() by k fresh steps (h0 if t <= k)."""
    leaves = {n: p[n].clone().requires_grad_() for n in NAMES}
    with torch.no_grad():
        h_full, _ = forward(p, activation)
    T = p["x"].shape[0]
    loss = 0
    for t in range(1, T + 1):
        start = max(t - k, 0)
        state = leaves["h0"] if start == 0 else h_full[start].detach()
        for s in range(start + 1, t + 1):
            state = _act(
                state @ leaves["W_rec"].T + p["x"][s - 1] @ leaves["W_in"].T + leaves["b"], activation
            )
        z_t = state @ leaves["W_out"].T + leaves["b_out"]
        loss = loss + (z_t * p["dz"][t - 1]).sum()
    return dict(zip(NAMES, torch.autograd.grad(loss, [leaves[n] for n in NAMES])))


def assert_grads_close(got, expected, **tol):
    assert set(got) == set(NAMES)
    for name in NAMES:
        assert got[name].shape == expected[name].shape, name
        torch.testing.assert_close(
            got[name], expected[name], **(tol or TOL), msg=lambda m, n=name: f"{n}: {m}"
        )


# --------------------------------------------------------------------------------------------- forward
def test_forward_lecture_example_by_hand():
    # The lecture's 4x4 W_rec with relu, no input, h0 = ones: h1 = relu(W_rec h0) = row sums.
    W_rec = torch.tensor([[1, 0, 0, 0.4], [0.9, 0, 0.6, 0.5], [0, 0, 0, 0.3], [0, 0.8, 0, 0.7]], dtype=F64)
    x = torch.zeros(2, 1, 1, dtype=F64)
    h0 = torch.ones(1, 4, dtype=F64)
    h, z = rnn_forward(x, h0, torch.zeros(4, 1, dtype=F64), W_rec, None, torch.eye(4, dtype=F64), None)
    expected_h1 = torch.tensor([[1.4, 2.0, 0.3, 1.5]], dtype=F64)
    expected_h2 = torch.tensor(
        [[1.4 + 0.4 * 1.5, 0.9 * 1.4 + 0.6 * 0.3 + 0.5 * 1.5, 0.3 * 1.5, 0.8 * 2.0 + 0.7 * 1.5]], dtype=F64
    )
    torch.testing.assert_close(h[0], h0)
    torch.testing.assert_close(h[1], expected_h1)
    torch.testing.assert_close(h[2], expected_h2)
    torch.testing.assert_close(z, h[1:])  # W_out = I, no bias


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_forward_matches_nn_rnn(activation, device):
    p = make_problem(7, 3, 4, 5, 2, seed=1, device=device)
    h, z = forward(p, activation)
    assert h.shape == (8, 3, 5) and z.shape == (7, 3, 2)
    assert h.device.type == device.type and z.device.type == device.type
    rnn = nn.RNN(4, 5, nonlinearity=activation, dtype=F64, device=device)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(p["W_in"])
        rnn.weight_hh_l0.copy_(p["W_rec"])
        rnn.bias_ih_l0.copy_(p["b"])
        rnn.bias_hh_l0.zero_()
        out, h_n = rnn(p["x"], p["h0"].unsqueeze(0))
    torch.testing.assert_close(h[1:], out, **TOL)
    torch.testing.assert_close(h[-1], h_n[0], **TOL)
    torch.testing.assert_close(z, out @ p["W_out"].T + p["b_out"], **TOL)


def test_forward_errors():
    p = make_problem(3, 2, 4, 5, 2)
    args = [p["x"], p["h0"], p["W_in"], p["W_rec"], p["b"], p["W_out"], p["b_out"]]
    with pytest.raises(ValueError, match="activation='sigmoid'"):
        rnn_forward(*args, activation="sigmoid")
    with pytest.raises(ValueError, match="x must have 3 dimensions"):
        rnn_forward(p["x"][0], *args[1:])
    with pytest.raises(ValueError, match=r"W_in has shape \(5, 3\)"):
        rnn_forward(args[0], args[1], p["W_in"][:, :3], *args[3:])
    with pytest.raises(ValueError, match=r"h0 has shape \(1, 5\)"):
        rnn_forward(args[0], p["h0"][:1], *args[2:])
    with pytest.raises(ValueError, match=r"W_rec has shape \(5, 4\)"):
        rnn_forward(*args[:3], p["W_rec"][:, :4], *args[4:])
    with pytest.raises(ValueError, match=r"b has shape \(4,\)"):
        rnn_forward(*args[:4], p["b"][:4], *args[5:])
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        rnn_forward(p["x"].tolist(), *args[1:])


# --------------------------------------------------------------------------------------------- bptt
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("last_only", [False, True], ids=["loss-every-step", "loss-last-step"])
def test_bptt_equals_autograd(activation, last_only, device):
    p = make_problem(20, 4, 3, 6, 2, seed=2, device=device, last_only=last_only)
    got = ours(p, activation)
    assert all(g.device.type == device.type for g in got.values())
    assert_grads_close(got, autograd_with_nn_rnn(p, activation))


@settings(max_examples=40)
@given(
    T=st.integers(1, 8),
    N=st.integers(1, 3),
    D=st.integers(1, 4),
    H=st.integers(1, 5),
    O=st.integers(1, 3),
    activation=st.sampled_from(["relu", "tanh"]),
    last_only=st.booleans(),
    rec_scale=st.sampled_from([0.5, 1.0, 1.5]),
    seed=st.integers(0, 10_000),
)
def test_bptt_equals_autograd_property(T, N, D, H, O, activation, last_only, rec_scale, seed):
    p = make_problem(T, N, D, H, O, seed=seed, last_only=last_only, rec_scale=rec_scale)
    assert_grads_close(ours(p, activation), autograd_with_nn_rnn(p, activation))


def test_bptt_last_loss_only_leaves_output_grads_of_last_step():
    # With dz nonzero only at T, dW_out = dz_T^T h_T and db_out = dz_T summed over the batch (by hand).
    p = make_problem(6, 3, 2, 4, 2, seed=3, last_only=True)
    h, _ = forward(p, "tanh")
    got = bptt(p["x"], h, p["dz"], p["W_in"], p["W_rec"], p["W_out"], "tanh")
    torch.testing.assert_close(got["W_out"], p["dz"][-1].T @ h[-1], **TOL)
    torch.testing.assert_close(got["b_out"], p["dz"][-1].sum(0), **TOL)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_truncated_bptt_equals_autograd_with_detach(activation, k):
    p = make_problem(9, 3, 2, 4, 2, seed=4)
    assert_grads_close(ours(p, activation, truncate=k), autograd_truncated(p, activation, k))


@settings(max_examples=30)
@given(
    T=st.integers(1, 7),
    k=st.integers(1, 9),
    activation=st.sampled_from(["relu", "tanh"]),
    last_only=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_truncated_bptt_property(T, k, activation, last_only, seed):
    p = make_problem(T, 2, 3, 4, 2, seed=seed, last_only=last_only)
    assert_grads_close(ours(p, activation, truncate=k), autograd_truncated(p, activation, k))


def test_truncate_at_least_T_is_full_bptt_and_truncation_changes_the_gradient():
    p = make_problem(6, 2, 3, 4, 2, seed=5)
    full = ours(p, "tanh")
    for k in (6, 7, 100):
        assert_grads_close(ours(p, "tanh", truncate=k), full)
    assert not torch.allclose(ours(p, "tanh", truncate=2)["W_rec"], full["W_rec"])
    # k = 1: each loss reaches its own step only, so h0 gets dL_1/dh0 alone.
    h, _ = forward(p, "tanh")
    one = ours(p, "tanh", truncate=1)
    delta_1 = (p["dz"][0] @ p["W_out"]) * (1 - h[1] ** 2)
    torch.testing.assert_close(one["h0"], delta_1 @ p["W_rec"], **TOL)


def test_bptt_errors():
    p = make_problem(4, 2, 3, 5, 2)
    h, _ = forward(p, "relu")
    args = (p["x"], h, p["dz"], p["W_in"], p["W_rec"], p["W_out"])
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="truncate="):
            bptt(*args, truncate=bad)
    with pytest.raises(ValueError, match=r"dz has shape \(3, 2, 2\)"):
        bptt(p["x"], h, p["dz"][:3], *args[3:])
    with pytest.raises(ValueError, match=r"x has shape"):
        bptt(p["x"][:, :1], *args[1:])
    with pytest.raises(ValueError, match="activation='softplus'"):
        bptt(*args, activation="softplus")
    with pytest.raises(ValueError, match=r"h has shape \(1, 2, 5\)"):
        bptt(p["x"][:0], h[:1], p["dz"][:0], *args[3:])


# --------------------------------------------------------------------------------------------- norms in time
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_gradient_norms_through_time_equal_autograd(activation, device):
    p = make_problem(12, 3, 2, 5, 2, seed=6, device=device, rec_scale=1.3)
    dz_last = p["dz"][-1]
    states = [p["h0"].clone().requires_grad_()]
    for t in range(12):
        states.append(_act(states[-1] @ p["W_rec"].T + p["x"][t] @ p["W_in"].T + p["b"], activation))
        states[-1].retain_grad()
    (((states[-1] @ p["W_out"].T + p["b_out"]) * dz_last).sum()).backward()
    expected = torch.stack([s.grad.norm() for s in states])
    h = torch.stack(states).detach()
    got = gradient_norms_through_time(h, dz_last, p["W_rec"], p["W_out"], activation)
    assert got.shape == (13,) and got.device.type == device.type
    torch.testing.assert_close(got, expected, **TOL)


def test_gradient_norms_scale_like_spectral_radius_power():
    # relu with every unit active and W_rec = 0.9 I: ||dL_T/dh_t|| = 0.9^(T-t) ||dL_T/dh_T|| exactly.
    T, H = 100, 3
    x = torch.ones(T, 1, 1, dtype=F64)
    h0 = torch.ones(1, H, dtype=F64)
    W_in, W_rec, b = torch.ones(H, 1, dtype=F64), 0.9 * torch.eye(H, dtype=F64), torch.ones(H, dtype=F64)
    W_out = torch.ones(1, H, dtype=F64)
    h, _ = rnn_forward(x, h0, W_in, W_rec, b, W_out, None, "relu")
    norms = gradient_norms_through_time(h, torch.ones(1, 1, dtype=F64), W_rec, W_out, "relu")
    expected = math.sqrt(H) * 0.9 ** torch.arange(T, -1, -1, dtype=F64)
    torch.testing.assert_close(norms, expected, atol=0, rtol=1e-12)
    assert norms[0] / norms[-1] == pytest.approx(2.6561398887587544e-05, rel=1e-12)  # 0.9**100


def test_gradient_norms_errors():
    p = make_problem(4, 2, 3, 5, 2)
    h, _ = forward(p, "relu")
    with pytest.raises(ValueError, match="dz_last must have 2 dimensions"):
        gradient_norms_through_time(h, p["dz"], p["W_rec"], p["W_out"])
    with pytest.raises(ValueError, match=r"W_out has shape"):
        gradient_norms_through_time(h, p["dz"][-1], p["W_rec"], p["W_out"][:, :2])
    N, O = p["dz"].shape[1], p["dz"].shape[2]
    with pytest.raises(
        ValueError, match=rf"dz_last has shape \({N + 1}, {O}\); expected \(N, O\) = \({N}, {O}\)"
    ):
        gradient_norms_through_time(h, torch.zeros(N + 1, O, dtype=F64), p["W_rec"], p["W_out"])


# --------------------------------------------------------------------------------------------- clipping
def _with_grads(shapes, scale, seed, grad_none=()):
    g = torch.Generator().manual_seed(seed)
    params = []
    for i, shape in enumerate(shapes):
        p = torch.zeros(shape, dtype=F64, requires_grad=True)
        if i not in grad_none:
            p.grad = torch.randn(shape, generator=g, dtype=F64) * scale
        params.append(p)
    return params


@given(
    shapes=st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), min_size=1, max_size=4),
    scale=st.sampled_from([1e-3, 0.1, 1.0, 10.0, 1e3]),
    max_norm=st.sampled_from([0.0, 0.5, 1.0, 5.0]),
    norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]),
    seed=st.integers(0, 1000),
)
def test_clip_grad_norm_equals_torch(shapes, scale, max_norm, norm_type, seed):
    mine = _with_grads(shapes, scale, seed, grad_none=(1,))
    theirs = _with_grads(shapes, scale, seed, grad_none=(1,))
    n_mine = clip_grad_norm_(mine, max_norm, norm_type)
    n_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    torch.testing.assert_close(n_mine, n_theirs, atol=0, rtol=1e-12)
    for a, b in zip(mine, theirs):
        if b.grad is None:
            assert a.grad is None
        else:
            torch.testing.assert_close(a.grad, b.grad, atol=1e-300, rtol=1e-12)


def test_clip_grad_norm_by_hand_and_no_op_below_threshold():
    p = torch.zeros(2, requires_grad=True, dtype=F64)
    p.grad = torch.tensor([3.0, 4.0], dtype=F64)  # ||g|| = 5
    norm = clip_grad_norm_(p, 1.0)
    assert float(norm) == 5.0
    torch.testing.assert_close(p.grad, torch.tensor([3.0, 4.0], dtype=F64) / (5 + 1e-6), atol=0, rtol=1e-15)
    q = torch.zeros(2, requires_grad=True, dtype=F64)
    q.grad = torch.tensor([0.3, 0.4], dtype=F64)
    before = q.grad.clone()
    assert float(clip_grad_norm_([q], 1.0)) == pytest.approx(0.5, rel=1e-15)
    assert torch.equal(q.grad, before)  # untouched below the threshold
    assert float(clip_grad_norm_([], 1.0)) == 0.0
    assert float(clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0)) == 0.0  # no .grad at all


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_clip_grad_norm_raises_on_non_finite(bad):
    a, b = _with_grads([(3,), (2, 2)], 1.0, 0)
    b.grad[0, 1] = bad
    before = b.grad.clone()
    with pytest.raises(ValueError, match=r"total gradient norm is (nan|inf).*parameters \[1\]"):
        clip_grad_norm_([a, b], 1.0)
    assert torch.equal(b.grad.nan_to_num(), before.nan_to_num())  # nothing modified
    # opting out gives torch's default behaviour
    c, d = _with_grads([(3,), (2, 2)], 1.0, 0)
    d.grad[0, 1] = bad
    clip_grad_norm_([a, b], 1.0, error_if_nonfinite=False)
    torch.nn.utils.clip_grad_norm_([c, d], 1.0)
    for mine, theirs in ((a, c), (b, d)):
        torch.testing.assert_close(mine.grad, theirs.grad, equal_nan=True)


def test_clip_grad_norm_argument_errors():
    p = _with_grads([(2,)], 1.0, 0)
    for bad in (-1.0, math.nan, "1", None, torch.tensor([1.0]), torch.tensor(1), torch.tensor(-1.0)):
        with pytest.raises(ValueError, match="max_norm="):
            clip_grad_norm_(p, bad)
    # max_norm as torch takes it (a NumPy scalar, a 0-d floating tensor), or any real number, gives the same
    # numbers as torch with the float
    for max_norm in (np.float32(0.5), torch.tensor(0.5), Fraction(1, 2)):
        mine, theirs = _with_grads([(3,), (2, 2)], 1.0, 0), _with_grads([(3,), (2, 2)], 1.0, 0)
        n_mine = clip_grad_norm_(mine, max_norm)
        n_theirs = torch.nn.utils.clip_grad_norm_(theirs, float(max_norm))
        torch.testing.assert_close(n_mine, n_theirs)
        for a, b in zip(mine, theirs):
            torch.testing.assert_close(a.grad, b.grad)
    with pytest.raises(ValueError, match="norm_type=0.5"):
        clip_grad_norm_(p, 1.0, norm_type=0.5)
    for bad in ("x", None, True):
        with pytest.raises(ValueError, match=f"norm_type={bad!r} must be a number >= 1 or inf"):
            clip_grad_norm_(p, 1.0, norm_type=bad)
    # torch's signature, foreach included; "inf" as a string as torch accepts it
    q = _with_grads([(2,)], 1.0, 0)
    torch.testing.assert_close(
        clip_grad_norm_(p, 1.0, "inf", foreach=True), clip_grad_norm_(q, 1.0, math.inf)
    )
    with pytest.raises(TypeError, match=r"parameters\[1\]"):
        clip_grad_norm_([p[0], 3.0], 1.0)


# --------------------------------------------------------------------------------------------- Pascanu
def _direct_omega(p, activation, frozen: bool):
    """Omega from autograd's own vector-Jacobian products, with parameters as leaves; returns (omega, leaves).

    frozen=True: the paper's partial derivative. States, v = dL/dh_{k+1} and f'(a_{k+1}) are constants; the
    product v dh_{k+1}/dh_k is autograd's VJP through the two factors h_k -> a = h_k W_rec^T (W_rec a leaf)
    and a -> h = f(a) (evaluated at the stored a, detached).
    frozen=False: every path, on the real graph with create_graph=True.
    """
    leaves = {n: p[n].clone().requires_grad_() for n in NAMES}
    states = [leaves["h0"]]
    for t in range(p["x"].shape[0]):
        states.append(
            _act(states[-1] @ leaves["W_rec"].T + p["x"][t] @ leaves["W_in"].T + leaves["b"], activation)
        )
    z = torch.stack(states[1:]) @ leaves["W_out"].T + leaves["b_out"]
    loss = (z * p["dz"]).sum()
    v = torch.autograd.grad(loss, states[1:], create_graph=not frozen)
    omega = 0
    for k in range(len(states) - 1):
        if frozen:
            h_k = states[k].detach().requires_grad_()
            a_const = (states[k] @ leaves["W_rec"].T + p["x"][k] @ leaves["W_in"].T + leaves["b"]).detach()
            a_const.requires_grad_()
            (fv,) = torch.autograd.grad(_act(a_const, activation), a_const, v[k].detach())
            (pulled,) = torch.autograd.grad(h_k @ leaves["W_rec"].T, h_k, fv, create_graph=True)
        else:
            (pulled,) = torch.autograd.grad(states[k + 1], states[k], v[k], create_graph=True)
        den = v[k].norm(dim=1)
        ok = den > 0
        omega = omega + ((pulled[ok].norm(dim=1) / den[ok] - 1) ** 2).sum() / p["x"].shape[1]
    return omega, leaves


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("last_only", [False, True], ids=["loss-every-step", "loss-last-step"])
def test_pascanu_paper_version_equals_direct_autograd(activation, last_only):
    p = make_problem(8, 3, 2, 4, 2, seed=7, last_only=last_only, rec_scale=1.2)
    expected, leaves = _direct_omega(p, activation, frozen=True)
    (g_expected,) = torch.autograd.grad(expected, leaves["W_rec"])
    W_rec = p["W_rec"].clone().requires_grad_()
    h, _ = rnn_forward(p["x"], p["h0"], p["W_in"], W_rec, p["b"], p["W_out"], p["b_out"], activation)
    omega = pascanu_regularizer(h, p["dz"], W_rec, p["W_out"], activation)
    assert omega.ndim == 0
    torch.testing.assert_close(omega, expected, **TOL)
    (g,) = torch.autograd.grad(omega, W_rec)
    torch.testing.assert_close(g, g_expected, **TOL)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_pascanu_full_derivative_equals_direct_autograd(activation):
    p = make_problem(6, 2, 2, 4, 2, seed=8, rec_scale=1.2)
    expected, leaves = _direct_omega(p, activation, frozen=False)
    params = ("W_in", "W_rec", "b", "W_out", "h0")
    # relu: Omega does not depend on W_in, b, h0 (f' is piecewise constant); materialise those zeros
    g_expected = torch.autograd.grad(
        expected, [leaves[n] for n in params], allow_unused=True, materialize_grads=True
    )
    mine = {n: p[n].clone().requires_grad_() for n in NAMES}
    h, z = rnn_forward(
        p["x"], mine["h0"], mine["W_in"], mine["W_rec"], mine["b"], mine["W_out"], mine["b_out"], activation
    )
    omega = pascanu_regularizer(h, p["dz"], mine["W_rec"], mine["W_out"], activation, detach=False)
    torch.testing.assert_close(omega, expected, **TOL)
    g = torch.autograd.grad(omega, [mine[n] for n in params], allow_unused=True, materialize_grads=True)
    for name, a, b in zip(params, g, g_expected):
        torch.testing.assert_close(a, b, **TOL, msg=lambda m, n=name: f"{n}: {m}")


def test_pascanu_by_hand_and_undefined_terms():
    # relu, all units active, W_rec = s I: every ratio is s, so Omega = T (s - 1)^2 (mean over the batch).
    T, H, s = 5, 3, 0.9
    x = torch.ones(T, 2, 1, dtype=F64)
    W_rec = s * torch.eye(H, dtype=F64)
    h, _ = rnn_forward(
        x,
        torch.ones(2, H, dtype=F64),
        torch.ones(H, 1, dtype=F64),
        W_rec,
        None,
        torch.ones(1, H, dtype=F64),
        None,
        "relu",
    )
    dz = torch.ones(T, 2, 1, dtype=F64)
    dz[:, 1] = 0  # the second sequence gets no gradient: its terms are undefined and left out
    omega = pascanu_regularizer(h, dz, W_rec.requires_grad_(), torch.ones(1, H, dtype=F64), "relu")
    assert omega.item() == pytest.approx(T * (s - 1) ** 2 / 2, rel=1e-12)
    (g,) = torch.autograd.grad(omega, W_rec)
    assert torch.isfinite(g).all()


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("where", ["h", "dz"])
@pytest.mark.parametrize("detach", [True, False])
def test_pascanu_propagates_a_nan_sequence_instead_of_dropping_it(activation, where, detach):
    p = make_problem(5, 3, 2, 4, 2, seed=3, rec_scale=1.2)
    h, _ = rnn_forward(p["x"], p["h0"], p["W_in"], p["W_rec"], p["b"], p["W_out"], p["b_out"], activation)
    dz = p["dz"].clone()
    finite = pascanu_regularizer(h, dz, p["W_rec"], p["W_out"], activation, detach=detach)
    assert torch.isfinite(finite)
    if where == "h":
        h = h.clone()
        h[2, 1] = float("nan")  # one state of the second sequence
    else:
        dz[3, 1] = float("nan")
    omega = pascanu_regularizer(h, dz, p["W_rec"], p["W_out"], activation, detach=detach)
    assert torch.isnan(omega)


# --------------------------------------------------------------------------------------------- module
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_vanilla_rnn_matches_rnn_forward_and_nn_rnn(activation, device):
    torch.manual_seed(0)
    model = VanillaRNN(3, 5, 2, activation=activation, device=device, dtype=F64)
    x = torch.randn(6, 4, 3, dtype=F64, device=device)
    h0 = torch.randn(4, 5, dtype=F64, device=device)
    h, z = model(x, h0)
    h_ref, z_ref = rnn_forward(x, h0, model.W_in, model.W_rec, model.b, model.W_out, model.b_out, activation)
    assert torch.equal(h, h_ref) and torch.equal(z, z_ref)
    rnn = nn.RNN(3, 5, nonlinearity=activation, dtype=F64, device=device)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(model.W_in)
        rnn.weight_hh_l0.copy_(model.W_rec)
        rnn.bias_ih_l0.copy_(model.b)
        rnn.bias_hh_l0.zero_()
        out, h_n = rnn(x, h0.unsqueeze(0))
    torch.testing.assert_close(h[1:], out, **TOL)
    torch.testing.assert_close(z, out @ model.W_out.T + model.b_out, **TOL)
    # default h0 is zeros; batch_first gives the transposed layout
    h_zero, _ = model(x)
    torch.testing.assert_close(h_zero[0], torch.zeros(4, 5, dtype=F64, device=device))
    model.batch_first = True
    h_bf, z_bf = model(x.transpose(0, 1), h0)
    assert torch.equal(h_bf, h.transpose(0, 1)) and torch.equal(z_bf, z.transpose(0, 1))


def test_vanilla_rnn_autograd_equals_bptt_and_init():
    torch.manual_seed(1)
    model = VanillaRNN(2, 4, 3, activation="tanh", dtype=F64)
    bound = 1 / math.sqrt(4)
    assert all(p.abs().max() <= bound for p in model.parameters())
    assert [tuple(p.shape) for p in model.parameters()] == [(4, 2), (4, 4), (4,), (3, 4), (3,)]
    x, h0, dz = torch.randn(5, 2, 2, dtype=F64), torch.randn(2, 4, dtype=F64), torch.randn(5, 2, 3, dtype=F64)
    h, z = model(x, h0)
    (z * dz).sum().backward()
    got = bptt(x, h.detach(), dz, model.W_in, model.W_rec, model.W_out, "tanh")
    for name in ("W_in", "W_rec", "b", "W_out", "b_out"):
        torch.testing.assert_close(got[name], getattr(model, name).grad, **TOL)
    assert "activation='tanh'" in repr(model)


def test_vanilla_rnn_errors():
    with pytest.raises(ValueError, match="activation='gelu'"):
        VanillaRNN(2, 3, 1, activation="gelu")
    with pytest.raises(ValueError, match="hidden_size=0"):
        VanillaRNN(2, 0, 1)
    for bad in (1, "yes", None):
        with pytest.raises(TypeError, match=rf"batch_first={bad!r} must be a bool"):
            VanillaRNN(2, 3, 1, batch_first=bad)
    with pytest.raises(ValueError, match="x must have 3 dimensions"):
        VanillaRNN(2, 3, 1)(torch.randn(4, 2))


# --------------------------------------------------------------------------------------------- bad inputs
def _rnn_args() -> dict[str, torch.Tensor]:
    p = make_problem(4, 2, 3, 5, 2)
    h, _ = forward(p, "tanh")
    return {**p, "h": h}


@pytest.mark.parametrize("weight", ["W_in", "W_rec", "b", "W_out", "b_out", "h0"])
def test_rnn_forward_refuses_a_meta_weight_among_cpu_tensors(weight):
    # a meta tensor has no data: torch would return uninitialised memory without a word
    p = _rnn_args()
    p[weight] = p[weight].to("meta")
    with pytest.raises(
        ValueError, match=rf"^{weight} is on meta, but .* are on cpu: all these tensors must share"
    ):
        rnn_forward(p["x"], p["h0"], p["W_in"], p["W_rec"], p["b"], p["W_out"], p["b_out"], "tanh")


@pytest.mark.parametrize("fn", ["bptt", "gradient_norms_through_time", "pascanu_regularizer"])
@pytest.mark.parametrize("weight", ["W_rec", "W_out"])
def test_backward_functions_refuse_a_meta_weight(fn, weight):
    p = _rnn_args()
    p[weight] = p[weight].to("meta")
    with pytest.raises(ValueError, match=rf"^{weight} is on meta, but .* on cpu"):
        if fn == "bptt":
            bptt(p["x"], p["h"], p["dz"], p["W_in"], p["W_rec"], p["W_out"], "tanh")
        elif fn == "gradient_norms_through_time":
            gradient_norms_through_time(p["h"], p["dz"][-1], p["W_rec"], p["W_out"], "tanh")
        else:
            pascanu_regularizer(p["h"], p["dz"], p["W_rec"], p["W_out"], "tanh")


def test_mixed_dtypes_are_named_not_torchs_matmul_error():
    p = _rnn_args()
    with pytest.raises(
        TypeError, match=r"^W_in is of dtype torch.float32, but x, h0, W_rec, .* torch.float64"
    ):
        rnn_forward(p["x"], p["h0"], p["W_in"].float(), p["W_rec"], p["b"], p["W_out"], p["b_out"])
    with pytest.raises(TypeError, match=r"^dz is of dtype torch.float32"):
        bptt(p["x"], p["h"], p["dz"].float(), p["W_in"], p["W_rec"], p["W_out"], "tanh")
    with pytest.raises(TypeError, match=r"^dz_last is of dtype torch.float32"):
        gradient_norms_through_time(p["h"], p["dz"][-1].float(), p["W_rec"], p["W_out"], "tanh")
    with pytest.raises(TypeError, match=r"^h is of dtype torch.float32"):
        pascanu_regularizer(p["h"].float(), p["dz"], p["W_rec"], p["W_out"], "tanh")


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.complex128])
def test_non_floating_tensors_are_refused_by_name(dtype):
    p = _rnn_args()
    with pytest.raises(TypeError, match="W_rec must have a floating dtype"):
        rnn_forward(p["x"], p["h0"], p["W_in"], p["W_rec"].to(dtype), p["b"], p["W_out"], p["b_out"])
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        bptt(p["x"].to(dtype), p["h"], p["dz"], p["W_in"], p["W_rec"], p["W_out"], "tanh")
    with pytest.raises(TypeError, match="h must have a floating dtype"):
        pascanu_regularizer(p["h"].to(dtype), p["dz"], p["W_rec"], p["W_out"], "tanh")


def test_string_flags_are_refused():
    # "False" is a truthy string: it would silently mean True
    p = _rnn_args()
    with pytest.raises(TypeError, match="detach='False' must be a bool"):
        pascanu_regularizer(p["h"], p["dz"], p["W_rec"], p["W_out"], "tanh", detach="False")
    w = torch.zeros(3, requires_grad=True)
    w.grad = torch.ones(3)
    for flag in ("error_if_nonfinite", "foreach"):
        with pytest.raises(TypeError, match=f"{flag}='False' must be a bool"):
            clip_grad_norm_([w], 1.0, **{flag: "False"})
    for bad in (None, 3, "weights"):
        with pytest.raises(TypeError, match="parameters=.* must be a tensor or an iterable of tensors"):
            clip_grad_norm_(bad, 1.0)
    assert torch.equal(w.grad, torch.ones(3))  # nothing clipped by the refused calls


def test_vanilla_rnn_device_dtype_and_size_checks():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda', but CUDA is not available"):
            VanillaRNN(2, 3, 1, device="cuda")
    with pytest.raises(ValueError, match="device='no-such-device' is not a device name"):
        VanillaRNN(2, 3, 1, device="no-such-device")
    with pytest.raises(TypeError, match="dtype=torch.int64 must be a floating dtype"):
        VanillaRNN(2, 3, 1, dtype=torch.int64)
    with pytest.raises(ValueError, match=r"hidden_size=1099511627776, .* would need .* GiB"):
        VanillaRNN(2, 2**40, 1)  # refused before allocating anything
    assert VanillaRNN(2, 3, 1, device="meta").W_rec.device.type == "meta"


def test_vanilla_rnn_forward_names_an_input_of_another_dtype_or_device():
    model = VanillaRNN(2, 3, 1)  # float32
    with pytest.raises(
        TypeError, match="x has dtype torch.float64 but VanillaRNN's parameters are torch.float32"
    ):
        model(torch.zeros(4, 2, 2, dtype=F64))
    with pytest.raises(ValueError, match="x is on meta but VanillaRNN's parameters are on cpu"):
        model(torch.zeros(4, 2, 2, device="meta"))
    with pytest.raises(TypeError, match="h0 has dtype torch.float64"):
        model(torch.zeros(4, 2, 2), torch.zeros(2, 3, dtype=F64))
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        model(torch.zeros(4, 2, 2, dtype=torch.int64))

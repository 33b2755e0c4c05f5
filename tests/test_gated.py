"""lecture_lib.gated against PyTorch (nn.LSTM, nn.GRU and their cells) and against the lecture's equations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lecture_lib.gated import (
    GRU,
    LSTM,
    MGU,
    GRUCell,
    LSTMCell,
    MGUCell,
    gru_cell,
    lstm_cell,
    mgu_cell,
)

F64 = torch.float64
TOL = {"atol": 1e-10, "rtol": 1e-10}


def _dtype(device: torch.device) -> torch.dtype:
    return torch.float32 if device.type == "mps" else F64


def _tol(device: torch.device) -> dict:
    return {"atol": 1e-5, "rtol": 1e-5} if device.type == "mps" else TOL


def run_and_differentiate(module_or_fn, x, state, n_states, params=None, seed=123):
    """Run a recurrent module; return its outputs and the gradients of a random linear loss of all of them.

    ``module_or_fn(x, hx)`` returns (output, final state); ``state`` is None or a tuple of tensors (h0,) or
    (h0, c0). The gradients are taken with respect to the input, the initial states and every parameter (by
    name: ``params``, by default the module's), so two modules with the same weights can be compared
    gradient by gradient.
    """
    leaves = {"input": x.detach().clone().requires_grad_()}
    hx = None
    if state is not None:
        for name, s in zip(("h0", "c0"), state):
            leaves[name] = s.detach().clone().requires_grad_()
        hx = (leaves["h0"], leaves["c0"]) if n_states == 2 else leaves["h0"]
    out, final = module_or_fn(leaves["input"], hx)
    outs = (out, *(final if isinstance(final, tuple) else (final,)))
    g = torch.Generator().manual_seed(seed)
    cotangents = [torch.randn(o.shape, generator=g, dtype=o.dtype).to(o.device) for o in outs]
    if params is None:
        params = dict(module_or_fn.named_parameters())
    wrt = {**leaves, **params}
    grads = torch.autograd.grad(outs, list(wrt.values()), cotangents)
    return outs, dict(zip(wrt, grads))


def assert_same_run(a, b, tol=TOL):
    outs_a, grads_a = a
    outs_b, grads_b = b
    assert len(outs_a) == len(outs_b)
    for oa, ob in zip(outs_a, outs_b):
        torch.testing.assert_close(oa, ob, **tol)
    assert list(grads_a) == list(grads_b)
    for name in grads_a:
        torch.testing.assert_close(grads_a[name], grads_b[name], **tol, msg=lambda m, n=name: f"{n}: {m}")


def random_state(n_states, shape, seed, dtype=F64, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return tuple(
        (0.8 * torch.randn(shape, generator=g, dtype=F64)).to(device, dtype) for _ in range(n_states)
    )


# ----------------------------------------------------------------------------------------------------------
# sequence modules against nn.LSTM / nn.GRU
# ----------------------------------------------------------------------------------------------------------

MODULE_CASES = {
    "T": st.integers(1, 6),
    "N": st.integers(1, 3),
    "D": st.integers(1, 5),
    "H": st.integers(1, 5),
    "num_layers": st.integers(1, 3),
    "batch_first": st.booleans(),
    "bias": st.booleans(),
    "bidirectional": st.booleans(),
    "with_state": st.booleans(),
    "seed": st.integers(0, 10_000),
}


def _compare_with_torch(
    ours_cls, ref_cls, n_states, T, N, D, H, num_layers, batch_first, bias, bidirectional, with_state, seed
):
    torch.manual_seed(seed)
    kwargs = dict(
        num_layers=num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional, dtype=F64
    )
    ref = ref_cls(D, H, **kwargs)
    ours = ours_cls(D, H, **kwargs)
    ours.load_state_dict(ref.state_dict())
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn((N, T, D) if batch_first else (T, N, D), generator=g, dtype=F64)
    dirs = 2 if bidirectional else 1
    state = random_state(n_states, (num_layers * dirs, N, H), seed + 2) if with_state else None
    assert_same_run(
        run_and_differentiate(ours, x, state, n_states), run_and_differentiate(ref, x, state, n_states)
    )


@settings(max_examples=30)
@given(**MODULE_CASES)
def test_lstm_equals_nn_lstm(**case):
    _compare_with_torch(LSTM, nn.LSTM, 2, **case)


@settings(max_examples=30)
@given(**MODULE_CASES)
def test_gru_equals_nn_gru(**case):
    _compare_with_torch(GRU, nn.GRU, 1, **case)


@pytest.mark.parametrize(("ours_cls", "ref_cls", "n_states"), [(LSTM, nn.LSTM, 2), (GRU, nn.GRU, 1)])
@pytest.mark.parametrize("with_state", [False, True])
def test_unbatched_input_equals_torch(ours_cls, ref_cls, n_states, with_state):
    torch.manual_seed(0)
    ref = ref_cls(3, 4, num_layers=2, bidirectional=True, dtype=F64)
    ours = ours_cls(3, 4, num_layers=2, bidirectional=True, dtype=F64)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, 3, dtype=F64)  # (T, D)
    state = random_state(n_states, (4, 4), 1) if with_state else None
    a = run_and_differentiate(ours, x, state, n_states)
    assert a[0][0].shape == (5, 8) and a[0][1].shape == (4, 4)
    assert_same_run(a, run_and_differentiate(ref, x, state, n_states))


@pytest.mark.parametrize(("ours_cls", "ref_cls", "n_states"), [(LSTM, nn.LSTM, 2), (GRU, nn.GRU, 1)])
def test_modules_on_device_equal_torch(ours_cls, ref_cls, n_states, device):
    dtype = _dtype(device)
    torch.manual_seed(0)
    ref = ref_cls(3, 5, num_layers=2, batch_first=True, device=device, dtype=dtype)
    ours = ours_cls(3, 5, num_layers=2, batch_first=True, device=device, dtype=dtype)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 6, 3, dtype=F64).to(device, dtype)
    state = random_state(n_states, (2, 2, 5), 3, dtype=dtype, device=device)
    a = run_and_differentiate(ours, x, state, n_states)
    assert all(o.device.type == device.type for o in a[0])
    assert all(g.device.type == device.type for g in a[1].values())
    assert_same_run(a, run_and_differentiate(ref, x, state, n_states), _tol(device))


@pytest.mark.parametrize(("ours_cls", "ref_cls", "n_states"), [(LSTM, nn.LSTM, 2), (GRU, nn.GRU, 1)])
def test_dropout_between_layers_follows_torch(ours_cls, ref_cls, n_states):
    torch.manual_seed(0)
    ref = ref_cls(3, 4, num_layers=3, dropout=1.0, dtype=F64)
    ours = ours_cls(3, 4, num_layers=3, dropout=1.0, dtype=F64)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2, 3, dtype=F64)
    # dropout=1 zeroes every layer's input but the first: deterministic, so training mode compares exactly
    assert_same_run(
        run_and_differentiate(ours, x, None, n_states), run_and_differentiate(ref, x, None, n_states)
    )
    ours.eval()
    ref.eval()
    assert_same_run(
        run_and_differentiate(ours, x, None, n_states), run_and_differentiate(ref, x, None, n_states)
    )
    # and dropout=1 does change the result of a 3-layer network in training mode
    ours.train()
    assert not torch.allclose(ours(x)[0], ours.eval()(x)[0])


# ----------------------------------------------------------------------------------------------------------
# cells against nn.LSTMCell / nn.GRUCell
# ----------------------------------------------------------------------------------------------------------


def as_sequence_module(cell):
    """Give a cell (output, final state) interface of a sequence module: h -> (h, ()), (h, c) -> (h, (c,))."""

    def call(x, hx):
        out = cell(x, hx)
        return (out[0], (out[1],)) if isinstance(out, tuple) else (out, ())

    return call


@settings(max_examples=30)
@given(
    N=st.integers(1, 4),
    D=st.integers(1, 5),
    H=st.integers(1, 5),
    bias=st.booleans(),
    unbatched=st.booleans(),
    with_state=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_cells_equal_torch_cells(N, D, H, bias, unbatched, with_state, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((D,) if unbatched else (N, D), generator=g, dtype=F64)
    state_shape = (H,) if unbatched else (N, H)
    for ours_cls, ref_cls, n_states in ((LSTMCell, nn.LSTMCell, 2), (GRUCell, nn.GRUCell, 1)):
        torch.manual_seed(seed)
        ref = ref_cls(D, H, bias=bias, dtype=F64)
        ours = ours_cls(D, H, bias=bias, dtype=F64)
        ours.load_state_dict(ref.state_dict())
        state = random_state(n_states, state_shape, seed + 1) if with_state else None

        a = run_and_differentiate(as_sequence_module(ours), x, state, n_states, dict(ours.named_parameters()))
        b = run_and_differentiate(as_sequence_module(ref), x, state, n_states, dict(ref.named_parameters()))
        assert a[0][0].shape == state_shape
        assert_same_run(a, b)


@settings(max_examples=30)
@given(
    N=st.integers(1, 4),
    D=st.integers(1, 5),
    H=st.integers(1, 5),
    bias=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_cell_functions_equal_torch_functions(N, D, H, bias, seed):
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=F64).requires_grad_()

    x, h, c = r(N, D), r(N, H), r(N, H)
    for n_gates, ours, ref, state in (
        (4, lstm_cell, torch.lstm_cell, (h, c)),
        (3, gru_cell, torch.gru_cell, h),
    ):
        w_ih, w_hh = r(n_gates * H, D), r(n_gates * H, H)
        b_ih, b_hh = (r(n_gates * H), r(n_gates * H)) if bias else (None, None)
        got, want = ours(x, state, w_ih, w_hh, b_ih, b_hh), ref(x, state, w_ih, w_hh, b_ih, b_hh)
        got, want = (
            (got if isinstance(got, tuple) else (got,)),
            (want if isinstance(want, tuple) else (want,)),
        )
        leaves = [t for t in (x, h, c, w_ih, w_hh, b_ih, b_hh) if t is not None]
        cot = [torch.randn(t.shape, generator=g, dtype=F64) for t in got]
        for a, b in zip(got, want):
            torch.testing.assert_close(a, b, **TOL)
        ga = torch.autograd.grad(got, leaves, cot, allow_unused=True)
        gb = torch.autograd.grad(want, leaves, cot, allow_unused=True)
        for a, b in zip(ga, gb):
            assert (a is None) == (b is None)
            if a is not None:
                torch.testing.assert_close(a, b, **TOL)


def test_cell_function_gradcheck():
    g = torch.Generator().manual_seed(0)

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=F64).requires_grad_()

    x, h, c = r(2, 3), r(2, 4), r(2, 4)
    assert torch.autograd.gradcheck(
        lambda *a: lstm_cell(a[0], (a[1], a[2]), *a[3:]), (x, h, c, r(16, 3), r(16, 4), r(16), r(16))
    )
    for reset in ("after", "before"):
        assert torch.autograd.gradcheck(
            lambda *a, reset=reset: gru_cell(*a, reset=reset), (x, h, r(12, 3), r(12, 4), r(12), r(12))
        )
    assert torch.autograd.gradcheck(mgu_cell, (x, h, r(8, 3), r(8, 4), r(8), r(8)))


# ----------------------------------------------------------------------------------------------------------
# parameters: names, init, counts, state_dict both ways
# ----------------------------------------------------------------------------------------------------------

PAIRS = [(LSTM, nn.LSTM), (GRU, nn.GRU)]
CELL_PAIRS = [(LSTMCell, nn.LSTMCell), (GRUCell, nn.GRUCell)]


@pytest.mark.parametrize(("ours_cls", "ref_cls"), PAIRS)
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_parameters_and_default_init_equal_torch(ours_cls, ref_cls, num_layers, bias, bidirectional):
    kwargs = dict(num_layers=num_layers, bias=bias, bidirectional=bidirectional)
    torch.manual_seed(7)
    ref = ref_cls(6, 5, **kwargs)
    torch.manual_seed(7)
    ours = ours_cls(6, 5, **kwargs)
    # same names in the same order, same shapes, and the same draws from U(-1/sqrt(H), 1/sqrt(H))
    ref_params, our_params = dict(ref.named_parameters()), dict(ours.named_parameters())
    assert list(our_params) == list(ref_params)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for name, p in ref_params.items():
        assert our_params[name].shape == p.shape
        torch.testing.assert_close(our_params[name], p, atol=0, rtol=0)
        assert p.abs().max() <= 1 / 5**0.5


@pytest.mark.parametrize(("ours_cls", "ref_cls"), CELL_PAIRS)
@pytest.mark.parametrize("bias", [True, False])
def test_cell_parameters_and_default_init_equal_torch(ours_cls, ref_cls, bias):
    torch.manual_seed(3)
    ref = ref_cls(6, 5, bias=bias)
    torch.manual_seed(3)
    ours = ours_cls(6, 5, bias=bias)
    assert list(dict(ours.named_parameters())) == list(dict(ref.named_parameters()))
    assert list(ours.state_dict()) == list(ref.state_dict())
    for (_, a), (_, b) in zip(ours.named_parameters(), ref.named_parameters()):
        torch.testing.assert_close(a, b, atol=0, rtol=0)


@pytest.mark.parametrize(("ours_cls", "ref_cls"), PAIRS + CELL_PAIRS)
def test_state_dict_loads_both_ways(ours_cls, ref_cls):
    kwargs = {} if "Cell" in ours_cls.__name__ else {"num_layers": 2, "bidirectional": True}
    ours, ref = ours_cls(4, 3, **kwargs), ref_cls(4, 3, **kwargs)
    # ours -> torch
    ref.load_state_dict(ours.state_dict())
    for (n1, a), (n2, b) in zip(ours.state_dict().items(), ref.state_dict().items()):
        assert n1 == n2
        torch.testing.assert_close(a, b, atol=0, rtol=0)
    # torch -> ours, from a freshly initialised torch module
    ref2 = ref_cls(4, 3, **kwargs)
    ours.load_state_dict(ref2.state_dict())
    for (_, a), (_, b) in zip(ours.state_dict().items(), ref2.state_dict().items()):
        torch.testing.assert_close(a, b, atol=0, rtol=0)


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@settings(max_examples=20)
@given(
    D=st.integers(1, 40),
    H=st.integers(1, 40),
    num_layers=st.integers(1, 3),
    bias=st.booleans(),
    bidirectional=st.booleans(),
)
def test_parameter_counts_are_4x_3x_2x_a_vanilla_rnn(D, H, num_layers, bias, bidirectional):
    kwargs = dict(num_layers=num_layers, bias=bias, bidirectional=bidirectional)
    rnn = _count(nn.RNN(D, H, **kwargs))
    dirs = 2 if bidirectional else 1
    # by hand: layer 0 sees D inputs, later layers dirs * H; two biases per layer and direction
    per_layer = [H * (D if k == 0 else dirs * H) + H * H + (2 * H if bias else 0) for k in range(num_layers)]
    assert rnn == dirs * sum(per_layer)
    assert _count(LSTM(D, H, **kwargs)) == 4 * rnn
    assert _count(GRU(D, H, **kwargs)) == 3 * rnn
    assert _count(MGU(D, H, **kwargs)) == 2 * rnn
    assert _count(LSTMCell(D, H, bias=bias)) == 4 * _count(nn.RNNCell(D, H, bias=bias))
    assert _count(GRUCell(D, H, bias=bias)) == 3 * _count(nn.RNNCell(D, H, bias=bias))
    assert _count(MGUCell(D, H, bias=bias)) == 2 * _count(nn.RNNCell(D, H, bias=bias))


# ----------------------------------------------------------------------------------------------------------
# the lecture's equations: GRU with the reset gate before the product, the MGU, the gradient highway
# ----------------------------------------------------------------------------------------------------------


def lecture_gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    """The slide's GRU: every gate is W [h_{t-1}; x_t] + b, and the candidate sees [r * h_{t-1}; x_t]."""
    H = h.shape[-1]
    W_r = torch.cat([w_hh[:H], w_ih[:H]], dim=1)  # (H, H + D) acting on [h; x]
    W_u = torch.cat([w_hh[H : 2 * H], w_ih[H : 2 * H]], dim=1)
    W_h = torch.cat([w_hh[2 * H :], w_ih[2 * H :]], dim=1)
    b = b_ih + b_hh
    b_r, b_u, b_h = b[:H], b[H : 2 * H], b[2 * H :]
    r = torch.sigmoid(torch.cat([h, x], dim=1) @ W_r.T + b_r)
    u = torch.sigmoid(torch.cat([h, x], dim=1) @ W_u.T + b_u)
    h_tilde = torch.tanh(torch.cat([r * h, x], dim=1) @ W_h.T + b_h)
    return u * h + (1 - u) * h_tilde


def paper_mgu_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    """Zhou et al. 2016: f = s(W_f [h; x] + b_f), h~ = tanh(W_h [f * h; x] + b_h), h = (1 - f) h + f h~."""
    H = h.shape[-1]
    W_f = torch.cat([w_hh[:H], w_ih[:H]], dim=1)
    W_h = torch.cat([w_hh[H:], w_ih[H:]], dim=1)
    b = b_ih + b_hh
    f = torch.sigmoid(torch.cat([h, x], dim=1) @ W_f.T + b[:H])
    h_tilde = torch.tanh(torch.cat([f * h, x], dim=1) @ W_h.T + b[H:])
    return (1 - f) * h + f * h_tilde


def cell_args(n_gates, N=3, D=4, H=5, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return (scale * torch.randn(*shape, generator=g, dtype=F64)).requires_grad_()

    return r(N, D), r(N, H), r(n_gates * H, D), r(n_gates * H, H), r(n_gates * H), r(n_gates * H)


def grads_of(out, leaves, seed=5):
    cot = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=F64)
    return torch.autograd.grad(out, leaves, cot)


@pytest.mark.parametrize("seed", range(4))
def test_gru_reset_before_is_the_lecture_and_differs_from_torch(seed):
    args = cell_args(3, seed=seed)
    before, lecture = gru_cell(*args, reset="before"), lecture_gru_cell(*args)
    torch.testing.assert_close(before, lecture, **TOL)
    for a, b in zip(grads_of(before, args), grads_of(lecture, args)):
        torch.testing.assert_close(a, b, **TOL)
    after = gru_cell(*args, reset="after")
    torch.testing.assert_close(after, torch.gru_cell(*args), **TOL)
    assert (before - after).abs().max() > 1e-3


def test_gru_reset_placements_agree_when_reset_is_open_and_b_hn_is_zero():
    # With r = 1 (a large reset bias) and b_hn = 0 both candidates are tanh(W_in x + b_in + W_hn h).
    x, h, w_ih, w_hh, b_ih, b_hh = (t.detach() for t in cell_args(3, seed=1))
    H = h.shape[1]
    b_ih[:H] = 60.0  # sigmoid(60 + ...) == 1 in float64
    b_hh[2 * H :] = 0.0
    torch.testing.assert_close(
        gru_cell(x, h, w_ih, w_hh, b_ih, b_hh, reset="before"),
        gru_cell(x, h, w_ih, w_hh, b_ih, b_hh, reset="after"),
        **TOL,
    )


@pytest.mark.parametrize("seed", range(4))
def test_mgu_cell_is_the_paper_equations(seed):
    args = cell_args(2, seed=seed)
    got, want = mgu_cell(*args), paper_mgu_cell(*args)
    torch.testing.assert_close(got, want, **TOL)
    for a, b in zip(grads_of(got, args), grads_of(want, args)):
        torch.testing.assert_close(a, b, **TOL)


def stacked_reference(cell_fn, module, x, h0):
    """A sequence module written out with a cell function: loop over layers, directions and time."""
    num_layers, dirs = module.num_layers, 2 if module.bidirectional else 1
    layer_input, finals = x, []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = [getattr(module, f"{n}{sfx}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h = h0[layer * dirs + d]
            steps = range(x.shape[0] - 1, -1, -1) if d else range(x.shape[0])
            out = [None] * x.shape[0]
            for t in steps:
                h = cell_fn(layer_input[t], h, *w)
                out[t] = h
            outs.append(torch.stack(out))
            finals.append(h)
        layer_input = torch.cat(outs, dim=2)
    return layer_input, torch.stack(finals)


@pytest.mark.parametrize(
    ("module_cls", "cell_fn"),
    [(MGU, paper_mgu_cell), (lambda *a, **k: GRU(*a, reset="before", **k), lecture_gru_cell)],
    ids=["MGU", "GRU-before"],
)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_mgu_and_gru_before_modules_equal_the_cell_equations_looped(module_cls, cell_fn, bidirectional):
    torch.manual_seed(1)
    module = module_cls(3, 4, num_layers=2, bidirectional=bidirectional, dtype=F64)
    dirs = 2 if bidirectional else 1
    x = torch.randn(5, 2, 3, dtype=F64)
    h0 = torch.randn(2 * dirs, 2, 4, dtype=F64)
    a = run_and_differentiate(module, x, (h0,), 1)

    def looped(inp, hx):
        return stacked_reference(cell_fn, module, inp, hx)

    assert_same_run(a, run_and_differentiate(looped, x, (h0,), 1, dict(module.named_parameters())))


def test_gru_module_reset_before_differs_from_nn_gru():
    torch.manual_seed(2)
    ref = nn.GRU(3, 4, dtype=F64)
    ours = GRU(3, 4, dtype=F64, reset="before")
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(6, 2, 3, dtype=F64)
    assert (ours(x)[0] - ref(x)[0]).abs().max() > 1e-3
    ours_after = GRU(3, 4, dtype=F64)
    ours_after.load_state_dict(ref.state_dict())
    torch.testing.assert_close(ours_after(x)[0], ref(x)[0], **TOL)


def forget_gate(x, h, w_ih, w_hh, b_ih, b_hh):
    H = h.shape[-1]
    return torch.sigmoid(x @ w_ih[H : 2 * H].T + b_ih[H : 2 * H] + h @ w_hh[H : 2 * H].T + b_hh[H : 2 * H])


def test_gradient_highway_through_the_cell_state():
    """dL/dc_{t-1} = dL/dc_t * f_t when the path through h is cut.

    c_{t-1} reaches c_t only through f_t * c_{t-1} (the gates see h_{t-1} and x_t, not c_{t-1}), so the
    Jacobian dc_t/dc_{t-1} is diag(f_t). In an unrolled LSTM, c_{t-1} also reaches step t through
    h_{t-1} = o_{t-1} * tanh(c_{t-1}), which feeds the gates; feeding each step h_{t-1}.detach() cuts that
    path. Then autograd's dL/dc_{t-1} must equal dL/dc_t * f_t at every step, for a loss that reads both the
    last c and the last h (the h read-out enters dL/dc_T and is carried back by the highway alone).
    """
    T, N, D, H = 6, 3, 2, 4
    x, h0, w_ih, w_hh, b_ih, b_hh = (t.detach() for t in cell_args(4, N, D, H, seed=3))
    xs = torch.randn(T, N, D, generator=torch.Generator().manual_seed(4), dtype=F64)
    c = torch.randn(N, H, dtype=F64).requires_grad_()
    cs, fs, h = [c], [], h0
    for t in range(T):
        h_in = h.detach()  # the cut
        fs.append(forget_gate(xs[t], h_in, w_ih, w_hh, b_ih, b_hh))
        h, c = lstm_cell(xs[t], (h_in, c), w_ih, w_hh, b_ih, b_hh)
        c.retain_grad()
        cs.append(c)
    a, b = torch.randn(N, H, dtype=F64), torch.randn(N, H, dtype=F64)
    ((a * cs[-1]).sum() + (b * h).sum()).backward()
    for t in range(1, T + 1):
        torch.testing.assert_close(cs[t - 1].grad, cs[t].grad * fs[t - 1], **TOL)
    # and over the whole sequence: dL/dc_0 = dL/dc_T * f_1 * ... * f_T
    torch.testing.assert_close(cs[0].grad, cs[-1].grad * torch.stack(fs).prod(0), **TOL)


def test_without_the_cut_the_highway_is_not_the_whole_gradient():
    # The same unroll without detach: c_{t-1} also acts through h_{t-1}, so the identity no longer holds.
    T, N, D, H = 4, 3, 2, 4
    x, h0, w_ih, w_hh, b_ih, b_hh = (t.detach() for t in cell_args(4, N, D, H, seed=3))
    xs = torch.randn(T, N, D, generator=torch.Generator().manual_seed(4), dtype=F64)
    c = torch.randn(N, H, dtype=F64).requires_grad_()
    cs, fs, h = [c], [], h0
    for t in range(T):
        fs.append(forget_gate(xs[t], h, w_ih, w_hh, b_ih, b_hh).detach())
        h, c = lstm_cell(xs[t], (h, c), w_ih, w_hh, b_ih, b_hh)
        c.retain_grad()
        cs.append(c)
    h.sum().backward()
    assert (cs[1].grad - cs[2].grad * fs[1]).abs().max() > 1e-6


# ----------------------------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------------------------


def test_cell_function_errors_name_expected_and_got():
    x, h, w_ih, w_hh, b_ih, b_hh = (t.detach() for t in cell_args(4, N=2, D=3, H=5))
    c = h.clone()
    with pytest.raises(ValueError, match=r"lstm_cell: input has 7 features .* expected input_size=3"):
        lstm_cell(torch.zeros(2, 7, dtype=F64), (h, c), w_ih, w_hh)
    with pytest.raises(ValueError, match=r"lstm_cell: hx\[1\] \(c\) has shape \(2, 4\), expected \(2, 5\)"):
        lstm_cell(x, (h, c[:, :4]), w_ih, w_hh)
    with pytest.raises(ValueError, match=r"lstm_cell: w_hh has shape \(20, 4\), expected .*\(20, 5\)"):
        lstm_cell(x, (h, c), w_ih, w_hh[:, :4])
    with pytest.raises(ValueError, match=r"lstm_cell: w_ih has shape \(19, 3\), expected \(4 \* hidden_size"):
        lstm_cell(x, (h, c), w_ih[:19], w_hh)
    with pytest.raises(ValueError, match=r"b_hh has shape \(19,\), expected \(20,\)"):
        lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh[:19])
    with pytest.raises(ValueError, match=r"input has shape \(1, 2, 3\), expected \(batch, input_size\)"):
        lstm_cell(x[None], (h, c), w_ih, w_hh)
    with pytest.raises(TypeError, match="lstm_cell: hx must be a pair"):
        lstm_cell(x, h, w_ih, w_hh)
    with pytest.raises(TypeError, match="lstm_cell: b_ih must be a torch.Tensor or None, got list"):
        lstm_cell(x, (h, c), w_ih, w_hh, [0.0] * 20)
    x3, h3, w_ih3, w_hh3, _, _ = (t.detach() for t in cell_args(3, N=2, D=3, H=5))
    with pytest.raises(ValueError, match=r"gru_cell: hx has shape \(3, 5\), expected \(2, 5\)"):
        gru_cell(x3, torch.zeros(3, 5, dtype=F64), w_ih3, w_hh3)
    for bad in ("middle", "After", None):
        with pytest.raises(ValueError, match=f"reset={bad!r}"):
            gru_cell(x3, h3, w_ih3, w_hh3, reset=bad)
    with pytest.raises(ValueError, match=r"mgu_cell: w_ih has shape \(15, 3\), expected \(2 \* hidden_size"):
        mgu_cell(x3, h3, w_ih3, w_hh3)


def test_cell_functions_take_torch_keywords():
    # the keywords of torch.lstm_cell / torch.gru_cell: input, hx, w_ih, w_hh, b_ih, b_hh
    x, h, w_ih, w_hh, b_ih, b_hh = (t.detach() for t in cell_args(4, N=2, D=3, H=5))
    kwargs = {"input": x, "hx": (h, h.flip(0)), "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    for ours, ref in zip(lstm_cell(**kwargs), torch.lstm_cell(**kwargs)):
        torch.testing.assert_close(ours, ref, atol=1e-12, rtol=0)
    x, h, w_ih, w_hh, b_ih, b_hh = (t.detach() for t in cell_args(3, N=2, D=3, H=5))
    kwargs = {"input": x, "hx": h, "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    torch.testing.assert_close(gru_cell(**kwargs), torch.gru_cell(**kwargs), atol=1e-12, rtol=0)


@pytest.mark.parametrize(
    ("cls", "flag"),
    [(cls, "bias") for cls in (LSTMCell, GRUCell)]
    + [(cls, flag) for cls in (LSTM, GRU, MGU) for flag in ("bias", "batch_first", "bidirectional")],
)
def test_flags_must_be_bools(cls, flag):
    for bad in (1, 0, "yes", None, np.bool_(True)):
        with pytest.raises(TypeError, match=rf"{flag}={bad!r} must be a bool"):
            cls(4, 3, **{flag: bad})
    assert getattr(cls(4, 3, **{flag: False}), flag) is False


@pytest.mark.parametrize("cls", [LSTM, GRU, MGU])
def test_module_errors_name_expected_and_got(cls):
    m = cls(4, 3, num_layers=2, dtype=F64)
    name = cls.__name__
    with pytest.raises(ValueError, match=rf"{name}: input has 5 features .* expected input_size=4"):
        m(torch.zeros(6, 2, 5, dtype=F64))
    with pytest.raises(ValueError, match=rf"{name}: input has shape \(1, 6, 2, 4\), expected 3-D"):
        m(torch.zeros(1, 6, 2, 4, dtype=F64))
    with pytest.raises(ValueError, match="seq_len=0"):
        m(torch.zeros(0, 2, 4, dtype=F64))
    bad = torch.zeros(1, 2, 3, dtype=F64)
    good = torch.zeros(2, 2, 3, dtype=F64)
    label = r"hx\[0\] \(h_0\)" if cls is LSTM else "hx"
    hx = (bad, good) if cls is LSTM else bad
    with pytest.raises(ValueError, match=rf"{label} has shape \(1, 2, 3\), expected \(2, 2, 3\)"):
        m(torch.zeros(6, 2, 4, dtype=F64), hx)
    with pytest.raises(
        ValueError, match=r"expected \(2, 3\) = \(num_layers \* num_directions, hidden_size\)"
    ):
        m(torch.zeros(6, 4, dtype=F64), (good, good) if cls is LSTM else good)
    with pytest.raises(ValueError, match="torch.float32"):
        m(torch.zeros(6, 2, 4, dtype=F64), (good.float(), good.float()) if cls is LSTM else good.float())
    if cls is LSTM:
        with pytest.raises(TypeError, match="hx must be a pair .* got a tuple of length 1"):
            m(torch.zeros(6, 2, 4, dtype=F64), (good,))
    packed = nn.utils.rnn.pack_padded_sequence(torch.zeros(6, 2, 4, dtype=F64), [6, 3])
    with pytest.raises(TypeError, match="PackedSequence"):
        m(packed)


def test_constructor_errors():
    for kwargs, match in (
        ({"hidden_size": 0}, "hidden_size=0"),
        ({"input_size": 2.5}, "input_size=2.5"),
        ({"num_layers": 0}, "num_layers=0"),
        ({"dropout": 1.5}, "dropout=1.5"),
    ):
        args = {"input_size": 3, "hidden_size": 4, **kwargs}
        for cls in (LSTM, GRU, MGU):
            with pytest.raises(ValueError, match=match):
                cls(**args)
    with pytest.raises(ValueError, match="proj_size=2"):
        LSTM(3, 4, proj_size=2)
    for cls in (LSTM, GRU, MGU):  # as torch.nn: dropout with one layer warns (it would never act)
        with pytest.warns(UserWarning, match="dropout=0.5 has no effect with num_layers=1"):
            cls(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="reset='sideways'"):
        GRU(3, 4, reset="sideways")
    with pytest.raises(ValueError, match="reset='sideways'"):
        GRUCell(3, 4, reset="sideways")
    with pytest.raises(ValueError, match="hidden_size=-1"):
        LSTMCell(3, -1)


def test_mgu_cell_module_is_the_paper_equations_and_starts_from_zeros():
    torch.manual_seed(4)
    cell = MGUCell(3, 4, dtype=F64)
    x, h = torch.randn(2, 3, dtype=F64), torch.randn(2, 4, dtype=F64)
    w = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    torch.testing.assert_close(cell(x, h), paper_mgu_cell(x, h, *w), **TOL)
    torch.testing.assert_close(cell(x), paper_mgu_cell(x, torch.zeros(2, 4, dtype=F64), *w), **TOL)
    assert list(dict(cell.named_parameters())) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


# ----------------------------------------------------------------------------------------------------------
# the LSTM module's hand-written backward pass (the layer itself: test_lstm_fast.py, test_lstm_bptt.py)
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("read", ["h_n", "c_n", "output[0]"])
def test_lstm_gradients_when_only_part_of_the_result_is_used(read):
    """Unused results reach backward as None (no gradient): only h_n, only c_n, or one output step."""
    torch.manual_seed(0)
    ref = nn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=F64)
    ours = LSTM(3, 4, num_layers=2, bidirectional=True, dtype=F64)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2, 3, dtype=F64)

    def grads(module):
        xi = x.clone().requires_grad_()
        output, (h_n, c_n) = module(xi)
        loss = {"h_n": h_n, "c_n": c_n, "output[0]": output[0]}[read].square().sum()
        return torch.autograd.grad(loss, [xi, *module.parameters()], allow_unused=True)

    for a, b in zip(grads(ours), grads(ref)):
        if b is None:  # a parameter that does not reach the result (h_n of layer 2 misses nothing)
            assert a is None or torch.all(a == 0)
        else:
            torch.testing.assert_close(a, b, **TOL)


def test_lstm_double_backward_is_refused_clearly():
    lstm = LSTM(2, 3, dtype=F64)
    x = torch.randn(4, 1, 2, dtype=F64, requires_grad=True)
    output, _ = lstm(x)
    with pytest.raises(RuntimeError, match=r"create_graph=True \(double backward\) is not supported"):
        torch.autograd.grad(output.sum(), x, create_graph=True)
    (grad_x,) = torch.autograd.grad(lstm(x)[0].sum(), x)  # first derivatives are fine
    assert grad_x.shape == x.shape


# ----------------------------------------------------------------------------------------------------------
# bad inputs: devices, dtypes, device= and dtype=, sizes
# ----------------------------------------------------------------------------------------------------------
def _cell_call(fn, n_gates, **replace):
    x, h, w_ih, w_hh, b_ih, b_hh = (t.detach() for t in cell_args(n_gates, N=2, D=3, H=5))
    args = {"input": x, "hx": h, "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh, **replace}
    if fn is lstm_cell and isinstance(args["hx"], torch.Tensor):
        args["hx"] = (args["hx"], h)
    return fn(**args)


_CELLS = [(lstm_cell, 4), (gru_cell, 3), (mgu_cell, 2)]


@pytest.mark.parametrize(("fn", "n_gates"), _CELLS)
@pytest.mark.parametrize("weight", ["w_ih", "w_hh", "b_ih", "b_hh"])
def test_cells_refuse_a_meta_weight_among_cpu_tensors(fn, n_gates, weight):
    # a meta tensor holds no data: the step would return uninitialised memory
    _, _, w_ih, w_hh, b_ih, b_hh = cell_args(n_gates, N=2, D=3, H=5)
    meta = {"w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}[weight].detach().to("meta")
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: {weight} is on meta, but .* are on cpu"):
        _cell_call(fn, n_gates, **{weight: meta})


@pytest.mark.parametrize(("fn", "n_gates"), _CELLS)
def test_cells_name_a_dtype_mismatch_and_non_floating_tensors(fn, n_gates):
    x = cell_args(n_gates, N=2, D=3, H=5)[0].detach()
    with pytest.raises(
        TypeError, match=rf"^{fn.__name__}: input is of dtype torch.float32, but .* torch.float64"
    ):
        _cell_call(fn, n_gates, input=x.float())
    for dtype in (torch.int64, torch.bool, torch.complex128):
        with pytest.raises(TypeError, match=rf"{fn.__name__}: input must have a floating dtype"):
            _cell_call(fn, n_gates, input=x.to(dtype))


def test_lstm_cell_names_a_meta_cell_state():
    x, h, w_ih, w_hh, b_ih, b_hh = (t.detach() for t in cell_args(4, N=2, D=3, H=5))
    with pytest.raises(ValueError, match=r"lstm_cell: hx\[1\] \(c\) is on meta"):
        lstm_cell(x, (h, h.to("meta")), w_ih, w_hh, b_ih, b_hh)


@pytest.mark.parametrize("cls", [LSTM, GRU, MGU, LSTMCell, GRUCell, MGUCell])
def test_modules_name_an_input_of_another_dtype_or_device(cls):
    m = cls(3, 4)  # float32
    name = cls.__name__
    shape = (2, 3) if name.endswith("Cell") else (5, 2, 3)
    with pytest.raises(
        TypeError, match=rf"input has dtype torch.float64 but {name}'s parameters are torch.float32"
    ):
        m(torch.zeros(shape, dtype=F64))
    with pytest.raises(ValueError, match=rf"input is on meta but {name}'s parameters are on cpu"):
        m(torch.zeros(shape, device="meta"))
    with pytest.raises(TypeError, match=rf"{name}: input must have a floating dtype"):
        m(torch.zeros(shape, dtype=torch.int64))


@pytest.mark.parametrize("cls", [LSTM, GRU, MGU, LSTMCell, GRUCell, MGUCell])
def test_device_dtype_and_sizes_are_checked_before_allocating(cls):
    if not torch.cuda.is_available():  # torch itself raises a bare AssertionError
        with pytest.raises(ValueError, match="device='cuda', but CUDA is not available"):
            cls(3, 4, device="cuda")
    with pytest.raises(ValueError, match="device='gpu' is not a device name"):
        cls(3, 4, device="gpu")
    with pytest.raises(TypeError, match="dtype=torch.int64 must be a floating dtype"):
        cls(3, 4, dtype=torch.int64)
    with pytest.raises(TypeError, match="dtype='float64' must be a torch.dtype"):
        cls(3, 4, dtype="float64")
    with pytest.raises(ValueError, match=r"hidden_size=1099511627776.* would need .* GiB"):
        cls(3, 2**40)
    if not cls.__name__.endswith("Cell"):  # a loop over 2**40 layers, refused before its first step
        with pytest.raises(ValueError, match=r"num_layers=1099511627776.* would need .* GiB"):
            cls(3, 4, num_layers=2**40)
    weight = "weight_ih" if cls.__name__.endswith("Cell") else "weight_ih_l0"
    assert getattr(cls(3, 4, device="meta"), weight).device.type == "meta"  # shapes only, still allowed

"""Gated recurrent units from scratch: LSTM, GRU and the minimal gated unit, interchangeable with torch.nn.

Every cell follows PyTorch's conventions, so weights load both ways between ``LSTM`` and ``nn.LSTM``,
``GRU`` and ``nn.GRU``, ``LSTMCell`` and ``nn.LSTMCell``, ``GRUCell`` and ``nn.GRUCell``: the parameters
are called ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``_reverse`` for the
backward direction), the gates are stacked row-wise in PyTorch's order, and there are two biases per gate
(``b_ih`` and ``b_hh``; only their sum matters, except for the GRU candidate in the "after" form).

LSTM gate layout (PyTorch's ``(i, f, g, o)``) and the lecture's names::

    rows [0H, 1H)  i  input gate    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)   in (0, 1)
    rows [1H, 2H)  f  forget gate   f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)   in (0, 1)
    rows [2H, 3H)  g  the lecture's "value" v_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)  in (-1, 1)
    rows [3H, 4H)  o  output gate   o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)   in (0, 1)
    c_t = f_t * c_{t-1} + i_t * v_t        (forget, then write)
    h_t = o_t * tanh(c_t)                  (read out)

The lecture writes each gate as ``W [h_{t-1}; x_t] + b``: its ``W`` is ``[W_h | W_i]`` (the recurrent and
input blocks side by side) and its ``b`` is ``b_ih + b_hh``.

GRU gate layout (PyTorch's ``(r, z, n)``): reset gate ``r``, update gate ``z`` (the lecture's ``u``; its
slide names the update gate ``u`` and then writes ``z`` in the last equation: they are the same gate), and
the candidate ``n`` (the lecture's h~)::

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    u_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    reset="after"  (PyTorch, cuDNN):  h~_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    reset="before" (the lecture):     h~_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)
    h_t = u_t * h_{t-1} + (1 - u_t) * h~_t

Minimal gated unit (MGU, Zhou, Wu, Zhang and Zhou 2016, "Minimal gated unit for recurrent neural
networks"): one gate ``f`` that plays both the GRU's reset gate and (one minus) its update gate, so it has
2x the parameters of a vanilla RNN (the lecture's "minimal GRU"). Layout ``(f, n)``, equations as in the
paper::

    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    h~_t = tanh(W_in x_t + b_in + W_hn (f_t * h_{t-1}) + b_hn)
    h_t = (1 - f_t) * h_{t-1} + f_t * h~_t        (in the lecture's GRU form: r = f, u = 1 - f)

Speed: the sequence modules compute the input projections of all time steps with one matrix product per
layer and direction, so the loop over time holds only the recurrent product and a few fused element-wise
operations (addmm, addcmul, lerp; for the LSTM one sigmoid for all four gates, using
tanh(a) = 2 sigmoid(2a) - 1 on the value block, and a second sigmoid for tanh(c_t) = 1 - 2 sigmoid(-2 c_t),
since on a CPU torch.tanh costs several times a sigmoid). The LSTM's backward pass is written by hand
(``_LSTMLayerFunction``: the gradient highway of the chapter, step by step), and its products outside the
time loop go through ``lecture_lib._onednn`` (oneDNN's GEMM on a CPU); autograd differentiates the GRU
and MGU loops. The cell functions are written plainly, one equation per line.

Taught in: chapter "LSTM and GRU".
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import _onednn
from ._validate import (
    check_bytes_budget,
    check_device,
    check_dtype,
    check_module_matches,
    check_tensor,
)
from .rnn import _check_alike  # one device and one dtype, naming the odd tensors out

__all__ = [
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "MGU",
    "MGUCell",
    "gru_cell",
    "lstm_cell",
    "mgu_cell",
]

_RESETS = ("after", "before")


# ----------------------------------------------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------------------------------------------


def _check_reset(reset: object) -> None:
    if not isinstance(reset, str) or reset not in _RESETS:
        raise ValueError(
            f"reset={reset!r} is not a known reset placement; expected 'after' (PyTorch/cuDNN: the reset "
            "gate multiplies W_hn h + b_hn) or 'before' (the lecture: it multiplies h before W_hn)"
        )


def _check_cell_args(
    name: str,
    n_gates: int,
    x: Tensor,
    states: dict[str, Tensor],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
) -> int:
    """Check the shapes of a cell's arguments; return the hidden size."""
    for label, t in (("input", x), ("w_ih", w_ih), ("w_hh", w_hh), *states.items()):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: {label} must be a torch.Tensor, got {type(t).__name__}")
    for label, t in (("b_ih", b_ih), ("b_hh", b_hh)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{name}: {label} must be a torch.Tensor or None, got {type(t).__name__}")
    tensors = {"input": x, **states, "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    for label, t in tensors.items():
        if t is not None:  # float16 to float64; int, bool and complex refused by name
            check_tensor(f"{name}: {label}", t, dtype="floating")
    # one device (a meta weight among CPU tensors would give uninitialised memory) and one dtype (torch's own
    # "expected m1 and m2 to have the same dtype" names no argument)
    _check_alike(f"{name}: ", **tensors)
    if w_ih.dim() != 2 or w_ih.shape[0] % n_gates != 0 or w_ih.shape[0] == 0:
        raise ValueError(
            f"{name}: w_ih has shape {tuple(w_ih.shape)}, expected ({n_gates} * hidden_size, input_size)"
        )
    hidden = w_ih.shape[0] // n_gates
    if tuple(w_hh.shape) != (n_gates * hidden, hidden):
        raise ValueError(
            f"{name}: w_hh has shape {tuple(w_hh.shape)}, expected ({n_gates} * hidden_size, hidden_size) = "
            f"{(n_gates * hidden, hidden)} (hidden_size={hidden} from w_ih.shape={tuple(w_ih.shape)})"
        )
    for label, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and tuple(b.shape) != (n_gates * hidden,):
            raise ValueError(f"{name}: {label} has shape {tuple(b.shape)}, expected ({n_gates * hidden},)")
    if x.dim() not in (1, 2):
        raise ValueError(
            f"{name}: input has shape {tuple(x.shape)}, expected (batch, input_size) or (input_size,)"
        )
    if x.shape[-1] != w_ih.shape[1]:
        raise ValueError(
            f"{name}: input has {x.shape[-1]} features (input.shape={tuple(x.shape)}), expected "
            f"input_size={w_ih.shape[1]} (w_ih.shape[1])"
        )
    expected = (*x.shape[:-1], hidden)
    for label, s in states.items():
        if tuple(s.shape) != expected:
            raise ValueError(
                f"{name}: {label} has shape {tuple(s.shape)}, expected {expected} (input's batch shape "
                f"{tuple(x.shape[:-1])}, hidden_size={hidden})"
            )
    return hidden


def _sum_bias(b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor | None:
    if b_ih is None:
        return b_hh
    if b_hh is None:
        return b_ih
    return b_ih + b_hh


# ----------------------------------------------------------------------------------------------------------
# one time step of the sequence modules, from precomputed input projections gx = x W_ih^T + (biases)
# ----------------------------------------------------------------------------------------------------------


def _value_rows_doubled(w: Tensor, hidden: int) -> Tensor:
    """Scale (4H, 1) with 2 on the rows of the LSTM's "value" block g and 1 elsewhere."""
    scale = torch.ones(4 * hidden, 1, device=w.device, dtype=w.dtype)
    scale[2 * hidden : 3 * hidden] = 2.0
    return scale


# ----------------------------------------------------------------------------------------------------------
# one LSTM layer and direction over the whole sequence, with a hand-written backward (BPTT)
# ----------------------------------------------------------------------------------------------------------
class _LSTMLayerFunction(torch.autograd.Function):
    """One LSTM layer over a sequence: the recurrence forward, backpropagation through time by hand backward.

    forward(x (T, N, D), h_0 (N, H), c_0 (N, H), w_ih (4H, D), w_hh (4H, H), b_ih (4H,) or None,
    b_hh (4H,) or None, reverse) -> (output (T, N, H), h_T (N, H), c_T (N, H)).

    The backward pass is the chapter's gradient highway written out. With z_t = W_ih x_t + W_hh h_{t-1} + b
    the gate pre-activations (i, f, g, o blocks) and dh_t the total gradient reaching h_t (from the output
    at t and from step t + 1):

        dc_t = dc_{t+1} * f_{t+1} + dh_t * o_t * (1 - tanh^2 c_t)      (the highway: one product per step)
        dz_t = [dc_t * v_t * i_t (1 - i_t),  dc_t * c_{t-1} * f_t (1 - f_t),
                dc_t * i_t * (1 - v_t^2),    dh_t * tanh(c_t) * o_t (1 - o_t)]
        dh_{t-1} = dy_{t-1} + dz_t W_hh

    Only dh and dc are carried from step to step; everything that does not depend on them (the factors
    multiplying dc_t and dh_t above) is computed for all steps at once before the loop, and the weight
    gradients are one matrix product each after it: dW_ih = sum_t dz_t^T x_t, dW_hh = sum_t dz_t^T h_{t-1}.
    So each backward step costs one matrix product and four element-wise operations, against a dozen
    autograd nodes per step when autograd differentiates the loop. Double backward is not supported (nor
    is it by PyTorch's fused LSTM kernels); the cell function ``lstm_cell`` supports it.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        if reverse:
            x = x.flip(0)
        seq_len, batch, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
        # One sigmoid for all four gates: the g rows of the weights and biases are doubled, so the sigmoid of
        # the g block is sigmoid(2 a_g), and v = tanh(a_g) = 2 sigmoid(2 a_g) - 1 (an identity; doubling a
        # float is exact, so v differs from torch.tanh(a_g) by rounding only). One kernel fewer per step.
        scale = _value_rows_doubled(w_ih, hidden)  # (4H, 1)
        b = _sum_bias(b_ih, b_hh)
        rows = x.reshape(seq_len * batch, x.shape[2])
        b = None if b is None else b * scale[:, 0]
        gates = _onednn.linear(rows, w_ih * scale, b).view(seq_len, batch, 4 * hidden)  # x W_ih'^T + b'
        w_hh_t = (w_hh * scale).t()  # (H, 4H)
        # The read-out needs tanh(c_t), and torch.tanh costs several times a sigmoid on a CPU. So the loop
        # carries m_t = -2 c_t instead of c_t and uses tanh(c) = 1 - 2 sigmoid(-2c): with r_t = sigmoid(m_t),
        # h_t = o_t (1 - 2 r_t) (again an identity; the scaling by -2 is exact).
        neg2_cells = x.new_empty(seq_len, batch, hidden)  # m_t = -2 c_t
        sig_cells = x.new_empty(seq_len, batch, hidden)  # r_t = sigmoid(-2 c_t), so tanh(c_t) = 1 - 2 r_t
        outputs = x.new_empty(seq_len, batch, hidden)  # h_t
        # Per-step views, made once with unbind (iterating over a tensor makes each view in Python, several
        # times slower). Step t turns gates[t] into the gate activations in place.
        blocks = gates.view(seq_len, batch, 4, hidden).unbind(2)  # i, f, s_g, o: (T, N, H) views
        per_step = (gates, *blocks, neg2_cells, sig_cells, outputs)
        h, m = h0, c0 * -2.0
        for s, i, f, s_g, o, m_t, r_t, h_t in zip(*(t.unbind(0) for t in per_step)):
            s.addmm_(h, w_hh_t).sigmoid_()  # (N, 4H): i, f, s_g = sigmoid(2 a_g), o
            # -2 c_t = -2 (f c + i v) = f m + i (2 - 4 s_g), since v = 2 s_g - 1
            torch.mul(f, m, out=m_t).addcmul_(i, s_g, value=-4.0).add_(i, alpha=2.0)
            h = torch.addcmul(
                o, o, torch.sigmoid(m_t, out=r_t), value=-2.0, out=h_t
            )  # o (1 - 2 r) = o tanh c
            m = m_t
        h_n, c_n = outputs[-1].clone(), neg2_cells[-1] * -0.5
        if any(ctx.needs_input_grad[:7]):
            ctx.save_for_backward(x, h0, c0, w_ih, w_hh, gates, neg2_cells, sig_cells, outputs)
        ctx.reverse = reverse
        return (outputs.flip(0) if reverse else outputs), h_n, c_n

    @staticmethod
    def backward(ctx, grad_output, grad_h_n, grad_c_n):
        if torch.is_grad_enabled():  # create_graph=True: a graph of this backward would be wrong, not slow
            raise RuntimeError(
                "LSTM: create_graph=True (double backward) is not supported by the hand-written backward "
                "pass of lecture_lib.gated.LSTM; loop over lecture_lib.gated.lstm_cell for higher derivatives"
            )
        x, h0, c0, w_ih, w_hh, gates, neg2_cells, sig_cells, outputs = ctx.saved_tensors
        seq_len, batch, hidden = outputs.shape
        dy = torch.zeros_like(outputs) if grad_output is None else grad_output
        if ctx.reverse:
            dy = dy.flip(0)
        s = gates.view(seq_len, batch, 4, hidden)  # the activations i, f, s_g, o
        i, f, s_g, o = s.unbind(2)  # (T, N, H) each
        # The factors multiplying dc_t (blocks i, f, g) and dh_t (block o) in dz_t, for all steps at once,
        # written into dz itself; the loop then multiplies them by dc_t and dh_t in place. All four start
        # from s (1 - s): the sigmoid's derivative for i, f, o, and for the value block
        # 1 - v^2 = 4 s_g (1 - s_g), since v = 2 s_g - 1. With r = sigmoid(-2c) from the forward pass,
        # tanh(c) = 1 - 2 r and 1 - tanh^2(c) = 4 r (1 - r). Eleven whole-sequence operations in all.
        dz = torch.addcmul(s, s, s, value=-1.0)  # (T, N, 4, H): s (1 - s)
        k_i, k_f, k_g, k_o = dz.unbind(2)
        k_i.addcmul_(k_i, s_g, value=-2.0).neg_()  # i (1 - i) v, with v = 2 s_g - 1
        k_f[1:].mul_(neg2_cells[:-1]).mul_(-0.5)  # f (1 - f) c_{t-1}
        k_f[0].mul_(c0)
        k_g.mul_(i).mul_(4.0)  # i (1 - v^2)
        k_o.addcmul_(k_o, sig_cells, value=-2.0)  # o (1 - o) tanh(c_t) = o (1 - o) (1 - 2 r_t)
        q = torch.addcmul(sig_cells, sig_cells, sig_cells, value=-1.0).mul_(o)  # o_t r_t (1 - r_t)
        # dh_t's share of dc_t is o_t (1 - tanh^2 c_t) = 4 q_t: the loop's addcmul carries the 4
        dz_flat = dz.view(seq_len, batch, 4 * hidden)
        steps = list(zip(*(t.unbind(0) for t in (dy, dz_flat, dz[:, :, :3], k_o, q, f))))
        dh = dy[-1].clone() if grad_h_n is None else dy[-1] + grad_h_n  # (N, H), reused at every step
        dc = torch.zeros_like(h0) if grad_c_n is None else grad_c_n.clone()
        dc_blocks = dc.unsqueeze(1)  # (N, 1, H): dc_t for the i, f, g blocks at once
        for t in range(seq_len - 1, -1, -1):
            dy_t, _, dz_ifg, dz_o, q_t, _ = steps[t]
            if t < seq_len - 1:
                _, dz_next, _, _, _, f_next = steps[t + 1]
                torch.addmm(dy_t, dz_next, w_hh, out=dh)  # dh_t = dy_t + dz_{t+1} W_hh
                dc.mul_(f_next)  # the highway: dc_t = dc_{t+1} f_{t+1} + ...
            dc.addcmul_(dh, q_t, value=4.0)  # ... + dh_t o_t (1 - tanh^2 c_t)
            dz_ifg.mul_(dc_blocks)
            dz_o.mul_(dh)
        dz_rows = dz_flat.view(seq_len * batch, 4 * hidden)
        grad_x = grad_h0 = grad_c0 = grad_w_ih = grad_w_hh = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = _onednn.linear(dz_rows, w_ih.t()).view(seq_len, batch, -1)  # dz_t W_ih: (T, N, D)
            if ctx.reverse:
                grad_x = grad_x.flip(0)
        if ctx.needs_input_grad[1]:
            grad_h0 = torch.mm(dz_flat[0], w_hh)
        if ctx.needs_input_grad[2]:
            grad_c0 = dc * f[0]
        if ctx.needs_input_grad[3]:
            grad_w_ih = _onednn.outer_sum(dz_rows, x.reshape(seq_len * batch, -1))  # sum_t dz_t^T x_t
        if ctx.needs_input_grad[4]:
            grad_w_hh = dz_flat[0].t() @ h0  # sum_t dz_t^T h_{t-1}: t = 0, then the others in one product
            if seq_len > 1:
                h_prev = outputs[:-1].reshape((seq_len - 1) * batch, hidden)
                grad_w_hh += _onednn.outer_sum(dz_rows[batch:], h_prev)
        if ctx.needs_input_grad[5] or ctx.needs_input_grad[6]:
            grad_b = dz_rows.sum(0)
        grad_b_ih = grad_b if ctx.needs_input_grad[5] else None  # False when the bias is None
        grad_b_hh = grad_b if ctx.needs_input_grad[6] else None
        return grad_x, grad_h0, grad_c0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh, None


def _gru_step_after(gx_ru: Tensor, gx_n: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
    """PyTorch's GRU step. gx_ru (N, 2H), gx_n (N, H): x W_ih^T + b_ih; w_hh_t: (H, 3H)."""
    gh = torch.mm(h, w_hh_t) if b_hh is None else torch.addmm(b_hh, h, w_hh_t)  # (N, 3H)
    gh_ru, gh_n = gh.split([2 * h.shape[-1], h.shape[-1]], 1)  # (N, 2H), (N, H)
    r, u = torch.sigmoid(gx_ru + gh_ru).chunk(2, 1)  # (N, H) each
    n = torch.tanh(torch.addcmul(gx_n, r, gh_n))  # candidate h~ = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    return torch.lerp(n, h, u)  # u * h + (1 - u) * h~


def _gru_step_before(gx_ru: Tensor, gx_n: Tensor, h: Tensor, wt_ru: Tensor, wt_n: Tensor) -> Tensor:
    """The lecture's GRU step. gx_ru (N, 2H), gx_n (N, H) hold both biases; wt_ru (H, 2H), wt_n (H, H)."""
    r, u = torch.sigmoid(torch.addmm(gx_ru, h, wt_ru)).chunk(2, 1)  # (N, H) each
    n = torch.tanh(torch.addmm(gx_n, r * h, wt_n))  # h~ = tanh(W_in x + W_hn (r * h) + b_in + b_hn)
    return torch.lerp(n, h, u)  # u * h + (1 - u) * h~


def _mgu_step(gx_f: Tensor, gx_n: Tensor, h: Tensor, wt_f: Tensor, wt_n: Tensor) -> Tensor:
    """The MGU step. gx_f, gx_n (N, H) hold both biases; wt_f, wt_n (H, H)."""
    f = torch.sigmoid(torch.addmm(gx_f, h, wt_f))  # (N, H)
    n = torch.tanh(torch.addmm(gx_n, f * h, wt_n))  # (N, H)
    return torch.lerp(h, n, f)  # (1 - f) * h + f * h~


# ----------------------------------------------------------------------------------------------------------
# cell functions
# ----------------------------------------------------------------------------------------------------------


def lstm_cell(
    input: Tensor,
    hx: tuple[Tensor, Tensor],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step; same arguments and result as ``torch.lstm_cell`` and ``nn.LSTMCell``.

    Shapes: input x_t (N, D) or (D,); hx = (h_{t-1}, c_{t-1}), each (N, H) or (H,); w_ih (4H, D);
    w_hh (4H, H); b_ih, b_hh (4H,) or None. Returns (h_t, c_t), each shaped like h_{t-1}.

    Gate rows in PyTorch's order (i, f, g, o), in the lecture's names input gate i, forget gate f,
    "value" v (PyTorch's g) and output gate o::

        [i; f; v; o] = [sigmoid; sigmoid; tanh; sigmoid](W_ih x + b_ih + W_hh h_{t-1} + b_hh)
        c_t = f * c_{t-1} + i * v
        h_t = o * tanh(c_t)

    Since the gates do not see c_{t-1}, dc_t/dc_{t-1} = diag(f_t): the gradient highway
    dL/dc_{t-1} = dL/dc_t * f_t of the lecture.

    Taught in: chapter "LSTM and GRU".
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"lstm_cell: hx must be a pair (h, c) of tensors, got {type(hx).__name__}")
    x, (h, c) = input, hx  # the lecture's x_t, h_{t-1}, c_{t-1}
    _check_cell_args("lstm_cell", 4, x, {"hx[0] (h)": h, "hx[1] (c)": c}, w_ih, w_hh, b_ih, b_hh)
    unbatched = x.dim() == 1
    if unbatched:
        x, h, c = x.unsqueeze(0), h.unsqueeze(0), c.unsqueeze(0)  # (1, D), (1, H), (1, H)
    gates = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)  # (N, 4H)
    i, f, g, o = gates.chunk(4, 1)  # (N, H) each
    i, f, v, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * v  # forget, then write
    h = o * torch.tanh(c)  # read out
    if unbatched:
        h, c = h.squeeze(0), c.squeeze(0)  # (H,)
    return h, c


def gru_cell(
    input: Tensor,
    hx: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    reset: str = "after",
) -> Tensor:
    """One GRU step; with ``reset="after"`` the same as ``torch.gru_cell`` and ``nn.GRUCell``.

    Shapes: input x_t (N, D) or (D,); hx = h_{t-1} (N, H) or (H,); w_ih (3H, D); w_hh (3H, H); b_ih, b_hh
    (3H,) or None. Returns h_t, shaped like hx.

    Gate rows in PyTorch's order (r, z, n): reset gate r, update gate z (the lecture's u; the slide names it
    u, then writes z in the last equation), candidate n (the lecture's h~)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),   u = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        reset="after":  h~ = tanh(W_in x + b_in + r * (W_hn h + b_hn))      (PyTorch, cuDNN)
        reset="before": h~ = tanh(W_in x + b_in + W_hn (r * h) + b_hn)      (lecture: W_h [r * h; x] + b_h)
        h_t = u * h + (1 - u) * h~

    The two placements differ by r * (W_hn h) - W_hn (r * h) + (r - 1) * b_hn: they agree when r is all ones,
    or when b_hn = 0 and r takes the same value in every unit, and differ in general. Only "after" matches
    ``nn.GRU``.

    Taught in: chapter "LSTM and GRU".
    """
    _check_reset(reset)
    x, h = input, hx  # the lecture's x_t, h_{t-1}
    _check_cell_args("gru_cell", 3, x, {"hx": h}, w_ih, w_hh, b_ih, b_hh)
    unbatched = x.dim() == 1
    if unbatched:
        x, h = x.unsqueeze(0), h.unsqueeze(0)  # (1, D), (1, H)
    hidden = h.shape[-1]
    if reset == "after":
        gx_ru, gx_n = F.linear(x, w_ih, b_ih).split([2 * hidden, hidden], 1)  # (N, 2H), (N, H)
        out = _gru_step_after(gx_ru, gx_n, h, w_hh.t(), b_hh)  # (N, H)
    else:
        gx_ru, gx_n = F.linear(x, w_ih, _sum_bias(b_ih, b_hh)).split([2 * hidden, hidden], 1)
        wt_ru, wt_n = w_hh.t().split([2 * hidden, hidden], 1)  # (H, 2H), (H, H)
        out = _gru_step_before(gx_ru, gx_n, h, wt_ru, wt_n)  # (N, H)
    return out.squeeze(0) if unbatched else out


def mgu_cell(
    input: Tensor,
    hx: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """One step of the minimal gated unit (MGU, Zhou et al. 2016): a GRU with a single gate.

    Shapes: input x_t (N, D) or (D,); hx = h_{t-1} (N, H) or (H,); w_ih (2H, D); w_hh (2H, H); b_ih, b_hh
    (2H,) or None. Returns h_t, shaped like hx. Arguments in the order of :func:`gru_cell`. Rows are (f, n):
    the gate and the candidate::

        f = sigmoid(W_if x + b_if + W_hf h + b_hf)
        h~ = tanh(W_in x + b_in + W_hn (f * h) + b_hn)
        h_t = (1 - f) * h + f * h~

    In the lecture's GRU notation this is r = f and u = 1 - f: one gate both resets the candidate's view of
    h and decides how much of it to overwrite. 2x the parameters of a vanilla RNN (GRU 3x, LSTM 4x).

    Taught in: chapter "LSTM and GRU".
    """
    x, h = input, hx  # x_t, h_{t-1}
    _check_cell_args("mgu_cell", 2, x, {"hx": h}, w_ih, w_hh, b_ih, b_hh)
    unbatched = x.dim() == 1
    if unbatched:
        x, h = x.unsqueeze(0), h.unsqueeze(0)  # (1, D), (1, H)
    gx_f, gx_n = F.linear(x, w_ih, _sum_bias(b_ih, b_hh)).chunk(2, 1)  # (N, H) each
    wt_f, wt_n = w_hh.t().chunk(2, 1)  # (H, H) each
    out = _mgu_step(gx_f, gx_n, h, wt_f, wt_n)  # (N, H)
    return out.squeeze(0) if unbatched else out


# ----------------------------------------------------------------------------------------------------------
# modules
# ----------------------------------------------------------------------------------------------------------


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name}={value!r} must be a bool (True or False); got {type(value).__name__}")
    return value


def _check_size(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")
    return value


def _check_factory(device: object, dtype: object) -> dict[str, torch.device | torch.dtype | None]:
    """The ``device=`` and ``dtype=`` of a module: a device this machine has, a floating dtype (or None)."""
    return {"device": check_device("device", device), "dtype": check_dtype("dtype", dtype)}


def _check_parameter_bytes(call: str, count: int, dtype: torch.dtype | None) -> None:
    """Refuse a module whose ``count`` parameters would not fit in memory, before allocating any of them."""
    itemsize = (dtype or torch.get_default_dtype()).itemsize
    check_bytes_budget(f"the {count} parameters of {call}", count * itemsize)


class _CellBase(nn.Module):
    """Parameters weight_ih (G*H, D), weight_hh (G*H, H), bias_ih, bias_hh (G*H,) as in nn.RNNCellBase."""

    n_gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.input_size = _check_size("input_size", input_size, 1)
        self.hidden_size = _check_size("hidden_size", hidden_size, 1)
        self.bias = _check_bool("bias", bias)
        factory = _check_factory(device, dtype)
        g = self.n_gates * hidden_size
        _check_parameter_bytes(
            f"{type(self).__name__}(input_size={input_size}, hidden_size={hidden_size})",
            g * (input_size + hidden_size + (2 if bias else 0)),
            factory["dtype"],
        )
        self.weight_ih = nn.Parameter(torch.empty(g, input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(g, hidden_size, **factory))
        if self.bias:
            self.bias_ih = nn.Parameter(torch.empty(g, **factory))
            self.bias_hh = nn.Parameter(torch.empty(g, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), as in torch.nn."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _zeros(self, x: Tensor) -> Tensor:
        return torch.zeros(*x.shape[:-1], self.hidden_size, device=x.device, dtype=x.dtype)

    def _check_input(self, input: Tensor) -> None:
        """A floating tensor on the device and of the dtype of the cell's parameters."""
        name = type(self).__name__
        check_tensor(f"{name}: input", input, dtype="floating")
        check_module_matches(name, self, input)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s if self.bias else s + ", bias=False"


class LSTMCell(_CellBase):
    """One LSTM step as a module; parameters and state_dict keys identical to ``nn.LSTMCell``.

    forward(input, hx=None): input (N, D) or (D,); hx = (h, c), each (N, H) or (H,), zeros when None.
    Returns (h_t, c_t). Equations and gate layout: :func:`lstm_cell`.

    Taught in: chapter "LSTM and GRU".
    """

    n_gates = 4

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        self._check_input(input)
        if hx is None:
            zeros = self._zeros(input)
            hx = (zeros, zeros)
        return lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(_CellBase):
    """One GRU step as a module; parameters and state_dict keys identical to ``nn.GRUCell``.

    forward(input, hx=None): input (N, D) or (D,); hx (N, H) or (H,), zeros when None. Returns h_t.
    ``reset="after"`` (default) is nn.GRUCell's form, ``reset="before"`` the lecture's: see :func:`gru_cell`.

    Taught in: chapter "LSTM and GRU".
    """

    n_gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        reset: str = "after",
    ) -> None:
        _check_reset(reset)
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.reset = reset

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check_input(input)
        if hx is None:
            hx = self._zeros(input)
        return gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.reset)

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.reset == "after" else f", reset={self.reset!r}")


class MGUCell(_CellBase):
    """One minimal-gated-unit step as a module (weight_ih (2H, D), weight_hh (2H, H), two biases (2H,)).

    forward(input, hx=None): input (N, D) or (D,); hx (N, H) or (H,), zeros when None. Returns h_t.
    Equations: :func:`mgu_cell`.

    Taught in: chapter "LSTM and GRU".
    """

    n_gates = 2

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check_input(input)
        if hx is None:
            hx = self._zeros(input)
        return mgu_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class _GatedRNNBase(nn.Module):
    """Stacked, optionally bidirectional gated RNN with nn.RNNBase's parameter names and layout."""

    n_gates = 1
    has_cell_state = False

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.input_size = _check_size("input_size", input_size, 1)
        self.hidden_size = _check_size("hidden_size", hidden_size, 1)
        self.num_layers = _check_size("num_layers", num_layers, 1)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout={dropout!r} must be a number in [0, 1]")
        if dropout > 0 and num_layers == 1:  # as torch.nn warns: there is no layer after which to drop
            warnings.warn(
                f"{type(self).__name__}: dropout={dropout} has no effect with num_layers=1 (dropout acts on "
                "the outputs of every layer but the last)",
                UserWarning,
                stacklevel=2,
            )
        self.bias = _check_bool("bias", bias)
        self.batch_first = _check_bool("batch_first", batch_first)
        self.dropout = float(dropout)
        self.bidirectional = _check_bool("bidirectional", bidirectional)
        num_directions = 2 if self.bidirectional else 1
        factory = _check_factory(device, dtype)
        g = self.n_gates * hidden_size
        per_direction = g * (input_size + hidden_size + (2 if bias else 0))  # the first layer
        per_direction += (num_layers - 1) * g * ((num_directions + 1) * hidden_size + (2 if bias else 0))
        _check_parameter_bytes(
            f"{type(self).__name__}(input_size={input_size}, hidden_size={hidden_size}, "
            f"num_layers={num_layers}, bidirectional={bidirectional})",
            num_directions * per_direction,
            factory["dtype"],
        )
        # names per (layer, direction), registered in nn.RNNBase's order so parameters() lines up too
        self._weight_names: list[tuple[str, str, str | None, str | None]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * num_directions
            for direction in range(num_directions):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                setattr(self, "weight_ih" + sfx, nn.Parameter(torch.empty(g, layer_input, **factory)))
                setattr(self, "weight_hh" + sfx, nn.Parameter(torch.empty(g, hidden_size, **factory)))
                if self.bias:
                    setattr(self, "bias_ih" + sfx, nn.Parameter(torch.empty(g, **factory)))
                    setattr(self, "bias_hh" + sfx, nn.Parameter(torch.empty(g, **factory)))
                    self._weight_names.append(
                        ("weight_ih" + sfx, "weight_hh" + sfx, "bias_ih" + sfx, "bias_hh" + sfx)
                    )
                else:
                    self._weight_names.append(("weight_ih" + sfx, "weight_hh" + sfx, None, None))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), as in torch.nn."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    # -- subclasses provide the loop over time of one layer and direction ---------------------------------
    def _run_direction(
        self,
        x: Tensor,
        state: tuple[Tensor, ...],
        names: tuple[str, str, str | None, str | None],
        reverse: bool,
    ) -> tuple[Tensor, tuple[Tensor, ...]]:
        raise NotImplementedError

    def _weights(
        self, names: tuple[str, str, str | None, str | None]
    ) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        w_ih, w_hh, b_ih, b_hh = names
        return (
            getattr(self, w_ih),
            getattr(self, w_hh),
            None if b_ih is None else getattr(self, b_ih),
            None if b_hh is None else getattr(self, b_hh),
        )

    @staticmethod
    def _loop(
        step: Callable[..., tuple[Tensor, ...]],
        gx: tuple[Tensor, ...],
        state: tuple[Tensor, ...],
        reverse: bool,
    ) -> tuple[Tensor, tuple[Tensor, ...]]:
        """Run ``state = step(*gx_t, *state)`` over t; return the stacked h's (T, N, H) and the last state.

        ``gx`` holds the precomputed input projections, each (T, N, k); unbind gives T views at the cost of
        one autograd node per tensor (indexing gx[t] would add one node, and one gradient buffer, per step).
        """
        per_step = list(zip(*(g.unbind(0) for g in gx)))  # T tuples of (N, k) views
        outputs: list[Tensor] = [gx[0]] * len(per_step)  # placeholders, all overwritten below
        order = range(len(per_step) - 1, -1, -1) if reverse else range(len(per_step))
        for t in order:
            state = step(*per_step[t], *state)
            outputs[t] = state[0]
        return torch.stack(outputs), state  # (T, N, H)

    def _check_state(self, hx: Tensor, label: str, expected: tuple[int, ...], x: Tensor) -> None:
        if not isinstance(hx, Tensor):
            raise TypeError(f"{type(self).__name__}: {label} must be a torch.Tensor, got {type(hx).__name__}")
        if tuple(hx.shape) != expected:
            layout = "(num_layers * num_directions, batch, hidden_size)"
            if len(expected) == 2:
                layout = "(num_layers * num_directions, hidden_size) for unbatched input"
            raise ValueError(
                f"{type(self).__name__}: {label} has shape {tuple(hx.shape)}, expected {expected} = {layout}"
            )
        if hx.dtype != x.dtype or hx.device != x.device:
            raise ValueError(
                f"{type(self).__name__}: {label} is {hx.dtype} on {hx.device}, expected the input's "
                f"{x.dtype} on {x.device}"
            )

    def _forward(self, input: Tensor, hx: tuple[Tensor, ...] | None) -> tuple[Tensor, tuple[Tensor, ...]]:
        name = type(self).__name__
        if isinstance(input, nn.utils.rnn.PackedSequence):
            raise TypeError(f"{name}: PackedSequence input is not supported; pass a padded tensor")
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a torch.Tensor, got {type(input).__name__}")
        check_tensor(f"{name}: input", input, dtype="floating")
        check_module_matches(name, self, input)
        if input.dim() not in (2, 3):
            order = "(batch, seq_len, input_size)" if self.batch_first else "(seq_len, batch, input_size)"
            raise ValueError(
                f"{name}: input has shape {tuple(input.shape)}, expected 3-D {order} or 2-D "
                "(seq_len, input_size) for unbatched input"
            )
        if input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: input has {input.shape[-1]} features (input.shape={tuple(input.shape)}), expected "
                f"input_size={self.input_size}"
            )
        unbatched = input.dim() == 2
        if unbatched:
            x = input.unsqueeze(1)  # (T, 1, D)
        else:
            x = input.transpose(0, 1) if self.batch_first else input  # (T, N, D)
        seq_len, batch = x.shape[0], x.shape[1]
        if seq_len == 0:
            raise ValueError(f"{name}: input has seq_len=0 (input.shape={tuple(input.shape)}); expected >= 1")
        num_directions = 2 if self.bidirectional else 1
        n_states = 2 if self.has_cell_state else 1
        state_shape = (self.num_layers * num_directions, batch, self.hidden_size)
        if hx is None:
            zeros = torch.zeros(state_shape, device=x.device, dtype=x.dtype)
            states = (zeros,) * n_states
        else:
            states = tuple(hx)
            labels = ("hx[0] (h_0)", "hx[1] (c_0)") if self.has_cell_state else ("hx",)
            expected = (state_shape[0], self.hidden_size) if unbatched else state_shape
            for label, s in zip(labels, states):
                self._check_state(s, label, expected, x)
            if unbatched:
                states = tuple(s.unsqueeze(1) for s in states)  # (L * dirs, 1, H)

        layer_input = x
        finals: list[list[Tensor]] = [[] for _ in range(n_states)]
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                layer_input = F.dropout(layer_input, p=self.dropout, training=True)
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                out, last = self._run_direction(
                    layer_input, tuple(s[k] for s in states), self._weight_names[k], reverse=direction == 1
                )
                outs.append(out)  # (T, N, H)
                for j in range(n_states):
                    finals[j].append(last[j])  # (N, H)
            layer_input = outs[0] if num_directions == 1 else torch.cat(outs, dim=2)  # (T, N, dirs * H)

        output = layer_input
        last_states = tuple(torch.stack(f) for f in finals)  # (L * dirs, N, H)
        if unbatched:
            output = output.squeeze(1)  # (T, dirs * H)
            last_states = tuple(s.squeeze(1) for s in last_states)  # (L * dirs, H)
        elif self.batch_first:
            output = output.transpose(0, 1)  # (N, T, dirs * H)
        return output, last_states


class LSTM(_GatedRNNBase):
    """Multi-layer LSTM over a sequence; parameters, state_dict keys, init and results as ``nn.LSTM``.

    LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None); ``proj_size`` must be 0.

    forward(input, hx=None): input (T, N, D), or (N, T, D) with batch_first, or (T, D) unbatched;
    hx = (h_0, c_0), each (L * dirs, N, H) (or (L * dirs, H) unbatched), zeros when None.
    Returns output (T, N, dirs * H) (batch first if asked) and (h_n, c_n), each (L * dirs, N, H).
    Each step is :func:`lstm_cell`: c_t = f * c_{t-1} + i * v, h_t = o * tanh(c_t).

    Taught in: chapter "LSTM and GRU".
    """

    n_gates = 4
    has_cell_state = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if proj_size != 0:
            raise ValueError(f"proj_size={proj_size!r} is not supported by this LSTM; expected 0")
        self.proj_size = 0
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype
        )

    def _run_direction(self, x, state, names, reverse):
        w_ih, w_hh, b_ih, b_hh = self._weights(names)
        output, h_n, c_n = _LSTMLayerFunction.apply(x, state[0], state[1], w_ih, w_hh, b_ih, b_hh, reverse)
        return output, (h_n, c_n)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            got = (
                f"a {type(hx).__name__} of length {len(hx)}"
                if isinstance(hx, (tuple, list))
                else type(hx).__name__
            )
            raise TypeError(f"LSTM: hx must be a pair (h_0, c_0) of tensors, got {got}")
        output, (h_n, c_n) = self._forward(input, hx)
        return output, (h_n, c_n)


class GRU(_GatedRNNBase):
    """Multi-layer GRU over a sequence; parameters, state_dict keys, init and results as ``nn.GRU``.

    GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None, reset="after"); ``reset="before"`` runs the lecture's
    form instead (same parameters, different results, see :func:`gru_cell`).

    forward(input, hx=None): input (T, N, D), or (N, T, D) with batch_first, or (T, D) unbatched;
    hx (L * dirs, N, H) (or (L * dirs, H) unbatched), zeros when None.
    Returns output (T, N, dirs * H) (batch first if asked) and h_n (L * dirs, N, H).

    Taught in: chapter "LSTM and GRU".
    """

    n_gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        reset: str = "after",
    ) -> None:
        _check_reset(reset)
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype
        )
        self.reset = reset

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.reset == "after" else f", reset={self.reset!r}")

    def _run_direction(self, x, state, names, reverse):
        w_ih, w_hh, b_ih, b_hh = self._weights(names)
        hidden = self.hidden_size
        w_hh_t = w_hh.t()  # (H, 3H)
        if self.reset == "after":
            gx = F.linear(x, w_ih, b_ih)  # (T, N, 3H); b_hh stays in the loop (r multiplies b_hn)
            step = lambda g_ru, g_n, h: (_gru_step_after(g_ru, g_n, h, w_hh_t, b_hh),)  # noqa: E731
        else:
            gx = F.linear(x, w_ih, _sum_bias(b_ih, b_hh))  # (T, N, 3H)
            wt_ru, wt_n = w_hh_t.split([2 * hidden, hidden], 1)  # (H, 2H), (H, H)
            step = lambda g_ru, g_n, h: (_gru_step_before(g_ru, g_n, h, wt_ru, wt_n),)  # noqa: E731
        return self._loop(step, gx.split([2 * hidden, hidden], 2), state, reverse)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._forward(input, None if hx is None else (hx,))
        return output, h_n


class MGU(_GatedRNNBase):
    """Multi-layer minimal gated unit over a sequence, with the same interface and parameter names as GRU.

    Parameters per layer: weight_ih_l{k} (2H, D_k), weight_hh_l{k} (2H, H), bias_ih_l{k}, bias_hh_l{k} (2H,).
    forward(input, hx=None) -> (output, h_n), shapes as :class:`GRU`. Each step is :func:`mgu_cell`.

    Taught in: chapter "LSTM and GRU".
    """

    n_gates = 2

    def _run_direction(self, x, state, names, reverse):
        w_ih, w_hh, b_ih, b_hh = self._weights(names)
        gx = F.linear(x, w_ih, _sum_bias(b_ih, b_hh))  # (T, N, 2H)
        wt_f, wt_n = w_hh.t().chunk(2, 1)  # (H, H) each
        step = lambda g_f, g_n, h: (_mgu_step(g_f, g_n, h, wt_f, wt_n),)  # noqa: E731
        return self._loop(step, gx.chunk(2, 2), state, reverse)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._forward(input, None if hx is None else (hx,))
        return output, h_n

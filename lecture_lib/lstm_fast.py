"""The optimised LSTM layer: the fast twin of the readable ``lstm_bptt``, tested equal to it.

``lecture_lib.lstm_bptt`` writes one LSTM layer's forward pass and its backpropagation through time the way
the lecture does, one equation per line. This module computes exactly the same numbers (up to rounding,
checked in float64 by ``tests/test_lstm_bptt.py``) several times faster; ``gated_layers.LSTM`` runs every
layer and direction through it. Read ``lstm_bptt`` to learn the algorithm, this one to see what it costs to
make a Python loop over time keep up with ``nn.LSTM``:

- the input projections of all time steps are one matrix product per layer and direction, so the loop over
  time holds only the recurrent product and a few fused element-wise operations (addmm, addcmul);
- one sigmoid computes all four gates, using tanh(a) = 2 sigmoid(2a) - 1 on the value block (its rows of
  the weights are doubled), and a second sigmoid gives tanh(c_t) = 1 - 2 sigmoid(-2 c_t): the loop carries
  m_t = -2 c_t instead of c_t, since on a CPU torch.tanh costs several times a sigmoid;
- the backward pass is written by hand (``_LSTMLayerFunction``): it is ``lstm_bptt``'s loop with everything
  that does not depend on the carried gradients dh and dc taken out of the loop and computed for all steps
  at once, written in place into one buffer;
- the products outside the time loop go through ``lecture_lib._onednn`` (oneDNN's GEMM on a CPU).

Taught in: chapter "LSTM and GRU".
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import _onednn
from ._gated_checks import _check_layer_args
from ._validate import check_bool
from .gated_cells import _sum_bias

__all__ = ["lstm_layer"]


def _value_rows_doubled(w: Tensor, hidden: int) -> Tensor:
    """Scale (4H, 1) with 2 on the rows of the LSTM's "value" block g and 1 elsewhere."""
    scale = torch.ones(4 * hidden, 1, device=w.device, dtype=w.dtype)
    scale[2 * hidden : 3 * hidden] = 2.0
    return scale


class _LSTMLayerFunction(torch.autograd.Function):
    """One LSTM layer over a sequence: the recurrence forward, backpropagation through time by hand backward.

    forward(x (T, N, D), h_0 (N, H), c_0 (N, H), w_ih (4H, D), w_hh (4H, H), b_ih (4H,) or None,
    b_hh (4H,) or None, reverse) -> (output (T, N, H), h_T (N, H), c_T (N, H)).

    The backward pass is the chapter's gradient highway written out: the loop of
    :func:`lecture_lib.lstm_bptt.lstm_bptt`, reorganised for speed. With z_t = W_ih x_t + W_hh h_{t-1} + b
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


def lstm_layer(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    reverse: bool = False,
) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer and direction over a whole sequence, fast, with the hand-written backward pass.

    Shapes: x (T, N, D), h0 and c0 (N, H), weight_ih (4H, D), weight_hh (4H, H), bias_ih and bias_hh (4H,)
    or None (gate rows in PyTorch's order i, f, g, o). Returns output (T, N, H) (every h_t), h_T and c_T
    (N, H). ``reverse=True`` runs from the last step to the first (the backward direction of a
    bidirectional layer); output stays in the input's time order.

    Same equations and gradients as :func:`lecture_lib.lstm_bptt.lstm_forward` and
    :func:`lecture_lib.lstm_bptt.lstm_bptt`: c_t = f_t * c_{t-1} + i_t * v_t, h_t = o_t * tanh(c_t);
    backward, the gradient highway dc_{t-1} = dc_t * f_t + (the path through h_{t-1}). Differentiable once
    (double backward is refused).

    Taught in: chapter "LSTM and GRU".
    """
    _check_layer_args("lstm_layer", x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
    check_bool("reverse", reverse)
    return _LSTMLayerFunction.apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, reverse)

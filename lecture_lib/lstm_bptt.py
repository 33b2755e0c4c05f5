"""The LSTM's backpropagation through time by hand, one equation per line, as the lecture writes it.

``lstm_forward`` runs one LSTM layer over a sequence and keeps every state and every gate; ``lstm_bptt``
walks back through the steps and returns the gradients of the loss with respect to the weights, the biases,
the inputs and the initial states. Both are written for reading, not for speed: the optimised twin that
``lecture_lib.gated.LSTM`` runs, tested equal to this one, is ``lecture_lib.lstm_fast``.

Notation: the gates are the lecture's i (input), f (forget), v (value; PyTorch's g) and o (output), stacked
by rows in PyTorch's order (i, f, g, o); ``dX`` is dL/dX; products are elementwise unless written ``@``.
Forward, for t = 1, ..., T::

    a_t = W_ih x_t + W_hh h_{t-1} + b                     (pre-activations of the four gates, b = b_ih + b_hh)
    i_t = sigmoid(a_i),  f_t = sigmoid(a_f),  v_t = tanh(a_v),  o_t = sigmoid(a_o)
    c_t = f_t * c_{t-1} + i_t * v_t                        (forget, then write)
    h_t = o_t * tanh(c_t)                                  (read out)

Backward, for t = T, ..., 1, with dh_t the gradient reaching h_t (from the loss at step t and through the
gates of step t + 1) and dc_t the gradient reaching c_t (through c_{t+1} and through h_t)::

    do_t = dh_t * tanh(c_t)
    dc_t = dc_t (from c_{t+1}) + dh_t * o_t * (1 - tanh^2(c_t))
    df_t = dc_t * c_{t-1},   di_t = dc_t * v_t,   dv_t = dc_t * i_t
    dc_{t-1} = dc_t * f_t                                  (the gradient highway)
    da_t = [di_t * i_t (1 - i_t),  df_t * f_t (1 - f_t),  dv_t * (1 - v_t^2),  do_t * o_t (1 - o_t)]
    dh_{t-1} = da_t @ W_hh  (+ the loss's own gradient at h_{t-1}),   dx_t = da_t @ W_ih
    dW_ih += da_t^T @ x_t,   dW_hh += da_t^T @ h_{t-1},   db += da_t

Taught in: chapter "LSTM and GRU".
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._gated_checks import _check_bptt_args, _check_layer_args

__all__ = ["lstm_bptt", "lstm_forward"]


def lstm_forward(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
) -> dict[str, Tensor]:
    """Run one LSTM layer over a sequence and keep every state and every gate (what BPTT needs).

    Shapes: x (T, N, D), h0 and c0 (N, H), weight_ih (4H, D), weight_hh (4H, H), bias_ih and bias_hh (4H,)
    or None; the weights and biases of ``nn.LSTM``'s ``weight_ih_l0`` etc., gate rows (i, f, g, o).
    Returns a dict: ``"h"`` and ``"c"`` (T+1, N, H) with h[0] = h0, c[0] = c0 and h[t], c[t] the states
    after step t; ``"i"``, ``"f"``, ``"v"``, ``"o"`` (T, N, H), the gates of step t at index t - 1.

    Formula: c_t = f_t * c_{t-1} + i_t * v_t, h_t = o_t * tanh(c_t) (the module docstring gives the gates).
    The outputs of ``nn.LSTM`` are h[1:]; differentiable with autograd.

    Taught in: chapter "LSTM and GRU".
    """
    T, N, D, H = _check_layer_args("lstm_forward", x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
    b = torch.zeros(4 * H, dtype=x.dtype, device=x.device)  # the lecture's b = b_ih + b_hh
    for bias in (bias_ih, bias_hh):
        if bias is not None:
            b = b + bias
    h, c = [h0], [c0]  # h[t], c[t]: the states after step t
    gates: dict[str, list[Tensor]] = {"i": [], "f": [], "v": [], "o": []}
    for t in range(1, T + 1):
        a = x[t - 1] @ weight_ih.T + h[t - 1] @ weight_hh.T + b  # (N, 4H): the four pre-activations
        a_i, a_f, a_v, a_o = a.chunk(4, dim=1)  # (N, H) each, PyTorch's row order (i, f, g, o)
        i = torch.sigmoid(a_i)  # input gate
        f = torch.sigmoid(a_f)  # forget gate
        v = torch.tanh(a_v)  # value
        o = torch.sigmoid(a_o)  # output gate
        c.append(f * c[t - 1] + i * v)  # forget, then write
        h.append(o * torch.tanh(c[t]))  # read out
        for name, gate in zip("ifvo", (i, f, v, o)):
            gates[name].append(gate)
    return {"h": torch.stack(h), "c": torch.stack(c), **{k: torch.stack(g) for k, g in gates.items()}}


def lstm_bptt(
    x: Tensor,
    cache: dict[str, Tensor],
    grad_output: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    grad_h_n: Tensor | None = None,
    grad_c_n: Tensor | None = None,
) -> dict[str, Tensor]:
    """Backpropagation through time for one LSTM layer, by hand: the gradients of L given dL/dh_t.

    Shapes: x (T, N, D); cache the dict that :func:`lstm_forward` returned for x; grad_output (T, N, H) with
    grad_output[t - 1] = dL/dh_t, the loss's own gradient at the output of step t (zeros where a step has no
    loss); weight_ih (4H, D), weight_hh (4H, H); grad_h_n and grad_c_n (N, H) or None: gradients reaching
    the final states h_T and c_T from outside the sequence (as autograd passes them to ``nn.LSTM``).
    Returns a dict of gradients shaped like what they belong to: ``"x"`` (T, N, D), ``"h0"`` and ``"c0"``
    (N, H), ``"weight_ih"`` (4H, D), ``"weight_hh"`` (4H, H), ``"bias_ih"`` and ``"bias_hh"`` (4H,), equal,
    since the loss sees only their sum.

    Formula: the module docstring; each line of the loop below is one of its equations. The line
    ``dc_prev = dc * f`` is the gradient highway: the cell state passes its gradient back multiplied by the
    forget gate and nothing else; the rest of dc_{t-1} comes through h_{t-1} at the next step back.

    Taught in: chapter "LSTM and GRU".
    """
    T, N, D, H = _check_bptt_args(x, cache, grad_output, weight_ih, weight_hh, grad_h_n, grad_c_n)
    h, c = cache["h"], cache["c"]  # (T+1, N, H): h[0] = h0, c[0] = c0
    grad_x = torch.zeros_like(x)
    grad_weight_ih = torch.zeros_like(weight_ih)
    grad_weight_hh = torch.zeros_like(weight_hh)
    grad_bias = torch.zeros(4 * H, dtype=x.dtype, device=x.device)
    dh_next = torch.zeros_like(h[0]) if grad_h_n is None else grad_h_n  # dL/dh_T from beyond the sequence
    dc_next = torch.zeros_like(c[0]) if grad_c_n is None else grad_c_n  # dL/dc_T from beyond the sequence
    for t in range(T, 0, -1):
        i, f, v, o = (cache[name][t - 1] for name in "ifvo")  # the gates of step t, (N, H) each
        dh = grad_output[t - 1] + dh_next  # h_t feeds the loss at t and the gates of step t + 1
        tanh_c = torch.tanh(c[t])
        do = dh * tanh_c  # h_t = o_t * tanh(c_t)
        dc = dc_next + dh * o * (1 - tanh_c**2)  # c_t feeds c_{t+1} and h_t
        df = dc * c[t - 1]  # c_t = f_t * c_{t-1} + i_t * v_t
        di = dc * v
        dv = dc * i
        dc_prev = dc * f  # the gradient highway
        da_i = di * i * (1 - i)  # sigmoid'(a) = sigmoid(a) (1 - sigmoid(a))
        da_f = df * f * (1 - f)
        da_v = dv * (1 - v**2)  # tanh'(a) = 1 - tanh(a)^2
        da_o = do * o * (1 - o)
        da = torch.cat([da_i, da_f, da_v, da_o], dim=1)  # (N, 4H), rows (i, f, g, o) like the weights
        grad_weight_ih += da.T @ x[t - 1]  # a_t = W_ih x_t + W_hh h_{t-1} + b
        grad_weight_hh += da.T @ h[t - 1]
        grad_bias += da.sum(0)
        grad_x[t - 1] = da @ weight_ih
        dh_next = da @ weight_hh  # h_{t-1} feeds the gates of step t
        dc_next = dc_prev
    return {
        "x": grad_x,
        "h0": dh_next,
        "c0": dc_next,
        "weight_ih": grad_weight_ih,
        "weight_hh": grad_weight_hh,
        "bias_ih": grad_bias,
        "bias_hh": grad_bias.clone(),
    }

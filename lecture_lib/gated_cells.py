"""Gated cells, one time step each: LSTM, GRU and the minimal gated unit, as functions.

Each takes the arguments of ``torch.lstm_cell`` / ``torch.gru_cell`` (the modules wrapping them are in
``gated_cell_modules``, the sequence modules in ``gated_layers``): the gates are stacked row-wise in
PyTorch's order in ``w_ih`` and ``w_hh``, and there are two biases per gate (``b_ih`` and ``b_hh``; only
their sum matters, except for the GRU candidate in the "after" form). The functions are written plainly,
one equation per line.

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

Taught in: chapter "LSTM and GRU".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ._gated_checks import _check_cell_args, _check_reset

__all__ = ["gru_cell", "lstm_cell", "mgu_cell"]


def _sum_bias(b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor | None:
    if b_ih is None:
        return b_hh
    if b_hh is None:
        return b_ih
    return b_ih + b_hh


# ----------------------------------------------------------------------------------------------------------
# one step, from precomputed input projections gx = x W_ih^T + (biases); shared with the sequence modules
# ----------------------------------------------------------------------------------------------------------


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

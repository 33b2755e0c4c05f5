"""Gated recurrent layers over a sequence: ``LSTM``, ``GRU`` and ``MGU``, interchangeable with torch.nn.

Parameters, state_dict keys, default initialisation, argument checks and results are those of ``nn.LSTM``
and ``nn.GRU`` (stacked layers, ``bidirectional``, ``batch_first``, ``dropout``, unbatched input), so
weights load both ways. Each layer and direction computes the input projections of all time steps with one
matrix product, so the loop over time holds only the recurrent product and a few element-wise operations:

- ``LSTM`` runs :func:`lecture_lib.lstm_fast.lstm_layer`'s optimised forward and hand-written backward
  (the readable version of both, one equation per line, is :mod:`lecture_lib.lstm_bptt`);
- ``GRU`` and ``MGU`` loop over the steps of :mod:`lecture_lib.gated_cells` and leave their backward pass to
  autograd.

Taught in: chapter "LSTM and GRU".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ._gated_checks import _check_reset
from ._gated_stack import _GatedRNNBase
from .gated_cells import _gru_step_after, _gru_step_before, _mgu_step, _sum_bias
from .lstm_fast import _LSTMLayerFunction

__all__ = ["GRU", "LSTM", "MGU"]


class LSTM(_GatedRNNBase):
    """Multi-layer LSTM over a sequence; parameters, state_dict keys, init and results as ``nn.LSTM``.

    LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None); ``proj_size`` must be 0.

    forward(input, hx=None): input (T, N, D), or (N, T, D) with batch_first, or (T, D) unbatched;
    hx = (h_0, c_0), each (L * dirs, N, H) (or (L * dirs, H) unbatched), zeros when None.
    Returns output (T, N, dirs * H) (batch first if asked) and (h_n, c_n), each (L * dirs, N, H).
    Each step is :func:`~lecture_lib.gated_cells.lstm_cell`: c_t = f * c_{t-1} + i * v, h_t = o * tanh(c_t).

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
    form instead (same parameters, different results, see :func:`~lecture_lib.gated_cells.gru_cell`).

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
    forward(input, hx=None) -> (output, h_n), shapes as :class:`GRU`. Each step is
    :func:`~lecture_lib.gated_cells.mgu_cell`.

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

"""Gated recurrent units from scratch: LSTM, GRU and the minimal gated unit, interchangeable with torch.nn.

This module gathers the public names of the gated units, so that ``from lecture_lib.gated import LSTM``
works; each concept lives in its own module:

- ``lecture_lib.gated_cells``: ``lstm_cell``, ``gru_cell``, ``mgu_cell``, one time step, one equation a line;
- ``lecture_lib.gated_cell_modules``: ``LSTMCell``, ``GRUCell``, ``MGUCell``, the cells as ``nn.Module``;
- ``lecture_lib.gated_layers``: ``LSTM``, ``GRU``, ``MGU``, stacked and bidirectional, over a whole sequence;
- ``lecture_lib.lstm_bptt``: ``lstm_forward`` and ``lstm_bptt``, the LSTM's backpropagation through time by
  hand, written as the lecture writes it (the gradient highway, step by step);
- ``lecture_lib.lstm_fast``: ``lstm_layer``, the optimised twin of ``lstm_bptt``, which ``LSTM`` runs.

Every unit follows PyTorch's conventions, so weights load both ways between ``LSTM`` and ``nn.LSTM``,
``GRU`` and ``nn.GRU``, ``LSTMCell`` and ``nn.LSTMCell``, ``GRUCell`` and ``nn.GRUCell``: the parameters
are called ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``_reverse`` for the
backward direction), the gates are stacked row-wise in PyTorch's order (LSTM ``(i, f, g, o)``, GRU
``(r, z, n)``, MGU ``(f, n)``), and there are two biases per gate. The gate layouts and the equations, in
the lecture's names, are in the docstring of ``lecture_lib.gated_cells``.

Taught in: chapter "LSTM and GRU".
"""

from __future__ import annotations

from .gated_cell_modules import GRUCell, LSTMCell, MGUCell
from .gated_cells import gru_cell, lstm_cell, mgu_cell
from .gated_layers import GRU, LSTM, MGU

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

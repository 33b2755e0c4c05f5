"""Gated cells as modules: ``LSTMCell``, ``GRUCell`` and ``MGUCell``, interchangeable with torch.nn.

Each owns ``weight_ih`` (G*H, D), ``weight_hh`` (G*H, H), ``bias_ih`` and ``bias_hh`` (G*H,) with the names,
shapes, row order and default initialisation of ``nn.LSTMCell`` (G = 4) and ``nn.GRUCell`` (G = 3), so a
state dict loads both ways; ``MGUCell`` has G = 2. ``forward`` checks its input and calls the cell function
of ``gated_cells``, where the equations are.

Taught in: chapter "LSTM and GRU".
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ._gated_checks import _check_bool, _check_factory, _check_parameter_bytes, _check_reset, _check_size
from ._validate import check_module_matches, check_tensor
from .gated_cells import gru_cell, lstm_cell, mgu_cell

__all__ = ["GRUCell", "LSTMCell", "MGUCell"]


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
    Returns (h_t, c_t). Equations and gate layout: :func:`~lecture_lib.gated_cells.lstm_cell`.

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
    ``reset="after"`` (default) is nn.GRUCell's form, ``reset="before"`` the lecture's: see
    :func:`~lecture_lib.gated_cells.gru_cell`.

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
    Equations: :func:`~lecture_lib.gated_cells.mgu_cell`.

    Taught in: chapter "LSTM and GRU".
    """

    n_gates = 2

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check_input(input)
        if hx is None:
            hx = self._zeros(input)
        return mgu_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)

"""The bookkeeping of a stacked, bidirectional recurrent module, shared by ``LSTM``, ``GRU`` and ``MGU``.

``_GatedRNNBase`` does what ``nn.RNNBase`` does: it registers the parameters with PyTorch's names and order
(``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, ``_reverse`` for the backward
direction), checks and reshapes the input and the initial states (``batch_first``, unbatched input), runs
each layer and direction, applies dropout between layers and stacks the final states. A subclass provides
only ``_run_direction``: the loop over time of one layer and direction (see ``gated_layers``).

Taught in: chapter "LSTM and GRU".
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._gated_checks import _check_bool, _check_factory, _check_parameter_bytes, _check_size
from ._validate import check_module_matches, check_tensor

__all__: list[str] = []  # the public modules are in gated_layers


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

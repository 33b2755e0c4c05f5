"""Argument checks shared by the gated units (cells, layers, the LSTM's two backward passes).

Each refuses a bad argument with ``TypeError`` or ``ValueError`` naming the argument, its value and what was
expected (see ``lecture_lib._validate``). Internal: the public names live in ``gated_cells``,
``gated_layers``, ``lstm_bptt`` and ``lstm_fast``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._validate import (
    check_bytes_budget,
    check_device,
    check_dtype,
    check_tensor,
)
from .rnn import _check_alike  # one device and one dtype, naming the odd tensors out

__all__: list[str] = []

_RESETS = ("after", "before")


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


def _check_layer_args(
    name: str,
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
) -> tuple[int, int, int, int]:
    """Check one LSTM layer's arguments over a whole sequence; return (T, N, D, H).

    x (T, N, D) with T >= 1, h0 and c0 (N, H), weight_ih (4H, D), weight_hh (4H, H), biases (4H,) or None;
    floating tensors on one device and of one dtype.
    """
    check_tensor(f"{name}: x", x, 3, dtype="floating")
    check_tensor(f"{name}: h0", h0, 2, dtype="floating")
    check_tensor(f"{name}: c0", c0, 2, dtype="floating")
    check_tensor(f"{name}: weight_ih", weight_ih, 2, dtype="floating")
    check_tensor(f"{name}: weight_hh", weight_hh, 2, dtype="floating")
    check_tensor(f"{name}: bias_ih", bias_ih, 1, dtype="floating", allow_none=True)
    check_tensor(f"{name}: bias_hh", bias_hh, 1, dtype="floating", allow_none=True)
    # one device and one dtype, naming the odd tensors out
    _check_alike(
        f"{name}: ",
        x=x,
        h0=h0,
        c0=c0,
        weight_ih=weight_ih,
        weight_hh=weight_hh,
        bias_ih=bias_ih,
        bias_hh=bias_hh,
    )
    T, N, D = x.shape
    H = weight_hh.shape[1]
    if T == 0:
        raise ValueError(f"{name}: x has shape {tuple(x.shape)}; expected (T, N, D) with T >= 1 steps")
    expected = {
        "weight_hh": (weight_hh, (4 * H, H), "(4H, H): the rows of the gates i, f, g, o"),
        "weight_ih": (weight_ih, (4 * H, D), "(4H, D) with H = weight_hh.shape[1] and D = x.shape[2]"),
        "h0": (h0, (N, H), "(N, H) with N = x.shape[1] and H = weight_hh.shape[1]"),
        "c0": (c0, (N, H), "(N, H) with N = x.shape[1] and H = weight_hh.shape[1]"),
        "bias_ih": (bias_ih, (4 * H,), "(4H,) with H = weight_hh.shape[1]"),
        "bias_hh": (bias_hh, (4 * H,), "(4H,) with H = weight_hh.shape[1]"),
    }
    for label, (t, shape, meaning) in expected.items():
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"{name}: {label} has shape {tuple(t.shape)}; expected {shape} {meaning}")
    if H == 0:
        raise ValueError(f"{name}: weight_hh has shape {tuple(weight_hh.shape)}; expected hidden size H >= 1")
    return T, N, D, H


_CACHE_KEYS = ("h", "c", "i", "f", "v", "o")


def _check_bptt_args(
    x: Tensor,
    cache: object,
    grad_output: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    grad_h_n: Tensor | None,
    grad_c_n: Tensor | None,
) -> tuple[int, int, int, int]:
    """Check ``lstm_bptt``'s arguments against each other; return (T, N, D, H).

    x (T, N, D); cache as ``lstm_forward`` returns it: h and c (T+1, N, H), i, f, v, o (T, N, H);
    grad_output (T, N, H); weight_ih (4H, D); weight_hh (4H, H); grad_h_n and grad_c_n (N, H) or None.
    """
    name = "lstm_bptt"
    if not isinstance(cache, dict) or sorted(cache) != sorted(_CACHE_KEYS):
        got = f"a dict with keys {sorted(cache)}" if isinstance(cache, dict) else type(cache).__name__
        raise TypeError(
            f"{name}: cache must be the dict that lstm_forward returns (keys {_CACHE_KEYS}); got {got}"
        )
    tensors = {"x": x, "grad_output": grad_output, "weight_ih": weight_ih, "weight_hh": weight_hh}
    tensors |= {f"cache[{k!r}]": cache[k] for k in _CACHE_KEYS}
    for label, t in tensors.items():
        check_tensor(f"{name}: {label}", t, 2 if label.startswith("weight") else 3, dtype="floating")
    for label, t in (("grad_h_n", grad_h_n), ("grad_c_n", grad_c_n)):
        check_tensor(f"{name}: {label}", t, 2, dtype="floating", allow_none=True)
    _check_alike(f"{name}: ", **tensors, grad_h_n=grad_h_n, grad_c_n=grad_c_n)
    T, N, D = x.shape
    H = weight_hh.shape[1]
    if T == 0 or H == 0:
        raise ValueError(
            f"{name}: x has shape {tuple(x.shape)} and weight_hh {tuple(weight_hh.shape)}; expected "
            "T >= 1 steps and hidden size H >= 1"
        )
    expected = {"weight_hh": (4 * H, H), "weight_ih": (4 * H, D), "grad_output": (T, N, H)}
    expected |= {"cache['h']": (T + 1, N, H), "cache['c']": (T + 1, N, H)}
    expected |= {f"cache[{k!r}]": (T, N, H) for k in "ifvo"}
    for label, shape in expected.items():
        if tuple(tensors[label].shape) != shape:
            raise ValueError(
                f"{name}: {label} has shape {tuple(tensors[label].shape)}; expected {shape} from "
                f"x (T, N, D) = {tuple(x.shape)} and weight_hh (4H, H) with H = {H}"
            )
    for label, t in (("grad_h_n", grad_h_n), ("grad_c_n", grad_c_n)):
        if t is not None and tuple(t.shape) != (N, H):
            raise ValueError(f"{name}: {label} has shape {tuple(t.shape)}; expected (N, H) = {(N, H)}")
    return T, N, D, H

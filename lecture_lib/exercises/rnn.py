"""Checkers for the recurrent-network exercises.

Taught in: chapter "RNNs and backpropagation through time" (exercise: BPTT for a tanh RNN).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import torch

from ..rnn import bptt, rnn_forward
from ._core import Case, CheckResult, WrongAnswer, _check_settings, compare_on_cases

__all__ = ["check_bptt"]

_KEYS = ("W_in", "W_rec", "b", "W_out", "b_out", "h0")


_SIZE_RANGES = {"T": (1, 8), "N": (1, 4), "D": (1, 4), "H": (1, 6), "O": (1, 3)}


def _bptt_cases(n_cases: int, seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def r(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return torch.randn(*shape, generator=g, dtype=torch.float64) * scale

    cases = []
    for i in range(n_cases):
        sizes = {k: int(torch.randint(lo, hi + 1, (), generator=g)) for k, (lo, hi) in _SIZE_RANGES.items()}
        if i == 0:  # the first case is never degenerate, so a basic mistake shows on it
            sizes = {"T": 4, "N": 2, "D": 3, "H": 5, "O": 2}
        T, N, D, H, O = sizes.values()
        x, h0 = r(T, N, D), r(N, H, scale=0.5)
        W_in, W_rec, b = r(H, D, scale=1 / math.sqrt(D)), r(H, H, scale=1.2 / math.sqrt(H)), r(H, scale=0.1)
        W_out, b_out = r(O, H, scale=1 / math.sqrt(H)), r(O, scale=0.1)
        h, _ = rnn_forward(x, h0, W_in, W_rec, b, W_out, b_out, activation="tanh")  # (T+1, N, H)
        dz = r(T, N, O)
        last_only = i % 3 == 1
        if last_only:
            dz[:-1] = 0
        where = "the last step only" if last_only else "every step"
        description = f"tanh, T={T}, N={N}, D={D}, H={H}, O={O}, losses at {where}"
        cases.append(Case(args=(x, h, dz, W_in, W_rec, W_out), description=description))
    return cases


def check_bptt(fn: Callable[..., dict[str, torch.Tensor]], n_cases: int = 10, seed: int = 0) -> CheckResult:
    """Check a hand-written BPTT for a tanh RNN against ``lecture_lib.rnn.bptt`` on random cases.

    ``fn(x, h, dz, W_in, W_rec, W_out)`` gets x (T, N, D), the states h (T+1, N, H) of
    ``rnn_forward(..., activation="tanh")`` (h[0] = h0), dz (T, N, O) = dL/dz_t (zeros where a step has no
    loss), W_in (H, D), W_rec (H, H), W_out (O, H), and returns a dict with the gradients "W_in" (H, D),
    "W_rec" (H, H), "b" (H,), "W_out" (O, H), "b_out" (O,) and "h0" (N, H). Cases are float64; a third of
    them put the loss at the last step only. Returns a CheckResult that prints what passed or what failed.

    Taught in: chapter "RNNs and backpropagation through time".
    """
    _check_settings(fn, n_cases, seed)

    def reference(*args: torch.Tensor) -> dict[str, torch.Tensor]:
        return bptt(*args, activation="tanh")

    def student(*args: torch.Tensor) -> dict[str, torch.Tensor]:
        out = fn(*args)
        if not isinstance(out, dict):
            raise WrongAnswer(f"expected a dict with keys {list(_KEYS)}, got a {type(out).__name__}")
        missing = [k for k in _KEYS if k not in out]
        extra = [k for k in out if k not in _KEYS]
        if missing or extra:
            raise WrongAnswer(
                f"the returned dict must have exactly the keys {list(_KEYS)}; missing {missing}, extra {extra}"
            )
        return out

    result = compare_on_cases(
        "check_bptt", student, reference, _bptt_cases(n_cases, seed), atol=1e-8, rtol=1e-6
    )
    # compare_on_cases numbers a dict's tensors in sorted key order; name the gradient instead
    order = sorted(_KEYS)
    result.message = re.sub(
        r"\b([Oo])utput (\d+)\b",
        lambda m: f'{"T" if m.group(1) == "O" else "t"}he gradient "{order[int(m.group(2))]}"',
        result.message,
    )
    return result

"""Checkers for the gated-recurrent-unit exercises.

Taught in: chapter "LSTM and GRU" (exercise: implement an LSTM cell).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..gated import lstm_cell
from ._core import Case, CheckResult, WrongAnswer, _check_settings, compare_on_cases

__all__ = ["check_lstm_cell"]

_SIZE_RANGES = {"N": (1, 4), "D": (1, 5), "H": (1, 6)}


def _lstm_cases(n_cases: int, seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def r(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return torch.randn(*shape, generator=g, dtype=torch.float64) * scale

    cases = []
    for k in range(n_cases):
        N, D, H = (int(torch.randint(lo, hi + 1, (), generator=g)) for lo, hi in _SIZE_RANGES.values())
        if k == 0:  # the first case is never degenerate: D != H and N > 1, so a transpose or a mix-up shows
            N, D, H = 3, 4, 5
        x, h, c = r(N, D), r(N, H, scale=0.8), r(N, H, scale=1.5)
        w_ih, w_hh = r(4 * H, D, scale=1.5 / math.sqrt(D)), r(4 * H, H, scale=1.5 / math.sqrt(H))
        with_bias = k % 4 != 3  # every fourth case has no biases (b_ih = b_hh = None)
        b_ih, b_hh = (r(4 * H, scale=0.5), r(4 * H, scale=0.5)) if with_bias else (None, None)
        description = f"N={N}, D={D}, H={H}, " + ("with biases" if with_bias else "b_ih=None, b_hh=None")
        cases.append(Case(args=(x, (h, c), w_ih, w_hh, b_ih, b_hh), description=description))
    return cases


def check_lstm_cell(
    fn: Callable[..., tuple[torch.Tensor, torch.Tensor]], n_cases: int = 20, seed: int = 0
) -> CheckResult:
    """Check a student's LSTM cell against ``lecture_lib.gated.lstm_cell`` on random float64 cases.

    ``fn(x, (h, c), w_ih, w_hh, b_ih, b_hh)`` gets x (N, D), the state h, c (N, H each), w_ih (4H, D),
    w_hh (4H, H) and the biases b_ih, b_hh (4H,), which are None in every fourth case; the rows of the
    weights hold the gates in PyTorch's order (i, f, g, o). It returns (h_t, c_t), each (N, H), with
    c_t = f * c + i * g and h_t = o * tanh(c_t) (g is the lecture's "value" v). Returns a CheckResult
    that prints what passed or which case failed and how.

    Taught in: chapter "LSTM and GRU".
    """
    _check_settings(fn, n_cases, seed)

    def student(*args: object) -> tuple[torch.Tensor, torch.Tensor]:
        out = fn(*args)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise WrongAnswer(f"expected a pair (h_t, c_t), got {type(out).__name__}")
        return out[0], out[1]

    return compare_on_cases(
        "check_lstm_cell", student, lstm_cell, _lstm_cases(n_cases, seed), atol=1e-8, rtol=1e-6
    )

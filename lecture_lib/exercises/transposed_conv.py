"""Checker for the transposed-convolution exercise: implement ``conv_transpose2d`` yourself.

Taught in: chapter "Transposed convolution from scratch" (exercise: a transposed convolution from scratch).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ._core import Case, CheckResult, _check_settings, compare_on_cases

__all__ = ["check_conv_transpose2d"]

# What each stage of the cases adds; the cases go through the stages in order, so the first failing case
# says which feature is wrong (plain, then stride, then padding, then output padding, then dilation).
_STAGES = ("stride 1, no padding", "stride", "stride and padding", "output padding", "dilation, non-square")


def _randint(gen: torch.Generator, low: int, high: int) -> int:
    """A uniform int in [low, high]."""
    return int(torch.randint(low, high + 1, (), generator=gen))


def _case(gen: torch.Generator, stage: int, with_bias: bool) -> Case:
    """One random valid call of conv_transpose2d using the features of ``stage`` (0 to 4)."""
    while True:
        n, c_in, c_out = _randint(gen, 1, 3), _randint(gen, 1, 4), _randint(gen, 1, 4)
        h, w = _randint(gen, 1, 6), _randint(gen, 1, 6)
        k = _randint(gen, 1, 4)
        kernel = (k, _randint(gen, 1, 4)) if stage == 4 else (k, k)
        s = _randint(gen, 2, 3) if stage >= 1 else 1
        stride = (s, _randint(gen, 1, 3)) if stage == 4 else (s, s)
        p = _randint(gen, 1, 2) if stage >= 2 else 0
        padding = (p, _randint(gen, 0, 2)) if stage == 4 else (p, p)
        dilation = (_randint(gen, 1, 2), 2) if stage == 4 else (1, 1)
        if stage >= 3:
            output_padding = tuple(_randint(gen, 0, max(si, di) - 1) for si, di in zip(stride, dilation))
            if stage == 3 and output_padding[0] == 0:
                output_padding = (1, 1)  # stage 3 always uses it (stride >= 2 there)
        else:
            output_padding = (0, 0)
        out = [
            (i - 1) * si - 2 * pi + di * (ki - 1) + 1 + ai
            for i, ki, si, pi, ai, di in zip((h, w), kernel, stride, padding, output_padding, dilation)
        ]
        if min(out) >= 1:
            break
    x = torch.randn(n, c_in, h, w, generator=gen, dtype=torch.float64)
    weight = torch.randn(c_in, c_out, *kernel, generator=gen, dtype=torch.float64)
    bias = torch.randn(c_out, generator=gen, dtype=torch.float64) if with_bias else None

    def compact(pair: tuple[int, int]) -> int | tuple[int, int]:
        return pair[0] if stage < 4 else pair  # ints while height and width agree, pairs in the last stage

    kwargs = dict(
        stride=compact(stride),
        padding=compact(padding),
        output_padding=compact(output_padding),
        dilation=compact(dilation),
    )
    settings = ", ".join(f"{name}={value}" for name, value in kwargs.items())
    description = (
        f"{_STAGES[stage]}: N={n}, C_in={c_in}, C_out={c_out}, input {h}x{w}, kernel {kernel[0]}x{kernel[1]}, "
        f"{settings}, " + ("with bias" if with_bias else "bias=None")
    )
    return Case(args=(x, weight, bias), kwargs=kwargs, description=description)


def _cases(n_cases: int, seed: int) -> list[Case]:
    gen = torch.Generator().manual_seed(seed)
    # Case 1 is the chapter's first example: input [[0, 1], [2, 3]] with the kernel [[0, 1], [2, 3]].
    example = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=torch.float64).view(1, 1, 2, 2)
    cases = [
        Case(
            args=(example, example.clone(), None),
            kwargs=dict(stride=1, padding=0, output_padding=0, dilation=1),
            description="the chapter's example: input [[0, 1], [2, 3]], kernel [[0, 1], [2, 3]]",
        )
    ]
    for k in range(1, n_cases):
        stage = min(len(_STAGES) - 1, k * len(_STAGES) // n_cases)
        cases.append(_case(gen, stage, with_bias=k % 4 != 3))
    return cases


def check_conv_transpose2d(fn: Callable[..., torch.Tensor], n_cases: int = 20, seed: int = 0) -> CheckResult:
    """Check a student's transposed convolution against ``torch.nn.functional.conv_transpose2d``.

    ``fn(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1)`` has
    F.conv_transpose2d's signature; it is called as ``fn(input, weight, bias, stride=..., padding=...,
    output_padding=..., dilation=...)`` with input (N, C_in, H, W), weight (C_in, C_out, kH, kW) and bias
    (C_out,) or None (every fourth case), all float64, groups left at 1. It must return
    (N, C_out, H_out, W_out) with H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + 1 +
    output_padding. Case 1 is the chapter's 2x2 example; the others are random and add, in order, stride,
    padding, output padding, then dilation with non-square kernels and per-dimension pairs.
    Returns a CheckResult that prints "all N cases pass" or the first failing case and its largest error.

    Taught in: chapter "Transposed convolution from scratch".
    """
    _check_settings(fn, n_cases, seed)
    return compare_on_cases(
        "check_conv_transpose2d", fn, F.conv_transpose2d, _cases(n_cases, seed), atol=1e-8, rtol=1e-6
    )

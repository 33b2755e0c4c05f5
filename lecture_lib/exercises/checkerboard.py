"""Checker for the checkerboard exercise: resize-convolution written as one transposed convolution.

Nearest-neighbour x2 upsampling followed by a 3x3 convolution (padding 1) is a linear map, and it equals a
transposed convolution with kernel 4, stride 2 and padding 1. The student writes the function that turns the
3x3 convolution weight into that 4x4 transposed-convolution weight.

Taught in: chapter "Checkerboard artifacts" (exercise: resize-convolution as a transposed convolution).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ._core import Case, CheckResult, WrongAnswer, _check_settings, compare_on_cases

__all__ = ["check_resize_conv_as_transposed"]


def _randint(gen: torch.Generator, low: int, high: int) -> int:
    """A uniform int in [low, high]."""
    return int(torch.randint(low, high + 1, (), generator=gen))


def _resize_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """The reference: (N, C_in, H, W) -> nearest x2 -> 3x3 conv, padding 1 -> (N, C_out, 2H, 2W)."""
    up = F.interpolate(x, scale_factor=2, mode="nearest")  # (N, C_in, 2H, 2W)
    return F.conv2d(up, weight, bias, padding=1)  # (N, C_out, 2H, 2W)


def _cases(n_cases: int, seed: int) -> list[Case]:
    gen = torch.Generator().manual_seed(seed)
    # Case 1 is the chapter's example: one channel, the kernel 0..8 (no symmetry hides a missing flip).
    example_x = torch.tensor([[1.0, 2.0, 0.0], [0.0, 3.0, 1.0]], dtype=torch.float64).view(1, 1, 2, 3)
    example_w = torch.arange(9, dtype=torch.float64).view(1, 1, 3, 3)
    cases = [
        Case(
            args=(example_x, example_w, None),
            description="the chapter's example: one channel, input 2x3, kernel [[0, 1, 2], [3, 4, 5], [6, 7, 8]]",
        )
    ]
    for k in range(1, n_cases):
        n, c_in, c_out = _randint(gen, 1, 3), _randint(gen, 1, 4), _randint(gen, 1, 4)
        if k == 1:
            c_in, c_out = 2, 3  # channels that differ early: a transpose of the channel axes shows
        h, w = _randint(gen, 1, 6), _randint(gen, 1, 6)
        x = torch.randn(n, c_in, h, w, generator=gen, dtype=torch.float64)
        weight = torch.randn(c_out, c_in, 3, 3, generator=gen, dtype=torch.float64)
        with_bias = k % 4 != 3  # every fourth case has bias=None
        bias = torch.randn(c_out, generator=gen, dtype=torch.float64) if with_bias else None
        description = f"N={n}, C_in={c_in}, C_out={c_out}, input {h}x{w}, " + (
            "with bias" if with_bias else "bias=None"
        )
        cases.append(Case(args=(x, weight, bias), description=description))
    return cases


def check_resize_conv_as_transposed(
    fn: Callable[[torch.Tensor], torch.Tensor], n_cases: int = 20, seed: int = 0
) -> CheckResult:
    """Check a student's conversion of a resize-convolution into a k4 s2 transposed convolution.

    ``fn(weight)`` gets a ``nn.Conv2d`` weight (C_out, C_in, 3, 3) in float64 and returns a
    ``F.conv_transpose2d`` weight K of shape (C_in, C_out, 4, 4) such that, for every input x
    (N, C_in, H, W) and bias b (C_out,) or None,

        F.conv_transpose2d(x, K, b, stride=2, padding=1)
            == F.conv2d(F.interpolate(x, scale_factor=2, mode="nearest"), weight, b, padding=1),

    both of shape (N, C_out, 2H, 2W). (The answer: K[i, o] is the 3x3 kernel weight[o, i] flipped in both
    directions and convolved, in full, with a 2x2 box of ones.) The checker compares the two sides in float64
    on random cases (case 1 is the chapter's one-channel example; every fourth case has no bias) and returns
    a CheckResult that prints "all N cases pass" or the first failing case and its largest error; a kernel of
    the wrong shape is reported as such.

    Taught in: chapter "Checkerboard artifacts" (exercise: resize-convolution as a transposed convolution).
    """
    _check_settings(fn, n_cases, seed)

    def student(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        kernel = fn(weight.clone())  # a clone: an in-place change of the weight cannot touch the reference
        expected_shape = (weight.shape[1], weight.shape[0], 4, 4)
        if not isinstance(kernel, torch.Tensor):
            raise WrongAnswer(
                f"expected a kernel tensor of shape {expected_shape}, got {type(kernel).__name__}"
            )
        if tuple(kernel.shape) != expected_shape:
            raise WrongAnswer(
                f"a kernel of shape {tuple(kernel.shape)}; expected (C_in, C_out, 4, 4) = {expected_shape}, "
                "the weight layout of F.conv_transpose2d"
            )
        if kernel.is_complex() or not kernel.dtype.is_floating_point:
            raise WrongAnswer(f"a kernel of dtype {kernel.dtype}; expected a real floating tensor (float64)")
        kernel = kernel.detach().to("cpu", torch.float64)
        return F.conv_transpose2d(x, kernel, bias, stride=2, padding=1)  # (N, C_out, 2H, 2W)

    return compare_on_cases(
        "check_resize_conv_as_transposed", student, _resize_conv, _cases(n_cases, seed), atol=1e-10, rtol=1e-8
    )

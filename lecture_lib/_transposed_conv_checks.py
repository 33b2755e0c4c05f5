"""Argument checks and memory budgets shared by every transposed convolution of ``lecture_lib``.

Each check refuses a bad argument with ``TypeError`` or ``ValueError`` naming the argument, its value and
what was expected (see ``lecture_lib._validate``); the budgets refuse, before any work, a geometry that would
ask for an unbounded amount of memory or time. Internal: the public names live in
``transposed_conv_views``, ``transposed_conv_col2im``, ``transposed_conv_fast`` and ``transposed_conv_layer``.

Taught in: chapter "Transposed convolution from scratch".
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._validate import check_tensor, describe, is_int
from .conv_arith import conv_transpose_output_size

__all__: list[str] = []

Size2 = int | tuple[int, int]


def _pair(value: int | Sequence[int], name: str, minimum: int) -> tuple[int, int]:
    """``value`` as a pair of ints, each at least ``minimum``; an int means the same for height and width."""
    if not is_int(value) and not isinstance(value, (tuple, list, torch.Size)):
        raise TypeError(f"{name}={describe(value)} must be an int or a pair of ints (height, width)")
    pair = (value, value) if is_int(value) else tuple(value)
    if len(pair) != 2 or not all(is_int(v) for v in pair):
        raise TypeError(f"{name}={value!r} must be an int or a pair of ints (height, width)")
    if min(pair) < minimum:
        raise ValueError(f"{name}={value!r} must be >= {minimum} in each dimension")
    return int(pair[0]), int(pair[1])


#: Limits that keep one call from asking for an unbounded amount of memory or time (a typo such as
#: ``stride=2**40`` would otherwise hang in the phase loops or ask for terabytes). Every tensor a
#: transposed convolution here makes is at most about N * max(C_in, C_out) * E_h * E_w elements, with the
#: canvas E = max((H - 1) s + d (k - 1) + 1 + a, s) per dimension (the output before the padding is cropped,
#: at least one block of phases); it must fit in 4 GiB. The fast path loops over the s_h * s_w output phases;
#: there may be at most 65536 of them (stride (256, 256)).
_MAX_BYTES = 2**32
_MAX_PHASES = 2**16


def _check_budget(
    input_shape: tuple[int, ...],
    c_out: int,
    kernel: tuple[int, int],
    itemsize: int,
    s: tuple[int, int],
    p: tuple[int, int],
    a: tuple[int, int],
    d: tuple[int, int],
) -> None:
    """Refuse a geometry whose canvas or phase count exceeds the limits above, naming the argument."""
    if s[0] * s[1] > _MAX_PHASES:
        raise ValueError(
            f"stride={s} gives s_h * s_w = {s[0] * s[1]} output phases, more than the {_MAX_PHASES} allowed "
            "(each phase is one convolution)"
        )
    n, c_in, h, w = input_shape
    terms = [  # per dimension: what each argument adds to the canvas
        {"input size": (size - 1) * si, "dilation": di * (ki - 1), "output_padding": ai, "stride": si}
        for size, si, ki, ai, di in zip((h, w), s, kernel, a, d)
    ]
    extent = [max(t["input size"] + t["dilation"] + 1 + t["output_padding"], t["stride"]) for t in terms]
    nbytes = n * max(c_in, c_out) * extent[0] * extent[1] * itemsize
    if nbytes > _MAX_BYTES:
        worst = max(((v, k) for t in terms for k, v in t.items()), key=lambda kv: kv[0])[1]
        culprit = {
            "input size": f"the input size {(h, w)} with stride={s}",
            "stride": f"stride={s}",
            "dilation": f"dilation={d}",
            "output_padding": f"output_padding={a}",
        }[worst]
        raise ValueError(
            f"{culprit} makes a canvas of {extent[0]} x {extent[1]} pixels for {n} x {max(c_in, c_out)} "
            f"channels ({nbytes / 2**30:.3g} GiB) before padding={p} is cropped; the limit is "
            f"{_MAX_BYTES // 2**30} GiB (stride={s}, padding={p}, output_padding={a}, dilation={d})"
        )


def _check_inputs(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    stride: Size2,
    padding: Size2,
    output_padding: Size2,
    groups: int,
    dilation: Size2,
) -> tuple[torch.Tensor, bool, tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int], tuple]:
    """Validate the arguments of a transposed convolution.

    Returns the input with a batch axis, whether it came without one (the output must then drop it),
    stride, padding, output_padding and dilation as pairs, and the output size (H_out, W_out) from
    ``conv_arith.conv_transpose_output_size``, which raises ValueError for an output padding not smaller
    than the stride or the dilation and for an output smaller than 1; then refuses a geometry beyond the
    memory and phase limits (``_check_budget``).
    """
    # any floating dtype, float16 and bfloat16 included, as F.conv_transpose2d
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
    if input.dim() not in (3, 4):
        raise ValueError(
            f"input must be 3-D (C_in, H, W) or 4-D (N, C_in, H, W), got shape {tuple(input.shape)}"
        )
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"weight must be a torch.Tensor, got {type(weight).__name__}")
    if weight.dim() != 4:
        raise ValueError(
            f"weight must be 4-D (in_channels, out_channels // groups, kH, kW), got shape {tuple(weight.shape)}"
        )
    if bias is not None and not isinstance(bias, torch.Tensor):
        raise TypeError(f"bias must be a torch.Tensor or None, got {type(bias).__name__}")
    check_tensor("input", input, dtype="floating")
    check_tensor("weight", weight, dtype="floating")
    check_tensor("bias", bias, dtype="floating", allow_none=True)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.device != input.device:  # a meta weight would give uninitialised memory
            raise ValueError(
                f"{name} is on {t.device} but input is on {input.device}: {name} ({t.dtype}, {t.device}) must "
                f"have the dtype and device of input ({input.dtype}, {input.device})"
            )
        if t is not None and t.dtype != input.dtype:
            raise TypeError(
                f"{name} ({t.dtype}, {t.device}) must have the dtype and device of input "
                f"({input.dtype}, {input.device})"
            )
    if not is_int(groups):
        raise TypeError(f"groups={describe(groups)} must be a positive int, not {type(groups).__name__}")
    if groups < 1:
        raise ValueError(f"groups={groups!r} must be a positive int")
    unbatched = input.dim() == 3
    if unbatched:
        input = input.unsqueeze(0)  # (1, C_in, H, W)
    c_in = weight.shape[0]
    if input.shape[1] != c_in:
        raise ValueError(
            f"input has {input.shape[1]} channels (shape {tuple(input.shape)}) but weight has "
            f"in_channels={c_in} (weight.shape[0], weight shape {tuple(weight.shape)})"
        )
    if c_in % groups != 0:
        raise ValueError(f"in_channels={c_in} (weight.shape[0]) must be divisible by groups={groups}")
    if min(weight.shape[2:]) < 1 or min(input.shape[2:]) < 1:
        raise ValueError(
            f"input spatial size {tuple(input.shape[2:])} and kernel size {tuple(weight.shape[2:])} "
            "must be at least 1"
        )
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(
            f"bias must have shape (out_channels,) = ({c_out},) (weight.shape[1] * groups), "
            f"got {tuple(bias.shape)}"
        )
    s = _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    a = _pair(output_padding, "output_padding", 0)
    d = _pair(dilation, "dilation", 1)
    out_size = conv_transpose_output_size(tuple(input.shape[2:]), tuple(weight.shape[2:]), s, p, a, d)
    _check_budget(tuple(input.shape), c_out, tuple(weight.shape[2:]), input.element_size(), s, p, a, d)
    return input, unbatched, s, p, a, d, out_size

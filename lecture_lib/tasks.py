"""Synthetic sequence tasks that need a long memory: the adding problem.

Taught in: chapters "Initialisation" (the IRNN / np-RNN comparison) and "Training recurrent networks: a
comparison".
"""

from __future__ import annotations

import torch

from ._validate import check_bytes_budget, check_device

__all__ = ["adding_problem", "ADDING_BASELINE_MSE"]

#: The MSE of always predicting 1 on the adding problem, Var(U1 + U2) = 2 * (1/12) = 1/6 = 0.16667.
#: (Le, Jaitly & Hinton 2015 print 0.1767 for this baseline; a Monte Carlo over many sequences gives
#: 0.1667, see tests/test_tasks.py, so the paper's number is about 6% too high.)
ADDING_BASELINE_MSE = 1.0 / 6.0


def adding_problem(
    batch_size: int,
    length: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of the adding problem (Hochreiter & Schmidhuber 1997; the version of Le et al. 2015).

    Shapes: returns x (N, T, 2) and y (N, 1) with N = ``batch_size`` and T = ``length`` (batch first, as
    a DataLoader gives; ``x.transpose(0, 1)`` is the (T, N, 2) layout of ``lecture_lib.rnn``).
    Channel 0 holds values drawn from U[0, 1); channel 1 is a marker that is 1 at exactly two steps, one
    in the first half (steps 0..T//2 - 1) and one in the second half (steps T//2..T-1), and 0 elsewhere.
    The target is the sum of the two marked values: y = sum_t x[:, t, 0] * x[:, t, 1].

    Baseline: y has mean 1 and variance 2/12 = 1/6, so predicting 1 always gives MSE 1/6 = 0.1667
    (``ADDING_BASELINE_MSE``); a network has learnt something only below it. The IRNN paper prints 0.1767,
    which does not match this value.

    Randomness: values, then first-marker positions, then second-marker positions are drawn from
    ``generator`` (torch's global generator when None), on ``device`` (torch's default device when None;
    a generator must live on the same device). ``dtype`` defaults to torch's default dtype.

    Taught in: chapters "Initialisation" and "Training recurrent networks: a comparison".
    """
    for name, value, low in (("batch_size", batch_size, 1), ("length", length, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name}={value!r} must be an integer >= {low}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    if device is None:
        device = torch.empty(0).device
    else:
        if not isinstance(device, (str, torch.device)):
            raise TypeError(f"device={device!r} must be a str or torch.device, not {type(device).__name__}")
        try:
            parsed = torch.device(device)
        except (RuntimeError, TypeError) as err:
            raise ValueError(f"device={device!r} is not a torch device ({err})") from None
        check_device("device", device)  # "cuda" without CUDA, "mps" without MPS
        device = parsed
    if generator is not None and generator.device.type != device.type:
        raise ValueError(
            f"generator lives on {generator.device} but device={device}; pass a generator created with "
            f"torch.Generator(device={str(device)!r}) or the generator's device"
        )
    dtype = torch.get_default_dtype() if dtype is None else dtype
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype={dtype!r} must be a torch.dtype (e.g. torch.float64) or None")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype={dtype} must be a floating-point dtype")
    # values, markers and x (N, T) of dtype, the first and second positions (N,) of int64: before allocating
    check_bytes_budget(
        f"adding_problem(batch_size={batch_size}, length={length})",
        batch_size * length * 4 * dtype.itemsize + batch_size * 3 * 8,
    )

    half = length // 2
    values = torch.rand(batch_size, length, generator=generator, device=device, dtype=dtype)  # (N, T)
    first = torch.randint(0, half, (batch_size,), generator=generator, device=device)  # (N,)
    second = torch.randint(half, length, (batch_size,), generator=generator, device=device)  # (N,)
    markers = torch.zeros(batch_size, length, device=device, dtype=dtype)  # (N, T)
    rows = torch.arange(batch_size, device=device)
    markers[rows, first] = 1
    markers[rows, second] = 1
    x = torch.stack([values, markers], dim=2)  # (N, T, 2)
    y = (values[rows, first] + values[rows, second]).unsqueeze(1)  # (N, 1)
    return x, y

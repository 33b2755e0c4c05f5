"""Timing helpers shared by the benchmark scripts: interleaved, warmed-up, median of repeats."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch

__all__ = ["synchronize", "time_pair"]


def synchronize(device: torch.device | str) -> None:
    """Wait for queued GPU work so wall-clock times are honest (no-op on the CPU)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_pair(
    ours: Callable[[], object],
    reference: Callable[[], object],
    device: torch.device | str = "cpu",
    repeat: int = 20,
    warmup: int = 3,
) -> tuple[float, float]:
    """Median seconds per call of ``ours`` and ``reference``, measured alternately in the same run.

    Alternating the two calls exposes both to the same machine state (turbo, caches, other load),
    so their ratio is meaningful even on a shared 2-core machine.
    """
    for _ in range(warmup):
        ours()
        reference()
    synchronize(device)
    t_ours, t_ref = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        ours()
        synchronize(device)
        t1 = time.perf_counter()
        reference()
        synchronize(device)
        t2 = time.perf_counter()
        t_ours.append(t1 - t0)
        t_ref.append(t2 - t1)
    return statistics.median(t_ours), statistics.median(t_ref)

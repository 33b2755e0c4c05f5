"""Device selection and seeding: the two calls every chapter starts with.

Taught in: every chapter's first cell (see the introduction, "Running the chapters").
"""

from __future__ import annotations

import numbers
import os
import random

import numpy as np
import torch

__all__ = ["get_device", "seed_everything"]

_KNOWN_DEVICES = ("cpu", "cuda", "mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device(prefer: str | None = None) -> torch.device:
    """Return the device the course should compute on.

    With ``prefer=None`` the best available device is chosen: CUDA, then Apple MPS, then the CPU.
    ``prefer="cpu" | "cuda" | "mps"`` forces one; asking for a device that is not available (or an
    unknown name) raises ``ValueError`` rather than silently falling back.

    The environment variable ``LECTURE_LIB_DEVICE`` plays the role of ``prefer`` when ``prefer`` is None;
    ``make notebooks`` sets it to ``cpu`` so the committed outputs are the CPU ones.

    Example:
        >>> get_device("cpu")
        device(type='cpu')
    """
    source = "prefer"
    if prefer is None:
        prefer = os.environ.get("LECTURE_LIB_DEVICE") or None
        source = "LECTURE_LIB_DEVICE"
    if prefer is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if not isinstance(prefer, str) or prefer not in _KNOWN_DEVICES:
        raise ValueError(
            f"{source}={prefer!r} is not a known device; expected one of {_KNOWN_DEVICES} or None"
        )
    if prefer == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"{source}='cuda' but CUDA is not available on this machine (torch.cuda.is_available() is False)"
        )
    if prefer == "mps" and not _mps_available():
        raise ValueError(f"{source}='mps' but Apple MPS is not available on this machine")
    return torch.device(prefer)


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (CPU and every GPU).

    Args:
        seed: a non-negative integer below 2**32.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise ValueError(f"seed={seed!r} must be an integer in [0, 2**32)")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device

"""Shared fixtures: the devices every device-agnostic test runs on."""

from __future__ import annotations

import pytest
import torch


def _available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


@pytest.fixture(params=_available_devices())
def device(request) -> torch.device:
    """cpu always; cuda and mps too when the machine has them."""
    return torch.device(request.param)


# Hypothesis: no per-example deadline (the first call into a torch kernel can be slow on a loaded machine);
# a modest example count keeps the whole suite inside CI's budget on 2 cores.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "course", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("course")

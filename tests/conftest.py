"""Shared fixtures: the devices every device-agnostic test runs on, and a check every explorer shares."""

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


def _check_int_slider_refusals(make_explorer, name: str) -> None:
    """An integer starting value one step outside its slider's range, at either end, is refused by name."""
    control = make_explorer().controls[name]
    for value in (control.min - 1, control.max + 1):
        expected = rf"{name}={value} must be an integer between {control.min} and {control.max} \(the slider's range\)"
        with pytest.raises(ValueError, match=expected):
            make_explorer(**{name: value})  # ipywidgets alone would clamp it


@pytest.fixture
def refuses_off_slider():
    """``refuses_off_slider(make_explorer, name)``: the starting-value check of an integer slider."""
    return _check_int_slider_refusals


# Hypothesis: no per-example deadline (the first call into a torch kernel can be slow on a loaded machine);
# a modest example count keeps the whole suite inside CI's budget on 2 cores.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "course", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("course")

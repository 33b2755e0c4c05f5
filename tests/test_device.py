"""lecture_lib.device: device choice, its errors, and reproducible seeding."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import lecture_lib
from lecture_lib import get_device, seed_everything


def test_top_level_exports():
    assert lecture_lib.__version__.count(".") == 2
    assert {"get_device", "seed_everything", "__version__"} <= set(lecture_lib.__all__)


def test_default_is_best_available(monkeypatch):
    monkeypatch.delenv("LECTURE_LIB_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert get_device() == torch.device(expected)


def test_cpu_is_always_available():
    assert get_device("cpu") == torch.device("cpu")


def test_environment_variable_forces_a_device(monkeypatch):
    monkeypatch.setenv("LECTURE_LIB_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("LECTURE_LIB_DEVICE", "tpu")
    with pytest.raises(ValueError, match="LECTURE_LIB_DEVICE='tpu' is not a known device"):
        get_device()  # the message names where the value came from: no prefer was passed


def test_unknown_device_is_refused():
    with pytest.raises(ValueError, match=r"prefer='gpu' is not a known device.*'cpu', 'cuda', 'mps'"):
        get_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA, so asking for it cannot fail")
def test_unavailable_cuda_is_refused_not_replaced():
    with pytest.raises(ValueError, match="prefer='cuda' but CUDA is not available"):
        get_device("cuda")


@pytest.mark.skipif(
    torch.backends.mps.is_available(), reason="this machine has MPS, so asking for it cannot fail"
)
def test_unavailable_mps_is_refused_not_replaced():
    with pytest.raises(ValueError, match="prefer='mps' but Apple MPS is not available"):
        get_device("mps")


def test_seed_everything_makes_all_three_generators_repeat():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first
    seed_everything(124)
    assert draw() != first


def test_seed_everything_accepts_numpy_integers():
    seed_everything(np.int64(7))
    first = float(torch.rand(()))
    seed_everything(7)
    assert float(torch.rand(())) == first


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True, np.int64(-3)])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed="):
        seed_everything(bad)

"""Tests of lecture_lib.noise: statistics of each corruption (tolerances from the sample size), clipping,
exact counts, reproducibility, device and dtype, errors."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_lib.noise import NOISE_KINDS, add_noise

Z = 5.0  # tolerance in standard errors: a seeded test; a correct implementation fails with p < 1e-6


def _phi(z: float) -> float:
    """Standard normal CDF."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _interior(shape, seed=0, dtype=torch.float64, device="cpu"):
    """Values in [0.1, 0.9]: never exactly 0 or 1, so corrupted entries can be recognised."""
    g = torch.Generator().manual_seed(seed)
    return (0.1 + 0.8 * torch.rand(shape, generator=g, dtype=dtype)).to(device)


# ------------------------------------------------------------------------------------------ Gaussian


def test_gaussian_mean_and_variance():
    x = torch.full((64, 1, 28, 28), 0.5, dtype=torch.float64)
    n, sigma = x.numel(), 0.1
    g = torch.Generator().manual_seed(1)
    d = add_noise(x, sigma, "gaussian", generator=g) - 0.5
    # clipping at 0.5 / 0.1 = 5 standard deviations touches a fraction 5.7e-7 of the pixels: negligible
    assert abs(float(d.mean())) < Z * sigma / math.sqrt(n)
    # the sample variance has standard error sqrt(2 / (n - 1)) * sigma^2 for normal data
    assert abs(float(d.var()) - sigma**2) < Z * math.sqrt(2.0 / (n - 1)) * sigma**2


def test_gaussian_is_clipped_to_unit_interval():
    x = torch.full((64, 1, 28, 28), 0.5, dtype=torch.float64)
    n, sigma = x.numel(), 1.0
    y = add_noise(x, sigma, "gaussian", generator=torch.Generator().manual_seed(2))
    assert float(y.min()) == 0.0 and float(y.max()) == 1.0
    # P(0.5 + Z < 0) = P(0.5 + Z > 1) = Phi(-0.5): those pixels are exactly 0 resp. 1 after clipping
    p = _phi(-0.5 / sigma)
    tol = Z * math.sqrt(p * (1 - p) / n)
    assert abs(float((y == 0).double().mean()) - p) < tol
    assert abs(float((y == 1).double().mean()) - p) < tol


def test_gaussian_equals_the_lectures_formula():
    x = _interior((8, 1, 28, 28))
    y = add_noise(x, 0.3, generator=torch.Generator().manual_seed(3))
    eps = torch.randn(x.shape, generator=torch.Generator().manual_seed(3), dtype=x.dtype)
    torch.testing.assert_close(y, torch.clip(x + 0.3 * eps, 0.0, 1.0), rtol=0, atol=1e-15)


def test_zero_noise_leaves_x_unchanged():
    x = _interior((4, 1, 6, 6))
    for kind in NOISE_KINDS:
        assert torch.equal(add_noise(x, 0.0, kind), x)


# ------------------------------------------------------------------------------ masking, salt-pepper


@pytest.mark.parametrize(
    "d, nu, k",
    [(10, 0.25, 3), (10, 0.05, 1), (10, 0.04, 0), (784, 0.3, 235), (784, 1.0, 784), (7, 0.5, 4)],
)
@pytest.mark.parametrize("kind", ["masking", "salt_pepper"])
def test_exact_count_per_example(d, nu, k, kind):
    # k = round(nu * d), halves rounded up: 2.5 -> 3, 0.5 -> 1, 0.4 -> 0, 235.2 -> 235, 3.5 -> 4
    x = _interior((50, d))
    y = add_noise(x, nu, kind, generator=torch.Generator().manual_seed(4))
    changed = y != x
    assert changed.sum(dim=1).tolist() == [k] * 50
    assert torch.all((y[changed] == 0) | (y[changed] == 1))
    if kind == "masking":
        assert torch.all(y[changed] == 0)


def test_masking_positions_are_uniform():
    n, d, nu = 4000, 49, 0.3
    x = _interior((n, 1, 7, 7))
    y = add_noise(x, nu, "masking", generator=torch.Generator().manual_seed(5))
    p = round(nu * d) / d  # 15 / 49
    freq = (y == 0).double().mean(dim=0).flatten()  # (49,) per-position masking frequency
    # each position: Binomial(n, p) / n; a 5-sigma bound for each of 49 positions
    assert float((freq - p).abs().max()) < Z * math.sqrt(p * (1 - p) / n)
    # and the draws differ between examples
    assert not torch.equal(y[0] == 0, y[1] == 0)


def test_salt_pepper_is_a_fair_coin():
    n, nu = 200, 0.4
    x = _interior((n, 1, 28, 28))
    y = add_noise(x, nu, "salt_pepper", generator=torch.Generator().manual_seed(6))
    changed = y != x
    total = int(changed.sum())
    assert total == n * round(nu * 784)
    share_of_ones = float((y[changed] == 1).double().mean())
    assert abs(share_of_ones - 0.5) < Z * math.sqrt(0.25 / total)


@settings(max_examples=30)
@given(
    n=st.integers(1, 5),
    shape=st.lists(st.integers(1, 6), min_size=0, max_size=3),
    nu=st.floats(0.0, 1.0),
    kind=st.sampled_from(["masking", "salt_pepper"]),
    seed=st.integers(0, 2**31),
)
def test_count_property(n, shape, nu, kind, seed):
    x = _interior((n, *shape), seed=seed)
    d = x[0].numel()
    y = add_noise(x, nu, kind, generator=torch.Generator().manual_seed(seed))
    assert y.shape == x.shape
    per_example = (y != x).reshape(n, -1).sum(dim=1)
    assert per_example.tolist() == [math.floor(nu * d + 0.5)] * n


# ----------------------------------------------------------------------------- reproducibility, devices


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_reproducible_with_a_generator_and_with_the_global_seed(kind):
    x = _interior((4, 1, 28, 28))
    a = add_noise(x, 0.3, kind, generator=torch.Generator().manual_seed(7))
    b = add_noise(x, 0.3, kind, generator=torch.Generator().manual_seed(7))
    c = add_noise(x, 0.3, kind, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    torch.manual_seed(9)
    d = add_noise(x, 0.3, kind)
    torch.manual_seed(9)
    assert torch.equal(d, add_noise(x, 0.3, kind))


@pytest.mark.parametrize("kind", NOISE_KINDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_device_and_dtype_follow_x(kind, dtype, device):
    x = _interior((3, 1, 5, 5), dtype=dtype, device=device)
    x_before = x.clone()
    g = torch.Generator(device=device).manual_seed(0)
    y = add_noise(x, 0.5, kind, generator=g)
    assert y.device.type == device.type and y.dtype == dtype and y.shape == x.shape
    assert torch.equal(x, x_before)  # not modified in place
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    if device.type != "cpu":
        with pytest.raises(ValueError, match="generator is on device"):
            add_noise(x, 0.5, kind, generator=torch.Generator())


# ---------------------------------------------------------------------------------------------- errors


def test_errors():
    x = _interior((2, 3))
    with pytest.raises(ValueError, match=r"noise_factor=-0\.1"):
        add_noise(x, -0.1, "gaussian")
    with pytest.raises(ValueError, match="noise_factor=inf"):
        add_noise(x, float("inf"), "gaussian")
    with pytest.raises(ValueError, match=r"noise_factor=1\.5 must lie in \[0, 1\]"):
        add_noise(x, 1.5, "masking")
    with pytest.raises(ValueError, match="noise_factor=nan"):
        add_noise(x, float("nan"), "salt_pepper")
    with pytest.raises(ValueError, match=r"noise_factor=-0\.2"):
        add_noise(x, -0.2, "salt_pepper")
    with pytest.raises(TypeError, match="noise_factor=True"):
        add_noise(x, True)
    with pytest.raises(ValueError, match="kind='uniform' must be one of"):
        add_noise(x, 0.1, "uniform")
    with pytest.raises(TypeError, match="floating dtype"):
        add_noise(torch.zeros(2, 3, dtype=torch.int64), 0.1)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        add_noise([0.5, 0.5], 0.1)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        add_noise(x, 0.1, generator=0)
    with pytest.raises(ValueError, match="batch dimension"):
        add_noise(torch.tensor(0.5), 0.1, "masking")
    for kind in NOISE_KINDS:  # inputs outside [0, 1] are refused, not clipped
        with pytest.raises(
            ValueError, match=r"x has values in \[-2, 3\]; add_noise expects values in \[0, 1\]"
        ):
            add_noise(torch.tensor([[3.0, -2.0]]), 0.0, kind)
    with pytest.raises(ValueError, match=r"x has values in \[nan"):
        add_noise(torch.tensor([[float("nan"), 0.5]]), 0.1)
    # Gaussian noise accepts any standard deviation >= 0, also above 1
    assert add_noise(x, 3.0).shape == x.shape


@pytest.mark.parametrize("kind", NOISE_KINDS)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_supported(kind, dtype):
    # deliberately supported (images are often stored in half precision): same dtype out, values in [0, 1]
    x = _interior((3, 1, 4, 4)).to(dtype)
    y = add_noise(x, 0.3, kind, generator=torch.Generator().manual_seed(0))
    assert y.dtype == dtype and y.shape == x.shape
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.complex128])
def test_non_floating_x_is_refused(dtype):
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        add_noise(torch.zeros(2, 3, dtype=dtype), 0.1)

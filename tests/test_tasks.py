"""lecture_lib.tasks: the adding problem (layout, target, the 1/6 baseline) and the pixel-by-pixel digits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lecture_lib.datasets.digits import digits_split_indices, load_digits_28
from lecture_lib.tasks import ADDING_BASELINE_MSE, adding_problem, pixel_digits


def _gen(seed: int, device="cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


@given(batch_size=st.integers(1, 20), length=st.integers(2, 40), seed=st.integers(0, 10_000))
def test_layout_and_target(batch_size, length, seed):
    x, y = adding_problem(batch_size, length, generator=_gen(seed))
    assert x.shape == (batch_size, length, 2) and y.shape == (batch_size, 1)
    values, markers = x[..., 0], x[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert ((markers == 0) | (markers == 1)).all()
    half = length // 2
    assert (markers[:, :half].sum(1) == 1).all()  # one marker in the first half
    assert (markers[:, half:].sum(1) == 1).all()  # and one in the second
    marked = [values[i][markers[i] == 1] for i in range(batch_size)]
    torch.testing.assert_close(y[:, 0], torch.stack([m.sum() for m in marked]))


def test_device_dtype_and_reproducibility(device):
    x, y = adding_problem(4, 10, generator=_gen(0, device), device=device, dtype=torch.float64)
    assert x.device.type == device.type and y.device.type == device.type
    assert x.dtype == y.dtype == torch.float64
    x2, y2 = adding_problem(4, 10, generator=_gen(0, device), device=device, dtype=torch.float64)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    x3, _ = adding_problem(4, 10, generator=_gen(1, device), device=device, dtype=torch.float64)
    assert not torch.equal(x, x3)
    assert adding_problem(2, 3)[0].dtype == torch.get_default_dtype()


def test_every_marker_position_is_used():
    T = 10
    x, _ = adding_problem(2000, T, generator=_gen(2))
    positions = x[..., 1].nonzero()[:, 1]
    counts = torch.bincount(positions, minlength=T)
    # 2000 markers per half over 5 positions: each expects 400; missing one would be a bug, not chance
    assert (counts > 300).all() and counts.sum() == 4000


def test_constant_predictor_gives_one_sixth():
    """Predicting 1 gives MSE = E[(U1 + U2 - 1)^2] = Var(U1 + U2) = 2/12 = 1/6 = 0.16667.

    S = U1 + U2 - 1 has the triangular density 1 - |s| on [-1, 1]: E S^2 = 1/6 and E S^4 = 1/15, so a
    Monte Carlo mean of S^2 over n sequences has standard deviation sqrt((1/15 - 1/36) / n) = sqrt(7/180 / n).
    With n = 400000 that is 3.1e-4: the estimate must lie within 6 of them of 1/6, while the 0.1767 printed
    in the IRNN paper lies about 32 of them away, so it is not the MSE of this baseline.
    """
    assert ADDING_BASELINE_MSE == pytest.approx(1 / 6, rel=1e-15)
    n = 400_000
    _, y = adding_problem(n, 4, generator=_gen(3), dtype=torch.float64)
    mse = float(((y - 1) ** 2).mean())
    sd = math.sqrt(7 / 180 / n)
    assert abs(mse - 1 / 6) < 6 * sd
    # The paper's 0.1767 lies (0.1767 - 1/6) / sd = 32 standard deviations from 1/6, far outside the 6 allowed
    # above: the bound on mse rules it out as this baseline's MSE (a constant, so no assert of its own).
    assert abs(float(y.mean()) - 1) < 6 * math.sqrt(1 / 6 / n)


def test_errors():
    with pytest.raises(ValueError, match="length=1"):
        adding_problem(3, 1)
    with pytest.raises(ValueError, match="batch_size=0"):
        adding_problem(0, 5)
    with pytest.raises(ValueError, match="batch_size=2.0"):
        adding_problem(2.0, 5)
    with pytest.raises(ValueError, match="generator lives on cpu but device=meta"):
        adding_problem(2, 5, generator=_gen(0), device="meta")
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        adding_problem(2, 5, generator=0)
    with pytest.raises(ValueError, match="dtype=torch.int64"):
        adding_problem(2, 5, dtype=torch.int64)
    with pytest.raises(TypeError, match="dtype='float64' must be a torch.dtype"):
        adding_problem(2, 5, dtype="float64")
    with pytest.raises(ValueError, match="device='gpu' is not a torch device"):
        adding_problem(2, 5, device="gpu")


def test_device_and_size_checks_name_the_argument():
    if not torch.cuda.is_available():  # torch itself raises a bare AssertionError
        with pytest.raises(ValueError, match="device='cuda', but CUDA is not available"):
            adding_problem(2, 5, device="cuda")
    with pytest.raises(TypeError, match=r"device=3\.5 must be a str or torch.device"):
        adding_problem(2, 5, device=3.5)
    # refused before allocating: 2**40 sequences would need terabytes
    with pytest.raises(ValueError, match=r"adding_problem\(batch_size=1099511627776, length=5\) would need"):
        adding_problem(2**40, 5)
    with pytest.raises(ValueError, match=r"length=1099511627776\) would need"):
        adding_problem(2, 2**40)


# ------------------------------------------------------------------------------------------- pixel digits


def test_pixel_digits_shapes_values_and_splits():
    sizes = {"train": 1259, "val": 269, "test": 269, "all": 1797}
    for split, n in sizes.items():
        x, labels = pixel_digits(split)
        assert x.shape == (n, 64, 1) and x.dtype == torch.get_default_dtype()
        assert labels.shape == (n,) and labels.dtype == torch.int64
        assert 0 <= x.min() and x.max() <= 1 and x.max() == 1
        assert set(labels.tolist()) == set(range(10))
    # grey levels v / 16 for v = 0..16, exactly in float64
    x, _ = pixel_digits("all", dtype=torch.float64)
    assert torch.equal(x * 16, (x * 16).round())
    # the three splits are the fixed ones of the datasets module: disjoint, and together all 1,797 images
    indices = digits_split_indices()
    assert (
        sum(len(i) for i in indices.values()) == 1797
        and len(np.unique(np.concatenate(list(indices.values())))) == 1797
    )
    x_all, y_all = pixel_digits("all")
    for split in ("train", "val", "test"):
        x, labels = pixel_digits(split)
        index = torch.from_numpy(indices[split])
        assert torch.equal(x, x_all[index]) and torch.equal(labels, y_all[index])


def test_pixel_digits_reading_orders():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.from_numpy(bunch.images / 16.0)  # (1797, 8, 8)
    x, labels = pixel_digits("all", dtype=torch.float64)
    assert torch.equal(labels, torch.from_numpy(bunch.target).long())
    for t in (0, 7, 8, 63):  # step t reads row t // 8, column t % 8
        assert torch.equal(x[:, t, 0], images[:, t // 8, t % 8])
    rows, _ = pixel_digits("all", "row", dtype=torch.float64)
    assert rows.shape == (1797, 8, 8) and torch.equal(rows, images)
    # 28 x 28: the autoencoder chapter's resized digits, read pixel by pixel or row by row
    big, _ = pixel_digits("test", size=28, dtype=torch.float64)
    ref, _ = load_digits_28("test", dtype=torch.float64)
    assert big.shape == (269, 784, 1) and torch.equal(big[:, :, 0], ref.reshape(269, 784))
    big_rows, _ = pixel_digits("test", "row", size=28, dtype=torch.float64)
    assert big_rows.shape == (269, 28, 28) and torch.equal(big_rows, ref[:, 0])


@pytest.mark.parametrize("size", [8, 28])
def test_pixel_digits_permutation_is_one_fixed_order_for_every_image(size):
    x, labels = pixel_digits("val", size=size, dtype=torch.float64)
    xp, labels_p = pixel_digits("val", "permuted", size=size, dtype=torch.float64)
    assert torch.equal(labels, labels_p)
    perm = torch.randperm(size * size, generator=torch.Generator().manual_seed(0))  # the documented recipe
    assert torch.equal(xp, x[:, perm])
    assert not torch.equal(perm, torch.arange(size * size))
    # one permutation for all: each image's permuted pixels are its own pixels, with the same multiset
    assert torch.equal(xp.sort(1).values, x.sort(1).values)
    # the same seed gives the same order in every split and call; another seed another order
    train, _ = pixel_digits("train", size=size, dtype=torch.float64)
    train_p, _ = pixel_digits("train", "permuted", size=size, dtype=torch.float64)
    assert torch.equal(train_p, train[:, perm])
    other, _ = pixel_digits("val", "permuted", size=size, permutation_seed=1, dtype=torch.float64)
    assert not torch.equal(other, xp)


def test_pixel_digits_device_dtype_and_copies(device):
    x, labels = pixel_digits("test", device=device, dtype=torch.float64)
    assert x.device.type == device.type and labels.device.type == device.type
    assert x.dtype == torch.float64 and labels.dtype == torch.int64
    x[:] = -1  # the caller owns its tensors: a new call is unaffected
    assert pixel_digits("test")[0].min() == 0
    meta_x, meta_y = pixel_digits("val", device="meta")
    assert meta_x.shape == (269, 64, 1) and meta_x.device.type == "meta" and meta_y.device.type == "meta"


def test_pixel_digits_errors_name_the_argument():
    with pytest.raises(ValueError, match="split='validation'"):
        pixel_digits("validation")
    with pytest.raises(ValueError, match="order='column'"):
        pixel_digits(order="column")
    with pytest.raises(ValueError, match="size=16"):
        pixel_digits(size=16)
    with pytest.raises(ValueError, match="size=True"):
        pixel_digits(size=True)
    with pytest.raises(ValueError, match="permutation_seed=-1"):
        pixel_digits(order="permuted", permutation_seed=-1)
    with pytest.raises(TypeError, match="permutation_seed=0.5"):
        pixel_digits(order="permuted", permutation_seed=0.5)
    with pytest.raises(TypeError, match="dtype=torch.int64"):
        pixel_digits(dtype=torch.int64)
    with pytest.raises(TypeError, match="dtype='float32'"):
        pixel_digits(dtype="float32")
    with pytest.raises(ValueError, match="device='gpu'"):
        pixel_digits(device="gpu")
    with pytest.raises(TypeError, match="device=0.5"):
        pixel_digits(device=0.5)

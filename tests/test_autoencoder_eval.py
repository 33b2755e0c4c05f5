"""Tests of lecture_lib.autoencoder_eval against scikit-learn and by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from torch import nn

from lecture_lib.autoencoder_eval import (
    PCAAutoencoder,
    bootstrap_auc,
    decode_grid,
    interpolate_codes,
    nearest_codes,
    reconstruction_error,
    roc_auc,
)
from lecture_lib.models import ConvAutoencoder, DenseAutoencoder


def _low_rank_images(n: int = 60, rank: int = 5, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    basis = torch.randn(rank, 2 * 3 * 4, generator=gen, dtype=torch.float64)
    coefficients = torch.randn(n, rank, generator=gen, dtype=torch.float64)
    return (coefficients @ basis + 0.5).view(n, 2, 3, 4)  # (n, 2, 3, 4), an affine subspace of dimension rank


# ------------------------------------------------------------------------------------------------ PCA


def test_pca_autoencoder_matches_sklearn_transform_and_inverse():
    x = torch.randn(50, 1, 4, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    model = PCAAutoencoder.fit(x, 3)
    reference = PCA(3, svd_solver="full").fit(x.flatten(1).numpy())
    codes = model.encode(x)
    assert codes.shape == (50, 3) and model.latent_dim == 3
    np.testing.assert_allclose(codes.numpy(), reference.transform(x.flatten(1).numpy()), atol=1e-10)
    recon = model(x)
    assert recon.shape == x.shape and recon.dtype == torch.float64
    np.testing.assert_allclose(
        recon.flatten(1).numpy(),
        reference.inverse_transform(reference.transform(x.flatten(1).numpy())),
        atol=1e-10,
    )


def test_pca_is_exact_on_the_data_subspace_and_rows_are_orthonormal():
    x = _low_rank_images(rank=5)
    model = PCAAutoencoder.fit(x, 5)
    assert torch.allclose(model(x), x, atol=1e-10)  # 5 directions reproduce a rank-5 affine subspace
    v = model.components
    assert torch.allclose(v @ v.T, torch.eye(5, dtype=torch.float64), atol=1e-12)
    fewer = reconstruction_error(PCAAutoencoder.fit(x, 4), x).mean()
    assert fewer > 1e-6  # one direction fewer loses something


def test_pca_error_is_the_variance_left_over():
    x = torch.randn(40, 1, 3, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    flat = x.flatten(1)
    eigenvalues = torch.linalg.eigvalsh(torch.cov(flat.T, correction=0)).flip(0)  # decreasing
    for d in (1, 4, 8):
        error = reconstruction_error(PCAAutoencoder.fit(x, d), x).mean().item() * flat.shape[1]
        assert math.isclose(error, eigenvalues[d:].sum().item(), rel_tol=1e-9, abs_tol=1e-12)


def test_pca_autoencoder_follows_dtype_and_refuses_bad_input():
    x = torch.rand(20, 1, 2, 2)
    model = PCAAutoencoder.fit(x, 2)
    assert model.components.dtype == torch.float32 and model(x).dtype == torch.float32
    with pytest.raises(ValueError, match="n_components"):
        PCAAutoencoder.fit(x, 5)  # more than D = 4
    with pytest.raises(TypeError, match="n_components"):
        PCAAutoencoder.fit(x, 2.0)
    with pytest.raises(ValueError, match="NaN"):
        PCAAutoencoder.fit(torch.full((4, 1, 2, 2), math.nan), 1)
    with pytest.raises(ValueError, match="N >= 2"):
        PCAAutoencoder.fit(x[:1], 1)
    with pytest.raises(ValueError, match="x must have shape"):
        model.encode(torch.rand(3, 4))
    with pytest.raises(ValueError, match="z must have shape"):
        model.decode(torch.rand(3, 3))
    with pytest.raises(ValueError, match="image_shape"):
        PCAAutoencoder(torch.rand(2, 4), torch.rand(4), (2, 3))


# ------------------------------------------------------------------------------ reconstruction error


def test_reconstruction_error_is_per_image_mse_and_restores_mode():
    torch.manual_seed(0)
    model = ConvAutoencoder(latent_dim=3, latent_activation=False)
    model.train()
    x = torch.rand(7, 1, 28, 28)
    errors = reconstruction_error(model, x, batch_size=3)
    assert errors.shape == (7,) and model.training
    model.eval()
    with torch.no_grad():
        expected = nn.functional.mse_loss(model(x), x, reduction="none").flatten(1).mean(dim=1)
    assert torch.allclose(errors, expected, atol=1e-7)
    assert math.isclose(errors.mean().item(), nn.MSELoss()(model(x), x).item(), rel_tol=1e-5)


def test_reconstruction_error_refuses_bad_input():
    model = DenseAutoencoder(2, hidden=4)
    with pytest.raises(TypeError, match="model"):
        reconstruction_error(lambda x: x, torch.rand(2, 1, 28, 28))
    with pytest.raises(ValueError, match="batch_size"):
        reconstruction_error(model, torch.rand(2, 1, 28, 28), batch_size=0)
    with pytest.raises(ValueError, match="images"):
        reconstruction_error(model, torch.full((2, 1, 28, 28), math.nan))
    with pytest.raises(TypeError, match="images"):
        reconstruction_error(model, np.zeros((2, 1, 28, 28)))


# ------------------------------------------------------------------------------------------ ROC AUC


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_matches_sklearn_with_ties(seed):
    gen = torch.Generator().manual_seed(seed)
    normal = torch.randint(0, 6, (30,), generator=gen).double()  # many ties
    anomalous = torch.randint(2, 9, (11,), generator=gen).double()
    labels = np.r_[np.zeros(30), np.ones(11)]
    expected = roc_auc_score(labels, torch.cat([normal, anomalous]).numpy())
    assert math.isclose(roc_auc(normal, anomalous), expected, rel_tol=0, abs_tol=1e-12)
    assert math.isclose(bootstrap_auc(normal, anomalous, n_boot=10)[0], expected, abs_tol=1e-12)


def test_bootstrap_auc_replicates_match_sklearn_on_the_same_draws():
    gen = torch.Generator().manual_seed(3)
    normal, anomalous = torch.randn(40, generator=gen), torch.randn(9, generator=gen) + 1
    auc, low, high = bootstrap_auc(normal, anomalous, n_boot=60, level=0.9, seed=7)
    # redo the draws of bootstrap_auc with the same generator and score each one with scikit-learn
    draw = torch.Generator().manual_seed(7)
    pick_a = torch.randint(9, (60, 9), generator=draw)
    pick_n = torch.randint(40, (60, 40), generator=draw)
    replicates = [
        roc_auc_score(np.r_[np.zeros(40), np.ones(9)], torch.cat([normal[pn], anomalous[pa]]).numpy())
        for pa, pn in zip(pick_a, pick_n)
    ]
    expected_low, expected_high = np.quantile(replicates, [0.05, 0.95])
    assert math.isclose(low, expected_low, abs_tol=1e-12) and math.isclose(high, expected_high, abs_tol=1e-12)
    assert low <= auc <= high


def test_bootstrap_interval_narrows_with_more_data_and_is_reproducible():
    gen = torch.Generator().manual_seed(4)
    few = bootstrap_auc(torch.randn(30, generator=gen), torch.randn(8, generator=gen) + 1)
    many = bootstrap_auc(torch.randn(3000, generator=gen), torch.randn(800, generator=gen) + 1, n_boot=200)
    assert many[2] - many[1] < (few[2] - few[1]) / 3
    normal, anomalous = torch.arange(5.0), torch.arange(3.0) + 2
    assert bootstrap_auc(normal, anomalous, seed=1) == bootstrap_auc(normal, anomalous, seed=1)
    separated = bootstrap_auc(torch.zeros(4), torch.ones(3))
    assert separated == (1.0, 1.0, 1.0)


def test_auc_functions_refuse_bad_input():
    ok = torch.rand(5)
    with pytest.raises(ValueError, match="normal"):
        roc_auc(torch.tensor([0.1, math.nan]), ok)
    with pytest.raises(ValueError, match="anomalous"):
        roc_auc(ok, torch.rand(2, 2))
    with pytest.raises(ValueError, match="anomalous"):
        roc_auc(ok, torch.zeros(0))
    with pytest.raises(TypeError, match="normal"):
        roc_auc(torch.tensor([1 + 1j, 2j]), ok)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_auc(ok, ok, n_boot=0)
    with pytest.raises(TypeError, match="n_boot"):
        bootstrap_auc(ok, ok, n_boot=True)
    with pytest.raises(ValueError, match="level"):
        bootstrap_auc(ok, ok, level=1.0)
    with pytest.raises(ValueError, match="level"):
        bootstrap_auc(ok, ok, level=math.nan)
    with pytest.raises(TypeError, match="seed"):
        bootstrap_auc(ok, ok, seed=0.5)


# ------------------------------------------------------------------------------------- latent space


def test_interpolate_codes_endpoints_and_midpoint():
    a, b = torch.tensor([0.0, 2.0, -1.0]), torch.tensor([4.0, 0.0, 1.0])
    path = interpolate_codes(a, b, 5)
    assert path.shape == (5, 3)
    assert torch.equal(path[0], a) and torch.allclose(path[-1], b) and torch.allclose(path[2], (a + b) / 2)
    with pytest.raises(ValueError, match="steps"):
        interpolate_codes(a, b, 1)
    with pytest.raises(ValueError, match="z_end"):
        interpolate_codes(a, b[:2], 3)
    with pytest.raises(ValueError, match="z_start"):
        interpolate_codes(torch.tensor([math.inf, 0.0, 0.0]), b, 3)


def test_decode_grid_places_each_code_and_restores_mode():
    torch.manual_seed(0)
    model = DenseAutoencoder(2, hidden=8, image_shape=(1, 3, 3)).train()
    z1, z2 = torch.tensor([-1.0, 0.0, 2.0]), torch.tensor([1.0, -1.0])
    grid = decode_grid(model, z1, z2)
    assert grid.shape == (2, 3, 1, 3, 3) and model.training
    with torch.no_grad():
        assert torch.allclose(grid[1, 2], model.decode(torch.tensor([[2.0, -1.0]]))[0])
        assert torch.allclose(grid[0, 0], model.decode(torch.tensor([[-1.0, 1.0]]))[0])
    with pytest.raises(ValueError, match="latent_dim"):
        decode_grid(DenseAutoencoder(3, hidden=4), z1, z2)
    with pytest.raises(TypeError, match="model"):
        decode_grid(nn.Linear(2, 2), z1, z2)
    with pytest.raises(ValueError, match="z1"):
        decode_grid(model, torch.zeros(2, 2), z2)


def test_nearest_codes_matches_brute_force():
    gen = torch.Generator().manual_seed(5)
    codes, queries = torch.randn(50, 4, generator=gen), torch.randn(6, 4, generator=gen)
    got = nearest_codes(codes, queries, k=3)
    assert got.shape == (6, 3) and got.dtype == torch.int64
    for q, row in zip(queries, got):
        order = ((codes - q) ** 2).sum(dim=1).argsort()[:3]
        assert row.tolist() == order.tolist()
    assert nearest_codes(codes, codes[[7, 9]]).flatten().tolist() == [7, 9]
    with pytest.raises(ValueError, match="k"):
        nearest_codes(codes, queries, k=51)
    with pytest.raises(ValueError, match="queries"):
        nearest_codes(codes, torch.randn(2, 3))
    with pytest.raises(ValueError, match="codes"):
        nearest_codes(torch.full((3, 4), math.nan), queries)

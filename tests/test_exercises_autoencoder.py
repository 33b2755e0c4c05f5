"""Tests of the autoencoder exercise checker: it passes what beats PCA and refuses everything else."""

from __future__ import annotations

import math

import pytest
import torch

from lecture_lib.autoencoder_eval import PCAAutoencoder
from lecture_lib.exercises import check_autoencoder


def _data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Images on a curve (a 1-D nonlinear manifold) in [0, 1]^12, shaped (N, 1, 3, 4)."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.rand(200, 1, generator=gen) * 6
    freqs = torch.arange(1, 13, dtype=torch.float32)[None, :] / 4
    x = 0.5 + 0.4 * torch.sin(t * freqs)  # (200, 12)
    return x[:150].view(-1, 1, 3, 4), x[150:].view(-1, 1, 3, 4)


def _oracle(train: torch.Tensor, val: torch.Tensor):
    """A 1-number code that is exact on the curve: encode = the curve parameter, decode = the curve."""
    freqs = torch.arange(1, 13, dtype=torch.float32)[None, :] / 4
    grid = torch.linspace(0, 6, 6001)[:, None]
    curve = 0.5 + 0.4 * torch.sin(grid * freqs)  # (6001, 12)

    def encode(x):
        return grid[torch.cdist(x.flatten(1), curve).argmin(dim=1)]  # (N, 1)

    def decode(z):
        return (0.5 + 0.4 * torch.sin(z * freqs)).view(-1, 1, 3, 4)

    return encode, decode


def test_passes_a_code_that_beats_pca_and_fails_pca_itself():
    train, val = _data()
    encode, decode = _oracle(train, val)
    result = check_autoencoder(encode, decode, 1, train, val)
    assert result.passed and "below" in str(result)
    pca = PCAAutoencoder.fit(train, 1)
    same = check_autoencoder(pca.encode, pca.decode, 1, train, val)  # equal to the baseline: not below it
    assert not same.passed and "not 1% below" in str(same)


def test_fails_wrong_shape_complex_nonfinite_and_errors():
    train, val = _data()
    encode, decode = _oracle(train, val)
    cases = {
        "shape": (lambda x: encode(x).repeat(1, 2), decode),  # a 2-number code for latent_dim=1
        "complex": (lambda x: encode(x).to(torch.complex64), decode),
        "NaN": (encode, lambda z: decode(z) * math.nan),
        "torch.Tensor": (lambda x: encode(x).numpy(), decode),
        "raised ZeroDivisionError": (lambda x: 1 / 0, decode),
        "floating dtype": (lambda x: (encode(x) * 100).long(), decode),
    }
    for expected, (enc, dec) in cases.items():
        result = check_autoencoder(enc, dec, 1, train, val)
        assert not result.passed and expected in str(result), (expected, str(result))
    wrong_image = check_autoencoder(encode, lambda z: decode(z)[:, :, :2], 1, train, val)
    assert not wrong_image.passed and "shape" in str(wrong_image)


def test_fails_a_decoder_that_keeps_state():
    train, val = _data()
    encode, _ = _oracle(train, val)
    remembered = {}

    def cheating_encode(x):
        remembered["x"] = x.clone()  # keep the batch and give it back, whatever the code
        return encode(x)

    result = check_autoencoder(cheating_encode, lambda z: remembered["x"], 1, train, val)
    assert not result.passed and "reverse order" in str(result)


def test_refuses_bad_arguments():
    train, val = _data()
    encode, decode = _oracle(train, val)
    with pytest.raises(TypeError, match="encode"):
        check_autoencoder(None, decode, 1, train, val)
    with pytest.raises(TypeError, match="decode"):
        check_autoencoder(encode, "decode", 1, train, val)
    with pytest.raises(ValueError, match="latent_dim"):
        check_autoencoder(encode, decode, 0, train, val)
    with pytest.raises(TypeError, match="latent_dim"):
        check_autoencoder(encode, decode, 1.5, train, val)
    with pytest.raises(ValueError, match="val_images"):
        check_autoencoder(encode, decode, 1, train, val.view(-1, 12))
    with pytest.raises(ValueError, match="train_images"):
        check_autoencoder(encode, decode, 1, torch.full_like(train, math.nan), val)

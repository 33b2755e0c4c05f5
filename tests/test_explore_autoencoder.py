"""The autoencoder explorers: the latent explorer decodes the code under its sliders, the denoising explorer
corrupts with lecture_lib.noise and reports PSNRs computed by hand; both follow their controls."""

from __future__ import annotations

import base64
import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from lecture_lib.explore.autoencoder import denoising_explorer, latent_explorer, psnr
from lecture_lib.models import ConvAutoencoder
from lecture_lib.noise import add_noise


@pytest.fixture(scope="module")
def model2() -> ConvAutoencoder:
    torch.manual_seed(0)
    return ConvAutoencoder(latent_dim=2, latent_activation=False).eval()


def _shown_image(explorer, panel: int) -> np.ndarray:
    """The array drawn in panel ``panel`` of the explorer's current figure (re-drawn from its state)."""
    fig = explorer._draw(**explorer.state)
    return np.asarray(fig.axes[panel].get_images()[0].get_array())


# -------------------------------------------------------------------------------------------------- psnr
def test_psnr_by_hand():
    target = torch.zeros(2, 1, 2, 2, dtype=torch.float64)
    recon = target.clone()
    recon[0, 0, 0, 0] = 0.2  # MSE 0.04 / 4 = 0.01 -> 10 log10(100) = 20 dB
    recon[1] = 0.5  # MSE 0.25 -> 10 log10(4) = 6.0206 dB
    values = psnr(recon, target)
    assert values.shape == (2,)
    assert abs(values[0].item() - 20.0) < 1e-12
    assert abs(values[1].item() - 10 * math.log10(4)) < 1e-12
    assert abs(psnr(recon * 255, target * 255, max_value=255.0)[0].item() - 20.0) < 1e-9
    assert torch.isinf(psnr(target, target)).all()


def test_psnr_follows_the_device(device):
    a = torch.rand(3, 1, 4, 4, device=device)
    assert psnr(a, a * 0.5).device.type == device.type


def test_psnr_rejects_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        psnr(torch.zeros(2, 4), torch.zeros(2, 5))
    with pytest.raises(ValueError, match="max_value"):
        psnr(torch.zeros(2, 4), torch.ones(2, 4), max_value=0)
    with pytest.raises(TypeError, match="torch.Tensor"):
        psnr(np.zeros((2, 4)), torch.zeros(2, 4))


def test_psnr_requires_a_batch_and_a_floating_dtype():
    one = torch.rand(4)
    with pytest.raises(
        ValueError, match=r"reconstruction has shape \(4,\); expected \(N, \.\.\.\) with at least 2"
    ):
        psnr(one, one)  # used to crash in flatten(1) with an IndexError
    with pytest.raises(ValueError, match=r"target has shape \(\); expected \(N, \.\.\.\)"):
        psnr(torch.rand(1, 4), torch.tensor(0.5))
    ints = torch.zeros(2, 1, 3, 3, dtype=torch.uint8)
    with pytest.raises(ValueError, match="reconstruction has dtype torch.uint8; expected a floating dtype"):
        psnr(ints, ints.float())  # used to fail with an obscure RuntimeError
    with pytest.raises(ValueError, match="target has dtype torch.int64; expected a floating dtype"):
        psnr(ints.float(), ints.long())
    assert psnr(torch.rand(3, 5), torch.rand(3, 5)).shape == (3,)  # (N, D) is a batch of N images


# ---------------------------------------------------------------------------------------- latent explorer
def test_latent_explorer_shows_the_decoded_code(model2):
    explorer = latent_explorer(model2, z=(0.5, -1.0))
    with torch.no_grad():
        expected = model2.decode(torch.tensor([[0.5, -1.0]]))[0, 0].numpy()
    np.testing.assert_allclose(_shown_image(explorer, 1), expected, atol=1e-6)
    assert "z = (0.50, -1.00)" in explorer.summary.value
    assert f"<b>{expected.mean():.3f}</b>" in explorer.summary.value

    first_png, renders = explorer.image.value, explorer.renders
    explorer.controls["z1"].value = 2.0
    assert explorer.renders == renders + 1
    assert explorer.image.value != first_png
    assert "z = (2.00, -1.00)" in explorer.summary.value
    with torch.no_grad():
        expected = model2.decode(torch.tensor([[2.0, -1.0]]))[0, 0].numpy()
    np.testing.assert_allclose(_shown_image(explorer, 1), expected, atol=1e-6)


def test_latent_explorer_names_the_nearest_code_and_takes_its_range_from_the_codes(model2):
    codes = torch.tensor([[0.0, 0.0], [1.0, 1.0], [4.0, -2.0]])
    labels = torch.tensor([3, 7, 1])
    explorer = latent_explorer(model2, codes=codes, labels=labels, z=(0.9, 0.8))
    assert "nearest real code: a 7 at distance <b>0.22</b>" in explorer.summary.value  # hypot(0.1, 0.2)
    z1, z2 = explorer.controls["z1"], explorer.controls["z2"]
    assert (z1.min, z1.max) == (-0.2, 4.2)  # [0, 4] widened by 5% of its length 4 on each side
    assert (z2.min, z2.max) == (-2.15, 1.15)  # [-2, 1] widened by 5% of 3
    z1.value = 3.9
    z2.value = -1.6
    assert "a 1 at distance <b>0.41</b>" in explorer.summary.value  # hypot(0.1, 0.4)
    without_labels = latent_explorer(model2, codes=codes, z=(0.0, 0.1))
    assert "nearest real code: code 0 at distance <b>0.10</b>" in without_labels.summary.value


def test_latent_explorer_slider_ranges_from_z_range(model2):
    both = latent_explorer(model2, z_range=(-1.0, 2.0))
    assert [(c.min, c.max) for c in both.controls.values()] == [(-1.0, 2.0), (-1.0, 2.0)]
    each = latent_explorer(model2, z=(0.5, 7.0), z_range=((0.0, 1.0), (5.0, 9.0)))
    assert [(c.min, c.max) for c in each.controls.values()] == [(0.0, 1.0), (5.0, 9.0)]
    assert each.controls["z1"].step == pytest.approx(0.01) and each.controls["z2"].step == pytest.approx(0.04)
    fig = each._draw(**each.state)
    assert fig.axes[0].get_xlim() == (0.0, 1.0) and fig.axes[0].get_ylim() == (5.0, 9.0)


def test_latent_explorer_leaves_the_model_mode_alone():
    model = ConvAutoencoder(latent_dim=2).train()
    explorer = latent_explorer(model)
    explorer.controls["z2"].value = 1.0
    assert model.training
    assert all(p.grad is None for p in model.parameters())


def test_latent_explorer_runs_the_model_on_its_device(device):
    torch.manual_seed(0)
    model = ConvAutoencoder(latent_dim=2).to(device).eval()
    codes = torch.randn(5, 2, device=device)
    explorer = latent_explorer(model, codes=codes, labels=torch.arange(5, device=device))
    explorer.controls["z1"].value = 0.25
    assert "Invalid" not in explorer.summary.value
    assert next(model.parameters()).device.type == device.type


def test_latent_explorer_rejects_bad_arguments(model2):
    with pytest.raises(ValueError, match=r"model\.latent_dim=16: the latent explorer needs a 2-D code"):
        latent_explorer(ConvAutoencoder(latent_dim=16))
    with pytest.raises(TypeError, match=r"model must be an nn\.Module with a decode method; got Linear"):
        latent_explorer(nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"codes must have shape \(N, 2\)"):
        latent_explorer(model2, codes=torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"labels must have shape \(4,\)"):
        latent_explorer(model2, codes=torch.zeros(4, 2), labels=torch.zeros(3))
    with pytest.raises(ValueError, match="without codes"):
        latent_explorer(model2, labels=torch.zeros(3))
    rule = " must be (low, high) or ((low_1, high_1), (low_2, high_2)) with low < high"
    with pytest.raises(ValueError, match=re.escape("z_range=(1.0, -1.0)" + rule)):
        latent_explorer(model2, z_range=(1.0, -1.0))
    with pytest.raises(ValueError, match=re.escape("z_range=((0.0, 1.0), (2.0, 2.0))" + rule)):
        latent_explorer(model2, z_range=((0.0, 1.0), (2.0, 2.0)))
    with pytest.raises(ValueError, match=re.escape("z_range='wide'" + rule)):
        latent_explorer(model2, z_range="wide")
    with pytest.raises(ValueError, match=r"z=\(5.0, 0.0\)"):
        latent_explorer(model2, z=(5.0, 0.0))
    with pytest.raises(ValueError, match=r"z=\(0.0, 5.0\)"):
        latent_explorer(model2, z=(0.0, 5.0), z_range=((-1.0, 1.0), (-6.0, 4.0)))


def test_latent_explorer_starts_at_the_centre_of_its_sliders(model2):
    torch.manual_seed(0)
    codes = torch.rand(50, 2) * 4 + 1  # every code in [1, 5]^2: (0, 0) is off both sliders
    explorer = latent_explorer(ConvAutoencoder(latent_dim=2), codes=codes)
    for name in ("z1", "z2"):
        control = explorer.controls[name]
        assert control.min > 0.0
        assert explorer.state[name] == pytest.approx((control.min + control.max) / 2)
    each = latent_explorer(model2, z_range=((0.0, 1.0), (5.0, 9.0)))
    assert each.state == {"z1": 0.5, "z2": 7.0}
    assert latent_explorer(model2).state == {"z1": 0.0, "z2": 0.0}  # the centre of the default (-3, 3)
    for z in ((True, 0.0), (0.0,), "centre", (0.0, float("nan"))):
        with pytest.raises(ValueError, match=r"z=.* must be None \(the centre\) or a pair of numbers"):
            latent_explorer(model2, z=z)


def test_latent_explorer_mime_bundle_has_the_default_png(model2):
    explorer = latent_explorer(model2)
    explorer.controls["z1"].value = -2.0
    bundle = explorer._repr_mimebundle_()
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG") and png == latent_explorer(model2)._default_png
    assert "interactive explorer" in bundle["text/plain"]


# ------------------------------------------------------------------------------------- denoising explorer
class _Identity(nn.Module):
    """An 'autoencoder' that returns its input (so its PSNR is the corrupted input's)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class _Blank(nn.Module):
    """An 'autoencoder' that returns a black image."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x)


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.rand(4, 1, 28, 28, generator=g)


def test_denoising_explorer_psnr_matches_a_hand_computation(images):
    explorer = denoising_explorer({"identity": _Identity(), "blank": _Blank()}, images, index=2, seed=5)
    noisy = add_noise(images[2:3], 0.3, generator=torch.Generator().manual_seed(7))  # seed + index
    by_hand = 10 * math.log10(1 / ((noisy - images[2:3]) ** 2).mean().item())
    blank = 10 * math.log10(1 / (images[2:3] ** 2).mean().item())
    summary = explorer.summary.value
    assert f"corrupted <b>{by_hand:.1f}</b> dB" in summary
    assert f"identity <b>{by_hand:.1f}</b> dB" in summary
    assert f"blank <b>{blank:.1f}</b> dB" in summary
    np.testing.assert_allclose(_shown_image(explorer, 1), noisy[0, 0].numpy(), atol=1e-7)


def test_denoising_explorer_follows_its_controls(images):
    explorer = denoising_explorer({"identity": _Identity()}, images)
    first_png, renders = explorer.image.value, explorer.renders
    explorer.controls["noise_factor"].value = 0.0
    assert "corrupted <b>∞</b> dB" in explorer.summary.value  # no noise: identical images
    assert explorer.renders == renders + 1 and explorer.image.value != first_png
    for kind in ("masking", "salt_pepper", "gaussian"):
        explorer.controls["kind"].value = kind
        explorer.controls["noise_factor"].value = 0.5
        assert "Invalid" not in explorer.summary.value
        shown = _shown_image(explorer, 1)
        if kind == "masking":  # half of the 784 pixels set to 0, the rest unchanged
            clean = images[0, 0].numpy()
            assert np.sum(shown != clean) <= 392 and np.sum(shown == 0) >= 392
        explorer.controls["noise_factor"].value = 0.0
    before = explorer.summary.value
    explorer.controls["noise_factor"].value = 0.3
    explorer.controls["index"].value = 3
    assert explorer.summary.value != before


def test_denoising_explorer_runs_models_on_their_device(device, images):
    torch.manual_seed(0)
    model = ConvAutoencoder(latent_dim=4).to(device).train()
    explorer = denoising_explorer({"ae": model}, images.to(device))
    explorer.controls["index"].value = 1
    assert "ae <b>" in explorer.summary.value
    assert model.training  # the mode is restored


def test_denoising_explorer_rejects_bad_arguments(images):
    with pytest.raises(ValueError, match=re.escape("models must be a non-empty mapping name -> nn.Module")):
        denoising_explorer({}, images)
    with pytest.raises(TypeError, match=r"models\['a'\]"):
        denoising_explorer({"a": "not a model"}, images)
    with pytest.raises(ValueError, match=r"images must have shape \(N, C, H, W\)"):
        denoising_explorer({"a": _Identity()}, images[0])
    with pytest.raises(ValueError, match="kind='speckle'"):
        denoising_explorer({"a": _Identity()}, images, kind="speckle")
    with pytest.raises(ValueError, match="noise_factor=1.5"):
        denoising_explorer({"a": _Identity()}, images, noise_factor=1.5)
    with pytest.raises(ValueError, match="index=4"):
        denoising_explorer({"a": _Identity()}, images, index=4)


def test_denoising_explorer_rejects_bools_and_a_non_integer_seed(images):
    models = {"a": _Identity()}
    # a value of the wrong kind (a bool, a float for an int) is a TypeError naming the argument
    with pytest.raises(
        TypeError, match=r"index=True must be an integer between 0 and 3 \(the slider's range\)"
    ):
        denoising_explorer(models, images, index=True)
    with pytest.raises(TypeError, match=r"noise_factor=True must be a number between 0.0 and 1.0"):
        denoising_explorer(models, images, noise_factor=True)
    with pytest.raises(TypeError, match=r"index=1.0 must be an integer"):
        denoising_explorer(models, images, index=1.0)
    for seed in ("x", True, 1.5, None):
        with pytest.raises(TypeError, match=rf"seed={seed!r} must be an integer"):
            denoising_explorer(models, images, seed=seed)
    explorer = denoising_explorer(models, images, noise_factor=1, index=np.int64(3), seed=np.int64(2))
    assert explorer.state["index"] == 3 and explorer.state["noise_factor"] == 1.0

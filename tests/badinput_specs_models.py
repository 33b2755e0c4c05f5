"""Bad-input specs: lecture_lib.models' networks and the autoencoder explorers (see tests/badinput.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from badinput import Arg, Spec  # noqa: E402

from lecture_lib.explore import autoencoder as explore_ae  # noqa: E402
from lecture_lib.models import ConvAutoencoder, EncoderDecoder  # noqa: E402

_GEN = torch.Generator().manual_seed(0)
_IMAGES = torch.rand(3, 1, 28, 28, generator=_GEN)  # (N, 1, 28, 28) in [0, 1]
torch.manual_seed(0)
_AE = ConvAutoencoder(latent_dim=2).eval()
_SEG = EncoderDecoder(3, width=2).eval()


def _closing(make):
    def call(**kwargs):
        try:
            return make(**kwargs)
        finally:
            plt.close("all")

    return call


def _ae_forward(x):
    with torch.no_grad():
        return _AE(x)


def _seg_forward(x):
    with torch.no_grad():
        return _SEG(x)


SPECS = [
    Spec(
        "lecture_lib.models.ConvAutoencoder",
        ConvAutoencoder,
        {
            "latent_dim": Arg(2, "size", huge=True),
            "upsample": Arg("transposed", "choice"),
            "latent_activation": Arg(True, "bool"),
        },
        skip={"latent_dim:huge": "the code size only sizes two small linear layers' rows"},
    ),
    Spec(
        "lecture_lib.models.EncoderDecoder",
        EncoderDecoder,
        {
            "num_classes": Arg(3, "size"),
            "upsample": Arg("bilinear", "choice"),
            "in_channels": Arg(3, "size"),
            "width": Arg(2, "size"),
        },
    ),
    Spec(
        "lecture_lib.models.ConvAutoencoder.forward",
        _ae_forward,
        {"x": Arg(_IMAGES[:1].clone(), "tensor", name="x")},
    ),
    Spec(
        "lecture_lib.models.EncoderDecoder.forward",
        _seg_forward,
        {"x": Arg(torch.rand(1, 3, 16, 16), "tensor")},
    ),
    Spec(
        "lecture_lib.explore.autoencoder.psnr",
        explore_ae.psnr,
        {
            "reconstruction": Arg(
                _IMAGES.clone() * 0.9, "tensor", ndims=(1, 2, 3, 4), finite=True, half_ok=True
            ),
            "target": Arg(_IMAGES.clone(), "tensor", ndims=(2, 3, 4, 5), finite=True, half_ok=True),
            "max_value": Arg(1.0, "real", minimum=1e-12),
        },
        same_dtype=False,
    ),
    Spec(
        "lecture_lib.explore.autoencoder.latent_explorer",
        _closing(explore_ae.latent_explorer),
        {
            "model": Arg(_AE, "module"),
            "z": Arg((0.0, 0.0), "any", optional=True, bad=(("str", "00"), ("nan", (float("nan"), 0.0)))),
        },
    ),
    Spec(
        "lecture_lib.explore.autoencoder.denoising_explorer",
        _closing(explore_ae.denoising_explorer),
        {
            "models": Arg({"plain": _AE}, "any", bad=(("int", 3), ("not-a-module", {"plain": 3}))),
            "images": Arg(_IMAGES.clone(), "tensor", finite=True, half_ok=True),
            "kind": Arg("gaussian", "choice"),
            "noise_factor": Arg(0.3, "real", minimum=0.0),
            "index": Arg(0, "int", minimum=0),
            "seed": Arg(0, "int"),
        },
        same_dtype=False,
    ),
]

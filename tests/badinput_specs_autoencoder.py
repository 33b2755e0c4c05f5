"""Bad-input specs: lecture_lib.autoencoder_eval, DenseAutoencoder and the autoencoder exercise checker
(see tests/badinput.py for the machinery)."""

from __future__ import annotations

import torch
from badinput import Arg, Spec

from lecture_lib import autoencoder_eval as ae
from lecture_lib.exercises import autoencoder as ex
from lecture_lib.models import DenseAutoencoder

_GEN = torch.Generator().manual_seed(0)
_IMAGES = torch.rand(6, 1, 2, 2, generator=_GEN)  # (N, 1, 2, 2)
_VAL = torch.rand(4, 1, 2, 2, generator=_GEN)
_TINY = DenseAutoencoder(2, hidden=3, image_shape=(1, 2, 2))
_PCA = ae.PCAAutoencoder.fit(_IMAGES, 2)
_SCORES = torch.tensor([0.1, 0.4, 0.2, 0.3])
_HALF = "float16 scores or images are a valid floating dtype here (computed in float64 or by the model)"

SPECS = [
    Spec(
        "lecture_lib.models.DenseAutoencoder",
        DenseAutoencoder,
        {
            "latent_dim": Arg(2, "size"),
            "hidden": Arg(3, "int", minimum=0),
            "image_shape": Arg((1, 2, 2), "seq"),
        },
    ),
    Spec(
        "lecture_lib.autoencoder_eval.PCAAutoencoder",
        ae.PCAAutoencoder,
        {
            "components": Arg(_PCA.components.clone(), "tensor", finite=True, half_ok=True, empty_bad=True),
            "mean": Arg(_PCA.mean.clone(), "tensor", finite=True, half_ok=True),
            "image_shape": Arg((1, 2, 2), "seq"),
        },
        same_dtype=False,
    ),
    Spec(
        "lecture_lib.autoencoder_eval.reconstruction_error",
        ae.reconstruction_error,
        {
            "model": Arg(_TINY, "module"),
            "images": Arg(
                _IMAGES.clone(), "tensor", ndims=(2, 3, 4, 5), finite=True, half_ok=True, empty_bad=True
            ),
            "batch_size": Arg(4, "size"),
        },
    ),
    Spec(
        "lecture_lib.autoencoder_eval.roc_auc",
        ae.roc_auc,
        {
            "normal": Arg(_SCORES.clone(), "tensor", dtype="real", finite=True, half_ok=True, empty_bad=True),
            "anomalous": Arg(
                _SCORES[:2] + 0.05, "tensor", dtype="real", finite=True, half_ok=True, empty_bad=True
            ),
        },
        same_dtype=False,
    ),
    Spec(
        "lecture_lib.autoencoder_eval.bootstrap_auc",
        ae.bootstrap_auc,
        {
            "normal": Arg(_SCORES.clone(), "tensor", dtype="real", finite=True, half_ok=True, empty_bad=True),
            "anomalous": Arg(
                _SCORES[:2] + 0.05, "tensor", dtype="real", finite=True, half_ok=True, empty_bad=True
            ),
            "n_boot": Arg(20, "size", huge=True),
            "level": Arg(0.9, "real", minimum=0.0),
            "seed": Arg(0, "int"),
        },
        same_dtype=False,
    ),
    Spec(
        "lecture_lib.autoencoder_eval.interpolate_codes",
        ae.interpolate_codes,
        {
            "z_start": Arg(torch.tensor([0.0, 1.0]), "tensor", finite=True, half_ok=True, empty_bad=True),
            "z_end": Arg(torch.tensor([1.0, 0.0]), "tensor", finite=True, half_ok=True),
            "steps": Arg(3, "size", minimum=2, huge=True),
        },
        same_dtype=False,
    ),
    Spec(
        "lecture_lib.autoencoder_eval.decode_grid",
        ae.decode_grid,
        {
            "model": Arg(_TINY, "module"),
            "z1": Arg(torch.tensor([0.0, 1.0]), "tensor", finite=True, half_ok=True, empty_bad=True),
            "z2": Arg(torch.tensor([1.0, -1.0, 0.5]), "tensor", finite=True, half_ok=True, empty_bad=True),
        },
        same_dtype=False,
    ),
    Spec(
        "lecture_lib.autoencoder_eval.nearest_codes",
        ae.nearest_codes,
        {
            "codes": Arg(
                torch.rand(5, 2, generator=_GEN), "tensor", finite=True, half_ok=True, empty_bad=True
            ),
            "queries": Arg(torch.rand(2, 2, generator=_GEN), "tensor", finite=True, half_ok=True),
            "k": Arg(2, "size"),
        },
        same_dtype=False,
    ),
    Spec(
        "lecture_lib.exercises.autoencoder.check_autoencoder",
        ex.check_autoencoder,
        {
            "encode": Arg(_PCA.encode, "callable"),
            "decode": Arg(_PCA.decode, "callable"),
            "latent_dim": Arg(2, "size"),
            "train_images": Arg(_IMAGES.clone(), "tensor", ndims=(2, 3, 4, 5), finite=True, half_ok=True),
            "val_images": Arg(_VAL.clone(), "tensor", ndims=(4,), finite=True, half_ok=True),
        },
        same_dtype=False,
    ),
]

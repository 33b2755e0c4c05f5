"""Checker for the autoencoder exercise: train an autoencoder with a small code that beats PCA.

Taught in: chapter "Autoencoders" (exercise: beat PCA with the same code size).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import torch

from .._validate import check_int, check_tensor
from ..autoencoder_eval import PCAAutoencoder, reconstruction_error
from ._core import Case, CheckResult

__all__ = ["check_autoencoder"]

_NAME = "check_autoencoder"


def _call(fn: Callable[[torch.Tensor], Any], x: torch.Tensor) -> tuple[Any, str | None]:
    """``fn(x)`` under ``torch.no_grad()``; a student's exception is returned as a message, not raised."""
    try:
        with torch.no_grad():
            return fn(x), None
    except Exception as exc:  # a student's error is reported, not raised
        return None, traceback.format_exception_only(type(exc), exc)[-1].strip()


def _problem(what: str, value: Any, shape: tuple[int, ...]) -> str | None:
    """Why ``value`` is not a real, finite tensor of ``shape``, or None when it is."""
    if not isinstance(value, torch.Tensor):
        return f"{what} must be a torch.Tensor of shape {shape}; got {type(value).__name__}"
    if value.is_complex():
        return f"{what} is complex ({value.dtype}); a code and an image are real: complex values are refused"
    if not value.is_floating_point():
        return f"{what} must have a floating dtype; got {value.dtype}"
    if tuple(value.shape) != shape:
        return f"{what} must have shape {shape}; got {tuple(value.shape)}"
    if value.device.type == "meta":
        return f"{what} is on the meta device: a shape without values"
    if not bool(torch.isfinite(value).all()):
        return f"{what} contains {int((~torch.isfinite(value)).sum())} NaN or infinite value(s)"
    return None


def check_autoencoder(
    encode: Callable[[torch.Tensor], torch.Tensor],
    decode: Callable[[torch.Tensor], torch.Tensor],
    latent_dim: int,
    train_images: torch.Tensor,
    val_images: torch.Tensor,
) -> CheckResult:
    """Check that a student's autoencoder with a ``latent_dim``-number code beats PCA with as many components.

    ``encode`` maps images ``(N, *image_shape)`` to codes (N, latent_dim) and ``decode`` codes back to images
    ``(N, *image_shape)`` (e.g. a trained model's ``encode`` and ``decode`` methods; they are called under
    ``torch.no_grad()``, so put the model in eval mode first). The checker encodes and decodes
    ``val_images`` and passes when the mean squared error of the reconstruction,
    ``||decode(encode(x)) - x||^2 / (N D)``, is at least 1% below that of
    :class:`~lecture_lib.autoencoder_eval.PCAAutoencoder` fitted to ``train_images`` with ``latent_dim``
    components (PCA itself, or a linear autoencoder, does not pass). It fails, saying why, for a code or an image of the wrong shape, complex, NaN or infinite
    values, an exception in the student's code, or a decoder whose output for a reordered batch of codes is
    not the same reordering (a decoder must depend on the code, not on what it saw before).

    Returns a CheckResult (``bool(result)`` is the verdict; printing it explains it).

    Taught in: chapter "Autoencoders" (exercise: beat PCA with the same code size).
    """
    if not callable(encode):
        raise TypeError(f"encode must be callable, got {type(encode).__name__}")
    if not callable(decode):
        raise TypeError(f"decode must be callable, got {type(decode).__name__}")
    for name, images in (("train_images", train_images), ("val_images", val_images)):
        check_tensor(name, images, dtype="floating", finite=True)
        if images.device.type == "meta":
            raise ValueError(f"{name} is on the meta device: a shape without values; pass a tensor with data")
    if train_images.dim() < 2 or len(train_images) < 2:
        raise ValueError(
            f"train_images must have shape (N, ...) with N >= 2; got {tuple(train_images.shape)}"
        )
    if val_images.dim() < 2 or len(val_images) < 2 or val_images.shape[1:] != train_images.shape[1:]:
        raise ValueError(
            f"val_images {tuple(val_images.shape)} must have shape (N, ...) with N >= 2 and the image shape "
            f"of train_images {tuple(train_images.shape[1:])}"
        )
    latent_dim = check_int("latent_dim", latent_dim, minimum=1, maximum=train_images[0].numel())
    x = val_images.detach()
    case = Case(args=(x,), description=f"encode and decode the {len(x)} validation images")

    def fail(message: str) -> CheckResult:
        return CheckResult(_NAME, False, 1, f"{_NAME}: {message}", case)

    codes, error = _call(encode, x)
    if error:
        return fail(f"encode raised {error}")
    problem = _problem("the code encode(x)", codes, (len(x), latent_dim))
    if problem:
        return fail(problem)
    recon, error = _call(decode, codes)
    if error:
        return fail(f"decode raised {error}")
    problem = _problem("the reconstruction decode(encode(x))", recon, tuple(x.shape))
    if problem:
        return fail(problem)
    order = torch.arange(len(x) - 1, -1, -1, device=codes.device)  # the batch reversed
    again, error = _call(decode, codes[order])
    if error or not isinstance(again, torch.Tensor) or again.shape != recon.shape:
        return fail(f"decode fails on the same codes in reverse order ({error or 'a different output'})")
    if not torch.allclose(again.double().cpu(), recon[order].double().cpu(), atol=1e-4, rtol=1e-3):
        return fail("decode(codes in reverse order) is not decode(codes) in reverse order; it must be a function "
                    "of each code alone (eval mode, no state kept between calls)")  # fmt: skip
    mse = (recon.detach().double().cpu() - x.double().cpu()).pow(2).mean().item()
    baseline = reconstruction_error(
        PCAAutoencoder.fit(train_images.detach().double(), latent_dim), x.double()
    )
    pca_mse = baseline.mean().item()
    passed = mse < 0.99 * pca_mse
    verdict = "below" if passed else "not 1% below"
    message = (
        f"{_NAME}: with a {latent_dim}-number code the validation MSE {mse:.4g} is {verdict} the "
        f"{pca_mse:.4g} of PCA with {latent_dim} components ({mse / pca_mse:.0%} of it)."
    )
    if not passed:
        message += " Train longer, with a nonlinear encoder and decoder, or with another learning rate."
    return CheckResult(_NAME, passed, 1, message, None if passed else case)

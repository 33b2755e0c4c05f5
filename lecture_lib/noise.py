"""Corruption processes ``x~ = r(x)`` for denoising autoencoders: Gaussian, masking and salt-and-pepper noise.

Gaussian noise is the lecture's (``add_noise`` of its trainer: add ``noise_factor * N(0, 1)``, clip to
[0, 1]). Masking and salt-and-pepper noise follow Vincent et al., "Extracting and composing robust features
with denoising autoencoders", ICML 2008 (masking: "a fixed number nu*d of components are chosen at random,
and their value is forced to 0") and Vincent et al., JMLR 11, 2010 (salt-and-pepper: the same fixed fraction
set to the minimum or maximum, 0 or 1, by a fair coin flip).

Taught in: chapter "Autoencoders" (denoising autoencoders).
"""

from __future__ import annotations

import math
import numbers

import torch

__all__ = ["NOISE_KINDS", "add_noise"]

#: The corruption processes :func:`add_noise` knows.
NOISE_KINDS = ("gaussian", "masking", "salt_pepper")


def _chosen(x: torch.Tensor, fraction: float, generator: torch.Generator | None) -> torch.Tensor:
    """Boolean mask of x's shape with exactly ``floor(fraction * d + 0.5)`` True entries in each example x[n].

    ``d = x[n].numel()``; the positions are a uniformly random subset, drawn independently per example.
    """
    n = x.shape[0]
    d = x[0].numel() if n > 0 else 0
    k = math.floor(fraction * d + 0.5)  # nearest integer, halves rounded up
    scores = torch.rand(n, d, generator=generator, device=x.device)  # (N, d)
    # the positions of the k smallest of d i.i.d. uniforms are a uniformly random k-subset
    picked = scores.argsort(dim=1)[:, :k]  # (N, k)
    mask = torch.zeros(n, d, dtype=torch.bool, device=x.device).scatter_(1, picked, True)  # (N, d)
    return mask.reshape(x.shape)  # (N, ...)


def add_noise(
    x: torch.Tensor, noise_factor: float, kind: str = "gaussian", generator: torch.Generator | None = None
) -> torch.Tensor:
    """Corrupt a batch: return ``r(x)`` for the Gaussian, masking or salt-and-pepper process.

    Shapes: ``x`` (N, ...) with values in [0, 1] (e.g. (N, 1, 28, 28)) -> same shape, dtype and device; a
    new tensor (``x`` is not modified). Any floating dtype, float16 and bfloat16 included (integer, bool and
    complex tensors raise ``TypeError``). Values outside [0, 1] (or NaN) raise ``ValueError``. For masking and salt-and-pepper, the first dimension indexes the
    examples and each example ``x[n]`` has ``d = x[n].numel()`` components.

    * ``kind="gaussian"`` (the lecture's): ``clip(x + noise_factor * eps, 0, 1)``, ``eps ~ N(0, 1)``
      elementwise; ``noise_factor >= 0`` is the standard deviation before clipping.
    * ``kind="masking"`` (Vincent et al. 2008): in each example exactly ``k = floor(noise_factor * d + 0.5)`` (the nearest integer, halves up)
      components, a uniformly random subset, are set to 0; the rest are unchanged. ``noise_factor`` in
      [0, 1] is the fraction nu. (Each component is masked with probability ``k / d``, but unlike
      dropout-style independent coin flips the count per example is fixed.)
    * ``kind="salt_pepper"`` (Vincent et al. 2010): the same fixed random subset of ``k`` components,
      each set to 0 or 1 by a fair coin flip.

    Randomness comes from ``generator`` (a ``torch.Generator`` on x's device type) or, if None, from
    PyTorch's global generator; the same generator state gives the same corruption.

    Taught in: chapter "Autoencoders" (the corruption r(x) of a denoising autoencoder).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor; got {type(x).__name__}")
    if not x.dtype.is_floating_point:
        raise TypeError(f"x must have a floating dtype (values in [0, 1]); got {x.dtype}")
    if kind not in NOISE_KINDS:
        raise ValueError(f"kind={kind!r} must be one of {NOISE_KINDS}")
    if isinstance(noise_factor, bool) or not isinstance(noise_factor, numbers.Real):
        raise TypeError(f"noise_factor={noise_factor!r} must be a real number")
    noise_factor = float(noise_factor)
    if kind == "gaussian":
        if not (math.isfinite(noise_factor) and noise_factor >= 0):
            raise ValueError(
                f"noise_factor={noise_factor!r} must be a finite number >= 0 (the standard deviation) for "
                "kind='gaussian'"
            )
    elif not 0.0 <= noise_factor <= 1.0:
        raise ValueError(
            f"noise_factor={noise_factor!r} must lie in [0, 1] (the fraction of components) for kind={kind!r}"
        )
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None; got {type(generator).__name__}")
        if generator.device.type != x.device.type:
            raise ValueError(
                f"generator is on device {generator.device} but x is on {x.device}; create it with "
                f"torch.Generator(device=x.device)"
            )
    if x.numel() > 0:
        low, high = torch.aminmax(x)
        if not (bool(low >= 0) and bool(high <= 1)):  # NaN fails both
            raise ValueError(
                f"x has values in [{low.item():.4g}, {high.item():.4g}]; add_noise expects values in [0, 1] "
                "(scale the batch first, e.g. pixels / 255)"
            )

    if kind == "gaussian":
        eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)  # (N, ...)
        return torch.clamp(x + noise_factor * eps, 0.0, 1.0)

    if x.dim() < 1:
        raise ValueError(f"x must have a batch dimension (N, ...) for kind={kind!r}; got a 0-dim tensor")
    chosen = _chosen(x, noise_factor, generator)  # (N, ...) bool
    if kind == "masking":
        return torch.where(chosen, torch.zeros((), device=x.device, dtype=x.dtype), x)
    coin = torch.rand(x.shape, generator=generator, device=x.device) < 0.5  # (N, ...) bool, fair
    value = coin.to(x.dtype)  # 1 (salt) or 0 (pepper)
    return torch.where(chosen, value, x)

"""Measuring autoencoders: the PCA baseline, reconstruction errors, ROC AUC with a bootstrap interval, and
walks through a latent space (decoded grids, interpolations, nearest codes).

:class:`PCAAutoencoder` is principal component analysis written as an autoencoder with a linear encoder and
decoder, so that every measurement of the chapter runs on it exactly as on a trained network: it is the
baseline a nonlinear autoencoder has to beat, and the optimum of a *linear* autoencoder trained with the
squared error (its decoder spans the same subspace; Baldi and Hornik, 1989).

Taught in: chapter "Autoencoders".
"""

from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.decomposition import PCA
from torch import nn

from ._validate import check_int, check_real, check_tensor

__all__ = [
    "PCAAutoencoder",
    "bootstrap_auc",
    "decode_grid",
    "interpolate_codes",
    "nearest_codes",
    "reconstruction_error",
    "roc_auc",
]


def _tensor(
    name: str,
    value: object,
    ndim: int | tuple[int, ...] | None,
    dtype: str = "floating",
    nonempty: bool = False,
) -> torch.Tensor:
    """``check_tensor`` with finite values, and no ``meta`` tensor (a shape without values)."""
    check_tensor(name, value, ndim, dtype=dtype, finite=True, nonempty=nonempty)
    if value.device.type == "meta":  # type: ignore[union-attr]
        raise ValueError(f"{name} is on the meta device: a shape without values; pass a tensor with data")
    return value  # type: ignore[return-value]


def _device_and_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    """Where a model computes: the device and floating dtype of its first parameter, else of its first buffer."""
    for tensor in (*model.parameters(), *model.buffers()):
        if tensor.is_floating_point():
            return tensor.device, tensor.dtype
    return torch.device("cpu"), torch.float32


class PCAAutoencoder(nn.Module):
    """PCA as a linear autoencoder: ``z = V (x - mu)``, ``x_hat = V^T z + mu``.

    Shapes: ``encode`` ``(N, *image_shape)`` -> (N, latent_dim); ``decode`` (N, latent_dim) -> ``(N, *image_shape)``;
    ``forward(x) = decode(encode(x))``. ``components`` V is (latent_dim, D) with orthonormal rows (the
    principal directions, by decreasing variance) and ``mean`` mu is (D,), D = prod(image_shape); both are
    buffers, so ``.to(device)`` moves them. The reconstruction ``x_hat`` is the orthogonal projection of x
    onto the affine subspace ``mu + span(V)``: among all rank-``latent_dim`` linear autoencoders, the one
    with the smallest summed squared error on the data it was fitted to (Eckart-Young). Outputs are not
    clipped to [0, 1].

    Build it with :meth:`fit` (scikit-learn's ``PCA``, exact SVD). Taught in: chapter "Autoencoders" (the
    PCA baseline; the linear autoencoder).
    """

    def __init__(self, components: torch.Tensor, mean: torch.Tensor, image_shape: tuple[int, ...]):
        super().__init__()
        _tensor("components", components, 2, nonempty=True)
        _tensor("mean", mean, 1)
        shape = tuple(image_shape) if isinstance(image_shape, tuple | list) else None
        if not shape or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape):
            raise ValueError(f"image_shape={image_shape!r} must be a tuple of positive ints")
        if components.shape[1] != math.prod(shape) or mean.shape != (math.prod(shape),):
            raise ValueError(
                f"components {tuple(components.shape)} and mean {tuple(mean.shape)} must be (d, D) and (D,) "
                f"with D = prod(image_shape={shape}) = {math.prod(shape)}"
            )
        self.image_shape = shape
        self.register_buffer(
            "components", components.detach().clone(memory_format=torch.contiguous_format)
        )  # (d, D)
        self.register_buffer("mean", mean.detach().clone().to(components.dtype))  # (D,)

    @classmethod
    def fit(cls, images: torch.Tensor, n_components: int) -> PCAAutoencoder:
        """Fit PCA with ``n_components`` directions to ``images`` ``(N, *image_shape)``, N >= 2.

        ``sklearn.decomposition.PCA(n_components, svd_solver="full")`` on the flattened images in float64;
        the buffers take the images' dtype and device. ``n_components`` must be at most min(N, D).
        """
        _tensor("images", images, None)
        if images.dim() < 2 or len(images) < 2:
            raise ValueError(f"images must have shape (N, ...) with N >= 2; got {tuple(images.shape)}")
        flat = images.detach().flatten(1)  # (N, D)
        n_components = check_int("n_components", n_components, minimum=1, maximum=min(flat.shape))
        pca = PCA(n_components=n_components, svd_solver="full").fit(flat.cpu().double().numpy())
        as_tensor = lambda a: torch.as_tensor(np.asarray(a), dtype=images.dtype, device=images.device)  # noqa: E731
        return cls(as_tensor(pca.components_), as_tensor(pca.mean_), tuple(images.shape[1:]))

    @property
    def latent_dim(self) -> int:
        """The number of principal directions kept, d."""
        return int(self.components.shape[0])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, *image_shape)`` -> the coordinates along the principal directions, (N, latent_dim)."""
        if not isinstance(x, torch.Tensor) or tuple(x.shape[1:]) != self.image_shape or x.dim() < 2:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.image_shape))}); got {shape}")
        return (x.flatten(1).to(self.mean.dtype) - self.mean) @ self.components.T  # (N, d)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim) -> the point mu + V^T z of the subspace, ``(N, *image_shape)``."""
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (N, {self.latent_dim}); got {shape}")
        return (z.to(self.mean.dtype) @ self.components + self.mean).view(len(z), *self.image_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))  # (N, *image_shape)

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, image_shape={self.image_shape}"


def reconstruction_error(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """The mean squared error of each image's reconstruction: ``||model(x) - x||^2 / D``.

    Shapes: ``images`` (N, ...) -> (N,) on the CPU in the images' dtype. The model runs on its own device
    and dtype, in eval mode under ``torch.no_grad()``, ``batch_size`` images at a time; its previous mode is
    restored. The chapter uses it as the anomaly score and as the reconstruction loss of a whole set
    (``reconstruction_error(model, x).mean()`` equals ``nn.MSELoss()`` over the set).

    Taught in: chapter "Autoencoders" (anomaly detection; the PCA baseline).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    _tensor("images", images, None, nonempty=True)
    if images.dim() < 2:
        raise ValueError(
            f"images must have shape (N, ...) with at least 2 dimensions; got {tuple(images.shape)}"
        )
    batch_size = check_int("batch_size", batch_size, minimum=1)
    device, dtype = _device_and_dtype(model)
    was_training = model.training
    model.eval()
    errors = []
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                x = images[start : start + batch_size]
                out = model(x.to(device, dtype)).to("cpu", images.dtype)  # (n, ...)
                errors.append((out - x.cpu()).pow(2).flatten(1).mean(dim=1))  # (n,)
    finally:
        model.train(was_training)
    return torch.cat(errors)  # (N,)


def _scores(name: str, value: object) -> torch.Tensor:
    _tensor(name, value, 1, dtype="real", nonempty=True)
    return value.detach().to("cpu", torch.float64)  # type: ignore[union-attr]


def _pair_wins(normal: torch.Tensor, anomalous: torch.Tensor) -> torch.Tensor:
    """(n_anomalous, n_normal): 1 where the anomaly scores higher, 1/2 for a tie, 0 otherwise."""
    a, n = anomalous[:, None], normal[None, :]
    return (a > n).double() + 0.5 * (a == n).double()


def roc_auc(normal: torch.Tensor, anomalous: torch.Tensor) -> float:
    """The area under the ROC curve of a score that should be higher for anomalies.

    Shapes: ``normal`` (n,) and ``anomalous`` (m,) scores, real and finite. Formula (Mann-Whitney):
    ``AUC = P(s_a > s_n) + P(s_a = s_n) / 2`` over all n m pairs, equal to
    ``sklearn.metrics.roc_auc_score`` with label 1 for the anomalies.

    Taught in: chapter "Autoencoders" (anomaly detection, exercise on the AUC).
    """
    normal, anomalous = _scores("normal", normal), _scores("anomalous", anomalous)
    return float(_pair_wins(normal, anomalous).mean())


def bootstrap_auc(
    normal: torch.Tensor,
    anomalous: torch.Tensor,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """The ROC AUC and a percentile bootstrap interval for it: ``(auc, low, high)``.

    Shapes: ``normal`` (n,) and ``anomalous`` (m,) scores. Each of ``n_boot`` replicates draws n normal
    and m anomalous scores with replacement (each group separately, so every replicate has both) and
    computes :func:`roc_auc`; ``low`` and ``high`` are the ``(1 - level) / 2`` and ``(1 + level) / 2``
    quantiles of the replicates (Efron's percentile interval). With few anomalies the interval is wide:
    it says how much the AUC would move with another draw of test images of the same kinds. The draws come
    from a CPU ``torch.Generator`` seeded with ``seed``, the same on every machine.

    Taught in: chapter "Autoencoders" (anomaly detection).
    """
    normal, anomalous = _scores("normal", normal), _scores("anomalous", anomalous)
    n_boot = check_int("n_boot", n_boot, minimum=1)
    level = check_real("level", level, 0.0, 1.0, strict_minimum=True)
    if level >= 1:
        raise ValueError(f"level={level!r} must be below 1 (a 100% interval is the whole range)")
    seed = check_int("seed", seed)
    if n_boot * (len(normal) + len(anomalous)) > 2**26:
        raise ValueError(
            f"n_boot={n_boot!r} draws {n_boot * (len(normal) + len(anomalous)):,} scores; use fewer"
        )
    wins = _pair_wins(normal, anomalous)  # (m, n)
    gen = torch.Generator().manual_seed(seed)
    pick_a = torch.randint(len(anomalous), (n_boot, len(anomalous)), generator=gen)  # (B, m)
    pick_n = torch.randint(len(normal), (n_boot, len(normal)), generator=gen)  # (B, n)
    count_a = torch.zeros(n_boot, len(anomalous), dtype=torch.float64).scatter_add_(
        1, pick_a, torch.ones_like(pick_a, dtype=torch.float64)
    )  # (B, m): how often each anomaly was drawn
    count_n = torch.zeros(n_boot, len(normal), dtype=torch.float64).scatter_add_(
        1, pick_n, torch.ones_like(pick_n, dtype=torch.float64)
    )  # (B, n)
    replicates = ((count_a @ wins) * count_n).sum(dim=1) / (len(anomalous) * len(normal))  # (B,)
    low, high = torch.quantile(
        replicates, torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)
    )
    return float(wins.mean()), float(low), float(high)


def interpolate_codes(z_start: torch.Tensor, z_end: torch.Tensor, steps: int) -> torch.Tensor:
    """Codes on the segment from ``z_start`` to ``z_end``: ``(1 - t) z_start + t z_end``, t = 0 .. 1.

    Shapes: ``z_start`` and ``z_end`` (d,) -> (steps, d), row 0 equal to ``z_start`` and the last row to
    ``z_end``; ``steps >= 2``. Taught in: chapter "Autoencoders" (walking the latent space).
    """
    _tensor("z_start", z_start, 1, nonempty=True)
    _tensor("z_end", z_end, 1)
    if z_end.shape != z_start.shape:
        raise ValueError(f"z_end {tuple(z_end.shape)} must have the shape of z_start {tuple(z_start.shape)}")
    steps = check_int("steps", steps, minimum=2, maximum=10**6)
    t = torch.linspace(0, 1, steps, dtype=z_start.dtype, device=z_start.device)[:, None]  # (steps, 1)
    return (1 - t) * z_start + t * z_end.to(z_start.device, z_start.dtype)  # (steps, d)


def decode_grid(model: nn.Module, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """Decode every code ``(z1[j], z2[i])`` of a 2-D grid: ``out[i, j] = model.decode([[z1[j], z2[i]]])[0]``.

    Shapes: ``z1`` (cols,) and ``z2`` (rows,) -> ``(rows, cols, *image_shape)`` on the CPU. The model must have
    a 2-D code (``decode`` maps (N, 2) to images); it runs in eval mode under ``torch.no_grad()``. Draw row
    ``i`` at height ``z2[i]`` (pass ``z2`` decreasing to put the largest value on top, as in a plot).

    Taught in: chapter "Autoencoders" (the 2-D latent space).
    """
    if not isinstance(model, nn.Module) or not callable(getattr(model, "decode", None)):
        raise TypeError(f"model must be an nn.Module with a decode method; got {type(model).__name__}")
    if getattr(model, "latent_dim", None) != 2:
        raise ValueError(
            f"model.latent_dim={getattr(model, 'latent_dim', None)!r}: decode_grid needs a 2-D code"
        )
    _tensor("z1", z1, 1, nonempty=True)
    _tensor("z2", z2, 1, nonempty=True)
    device, dtype = _device_and_dtype(model)
    grid_2, grid_1 = torch.meshgrid(z2, z1.to(z2.device, z2.dtype), indexing="ij")  # (rows, cols) each
    codes = torch.stack([grid_1, grid_2], dim=-1).reshape(-1, 2)  # (rows * cols, 2), row-major
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            images = model.decode(codes.to(device, dtype)).cpu()  # (rows * cols, *image_shape)
    finally:
        model.train(was_training)
    return images.view(len(z2), len(z1), *images.shape[1:])


def nearest_codes(codes: torch.Tensor, queries: torch.Tensor, k: int = 1) -> torch.Tensor:
    """The indices of the ``k`` codes nearest to each query, by Euclidean distance, nearest first.

    Shapes: ``codes`` (N, d) and ``queries`` (M, d) -> (M, k) int64 indices into ``codes``; ``k <= N``.
    Taught in: chapter "Autoencoders" (neighbours in code space).
    """
    _tensor("codes", codes, 2, nonempty=True)
    _tensor("queries", queries, 2)
    if queries.shape[1] != codes.shape[1]:
        raise ValueError(
            f"queries {tuple(queries.shape)} and codes {tuple(codes.shape)} must have the same d"
        )
    k = check_int("k", k, minimum=1, maximum=len(codes))
    distances = torch.cdist(queries.double(), codes.to(queries.device).double())  # (M, N)
    return distances.topk(k, dim=1, largest=False).indices  # (M, k)

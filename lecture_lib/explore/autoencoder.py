"""Explorers of the chapter "Autoencoders": walk a 2-D latent space, and corrupt a digit and denoise it.

Both take trained models as arguments (training belongs to the chapter): :func:`latent_explorer` decodes the
code under two sliders with a model whose code is 2-D, and :func:`denoising_explorer` corrupts one image with
:func:`lecture_lib.noise.add_noise` and shows what each of several autoencoders makes of it, with the PSNR.
The models run on their own device under ``torch.no_grad()`` in eval mode (their mode is restored after each
drawing); the figures are drawn from CPU copies.

Taught in: chapter "Autoencoders".
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Iterator, Mapping

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from .._validate import check_same_device, check_tensor
from ..noise import NOISE_KINDS, add_noise
from ._core import Explorer, _float_slider, _int_slider

__all__ = ["denoising_explorer", "latent_explorer", "psnr"]


def psnr(reconstruction: torch.Tensor, target: torch.Tensor, max_value: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio of each image, in decibels.

    Shapes: ``reconstruction`` and ``target`` (N, ...) of the same shape, at least 2 dimensions (a batch of
    N images, e.g. (N, C, H, W)) and a floating dtype -> (N,), one value per image.
    Formula: ``PSNR = 10 log10(max_value^2 / MSE)`` with ``MSE`` the mean squared difference over the
    image's values; identical images give ``inf``.

    Raises:
        TypeError: when an input is not a tensor.
        ValueError: for an input with fewer than 2 dimensions or an integer (non-floating) dtype, inputs of
            different shapes, or a ``max_value`` that is not a positive number.

    Taught in: chapter "Autoencoders" (denoising quality).
    """
    if not isinstance(reconstruction, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise TypeError("reconstruction and target must be torch.Tensors")
    for name, tensor in (("reconstruction", reconstruction), ("target", target)):
        if tensor.dim() < 2:
            raise ValueError(
                f"{name} has shape {tuple(tensor.shape)}; expected (N, ...) with at least 2 dimensions, "
                "a batch of N images (add the batch dimension with .unsqueeze(0) for one image)"
            )
        if not tensor.is_floating_point():
            raise ValueError(
                f"{name} has dtype {tensor.dtype}; expected a floating dtype (convert with .float(), and "
                "set max_value=255 for images in 0..255)"
            )
    check_same_device(reconstruction=reconstruction, target=target)
    for name, tensor in (("reconstruction", reconstruction), ("target", target)):
        check_tensor(name, tensor, finite=True)  # NaN or infinity would give a meaningless PSNR
    if reconstruction.shape != target.shape:
        raise ValueError(
            f"reconstruction {tuple(reconstruction.shape)} and target {tuple(target.shape)} must have the "
            "same shape (N, ...)"
        )
    if not (isinstance(max_value, int | float) and math.isfinite(max_value) and max_value > 0):
        raise ValueError(f"max_value={max_value!r} must be a positive number (1.0 for images in [0, 1])")
    mse = (reconstruction - target).pow(2).flatten(1).mean(dim=1)  # (N,)
    return 10 * torch.log10(max_value**2 / mse)  # (N,), inf where mse == 0


def _model_device(model: nn.Module) -> torch.device:
    param = next(iter(model.parameters()), None)
    return param.device if param is not None else torch.device("cpu")


def _model_dtype(model: nn.Module) -> torch.dtype:
    param = next(iter(model.parameters()), None)
    return param.dtype if param is not None and param.is_floating_point() else torch.float32


@contextlib.contextmanager
def _evaluating(model: nn.Module) -> Iterator[None]:
    """Eval mode and no autograd inside; the model's previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def _db(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.1f}"


# ------------------------------------------------------------------------------------------ latent space


def _axis_ranges(
    z_range: object, codes: torch.Tensor | None
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The (low, high) of the two sliders, from ``z_range`` or from the codes (see :func:`latent_explorer`)."""
    if z_range is None:
        if codes is None:
            return (-3.0, 3.0), (-3.0, 3.0)
        ranges = []
        for j in range(2):
            low, high = float(codes[:, j].min()), float(codes[:, j].max())
            margin = 0.05 * (high - low) or 1.0
            ranges.append((round(low - margin, 2), round(high + margin, 2)))
        return ranges[0], ranges[1]
    try:
        pairs = list(z_range)  # type: ignore[call-overload]
        if len(pairs) == 2 and all(isinstance(v, int | float) for v in pairs):
            pairs = [pairs, pairs]
        ranges = [(float(low), float(high)) for low, high in pairs]
    except (TypeError, ValueError):
        ranges = []
    if len(ranges) != 2 or not all(math.isfinite(lo) and math.isfinite(hi) and lo < hi for lo, hi in ranges):
        raise ValueError(
            f"z_range={z_range!r} must be (low, high) or ((low_1, high_1), (low_2, high_2)) with low < high"
        )
    return ranges[0], ranges[1]


def latent_explorer(
    model: nn.Module,
    codes: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
    z: tuple[float, float] | None = None,
    z_range: tuple[float, float] | tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> Explorer:
    """Two sliders for a 2-D code ``z``; the figure shows where ``z`` lies and the image ``model.decode(z)``.

    Args:
        model: an autoencoder with a 2-D code: ``model.latent_dim == 2`` and ``model.decode`` mapping
            (N, 2) -> (N, 1, H, W) images in [0, 1] (e.g. ``ConvAutoencoder(latent_dim=2)``, trained).
        codes: optional (N, 2) codes of real images (``model.encode(x)``), drawn as a scatter behind ``z``.
        labels: optional (N,) integer classes of ``codes``: colours the scatter, and the summary names the
            class of the code nearest to ``z``.
        z: the starting code (z_1, z_2), inside the slider ranges; default: the centre of each slider's
            range ((0, 0) for the default range (-3, 3)).
        z_range: (low, high) for both sliders, or ((low_1, high_1), (low_2, high_2)) for z_1 and z_2;
            default: the range of each coordinate of ``codes`` widened by 5% on each side, else (-3, 3).

    Raises:
        TypeError: for a model without a ``decode`` method.
        ValueError: for a model whose code is not 2-D, codes or labels of the wrong shape, an invalid
            ``z_range``, or a ``z`` that is not a pair of numbers inside the slider ranges (ipywidgets would
            clamp it silently).

    Taught in: chapter "Autoencoders" (the 2-D latent space).
    """
    if not isinstance(model, nn.Module) or not callable(getattr(model, "decode", None)):
        raise TypeError(f"model must be an nn.Module with a decode method; got {type(model).__name__}")
    latent_dim = getattr(model, "latent_dim", None)
    if latent_dim != 2:
        raise ValueError(
            f"model.latent_dim={latent_dim!r}: the latent explorer needs a 2-D code (latent_dim=2)"
        )
    if codes is not None:
        if not isinstance(codes, torch.Tensor) or codes.dim() != 2 or codes.shape[1] != 2 or len(codes) == 0:
            shape = tuple(codes.shape) if isinstance(codes, torch.Tensor) else type(codes).__name__
            raise ValueError(f"codes must have shape (N, 2) with N >= 1; got {shape}")
        codes = codes.detach().to("cpu", torch.float64)
    if labels is not None:
        if codes is None:
            raise ValueError("labels were given without codes; pass the codes they label")
        if not isinstance(labels, torch.Tensor) or labels.shape != (len(codes),):
            shape = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
            raise ValueError(f"labels must have shape ({len(codes)},) like codes; got {shape}")
        labels = labels.detach().cpu()
    ranges = _axis_ranges(z_range, codes)
    device, dtype = _model_device(model), _model_dtype(model)

    if z is None:
        z = ((ranges[0][0] + ranges[0][1]) / 2, (ranges[1][0] + ranges[1][1]) / 2)
    is_pair = isinstance(z, tuple | list) and len(z) == 2
    if not is_pair or not all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) and low <= v <= high
        for v, (low, high) in zip(z, ranges)
    ):
        raise ValueError(
            f"z={z!r} must be None (the centre) or a pair of numbers (z_1, z_2) in the slider ranges {ranges}"
        )

    def slider(name: str, value: float, low: float, high: float, description: str) -> widgets.FloatSlider:
        return _float_slider(
            name, value, low, high, description, step=(high - low) / 100, readout_format=".2f"
        )

    controls = {"z1": slider("z[0]", z[0], *ranges[0], "z₁"), "z2": slider("z[1]", z[1], *ranges[1], "z₂")}

    def decode(z1: float, z2: float) -> torch.Tensor:
        code = torch.tensor([[z1, z2]], device=device, dtype=dtype)  # (1, 2)
        with _evaluating(model):
            image = model.decode(code)  # (1, 1, H, W)
        return image[0, 0].detach().cpu()  # (H, W)

    def draw(z1: float, z2: float) -> Figure:
        fig = Figure(figsize=(8.4, 3.9))
        ax_map, ax_img = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        if codes is not None:
            if labels is None:
                ax_map.scatter(codes[:, 0], codes[:, 1], s=4, color="#999999", alpha=0.6)
            else:
                for c in sorted(set(labels.tolist())):
                    chosen = labels == c
                    ax_map.scatter(codes[chosen, 0], codes[chosen, 1], s=4, alpha=0.6, label=str(c))
                ax_map.legend(
                    fontsize=7,
                    markerscale=2.5,
                    loc="center left",
                    bbox_to_anchor=(1.0, 0.5),
                    title="digit",
                    title_fontsize=7,
                )
        ax_map.plot([z1], [z2], marker="*", markersize=16, color="black", markeredgecolor="white")
        ax_map.set_xlim(*ranges[0])
        ax_map.set_ylim(*ranges[1])
        ax_map.set_xlabel("z₁")
        ax_map.set_ylabel("z₂")
        ax_map.set_title("code z (star) among the codes of real digits" if codes is not None else "code z")
        ax_img.imshow(decode(z1, z2).numpy(), cmap="gray", vmin=0, vmax=1)
        ax_img.set_xticks([])
        ax_img.set_yticks([])
        ax_img.set_title(f"decode(z), z = ({z1:.2f}, {z2:.2f})")
        fig.tight_layout()
        return fig

    def summarize(z1: float, z2: float) -> str:
        text = (
            f"z = ({z1:.2f}, {z2:.2f}): decoded image with mean intensity <b>{decode(z1, z2).mean():.3f}</b>"
        )
        if codes is not None:
            distances = (codes - torch.tensor([z1, z2], dtype=codes.dtype)).norm(dim=1)  # (N,)
            nearest = int(distances.argmin())
            who = f"a {int(labels[nearest])}" if labels is not None else f"code {nearest}"
            text += f"; nearest real code: {who} at distance <b>{float(distances[nearest]):.2f}</b>"
        return text

    return Explorer("Walk the 2-D latent space", controls, draw, summarize)


# --------------------------------------------------------------------------------------------- denoising


def denoising_explorer(
    models: Mapping[str, nn.Module],
    images: torch.Tensor,
    kind: str = "gaussian",
    noise_factor: float = 0.3,
    index: int = 0,
    seed: int = 0,
) -> Explorer:
    """Corrupt one image (kind, level and image under controls) and show each model's reconstruction.

    Args:
        models: name -> autoencoder mapping (N, C, H, W) to (N, C, H, W) in [0, 1], e.g. a plain and a
            denoising ``ConvAutoencoder``.
        images: (N, C, H, W) clean images in [0, 1]; the slider "image" picks one.
        kind: the starting corruption, one of :data:`lecture_lib.noise.NOISE_KINDS`.
        noise_factor: the starting level in [0, 1] (the standard deviation for Gaussian noise, the fraction
            of pixels for masking and salt-and-pepper).
        index: the starting image.
        seed: the corruption of image ``i`` is drawn from a generator seeded with ``seed + i``, so moving
            the level changes the amount of the same noise, not its draw.

    The figure shows the clean image, the corrupted input and the reconstructions, with the PSNR
    (:func:`psnr`) of each against the clean image; the summary repeats the numbers.

    Raises:
        TypeError: for a model that is not an ``nn.Module``, a bool or non-number level or index, a float
            index, or a ``seed`` that is not an integer.
        ValueError: for empty ``models``, ``images`` not (N, C, H, W), an unknown ``kind``, a
            ``noise_factor`` outside [0, 1] or an ``index`` outside [0, N - 1] (the sliders' ranges).

    Taught in: chapter "Autoencoders" (denoising autoencoders).
    """
    if not isinstance(models, Mapping) or not models:
        raise ValueError("models must be a non-empty mapping name -> nn.Module")
    for name, model in models.items():
        if not isinstance(model, nn.Module):
            raise TypeError(f"models[{name!r}] must be an nn.Module; got {type(model).__name__}")
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or len(images) == 0:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must have shape (N, C, H, W) with N >= 1; got {shape}")
    check_tensor("images", images, 4, dtype="floating", finite=True)
    if images.device.type != "meta" and (images.min() < 0 or images.max() > 1):
        raise ValueError(
            f"images has values in [{float(images.min()):.4g}, {float(images.max()):.4g}]; expected [0, 1]"
        )
    if kind not in NOISE_KINDS:
        raise ValueError(f"kind={kind!r} must be one of {NOISE_KINDS}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed={seed!r} must be an integer (image i is corrupted with seed + i)")
    seed = int(seed)
    images = images.detach()

    controls = {
        "kind": widgets.Dropdown(options=list(NOISE_KINDS), value=kind, description="noise"),
        "noise_factor": _float_slider("noise_factor", noise_factor, 0.0, 1.0, "level", step=0.05,
                                      readout_format=".2f"),
        "index": _int_slider("index", index, 0, len(images) - 1, "image"),
    }  # fmt: skip

    def compute(kind: str, noise_factor: float, index: int) -> dict[str, tuple[torch.Tensor, float]]:
        clean = images[index : index + 1]  # (1, C, H, W)
        generator = torch.Generator(device=clean.device).manual_seed(seed + index)
        noisy = add_noise(clean, noise_factor, kind=kind, generator=generator)  # (1, C, H, W)
        shown = {"clean": (clean, math.inf), "corrupted": (noisy, float(psnr(noisy, clean)[0]))}
        for name, model in models.items():
            with _evaluating(model):
                out = model(noisy.to(_model_device(model), _model_dtype(model)))  # (1, C, H, W)
            out = out.to(clean.device, clean.dtype)
            shown[name] = (out, float(psnr(out, clean)[0]))
        return shown

    def draw(kind: str, noise_factor: float, index: int) -> Figure:
        shown = compute(kind, noise_factor, index)
        fig = Figure(figsize=(2.3 * len(shown), 3.0), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(shown)))
        for ax, (name, (image, value)) in zip(axes, shown.items()):
            ax.imshow(image[0, 0].cpu().numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(name if name == "clean" else f"{name}\nPSNR {_db(value)} dB", fontsize=9)
        fig.suptitle(f"{kind} noise, level {noise_factor:.2f}, image {index}", fontsize=10)
        return fig

    def summarize(kind: str, noise_factor: float, index: int) -> str:
        shown = compute(kind, noise_factor, index)
        parts = [f"{name} <b>{_db(value)}</b> dB" for name, (_, value) in shown.items() if name != "clean"]
        return f"PSNR against the clean image: {', '.join(parts)}"

    return Explorer("Corrupt and denoise", controls, draw, summarize)

"""Explorer of the chapter "Initialisation": weight spectra and per-layer statistics of a deep stack of layers.

One weight matrix family (Xavier, He, small or large Gaussian, identity, np-RNN), times a scale, fills every
layer of a ``depth``-layer network of ``width`` units without biases. The layers are either independent
draws (a deep MLP) or one shared matrix (a recurrent network unrolled over ``depth`` steps, without inputs).
The figure shows the eigenvalues of the first layer's matrix next to the unit circle, the standard deviation
of the activations layer by layer on random inputs, and that of the back-propagated gradients.

Taught in: chapter "Initialisation".
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from .._validate import (
    check_bytes_budget,
    check_choice,
    check_dtype,
    check_int,
    check_real,
    check_same_device,
    check_same_dtype,
    describe,
)
from ..init import identity_, kaiming_normal_, np_rnn_, xavier_normal_
from ._core import Explorer, _check_float_tensor, _float_slider, _int_slider, _toggle

__all__ = ["INITS", "init_weight", "layer_statistics", "init_explorer"]

INITS = ("xavier", "he", "small", "large", "identity", "np-rnn")
"""The initialisations the explorer offers (see :func:`init_weight`)."""

_ACTIVATIONS = ("tanh", "relu", "linear")


def init_weight(
    init: str,
    width: int,
    scale: float = 1.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """One (width, width) weight matrix of the named initialisation, multiplied by ``scale``.

    Shapes: returns (width, width) on the CPU. Formulas: ``xavier`` N(0, 2 / (fan_in + fan_out)) (gain 1),
    ``he`` N(0, 2 / fan_in), ``small`` N(0, 0.01^2), ``large`` N(0, 1), ``identity`` I, ``np-rnn``
    (R^T R / width + I) / lambda_max, each times ``scale`` (for ``identity`` and ``np-rnn`` the scale is
    the spectral radius).

    Taught in: chapter "Initialisation".
    """
    check_choice("init", init, INITS)
    width = check_int("width", width, minimum=1)
    scale = check_real("scale", scale)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator={describe(generator)} must be a torch.Generator or None")
    check_dtype("dtype", dtype, allow_none=False)
    check_bytes_budget("width", width * width * torch.empty((), dtype=dtype).element_size(), limit=2**30)
    W = torch.empty(width, width, dtype=dtype)
    if init == "xavier":
        xavier_normal_(W, generator=generator)
    elif init == "he":
        kaiming_normal_(W, nonlinearity="relu", generator=generator)
    elif init == "small":
        W.normal_(0.0, 0.01, generator=generator)
    elif init == "large":
        W.normal_(0.0, 1.0, generator=generator)
    elif init == "identity":
        identity_(W)
    else:
        np_rnn_(W, generator=generator)
    return W.mul_(scale)


def layer_statistics(
    weights: list[torch.Tensor], x: torch.Tensor, activation: str = "tanh", v: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Standard deviation of the activations and of the back-propagated gradients, layer by layer.

    Shapes: ``weights`` a list of L matrices (H, H) (the same tensor repeated for shared weights),
    x (N, H), v (N, H) or None (a standard normal draw). Returns ``act_std`` (L,) with the std of
    h_l = f(h_{l-1} W_l^T), h_0 = x, l = 1..L, and ``grad_std`` (L,) with the std of dL/dh_l for the loss
    L = sum(v * h_L): g_L = v, g_{l-1} = (f'(a_l) * g_l) W_l (the backward pass written out).

    Taught in: chapter "Initialisation".
    """
    check_choice("activation", activation, _ACTIVATIONS)
    _check_float_tensor("x", x, 2)
    if x.numel() == 0:
        raise ValueError(f"x must not be empty; got {describe(x)}")
    H = x.shape[1]
    if isinstance(weights, torch.Tensor) or not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights={describe(weights)} must be a list of (H, H) tensors, one per layer")
    if not weights:
        raise ValueError("weights is empty; expected at least one (H, H) matrix")
    for i, W in enumerate(weights):
        _check_float_tensor(f"weights[{i}]", W, 2)
        if tuple(W.shape) != (H, H):
            raise ValueError(
                f"weights[{i}] has shape {tuple(W.shape)}; expected (H, H) = ({H}, {H}) with H = x.shape[1]"
            )
        check_same_device(x=x, **{f"weights[{i}]": W})
        check_same_dtype(x=x, **{f"weights[{i}]": W})
    if v is not None:
        _check_float_tensor("v", v, 2)
        if v.shape != x.shape:
            raise ValueError(f"v has shape {tuple(v.shape)}; expected the shape of x, {tuple(x.shape)}")
        check_same_device(x=x, v=v)
        check_same_dtype(x=x, v=v)
    h, slopes, act_std = x, [], []
    for W in weights:
        a = h @ W.T  # (N, H)
        if activation == "tanh":
            h = torch.tanh(a)
            slopes.append(1 - h * h)
        elif activation == "relu":
            h = torch.relu(a)
            slopes.append((a > 0).to(a.dtype))
        else:
            h = a
            slopes.append(torch.ones_like(a))
        act_std.append(h.std())
    g = torch.randn_like(h) if v is None else v  # (N, H): dL/dh_L
    grad_std = [g.std()]
    for W, slope in zip(weights[:0:-1], slopes[:0:-1]):
        g = (g * slope) @ W  # (N, H): dL/dh_{l-1}
        grad_std.append(g.std())
    return torch.stack(act_std), torch.stack(grad_std[::-1])


def _positive(values: np.ndarray) -> np.ndarray:
    """Values for a log axis: zeros and non-finite values become NaN (not drawn)."""
    out = values.astype(float).copy()
    out[~np.isfinite(out) | (out <= 0)] = np.nan
    return out


def init_explorer(
    init: str = "xavier",
    activation: str = "tanh",
    depth: int = 20,
    width: int = 128,
    scale: float = 1.0,
    shared: bool = False,
) -> Explorer:
    """Choose an initialisation, a nonlinearity, depth, width and a scale; see spectrum and per-layer stds.

    Slider ranges: depth 2..50, width 16..256 (steps of 16), scale 0.25..2.0.

    Raises:
        ValueError: for an unknown ``init`` or ``activation`` and for a starting value off its slider
            (ipywidgets would clamp it silently).

    Taught in: chapter "Initialisation".
    """
    cache: dict[tuple, tuple[list[torch.Tensor], np.ndarray, torch.Tensor, torch.Tensor]] = {}

    def network(init: str, width: int, depth: int, shared: bool):
        """Unscaled weights, eigenvalues of the first matrix, inputs and output gradient (cached)."""
        key = (init, width, depth, shared)
        if key not in cache:
            g = torch.Generator().manual_seed(1)
            draws = [init_weight(init, width, generator=g) for _ in range(1 if shared else depth)]
            weights = draws * depth if shared else draws
            if init in ("identity", "np-rnn"):  # symmetric: real eigenvalues, a cheaper solver
                eig = torch.linalg.eigvalsh(draws[0]).numpy().astype(complex)
            else:
                eig = torch.linalg.eigvals(draws[0]).numpy()
            data = torch.Generator().manual_seed(0)
            x = torch.randn(64, width, generator=data, dtype=torch.float64)  # (N, H)
            v = torch.randn(64, width, generator=data, dtype=torch.float64)  # (N, H)
            cache.clear()
            cache[key] = (weights, eig, x, v)
        return cache[key]

    last: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def compute(init: str, activation: str, depth: int, width: int, scale: float, shared: bool):
        key = (init, activation, depth, width, scale, shared)
        if key not in last:  # draw() and summarize() of one state share the computation
            weights, eig, x, v = network(init, width, depth, shared)
            act, grad = layer_statistics([W * scale for W in weights], x, activation, v)
            last.clear()
            last[key] = (eig * scale, act.numpy(), grad.numpy())  # eig(c W) = c eig(W)
        return last[key]

    def draw(**state: Any) -> Figure:
        eig, act, grad = compute(**state)
        fig = Figure(figsize=(12, 3.6), layout="constrained")
        ax_eig, ax_act, ax_grad = fig.subplots(1, 3)
        circle = np.exp(1j * np.linspace(0, 2 * np.pi, 200))
        ax_eig.plot(circle.real, circle.imag, color="0.6", lw=1, label="unit circle")
        ax_eig.scatter(eig.real, eig.imag, s=6, color="#4C72B0", label="eigenvalues")
        lim = max(1.2, 1.1 * float(np.abs(eig).max()))
        ax_eig.set(
            xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xlabel="real part", ylabel="imaginary part"
        )
        ax_eig.set_title(f"spectrum of W (radius {np.abs(eig).max():.2f})")
        ax_eig.legend(loc="upper left", fontsize=8)
        layers = np.arange(1, len(act) + 1)
        ax_act.semilogy(layers, _positive(act), "o-", ms=3, color="#55A868")
        ax_act.set(xlabel="layer", ylabel="std of activations", title="forward: activations")
        ax_grad.semilogy(layers, _positive(grad), "o-", ms=3, color="#DD8452")
        ax_grad.set(xlabel="layer", ylabel="std of dL/dh", title="backward: gradients")
        for ax in (ax_act, ax_grad):
            ax.grid(True, which="major", alpha=0.3)
        return fig

    def summarize(**state: Any) -> str:
        eig, act, grad = compute(**state)
        kind = "shared (an RNN unrolled)" if state["shared"] else "independent"
        return (
            f"{state['init']} × {state['scale']:.2f}, {state['activation']}, {state['depth']} {kind} layers of "
            f"width {state['width']}: spectral radius <b>{np.abs(eig).max():.3g}</b>; activation std layer 1 → "
            f"{state['depth']}: <b>{act[0]:.3g} → {act[-1]:.3g}</b>; gradient std layer {state['depth']} → 1: "
            f"<b>{grad[-1]:.3g} → {grad[0]:.3g}</b>"
        )

    if init not in INITS:
        raise ValueError(f"init={init!r} is not supported; expected one of {INITS}")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation={activation!r} is not supported; expected one of {_ACTIVATIONS}")
    controls = {
        "init": widgets.Dropdown(options=list(INITS), value=init, description="init"),
        "activation": widgets.ToggleButtons(options=list(_ACTIVATIONS), value=activation, description="f"),
        "depth": _int_slider("depth", depth, 2, 50, "depth"),
        "width": _int_slider("width", width, 16, 256, "width", step=16),
        "scale": _float_slider("scale", scale, 0.25, 2.0, "scale", step=0.05),
        "shared": _toggle(
            "shared", shared, [("independent layers", False), ("shared (RNN)", True)], "weights"
        ),
    }
    return Explorer("Initialisation: spectrum and per-layer statistics", controls, draw, summarize)

"""Weight initialisation by hand: Xavier/Glorot, He/Kaiming, identity (IRNN) and np-RNN.

Every function fills its tensor in place under ``torch.no_grad()`` and returns it, like ``torch.nn.init``,
and takes the same arguments (``gain``, ``mode``, ``nonlinearity``, ``generator``), so one can be swapped
for the other. Random draws use the tensor's own ``uniform_`` / ``normal_`` with ``generator`` (which must
live on the tensor's device, as in torch); the variances and fans are computed here.

Tensors to fill must have a floating dtype (float16 and bfloat16 included, as in torch.nn.init); integer,
bool and complex tensors are refused with ``TypeError``, as is a ``generator`` that is not a torch.Generator.

Fans (as torch computes them, for weights used as ``x @ W.T``): a tensor of shape ``(out, in, *kernel)`` has
fan_in = in * prod(kernel) and fan_out = out * prod(kernel).

Taught in: chapter "Initialisation".
"""

from __future__ import annotations

import math
import numbers

import torch

from ._validate import check_tensor, describe

__all__ = [
    "calculate_fans",
    "calculate_gain",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_normal_",
    "identity_",
    "np_rnn_",
]

_LINEAR_LIKE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def _check_tensor(tensor: object) -> torch.Tensor:
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
    return tensor


def _check_weight(tensor: object, generator: object = None) -> torch.Tensor:
    """A tensor to fill: floating (float16 and bfloat16 included, as torch.nn.init), not int, bool or complex;
    ``generator`` None or a torch.Generator on the tensor's device type."""
    check_tensor("tensor", tensor, dtype="floating")
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise TypeError(
                f"generator={describe(generator)} must be a torch.Generator or None, "
                f"not {type(generator).__name__}"
            )
        if tensor.device.type != "meta" and generator.device.type != tensor.device.type:
            raise ValueError(
                f"generator is on {generator.device} but tensor is on {tensor.device}; create it with "
                "torch.Generator(device=tensor.device)"
            )
    return tensor


def _check_gain(gain: object, nonnegative: bool) -> float:
    if isinstance(gain, bool) or not isinstance(gain, numbers.Real) or not math.isfinite(gain):
        raise ValueError(f"gain={gain!r} must be a finite real number")
    if nonnegative and gain < 0:
        raise ValueError(f"gain={gain!r} must be >= 0 (it scales a standard deviation)")
    return float(gain)


def calculate_fans(tensor: torch.Tensor) -> tuple[int, int]:
    """Return (fan_in, fan_out) of a weight tensor of shape ``(out, in, *kernel)``.

    Formula: receptive = prod(kernel) (1 for a matrix); fan_in = in * receptive, fan_out = out * receptive.
    Same numbers as torch.nn.init's private ``_calculate_fan_in_and_fan_out``.

    Taught in: chapter "Initialisation".
    """
    _check_tensor(tensor)
    if tensor.ndim < 2:
        raise ValueError(
            f"tensor has shape {tuple(tensor.shape)}; fan_in and fan_out need at least 2 dimensions "
            "(out_features, in_features, *kernel)"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps activations' variance for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    Formula: 1 for linear, convolutions and sigmoid; 5/3 for tanh; sqrt(2) for relu;
    sqrt(2 / (1 + a^2)) for leaky_relu with slope a (``param``, default 0.01); 3/4 for selu.
    ``param``, when given, must be a finite real number (an infinite slope would give a gain of 0), for
    every nonlinearity although only leaky_relu uses it.

    Taught in: chapter "Initialisation".
    """
    if param is not None and (
        isinstance(param, bool) or not isinstance(param, numbers.Real) or not math.isfinite(param)
    ):
        raise ValueError(f"param={param!r} must be a finite real number (the negative slope of leaky_relu)")
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        else:
            slope = float(param)
        if abs(slope) > 1e100:  # slope**2 would overflow a float
            return math.sqrt(2.0) / math.hypot(1.0, slope)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    known = (*_LINEAR_LIKE, "tanh", "relu", "leaky_relu", "selu")
    raise ValueError(f"nonlinearity={nonlinearity!r} is not supported; expected one of {known}")


def xavier_uniform_(
    tensor: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Fill ``tensor`` in place with U(-a, a), Glorot & Bengio (2010); returns it. Any shape with ndim >= 2.

    Formula: a = gain * sqrt(6 / (fan_in + fan_out)), so Var = a^2 / 3 = gain^2 * 2 / (fan_in + fan_out).

    Taught in: chapter "Initialisation".
    """
    _check_weight(tensor, generator)
    fan_in, fan_out = calculate_fans(tensor)
    if tensor.numel() == 0:  # nothing to fill (torch warns and returns it too)
        return tensor
    bound = _check_gain(gain, nonnegative=True) * math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def xavier_normal_(
    tensor: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Fill ``tensor`` in place with N(0, std^2), Glorot & Bengio (2010); returns it. Any shape with ndim >= 2.

    Formula: std = gain * sqrt(2 / (fan_in + fan_out)).

    Taught in: chapter "Initialisation".
    """
    _check_weight(tensor, generator)
    fan_in, fan_out = calculate_fans(tensor)
    if tensor.numel() == 0:
        return tensor
    std = _check_gain(gain, nonnegative=True) * math.sqrt(2.0 / (fan_in + fan_out))
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)


def kaiming_normal_(
    tensor: torch.Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Fill ``tensor`` in place with N(0, std^2), He et al. (2015); returns it. Any shape with ndim >= 2.

    Formula: std = gain / sqrt(fan), fan = fan_in (``mode="fan_in"``, keeps the forward variance) or fan_out
    (``"fan_out"``, keeps the backward variance), gain = ``calculate_gain(nonlinearity, a)``; with the
    defaults (leaky_relu, a = 0) that is sqrt(2 / fan_in), the relu case. ``a`` must be a finite real
    number (``a=inf`` would fill zeros).

    Taught in: chapter "Initialisation".
    """
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode={mode!r} is not supported; expected 'fan_in' or 'fan_out'")
    if isinstance(a, bool) or not isinstance(a, numbers.Real) or not math.isfinite(a):
        raise ValueError(f"a={a!r} must be a finite real number (the negative slope of leaky_relu)")
    _check_weight(tensor, generator)
    fan_in, fan_out = calculate_fans(tensor)
    if tensor.numel() == 0:
        return tensor
    fan = fan_in if mode == "fan_in" else fan_out
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)


def identity_(tensor: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    """Set a matrix in place to gain * I (the IRNN of Le, Jaitly & Hinton 2015); returns it.

    Shapes: tensor, the recurrent matrix W (H, H) (a rectangular (m, n) matrix gets ones on its main
    diagonal, as ``nn.init.eye_``).
    With relu units, W_rec = I and b = 0 make the network copy its state forward at the start of
    training: every eigenvalue is 1, so gradients are neither attenuated nor amplified through time while
    the relu units stay active (a unit that switches off cuts the gradient through it).

    Taught in: chapter "Initialisation".
    """
    _check_weight(tensor)
    if tensor.ndim != 2:
        raise ValueError(f"tensor has shape {tuple(tensor.shape)}; identity_ expects a 2-d matrix")
    gain = _check_gain(gain, nonnegative=False)
    with torch.no_grad():
        tensor.zero_()
        tensor.diagonal().fill_(gain)
    return tensor


def np_rnn_(tensor: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill a square matrix in place with the np-RNN initialisation of Talathi & Vartak (2015); returns it.

    Shapes: tensor, the recurrent matrix W (H, H). Formula: R ~ N(0, 1) of shape (H, H), A = R^T R / H,
    W = (A + I) / lambda_max(A + I).
    A is symmetric positive semi-definite, so the eigenvalues of A + I are >= 1 and those of W lie in
    [1 / lambda_max, 1]: the largest is 1 (to rounding in W's dtype), the others in (0, 1). (The slide's
    "(1/lambda_max) B + I" must be read as (B + I) / lambda_max: the former has eigenvalues above 1.)
    R is drawn on the tensor's device with its dtype (``generator`` must live there); the rest is computed in
    float64 on the CPU and symmetrised, so W equals W.T exactly.

    Taught in: chapter "Initialisation".
    """
    _check_weight(tensor, generator)
    if tensor.ndim != 2 or tensor.shape[0] != tensor.shape[1] or tensor.shape[0] == 0:
        raise ValueError(
            f"tensor has shape {tuple(tensor.shape)}; np_rnn_ expects a square (H, H) matrix with H >= 1"
        )
    n = tensor.shape[0]
    if tensor.device.type == "meta":  # shapes only: nothing to fill (as torch.nn.init on a meta tensor)
        return tensor
    with torch.no_grad():
        R = torch.empty_like(tensor).normal_(generator=generator).to("cpu", torch.float64)  # (H, H)
        B = R.T @ R / n + torch.eye(n, dtype=torch.float64)  # (H, H), A + I
        B = (B + B.T) / 2  # exactly symmetric
        lam_max = torch.linalg.eigvalsh(B)[-1]
        tensor.copy_(B / lam_max)
    return tensor

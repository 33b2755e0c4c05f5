"""Bicubic upsampling by hand: Keys' cubic convolution kernel, its 1-D interpolation matrix, and the 2-D
upsampling it gives when applied to rows and columns.

=====================  =============================================================================
here                   PyTorch
=====================  =============================================================================
``cubic_kernel``       (the weights inside ``F.interpolate(mode="bicubic")``, which uses ``a = -0.75``)
``bicubic_matrix``     ``F.interpolate(x, size=out_size, mode="bicubic")`` on one axis, as a matrix
``bicubic_upsample``   ``F.interpolate(x, scale_factor=s, mode="bicubic", align_corners=...)``
=====================  =============================================================================

Taught in: chapter upsampling (bicubic interpolation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ._validate import check_bool, check_device, check_real, check_tensor, describe
from .upsample import _check_4d, _check_bytes, _floating_dtype, _is_int, _real_pair

__all__ = ["bicubic_matrix", "bicubic_upsample", "cubic_kernel"]

#: the kernel parameter of PyTorch's (and OpenCV's) bicubic mode; Keys' own choice is -0.5
TORCH_A = -0.75


def cubic_kernel(t: torch.Tensor, a: float = TORCH_A) -> torch.Tensor:
    """Keys' cubic convolution kernel ``W(t)``, evaluated elementwise.

    Shapes: ``t`` any shape -> the same shape.

    Formula (Keys 1981), with ``d = |t|``::

        W(t) = (a + 2) d^3 - (a + 3) d^2 + 1          for d <= 1
        W(t) = a d^3 - 5a d^2 + 8a d - 4a              for 1 < d < 2
        W(t) = 0                                       for d >= 2

    ``W(0) = 1`` and ``W(±1) = W(±2) = 0``, so sampling at the input pixels returns the input
    (interpolation); ``W`` and its slope are continuous for every ``a``; ``W`` is negative for
    ``1 < d < 2`` when ``a < 0`` (the lobes that make bicubic outputs overshoot). ``a = -0.5`` makes the
    interpolation exact for quadratics (Keys' choice, the Catmull-Rom spline); PyTorch and OpenCV use
    ``a = -0.75``.

    Args:
        t: distances from the sample point in input-pixel units, a floating tensor.
        a: the kernel parameter, a finite real number (default ``-0.75``, PyTorch's).

    Taught in: chapter upsampling (bicubic interpolation, the kernel drawn).
    """
    check_tensor("t", t, dtype="floating")
    a = check_real("a", a)
    d = t.abs()
    inner = ((a + 2) * d - (a + 3)) * d * d + 1  # d <= 1
    outer = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a  # 1 < d < 2
    return torch.where(d <= 1, inner, torch.where(d < 2, outer, torch.zeros_like(d)))


def bicubic_matrix(
    in_size: int,
    out_size: int,
    align_corners: bool = False,
    scale_factor: float | None = None,
    *,
    a: float = TORCH_A,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The 1-D cubic-convolution matrix ``A`` (out_size, in_size): ``y = A @ x`` resamples a signal.

    Row ``j`` holds the weights of output sample ``j``. Its source coordinate ``u`` (input pixel ``i`` at
    ``u = i``) is, as for bilinear interpolation,

    * ``align_corners=False``: ``u = (j + 1/2) / s - 1/2`` with ``s`` the ``scale_factor`` when given,
      otherwise ``out_size / in_size``. Unlike the bilinear mode, ``u`` is *not* clamped at 0 and an axis
      whose size does not change is not left alone (PyTorch's bicubic kernel does neither).
    * ``align_corners=True``: ``u = j (in_size - 1) / (out_size - 1)`` (``u = 0`` when ``out_size == 1``).

    With ``i0 = floor(u)`` and ``t = u - i0`` the four taps are the inputs ``i0 - 1, i0, i0 + 1, i0 + 2``
    with weights ``W(t + 1), W(t), W(1 - t), W(2 - t)`` of :func:`cubic_kernel`. A tap outside
    ``[0, in_size - 1]`` reads the nearest edge pixel (its weight is added to the edge column). Every row
    sums to 1; weights can be negative.

    The weights are computed in ``dtype`` (float64 reproduces PyTorch's float64 result to rounding);
    ``dtype`` defaults to ``torch.get_default_dtype()``.

    Args:
        in_size, out_size: the lengths of the input and output signals, positive ints.
        align_corners: which source-coordinate convention (a bool).
        scale_factor: one positive number, or None for ``out_size / in_size``; unused with
            ``align_corners=True``.
        a: the kernel parameter (default ``-0.75``, PyTorch's).
        dtype, device: of the returned matrix.

    Taught in: chapter upsampling (bicubic interpolation).
    """
    for name, v in (("in_size", in_size), ("out_size", out_size)):
        if not _is_int(v) or v < 1:
            error = ValueError if _is_int(v) else TypeError
            raise error(f"{name}={describe(v)} must be a positive int")
    check_bool("align_corners", align_corners)
    if scale_factor is not None:
        if isinstance(scale_factor, Sequence) and not isinstance(scale_factor, str):
            raise TypeError(f"scale_factor={scale_factor!r} must be one number: bicubic_matrix is one axis")
        scale_factor = _real_pair(scale_factor, "scale_factor")[0]
    a = check_real("a", a)
    dtype = _floating_dtype(dtype)
    device = check_device("device", device)
    _check_bytes(f"in_size={in_size} and out_size={out_size} (the matrix A)", in_size * out_size, dtype)
    j = torch.arange(out_size, dtype=dtype, device=device)  # (out,)
    if align_corners:
        u = j * ((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
    else:
        step = 1.0 / scale_factor if scale_factor is not None else in_size / out_size
        u = (j + 0.5) * step - 0.5  # not clamped: the taps reach past the edge and are clamped instead
    i0 = u.floor()  # (out,)
    t = u - i0  # (out,), in [0, 1)
    offsets = torch.arange(-1, 3, dtype=dtype, device=device)  # the four taps i0 - 1 ... i0 + 2
    weights = cubic_kernel(t[:, None] - offsets[None, :], a)  # (out, 4): W(t + 1), W(t), W(1 - t), W(2 - t)
    columns = (i0[:, None] + offsets[None, :]).long().clamp(0, in_size - 1)  # (out, 4), edge replicated
    matrix = torch.zeros(out_size, in_size, dtype=dtype, device=device)
    matrix.scatter_add_(1, columns, weights)
    return matrix  # (out, in)


def bicubic_upsample(
    x: torch.Tensor,
    scale_factor: float | tuple[float, float],
    align_corners: bool = False,
    *,
    a: float = TORCH_A,
) -> torch.Tensor:
    """Bicubic upsampling written out as cubic-convolution weights, applied separably to rows and columns.

    Shapes: ``x`` (N, C, H, W) -> (N, C, floor(s_h*H), floor(s_w*W)).

    Formula: ``out = A_h @ x @ A_w^T`` with the 1-D matrices of :func:`bicubic_matrix`. Each output pixel
    is a weighted sum of a 4 x 4 neighbourhood of input pixels, weights ``W(t_r - p) W(t_c - q)`` for
    ``p, q in {-1, 0, 1, 2}`` with ``t_r, t_c`` the fractional parts of its source coordinates and ``W`` the
    kernel of :func:`cubic_kernel`. The weights sum to 1 but some are negative, so an output can leave the
    range of the input (overshoot next to an edge).

    Equals ``F.interpolate(x, scale_factor=s, mode="bicubic", align_corners=align_corners)`` for the
    default ``a = -0.75`` (also for non-integer ``s``; ``s < 1`` shrinks without antialiasing, like
    PyTorch). Weights are computed in float64 for float64 input and in float32 otherwise.

    Args:
        x: input batch, floating dtype.
        scale_factor: positive number or pair ``(s_h, s_w)``.
        align_corners: which source-coordinate convention (a bool; see :func:`bicubic_matrix`).
        a: the kernel parameter (default ``-0.75``, PyTorch's; ``-0.5`` is Keys' and Pillow's).

    Taught in: chapter upsampling (bicubic interpolation).
    """
    _check_4d(x)
    if not x.dtype.is_floating_point:
        raise TypeError(f"x must have a floating dtype for bicubic interpolation; got {x.dtype}")
    sh, sw = _real_pair(scale_factor, "scale_factor")
    check_bool("align_corners", align_corners)
    a = check_real("a", a)
    n, c, h, w = x.shape
    h_out, w_out = math.floor(h * sh), math.floor(w * sw)
    wdtype = torch.promote_types(x.dtype, torch.float32)
    _check_bytes(
        f"scale_factor={scale_factor!r} on x of shape {tuple(x.shape)} (output {h_out} x {w_out})",
        max(n * c * h_out * w_out, h_out * h, w_out * w, n * c * h_out * w),
        wdtype,
    )
    if h_out < 1 or w_out < 1:
        raise ValueError(
            f"scale_factor={scale_factor!r} turns the spatial size {(h, w)} into {(h_out, w_out)}; "
            "the output needs at least one pixel per dimension"
        )
    a_h = bicubic_matrix(h, h_out, align_corners, sh, a=a, dtype=wdtype, device=x.device)  # (H_out, H)
    a_w = bicubic_matrix(w, w_out, align_corners, sw, a=a, dtype=wdtype, device=x.device)  # (W_out, W)
    out = a_h @ x.to(wdtype) @ a_w.T  # (N, C, H_out, W_out)
    return out.to(x.dtype)

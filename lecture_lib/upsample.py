"""Upsampling by hand: unpooling (nearest, bed of nails, max-unpooling with switches), bilinear interpolation
and the bilinear initialisation of a transposed convolution.

Every function takes a batch of feature maps ``(N, C, H, W)`` and follows the device and dtype of its input.
Each has a PyTorch twin that the tests compare it with in float64:

=============================  ===============================================================
here                           PyTorch
=============================  ===============================================================
``nearest_upsample``           ``F.interpolate(x, scale_factor=s, mode="nearest")``
``bed_of_nails_upsample``      ``F.max_unpool2d`` with every switch at the top-left of its block
``max_pool2d_with_switches``   ``F.max_pool2d(x, k, s, return_indices=True)``
``max_unpool2d``               ``F.max_unpool2d(x, indices, k, s, p, output_size=...)``
``bilinear_upsample``          ``F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=...)``
``bilinear_kernel``            (FCN's ``upsample_filt``; used as a ``nn.ConvTranspose2d`` weight)
=============================  ===============================================================

Taught in: chapter upsampling.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch

from ._validate import check_bool, check_bytes_budget, check_device, check_tensor, describe

__all__ = [
    "bed_of_nails_upsample",
    "bilinear_kernel",
    "bilinear_matrix",
    "bilinear_upsample",
    "max_pool2d_with_switches",
    "max_unpool2d",
    "nearest_upsample",
]


# ----------------------------------------------------------------------------------------------------------
# argument checks (shared with lecture_lib.checkerboard)
# ----------------------------------------------------------------------------------------------------------
def _is_int(v: object) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _check_4d(x: object, name: str = "x", dtype: str = "real") -> torch.Tensor:
    """A (N, C, H, W) tensor of a real dtype (``dtype="floating"``: floating only); bool and complex refused."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, C, H, W); got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W) (4 dimensions); got shape {tuple(x.shape)}")
    check_tensor(name, x, dtype=dtype)
    return x


#: the largest tensor one call here may create (a typo such as scale_factor=2**40 must not ask for terabytes)
_MAX_BYTES = 2**32


def _check_bytes(what: str, numel: int, dtype: torch.dtype) -> None:
    """Refuse, before allocating, a result of ``numel`` elements above ``_MAX_BYTES``; ``what`` names the cause."""
    check_bytes_budget(what, numel * dtype.itemsize, _MAX_BYTES)


def _int_pair(value: object, name: str, minimum: int = 1) -> tuple[int, int]:
    """``value`` as a pair of ints >= ``minimum``; an int ``v`` means ``(v, v)``."""
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2 or not all(_is_int(v) for v in value):
            raise TypeError(f"{name}={value!r} must be an int or a pair of ints")
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name}={value!r} must be an int or a pair of ints; got {type(value).__name__}")
    if min(pair) < minimum:
        raise ValueError(f"{name}={value!r} must be >= {minimum} (in both dimensions)")
    return pair


def _floating_dtype(dtype: object) -> torch.dtype:
    """``dtype`` itself, or the default dtype for None; anything else than a floating torch.dtype raises."""
    if dtype is None:
        return torch.get_default_dtype()
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype={dtype!r} must be a floating torch.dtype (e.g. torch.float64) or None")
    return dtype


def _real_pair(value: object, name: str) -> tuple[float, float]:
    """``value`` as a pair of finite reals > 0; a number ``v`` means ``(v, v)``."""

    def ok(v: object) -> bool:
        return isinstance(v, numbers.Real) and not isinstance(v, bool)

    if ok(value):
        pair = (float(value), float(value))
    elif isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2 or not all(ok(v) for v in value):
            raise TypeError(f"{name}={value!r} must be a positive number or a pair of positive numbers")
        pair = (float(value[0]), float(value[1]))
    else:
        raise TypeError(
            f"{name}={value!r} must be a positive number or a pair of them; got {type(value).__name__}"
        )
    if not all(math.isfinite(v) and v > 0 for v in pair):
        raise ValueError(f"{name}={value!r} must be finite and > 0 (in both dimensions)")
    return pair


# ----------------------------------------------------------------------------------------------------------
# unpooling
# ----------------------------------------------------------------------------------------------------------
def nearest_upsample(x: torch.Tensor, scale_factor: int | tuple[int, int]) -> torch.Tensor:
    """Nearest-neighbour upsampling by an integer factor: every pixel becomes an ``s_h x s_w`` block.

    Shapes: ``x`` (N, C, H, W) -> (N, C, s_h*H, s_w*W).

    Formula: ``out[n, c, i, j] = x[n, c, i // s_h, j // s_w]``.

    Equals ``F.interpolate(x, scale_factor=s, mode="nearest")``; gradients flow (each input pixel receives
    the sum of the gradients of its block).

    Args:
        x: input batch, a real dtype (floating or integer; bool and complex are refused).
        scale_factor: positive int, or a pair ``(s_h, s_w)`` of positive ints.

    Taught in: chapter upsampling (unpooling).
    """
    _check_4d(x)
    sh, sw = _int_pair(scale_factor, "scale_factor")
    n, c, h, w = x.shape
    _check_bytes(
        f"scale_factor={scale_factor!r} on x of shape {tuple(x.shape)}", n * c * h * sh * w * sw, x.dtype
    )
    blocks = x[:, :, :, None, :, None].expand(n, c, h, sh, w, sw)  # (N, C, H, s_h, W, s_w)
    return blocks.reshape(n, c, h * sh, w * sw)  # (N, C, s_h*H, s_w*W)


def bed_of_nails_upsample(x: torch.Tensor, scale_factor: int | tuple[int, int]) -> torch.Tensor:
    """Bed-of-nails upsampling: each value at the top-left corner of its ``s_h x s_w`` block, zeros elsewhere.

    Shapes: ``x`` (N, C, H, W) -> (N, C, s_h*H, s_w*W).

    Formula: ``out[n, c, i, j] = x[n, c, i / s_h, j / s_w]`` if ``s_h | i`` and ``s_w | j``, else 0.
    It is max-unpooling with every switch at the top-left of its window, and the zero-insertion step of a
    transposed convolution (up to the trailing zeros).

    Args:
        x: input batch, a real dtype (floating or integer; bool and complex are refused).
        scale_factor: positive int, or a pair ``(s_h, s_w)`` of positive ints.

    Taught in: chapter upsampling (unpooling).
    """
    _check_4d(x)
    sh, sw = _int_pair(scale_factor, "scale_factor")
    n, c, h, w = x.shape
    _check_bytes(
        f"scale_factor={scale_factor!r} on x of shape {tuple(x.shape)}", n * c * h * sh * w * sw, x.dtype
    )
    out = torch.zeros(n, c, h * sh, w * sw, dtype=x.dtype, device=x.device)  # (N, C, s_h*H, s_w*W)
    out[:, :, ::sh, ::sw] = x
    return out


def max_pool2d_with_switches(
    input: torch.Tensor, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Max pooling that also returns the "switches": where in the input each maximum was found.

    Shapes: ``input`` (N, C, H, W) -> ``pooled`` and ``switches`` both (N, C, H_out, W_out), with
    ``H_out = (H - k_h) // s_h + 1`` and ``W_out = (W - k_w) // s_w + 1`` (no padding, floor mode).

    Formula: ``pooled[n, c, p, q] = max over the window rows p*s_h ... p*s_h + k_h - 1, columns
    q*s_w ... q*s_w + k_w - 1``; ``switches[n, c, p, q] = row * W + col`` of that maximum, a flat index into
    the H x W plane, the convention of ``F.max_pool2d(..., return_indices=True)``. On ties the first
    maximum in row-major order within the window wins (as in PyTorch).

    The arguments are the first three of ``F.max_pool2d``; the lecture's pooling has no padding, dilation or
    ceil mode, so there are none here.

    DeconvNet (Noh et al. 2015) keeps these switches in the encoder and hands them to :func:`max_unpool2d`
    in the decoder.

    Args:
        input: input batch (a real dtype).
        kernel_size: window size, int or pair.
        stride: step between windows, int or pair; ``None`` means ``kernel_size`` (non-overlapping windows).

    Taught in: chapter upsampling (max-unpooling).
    """
    _check_4d(input, "input")
    kh, kw = _int_pair(kernel_size, "kernel_size")
    sh, sw = (kh, kw) if stride is None else _int_pair(stride, "stride")
    n, c, h, w = input.shape
    if h < kh or w < kw:
        raise ValueError(
            f"kernel_size={(kh, kw)} does not fit in the input of spatial size {(h, w)} "
            f"(input has shape {tuple(input.shape)})"
        )
    windows = input.unfold(2, kh, sh).unfold(3, kw, sw)  # (N, C, H_out, W_out, k_h, k_w)
    h_out, w_out = windows.shape[2], windows.shape[3]
    pooled, local = windows.reshape(n, c, h_out, w_out, kh * kw).max(dim=-1)  # (N, C, H_out, W_out) each
    rows = torch.arange(h_out, device=input.device)[:, None] * sh + local // kw  # (N, C, H_out, W_out)
    cols = torch.arange(w_out, device=input.device)[None, :] * sw + local % kw  # (N, C, H_out, W_out)
    return pooled, rows * w + cols


def max_unpool2d(
    input: torch.Tensor,
    indices: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    output_size: Sequence[int] | torch.Size | None = None,
) -> torch.Tensor:
    """Max-unpooling: put every value back at the position its switch remembers, zeros everywhere else.

    Same arguments and result as ``F.max_unpool2d`` for a batch. Shapes: ``input`` and ``indices``
    (N, C, h, w) -> (N, C, H, W). Where PyTorch lets it through, this refuses an unbatched (C, h, w) input,
    a negative padding, an ``output_size`` whose N and C differ from the input's, and an empty output.

    Formula: ``out[n, c].flatten()[indices[n, c, p, q]] = input[n, c, p, q]``, all other entries 0. Two
    switches that point at the same position (overlapping pooling windows) carry the same maximum, so the
    order does not matter.

    Where each value goes is the switches' business alone: ``kernel_size``, ``stride`` and ``padding`` only
    fix the default output size, the size the pooling came from when nothing was cut off,
    ``H = (h - 1) * s_h - 2 * p_h + k_h`` (and likewise W). When floor division in the pooling dropped
    rows or columns, pass the size of the tensor that was pooled as ``output_size``; as in PyTorch it must
    lie strictly within ``stride`` of the default.

    Args:
        input: pooled values, e.g. the first output of :func:`max_pool2d_with_switches`.
        indices: the switches, an integer tensor of the same shape: flat indices ``row * W + col`` into the
            H x W plane (any integer dtype; ``F.max_unpool2d`` itself wants ``torch.int64``).
        kernel_size: window size of the pooling, int or pair.
        stride: step of the pooling, int or pair; ``None`` means ``kernel_size``.
        padding: padding of the pooling, int or pair.
        output_size: ``(H, W)`` or the full shape ``(N, C, H, W)`` of the tensor that was pooled; ``None``
            means the default size above.

    Taught in: chapter upsampling (max-unpooling).
    """
    _check_4d(input, "input")
    if not isinstance(indices, torch.Tensor):
        raise TypeError(f"indices must be a torch.Tensor; got {type(indices).__name__}")
    if indices.shape != input.shape:
        raise ValueError(
            f"indices must have the shape of input {tuple(input.shape)}; got {tuple(indices.shape)}"
        )
    if indices.dtype.is_floating_point or indices.dtype.is_complex or indices.dtype == torch.bool:
        raise TypeError(f"indices must be an integer tensor (torch.int64); got dtype {indices.dtype}")
    if indices.device != input.device:  # a meta tensor among real ones would give uninitialised memory
        raise ValueError(
            f"indices is on {indices.device} but input is on {input.device}; they must share a device"
        )
    kh, kw = _int_pair(kernel_size, "kernel_size")
    sh, sw = (kh, kw) if stride is None else _int_pair(stride, "stride")
    ph, pw = _int_pair(padding, "padding", minimum=0)
    default = ((input.shape[2] - 1) * sh - 2 * ph + kh, (input.shape[3] - 1) * sw - 2 * pw + kw)
    if output_size is None:
        h_out, w_out = default
        if min(default) < 1:
            raise ValueError(
                f"kernel_size={(kh, kw)}, stride={(sh, sw)}, padding={(ph, pw)} give an empty output "
                f"{default} for input of spatial size {tuple(input.shape[2:])}"
            )
    else:
        if isinstance(output_size, (torch.Size, Sequence)) and len(output_size) == 4:
            if tuple(output_size[:2]) != tuple(input.shape[:2]):
                raise ValueError(
                    f"output_size={tuple(output_size)} must have the batch and channel sizes of input "
                    f"{tuple(input.shape[:2])}"
                )
            output_size = tuple(output_size[2:])
        if not (isinstance(output_size, (torch.Size, Sequence)) and len(output_size) == 2):
            raise ValueError(f"output_size={output_size!r} must be (H, W), (N, C, H, W) or None")
        h_out, w_out = _int_pair(tuple(output_size), "output_size")
        for size, base, step in ((h_out, default[0], sh), (w_out, default[1], sw)):
            if not base - step < size < base + step:
                raise ValueError(
                    f"output_size={(h_out, w_out)} must lie strictly between {(default[0] - sh, default[1] - sw)} "
                    f"and {(default[0] + sh, default[1] + sw)}: within stride={(sh, sw)} of the size {default} "
                    f"that kernel_size={(kh, kw)}, stride and padding={(ph, pw)} give"
                )
    n, c = input.shape[:2]
    _check_bytes(
        f"an output of size {(h_out, w_out)} (kernel_size={(kh, kw)}, stride={(sh, sw)}, padding={(ph, pw)}, "
        f"output_size={describe(output_size)})",
        n * c * h_out * w_out,
        input.dtype,
    )
    flat = indices.reshape(n, c, -1).long()  # (N, C, h*w)
    if flat.numel() > 0:
        lo, hi = int(flat.min()), int(flat.max())
        if lo < 0 or hi >= h_out * w_out:
            raise ValueError(
                f"indices must lie in [0, {h_out * w_out}) for the output size {(h_out, w_out)}; "
                f"got values from {lo} to {hi}"
            )
    out = torch.zeros(n, c, h_out * w_out, dtype=input.dtype, device=input.device)  # (N, C, H*W)
    out = out.scatter(2, flat, input.reshape(n, c, -1))
    return out.reshape(n, c, h_out, w_out)  # (N, C, H, W)


# ----------------------------------------------------------------------------------------------------------
# bilinear interpolation
# ----------------------------------------------------------------------------------------------------------
def bilinear_matrix(
    in_size: int,
    out_size: int,
    align_corners: bool = False,
    scale_factor: float | None = None,
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The 1-D linear-interpolation matrix ``A`` (out_size, in_size): ``y = A @ x`` resamples a signal.

    Row ``j`` holds the two weights of output sample ``j``. Its source coordinate ``u`` (in input-pixel
    units, pixel ``i`` sits at ``u = i``) is

    * ``align_corners=False`` (half-pixel centres): pixel ``i`` covers ``[i, i + 1)`` with centre ``i + 1/2``.
      Output centre ``j + 1/2`` sits at ``(j + 1/2) / s`` in input units, so ``u = (j + 1/2) / s - 1/2``,
      clamped below at 0 (and, through the weights, above at ``in_size - 1``). ``s`` is ``scale_factor``
      when given (as ``F.interpolate(scale_factor=s)`` does), otherwise ``out_size / in_size``. One
      exception, copied from PyTorch's CPU kernel: if ``out_size == in_size`` (e.g. ``s = 1.25`` on 2
      pixels) the axis is left unchanged (``u = j``), whatever ``scale_factor`` says.
    * ``align_corners=True``: the centres of the corner pixels coincide,
      ``u = j (in_size - 1) / (out_size - 1)`` (and ``u = 0`` when ``out_size == 1``); ``scale_factor`` plays
      no role.

    With ``i0 = floor(u)``, ``i1 = min(i0 + 1, in_size - 1)`` and ``lam = u - i0``:
    ``A[j, i0] += 1 - lam`` and ``A[j, i1] += lam``. Every row sums to 1.

    The weights are computed in ``dtype`` (float64 gives the exact PyTorch float64 result); ``dtype``
    defaults to ``torch.get_default_dtype()``.

    Taught in: chapter upsampling (bilinear interpolation, the weights drawn).
    """
    for name, v in (("in_size", in_size), ("out_size", out_size)):
        if not _is_int(v) or v < 1:
            error = ValueError if _is_int(v) else TypeError
            raise error(f"{name}={describe(v)} must be a positive int")
    check_bool("align_corners", align_corners)
    device = check_device("device", device)
    if scale_factor is not None:
        if isinstance(scale_factor, Sequence) and not isinstance(scale_factor, str):
            raise TypeError(f"scale_factor={scale_factor!r} must be one number: bilinear_matrix is one axis")
        scale_factor = _real_pair(scale_factor, "scale_factor")[0]
    dtype = _floating_dtype(dtype)
    _check_bytes(f"in_size={in_size} and out_size={out_size} (the matrix A)", in_size * out_size, dtype)
    j = torch.arange(out_size, dtype=dtype, device=device)  # (out,)
    if align_corners:
        step = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        u = j * step
    elif out_size == in_size:
        u = j  # PyTorch leaves an axis whose size does not change as it is, whatever scale_factor says
    else:
        step = 1.0 / scale_factor if scale_factor is not None else in_size / out_size
        u = ((j + 0.5) * step - 0.5).clamp(min=0.0)
    i0 = u.floor().long().clamp(max=in_size - 1)  # (out,)
    i1 = (i0 + 1).clamp(max=in_size - 1)  # (out,)
    lam = u - i0.to(dtype)  # (out,)
    a = torch.zeros(out_size, in_size, dtype=dtype, device=device)
    a.scatter_add_(1, i0[:, None], (1 - lam)[:, None])
    a.scatter_add_(1, i1[:, None], lam[:, None])
    return a  # (out, in)


def bilinear_upsample(
    x: torch.Tensor, scale_factor: float | tuple[float, float], align_corners: bool = False
) -> torch.Tensor:
    """Bilinear upsampling written out as interpolation weights, applied separably to rows and columns.

    Shapes: ``x`` (N, C, H, W) -> (N, C, floor(s_h*H), floor(s_w*W)).

    Formula: ``out = A_h @ x @ A_w^T`` with the 1-D matrices of :func:`bilinear_matrix` (rows, then
    columns). Each output pixel is a weighted mean of at most 4 input pixels, weights
    ``(1 - a)(1 - b), (1 - a) b, a (1 - b), a b`` with ``a, b`` the fractional source coordinates.

    Source coordinate of output index ``j`` (input pixel ``i`` at coordinate ``i``):

    * ``align_corners=False`` (default, the half-pixel convention): ``u = (j + 1/2) / s - 1/2``, clamped to
      ``[0, size - 1]``. Pixels are little squares; output and input squares cover the same extent, so the
      corner outputs are copies of the corner inputs only after clamping and the interior is a smooth blend.
      For ``s = 2``: ``u = -1/4, 1/4, 3/4, 5/4, ...``.
    * ``align_corners=True``: ``u = j (size - 1) / (floor(s*size) - 1)``; the corner pixel centres coincide
      and the whole grid is stretched between them. For 2 -> 4 pixels: ``u = 0, 1/3, 2/3, 1``.

    Equals ``F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=align_corners)`` (also for
    non-integer ``s``; ``s < 1`` shrinks without antialiasing, like PyTorch). Weights are computed in
    float64 for float64 input and in float32 otherwise, as PyTorch does.

    Args:
        x: input batch, floating dtype.
        scale_factor: positive number or pair ``(s_h, s_w)``.
        align_corners: which source-coordinate convention (see above).

    Taught in: chapter upsampling (bilinear interpolation).
    """
    _check_4d(x)
    if not x.dtype.is_floating_point:
        raise TypeError(f"x must have a floating dtype for bilinear interpolation; got {x.dtype}")
    sh, sw = _real_pair(scale_factor, "scale_factor")
    check_bool("align_corners", align_corners)
    n, c, h, w = x.shape
    h_out, w_out = math.floor(h * sh), math.floor(w * sw)
    _check_bytes(
        f"scale_factor={scale_factor!r} on x of shape {tuple(x.shape)} (output {h_out} x {w_out})",
        max(n * c * h_out * w_out, h_out * h, w_out * w, n * c * h_out * w),
        torch.promote_types(x.dtype, torch.float32),
    )
    if h_out < 1 or w_out < 1:
        raise ValueError(
            f"scale_factor={scale_factor!r} turns the spatial size {(h, w)} into {(h_out, w_out)}; "
            "the output needs at least one pixel per dimension"
        )
    wdtype = torch.promote_types(x.dtype, torch.float32)
    a_h = bilinear_matrix(h, h_out, align_corners, sh, dtype=wdtype, device=x.device)  # (H_out, H)
    a_w = bilinear_matrix(w, w_out, align_corners, sw, dtype=wdtype, device=x.device)  # (W_out, W)
    out = a_h @ x.to(wdtype) @ a_w.T  # (N, C, H_out, W_out)
    return out.to(x.dtype)


def bilinear_kernel(
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The weight that makes a transposed convolution upsample bilinearly (FCN's initialisation).

    Shape: (in_channels, out_channels, k_h, k_w), the layout of ``nn.ConvTranspose2d.weight``.

    Formula (per axis, ``k`` the kernel size): ``f = (k + 1) // 2``, centre ``c = f - 1`` for odd ``k`` and
    ``f - 1/2`` for even ``k``, ``g[t] = 1 - |t - c| / f``; the 2-D filter is ``g_h[a] * g_w[b]``.

    The weight is *diagonal in the channels*: ``weight[i, i] = filter`` and ``weight[i, j] = 0`` for
    ``i != j``, so output channel ``i`` is the upsampled input channel ``i``. That is why ``in_channels``
    must equal ``out_channels``; unequal counts raise ``ValueError`` (no bilinear map from C_in to C_out
    channels exists; initialise such a layer otherwise, or follow it with a 1x1 convolution).

    With stride ``s``, kernel ``2s - s % 2`` (``2s`` for even ``s``) and padding ``s // 2`` the transposed
    convolution has output size ``s*H`` and its taps are the hat weights ``max(0, 1 - |u - i|)`` at the
    ``align_corners=False`` source coordinate ``u = (o + 1/2)/s - 1/2``. It therefore equals
    ``bilinear_upsample(x, s)`` exactly where ``0 <= u <= H - 1``: output rows and columns
    ``s//2 ... s*H - s//2 - 1``, i.e. everything except a frame ``s // 2`` pixels wide. In that frame the
    transposed convolution sees the zero padding (its weights sum to less than 1) where bilinear
    interpolation clamps to the edge pixel.

    Args:
        in_channels, out_channels: must be equal.
        kernel_size: int or pair.
        dtype, device: of the returned tensor (default dtype, CPU by default).

    Taught in: chapter upsampling (learnable upsampling, initialised bilinear).
    """
    for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
        if not _is_int(v) or v < 1:
            error = ValueError if _is_int(v) else TypeError
            raise error(f"{name}={describe(v)} must be a positive int")
    if in_channels != out_channels:
        raise ValueError(
            f"in_channels={in_channels} and out_channels={out_channels} must be equal: the bilinear kernel "
            "maps channel i to channel i only (a diagonal weight)"
        )
    kh, kw = _int_pair(kernel_size, "kernel_size")
    dtype = _floating_dtype(dtype)
    device = check_device("device", device)
    _check_bytes(
        f"in_channels={in_channels}, out_channels={out_channels} and kernel_size={kernel_size!r} (the weight)",
        in_channels * out_channels * kh * kw,
        dtype,
    )

    def hat(k: int) -> torch.Tensor:
        f = (k + 1) // 2
        centre = f - 1 if k % 2 == 1 else f - 0.5
        t = torch.arange(k, dtype=dtype, device=device)
        return 1 - (t - centre).abs() / f  # (k,)

    filt = hat(kh)[:, None] * hat(kw)[None, :]  # (k_h, k_w)
    weight = torch.zeros(in_channels, out_channels, kh, kw, dtype=dtype, device=device)
    idx = torch.arange(in_channels, device=device)
    weight[idx, idx] = filt
    return weight  # (C, C, k_h, k_w)

"""Convolution arithmetic: the output sizes of convolution, pooling and transposed convolution.

Every formula here is taught in the chapter "Convolution arithmetic" (``book/conv_arithmetic.ipynb``) and
follows Dumoulin & Visin, *A guide to convolution arithmetic for deep learning* (2016), in PyTorch's
parametrisation (``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.ConvTranspose2d``).

Every size function accepts ints or tuples: with ints only it returns an int; if any argument is a tuple it
returns a tuple, ints being applied to every dimension (as ``nn.Conv2d(kernel_size=3)`` means 3x3).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ._validate import check_bool, check_bytes_budget, check_dtype, check_int, describe, is_int

__all__ = [
    "conv_output_size",
    "pool_output_size",
    "conv_transpose_output_size",
    "required_output_padding",
    "shape_trace",
    "ShapeTrace",
    "LayerShape",
]

IntOrTuple = int | Sequence[int]


def _broadcast(names_values: dict[str, IntOrTuple]) -> tuple[int, bool, dict[str, tuple[int, ...]]]:
    """Bring int/tuple arguments to tuples of one common length; return (ndim, any_tuple, tuples)."""
    lengths = {}
    for name, value in names_values.items():
        if not is_int(value) and not isinstance(value, (tuple, list, torch.Size)):
            raise TypeError(f"{name}={describe(value)} must be an int or a tuple of ints")
        if isinstance(value, (tuple, list, torch.Size)):
            if len(value) == 0 or not all(is_int(v) for v in value):
                raise TypeError(f"{name}={value!r} must be an int or a non-empty tuple of ints")
            lengths[name] = len(value)
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{n} has {k}" for n, k in lengths.items())
        raise ValueError(f"tuple arguments must have the same number of dimensions: {described}")
    ndim = next(iter(lengths.values()), 1)
    tuples = {
        name: tuple(map(int, value)) if isinstance(value, (tuple, list, torch.Size)) else (int(value),) * ndim
        for name, value in names_values.items()
    }
    return ndim, bool(lengths), tuples


def _show(values: dict[str, IntOrTuple]) -> str:
    return ", ".join(f"{k}={tuple(v) if isinstance(v, (list, torch.Size)) else v}" for k, v in values.items())


def _check_at_least(tuples: dict[str, tuple[int, ...]], original: dict[str, IntOrTuple], name: str, low: int):
    if any(v < low for v in tuples[name]):
        raise ValueError(f"{name}={original[name]!r} must be >= {low} in every dimension")


def _finish(out: tuple[int, ...], any_tuple: bool) -> int | tuple[int, ...]:
    return out if any_tuple else out[0]


def conv_output_size(
    size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> int | tuple[int, ...]:
    """Output size of a convolution (``nn.Conv1d/2d/3d``), per spatial dimension.

    Formula (floor division)::

        o = floor((i + 2p - d(k - 1) - 1) / s) + 1

    ``d(k - 1) + 1`` is the effective (dilated) kernel size; the convolution needs it to fit into the padded
    input, ``i + 2p >= d(k - 1) + 1``, otherwise there is no output at all.

    Args:
        size: input size ``i`` (e.g. ``H`` or ``(H, W)``).
        kernel_size, stride, padding, dilation: as in ``nn.Conv2d`` (ints or tuples).

    Returns:
        ``o``: an int if every argument is an int, else a tuple.

    Raises:
        ValueError: size, kernel_size, stride or dilation below 1, negative padding, or a kernel that does
            not fit into the padded input (output smaller than 1).

    Example:
        >>> conv_output_size(4, kernel_size=3, stride=2, padding=1)
        2

    Taught in: chapter "Convolution arithmetic".
    """
    args = dict(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    _, any_tuple, t = _broadcast(args)
    for name in ("size", "kernel_size", "stride", "dilation"):
        _check_at_least(t, args, name, 1)
    _check_at_least(t, args, "padding", 0)
    out = []
    for i, k, s, p, d in zip(t["size"], t["kernel_size"], t["stride"], t["padding"], t["dilation"]):
        effective = d * (k - 1) + 1
        if i + 2 * p < effective:
            raise ValueError(
                f"the output would be smaller than 1: the dilated kernel (d*(k-1)+1 = {effective}) does not fit "
                f"into the padded input (i+2p = {i + 2 * p}); got {_show(args)}"
            )
        out.append((i + 2 * p - effective) // s + 1)
    return _finish(tuple(out), any_tuple)


def pool_output_size(
    size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    ceil_mode: bool = False,
) -> int | tuple[int, ...]:
    """Output size of a max or average pooling layer (``nn.MaxPool2d``), per spatial dimension.

    Same formula as the convolution, with the stride defaulting to the kernel size::

        o = floor((i + 2p - d(k - 1) - 1) / s) + 1          (ceil instead of floor with ceil_mode)

    With ``ceil_mode=True`` PyTorch drops a last window that would start entirely in the right padding:
    if ``(o - 1) s >= i + p`` then ``o`` is reduced by one. PyTorch also requires ``p <= k // 2`` (half the undilated kernel).

    Raises:
        ValueError: for the same reasons as :func:`conv_output_size`, or padding above half the kernel.

    Taught in: chapter "Convolution arithmetic".
    """
    check_bool("ceil_mode", ceil_mode)
    if stride is None:
        stride = kernel_size
    args = dict(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    _, any_tuple, t = _broadcast(args)
    for name in ("size", "kernel_size", "stride", "dilation"):
        _check_at_least(t, args, name, 1)
    _check_at_least(t, args, "padding", 0)
    out = []
    for i, k, s, p, d in zip(t["size"], t["kernel_size"], t["stride"], t["padding"], t["dilation"]):
        effective = d * (k - 1) + 1
        if p > k // 2:
            raise ValueError(
                f"padding={padding!r} must be at most half the kernel size (kernel_size={kernel_size!r}) for pooling"
            )
        numerator = i + 2 * p - effective
        o = (-(-numerator // s) if ceil_mode else numerator // s) + 1
        if ceil_mode and (o - 1) * s >= i + p:
            o -= 1
        if o < 1:
            raise ValueError(
                f"the output size would be {o}, smaller than 1; got {_show(args)}, ceil_mode={ceil_mode}"
            )
        out.append(o)
    return _finish(tuple(out), any_tuple)


def conv_transpose_output_size(
    size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> int | tuple[int, ...]:
    """Output size of a transposed convolution (``nn.ConvTranspose1d/2d/3d``), per spatial dimension.

    Formula::

        o = (i - 1) s - 2p + d(k - 1) + output_padding + 1

    It inverts :func:`conv_output_size` for the same ``k, s, p, d``: a convolution maps ``s`` consecutive
    input sizes to one output size, and ``output_padding`` (``0 <= output_padding < max(s, d)``, PyTorch's
    rule) chooses which of them the transposed convolution goes back to.

    Raises:
        ValueError: size, kernel_size, stride or dilation below 1; negative padding or output padding;
            output padding not smaller than the stride or the dilation; an output smaller than 1.

    Example:
        >>> conv_transpose_output_size(2, kernel_size=3, stride=2, padding=1)
        3

    Taught in: chapters "Convolution arithmetic" and "Transposed convolution".
    """
    args = dict(
        size=size,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )
    _, any_tuple, t = _broadcast(args)
    for name in ("size", "kernel_size", "stride", "dilation"):
        _check_at_least(t, args, name, 1)
    _check_at_least(t, args, "padding", 0)
    _check_at_least(t, args, "output_padding", 0)
    out = []
    for i, k, s, p, op, d in zip(
        t["size"], t["kernel_size"], t["stride"], t["padding"], t["output_padding"], t["dilation"]
    ):
        if op >= max(s, d):
            raise ValueError(
                f"output_padding={output_padding!r} must be smaller than either stride or dilation "
                f"(stride={stride!r}, dilation={dilation!r})"
            )
        o = (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        if o < 1:
            raise ValueError(f"the output size would be {o}, smaller than 1; got {_show(args)}")
        out.append(o)
    return _finish(tuple(out), any_tuple)


def required_output_padding(
    input_size: IntOrTuple,
    target_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> int | tuple[int, ...]:
    """The ``output_padding`` that makes a transposed convolution map ``input_size`` to ``target_size``.

    A strided convolution maps several input sizes to the same output size (``k=3, s=2, p=1`` sends both
    5 and 6 to 3), so the transposed convolution that goes back needs to be told which one::

        output_padding = target - ((i - 1) s - 2p + d(k - 1) + 1)

    Raises:
        ValueError: if the needed output padding is negative or not smaller than ``max(stride, dilation)``:
            no transposed convolution with these ``k, s, p, d`` reaches the target. The message gives the
            sizes that are reachable.

    Example:
        >>> required_output_padding(3, 6, kernel_size=3, stride=2, padding=1)
        1

    Taught in: chapter "Convolution arithmetic".
    """
    args = dict(
        input_size=input_size,
        target_size=target_size,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    _, any_tuple, t = _broadcast(args)
    for name in ("input_size", "target_size", "kernel_size", "stride", "dilation"):
        _check_at_least(t, args, name, 1)
    _check_at_least(t, args, "padding", 0)
    out = []
    for i, target, k, s, p, d in zip(
        t["input_size"], t["target_size"], t["kernel_size"], t["stride"], t["padding"], t["dilation"]
    ):
        smallest = (i - 1) * s - 2 * p + d * (k - 1) + 1  # the output with output_padding = 0
        op = target - smallest
        if not 0 <= op < max(s, d):
            low, high = max(smallest, 1), smallest + max(s, d) - 1
            reachable = f"sizes {low} to {high}" if high >= low else "no size at all"
            raise ValueError(
                f"target_size={target_size!r} cannot be reached: with input_size={i}, kernel_size={k}, stride={s}, "
                f"padding={p}, dilation={d} a transposed convolution reaches {reachable} "
                f"(output_padding from 0 to max(stride, dilation) - 1 = {max(s, d) - 1})"
            )
        out.append(op)
    return _finish(tuple(out), any_tuple)


# --------------------------------------------------------------------------------------------------- shape_trace
@dataclass(frozen=True)
class LayerShape:
    """One row of a :class:`ShapeTrace`: a leaf layer and the shapes it saw.

    Taught in: chapter "Convolution arithmetic".
    """

    name: str
    layer: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    num_params: int

    def __post_init__(self) -> None:
        for field in ("name", "layer"):
            value = getattr(self, field)
            if not isinstance(value, str):
                raise TypeError(f"{field}={describe(value)} must be a str, not {type(value).__name__}")
        for field in ("input_shape", "output_shape"):
            value = getattr(self, field)
            if not isinstance(value, (tuple, list, torch.Size)) or not all(is_int(v) for v in value):
                raise TypeError(f"{field}={describe(value)} must be a tuple of ints (a tensor shape)")
            if any(v < 0 for v in value):
                raise ValueError(f"{field}={tuple(value)} must not contain negative sizes")
            object.__setattr__(self, field, tuple(int(v) for v in value))  # frozen: set once, here
        object.__setattr__(self, "num_params", check_int("num_params", self.num_params, minimum=0))


class ShapeTrace(list):
    """The rows of :func:`shape_trace`, a list of :class:`LayerShape` that prints as a table.

    Taught in: chapter "Convolution arithmetic".
    """

    def __init__(self, rows: Iterable[LayerShape] = ()) -> None:
        if isinstance(rows, (str, bytes)) or not isinstance(rows, Iterable):
            raise TypeError(f"rows={describe(rows)} must be an iterable of LayerShape rows")
        rows = list(rows)
        for row in rows:
            if not isinstance(row, LayerShape):
                raise TypeError(f"rows must hold LayerShape rows only; got {describe(row)}")
        super().__init__(rows)

    def _table(self) -> list[tuple[str, str, str, str, str]]:
        rows = [("layer", "module", "input shape", "output shape", "parameters")]
        for r in self:
            rows.append(
                (r.name, r.layer, _fmt_shape(r.input_shape), _fmt_shape(r.output_shape), f"{r.num_params:,}")
            )
        return rows

    def __str__(self) -> str:
        rows = self._table()
        widths = [max(len(row[j]) for row in rows) for j in range(5)]
        lines = []
        for n, row in enumerate(rows):
            cells = [c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))]
            lines.append("  ".join(cells).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        total = sum(r.num_params for r in self)
        lines.append(f"total parameters: {total:,}")
        return "\n".join(lines)

    def __repr__(self) -> str:  # the notebook shows the table, not a list of dataclasses
        return str(self)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return " x ".join(str(s) for s in shape)


def _short_repr(module: nn.Module) -> str:
    extra = module.extra_repr()
    return f"{type(module).__name__}({extra})"


def _first_tensor(value) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for v in value:
            t = _first_tensor(v)
            if t is not None:
                return t
    return None


def shape_trace(model: nn.Module, input_shape: Sequence[int], dtype: torch.dtype | None = None) -> ShapeTrace:
    """Run one forward pass on a zero tensor and record the shapes at every leaf layer.

    The dummy input is created on the model's device with the model's floating dtype (float32 for a
    model without parameters, or ``dtype`` if given). The model runs in eval mode under ``torch.no_grad()``
    (so BatchNorm works with a batch of one) and is restored to its previous mode afterwards.

    Args:
        model: any ``nn.Module``; the rows are its leaf modules (modules without children) in call order.
            A leaf called twice appears twice.
        input_shape: the full input shape, batch dimension included, e.g. ``(1, 64, 11, 21)``.

    Returns:
        A :class:`ShapeTrace`: a list of rows (name, module, input shape, output shape, parameter count)
        that prints as a table.

    Raises:
        ValueError: when a layer fails on the shape it receives (wrong number of input channels, say); the
            message names the layer and the shape it got.

    Taught in: chapter "Convolution arithmetic" (the water-Cherenkov decoder) and "Autoencoders".
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(input_shape, (tuple, list, torch.Size)) or not all(is_int(s) for s in input_shape):
        raise TypeError(
            f"input_shape={describe(input_shape)} must be a sequence of positive ints, batch dimension included"
        )
    if len(input_shape) == 0 or not all(s >= 1 for s in input_shape):
        raise ValueError(
            f"input_shape={tuple(input_shape)} must be a non-empty sequence of positive ints, batch dimension "
            "included"
        )
    input_shape = tuple(int(s) for s in input_shape)
    dtype = check_dtype("dtype", dtype)
    param = next(iter(model.parameters()), None)
    if param is None:
        param = next(iter(model.buffers()), None)
    device = param.device if param is not None else torch.device("cpu")
    if dtype is None:
        dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    check_bytes_budget(
        f"input_shape={input_shape} (the zero input, {dtype})", math.prod(input_shape) * dtype.itemsize
    )
    names = {module: name for name, module in model.named_modules()}
    leaves = [m for m in model.modules() if not list(m.children())]
    rows = ShapeTrace()
    current: list[tuple[str, nn.Module, tuple[int, ...]]] = []

    def pre_hook(module, inputs):
        t = _first_tensor(inputs)
        current.append(
            (names[module] or type(module).__name__, module, tuple(t.shape) if t is not None else ())
        )

    def post_hook(module, inputs, output):
        name, _, in_shape = current.pop()
        t = _first_tensor(output)
        n_params = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append(
            LayerShape(name, _short_repr(module), in_shape, tuple(t.shape) if t is not None else (), n_params)
        )

    handles = []
    for leaf in leaves:
        handles.append(leaf.register_forward_pre_hook(pre_hook))
        handles.append(leaf.register_forward_hook(post_hook))
    modes = {module: module.training for module in model.modules()}  # restored one by one afterwards
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(tuple(input_shape), device=device, dtype=dtype))
    except Exception as exc:
        if current:
            name, module, in_shape = current[-1]
            raise ValueError(
                f"layer {name!r} ({_short_repr(module)}) cannot take an input of shape {_fmt_shape(in_shape)}: {exc}"
            ) from exc
        raise
    finally:
        for h in handles:
            h.remove()
        for module, training in modes.items():
            module.training = training
    return rows

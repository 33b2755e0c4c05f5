"""A transposed-convolution layer, interchangeable with ``torch.nn.ConvTranspose2d``, built on the fast path.

:class:`ConvTranspose2d` has the constructor, parameter shapes, default initialisation and ``state_dict``
keys of ``nn.ConvTranspose2d``, so weights load both ways; its forward pass is
``transposed_conv_fast.conv_transpose2d``.

Taught in: chapter "Transposed convolution from scratch".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ._transposed_conv_checks import _MAX_BYTES, Size2, _check_budget, _pair
from ._validate import check_bool, check_device, check_dtype, describe, is_int
from .conv_arith import required_output_padding
from .transposed_conv_fast import conv_transpose2d

__all__ = ["ConvTranspose2d"]


def _check_layer_geometry(c_in: int, c_out: int, groups: int, layer: ConvTranspose2d, itemsize: int) -> None:
    """Refuse, when a layer is built, a weight above the memory limit or a geometry that no input can use.

    The weight has in_channels * out_channels / groups * kH * kW entries. Even the smallest forward call
    (one image, the fewest input pixels that give an output pixel: H_min = 1 + ceil((2p - d(k-1) - a) / s))
    must stay within the limits of ``_check_budget``; a larger input only needs more.
    """
    k, s, p, a, d = layer.kernel_size, layer.stride, layer.padding, layer.output_padding, layer.dilation
    weight_bytes = c_in * (c_out // groups) * k[0] * k[1] * itemsize
    if weight_bytes > _MAX_BYTES:
        raise ValueError(
            f"in_channels={c_in}, out_channels={c_out}, groups={groups} and kernel_size={k} make a weight of "
            f"{weight_bytes / 2**30:.3g} GiB; the limit is {_MAX_BYTES // 2**30} GiB"
        )
    smallest = tuple(
        1 + max(0, -(-(2 * pi - di * (ki - 1) - ai) // si)) for ki, si, pi, ai, di in zip(k, s, p, a, d)
    )
    if c_in * smallest[0] * smallest[1] * itemsize > _MAX_BYTES:
        raise ValueError(
            f"padding={p} crops everything unless the input has at least {smallest[0]} x {smallest[1]} pixels "
            f"(kernel_size={k}, stride={s}, dilation={d}), more than fits in {_MAX_BYTES // 2**30} GiB"
        )
    _check_budget((1, c_in, *smallest), c_out, k, itemsize, s, p, a, d)


class ConvTranspose2d(nn.Module):
    """A transposed-convolution layer run by :func:`~.conv_transpose2d`, interchangeable with nn.ConvTranspose2d.

    Same constructor, parameter shapes (weight (in_channels, out_channels // groups, kH, kW), bias
    (out_channels,)), default initialisation and state_dict keys as ``torch.nn.ConvTranspose2d``.
    forward(input (N, C_in, H, W) or (C_in, H, W), output_size=None) -> (N, C_out, H_out, W_out);
    ``output_size`` picks the output padding that gives that size, as in PyTorch: between the smallest output
    and stride - 1 more (so, like nn.ConvTranspose2d, not up to dilation - 1 more); given in full, as
    (N, C_out, H_out, W_out) or (C_out, H_out, W_out), its leading sizes must be those of the output.
    The constructor refuses, before allocating anything, a weight or a geometry beyond the memory limits
    of :func:`~lecture_lib.transposed_conv_fast.conv_transpose2d` (e.g. ``kernel_size=2**40``,
    ``stride=2**40``, ``padding=2**40``).

    Taught in: chapter "Transposed convolution from scratch".
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Size2,
        stride: Size2 = 1,
        padding: Size2 = 0,
        output_padding: Size2 = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Size2 = 1,
        padding_mode: str = "zeros",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not is_int(value):
                raise TypeError(
                    f"{name}={describe(value)} must be a positive int, not {type(value).__name__}"
                )
            if value < 1:
                raise ValueError(f"{name}={value!r} must be a positive int")
        if in_channels % groups != 0:
            raise ValueError(f"in_channels={in_channels} must be divisible by groups={groups}")
        if out_channels % groups != 0:
            raise ValueError(f"out_channels={out_channels} must be divisible by groups={groups}")
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode={describe(padding_mode)} is not supported; only 'zeros' is")
        check_bool("bias", bias)
        device = check_device("device", device)
        dtype = check_dtype("dtype", dtype)
        self.in_channels = in_channels = int(in_channels)
        self.out_channels = out_channels = int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        self.output_padding = _pair(output_padding, "output_padding", 0)
        self.dilation = _pair(dilation, "dilation", 1)
        for a, s, d in zip(self.output_padding, self.stride, self.dilation):
            if a >= max(s, d):
                raise ValueError(
                    f"output_padding={self.output_padding} must be smaller than stride or dilation "
                    f"(stride={self.stride}, dilation={self.dilation})"
                )
        itemsize = (dtype or torch.get_default_dtype()).itemsize
        _check_layer_geometry(in_channels, out_channels, int(groups), self, itemsize)
        self.groups = int(groups)
        self.padding_mode = padding_mode
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(
            torch.empty(in_channels, out_channels // groups, *self.kernel_size, **factory)
        )
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) on the weight, bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

        For a transposed convolution's weight (C_in, C_out/g, kH, kW), fan_in is computed from dimension 1:
        fan_in = C_out / groups * kH * kW, which gives a weight bound of 1/sqrt(fan_in) as well.
        """
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            nn.init.uniform_(self.bias, -bound, bound)

    def _output_padding_for(self, input: torch.Tensor, output_size: Sequence[int]) -> tuple[int, int]:
        """The output padding that makes the output (H_out, W_out) == output_size (last two entries)."""
        if not isinstance(input, torch.Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
        if input.dim() not in (3, 4):
            raise ValueError(
                f"input must be 3-D (C_in, H, W) or 4-D (N, C_in, H, W), got shape {tuple(input.shape)}"
            )
        if isinstance(output_size, torch.Size):
            output_size = tuple(output_size)
        if not isinstance(output_size, (tuple, list)) or not all(is_int(v) for v in output_size):
            raise TypeError(f"output_size={describe(output_size)} must be a sequence of ints")
        output_size = tuple(int(v) for v in output_size)
        if len(output_size) not in (2, input.dim()):
            raise ValueError(
                f"output_size={output_size} must have 2 or {input.dim()} entries for a {input.dim()}-D input"
            )
        leading = (*input.shape[:-3], self.out_channels)  # (N, C_out) or (C_out,)
        if len(output_size) > 2 and output_size[:-2] != leading:
            raise ValueError(
                f"output_size={output_size} must have the batch size and out_channels={self.out_channels} "
                f"of the output {leading} in front of (H_out, W_out)"
            )
        if min(output_size[-2:]) < 1:
            raise ValueError(f"output_size={output_size} must be at least 1 in H_out and W_out")
        target = tuple(output_size[-2:])
        try:
            padding = required_output_padding(
                tuple(input.shape[-2:]), target, self.kernel_size, self.stride, self.padding, self.dilation
            )
        except ValueError as exc:
            raise ValueError(f"output_size={tuple(output_size)} is not reachable: {exc}") from None
        # nn.ConvTranspose2d accepts output sizes within stride - 1 of the smallest one, even where
        # F.conv_transpose2d would take an output padding up to dilation - 1 (dilation > stride): match it
        for a, s, dim in zip(padding, self.stride, ("H_out", "W_out")):
            if a >= s:
                smallest = tuple(t - q for t, q in zip(target, padding))
                largest = tuple(m + st - 1 for m, st in zip(smallest, self.stride))
                raise ValueError(
                    f"output_size={tuple(output_size)} is not reachable: as in nn.ConvTranspose2d, {dim} must "
                    f"lie within stride - 1 of the smallest output; valid sizes range from {smallest} to {largest}"
                )
        return padding

    def forward(self, input: torch.Tensor, output_size: Sequence[int] | None = None) -> torch.Tensor:
        """(N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out) or (C_out, H_out, W_out)."""
        output_padding = (
            self.output_padding if output_size is None else self._output_padding_for(input, output_size)
        )
        return conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text

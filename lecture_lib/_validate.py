"""Argument checks shared by the package: each names the argument, its value and what was expected.

Every public function of ``lecture_lib`` refuses a bad argument with ``TypeError`` (wrong kind of value) or
``ValueError`` (right kind, impossible value) whose message starts with ``name=value``, so a student sees
which argument is wrong without reading a traceback into PyTorch. ``tests/test_bad_inputs.py`` calls every
public name with generated bad arguments and checks exactly that.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

__all__: list[str] = []  # internal helpers; the public names live in the modules that use them


def describe(value: Any) -> str:
    """A short description of ``value`` for an error message (tensors by shape, dtype and device)."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}, dtype {value.dtype}, on {value.device}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def is_int(value: Any) -> bool:
    """True for Python and NumPy integers, False for bools (True is not a size)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_bool(name: str, value: Any) -> bool:
    """A flag must be a real bool: the string "False" is truthy and would silently mean True."""
    if not isinstance(value, bool):
        raise TypeError(
            f"{name}={describe(value)} must be a bool (True or False), not {type(value).__name__}"
        )
    return value


def check_int(
    name: str,
    value: Any,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """An integer (not a bool, not a float) within ``[minimum, maximum]``; returned as a Python int."""
    if value is None and allow_none:
        return None
    expected = "an int"
    if minimum is not None and maximum is not None:
        expected += f" in [{minimum}, {maximum}]"
    elif minimum is not None:
        expected += f" >= {minimum}"
    elif maximum is not None:
        expected += f" <= {maximum}"
    if allow_none:
        expected += " or None"
    if not is_int(value):
        raise TypeError(f"{name}={describe(value)} must be {expected}, not {type(value).__name__}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name}={value!r} must be {expected}")
    return int(value)


def check_real(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    strict_minimum: bool = False,
    allow_none: bool = False,
    finite: bool = True,
) -> float | None:
    """A real number (not a bool, not complex, not NaN; finite unless ``finite=False``) in range."""
    if value is None and allow_none:
        return None
    if isinstance(value, torch.Tensor) and value.ndim == 0 and not value.is_complex():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={describe(value)} must be a real number, not {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{name}={value!r} must be a finite real number")
    if minimum is not None and (value <= minimum if strict_minimum else value < minimum):
        raise ValueError(f"{name}={value!r} must be {'>' if strict_minimum else '>='} {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}={value!r} must be <= {maximum}")
    return value


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """One of ``choices`` (compared by equality, after a type check against the choices' types)."""
    kinds = tuple({type(c) for c in choices})
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds or value not in choices:
        raise ValueError(f"{name}={describe(value)} is not supported; expected one of {tuple(choices)}")
    return value


def check_path(name: str, value: Any) -> Path:
    """A str or os.PathLike; bytes, ints (file descriptors) and None are refused."""
    if isinstance(value, str) or (isinstance(value, os.PathLike) and isinstance(os.fspath(value), str)):
        return Path(value)
    raise TypeError(
        f"{name}={describe(value)} must be a path (str or os.PathLike), not {type(value).__name__}"
    )


_FLOATING = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def check_tensor(
    name: str,
    value: Any,
    ndim: int | Iterable[int] | None = None,
    *,
    dtype: str | None = None,
    finite: bool = False,
    allow_none: bool = False,
    nonempty: bool = False,
) -> torch.Tensor | None:
    """A torch.Tensor of the given number of dimensions and kind of dtype.

    ``dtype`` is ``"floating"`` (float16, bfloat16, float32, float64), ``"integer"`` (any integer dtype, not
    bool), ``"real"`` (floating or integer, not bool or complex) or None (anything). ``finite=True``
    refuses NaN and infinity.
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, torch.Tensor):
        hint = " (convert it with torch.as_tensor)" if not isinstance(value, (type(None), str)) else ""
        raise TypeError(f"{name} must be a torch.Tensor, not {type(value).__name__}{hint}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if value.ndim not in allowed:
            want = allowed[0] if len(allowed) == 1 else " or ".join(map(str, allowed))
            raise ValueError(f"{name} must have {want} dimensions; got {describe(value)}")
    if dtype == "floating" and value.dtype not in _FLOATING:
        raise TypeError(f"{name} must have a floating dtype (float32 or float64); got {describe(value)}")
    if dtype == "integer" and (value.dtype == torch.bool or value.is_floating_point() or value.is_complex()):
        raise TypeError(f"{name} must have an integer dtype (e.g. torch.int64); got {describe(value)}")
    if dtype == "real" and (value.dtype == torch.bool or value.is_complex()):
        raise TypeError(f"{name} must have a real (floating or integer) dtype; got {describe(value)}")
    if nonempty and value.numel() == 0:
        raise ValueError(f"{name} must not be empty; got {describe(value)}")
    if finite and value.is_floating_point() and value.device.type != "meta":
        if not bool(torch.isfinite(value).all()):
            raise ValueError(f"{name} contains NaN or infinity; got {describe(value)}")
    return value


def check_same_device(**tensors: torch.Tensor | None) -> None:
    """All given tensors on one device (a ``meta`` tensor among real ones would give uninitialised memory)."""
    present = {k: v for k, v in tensors.items() if v is not None}
    devices = {v.device for v in present.values()}
    if len(devices) > 1:
        listing = ", ".join(f"{k} on {v.device}" for k, v in present.items())
        raise ValueError(f"tensors must be on one device; got {listing}")


def check_same_dtype(**tensors: torch.Tensor | None) -> None:
    """All given tensors of one dtype (so a float32 weight never meets a float64 input inside a kernel)."""
    present = {k: v for k, v in tensors.items() if v is not None}
    dtypes = {v.dtype for v in present.values()}
    if len(dtypes) > 1:
        listing = ", ".join(f"{k} is {v.dtype}" for k, v in present.items())
        raise TypeError(f"tensors must share one dtype; got {listing}")


def check_module_matches(name: str, module: torch.nn.Module, x: torch.Tensor, x_name: str = "input") -> None:
    """``x`` on the device and of the dtype of ``module``'s first floating parameter (if it has one)."""
    for p in module.parameters():
        if p.is_floating_point():
            if x.device != p.device:
                raise ValueError(f"{x_name} is on {x.device} but {name}'s parameters are on {p.device}")
            if x.dtype != p.dtype:
                raise TypeError(f"{x_name} has dtype {x.dtype} but {name}'s parameters are {p.dtype}")
            return


def check_device(name: str, value: Any, allow_none: bool = True) -> torch.device | None:
    """A device given as a str or torch.device that this machine has (``"cuda"`` without CUDA is refused)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (str, torch.device)):
        raise TypeError(f"{name}={describe(value)} must be a str or torch.device, not {type(value).__name__}")
    try:
        device = torch.device(value)
    except RuntimeError as err:
        raise ValueError(f"{name}={value!r} is not a device name ({err})") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name}={value!r}, but CUDA is not available on this machine")
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"{name}={value!r}, but Apple MPS is not available on this machine")
    return device


def check_dtype(name: str, value: Any, allow_none: bool = True, floating: bool = True) -> torch.dtype | None:
    """A torch.dtype (floating unless ``floating=False``)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, torch.dtype):
        raise TypeError(f"{name}={describe(value)} must be a torch.dtype, not {type(value).__name__}")
    if floating and not value.is_floating_point:
        raise TypeError(f"{name}={value} must be a floating dtype such as torch.float32")
    return value


def check_bytes_budget(name: str, n_bytes: int, limit: int = 4 * 2**30) -> None:
    """Refuse a request whose result would need more than ``limit`` bytes, before anything is allocated."""
    if n_bytes > limit:
        raise ValueError(f"{name} would need {n_bytes / 2**30:.1f} GiB (more than {limit / 2**30:.0f} GiB)")

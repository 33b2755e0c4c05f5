"""The bad-input suite's machinery: specs of valid calls, generated bad variants, and their verdicts.

A :class:`Spec` holds one valid call of a public name: ``call(**kwargs)`` where each keyword is described by
an :class:`Arg` (its valid value and its kind). :func:`variants` derives bad calls from it by replacing one
argument at a time with a value of the wrong type (a str for a bool, a float for an int, a list or an ndarray
for a tensor, None), an impossible value (NaN, infinity, zero, negative or huge sizes), a tensor of the wrong
number of dimensions or dtype (int64, bool, float16, complex), or one tensor on the ``meta`` device or of
another float dtype among the others. :func:`run_variant` calls it and classifies what happened:

- ``named``: ``ValueError`` or ``TypeError`` (or a subclass) whose message names the argument (the goal);
- ``unnamed``: ``ValueError`` or ``TypeError`` that does not name it;
- ``raw``: any other exception (an internal error leaking out);
- ``accepted``: no exception at all (a bad value silently used);
- ``slow``: took longer than ``SLOW_SECONDS`` (a hang, or work out of proportion to the call).

Spec files are ``tests/badinput_specs_*.py``; each defines ``SPECS: list[Spec]`` and, for public names that
are data rather than callables, ``CONSTANTS: list[str]``.
"""

from __future__ import annotations

import copy
import math
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

SLOW_SECONDS = 5.0
GROWTH_LIMIT_KIB = 1024 * 1024  # a bad call may not raise the process's peak memory by 1 GiB


@dataclass
class Arg:
    """One keyword of a valid call.

    kind: ``bool``, ``int`` (any integer), ``size`` (an int >= ``minimum``, default 1), ``real`` (a finite
        real), ``tensor``, ``str`` (a free string), ``choice`` (one of a few strings), ``path``, ``callable``,
        ``module`` (an nn.Module), ``device``, ``dtype``, ``seq`` (a sequence of ints), or ``any`` (no generated
        variants; list explicit ones in ``bad``).
    optional: None is a valid value (no None variant).
    minimum: for ``size``/``int``/``real``: the smallest valid value (a value below it is generated).
    huge: for ``size``: a huge value (2**40) must be refused quickly (it sizes an allocation or a loop).
    ndims: for ``tensor``: the valid numbers of dimensions (default: the valid value's).
    dtype: for ``tensor``: ``"floating"``, ``"integer"``, ``"real"`` or None (no dtype variants).
    finite: for floating tensors: NaN and infinity are meaningless here (NaN/inf variants).
    half_ok: float16 is accepted (no float16 variant).
    empty_bad: an empty tensor is meaningless here (an empty variant).
    bad: extra (label, value) pairs that must be refused.
    name: the name the message must contain (default: the keyword).
    """

    value: Any
    kind: str = "any"
    optional: bool = False
    minimum: float | None = None
    huge: bool = False
    ndims: tuple[int, ...] | None = None
    dtype: str | None = "floating"
    finite: bool = False
    half_ok: bool = False
    empty_bad: bool = False
    bad: tuple[tuple[str, Any], ...] = ()
    name: str | None = None


@dataclass
class Spec:
    """A valid call of the public name ``name``: ``call(**{k: arg.value})``.

    same_device/same_dtype: the spec's tensors must share a device/dtype (mixed variants generated).
    skip: labels ``"arg:variant"`` of generated variants that are valid for this name, each with its reason.
    known_raw: labels ``"arg:variant"`` whose refusal is still a raw or unnamed error, each with its reason
        (counted; the whole suite allows fewer than 2 % of its variants here, and never an accepted one).
    """

    name: str
    call: Callable[..., Any]
    args: dict[str, Arg] = field(default_factory=dict)
    same_device: bool = True
    same_dtype: bool = True
    skip: dict[str, str] = field(default_factory=dict)
    known_raw: dict[str, str] = field(default_factory=dict)


def _fresh(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, (torch.nn.Module, list, dict, np.ndarray)):
        return copy.deepcopy(value)
    return value


def valid_kwargs(spec: Spec) -> dict[str, Any]:
    return {k: _fresh(a.value) for k, a in spec.args.items()}


def _tensor_variants(key: str, arg: Arg, spec: Spec) -> list[tuple[str, Any]]:
    t: torch.Tensor = arg.value
    out: list[tuple[str, Any]] = [("list", t.tolist()), ("ndarray", t.detach().cpu().numpy())]
    ndims = arg.ndims if arg.ndims is not None else (t.ndim,)
    if t.ndim + 1 not in ndims:
        out.append(("ndim+1", t.unsqueeze(0)))
    if t.ndim >= 1 and t.ndim - 1 not in ndims and t.shape[0] > 0:
        out.append(("ndim-1", t[0]))
    if arg.dtype in ("floating", "real"):
        out.append(("complex", t.to(torch.complex128)))
        out.append(("bool", t != 0))
    if arg.dtype == "floating":
        out.append(("int64", t.round().to(torch.int64)))
        if not arg.half_ok and t.dtype != torch.float16:
            out.append(("float16", t.to(torch.float16)))
    if arg.dtype == "integer":
        out.append(("float32", t.to(torch.float32)))
        out.append(("bool", t != 0))
    if arg.finite and t.is_floating_point() and t.numel():
        for label, v in (("nan", math.nan), ("inf", math.inf)):
            bad = t.detach().clone()
            bad.view(-1)[0] = v
            out.append((label, bad))
    if arg.empty_bad and t.ndim >= 1:
        out.append(("empty", t[:0]))
    tensors = [k for k, a in spec.args.items() if a.kind == "tensor" and isinstance(a.value, torch.Tensor)]
    if spec.same_device and len(tensors) >= 2:
        out.append(("meta", t.to("meta")))
    floats = [k for k in tensors if spec.args[k].value.is_floating_point()]
    if spec.same_dtype and len(floats) >= 2 and t.is_floating_point():
        other = torch.float64 if t.dtype == torch.float32 else torch.float32
        out.append(("mixed-dtype", t.to(other)))
    return out


def variants(spec: Spec) -> list[tuple[str, str, dict[str, Any]]]:
    """Every generated bad call of ``spec``: (argument, label, kwargs)."""
    result = []
    for key, arg in spec.args.items():
        labelled: list[tuple[str, Any]] = []
        kind = arg.kind
        if not arg.optional and kind != "any":
            labelled.append(("none", None))
        if kind == "bool":
            labelled += [("str", "False"), ("float", 0.5)]
        elif kind in ("int", "size"):
            labelled += [("float", 2.5), ("str", "3"), ("bool", True)]
            minimum = arg.minimum if arg.minimum is not None else (1 if kind == "size" else None)
            if minimum is not None:
                labelled.append(("below-minimum", int(minimum) - 1))
                if minimum >= 1:
                    labelled.append(("negative", -5))
            if arg.huge:
                labelled.append(("huge", 2**40))
        elif kind == "real":
            labelled += [("nan", math.nan), ("inf", math.inf), ("str", "0.5"), ("complex", 1 + 1j)]
            if arg.minimum is not None:
                labelled.append(("below-minimum", arg.minimum - 1.0))
        elif kind == "tensor":
            labelled += _tensor_variants(key, arg, spec)
        elif kind == "str":
            labelled += [("int", 3)]
        elif kind == "choice":
            labelled += [("int", 3), ("unknown", "no-such-choice")]
        elif kind == "path":
            labelled += [("int", 3), ("bytes", b"x")]
        elif kind == "callable":
            labelled += [("int", 3)]
        elif kind == "module":
            labelled += [("int", 3), ("tensor", torch.zeros(2))]
        elif kind == "device":
            labelled += [("int-device", 3.5), ("unknown", "no-such-device")]
            if not torch.cuda.is_available():
                labelled.append(("cuda-absent", "cuda"))
        elif kind == "dtype":
            labelled += [("str", "float32"), ("int-dtype", torch.int64)]
        elif kind == "seq":
            labelled += [("str", "12"), ("float-items", [1.5, 2.5])]
        labelled += list(arg.bad)
        for label, value in labelled:
            if f"{key}:{label}" in spec.skip:
                continue
            kwargs = valid_kwargs(spec)
            kwargs[key] = value
            result.append((key, label, kwargs))
    return result


@dataclass
class Verdict:
    spec: str
    arg: str
    label: str
    outcome: str
    detail: str


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_variant(spec: Spec, key: str, label: str, kwargs: dict[str, Any]) -> Verdict:
    """Call one bad variant and classify the outcome (see the module docstring)."""
    arg = spec.args[key]
    expected_name = arg.name or key
    peak = _peak_kib()
    start = time.perf_counter()
    try:
        spec.call(**kwargs)
    except (ValueError, TypeError) as err:
        outcome = "named" if expected_name in str(err) else "unnamed"
        detail = f"{type(err).__name__}: {err}"
    except Exception as err:  # noqa: BLE001 - classifying every escape is the point
        outcome, detail = "raw", f"{type(err).__name__}: {err}"
    else:
        outcome, detail = "accepted", "no exception"
    elapsed = time.perf_counter() - start
    if elapsed > SLOW_SECONDS:
        outcome, detail = "slow", f"{elapsed:.1f} s; {detail}"
    if _peak_kib() - peak > GROWTH_LIMIT_KIB:
        outcome, detail = "memory", f"peak memory grew by {(_peak_kib() - peak) / 2**20:.1f} GiB; {detail}"
    return Verdict(spec.name, key, label, outcome, detail[:300])

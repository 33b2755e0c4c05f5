"""The engine behind every exercise checker: run a student's function against the reference on cases.

A checker builds a list of :class:`Case` objects (the arguments of one call and a short description),
calls :func:`compare_on_cases`, and returns a :class:`CheckResult` that prints as one readable paragraph:
either a pass with the number of cases, or the first failing case with its arguments, the shapes, and the
largest error. Nothing is raised on a wrong answer, so a student can print the result and keep going.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

from .._validate import check_bool, check_int, check_real, is_int
from .._validate import describe as _what

__all__ = ["Case", "CheckResult", "compare_on_cases", "describe"]


@dataclass
class Case:
    """One call: positional ``args``, keyword ``kwargs`` and a human description of what is tested.

    Used by: the exercise checkers of every chapter.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.args, (tuple, list)):
            raise TypeError(
                f"args={_what(self.args)} must be a tuple of positional arguments, not {type(self.args).__name__}"
            )
        self.args = tuple(self.args)
        if not isinstance(self.kwargs, dict) or not all(isinstance(k, str) for k in self.kwargs):
            raise TypeError(f"kwargs={_what(self.kwargs)} must be a dict with str keys (keyword -> value)")
        if not isinstance(self.description, str):
            raise TypeError(f"description={_what(self.description)} must be a str")


@dataclass
class CheckResult:
    """The outcome of a checker. ``passed`` is a bool; ``str(result)`` explains it.

    Used by: the exercise checkers of every chapter (each returns one).
    """

    name: str
    passed: bool
    n_cases: int
    message: str
    failing_case: Case | None = None
    max_abs_error: float | None = None

    def __post_init__(self) -> None:
        for key in ("name", "message"):
            if not isinstance(getattr(self, key), str):
                raise TypeError(f"{key}={_what(getattr(self, key))} must be a str")
        check_bool("passed", self.passed)
        check_int("n_cases", self.n_cases, minimum=0)
        if self.failing_case is not None and not isinstance(self.failing_case, Case):
            raise TypeError(f"failing_case={_what(self.failing_case)} must be a Case or None")
        # infinity is allowed: it is the error reported for a NaN or infinite answer
        check_real("max_abs_error", self.max_abs_error, minimum=0.0, allow_none=True, finite=False)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython shows the message, not the dataclass
        p.text(self.message)


def describe(value: Any) -> str:
    """A short description of an argument: tensors by shape and dtype, other values by repr.

    Used by: the exercise checkers of every chapter, in their failure reports.
    """
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)} ({str(value.dtype).replace('torch.', '')})"
    if isinstance(value, (tuple, list)) and any(isinstance(v, torch.Tensor) for v in value):
        inner = ", ".join(describe(v) for v in value)
        return f"({inner})"
    return repr(value)


class WrongAnswer(TypeError):
    """Raised by a checker's wrapper around the student's function when the answer has the wrong form (not a
    pair, a complex mean, a dict with the wrong keys); reported as "Your function returned: ...", not as an
    error the function raised."""


MAX_CASES = 10_000
"""The most cases a checker runs (each case is a call of the student's function and of the reference)."""


def _check_settings(fn: Any, n_cases: Any, seed: Any, minimum: int = 1) -> None:
    """The common arguments of every checker: a callable, a number of cases and a seed for the random ones.

    Raises TypeError for a ``fn`` that is not callable or a non-int ``n_cases``/``seed`` (a bool included),
    ValueError for ``n_cases`` outside ``[minimum, MAX_CASES]`` or a seed that torch.Generator cannot take.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable (your function), got {type(fn).__name__}")
    check_int("n_cases", n_cases, minimum=minimum, maximum=MAX_CASES)
    if not is_int(seed):
        raise TypeError(
            f"seed={_what(seed)} must be an integer (the seed of the random cases), not {type(seed).__name__}"
        )
    if not -(2**63) <= seed < 2**64:
        raise ValueError(
            f"seed={seed!r} must be an integer between -2**63 and 2**64 - 1 (what torch.Generator takes)"
        )


def _flatten(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        flat: list[torch.Tensor] = []
        for o in out:
            flat.extend(_flatten(o))
        return flat
    if isinstance(out, dict):
        flat = []
        for k in sorted(out):
            flat.extend(_flatten(out[k]))
        return flat
    raise TypeError(f"expected a tensor, or a tuple/list/dict of tensors, got {type(out).__name__}")


def _format_case(case: Case) -> str:
    parts = [f"  arg {i}: {describe(a)}" for i, a in enumerate(case.args)]
    parts += [f"  {k}={describe(v)}" for k, v in case.kwargs.items()]
    return "\n".join(parts)


def compare_on_cases(
    name: str,
    student_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    cases: Iterable[Case],
    atol: float = 1e-8,
    rtol: float = 1e-6,
) -> CheckResult:
    """Call ``student_fn`` and ``reference_fn`` on every case; stop at the first disagreement.

    Outputs may be a tensor or a (nested) tuple/list/dict of tensors; they must match in structure,
    shape and values (``torch.allclose`` with ``atol`` and ``rtol``). A complex output where the reference
    is real fails (its imaginary part is not dropped), so does a tensor with no values (the ``meta`` device)
    and a NaN or infinity where the reference is finite; each with a message that says so.

    Used by: the exercise checkers of every chapter.
    """
    if not isinstance(name, str):
        raise TypeError(f"name={_what(name)} must be a str (the checker's name, shown in its report)")
    if not callable(student_fn):
        raise TypeError(f"student_fn must be callable, got {type(student_fn).__name__}")
    if not callable(reference_fn):
        raise TypeError(f"reference_fn must be callable, got {type(reference_fn).__name__}")
    if isinstance(cases, (str, bytes)) or not isinstance(cases, Iterable):
        raise TypeError(f"cases={_what(cases)} must be an iterable of Case objects")
    cases = list(cases)
    if not cases:
        raise ValueError("cases is empty: a check on no case would pass anything")
    for i, case in enumerate(cases):
        if not isinstance(case, Case):
            raise TypeError(f"cases[{i}]={_what(case)} must be a Case, not {type(case).__name__}")
    check_real("atol", atol, minimum=0.0)
    check_real("rtol", rtol, minimum=0.0)
    for i, case in enumerate(cases):
        expected = _flatten(reference_fn(*case.args, **case.kwargs))
        header = f"{name}: case {i + 1} of {len(cases)} failed ({case.description}).\nArguments:\n{_format_case(case)}"
        try:
            got_raw = student_fn(*case.args, **case.kwargs)
        except (
            WrongAnswer
        ) as exc:  # a checker's wrapper found the answer malformed (not an error of the student's code)
            return CheckResult(name, False, len(cases), f"{header}\nYour function returned: {exc}", case)
        except Exception as exc:  # a student's error is reported, not raised
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            return CheckResult(name, False, len(cases), f"{header}\nYour function raised {tb}", case)
        try:
            got = _flatten(got_raw)
        except TypeError as exc:
            return CheckResult(name, False, len(cases), f"{header}\nYour function returned: {exc}", case)
        if len(got) != len(expected):
            msg = f"{header}\nExpected {len(expected)} tensor(s) back, got {len(got)}."
            return CheckResult(name, False, len(cases), msg, case)
        for j, (g, e) in enumerate(zip(got, expected)):
            label = f"output {j}" if len(expected) > 1 else "output"
            if tuple(g.shape) != tuple(e.shape):
                msg = f"{header}\nWrong shape for {label}: expected {tuple(e.shape)}, got {tuple(g.shape)}."
                return CheckResult(name, False, len(cases), msg, case)
            if g.is_complex() and not e.is_complex():
                msg = (
                    f"{header}\nWrong type for {label}: it is complex ({str(g.dtype).replace('torch.', '')}); "
                    f"expected real values ({str(e.dtype).replace('torch.', '')}). A complex answer is not "
                    "accepted, even when its real part is right."
                )
                return CheckResult(name, False, len(cases), msg, case)
            if g.device.type == "meta":
                msg = f"{header}\n{label.capitalize()} is on the meta device: a shape without values."
                return CheckResult(name, False, len(cases), msg, case)
            g64, e64 = g.detach().to("cpu", torch.float64), e.detach().to("cpu", torch.float64)
            non_finite = ~torch.isfinite(g64) & torch.isfinite(e64)
            if non_finite.any():
                worst = int(non_finite.flatten().nonzero()[0, 0])
                index = (
                    tuple(int(v) for v in torch.unravel_index(torch.tensor(worst), e.shape)) if e.ndim else ()
                )
                msg = (
                    f"{header}\nNon-finite value in {label} at index {index}: expected "
                    f"{float(e64.flatten()[worst]):.6g}, got {float(g64.flatten()[worst])} "
                    f"({int(non_finite.sum())} NaN or infinite value(s) where the expected value is finite)."
                )
                return CheckResult(name, False, len(cases), msg, case, float("inf"))
            if not torch.allclose(g64, e64, atol=atol, rtol=rtol, equal_nan=True):
                err = (g64 - e64).abs()
                err = torch.where(torch.isnan(err), torch.full_like(err, float("inf")), err)
                worst = int(err.argmax())
                index = (
                    tuple(int(v) for v in torch.unravel_index(torch.tensor(worst), e.shape)) if e.ndim else ()
                )
                msg = (
                    f"{header}\nWrong values in {label}: largest error {float(err.max()):.3g} at index {index} "
                    f"(expected {float(e64.flatten()[worst]):.6g}, got {float(g64.flatten()[worst]):.6g})."
                )
                return CheckResult(name, False, len(cases), msg, case, float(err.max()))
    return CheckResult(name, True, len(cases), f"{name}: all {len(cases)} cases pass.")

"""Explorer of the chapter "Training recurrent networks": loss curves of the training recipes, one at a time.

The chapter trains several recurrent networks on the adding problem and records, for each recipe, the
training loss of every step and the held-out MSE every few steps. The explorer takes those curves (it
trains nothing, so it redraws at once): choose a recipe and a smoothing window; the figure shows its curves
on a log scale against the constant predictor's MSE (the baseline) and the target MSE, with the other recipes
faintly behind, and the summary gives its final held-out MSE and the first evaluation below the target.

Taught in: chapter "Training recurrent networks".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from .._validate import check_bool, check_real, describe, is_int
from ._core import Explorer, _int_slider

__all__ = ["running_mean", "first_step_below", "check_curves", "draw_training_curves", "training_explorer"]

_SMOOTH_MAX = 100  # the longest running-mean window the explorer's slider offers


def _real_values(name: str, values: Any) -> np.ndarray:
    """A 1-D sequence of real numbers (ints or floats; NaN and infinity allowed) as a float64 array."""
    if isinstance(values, (str, bytes)) or values is None or not hasattr(values, "__len__"):
        raise TypeError(f"{name}={describe(values)} must be a sequence of real numbers")
    try:
        array = np.asarray(values.detach().cpu() if isinstance(values, torch.Tensor) else values)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise ValueError(f"{name} must be a one-dimensional sequence of real numbers ({err})") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must hold real numbers (ints or floats), not {array.dtype} values; got {describe(values)}"
        )
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array.astype(float)


def _step_values(name: str, values: Any) -> np.ndarray:
    """A 1-D sequence of integer steps (integral floats allowed, never truncated) as an int64 array."""
    array = _real_values(name, values)
    if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
        raise ValueError(f"{name} must hold whole step numbers; got {describe(values)}")
    return array.astype(np.int64)


def _positive_level(name: str, value: Any) -> float:
    """A horizontal line of the log-scale plot: a finite real > 0."""
    return check_real(name, value, minimum=0.0, strict_minimum=True)


def running_mean(values: Sequence[float], window: int) -> np.ndarray:
    """The mean of each ``window`` consecutive values: (n,) -> (n - window + 1,).

    Formula: out[j] = (values[j] + ... + values[j + window - 1]) / window; ``window=1`` returns the values.

    Taught in: chapter "Training recurrent networks".
    """
    if not is_int(window):
        raise TypeError(f"window={describe(window)} must be a positive integer")
    if window < 1:
        raise ValueError(f"window={window!r} must be a positive integer")
    array = _real_values("values", values)  # (n,)
    if window > array.size:
        raise ValueError(f"window={window} is longer than the {array.size} values")
    if not np.all(np.isfinite(array)):  # a NaN or inf only spoils the windows that contain it
        return np.lib.stride_tricks.sliding_window_view(array, window).mean(axis=1)  # (n - window + 1,)
    cumulative = np.concatenate([[0.0], np.cumsum(array)])  # (n + 1,)
    return (cumulative[window:] - cumulative[:-window]) / window  # (n - window + 1,)


def first_step_below(steps: Sequence[int], values: Sequence[float], threshold: float) -> int | None:
    """The first entry of ``steps`` whose value is below ``threshold`` (strictly), or None if there is none.

    Shapes: steps (n,) and values (n,), in the order they were recorded. NaN is never below the threshold.

    Taught in: chapter "Training recurrent networks".
    """
    steps, values = _step_values("steps", steps).tolist(), _real_values("values", values).tolist()
    threshold = check_real("threshold", threshold)
    if len(steps) != len(values):
        raise ValueError(
            f"steps has {len(steps)} entries but values has {len(values)}; expected the same number"
        )
    for step, value in zip(steps, values):
        if value < threshold:
            return int(step)
    return None


def check_curves(curves: Mapping[str, Mapping[str, Sequence[float]]]) -> None:
    """Raise ValueError unless ``curves`` maps recipe names to {"loss", "eval_steps", "eval_mse"} sequences.

    ``loss`` (n,) is the training loss of steps 1..n; ``eval_steps`` (m,) increasing steps in 1..n and
    ``eval_mse`` (m,) the held-out MSE measured after them.

    Taught in: chapter "Training recurrent networks".
    """
    if not isinstance(curves, Mapping):
        raise TypeError(f"curves={describe(curves)} must be a mapping from recipe names to their curves")
    if not curves:
        raise ValueError("curves must be a non-empty mapping from recipe names to their curves")
    for name, curve in curves.items():
        if not isinstance(name, str):
            raise TypeError(f"curves has the key {name!r}; recipe names must be str")
        if not isinstance(curve, Mapping):
            raise TypeError(
                f"curves[{name!r}]={describe(curve)} must be a mapping with keys 'loss', 'eval_steps', 'eval_mse'"
            )
        missing = [key for key in ("loss", "eval_steps", "eval_mse") if key not in curve]
        if missing:
            raise ValueError(
                f"curves[{name!r}] lacks {missing}; expected keys 'loss', 'eval_steps', 'eval_mse'"
            )
        n = len(_real_values(f"curves[{name!r}]['loss']", curve["loss"]))
        steps = _step_values(f"curves[{name!r}]['eval_steps']", curve["eval_steps"]).tolist()
        _real_values(f"curves[{name!r}]['eval_mse']", curve["eval_mse"])
        if n == 0:
            raise ValueError(f"curves[{name!r}]['loss'] is empty; expected one loss per training step")
        if len(steps) != len(curve["eval_mse"]) or not steps:
            raise ValueError(
                f"curves[{name!r}] has {len(steps)} eval_steps and {len(curve['eval_mse'])} eval_mse; "
                "expected the same non-zero number"
            )
        if any(b <= a for a, b in zip(steps, steps[1:])) or steps[0] < 1 or steps[-1] > n:
            raise ValueError(f"curves[{name!r}]['eval_steps'] must increase within 1..{n}, got {steps}")


def draw_training_curves(
    curves: Mapping[str, Mapping[str, Sequence[float]]],
    recipe: str,
    smooth: int = 20,
    others: bool = True,
    baseline: float = 1.0 / 6.0,
    target: float = 0.01,
) -> Figure:
    """The chosen recipe's training loss (running mean of ``smooth`` steps) and held-out MSE on a log scale.

    Horizontal lines mark ``baseline`` (the constant predictor) and ``target``; with ``others`` the other
    recipes' smoothed training losses are drawn faintly for comparison.

    Taught in: chapter "Training recurrent networks".
    """
    check_curves(curves)
    if not isinstance(recipe, str) or recipe not in curves:
        raise ValueError(f"recipe={describe(recipe)} is not one of {list(curves)}")
    if not is_int(smooth):
        raise TypeError(f"smooth={describe(smooth)} must be a positive integer (the running-mean window)")
    if smooth < 1:
        raise ValueError(f"smooth={smooth!r} must be a positive integer (the running-mean window)")
    check_bool("others", others)
    baseline, target = _positive_level("baseline", baseline), _positive_level("target", target)
    fig = Figure(figsize=(7.5, 4.0))
    ax = fig.subplots()
    names = list(curves)
    colours = {name: f"C{i % 10}" for i, name in enumerate(names)}
    shown = names if others else [recipe]
    for name in shown:
        loss = curves[name]["loss"]
        window = min(smooth, len(loss))
        y = np.maximum(running_mean(loss, window), 1e-12)  # log scale: keep it positive
        x = np.arange(window, len(loss) + 1)
        chosen = name == recipe
        ax.plot(x, y, color=colours[name], lw=2.0 if chosen else 1.0, alpha=1.0 if chosen else 0.25,
                label=f"{name}: training loss" if chosen else None)  # fmt: skip
    curve = curves[recipe]
    ax.plot(curve["eval_steps"], np.maximum(np.asarray(curve["eval_mse"], dtype=float), 1e-12), "o",
            ms=3.5, color=colours[recipe], mec="k", mew=0.5, label=f"{recipe}: held-out MSE")  # fmt: skip
    ax.axhline(baseline, color="k", ls="--", lw=1, label=f"predict the mean: {baseline:.4f}")
    ax.axhline(target, color="0.4", ls=":", lw=1, label=f"target: {target:g}")
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 1e1)
    ax.set_xlabel("training step")
    ax.set_ylabel("MSE")
    ax.set_title(f"{recipe} (running mean of {smooth} steps)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def _summary(
    curves: Mapping[str, Mapping[str, Sequence[float]]], recipe: str, baseline: float, target: float
) -> str:
    curve = curves[recipe]
    final = float(curve["eval_mse"][-1])
    reached = first_step_below(curve["eval_steps"], curve["eval_mse"], target)
    when = "not reached" if reached is None else f"at step <b>{reached}</b>"
    ratio = "n/a" if not math.isfinite(final) else f"{final / baseline:.3f}"
    return (
        f"<b>{recipe}</b>: held-out MSE <b>{final:.4f}</b> after {len(curve['loss'])} steps "
        f"({ratio} of the baseline {baseline:.4f}); MSE below {target:g} {when}"
    )


def training_explorer(
    curves: Mapping[str, Mapping[str, Sequence[float]]],
    recipe: str | None = None,
    smooth: int = 20,
    baseline: float = 1.0 / 6.0,
    target: float = 0.01,
) -> Explorer:
    """Explore recorded training curves: a recipe dropdown, a smoothing slider and a toggle for the others.

    ``curves`` as for :func:`check_curves`; ``recipe`` the one shown first (default: the first key);
    ``smooth`` the starting window of the running mean, on the slider's range 1..min(100, longest run).

    Raises:
        ValueError: for invalid ``curves``, an unknown ``recipe`` or a ``smooth`` off the slider (ipywidgets
            would clamp it silently).

    Taught in: chapter "Training recurrent networks".
    """
    check_curves(curves)
    names = list(curves)
    recipe = names[0] if recipe is None else recipe
    if not isinstance(recipe, str) or recipe not in curves:
        raise ValueError(f"recipe={describe(recipe)} is not one of {names}")
    baseline, target = _positive_level("baseline", baseline), _positive_level("target", target)
    longest = max(len(curve["loss"]) for curve in curves.values())
    controls: dict[str, Any] = {
        "recipe": widgets.Dropdown(options=names, value=recipe, description="recipe"),
        "smooth": _int_slider(
            "smooth", smooth, 1, min(_SMOOTH_MAX, longest), "smooth", continuous_update=True
        ),
        "others": widgets.Checkbox(value=True, description="show the others"),
    }

    def draw(recipe: str, smooth: int, others: bool) -> Figure:
        return draw_training_curves(curves, recipe, smooth, others, baseline, target)

    def summarize(recipe: str, smooth: int, others: bool) -> str:
        return _summary(curves, recipe, baseline, target)

    return Explorer("Training recipes on the adding problem", controls, draw, summarize)

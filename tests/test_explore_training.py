"""The training-curves explorer: its helpers against numpy and hand-made cases, its controls drive the figure."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_lib.explore.training import (
    check_curves,
    draw_training_curves,
    first_step_below,
    running_mean,
    training_explorer,
)


def _curves() -> dict:
    steps = np.arange(1, 101)
    return {
        "falls": {"loss": list(0.2 * np.exp(-steps / 20)), "eval_steps": [25, 50, 75, 100],
                  "eval_mse": [0.05, 0.008, 0.002, 0.001]},
        "flat": {"loss": [0.17] * 100, "eval_steps": [25, 50, 75, 100], "eval_mse": [0.17, 0.168, 0.169, 0.17]},
    }  # fmt: skip


@settings(max_examples=30)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40), st.integers(1, 40))
def test_running_mean_matches_numpy_convolve(values, window):
    if window > len(values):
        with pytest.raises(ValueError, match="window"):
            running_mean(values, window)
        return
    expected = np.convolve(values, np.ones(window) / window, mode="valid")
    np.testing.assert_allclose(running_mean(values, window), expected, rtol=1e-9, atol=1e-9)


def test_running_mean_errors():
    with pytest.raises(ValueError, match="window=0"):
        running_mean([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="one-dimensional"):
        running_mean([[1.0, 2.0]], 1)


def test_first_step_below_by_hand():
    assert first_step_below([10, 20, 30], [0.5, 0.01, 0.001], 0.01) == 30  # strictly below
    assert first_step_below([10, 20, 30], [0.5, 0.009, 0.001], 0.01) == 20
    assert first_step_below([10, 20], [math.nan, 0.2], 0.01) is None
    with pytest.raises(ValueError, match="steps has 2 entries but values has 1"):
        first_step_below([1, 2], [0.1], 0.5)


def test_check_curves_errors():
    with pytest.raises(ValueError, match="non-empty"):
        check_curves({})
    with pytest.raises(ValueError, match="lacks \\['eval_mse'\\]"):
        check_curves({"a": {"loss": [1.0], "eval_steps": [1]}})
    with pytest.raises(ValueError, match="eval_steps"):
        check_curves({"a": {"loss": [1.0, 1.0], "eval_steps": [2, 1], "eval_mse": [1.0, 1.0]}})
    with pytest.raises(ValueError, match="1 eval_steps and 2 eval_mse"):
        check_curves({"a": {"loss": [1.0, 1.0], "eval_steps": [1], "eval_mse": [1.0, 1.0]}})


def test_draw_shows_the_chosen_recipe_and_the_reference_lines():
    fig = draw_training_curves(_curves(), "falls", smooth=10, others=False)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    horizontal = sorted(line.get_ydata()[0] for line in ax.lines if len(set(line.get_ydata())) == 1)
    assert any(abs(y - 1 / 6) < 1e-12 for y in horizontal) and any(abs(y - 0.01) < 1e-12 for y in horizontal)
    smoothed = ax.lines[0].get_ydata()
    assert len(smoothed) == 91  # 100 steps, window 10
    np.testing.assert_allclose(smoothed[0], np.mean(0.2 * np.exp(-np.arange(1, 11) / 20)))
    with_others = draw_training_curves(_curves(), "falls", smooth=10, others=True)
    assert len(with_others.axes[0].lines) == len(ax.lines) + 1
    with pytest.raises(ValueError, match="recipe='nope'"):
        draw_training_curves(_curves(), "nope")


def test_explorer_controls_change_summary_and_figure():
    explorer = training_explorer(_curves(), smooth=5)
    assert "<b>falls</b>" in explorer.summary.value and "at step <b>50</b>" in explorer.summary.value
    assert "0.0010" in explorer.summary.value
    renders, png = explorer.renders, explorer.image.value
    explorer.controls["recipe"].value = "flat"
    assert explorer.renders == renders + 1 and explorer.image.value != png
    assert "<b>flat</b>" in explorer.summary.value and "not reached" in explorer.summary.value
    explorer.controls["smooth"].value = 30
    explorer.controls["others"].value = False
    assert explorer.renders == renders + 3
    bundle = explorer._repr_mimebundle_()
    assert "image/png" in bundle and "interactive explorer" in bundle["text/plain"]


def test_explorer_errors():
    with pytest.raises(ValueError, match="recipe='nope'"):
        training_explorer(_curves(), recipe="nope")
    with pytest.raises(ValueError, match="smooth=0"):
        training_explorer(_curves(), smooth=0)
    with pytest.raises(ValueError, match="non-empty"):
        training_explorer({})


def _long_curves(steps: int = 500) -> dict:
    return {"long": {"loss": [0.1] * steps, "eval_steps": [steps], "eval_mse": [0.1]}}


def test_explorer_checks_smooth_on_the_sliders_range():
    explorer = training_explorer(_long_curves(), smooth=100)
    assert explorer.state["smooth"] == 100 and explorer.controls["smooth"].max == 100
    with pytest.raises(
        ValueError, match=r"smooth=150 must be an integer between 1 and 100 \(the slider's range\)"
    ):
        training_explorer(_long_curves(), smooth=150)  # 500 steps, but the slider stops at 100
    short = training_explorer(_long_curves(30), smooth=30)
    assert short.controls["smooth"].max == 30
    with pytest.raises(ValueError, match=r"smooth=31 must be an integer between 1 and 30"):
        training_explorer(_long_curves(30), smooth=31)
    with pytest.raises(TypeError, match=r"smooth=True must be an integer"):
        training_explorer(_long_curves(), smooth=True)


def test_running_mean_spoils_only_the_windows_holding_a_nan():
    # the cumulative sum would make every window after the NaN NaN too
    out = running_mean([1.0, float("nan"), 3.0, 4.0, 5.0], 2)
    np.testing.assert_array_equal(np.isnan(out), [True, True, False, False])
    np.testing.assert_allclose(out[2:], [3.5, 4.5])
    with pytest.raises(TypeError, match="values must hold real numbers"):
        running_mean([1.0, 2j], 1)
    with pytest.raises(TypeError, match="values must hold real numbers"):
        running_mean([True, False], 1)
    with pytest.raises(TypeError, match="values='abc' must be a sequence"):
        running_mean("abc", 1)


def test_steps_are_never_truncated_and_thresholds_are_numbers():
    with pytest.raises(ValueError, match="steps must hold whole step numbers"):
        first_step_below([1.7, 2.5], [0.5, 0.1], 0.2)  # would report step 2 for 2.5
    assert first_step_below([10.0, 20.0], [0.5, 0.1], 0.2) == 20  # whole floats are steps
    with pytest.raises(ValueError, match="threshold=nan"):
        first_step_below([1, 2], [0.5, 0.1], float("nan"))  # never below: "not reached"
    with pytest.raises(TypeError, match="steps='12' must be a sequence"):
        first_step_below("12", [0.5, 0.1], 0.2)


def test_curves_and_drawing_options_are_checked():
    curves = {"a": {"loss": [1.0, 0.5, 0.2], "eval_steps": [1, 3], "eval_mse": [0.5, 0.2]}}
    with pytest.raises(TypeError, match=r"curves\['a'\]='loss eval_steps eval_mse' must be a mapping"):
        check_curves({"a": "loss eval_steps eval_mse"})  # holds every key as a substring
    with pytest.raises(TypeError, match=r"curves\['a'\]\['eval_mse'\] must hold real numbers"):
        check_curves({"a": {**curves["a"], "eval_mse": [0.5, 0.2j]}})
    with pytest.raises(TypeError, match="curves has the key 3; recipe names must be str"):
        check_curves({3: curves["a"]})
    with pytest.raises(TypeError, match="others='False' must be a bool"):
        draw_training_curves(curves, "a", others="False")
    with pytest.raises(ValueError, match="baseline=0.0 must be > 0.0"):
        draw_training_curves(curves, "a", baseline=0.0)  # the summary divides by it
    with pytest.raises(ValueError, match="target=nan"):
        training_explorer(curves, target=float("nan"))

"""Every public name of lecture_lib, called with generated bad arguments, refuses each by name.

The specs live in ``tests/badinput_specs_*.py`` (one valid call per public name); the machinery, and what
counts as a named refusal, in ``tests/badinput.py``. A public name without a spec fails
``test_every_public_name_has_a_spec``, so the suite grows with the package.
"""

from __future__ import annotations

import collections
import functools
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from badinput import Spec, Verdict, run_variant, valid_kwargs, variants

import lecture_lib

SPEC_MODULES = sorted(p.stem for p in Path(__file__).parent.glob("badinput_specs_*.py"))


def _load() -> tuple[list[Spec], set[str]]:
    specs: list[Spec] = []
    constants: set[str] = set()
    for name in SPEC_MODULES:
        module = importlib.import_module(name)
        specs += module.SPECS
        constants |= set(getattr(module, "CONSTANTS", ()))
    return specs, constants


SPECS, CONSTANTS = _load()
BY_NAME = {s.name: s for s in SPECS}


def public_names() -> set[str]:
    """``module.qualname`` of every callable in every ``__all__`` (re-exports counted once), and constants."""
    names = set()
    modules = ["lecture_lib"] + [m.name for m in pkgutil.walk_packages(lecture_lib.__path__, "lecture_lib.")]
    for module_name in modules:
        module = importlib.import_module(module_name)
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr, None)
            if obj is None:  # a submodule listed in a package's __all__
                obj = importlib.import_module(f"{module_name}.{attr}")
            if inspect.ismodule(obj):
                continue
            if callable(obj) and hasattr(obj, "__qualname__") and obj.__module__.startswith("lecture_lib"):
                names.add(f"{obj.__module__}.{obj.__qualname__}")
            else:
                names.add(f"{module_name}.{attr}")
    return names


def test_every_public_name_has_a_spec():
    missing = sorted(public_names() - set(BY_NAME) - CONSTANTS)
    assert not missing, (
        f"public names without a bad-input spec (add one to tests/badinput_specs_*.py): {missing}"
    )


def test_spec_names_are_unique_and_real():
    assert len(BY_NAME) == len(SPECS), "two specs share a name"
    stale = sorted(CONSTANTS - public_names())
    assert not stale, f"CONSTANTS lists names that are not public: {stale}"


@functools.cache
def verdicts(name: str) -> tuple[Verdict, ...]:
    spec = BY_NAME[name]
    return tuple(run_variant(spec, *v) for v in variants(spec))


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_valid_call_succeeds(name):
    """The spec's own call works, so every refusal below is caused by the one bad argument."""
    spec = BY_NAME[name]
    spec.call(**valid_kwargs(spec))


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_bad_arguments_are_refused_by_name(name):
    spec = BY_NAME[name]
    labels = {f"{v.arg}:{v.label}" for v in verdicts(name)}
    failures = []
    for v in verdicts(name):
        label = f"{v.arg}:{v.label}"
        if v.outcome == "named":
            continue
        if v.outcome in ("raw", "unnamed") and label in spec.known_raw:
            continue
        failures.append(f"{label}: {v.outcome}: {v.detail}")
    assert not failures, "\n".join(failures)
    stale = [k for k in spec.known_raw if k not in labels]
    assert not stale, f"known_raw entries that match no variant: {stale}"


def test_suite_totals():
    """Counts over the whole suite: no bad call accepted, raw or unnamed errors below 2 %."""
    counts: collections.Counter[str] = collections.Counter()
    for name in BY_NAME:
        counts.update(v.outcome for v in verdicts(name))
    total = sum(counts.values())
    print(f"\nbad-input suite: {len(BY_NAME)} specs, {total} bad calls: {dict(counts)}")
    assert total > 0
    assert counts["accepted"] == counts["slow"] == counts["memory"] == 0, dict(counts)
    assert counts["raw"] + counts["unnamed"] < 0.02 * total, dict(counts)

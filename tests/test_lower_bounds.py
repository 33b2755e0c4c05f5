""".ci/lower_bounds.py, which writes the constraints of `make compat-lowest`: one pin per dependency, at its bound."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _module():
    spec = importlib.util.spec_from_file_location("lower_bounds", ROOT / ".ci" / "lower_bounds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*argv: str) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert _module().main(list(argv)) == 0
    return [line for line in out.getvalue().splitlines() if line and not line.startswith("#")]


def test_every_dependency_is_pinned_once_at_its_lower_bound():
    lines = _run("--extras", "test,book")
    pins = {}
    for line in lines:
        match = re.match(r"^([a-z0-9\-]+)==([0-9.]+)(; .+)?$", line)
        assert match, line
        assert match.group(1) not in pins, f"{match.group(1)} pinned twice"
        pins[match.group(1)] = match.group(2)
    text = (ROOT / "pyproject.toml").read_text()
    for name, version in pins.items():
        assert re.search(rf'"{re.escape(name)}>={re.escape(version)}\b', text, re.I), f"{name}>={version}"
    for name in (
        "torch",
        "numpy",
        "ipywidgets",
        "pycocotools",
        "jupyter-book",
        "nbval",
        "ipykernel",
        "tomli",
    ):
        assert name in pins
    assert 'tomli==2.0; python_version < "3.11"' in lines


def test_a_pin_replaces_a_bound_and_unknown_names_are_refused():
    assert any(line.startswith("torch==2.13.0  #") for line in _run("--pin", "torch==2.13.0"))
    with pytest.raises(SystemExit, match="does not list"):
        _run("--pin", "no-such-package==1.0")
    with pytest.raises(SystemExit, match="unknown extras"):
        _run("--extras", "nope")

"""Packaging: pyproject, environment.yml and constraints.txt agree with each other."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}  # PyPI name -> conda-forge name where they differ


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pip_requirements() -> dict[str, str]:
    project = _pyproject()["project"]
    reqs = list(project["dependencies"])
    for items in project["optional-dependencies"].values():
        # The self-reference of `dev`, and backports that only older Pythons need (a `;` marker), are not
        # dependencies of the environment that conda builds.
        reqs += [r for r in items if not r.startswith("lecture-lib") and ";" not in r]
    named = dict(_name_and_spec(r) for r in reqs)
    return {CONDA_NAMES.get(n, n): spec for n, spec in named.items()}


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    named = dict(_name_and_spec(d) for d in env["dependencies"] if isinstance(d, str))
    named.pop("python")
    named.pop("pip")
    return named


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    assert _conda_requirements() == _pip_requirements()


def test_dependencies_have_lower_bounds_and_no_exact_pins():
    for name, spec in _pip_requirements().items():
        assert spec.startswith(">="), f"{name} should have a loose lower bound, got {spec!r}"
        assert "==" not in spec, (
            f"{name} is pinned exactly in pyproject.toml ({spec}); pins go in constraints.txt"
        )


def test_python_floor_and_extras():
    project = _pyproject()["project"]
    assert project["requires-python"] == ">=3.10"
    assert set(project["optional-dependencies"]) == {"book", "test", "dev"}
    assert project["optional-dependencies"]["dev"] == ["lecture-lib[book,test]"]
    assert any(r.startswith("jupyter-book>=1.0.4,<2") for r in project["optional-dependencies"]["book"])


def test_constraints_pin_every_dependency_and_the_required_versions():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"] == "1.0.4.post1"
    assert pins["nbval"] == "0.11.0"
    pip_names = {n if n != "pytorch" else "torch" for n in _pip_requirements()}
    missing = sorted(n for n in pip_names if n not in pins)
    assert not missing, f"constraints.txt does not pin {missing}"

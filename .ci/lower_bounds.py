"""Write a pip constraints file that pins every dependency of pyproject.toml to its lower bound.

Used by `make compat-lowest` (.ci/compat.sh): the environment built from it is the oldest one the declared
ranges admit. Reads [project] dependencies plus the named extras (``--extras test,book``); each requirement
must have a ``>=`` bound (tests/test_packaging.py keeps it so), which becomes ``name==bound``. A requirement
named twice (ipykernel is in both book and test) keeps the higher bound. Environment markers are carried
over, so ``tomli>=2.0; python_version < '3.11'`` becomes ``tomli==2.0; python_version < "3.11"``.
``--pin name==version`` replaces a bound (torch: the compatibility jobs use the build on the course machines;
its own bound is checked against the API list in .ci/compat/torch_api.md instead).

    python3 .ci/lower_bounds.py --extras test,book --pin torch==2.13.0 > lowest.txt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ModuleNotFoundError:  # every venv has pip, which carries packaging
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "lecture-lib"


def lower_bounds(pyproject: Path, extras: list[str]) -> dict[str, tuple[str, str]]:
    """{canonical name: (lower bound, marker or "")} for the dependencies and the given extras."""
    project = tomllib.loads(pyproject.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SystemExit(f"unknown extras {unknown}; pyproject has {sorted(optional)}")
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += optional[extra]
    bounds: dict[str, tuple[str, str]] = {}
    for text in requirements:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name == PROJECT:  # `dev` = lecture-lib[book,test]: name those extras instead
            continue
        lows = [s.version for s in req.specifier if s.operator == ">="]
        others = [str(s) for s in req.specifier if s.operator not in (">=", "<", "<=", "!=")]
        if len(lows) != 1 or others:
            raise SystemExit(f"{text!r}: expected exactly one '>=' lower bound (and optional upper bounds)")
        low = lows[0]
        marker = str(req.marker) if req.marker else ""
        if name in bounds:
            low = max(low, bounds[name][0], key=_version_key)
        bounds[name] = (low, marker)
    return bounds


def _version_key(version: str):
    try:
        from packaging.version import Version
    except ModuleNotFoundError:
        from pip._vendor.packaging.version import Version
    return Version(version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extras", default="", help="comma-separated extras of pyproject to include")
    parser.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="NAME==VERSION",
        help="use this exact version instead of the lower bound (repeatable)",
    )
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    args = parser.parse_args(argv)
    extras = [e.strip() for e in args.extras.split(",") if e.strip()]
    bounds = lower_bounds(args.pyproject, extras)
    pins = {}
    for pin in args.pin:
        name, sep, version = pin.partition("==")
        if not sep or not version:
            raise SystemExit(f"--pin wants NAME==VERSION, got {pin!r}")
        pins[canonicalize_name(name)] = version
    missing = sorted(set(pins) - set(bounds))
    if missing:
        raise SystemExit(f"--pin names {missing}, which pyproject does not list")
    print(
        f"# Lower bounds of pyproject.toml (extras: {','.join(extras) or 'none'}), written by .ci/lower_bounds.py"
    )
    for name in sorted(bounds):
        low, marker = bounds[name]
        line = f"{name}=={pins.get(name, low)}" + (f"; {marker}" if marker else "")
        print(line + (f"  # pyproject says >={low}" if name in pins else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Execute the book's chapters top to bottom in a fresh kernel, on the CPU, and save outputs and widget state.

Used by `make notebooks` (all chapters) and `make notebooks NB=book/x.ipynb` (one chapter). Every chapter
seeds itself in its first cell; this script adds the environment that makes runs repeatable:
LECTURE_LIB_DEVICE=cpu (the committed outputs are the CPU ones) and PYTHONHASHSEED=0.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def toc_entries() -> list[str]:
    """Every page _toc.yml names (root first, then in book order), as paths without a suffix."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files: list[str] = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", []))
    return files


def chapters_in_toc() -> list[Path]:
    """The notebooks named in _toc.yml, in book order."""
    return [ROOT / f"{f}.ipynb" for f in toc_entries() if (ROOT / f"{f}.ipynb").exists()]


def execute(path: Path, timeout: int = 600, output: Path | None = None, allow_errors: bool = False) -> float:
    """Execute one notebook (in its own folder) and save it in place or to ``output``; return the seconds.

    With ``allow_errors`` a failing cell is stored as an error output and execution goes on (the spread
    measurement records it); otherwise the first failing cell stops execution with its traceback.
    """
    nb = nbformat.read(path, as_version=4)
    os.environ["LECTURE_LIB_DEVICE"] = "cpu"
    os.environ["PYTHONHASHSEED"] = "0"
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
        allow_errors=allow_errors,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    if not _has_widgets(nb):
        nb.metadata.pop("widgets", None)
    nbformat.write(nb, output or path)
    return elapsed


def _has_widgets(nb) -> bool:
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return bool(state.get("state"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every chapter in _toc.yml")
    parser.add_argument("--list", action="store_true", help="print the chapters in _toc.yml and exit")
    parser.add_argument(
        "--output-dir", type=Path, help="save the executed notebooks here instead of in place (benchmarks)"
    )
    args = parser.parse_args(argv)
    if args.list:
        print(" ".join(str(p.relative_to(ROOT)) for p in chapters_in_toc()))
        return 0
    paths = [p.resolve() for p in args.notebooks] or chapters_in_toc()
    for path in paths:
        output = args.output_dir / path.name if args.output_dir else None
        elapsed = execute(path, output=output)
        print(f"{path.relative_to(ROOT)}: executed in {elapsed:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

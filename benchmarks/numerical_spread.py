"""Measure which printed numbers of the chapters move when the numerical path changes.

Every chapter is executed top to bottom under every path of `.ci/numerical_paths.py` (another ATen CPU
capability, oneDNN ISA, MKL branch, thread count or OpenBLAS kernel), and each checked output is compared with
the committed one the way nbval compares it (same sanitize file, same ignored cells). The result lists, per
chapter, every output line that changed and what it became under which path: the spread that the printing rule
(README, "For instructors") has to leave room for.

Writes `benchmarks/results/spread/spread.json` and `benchmarks/results/spread/README.md`.

Usage: `python benchmarks/numerical_spread.py [--paths NAME ...] [--chapters book/x.ipynb ...] [--jobs 2]`
(about 45 minutes for every chapter under every path on 2 cores).
"""

from __future__ import annotations

import argparse
import configparser
import datetime as dt
import difflib
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "spread"
sys.path.insert(0, str(ROOT / "benchmarks"))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / ".ci" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


numerical_paths = _load("numerical_paths")
execute_notebooks = _load("execute_notebooks")

# What nbval leaves out of the comparison (its default skip list, images included).
SKIPPED_KEYS = {
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
}
IGNORE_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP")


def sanitize_patterns() -> list[tuple[re.Pattern, str]]:
    """The regex/replace pairs of tests/nbval_sanitize.cfg, in file order."""
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "nbval_sanitize.cfg")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def checked_outputs(cell, patterns) -> dict[str, str]:
    """One cell's outputs as nbval compares them: streams merged, data flattened by MIME type, sanitized."""
    if any(re.search(rf"^\s*#\s*{m}\s*$", cell.source, re.M) for m in IGNORE_MARKERS):
        return {}
    found: dict[str, list[str]] = {}
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            found.setdefault(f"stream:{out.name}", []).append(out.text)
        elif out.output_type == "error":
            found.setdefault("error", []).append(f"{out.ename}: {out.evalue}")
        else:
            for key, value in out.get("data", {}).items():
                if key not in SKIPPED_KEYS:
                    found.setdefault(key, []).append(value if isinstance(value, str) else json.dumps(value))
    result = {}
    for key, values in found.items():
        text = "".join(values) if key.startswith("stream:") else "\n".join(values)
        for pattern, replace in patterns:
            text = pattern.sub(replace, text)
        result[key] = text
    return result


def changed_lines(committed: str, got: str) -> list[tuple[str, str]]:
    """Pairs (committed line, new line) where the two texts differ; '' stands for a missing line."""
    a, b = committed.splitlines(), got.splitlines()
    pairs = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        old, new = a[i1:i2], b[j1:j2]
        for k in range(max(len(old), len(new))):
            pairs.append((old[k] if k < len(old) else "", new[k] if k < len(new) else ""))
    return pairs


def compare(committed_nb, executed_nb, patterns) -> list[dict]:
    """The checked cells whose outputs differ, with the lines that changed."""
    cells = []
    code = [c for c in committed_nb.cells if c.cell_type == "code"]
    executed = [c for c in executed_nb.cells if c.cell_type == "code"]
    for index, (ref, new) in enumerate(zip(code, executed, strict=True), start=1):
        ref_out, new_out = checked_outputs(ref, patterns), checked_outputs(new, patterns)
        if ref_out == new_out:
            continue
        changes = []
        for key in sorted(set(ref_out) | set(new_out)):
            for old, got in changed_lines(ref_out.get(key, ""), new_out.get(key, "")):
                changes.append({"output": key, "committed": old, "got": got})
        head = next((line for line in ref.source.splitlines() if line.strip()), "")
        cells.append({"cell": index, "source": head[:100], "changes": changes})
    return cells


def _execute_one(chapter: Path, path_name: str, workdir: Path) -> dict:
    out_dir = workdir / path_name
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        str(ROOT / ".ci" / "numerical_paths.py"),
        path_name,
        "--",
        sys.executable,
        str(Path(__file__).resolve()),
        "--execute-one",
        str(chapter),
        str(out_dir / chapter.name),
    ]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        return {"seconds": round(seconds, 1), "failed": proc.stderr[-2000:]}
    return {"seconds": round(seconds, 1), "notebook": str(out_dir / chapter.name)}


def measure(chapters: list[Path], path_names: list[str], jobs: int, workdir: Path) -> dict:
    patterns = sanitize_patterns()
    tasks = [(c, p) for p in path_names for c in chapters]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(lambda t: _execute_one(t[0], t[1], workdir), tasks))
    report: dict[str, dict] = {c.stem: {} for c in chapters}
    for (chapter, path_name), run in zip(tasks, runs, strict=True):
        entry = {"seconds": run["seconds"]}
        if "failed" in run:
            entry["failed"] = run["failed"]
        else:
            committed = nbformat.read(chapter, as_version=4)
            executed = nbformat.read(run["notebook"], as_version=4)
            entry["differing_cells"] = compare(committed, executed, patterns)
        report[chapter.stem][path_name] = entry
        print(f"{chapter.stem} under {path_name}: {_summary(entry)}", flush=True)
    return report


def _summary(entry: dict) -> str:
    if "failed" in entry:
        return "execution failed"
    n = len(entry["differing_cells"])
    return f"{n} differing cell{'s' * (n != 1)} ({entry['seconds']} s)"


def markdown(result: dict) -> str:
    machine = result["machine"]
    paths = result["paths"]
    lines = [
        "# Numerical spread of the chapters' printed outputs",
        "",
        f"Measured {result['date']} on {machine['cpu']} ({machine['cores']} cores), torch {machine['torch']}, "
        f"by `python benchmarks/numerical_spread.py`. Each chapter was executed under each path and its checked "
        "outputs compared with the committed ones as nbval compares them.",
        "",
        "| path | environment |",
        "| --- | --- |",
    ]
    lines += [
        f"| {n} | {' '.join(f'`{k}={v}`' for k, v in paths[n].items()) or 'unchanged'} |" for n in paths
    ]
    lines += ["", "## Differing cells per chapter and path", ""]
    lines.append("| chapter | " + " | ".join(paths) + " |")
    lines.append("| --- | " + " | ".join("---" for _ in paths) + " |")
    for chapter, per_path in result["chapters"].items():
        row = []
        for n in paths:
            entry = per_path.get(n)
            row.append(
                "-"
                if entry is None
                else "failed"
                if "failed" in entry
                else str(len(entry["differing_cells"]))
            )
        lines.append(f"| {chapter} | " + " | ".join(row) + " |")
    lines += ["", "## What moved", ""]
    any_moved = False
    for chapter, per_path in result["chapters"].items():
        moved: dict[tuple[int, str], dict[tuple[str, str], list[str]]] = {}
        for n, entry in per_path.items():
            for cell in entry.get("differing_cells", []):
                for change in cell["changes"]:
                    key = (cell["cell"], cell["source"])
                    moved.setdefault(key, {}).setdefault((change["committed"], change["got"]), []).append(n)
        if not moved:
            continue
        any_moved = True
        lines += [f"### {chapter}", ""]
        for (index, source), variants in sorted(moved.items()):
            shown = source.replace("`", "'")
            lines.append(f"- code cell {index} (`{shown}`):")
            for (old, new), names in variants.items():
                lines.append(
                    f"  - `{old.strip()[:140]}` became `{new.strip()[:140]}` under {', '.join(names)}"
                )
        lines.append("")
    if not any_moved:
        lines.append("No checked output changed under any path.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", nargs="+", choices=list(numerical_paths.PATHS), help="default: every path")
    parser.add_argument("--chapters", nargs="+", type=Path, help="default: every chapter in _toc.yml")
    parser.add_argument("--jobs", type=int, default=2, help="chapters executed at once (default 2)")
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the other chapters of an earlier spread.json in --output (same paths) and replace these",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help=f"folder for the results (default {RESULTS})"
    )
    parser.add_argument(
        "--execute-one", nargs=2, type=Path, metavar=("CHAPTER", "OUTPUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.execute_one:
        chapter, output = args.execute_one
        execute_notebooks.execute(chapter.resolve(), output=output, allow_errors=True)
        return 0
    import torch
    from run import machine_description

    chapters = [p.resolve() for p in args.chapters] if args.chapters else execute_notebooks.chapters_in_toc()
    path_names = args.paths or list(numerical_paths.PATHS)
    started = dt.datetime.now(dt.timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        report = measure(chapters, path_names, args.jobs, Path(tmp))
    date = started.strftime("%Y-%m-%d %H:%M UTC")
    for per_path in report.values():
        for entry in per_path.values():
            entry["date"] = date
    result = {
        "date": date,
        "machine": machine_description(torch.device("cpu")),
        "paths": {n: numerical_paths.PATHS[n] for n in path_names},
        "chapters": report,
    }
    earlier = args.output / "spread.json"
    if args.update and earlier.exists():
        old = json.loads(earlier.read_text())
        if old["paths"] != result["paths"]:
            raise SystemExit(f"{earlier} was measured under other paths; run without --update")
        merged = {c: old["chapters"][c] for c in old["chapters"] if c not in report}
        merged.update(report)
        order = [c.stem for c in execute_notebooks.chapters_in_toc()]
        result["chapters"] = {
            c: merged[c] for c in sorted(merged, key=lambda c: order.index(c) if c in order else 99)
        }
        dates = sorted({e["date"] for per_path in merged.values() for e in per_path.values() if "date" in e})
        result["date"] = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "spread.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.output / "README.md").write_text(markdown(result))
    print(f"wrote {args.output}/spread.json and README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Per-chapter execution time and peak memory, the whole book, and the book build.

Each chapter runs in a fresh subprocess (`.ci/execute_notebooks.py --output-dir <tmp>`: executed in its own
folder, saved elsewhere, so the committed notebook is untouched); the kernel is a child of that subprocess, so
the peak resident memory of its descendants (RUSAGE_CHILDREN ru_maxrss, read by a small wrapper) is the
kernel's peak. The book build is timed as
`jupyter-book build` into a temporary directory from the committed outputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
TITLE = "Executing the book on the CPU"
TARGET = "every chapter <= 60 s and < 3 GiB peak memory; whole book <= 300 s; build <= 60 s"

_WRAPPER = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run([sys.executable, sys.argv[1], sys.argv[2], "--output-dir", sys.argv[3]], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall_s": wall, "peak_mib": peak_kib / 1024}))
"""


def _chapters() -> list[Path]:
    out = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "execute_notebooks.py"), "--list"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [ROOT / p for p in out.stdout.split()]


def run(device: torch.device) -> list[dict]:
    rows = []
    total = 0.0
    executor = str(ROOT / ".ci" / "execute_notebooks.py")
    with tempfile.TemporaryDirectory() as tmp:
        for chapter in _chapters():
            out = subprocess.run(
                [sys.executable, "-c", _WRAPPER, executor, str(chapter), tmp],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            measured = json.loads(out.stdout.strip().splitlines()[-1])
            total += measured["wall_s"]
            within = measured["wall_s"] <= 60 and measured["peak_mib"] < 3072
            rows.append(
                {
                    "what": chapter.stem,
                    "wall time (s)": round(measured["wall_s"], 1),
                    "peak memory (MiB)": round(measured["peak_mib"]),
                    "within target": "yes" if within else "NO",
                }
            )
        rows.append(
            {
                "what": "whole book (sum)",
                "wall time (s)": round(total, 1),
                "within target": "yes" if total <= 300 else "NO",
            }
        )
        build_dir = Path(tmp) / "build"
        jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
        start = time.perf_counter()
        subprocess.run(
            [jupyter_book, "build", str(ROOT), "--path-output", str(build_dir), "--builder", "html"],
            check=True,
            capture_output=True,
        )
        build = time.perf_counter() - start
    rows.append(
        {
            "what": "book build (jupyter-book, from committed outputs)",
            "wall time (s)": round(build, 1),
            "within target": "yes" if build <= 60 else "NO",
        }
    )
    return rows

"""Run the course's benchmarks and write their results with the machine's description.

Every `benchmarks/bench_<topic>.py` module defines `TITLE`, `TARGET` and `run(device) -> list[dict]`
(one dict per table row). This runner imports them, runs them, and writes

- `benchmarks/results/<topic>.json`: the rows, the target, the device and the machine;
- `benchmarks/results/README.md`: every table, regenerated from all the JSON files present, so running one
  topic (`--only topic`) keeps the others' last results.

Usage: `python benchmarks/run.py [--only TOPIC ...] [--device cpu|cuda|mps]` (`make bench` runs them all).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))


def machine_description(device: torch.device) -> dict:
    """Processor, cores, memory, and versions: what a reader needs to compare timings."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kib / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        # Other processes compete for the cores: a ratio measured under load is less trustworthy.
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def topics() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def run_topic(topic: str, device: torch.device) -> dict:
    module = importlib.import_module(f"bench_{topic}")
    started = dt.datetime.now(dt.timezone.utc)
    rows = module.run(device)
    return {
        "topic": topic,
        "title": module.TITLE,
        "target": module.TARGET,
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_description(device),
        "rows": rows,
    }


def _cell(value) -> str:
    if isinstance(value, float):
        return (
            f"{value:.3g}"
            if abs(value) < 1e-3 or abs(value) >= 1e4
            else f"{value:.3f}".rstrip("0").rstrip(".")
        )
    return str(value)


def markdown_table(result: dict) -> str:
    rows = result["rows"]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    m = result["machine"]
    lines = [
        f"## {result['title']}",
        "",
        f"Target: {result['target']}. Measured {result['date']} on {m['cpu']} ({m['cores']} cores, {m['memory']}), "
        f"{m['os']}, Python {m['python']}, torch {m['torch']} ({m['torch_threads']} threads), device "
        f"{m.get('gpu', m['device'])}, load average {m.get('load_average_1min')} at the start.",
        "",
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def write_summary() -> None:
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    header = (
        "# Benchmark results\n\n"
        "Written by `make bench` (`python benchmarks/run.py`); each table names its machine. Kernel rows time "
        "the course's implementation and PyTorch's alternately in the same run (median of repeats).\n"
    )
    (RESULTS / "README.md").write_text(header + "\n" + "\n".join(markdown_table(r) for r in results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=topics(), help="run only these topics")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: lecture_lib.get_device())")
    args = parser.parse_args(argv)
    from lecture_lib import get_device

    device = get_device(args.device)
    RESULTS.mkdir(exist_ok=True)
    suffix = "" if device.type == "cpu" else f"_{device.type}"
    for topic in args.only or topics():
        print(f"running {topic} on {device} ...", flush=True)
        result = run_topic(topic, device)
        (RESULTS / f"{topic}{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(markdown_table(result), flush=True)
    write_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())

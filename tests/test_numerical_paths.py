"""The perturbed numerical path of `make test` really computes differently, and the spread measurement's
comparison sees what nbval sees."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PATHS = _load(ROOT / ".ci" / "numerical_paths.py", "numerical_paths")
SPREAD = _load(ROOT / "benchmarks" / "numerical_spread.py", "numerical_spread")

# Run in a fresh IPython kernel, as nbval does: the variables are read when torch loads.
PROBE = """
import json, torch
torch.manual_seed(0)
a, b = torch.randn(64, 300), torch.randn(300, 48)
x = torch.randn(2, 3, 24, 24); w = torch.randn(8, 3, 3, 3)
v = torch.randn(10000)
print(json.dumps({
    "capability": torch.backends.cpu.get_cpu_capability(),
    "threads": torch.get_num_threads(),
    "gemm": (a @ b).flatten().tolist(),
    "conv": torch.nn.functional.conv2d(x, w).flatten().tolist(),
    "tanh": torch.tanh(v).tolist(),
}))
"""


def _probe(name: str) -> dict:
    # an IPython session reads the startup files as a kernel does
    command = [
        sys.executable,
        str(ROOT / ".ci" / "numerical_paths.py"),
        name,
        "--",
        sys.executable,
        "-m",
        "IPython",
        "--no-banner",
        "-c",
        PROBE,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout
    return json.loads(out.splitlines()[-1])


@pytest.fixture(scope="module")
def reference():
    return _probe("reference")


@pytest.fixture(scope="module")
def perturbed():
    return _probe("perturbed")


def test_perturbed_path_uses_other_kernels(reference, perturbed):
    assert perturbed["capability"] == "DEFAULT"
    assert perturbed["threads"] == 3
    # the same inputs, other rounding: matrix product (MKL), convolution (oneDNN), tanh (ATen)
    for key in ("gemm", "conv", "tanh"):
        assert perturbed[key] != reference[key], f"{key} came out bit for bit the same on the perturbed path"
        worst = max(abs(p - r) for p, r in zip(perturbed[key], reference[key], strict=True))
        assert worst < 1e-3, f"{key} differs by {worst}: more than rounding"


def test_unknown_path_is_named():
    with pytest.raises(ValueError, match="'avx9'"):
        PATHS.environment("avx9")


def test_paths_only_set_variables_the_libraries_read():
    known = {
        "ATEN_CPU_CAPABILITY",
        "ONEDNN_MAX_CPU_ISA",
        "MKL_CBWR",
        "OMP_NUM_THREADS",
        "NUMERICAL_PATH_TORCH_THREADS",
        "OMP_WAIT_POLICY",
        "OPENBLAS_CORETYPE",
    }
    for name, variables in PATHS.PATHS.items():
        assert set(variables) <= known, name
    # some machines set OPENBLAS_CORETYPE for correctness: tests and CI never change it
    assert "OPENBLAS_CORETYPE" not in PATHS.PERTURBED


def _cell(source: str, text: str, name: str = "stdout"):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output("stream", name=name, text=text)]
    return cell


def test_spread_comparison_follows_nbval():
    patterns = SPREAD.sanitize_patterns()
    committed = nbformat.v4.new_notebook(
        cells=[
            _cell("print(a)", "loss 0.2922\nsteps 12\n"),
            _cell("# NBVAL_IGNORE_OUTPUT\nprint(t)", "took 3.1 s\n"),
            _cell("print(b)", "at 0x7f00aa11bb22, 1.2 s\n"),
        ]
    )
    executed = nbformat.v4.new_notebook(
        cells=[
            _cell("print(a)", "loss 0.1947\nsteps 12\n"),
            _cell("# NBVAL_IGNORE_OUTPUT\nprint(t)", "took 9.9 s\n"),
            _cell("print(b)", "at 0x7f00cc33dd44, 2.5 s\n"),
        ]
    )
    cells = SPREAD.compare(committed, executed, patterns)
    assert cells == [
        {
            "cell": 1,
            "source": "print(a)",
            "changes": [{"output": "stream:stdout", "committed": "loss 0.2922", "got": "loss 0.1947"}],
        }
    ]
    # a warning on stderr is a difference too, as in nbval
    executed.cells[2].outputs.append(nbformat.v4.new_output("stream", name="stderr", text="UserWarning\n"))
    assert [c["cell"] for c in SPREAD.compare(committed, executed, patterns)] == [1, 3]

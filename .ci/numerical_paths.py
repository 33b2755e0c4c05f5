"""Numerical paths: environments that make PyTorch, oneDNN, MKL and OpenBLAS round differently on one machine.

Another processor runs other kernels: ATen's vectorised loops for another instruction set, oneDNN's JIT
convolutions and LSTMs for another ISA and cache size, MKL's GEMM for another branch, reductions split over
another number of threads. Each of these changes the rounding of floating-point results, never their exact
value. One machine can take most of these paths itself, through environment variables read when the libraries
start. `make test` runs nbval twice, the second time under PERTURBED, so an output that another processor would
print differently fails on any one machine; `benchmarks/numerical_spread.py` executes every chapter under every
path here and records which printed numbers move and by how much.

Usage: `python .ci/numerical_paths.py NAME -- COMMAND [ARG ...]` runs COMMAND with path NAME's environment;
`python .ci/numerical_paths.py --list` prints the paths.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# Each variable is read once, when the library loads, so it must be set before the kernel starts.
#   ATEN_CPU_CAPABILITY: PyTorch's vectorised CPU kernels (default = scalar, avx2, avx512).
#   ONEDNN_MAX_CPU_ISA: the highest instruction set oneDNN's convolution and LSTM kernels may use.
#   MKL_CBWR: MKL's conditional numerical reproducibility branch (COMPATIBLE = SSE2-only code).
#   OMP_NUM_THREADS: how reductions and GEMMs are split. PyTorch caps it at the number of cores, so more
#     threads than cores take NUMERICAL_PATH_TORCH_THREADS, which an IPython startup file turns into
#     torch.set_num_threads in every kernel (a chapter that calls torch.set_num_threads fixes its own count).
#     OMP_WAIT_POLICY=PASSIVE keeps more threads than cores from spinning against each other.
#   OPENBLAS_CORETYPE: NumPy's OpenBLAS kernels (only in the spread measurement: some machines set it for
#     correctness, so tests and CI leave it alone).
_THREADS_3 = {"NUMERICAL_PATH_TORCH_THREADS": "3", "OMP_WAIT_POLICY": "PASSIVE"}

PERTURBED: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "default",
    "ONEDNN_MAX_CPU_ISA": "SSE41",
    "MKL_CBWR": "COMPATIBLE",
    **_THREADS_3,
}

PATHS: dict[str, dict[str, str]] = {
    "reference": {},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "onednn-sse41": {"ONEDNN_MAX_CPU_ISA": "SSE41"},
    "onednn-avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "mkl-compatible": {"MKL_CBWR": "COMPATIBLE"},
    "threads-1": {"OMP_NUM_THREADS": "1"},
    "threads-3": _THREADS_3,
    "openblas-haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "perturbed": PERTURBED,
}


_STARTUP = """\
# Written by .ci/numerical_paths.py: the thread count of a numerical path, set in every IPython kernel.
import os

import torch

torch.set_num_threads(int(os.environ["NUMERICAL_PATH_TORCH_THREADS"]))
"""


def environment(name: str) -> dict[str, str]:
    """The process environment of path ``name``: the current one with the path's variables set.

    A path that sets NUMERICAL_PATH_TORCH_THREADS also gets its own IPYTHONDIR (a temporary folder) whose
    startup file applies that thread count in every kernel that nbval or the executor starts.
    """
    if name not in PATHS:
        raise ValueError(f"numerical path {name!r} is unknown; expected one of {sorted(PATHS)}")
    env = dict(os.environ)
    env.update(PATHS[name])
    if "NUMERICAL_PATH_TORCH_THREADS" in PATHS[name]:
        ipython_dir = Path(tempfile.mkdtemp(prefix="numerical-path-ipython-"))
        startup = ipython_dir / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-threads.py").write_text(_STARTUP)
        env["IPYTHONDIR"] = str(ipython_dir)
    return env


def main(argv: list[str]) -> int:
    if argv[:1] == ["--list"]:
        for name, variables in PATHS.items():
            print(name, " ".join(f"{k}={v}" for k, v in variables.items()) or "(unchanged)")
        return 0
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    name, command = argv[0], argv[2:]
    env = environment(name)
    print(f"numerical path {name}: " + (" ".join(f"{k}={v}" for k, v in PATHS[name].items()) or "unchanged"))
    sys.stdout.flush()
    os.execvpe(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

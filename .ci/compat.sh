#!/usr/bin/env bash
# Compatibility jobs (`make compat-lowest`, `make compat-newest`): a fresh virtual environment outside the
# repository, built from the LOWEST versions pyproject's ranges admit (constraints from .ci/lower_bounds.py)
# or from the NEWEST releases the registry serves, then the unit tests and nbval in lax mode (errors and
# asserts only: outputs may differ between versions) on every chapter. Torch is pinned to the build on the
# course machines in both (other builds are multi-GB CUDA downloads); its own lower bound is checked against
# the API list in .ci/compat/torch_api.md. No book build.
#
#   .ci/compat.sh lowest|newest [--record]
#
# COMPAT_DIR (default /tmp) holds the environment, compat-<which>/, with constraints.txt, freeze.txt,
# unit.log, nbval.log and results.txt. --record copies freeze.txt and results.txt to .ci/compat/.
set -uo pipefail
cd "$(dirname "$0")/.."

which=${1:?usage: .ci/compat.sh lowest|newest [--record]}
record=${2:-}
PYTHON=${PYTHON:-python3}
TORCH=${COMPAT_TORCH:-2.13.0}
EXTRAS=test,book
ENV=${COMPAT_DIR:-/tmp}/compat-$which
PIP=("$ENV/bin/python" -m pip --disable-pip-version-check)

now() { date +%s; }
t0=$(now)
load0=$(cut -d' ' -f1-3 /proc/loadavg)  # the timings mean little on a machine busy with other work
rm -rf "$ENV"
"$PYTHON" -m venv "$ENV" || exit 1
case "$which" in
  lowest) "$PYTHON" .ci/lower_bounds.py --extras "$EXTRAS" --pin "torch==$TORCH" > "$ENV/constraints.txt" || exit 1 ;;
  newest) echo "torch==$TORCH" > "$ENV/constraints.txt" ;;
  *) echo "usage: .ci/compat.sh lowest|newest [--record]" >&2; exit 2 ;;
esac
"${PIP[@]}" install --quiet --upgrade pip || exit 1
# torch first, alone: `pip install torch==2.13.0` takes the CPU wheel on the course machines' disk
"${PIP[@]}" install --quiet "torch==$TORCH" || exit 1
"${PIP[@]}" install --quiet -e ".[$EXTRAS]" -c "$ENV/constraints.txt" || exit 1
"${PIP[@]}" freeze --exclude-editable > "$ENV/freeze.txt"
"$ENV/bin/python" -c "import lecture_lib, sys; assert lecture_lib.__file__.startswith('$PWD/'), lecture_lib.__file__"
t1=$(now)

"$ENV/bin/python" -m pytest -p no:cacheprovider -q -m "not browser" tests 2>&1 | tee "$ENV/unit.log"
unit_rc=${PIPESTATUS[0]}
t2=$(now)
mapfile -t chapters < <("$ENV/bin/python" .ci/execute_notebooks.py --list | tr ' ' '\n')
"$ENV/bin/python" -m pytest -p no:cacheprovider -q --nbval-lax --nbval-current-env "${chapters[@]}" 2>&1 \
  | tee "$ENV/nbval.log"
nbval_rc=${PIPESTATUS[0]}
t3=$(now)

{
  echo "# compat-$which on $(date -u +%Y-%m-%d), Python $("$ENV/bin/python" -c 'import platform; print(platform.python_version())'), $(nproc) cores"
  echo "install: $((t1 - t0)) s"
  echo "unit tests (pytest -m 'not browser' tests): $((t2 - t1)) s, exit $unit_rc: $(tail -n 1 "$ENV/unit.log")"
  echo "nbval-lax (${#chapters[@]} chapters): $((t3 - t2)) s, exit $nbval_rc: $(tail -n 1 "$ENV/nbval.log")"
  echo "total: $((t3 - t0)) s (load average at the start: $load0; at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
} | tee "$ENV/results.txt"

if [ "$record" = --record ]; then
  mkdir -p .ci/compat
  cp "$ENV/freeze.txt" ".ci/compat/$which-freeze.txt"
  cp "$ENV/results.txt" ".ci/compat/$which-results.txt"
fi
[ "$unit_rc" = 0 ] && [ "$nbval_rc" = 0 ]

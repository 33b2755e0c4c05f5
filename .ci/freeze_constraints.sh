#!/usr/bin/env bash
# Print a constraints file for the environment of the given Python: every installed distribution pinned,
# the project itself left out, and torch pinned without its local build tag (2.13.0+cpu -> 2.13.0).
set -euo pipefail
python=${1:-.venv/bin/python}
echo "# Exact versions that produced the committed notebook outputs and the benchmark tables."
echo "# Every install goes through this file: pip install -e '.[dev]' -c constraints.txt"
echo "# torch==2.13.0 resolves to the CPU build on the course machines (2.13.0+cpu); regenerate with"
echo "# 'make constraints' after changing dependencies, then re-run 'make notebooks'."
"$python" -m pip freeze --exclude-editable --disable-pip-version-check \
  | grep -v -i -E '^(lecture-lib|lecture_lib)[= @]' \
  | sed -E 's/^torch==([0-9.]+)\+[a-z0-9]+$/torch==\1/'

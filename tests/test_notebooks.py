"""The chapters as committed: in the table of contents, executed once top to bottom, clean, and uniform.

nbval (run by `make test`) re-executes each chapter and compares outputs; these checks cover what nbval
does not: that the stored outputs come from one clean run, and that every chapter starts the same way.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def _load_executor():
    """.ci/execute_notebooks.py, which `make notebooks` runs: its reading of _toc.yml is the one tested here."""
    spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / ".ci" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXECUTOR = _load_executor()


def _toc_files() -> list[str]:
    return EXECUTOR.toc_entries()


CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def test_toc_names_only_files_that_exist():
    for entry in _toc_files():
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".ipynb", ".md")), f"_toc.yml names {entry}"


def test_make_notebooks_and_nbval_see_every_chapter():
    # the Makefile takes its chapter list (for `make notebooks` and nbval) from chapters_in_toc
    assert sorted(EXECUTOR.chapters_in_toc()) == CHAPTERS


def test_every_chapter_is_in_the_toc():
    listed = set(_toc_files())
    for path in CHAPTERS:
        assert str(path.relative_to(ROOT).with_suffix("")) in listed, f"{path.name} is not in _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_outputs_come_from_one_clean_run(path):
    nb = nbformat.read(path, as_version=4)
    counts = []
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        assert cell.execution_count is not None, f"a cell was never executed:\n{cell.source[:200]}"
        counts.append(cell.execution_count)
        for out in cell.outputs:
            assert out.output_type != "error", f"stored error output: {out.get('ename')}"
            assert not (out.output_type == "stream" and out.name == "stderr"), (
                f"a cell wrote to stderr (a warning is a bug): {out.text[:200]!r}"
            )
    assert counts == list(range(1, len(counts) + 1)), "cells were not executed once, top to bottom"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_first_cell_installs_in_colab_seeds_and_picks_the_device(path):
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    repo = CONFIG["repository"]["url"]
    assert 'if "google.colab" in sys.modules:' in first.source
    assert f"lecture-lib @ git+{repo}@{CONFIG['repository']['branch']}" in first.source
    assert re.search(r"seed_everything\(\d+\)", first.source)
    assert "get_device()" in first.source


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_goals_exercises_and_solutions(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "**Learning goals.**" in markdown
    assert "## Exercises" in markdown
    n_exercises = len(re.findall(r"\*\*Exercise \d+\.\*\*", markdown))
    assert 2 <= n_exercises <= 4
    assert markdown.count(":::{dropdown} Solution") >= n_exercises


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_explorer_widget_state_is_saved(path):
    nb = nbformat.read(path, as_version=4)
    shows_widget = any(
        "application/vnd.jupyter.widget-view+json" in out.get("data", {})
        for c in nb.cells
        if c.cell_type == "code"
        for out in c.outputs
    )
    assert shows_widget, "every chapter has an interactive explorer"
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert state, "the explorer's widget state was not saved (run `make notebooks`)"

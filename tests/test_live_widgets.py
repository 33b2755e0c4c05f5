"""Every chapter's explorer, live in a real JupyterLab driven by headless Chromium.

A JupyterLab server (127.0.0.1, a free port, a token, a temporary root and temporary Jupyter directories)
opens a generated notebook that builds every chapter's explorer (tests/live_widgets/explorers.py) and runs
all its cells. Then, for each explorer: its widget view rendered (no error output, no "Error displaying
widget"), the labels of its toggle buttons sit beside the buttons, and after moving one control (a slider
by one arrow key, or a click on a toggle button) its figure changed (the image's bytes differ). At the end
the browser console holds no error.

Two variants, one server each:
- ``ipywidgets-8``: the environment's ipywidgets (8.x) and JupyterLab widget manager (jupyterlab_widgets 3.x);
- ``ipywidgets-7``: the ipywidgets 7.7 that Colab ships, with the widget manager that 7.x needs in JupyterLab
  (jupyterlab_widgets 1.1.x; the default 3.x refuses 7.x models), both installed in the folder named by
  LIVE_WIDGETS7, which goes first on the server's and the kernel's PYTHONPATH and first on JUPYTER_PATH.
  `make live-widgets` installs that folder and runs both; without LIVE_WIDGETS7 this variant is skipped.

A failing run leaves a screenshot in `_build/live-widgets-failures/`.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from live_widgets.explorers import EXPLORERS, build_notebook
from test_rendered_book import _require, browser  # noqa: F401  (the same headless Chromium)

ROOT = Path(__file__).resolve().parents[1]
FAILURES = ROOT / "_build" / "live-widgets-failures"
NOTEBOOK = "live_widgets.ipynb"

# The JupyterLab application, the open notebook panel and its cells (the app is exposed to the page by
# --LabApp.expose_app_in_browser, as JupyterLab's own browser tests do).
PANEL = "const app = window.jupyterapp; const panel = app && app.shell.currentWidget;"
CELL = PANEL + "const cell = panel.content.widgets[arguments[0]];"

# The labels of the toggle buttons in a cell that do not sit on the line of their buttons, left of them.
TOGGLE_LABELS_APART = """
    return Array.from(cell.node.querySelectorAll('.widget-toggle-buttons')).flatMap(toggle => {
        const label = toggle.querySelector(':scope > .widget-label');
        const button = toggle.querySelector('button');
        if (!label || !label.textContent || !button) return [];
        const l = label.getBoundingClientRect(), b = button.getBoundingClientRect();
        return l.right <= b.left + 1 && l.top < b.bottom && b.top < l.bottom ? [] : [label.textContent];
    });"""


def _versions(folder: Path | None) -> dict[str, str]:
    """The versions of ipywidgets and jupyterlab_widgets in ``folder``, else in this environment."""
    names = ("ipywidgets", "jupyterlab_widgets")
    if folder is None:
        return {name: importlib.metadata.version(name) for name in names}
    found = {d.metadata["Name"].lower().replace("-", "_"): d.version
             for d in importlib.metadata.distributions(path=[str(folder)])}  # fmt: skip
    return {name: found.get(name, "missing") for name in names}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module", params=["ipywidgets-8", "ipywidgets-7"])
def lab(request, tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 with the notebook in its root: yields (url, token, versions)."""
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        _require(False, "JupyterLab is not installed (pip install -e '.[dev]' -c constraints.txt)")
    env = dict(os.environ)
    folder = None
    if request.param == "ipywidgets-7":
        folder = Path(env.get("LIVE_WIDGETS7", "")).resolve()
        _require(bool(env.get("LIVE_WIDGETS7")) and folder.is_dir(),
                 "LIVE_WIDGETS7 does not name a folder with ipywidgets 7.7 and jupyterlab_widgets 1.1 "
                 "(`make live-widgets` installs one)")  # fmt: skip
        for name, path in (("PYTHONPATH", folder), ("JUPYTER_PATH", folder / "share" / "jupyter")):
            env[name] = os.pathsep.join([str(path)] + ([env[name]] if env.get(name) else []))
    versions = _versions(folder)
    # Each ipywidgets major needs its own JupyterLab widget manager: 7.x -> 1.x, 8.x -> 3.x.
    manager = {"7": "1.", "8": "3."}.get(versions["ipywidgets"].split(".")[0])
    assert manager is not None and versions["jupyterlab_widgets"].startswith(manager), (
        f"{request.param}: ipywidgets {versions['ipywidgets']} with jupyterlab_widgets "
        f"{versions['jupyterlab_widgets']} (expected {manager}x)"
    )
    if folder is not None:
        assert versions["ipywidgets"].startswith("7."), f"{folder} holds ipywidgets {versions['ipywidgets']}"
    base = tmp_path_factory.mktemp("lab")
    root, settings = base / "root", base / "settings" / "@jupyterlab"
    root.mkdir()
    nbformat.write(build_notebook(), root / NOTEBOOK)
    # Every cell stays attached to the page (the default windowing detaches or skips cells off screen).
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    (settings / "apputils-extension").mkdir()
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false"}'
    )
    for name in ("config", "data", "runtime", "ipython"):
        (base / name).mkdir()
    env.update(JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_DATA_DIR=str(base / "data"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"), IPYTHONDIR=str(base / "ipython"),
               MPLBACKEND="Agg", PYTHONUNBUFFERED="1")  # fmt: skip
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={base / 'settings'}", f"--LabApp.workspaces_dir={base / 'workspaces'}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
        "--ServerApp.allow_root=True",  # CI containers run as root
    ]  # fmt: skip
    log = open(base / "server.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{(base / 'server.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield url, token, versions
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _wait(driver, script: str, what: str, timeout: float, *args):
    """Poll ``script`` (JavaScript returning a truthy value when done) until it holds; fail naming ``what``."""
    from selenium.common.exceptions import JavascriptException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    def check(d):
        try:
            return d.execute_script(script, *args)
        except JavascriptException:
            return False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(check)
    except TimeoutException:
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def _image_bytes(driver, index: int) -> str:
    """The PNG the explorer in cell ``index`` shows, base64 (read back from the image's blob URL)."""
    script = (
        CELL
        + """
        const done = arguments[arguments.length - 1];
        const img = cell.node.querySelector('.jp-OutputArea-output img.widget-image');
        if (!img || !img.src) { done(''); return; }
        fetch(img.src).then(r => r.blob()).then(b => {
            const reader = new FileReader();
            reader.onload = () => done(reader.result.split(',')[1] || '');
            reader.readAsDataURL(b);
        }).catch(() => done(''));"""
    )
    return driver.execute_async_script(script, index)


def _outputs(driver, index: int) -> list[dict]:
    return json.loads(
        driver.execute_script(CELL + "return JSON.stringify(cell.model.outputs.toJSON());", index)
    )


def _move(driver, index: int, position: int, description: str, move: str) -> None:
    """Move control ``position`` of the explorer in cell ``index``: an arrow key on a slider, or a click."""
    from selenium.webdriver.common.keys import Keys

    control = driver.execute_script(
        CELL + "const row = cell.node.querySelector('.jp-OutputArea-output .widget-vbox > .widget-hbox');"
        "return row ? row.children[arguments[1]] : null;", index, position,
    )  # fmt: skip
    assert control is not None, f"cell {index}: no row of controls"
    label = driver.execute_script(
        "const l = arguments[0].querySelector('.widget-label'); return l ? l.textContent : null;", control
    )
    assert label == description, f"cell {index}: control {position} is {label!r}, expected {description!r}"
    if move == "click":
        buttons = control.find_elements("css selector", "button:not(.mod-active)")
        assert buttons, f"cell {index}: {description!r} has no unselected button"
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", buttons[0])
        buttons[0].click()
        return
    handles = control.find_elements("css selector", ".noUi-handle, .ui-slider-handle")
    assert handles, f"cell {index}: {description!r} is not a slider"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", handles[0])
    handles[0].send_keys(Keys.ARROW_RIGHT if move == "right" else Keys.ARROW_LEFT)


def test_the_notebook_shows_every_explorer():
    """Every explorer of lecture_lib.explore, and every explorer a chapter builds, is in the notebook (a quick
    check without a browser, so that `make unit` notices a new explorer that the live test would miss)."""
    import lecture_lib.explore as explore

    call = re.compile(r"\b(\w+_explorer)\(")
    covered = set(call.findall("\n".join(e.source for e in EXPLORERS)))
    library = {name for name in explore.__all__ if name.endswith("_explorer")}
    chapters = {
        name
        for path in sorted((ROOT / "book").glob("*.ipynb"))
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
        for name in call.findall(cell.source)
    }
    assert library <= covered, f"explorers missing from tests/live_widgets/explorers.py: {library - covered}"
    assert chapters <= covered, f"chapters' explorers missing from the notebook: {chapters - covered}"


@pytest.mark.browser
def test_every_explorer_renders_and_follows_its_controls(lab, browser):  # noqa: F811
    url, token, versions = lab
    browser.get_log("browser")  # start from an empty console log (the other variant ran in this browser)
    browser.get(f"{url}/lab/tree/{NOTEBOOK}?token={token}&reset")
    try:
        _check_explorers(browser, versions["ipywidgets"])
    except BaseException:
        FAILURES.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(FAILURES / f"ipywidgets-{versions['ipywidgets']}.png"))
        raise


def _severe(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def _check_explorers(driver, ipywidgets_version: str) -> None:
    n_cells = 1 + len(EXPLORERS)
    _wait(driver, PANEL + f"return panel && panel.content && panel.content.widgets.length === {n_cells} "
          "&& panel.sessionContext.session && panel.sessionContext.session.kernel "
          "&& panel.sessionContext.session.kernel.status === 'idle';",
          "the notebook to open with an idle kernel", 90)  # fmt: skip
    errors = _severe(driver)
    driver.execute_script(PANEL + "app.commands.execute('notebook:run-all-cells');")
    # Done when every cell ran, or when one failed (the kernel then skips the cells after it).
    _wait(driver, PANEL + """
        const cells = panel.content.widgets;
        const failed = cells.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
        return panel.sessionContext.session.kernel.status === 'idle'
            && (failed || cells.every(c => c.model.executionCount !== null));""", "Run All to finish", 120)  # fmt: skip
    setup = _outputs(driver, 0)
    printed = "".join(o.get("text", "") for o in setup if o.get("name") == "stdout")
    assert printed.strip() == f"ipywidgets {ipywidgets_version}", (
        f"the kernel runs another ipywidgets: {setup}"
    )

    # Each view is shown with its figure; then every explorer gets its move (the kernel redraws them in
    # turn while the browser goes on); then each figure must have changed.
    failures, shown = [], {}
    for index, explorer in enumerate(EXPLORERS, start=1):
        where = f"cell {index} ({explorer.chapter})"
        outputs = _outputs(driver, index)
        bad = [f"{o['ename']}: {o['evalue']}" for o in outputs if o["output_type"] == "error"]
        bad += ["stderr: " + "".join(o["text"]) for o in outputs if o.get("name") == "stderr"]
        if bad:
            failures.append(f"{where}: {bad}")
            continue
        if driver.execute_script(CELL + "return cell.model.executionCount === null;", index):
            failures.append(f"{where}: not run (a cell before it failed)")
            continue
        # The explorer's view with its figure, or the front end's message that it could not show it.
        view = _wait(driver, CELL + """
            const area = cell.node.querySelector('.jp-OutputArea');
            const img = area.querySelector('.jp-OutputArea-output .widget-vbox img.widget-image');
            if (/Error displaying widget|javascript error/i.test(area.innerText)) return area.innerText;
            return img && img.src ? 'shown' : false;""",
            f"{where}: the explorer's view with its figure", 30, index)  # fmt: skip
        if view != "shown":
            failures.append(f"{where}: the view was not shown: {view!r}")
            continue
        apart = driver.execute_script(CELL + TOGGLE_LABELS_APART, index)
        if apart:
            failures.append(f"{where}: the labels {apart} of toggle buttons are not beside their buttons")
        source = driver.execute_script(
            CELL + "return cell.node.querySelector('img.widget-image').src;", index
        )
        shown[index] = (source, _image_bytes(driver, index))
        assert shown[index][1], f"{where}: the figure could not be read"
    for index in shown:
        explorer = EXPLORERS[index - 1]
        _move(driver, index, explorer.control, explorer.description, explorer.move)
    for index, (source, before) in shown.items():
        explorer = EXPLORERS[index - 1]
        where = f"cell {index} ({explorer.chapter})"
        # A new figure, or the explorer's message for a state it cannot draw (the figure is hidden then).
        outcome = _wait(driver, CELL + """
            const img = cell.node.querySelector('img.widget-image');
            if (img.src !== arguments[1]) return 'redrawn';
            const text = cell.node.querySelector('.jp-OutputArea').innerText;
            return text.includes('Invalid:') ? text : false;""",
            f"{where}: a new figure after moving {explorer.description!r}", 60, index, source)  # fmt: skip
        if outcome != "redrawn":
            failures.append(f"{where}: moving {explorer.description!r} gave no figure: {outcome!r}")
            continue
        after = _image_bytes(driver, index)
        if after == before or base64.b64decode(after)[:8] != b"\x89PNG\r\n\x1a\n":
            failures.append(f"{where}: moving {explorer.description!r} did not change the figure")
    errors += _severe(driver)
    assert not failures, "explorers that failed:\n" + "\n".join(failures)
    assert not errors, "console errors:\n" + "\n".join(errors)

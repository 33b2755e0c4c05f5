"""The rendered book, checked in a real headless browser (Debian's chromium and chromium-driver).

`make test` builds the book first; this test serves `_build/html` from a local HTTP server and loads every
page: no console errors, all mathematics typeset by MathJax (no raw TeX left in the visible text), every
image loaded, and a Colab launch link on every chapter built from a notebook. A failing page leaves a
screenshot in `_build/browser-failures/`.

Without chromium/chromedriver the test is skipped locally with the reason; under CI (CI=true) it fails.
"""

from __future__ import annotations

import base64
import functools
import http.server
import io
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
FAILURES = ROOT / "_build" / "browser-failures"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.browser

# The animations of the convolution-arithmetic chapter: GIFs embedded as data URIs, one frame per output cell.
ANIMATED_CHAPTER = "book/conv_arithmetic"
ANIMATION_OUTPUT = re.compile(r"\((\d+)×(\d+) output\)")  # in each animation's alt text and caption

# Raw TeX that MathJax would have replaced: delimiters and a few commands the chapters use.
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\frac\{|\\lfloor|\\left|\\times|\\text\{")


def _pages() -> list[Path]:
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def _notebook_pages() -> set[str]:
    """Pages built from a notebook: book/x.html for every book/x.ipynb named in _toc.yml."""
    names = re.findall(r"file:\s*([^\s#]+)", (ROOT / "_toc.yml").read_text())
    return {f"{name}.html" for name in names if (ROOT / f"{name}.ipynb").exists()}


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (under CI this check must run; .ci/run installs the browser)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server():
    _require(HTML.joinpath("index.html").exists(), "the book is not built: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _require(Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(),
             "headless Chromium is not installed (apt-get install chromium chromium-driver)")  # fmt: skip
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1600"):  # fmt: skip
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _wait_for_mathjax(driver, timeout: float = 30.0) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    ready = (
        "return (typeof MathJax === 'undefined') || "
        "(MathJax.Hub !== undefined && MathJax.isReady === true && MathJax.Hub.queue.pending === 0 "
        "&& MathJax.Hub.queue.running === 0);"
    )
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(ready))


def _problems(driver, url: str, rel: str, is_chapter: bool) -> list[str]:
    problems: list[str] = []
    driver.get(url)
    _wait_for_mathjax(driver)
    for entry in driver.get_log("browser"):
        if entry.get("level") == "SEVERE":
            problems.append(f"console error: {entry.get('message')}")
    text = driver.execute_script("return document.body.innerText;")
    raw = sorted(set(RAW_TEX.findall(text)))
    if raw:
        problems.append(f"raw TeX left on the page: {raw}")
    n_math_sources = driver.execute_script("return document.querySelectorAll('.math').length;")
    n_typeset = driver.execute_script(
        "return document.querySelectorAll('.MathJax, .MathJax_Display').length;"
    )
    if n_math_sources and not n_typeset:
        problems.append(f"{n_math_sources} math elements but nothing typeset by MathJax")
    broken = driver.execute_script(
        "return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src);"
    )
    if broken:
        problems.append(f"images that did not load: {broken}")
    if is_chapter:
        colab = driver.execute_script(
            "return Array.from(document.querySelectorAll('a')).map(a => a.href)"
            ".filter(h => h.startsWith('https://colab.research.google.com/github/'));"
        )
        expected_tail = rel.replace(".html", ".ipynb")
        if not any(h.endswith(expected_tail) for h in colab):
            problems.append(f"no Colab launch link to {expected_tail} (found {colab})")
    return problems


def test_every_page_renders_cleanly(server, browser):
    pages = _pages()
    assert pages, "no HTML pages were built"
    chapters = _notebook_pages()
    report: dict[str, list[str]] = {}
    for page in pages:
        rel = str(page.relative_to(HTML))
        problems = _problems(browser, f"{server}/{rel}", rel, is_chapter=rel in chapters)
        if problems:
            report[rel] = problems
            FAILURES.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(FAILURES / (rel.replace("/", "__") + ".png")))
    assert not report, "pages with problems (screenshots in _build/browser-failures/):\n" + json.dumps(
        report, indent=2
    )
    # Every chapter built from a notebook was among the pages checked.
    assert chapters <= {str(p.relative_to(HTML)) for p in pages}


def test_math_is_typeset_on_the_chapters(server, browser):
    """The check above would pass on a page without math; make sure a chapter's math really is typeset."""
    chapters = sorted(_notebook_pages())
    assert chapters
    browser.get(f"{server}/{chapters[0]}")
    _wait_for_mathjax(browser)
    n_typeset = browser.execute_script(
        "return document.querySelectorAll('.MathJax, .MathJax_Display').length;"
    )
    assert n_typeset > 5


def test_letter_variants_typeset_offline_without_errors(server, browser):
    """Double-struck, calligraphic, fraktur and bold letters typeset with the book's MathJax configuration,
    and nothing (no web font of the hidden screen-reader copy) fails to load."""
    chapters = sorted(_notebook_pages())
    browser.get(f"{server}/{chapters[0]}")
    _wait_for_mathjax(browser)
    browser.get_log("browser")  # discard what the page itself logged; the page test above checks that
    browser.execute_script(
        "const el = document.createElement('span'); el.id = 'variant-check'; el.className = 'math';"
        "el.textContent = '\\\\(\\\\mathbb{R}^n, \\\\mathcal{L}, \\\\mathfrak{g}, \\\\mathbf{1}, "
        "\\\\boldsymbol{\\\\theta}\\\\)'; document.body.appendChild(el);"
        "MathJax.Hub.Queue(['Typeset', MathJax.Hub, el]);"
    )
    _wait_for_mathjax(browser)
    time.sleep(1.0)  # let font requests triggered by the new formula finish
    errors = [e["message"] for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors
    text = browser.execute_script("return document.getElementById('variant-check').innerText;")
    assert "ℝ" in text and "\\mathbb" not in text


def _committed_animations(chapter: str) -> int:
    """How many animations the chapter's committed outputs hold (img elements of class conv-animation)."""
    notebook = json.loads((ROOT / f"{chapter}.ipynb").read_text())
    return sum(
        "".join(output.get("data", {}).get("text/html", "")).count('class="conv-animation"')
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
    )


def test_conv_arithmetic_animations_play(server, browser):
    """Every animation of the convolution-arithmetic chapter is on the page, decoded by the browser, and a
    GIF with one frame per output cell (the output size is read from its caption)."""
    from PIL import Image
    from selenium.webdriver.support.ui import WebDriverWait

    expected = _committed_animations(ANIMATED_CHAPTER)
    assert expected >= 16, f"{ANIMATED_CHAPTER}.ipynb holds {expected} animations; the guide alone has 16"
    browser.get(f"{server}/{ANIMATED_CHAPTER}.html")
    loaded = "return Array.from(document.querySelectorAll('img.conv-animation')).every(i => i.complete);"
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(loaded))
    images = browser.execute_script(
        "return Array.from(document.querySelectorAll('img.conv-animation'))"
        ".map(i => ({src: i.src, alt: i.alt, width: i.naturalWidth, height: i.naturalHeight}));"
    )
    assert len(images) == expected
    for image in images:
        assert image["width"] > 0 and image["height"] > 0, f"not decoded by the browser: {image['alt']}"
        header, _, data = image["src"].partition(",")
        assert header == "data:image/gif;base64", f"{image['alt']}: {header}"
        size = ANIMATION_OUTPUT.search(image["alt"])
        assert size, f"no output size in the caption {image['alt']!r}"
        with Image.open(io.BytesIO(base64.b64decode(data))) as gif:
            assert gif.format == "GIF", image["alt"]
            assert gif.n_frames == int(size[1]) * int(size[2]), image["alt"]
            assert gif.size == (image["width"], image["height"])

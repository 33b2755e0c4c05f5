"""Make the built book work without a network, and keep its pages free of console errors.

1. Serve MathJax from the build itself. MathJax 2.7 comes from the ``jupyter-server-mathjax`` package (a
   dependency of the ``book`` extra): this extension points Sphinx at ``_static/mathjax/MathJax.js``,
   loads the combined ``TeX-AMS-MML_HTMLorMML-full`` configuration that package ships, with the STIX-Web
   fonts it ships, and copies its files into the build when the build finishes.
2. Give the theme a default colour mode (``auto``: the reader's system preference); without one, its
   script logs "Got invalid theme mode" as a console error on every page.
3. Keep MathJax's hidden screen-reader copy of each formula (assistive MathML) from requesting TeX web
   fonts that the package does not ship (``static/offline_book.css``).
4. Put the favicon at the site root as well: browsers ask for ``/favicon.ico`` on pages that name none,
   such as the ``index.html`` redirect Jupyter Book writes, and a 404 there is a console error.
5. Drop repeated inline scripts: sphinx-thebe registers its inline configuration (``const THEBE_JS_URL``)
   once per read phase, and a second copy of a ``const`` declaration is a JavaScript error on every page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MATHJAX_CONFIG = {
    # The package ships this combined configuration (TeX input with AMS extensions, HTML-CSS output) and
    # not the separate components, so it is the one to load.
    "config": ["TeX-AMS-MML_HTMLorMML-full.js"],
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        "processEnvironments": True,
        "processClass": "math|output_area|tex2jax_process",
        "ignoreClass": "tex2jax_ignore|mathjax_ignore",
    },
    "HTML-CSS": {
        "availableFonts": [],
        "preferredFont": None,
        "webFont": "STIX-Web",
        "imageFont": None,
        # MathJax probes web fonts against a "blank" font whose source is about:blank, which browsers
        # report as a failed (CORS-blocked) load. A local() source is equally blank and loads nothing.
        "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}},
    },
    "showMathMenu": False,
    "messageStyle": "none",
}


def _mathjax_source() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError as exc:  # pragma: no cover - the book extra installs it
        raise RuntimeError(
            "jupyter-server-mathjax is not installed; install the book dependencies with "
            "`pip install -e '.[book]' -c constraints.txt` (or run `make book`)"
        ) from exc
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def _configure(app, config) -> None:
    _mathjax_source()  # fail early, with the message above, if the files are missing
    config.html_static_path = [*config.html_static_path, str(Path(__file__).parent / "static")]
    config.mathjax_path = "mathjax/MathJax.js"
    config.mathjax2_config = MATHJAX_CONFIG
    config.mathjax3_config = None
    config.html_context = {**(config.html_context or {}), "default_mode": "auto"}


def _copy(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        shutil.copytree(_mathjax_source(), Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True)
        favicon = app.config.html_favicon
        if favicon and not str(favicon).startswith(("http://", "https://")):
            source = Path(app.confdir) / favicon
            if not source.exists():
                source = Path(app.outdir) / "_static" / Path(favicon).name
            shutil.copyfile(source, Path(app.outdir) / "favicon.ico")


def _drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # An inline script is registered with filename None or "" depending on the caller: same script.
        filename = str(getattr(script, "filename", script) or "")
        key = (filename, repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("config-inited", _configure, priority=900)
    app.connect("build-finished", _copy)
    app.connect("html-page-context", _drop_repeated_scripts, priority=900)
    app.add_css_file("offline_book.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Bad-input specs: lecture_lib.cell_diagrams (see tests/badinput.py for the machinery)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from badinput import Arg, Spec  # noqa: E402

from lecture_lib import cell_diagrams  # noqa: E402


def _closing(draw):
    def call(**kwargs):
        try:
            return draw(**kwargs)
        finally:
            plt.close("all")

    return call


_AX = Arg(None, "any", optional=True, bad=(("int", 3), ("str", "ax")))
SPECS = [
    Spec(
        "lecture_lib.cell_diagrams.draw_lstm_cell",
        _closing(cell_diagrams.draw_lstm_cell),
        {"ax": _AX, "names": Arg("both", "choice")},
    ),  # fmt: skip
    Spec(
        "lecture_lib.cell_diagrams.draw_gru_cell",
        _closing(cell_diagrams.draw_gru_cell),
        {"ax": _AX, "names": Arg("lecture", "choice")},
    ),  # fmt: skip
    Spec(
        "lecture_lib.cell_diagrams.draw_gradient_highway",
        _closing(cell_diagrams.draw_gradient_highway),
        {"ax": _AX, "T": Arg(4, "size", huge=True)},
    ),  # fmt: skip
]
CONSTANTS = ["lecture_lib.cell_diagrams.GATE_NAMES"]

"""The gated-cell diagrams: every gate drawn once with the requested names, the highway's T forget gates."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle, FancyBboxPatch  # noqa: E402

from lecture_lib.cell_diagrams import GATE_NAMES, draw_gradient_highway, draw_gru_cell, draw_lstm_cell  # noqa: E402


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.mark.parametrize(("draw", "cell", "n_tanh"), [(draw_lstm_cell, "lstm", 2), (draw_gru_cell, "gru", 1)])
@pytest.mark.parametrize("names", ["lecture", "pytorch", "both"])
def test_every_gate_is_drawn_once_with_its_names(draw, cell, n_tanh, names):
    ax = draw(names=names)
    texts = _texts(ax)
    for lecture, pytorch in GATE_NAMES[cell].values():
        expected = {"lecture": lecture, "pytorch": pytorch, "both": f"{lecture}\n{pytorch}"}[names]
        assert texts.count(expected) == 1
    # one sigmoid box per gate, one tanh box per tanh (the LSTM's value and tanh(c_t); the GRU's candidate)
    assert texts.count(r"$\sigma$") == len(GATE_NAMES[cell]) - 1  # every gate but the value/candidate
    assert texts.count("tanh") == n_tanh
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 1 + len(GATE_NAMES[cell]) + (1 if cell == "lstm" else 0)  # the cell, gates, tanh(c)


def test_pytorch_rows_follow_torchs_gate_order():
    """nn.LSTM stacks (i, f, g, o) and nn.GRU (r, z, n) by rows (torch.nn.LSTM / GRU documentation)."""
    rows = {name.split(":")[0]: name for _, name in GATE_NAMES["lstm"].values()}
    assert rows["i"] == "i: rows [0, H)" and rows["f"] == "f: rows [H, 2H)"
    assert rows["g"] == "g: rows [2H, 3H)" and rows["o"] == "o: rows [3H, 4H)"
    gru_rows = {name.split(":")[0]: name for _, name in GATE_NAMES["gru"].values()}
    assert gru_rows == {"r": "r: rows [0, H)", "z": "z: rows [H, 2H)", "n": "n: rows [2H, 3H)"}


@pytest.mark.parametrize("T", [1, 4, 12])
def test_highway_has_one_forget_gate_per_step(T):
    ax = draw_gradient_highway(T=T)
    texts = _texts(ax)
    assert sum(t.startswith("$c_{") for t in texts) == T + 1
    assert sum(t.startswith(r"$\times f_{") for t in texts) == T
    assert sum(isinstance(p, Circle) for p in ax.patches) == 2 * T + 1  # states and multiplications
    assert r" \odot ".join(f"f_{{{t}}}" for t in range(1, T + 1)) in texts[-1]


def test_draws_on_a_given_axes():
    fig, ax = plt.subplots()
    assert draw_lstm_cell(ax) is ax and draw_gru_cell(ax) is ax and draw_gradient_highway(ax, T=2) is ax
    assert not ax.axison


def test_refusals():
    with pytest.raises(ValueError, match="names='torch'"):
        draw_lstm_cell(names="torch")
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        draw_gru_cell(ax=3)
    with pytest.raises(ValueError, match=r"T=13 must be an int in \[1, 12\]"):
        draw_gradient_highway(T=13)
    with pytest.raises(TypeError, match="T=2.0 must be an int"):
        draw_gradient_highway(T=2.0)

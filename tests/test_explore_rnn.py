"""Explorers and drawings of the recurrent-network chapters (lecture_lib.explore.rnn).

The double sum ``w_rec_path_terms`` is checked term by term against autograd (a separate copy of W_rec
per step, so autograd reports what each use of W_rec receives) and, summed, against ``bptt``. The
explorers are driven through their controls.
"""

from __future__ import annotations

import base64
import math
import re

import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch

from lecture_lib.explore.rnn import (
    bptt_paths_explorer,
    draw_recurrent_connections,
    draw_unrolled_graph,
    gradient_flow_explorer,
    w_rec_path_terms,
)
from lecture_lib.rnn import bptt, rnn_forward

F64 = torch.float64


def make_problem(T, N=2, D=3, H=4, O=2, seed=0, device="cpu", activation="tanh"):
    g = torch.Generator().manual_seed(seed)

    def r(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g, dtype=F64) * scale).to(device)

    p = {
        "x": r(T, N, D),
        "h0": r(N, H, scale=0.5),
        "W_in": r(H, D, scale=1 / math.sqrt(D)),
        "W_rec": r(H, H, scale=1.1 / math.sqrt(H)),
        "b": r(H, scale=0.1),
        "W_out": r(O, H, scale=1 / math.sqrt(H)),
        "dz": r(T, N, O),
    }
    p["h"], _ = rnn_forward(p["x"], p["h0"], p["W_in"], p["W_rec"], p["b"], p["W_out"], None, activation)
    return p


# --------------------------------------------------------------------------------------------- terms
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("truncate", [None, 1, 3, 20])
@pytest.mark.parametrize("last_only", [False, True])
def test_path_terms_sum_to_bptt(activation, truncate, last_only, device):
    p = make_problem(7, device=device, activation=activation)
    dz = p["dz"].clone()
    if last_only:
        dz[:-1] = 0
    terms = w_rec_path_terms(p["h"], dz, p["W_rec"], p["W_out"], activation, truncate=truncate)
    assert terms.shape == (7, 7, 4, 4) and terms.device == p["h"].device and terms.dtype == F64
    expected = bptt(p["x"], p["h"], dz, p["W_in"], p["W_rec"], p["W_out"], activation, truncate=truncate)
    torch.testing.assert_close(terms.sum((0, 1)), expected["W_rec"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_each_term_is_what_autograd_gives_one_use_of_W_rec_from_one_loss(activation):
    # Unroll with a separate leaf copy of W_rec per step: autograd then reports the gradient that each
    # use of W_rec receives, and differentiating L_t alone gives the term (t, s).
    T = 5
    p = make_problem(T, activation=activation, seed=3)
    copies = [p["W_rec"].clone().requires_grad_() for _ in range(T)]
    act = torch.relu if activation == "relu" else torch.tanh
    h, losses = p["h0"], []
    for s in range(T):
        h = act(h @ copies[s].T + p["x"][s] @ p["W_in"].T + p["b"])  # (N, H)
        losses.append((p["dz"][s] * (h @ p["W_out"].T)).sum())  # L_t with dL_t/dz_t = dz[t]
    terms = w_rec_path_terms(p["h"], p["dz"], p["W_rec"], p["W_out"], activation)
    for t in range(T):
        grads = torch.autograd.grad(losses[t], copies, allow_unused=True, retain_graph=True)
        for s in range(T):
            expected = torch.zeros(4, 4, dtype=F64) if grads[s] is None else grads[s]
            torch.testing.assert_close(terms[t, s], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("T", [1, 4, 9])
@pytest.mark.parametrize("k", [None, 1, 2, 5, 12])
def test_number_of_terms_kept(T, k):
    p = make_problem(T, seed=T)
    for last_only in (False, True):
        dz = p["dz"].clone()
        if last_only:
            dz[:-1] = 0
        terms = w_rec_path_terms(p["h"], dz, p["W_rec"], p["W_out"], "tanh", truncate=k)
        nonzero = int((terms.abs().sum((2, 3)) > 0).sum())
        kk = T if k is None else min(k, T)
        # every step: sum_t min(t, k) = kT - k(k-1)/2; last step only: k terms
        expected = kk if last_only else kk * T - kk * (kk - 1) // 2
        assert nonzero == expected
        assert torch.all(terms.abs().sum((2, 3)).triu(1) == 0)  # no loss reaches a later step


def test_path_terms_errors():
    p = make_problem(3)
    with pytest.raises(ValueError, match="truncate=0"):
        w_rec_path_terms(p["h"], p["dz"], p["W_rec"], p["W_out"], "tanh", truncate=0)
    with pytest.raises(ValueError, match="activation='sigmoid'"):
        w_rec_path_terms(p["h"], p["dz"], p["W_rec"], p["W_out"], "sigmoid")
    with pytest.raises(ValueError, match="dz has shape"):
        w_rec_path_terms(p["h"], p["dz"][:2], p["W_rec"], p["W_out"], "tanh")


# --------------------------------------------------------------------------------------------- drawings
def _axes():
    return Figure().subplots()


@pytest.mark.parametrize("T", [1, 5, 8])
@pytest.mark.parametrize("k", [None, 1, 3])
def test_unrolled_graph_counts_losses_per_use_of_W_rec(T, k):
    kk = T if k is None else k
    counts = draw_unrolled_graph(_axes(), T, truncate=k)
    assert counts == [min(kk, T - s + 1) for s in range(1, T + 1)]  # losses t = s..min(T, s+k-1)
    last = draw_unrolled_graph(_axes(), T, truncate=k, loss_at="last")
    assert last == [1 if s > T - kk else 0 for s in range(1, T + 1)]
    focus = draw_unrolled_graph(_axes(), T, truncate=k, focus=T)
    assert focus == last


def test_unrolled_graph_draws_every_node_and_edge():
    ax = _axes()
    draw_unrolled_graph(ax, 4)
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(circles) == 4 * 4 + 1  # x_t, z_t, L_t, h_t for t = 1..4, and h_0
    assert len(arrows) == 4 * 4  # x->h, h->z, z->L and h_{t-1}->h_t at every step
    ax_last = _axes()
    draw_unrolled_graph(ax_last, 4, loss_at="last")
    assert len([p for p in ax_last.patches if isinstance(p, Circle)]) == 3 * 4 + 1 + 1  # one L node


def test_unrolled_graph_errors():
    with pytest.raises(ValueError, match="focus=6"):
        draw_unrolled_graph(_axes(), 5, focus=6)
    with pytest.raises(ValueError, match="L_3 is zero"):
        draw_unrolled_graph(_axes(), 5, loss_at="last", focus=3)
    with pytest.raises(ValueError, match="loss_at='first'"):
        draw_unrolled_graph(_axes(), 5, loss_at="first")
    with pytest.raises(ValueError, match="T=0"):
        draw_unrolled_graph(_axes(), 0)
    with pytest.raises(ValueError, match="truncate=-1"):
        draw_unrolled_graph(_axes(), 3, truncate=-1)


def test_recurrent_connections_of_the_lecture_matrix():
    W = torch.tensor([[1, 0, 0, 0.4], [0.9, 0, 0.6, 0.5], [0, 0, 0, 0.3], [0, 0.8, 0, 0.7]])
    ax = _axes()
    draw_recurrent_connections(ax, W)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(arrows) == 6  # the non-zero entries off the diagonal
    assert len(circles) == 4 + 2  # four units and the self-loops of units 1 and 4
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == sorted(["0.4", "0.9", "0.6", "0.5", "0.3", "0.8", "1", "0.7", "1", "2", "3", "4"])
    with pytest.raises(ValueError, match="square"):
        draw_recurrent_connections(_axes(), torch.zeros(3, 4))


# --------------------------------------------------------------------------------------------- explorer 1
def test_paths_explorer_follows_its_controls():
    explorer = bptt_paths_explorer()
    assert explorer.summary.value.startswith("T=5: 15 of 15 (t, s) terms")  # 5*6/2
    error = float(explorer.summary.value.rsplit(": ", 1)[1])
    assert error < 1e-12  # full BPTT: the double sum is bptt itself
    png, renders = explorer.image.value, explorer.renders

    explorer.controls["truncate"].value = 2
    assert explorer.summary.value.startswith("T=5: 9 of 15")  # 1 + 2 + 2 + 2 + 2
    assert float(explorer.summary.value.rsplit(": ", 1)[1]) > 0.01
    assert explorer.renders == renders + 1 and explorer.image.value != png

    explorer.controls["focus"].value = 4
    assert "L_4 reaches the W_rec of steps 3..4 (2 terms)" in explorer.summary.value

    explorer.controls["loss_at"].value = "last"  # L_4 has no loss any more: the focus moves to L_5
    assert explorer.state["focus"] == 5 and explorer.image.layout.visibility == "visible"
    assert explorer.summary.value.startswith("T=5: 2 of 5")

    explorer.controls["truncate"].value = 0
    explorer.controls["focus"].value = 0
    assert explorer.summary.value.startswith("T=5: 5 of 5")


def test_paths_explorer_every_slider_extreme_is_drawn_or_explained():
    explorer = bptt_paths_explorer()
    for name in ("T", "truncate", "focus"):
        control = explorer.controls[name]
        for value in (control.min, control.max):
            control.value = value
            summary, state = explorer.summary.value, explorer.state
            assert ("Invalid" in summary) == (explorer.image.layout.visibility == "hidden"), (state, summary)
            if "Invalid" not in summary:  # drawn: the summary is about the sequence length now set
                assert summary.startswith(f"T={state['T']}: "), (state, summary)
        control.value = {"T": 5, "truncate": 0, "focus": 0}[name]
    explorer.controls["T"].value = 3
    explorer.controls["focus"].value = 7  # the slider ends at T: clamped to L_3
    assert explorer.state["focus"] == 3 and explorer.controls["focus"].max == 3
    assert "L_3 reaches the W_rec of steps 1..3" in explorer.summary.value


@pytest.mark.parametrize("focus", [0, 2, 5, 6])
def test_paths_explorer_last_step_only_from_the_chapter_state_is_drawn(focus):
    # The chapter starts at T=6, k=3, focus=5: clicking "last step only" used to leave only the message
    # "Invalid: focus=5: L_5 is zero ...". The one loss is then L_6, and the focus moves there, in one redraw.
    explorer = bptt_paths_explorer(T=6, truncate=3, focus=focus)
    renders, png = explorer.renders, explorer.image.value
    explorer.controls["loss_at"].value = "last"
    summary = explorer.summary.value
    assert "Invalid" not in summary and explorer.image.layout.visibility == "visible", summary
    assert explorer.renders == renders + 1 and explorer.image.value != png
    assert explorer.state["focus"] == (6 if focus else 0)  # every loss (0) is L_6 alone already
    assert summary.startswith("T=6: 3 of 6 (t, s) terms reach W_rec")  # steps 4..6 of L_6
    assert ("L_6 reaches the W_rec of steps 4..6 (3 terms)" in summary) == bool(focus)
    assert explorer.controls["focus"].disabled  # one loss: nothing to choose

    for T in (4, 9, 1):  # the focus stays on the only loss
        explorer.controls["T"].value = T
        assert explorer.state["focus"] == (T if focus else 0) and explorer.controls["focus"].max == T
        assert explorer.image.layout.visibility == "visible", explorer.summary.value
        assert explorer.summary.value.startswith(f"T={T}: {min(T, 3)} of {T} ")

    explorer.controls["T"].value = 6
    explorer.controls["loss_at"].value = "every"
    assert not explorer.controls["focus"].disabled and explorer.state["focus"] == (6 if focus else 0)
    assert explorer.summary.value.startswith("T=6: 15 of 21")


def test_paths_explorer_focus_follows_a_shorter_sequence():
    explorer = bptt_paths_explorer(T=6, truncate=3, focus=5)
    renders = explorer.renders
    explorer.controls["T"].value = 4  # L_5 is gone: the focus moves to L_4, in one redraw
    assert explorer.state["focus"] == 4 and explorer.renders == renders + 1
    assert "L_4 reaches the W_rec of steps 2..4" in explorer.summary.value
    explorer.controls["T"].value = 8  # a longer sequence keeps the loss shown
    assert explorer.state["focus"] == 4 and explorer.controls["focus"].max == 8


def test_paths_explorer_refuses_a_focus_its_slider_cannot_show():
    with pytest.raises(ValueError, match="focus=7 must be 0 .every loss. or a step between 1 and T=5"):
        bptt_paths_explorer(T=5, focus=7)
    with pytest.raises(ValueError, match="focus=3: L_3 is zero"):
        bptt_paths_explorer(T=5, loss_at="last", focus=3)
    explorer = bptt_paths_explorer(T=5, loss_at="last", focus=5)
    assert explorer.controls["focus"].disabled and explorer.controls["focus"].max == 5


def test_paths_explorer_mime_bundle_is_the_default_state():
    explorer = bptt_paths_explorer()
    explorer.controls["T"].value = 2
    bundle = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bptt_paths_explorer()._default_png
    assert "interactive explorer" in bundle["text/plain"]


# --------------------------------------------------------------------------------------------- explorer 2
def _ratio(summary: str) -> float:
    return float(re.search(r"\|\| = ([0-9.e+-]+)", summary).group(1))


def test_flow_explorer_vanishes_below_and_explodes_above_radius_one():
    explorer = gradient_flow_explorer()
    assert explorer.summary.value.startswith("linear: ρ = 1.00")
    explorer.controls["spectral_radius"].value = 0.9
    small = _ratio(explorer.summary.value)
    explorer.controls["spectral_radius"].value = 1.1
    large = _ratio(explorer.summary.value)
    assert small < 1e-3 and large > 1e3  # 0.9^100 = 2.7e-5, 1.1^100 = 1.4e4, up to a modest constant
    assert "(ρ^100 = 1.38e+04)" in explorer.summary.value


def test_flow_explorer_activations_without_input():
    # With no input and h0 = 0 the states stay 0: tanh'(0) = 1 makes the tanh RNN the linear one,
    # relu'(0) = 0 (autograd's choice) stops the gradient after one step.
    explorer = gradient_flow_explorer(spectral_radius=0.95, input_scale=0.0)
    linear = _ratio(explorer.summary.value)
    explorer.controls["activation"].value = "tanh"
    assert _ratio(explorer.summary.value) == pytest.approx(linear, rel=1e-12)
    explorer.controls["activation"].value = "relu"
    assert _ratio(explorer.summary.value) == 0.0
    explorer.controls["input_scale"].value = 1.0
    explorer.controls["activation"].value = "tanh"
    assert _ratio(explorer.summary.value) < linear  # tanh' <= 1 only shrinks the gradient


def test_flow_explorer_extremes_and_errors():
    explorer = gradient_flow_explorer()
    for name in ("spectral_radius", "T", "input_scale"):
        control = explorer.controls[name]
        for value in (control.min, control.max):
            control.value = value
            assert explorer.summary.value and "Invalid" not in explorer.summary.value
    with pytest.raises(ValueError, match="spectral_radius=-1.0"):  # off the slider: not silently clamped
        gradient_flow_explorer(spectral_radius=-1.0)
    with pytest.raises(ValueError, match="activation='sigmoid'"):
        gradient_flow_explorer(activation="sigmoid")
    with pytest.raises(ValueError, match="T=5"):
        gradient_flow_explorer(T=5)
    with pytest.raises(ValueError, match="truncate=11"):
        bptt_paths_explorer(truncate=11)
    with pytest.raises(TypeError, match="T=4.5 must be an integer"):
        bptt_paths_explorer(T=4.5)
    with pytest.raises(ValueError, match="loss_at='all'"):
        bptt_paths_explorer(loss_at="all")


def test_path_terms_refuse_meta_mixed_and_non_finite_tensors():
    h, dz = torch.randn(4, 2, 4, dtype=torch.float64), torch.randn(3, 2, 2, dtype=torch.float64)
    W_rec, W_out = torch.randn(4, 4, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="W_rec.*meta"):
        w_rec_path_terms(h, dz, W_rec.to("meta"), W_out, "tanh")
    with pytest.raises(TypeError, match="W_out.*float32"):
        w_rec_path_terms(h, dz, W_rec, W_out.float(), "tanh")
    with pytest.raises(ValueError, match="dz contains NaN"):
        w_rec_path_terms(h, dz * float("nan"), W_rec, W_out, "tanh")


def test_drawings_refuse_huge_sizes_and_bad_weights():
    ax = Figure().subplots()
    with pytest.raises(ValueError, match="T=1099511627776 must be a positive integer <= 100"):
        draw_unrolled_graph(ax, 2**40)  # 4 * 2**40 nodes
    with pytest.raises(TypeError, match="ax=3 must be a matplotlib Axes"):
        draw_unrolled_graph(3, 4)
    with pytest.raises(TypeError, match="W_rec must have a real"):
        draw_recurrent_connections(ax, torch.eye(2, dtype=torch.complex64))  # the imaginary part was dropped
    with pytest.raises(ValueError, match="W_rec contains NaN"):
        draw_recurrent_connections(ax, torch.full((2, 2), float("nan")))

"""The initialisation explorer: its weights have the promised statistics, its numbers follow the controls."""

from __future__ import annotations

import base64
import math
import re

import pytest
import torch

from lecture_lib.explore.init import INITS, init_explorer, init_weight, layer_statistics

F64 = torch.float64


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _numbers(summary: str) -> list[float]:
    """The bold numbers of a summary line, in order: radius, act first, act last, grad last, grad first."""
    bold = re.findall(r"<b>(.*?)</b>", summary)
    return [float(x) for part in bold for x in part.split(" → ")]


# --------------------------------------------------------------------------------------------- init_weight
@pytest.mark.parametrize(
    "init,std",
    [("xavier", lambda H: math.sqrt(2 / (2 * H))), ("he", lambda H: math.sqrt(2 / H)),
     ("small", lambda H: 0.01), ("large", lambda H: 1.0)],
)  # fmt: skip
def test_gaussian_inits_have_the_promised_std(init, std):
    H = 200
    W = init_weight(init, H, scale=1.5, generator=_gen(0))
    assert W.shape == (H, H) and W.dtype == F64
    # the sample std of n = 40000 normal draws has a relative standard error sqrt(1 / (2n)) = 0.35%
    expected = 1.5 * std(H)
    assert abs(float(W.std()) / expected - 1) < 6 * math.sqrt(1 / (2 * H * H))
    assert abs(float(W.mean())) < 6 * expected / H


def test_identity_and_np_rnn_have_the_promised_spectra():
    torch.testing.assert_close(init_weight("identity", 7, scale=0.9), 0.9 * torch.eye(7, dtype=F64))
    W = init_weight("np-rnn", 50, scale=0.8, generator=_gen(3))
    eig = torch.linalg.eigvalsh(W)
    assert abs(float(eig[-1]) - 0.8) < 1e-12  # the scale is the spectral radius
    assert (eig[:-1] > 0).all() and (eig[:-1] < 0.8).all()


def test_init_weight_errors():
    with pytest.raises(ValueError, match="init='orthogonal'"):
        init_weight("orthogonal", 4)
    with pytest.raises(ValueError, match="width=0"):
        init_weight("xavier", 0)
    with pytest.raises(ValueError, match="scale=nan"):
        init_weight("xavier", 4, scale=float("nan"))


# --------------------------------------------------------------------------------------------- layer_statistics
@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_layer_statistics_equal_autograd(activation):
    g = _gen(5)
    weights = [torch.randn(12, 12, generator=g, dtype=F64) / 3 for _ in range(6)]
    x = torch.randn(9, 12, generator=g, dtype=F64)
    v = torch.randn(9, 12, generator=g, dtype=F64)
    act_std, grad_std = layer_statistics(weights, x, activation, v)

    f = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda a: a}[activation]
    hs, h = [], x.requires_grad_()
    for W in weights:
        h = f(h @ W.T)
        h.retain_grad()
        hs.append(h)
    (v * hs[-1]).sum().backward()
    torch.testing.assert_close(act_std, torch.stack([h.std() for h in hs]), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad_std, torch.stack([h.grad.std() for h in hs]), rtol=1e-12, atol=1e-14)


def test_scaled_identity_layers_scale_the_std_by_hand_computed_powers():
    # Linear layers c*I: h_l = c^l x, so std(h_l) = c^l std(x); going back, dL/dh_l = c^(L-l) v.
    x = torch.randn(50, 8, generator=_gen(2), dtype=F64)
    v = torch.randn(50, 8, generator=_gen(3), dtype=F64)
    c, L = 0.5, 5
    act_std, grad_std = layer_statistics([c * torch.eye(8, dtype=F64)] * L, x, "linear", v)
    powers = torch.arange(1, L + 1, dtype=F64)
    torch.testing.assert_close(act_std, x.std() * c**powers, rtol=1e-13, atol=0)
    torch.testing.assert_close(grad_std, v.std() * c ** (L - powers), rtol=1e-13, atol=0)


def test_layer_statistics_errors():
    with pytest.raises(ValueError, match="activation='gelu'"):
        layer_statistics([torch.eye(2)], torch.ones(1, 2), "gelu")
    with pytest.raises(ValueError, match="weights is empty"):
        layer_statistics([], torch.ones(1, 2))


# --------------------------------------------------------------------------------------------- the explorer
def test_explorer_follows_its_controls():
    explorer = init_explorer()
    assert explorer.state == {
        "init": "xavier", "activation": "tanh", "depth": 20, "width": 128, "scale": 1.0, "shared": False
    }  # fmt: skip
    first_png, renders = explorer.image.value, explorer.renders
    radius, *_ = _numbers(explorer.summary.value)
    assert 0.8 < radius < 1.2  # circular law: a N(0, 1/H) matrix has its eigenvalues in the unit disk

    explorer.controls["init"].value = "small"
    assert explorer.renders == renders + 1 and explorer.image.value != first_png
    radius, act_first, act_last, _, _ = _numbers(explorer.summary.value)
    assert radius < 0.2  # 0.01 * sqrt(128) = 0.11
    assert act_last < 1e-10 * act_first  # the signal dies out: about 0.11 per layer over 19 layers

    explorer.controls["init"].value = "identity"
    explorer.controls["activation"].value = "linear"
    radius, act_first, act_last, grad_last, grad_first = _numbers(explorer.summary.value)
    assert radius == 1.0 and act_first == act_last and grad_first == grad_last  # identity layers copy

    explorer.controls["scale"].value = 0.5
    radius, act_first, act_last, grad_last, grad_first = _numbers(explorer.summary.value)
    assert radius == 0.5
    assert act_last == pytest.approx(act_first * 0.5**19, rel=1e-2)  # 3 significant digits shown


def test_he_keeps_relu_activations_and_shared_weights_change_the_story():
    explorer = init_explorer(init="he", activation="relu", depth=30)
    _, act_first, act_last, grad_last, grad_first = _numbers(explorer.summary.value)
    assert 0.3 < act_last / act_first < 3 and 0.3 < grad_first / grad_last < 3
    explorer.controls["init"].value = "xavier"  # half the variance: the std shrinks by sqrt(2) per layer
    _, act_first, act_last, _, _ = _numbers(explorer.summary.value)
    assert act_last / act_first < 2 ** (-29 / 2) * 10
    explorer.controls["shared"].value = True
    assert "shared (an RNN unrolled)" in explorer.summary.value


def test_every_control_value_is_drawn():
    explorer = init_explorer(width=32, depth=5)
    for init in INITS:
        explorer.controls["init"].value = init
        assert f"{init} × 1.00" in explorer.summary.value
    for activation in ("relu", "linear"):
        explorer.controls["activation"].value = activation
        assert f", {activation}, " in explorer.summary.value
    for name, default in (("depth", 5), ("width", 32), ("scale", 1.0)):
        control = explorer.controls[name]
        for value in (control.min, control.max):
            control.value = value
            assert explorer.image.layout.visibility == "visible"
        control.value = default  # one extreme at a time keeps the test fast


def test_mime_bundle_has_default_png_and_bad_arguments_raise():
    bundle = init_explorer()._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert "interactive explorer" in bundle["text/plain"]
    with pytest.raises(ValueError, match="init='zeros'"):
        init_explorer(init="zeros")
    with pytest.raises(ValueError, match="activation='sigmoid'"):
        init_explorer(activation="sigmoid")


@pytest.mark.parametrize(("name", "value"), [("depth", 100), ("depth", 1), ("width", 8), ("width", 512),
                                             ("scale", 5.0), ("scale", 0.1), ("depth", 20.0), ("scale", True)])  # fmt: skip
def test_explorer_refuses_starting_values_off_its_sliders(name, value):
    control = init_explorer().controls[name]
    kind = "a number" if name == "scale" else "an integer"
    expected = (
        rf"{name}={value!r} must be {kind} between {control.min} and {control.max} \(the slider's range\)"
    )
    # the wrong kind of value (20.0 for an int, True for a number) is a TypeError; off the slider a ValueError
    error = (
        TypeError if isinstance(value, bool) or (name != "scale" and isinstance(value, float)) else ValueError
    )
    with pytest.raises(error, match=expected):
        init_explorer(**{name: value})  # ipywidgets alone would clamp depth=100 to 50 and scale=5.0 to 2.0


def test_explorer_starts_at_the_slider_ends():
    explorer = init_explorer(depth=50, scale=2.0, width=16)
    assert (explorer.state["depth"], explorer.state["scale"], explorer.state["width"]) == (50, 2.0, 16)


def test_shared_toggle_refuses_the_string_false():
    with pytest.raises(TypeError, match="shared='False' must be a bool"):
        init_explorer(shared="False", depth=2, width=16)


def test_init_weight_refuses_a_huge_width_before_allocating():
    with pytest.raises(ValueError, match="width would need"):
        init_weight("xavier", 2**20)  # a (2**20, 2**20) float64 matrix: 8 TiB
    with pytest.raises(TypeError, match="generator=3 must be a torch.Generator"):
        init_weight("xavier", 4, generator=3)
    with pytest.raises(TypeError, match="dtype=torch.int64 must be a floating dtype"):
        init_weight("xavier", 4, dtype=torch.int64)


def test_layer_statistics_refuses_meta_and_mismatched_tensors():
    x = torch.randn(5, 4, dtype=torch.float64)
    W = torch.randn(4, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"x on cpu, weights\[1\] on meta"):
        layer_statistics([W, W.to("meta")], x)  # would compute with uninitialised memory
    with pytest.raises(TypeError, match=r"x is torch.float64, weights\[0\] is torch.float32"):
        layer_statistics([W.float()], x)
    with pytest.raises(ValueError, match=r"weights\[0\] has shape \(3, 4\)"):
        layer_statistics([W[:3]], x)
    with pytest.raises(ValueError, match="x contains NaN"):
        layer_statistics([W], x * float("nan"))
    with pytest.raises(TypeError, match="x must be float32 or float64"):
        layer_statistics([W.half()], x.half())

"""lecture_lib.init against torch.nn.init (same draws, same fans) and against the variances it promises."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from lecture_lib.init import (
    calculate_fans,
    calculate_gain,
    identity_,
    kaiming_normal_,
    np_rnn_,
    xavier_normal_,
    xavier_uniform_,
)

F64 = torch.float64
N_SIGMA = 6  # a correct implementation fails a 6-sigma check with probability about 2e-9


def _gen(seed: int, device="cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


# --------------------------------------------------------------------------------------------- fans and gains
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=5).map(tuple))
def test_fans_equal_torch(shape):
    assert calculate_fans(torch.empty(shape)) == nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fans_by_hand_for_a_conv_weight():
    # Conv2d(32 -> 64, 3x3): weight (64, 32, 3, 3), fan_in = 32*9, fan_out = 64*9.
    assert calculate_fans(torch.empty(64, 32, 3, 3)) == (288, 576)
    assert calculate_fans(torch.empty(10, 7)) == (7, 10)


@pytest.mark.parametrize(
    "nonlinearity,param",
    [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
     ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("selu", None)],
)  # fmt: skip
def test_gain_equals_torch(nonlinearity, param):
    assert calculate_gain(nonlinearity, param) == pytest.approx(
        nn.init.calculate_gain(nonlinearity, param), rel=1e-15
    )


def test_fan_and_gain_errors():
    with pytest.raises(ValueError, match=r"tensor has shape \(5,\)"):
        calculate_fans(torch.empty(5))
    with pytest.raises(TypeError, match="tensor must be a torch.Tensor"):
        xavier_uniform_([[1.0, 2.0]])
    with pytest.raises(ValueError, match="nonlinearity='swish'"):
        calculate_gain("swish")
    with pytest.raises(ValueError, match="param='a'"):
        calculate_gain("leaky_relu", "a")
    with pytest.raises(ValueError, match="mode='fan_avg'"):
        kaiming_normal_(torch.empty(3, 4), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity='gelu'"):
        kaiming_normal_(torch.empty(3, 4), nonlinearity="gelu")
    for init in (xavier_uniform_, xavier_normal_):
        with pytest.raises(ValueError, match=r"gain=-1\.0 must be >= 0"):
            init(torch.empty(3, 4), gain=-1.0)
        with pytest.raises(ValueError, match="gain='x' must be a finite real number"):
            init(torch.empty(3, 4), gain="x")
    W = torch.ones(2, 2)
    with pytest.raises(ValueError, match="gain=nan must be a finite real number"):
        identity_(W, gain=math.nan)
    assert bool((W == 1).all())  # a refused call leaves W as it was
    with pytest.raises(ValueError, match=r"tensor has shape \(0, 0\); np_rnn_ expects .* H >= 1"):
        np_rnn_(torch.empty(0, 0))


# --------------------------------------------------------------------------------------------- same draws as torch
SHAPES = [(30, 20), (16, 8, 3, 3), (5, 4, 2, 2, 2)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_equal_torch_with_the_same_generator(shape, gain, device):
    for ours, theirs in (
        (xavier_uniform_, nn.init.xavier_uniform_),
        (xavier_normal_, nn.init.xavier_normal_),
    ):
        a = torch.empty(shape, dtype=F64, device=device)
        b = torch.empty(shape, dtype=F64, device=device)
        out = ours(a, gain=gain, generator=_gen(3, device))
        theirs(b, gain=gain, generator=_gen(3, device))
        assert out is a
        torch.testing.assert_close(a, b, atol=0, rtol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mode": "fan_out"},
        {"nonlinearity": "relu"},
        {"a": 0.2},
        {"nonlinearity": "tanh", "mode": "fan_out"},
    ],
)
def test_kaiming_normal_equal_torch_with_the_same_generator(shape, kwargs):
    a, b = torch.empty(shape, dtype=F64), torch.empty(shape, dtype=F64)
    kaiming_normal_(a, generator=_gen(4), **kwargs)
    nn.init.kaiming_normal_(b, generator=_gen(4), **kwargs)
    torch.testing.assert_close(a, b, atol=0, rtol=1e-14)


def test_init_works_in_place_on_parameters():
    layer = nn.Linear(6, 4)
    out = kaiming_normal_(layer.weight, generator=_gen(0))
    assert out is layer.weight and layer.weight.requires_grad


# --------------------------------------------------------------------------------------------- statistics
def _second_moment_tolerance(var: float, n: int, kurtosis_ratio: float) -> float:
    """N_SIGMA standard deviations of mean(w^2) over n iid zero-mean draws: sd = sqrt((E w^4 - var^2) / n).

    E w^4 = kurtosis_ratio * var^2: 3 for a normal, 9/5 for a uniform (E w^4 = a^4/5, var = a^2/3).
    """
    return N_SIGMA * var * math.sqrt((kurtosis_ratio - 1) / n)


@pytest.mark.parametrize("shape", [(1024, 256), (128, 64, 3, 3)])
def test_xavier_and_he_variances(shape):
    fan_in, fan_out = (shape[1], shape[0]) if len(shape) == 2 else (shape[1] * 9, shape[0] * 9)
    cases = [  # (fill, expected variance written from the formulas, kurtosis ratio)
        (lambda w: xavier_uniform_(w, generator=_gen(0)), 2 / (fan_in + fan_out), 9 / 5),
        (
            lambda w: xavier_uniform_(w, gain=5 / 3, generator=_gen(1)),
            (25 / 9) * 2 / (fan_in + fan_out),
            9 / 5,
        ),
        (lambda w: xavier_normal_(w, generator=_gen(2)), 2 / (fan_in + fan_out), 3),
        (lambda w: kaiming_normal_(w, nonlinearity="relu", generator=_gen(3)), 2 / fan_in, 3),
        (
            lambda w: kaiming_normal_(w, mode="fan_out", nonlinearity="relu", generator=_gen(4)),
            2 / fan_out,
            3,
        ),
        (lambda w: kaiming_normal_(w, a=0.5, generator=_gen(5)), 2 / (1 + 0.25) / fan_in, 3),
    ]
    for fill, var, kurt in cases:
        w = fill(torch.empty(shape, dtype=F64))
        n = w.numel()
        assert abs(float((w**2).mean()) - var) < _second_moment_tolerance(var, n, kurt)
        assert abs(float(w.mean())) < N_SIGMA * math.sqrt(var / n)


def test_xavier_uniform_bound():
    w = xavier_uniform_(torch.empty(400, 600, dtype=F64), generator=_gen(6))
    bound = math.sqrt(6 / 1000)
    assert float(w.abs().max()) <= bound
    assert float(w.abs().max()) > 0.999 * bound  # 240000 draws fill the interval


# --------------------------------------------------------------------------------------------- IRNN, np-RNN
def test_identity_():
    W = torch.randn(5, 5)
    assert identity_(W) is W
    assert torch.equal(W, torch.eye(5))
    torch.testing.assert_close(identity_(torch.empty(3, 5), gain=0.5), 0.5 * nn.init.eye_(torch.empty(3, 5)))
    with pytest.raises(ValueError, match=r"tensor has shape \(2, 2, 2\)"):
        identity_(torch.empty(2, 2, 2))


@pytest.mark.parametrize("H", [2, 16, 100])
def test_np_rnn_spectrum(H):
    W = torch.empty(H, H, dtype=F64)
    assert np_rnn_(W, generator=_gen(H)) is W
    assert torch.equal(W, W.T)
    eig = torch.linalg.eigvalsh(W)  # ascending
    assert abs(float(eig[-1]) - 1) < 1e-12
    assert float(eig[-2]) < 1 - 1e-9 and float(eig[0]) > 0


def test_np_rnn_matches_its_formula_with_numpy():
    H = 32
    W = np_rnn_(torch.empty(H, H, dtype=F64), generator=_gen(11))
    R = torch.empty(H, H, dtype=F64).normal_(generator=_gen(11)).numpy()  # the same draws
    B = R.T @ R / H + np.eye(H)
    np.testing.assert_allclose(W.numpy(), B / np.linalg.eigvalsh(B).max(), rtol=0, atol=1e-13)


def test_np_rnn_float32_and_generator():
    W = np_rnn_(torch.empty(50, 50), generator=_gen(1))
    assert W.dtype == torch.float32
    assert abs(float(torch.linalg.eigvalsh(W.double())[-1]) - 1) < 1e-6
    assert torch.equal(W, np_rnn_(torch.empty(50, 50), generator=_gen(1)))
    assert not torch.equal(W, np_rnn_(torch.empty(50, 50), generator=_gen(2)))
    with pytest.raises(ValueError, match=r"tensor has shape \(3, 4\)"):
        np_rnn_(torch.empty(3, 4))


@pytest.mark.parametrize("bad", [float("inf"), -float("inf"), float("nan"), True, "0.1", 1j])
def test_non_finite_or_non_real_slopes_are_refused(bad):
    for nonlinearity in ("leaky_relu", "relu"):
        with pytest.raises(ValueError, match=r"param=.* must be a finite real number"):
            calculate_gain(nonlinearity, bad)
    for nonlinearity in ("leaky_relu", "relu"):
        w = torch.ones(3, 4)
        with pytest.raises(ValueError, match=r"a=.* must be a finite real number"):
            kaiming_normal_(w, a=bad, nonlinearity=nonlinearity)
        assert torch.equal(w, torch.ones(3, 4))  # untouched


def test_huge_finite_slope_gives_the_limit_not_an_overflow():
    assert calculate_gain("leaky_relu", 1e200) == pytest.approx(math.sqrt(2) / 1e200, rel=1e-15)
    assert calculate_gain("leaky_relu", np.float32(0.2)) == pytest.approx(
        nn.init.calculate_gain("leaky_relu", 0.2), rel=1e-6
    )


_FILLS = [
    lambda t, g=None: xavier_uniform_(t, generator=g),
    lambda t, g=None: xavier_normal_(t, generator=g),
    lambda t, g=None: kaiming_normal_(t, generator=g),
    lambda t, g=None: np_rnn_(t, generator=g),
]


@pytest.mark.parametrize("fill", _FILLS + [lambda t, g=None: identity_(t)])
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool, torch.complex64])
def test_non_floating_tensors_are_refused_by_name(fill, dtype):
    t = torch.zeros(4, 4, dtype=dtype)
    with pytest.raises(TypeError, match="tensor must have a floating dtype"):
        fill(t)
    assert not t.any()  # untouched


@pytest.mark.parametrize("fill", _FILLS + [lambda t, g=None: identity_(t)])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_filled_as_torch_does(fill, dtype):
    t = fill(torch.zeros(4, 4, dtype=dtype), _gen(0))
    assert t.dtype == dtype and bool(torch.isfinite(t).all()) and t.any()


@pytest.mark.parametrize("fill", _FILLS)
@pytest.mark.parametrize("bad", [3, "0", torch.zeros(1)])
def test_a_generator_of_the_wrong_type_is_named(fill, bad):
    with pytest.raises(TypeError, match="generator=.* must be a torch.Generator or None"):
        fill(torch.zeros(4, 4), bad)


def test_np_rnn_on_a_meta_tensor_is_shapes_only():
    assert np_rnn_(torch.empty(4, 4, device="meta")).device.type == "meta"

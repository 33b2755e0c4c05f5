"""Tests for lecture_lib.linear_fit.least_squares_fit_: closed-form least squares of layers linear in their weights."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lecture_lib.checkerboard import ResizeConv2d
from lecture_lib.linear_fit import least_squares_fit_


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_linear_layer_matches_the_normal_equations():
    g = _gen()
    x = torch.randn(50, 4, generator=g, dtype=torch.float64)
    y = torch.randn(50, 3, generator=g, dtype=torch.float64)
    layer = nn.Linear(4, 3).double()
    residual = least_squares_fit_(layer, x, y)
    # (50, 5): the inputs and a 1 for the bias
    design = torch.cat([x, torch.ones(50, 1, dtype=torch.float64)], dim=1)
    expected = torch.linalg.solve(design.T @ design, design.T @ y)  # (5, 3)
    assert torch.allclose(layer.weight.detach(), expected[:4].T, atol=1e-12)
    assert torch.allclose(layer.bias.detach(), expected[4], atol=1e-12)
    assert torch.allclose(residual, layer(x).detach() - y, atol=1e-14)
    # the optimum: the residual is orthogonal to every column of the design matrix
    assert (design.T @ residual).abs().max() < 1e-10


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.ConvTranspose2d(2, 3, 4, stride=2, padding=1),
        lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1),
        lambda: nn.Sequential(nn.Conv2d(2, 12, 3, padding=1), nn.PixelShuffle(2)),
        lambda: ResizeConv2d(2, 3, 2, mode="bilinear"),
    ],
)
def test_recovers_the_weights_of_an_upsampling_layer_exactly(make):
    torch.manual_seed(0)
    teacher = make().double()
    x = torch.randn(2, 2, 6, 5, generator=_gen(1), dtype=torch.float64)
    with torch.no_grad():
        y = teacher(x)
    student = make().double()
    residual = least_squares_fit_(student, x, y)
    assert residual.abs().max() < 1e-10
    for (name, p), q in zip(student.named_parameters(), teacher.parameters()):
        assert torch.allclose(p, q, atol=1e-9), name


def test_noisy_target_gives_a_smaller_error_than_any_perturbation():
    torch.manual_seed(0)
    layer = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1).double()
    x = torch.randn(1, 1, 8, 8, generator=_gen(2), dtype=torch.float64)
    y = torch.randn(1, 1, 16, 16, generator=_gen(3), dtype=torch.float64)
    best = least_squares_fit_(layer, x, y).square().sum()
    for k in range(5):
        with torch.no_grad():
            for p in layer.parameters():
                p.add_(1e-3 * torch.randn(p.shape, generator=_gen(10 + k), dtype=torch.float64))
            worse = (layer(x) - y).square().sum()
        least_squares_fit_(layer, x, y)
        assert worse > best


def test_float32_and_parameters_keep_their_dtype():
    layer = nn.Conv2d(1, 1, 3, padding=1)
    x = torch.randn(1, 1, 6, 6, generator=_gen())
    residual = least_squares_fit_(layer, x, 2 * x)
    assert residual.dtype == torch.float32 and layer.weight.dtype == torch.float32
    assert residual.abs().max() < 1e-4  # 2 x is reachable: centre tap 2, all else 0
    assert abs(layer.weight[0, 0, 1, 1].item() - 2) < 1e-4


def test_nonlinear_modules_are_refused_and_left_unchanged():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    before = [p.detach().clone() for p in model.parameters()]
    x = torch.randn(10, 3, generator=_gen(), dtype=torch.float64)
    with pytest.raises(ValueError, match="module=Sequential is not linear in its parameters"):
        least_squares_fit_(model, x, torch.zeros(10, 2, dtype=torch.float64))
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def test_a_constant_term_is_refused():
    class Offset(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(1, dtype=torch.float64))

        def forward(self, x):
            return self.scale * x + 1.0  # affine, not linear, in its parameter

    x = torch.randn(5, generator=_gen(), dtype=torch.float64)
    with pytest.raises(ValueError, match="not linear in its parameters"):
        least_squares_fit_(Offset(), x, x)


def test_argument_errors_name_the_argument():
    layer = nn.Conv2d(1, 1, 3, padding=1).double()
    x = torch.randn(1, 1, 4, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="target=.*shape of module"):
        least_squares_fit_(layer, x, torch.zeros(1, 1, 8, 8, dtype=torch.float64))
    with pytest.raises(TypeError, match="module parameter 'weight' is torch.float32"):
        least_squares_fit_(nn.Conv2d(1, 1, 3, padding=1), x, x)
    with pytest.raises(ValueError, match="has no parameters"):
        least_squares_fit_(nn.Identity(), x, x)
    with pytest.raises(TypeError, match="module="):
        least_squares_fit_(lambda z: z, x, x)
    with pytest.raises(ValueError, match="target contains NaN"):
        least_squares_fit_(layer, x, torch.full_like(x, float("nan")))
    with pytest.raises(ValueError, match="design matrix"):
        least_squares_fit_(nn.Conv2d(1, 64, 3, padding=1).double(), torch.zeros(1, 1, 256, 256, dtype=torch.float64),
                           torch.zeros(1, 64, 256, 256, dtype=torch.float64))  # fmt: skip

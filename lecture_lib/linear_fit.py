"""The least-squares optimum of a layer whose output is linear in its parameters, found in closed form.

Every upsampling layer of the chapters on upsampling and checkerboard artifacts (a transposed convolution, a
resize-convolution, a convolution followed by pixel shuffle) computes ``y = J theta`` for a fixed input: a
linear function of its weights and biases ``theta``. The squared error ``||J theta - target||^2`` then has
one best ``theta``, the solution of a linear least-squares problem; no training loop is needed to find it.

Taught in: chapters "Upsampling" (learned upsamplers on a photograph) and "Checkerboard artifacts" (the
layers at their optimum on a real photograph).
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_bytes_budget, check_same_device, check_same_dtype, check_tensor, describe

__all__ = ["least_squares_fit_"]

#: the largest design matrix (output values x parameters, 8 bytes each) one call may build
_MAX_BYTES = 2**31


def least_squares_fit_(module: nn.Module, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Set, in place, the parameters of ``module`` to the minimiser of ``||module(input) - target||^2``.

    Shapes: ``input`` whatever ``module`` takes (e.g. (N, C_in, H, W)); ``target`` the shape of
    ``module(input)`` (e.g. (N, C_out, sH, sW)). Returns the residual ``module(input) - target`` after the fit,
    of the shape of ``target``.

    Formula: with all parameters stacked into ``theta`` (P values), the output is ``J theta``, where column
    ``j`` of the Jacobian ``J`` (M x P, M output values) is the output with parameter ``j`` at 1 and all
    others at 0 (the P outputs are computed in one batched call, ``torch.func.vmap``). The minimiser of
    ``||J theta - t||^2`` solves the normal equations ``J^T J theta = J^T t`` (a P x P system, solved with
    ``torch.linalg.lstsq``, which also returns a solution when ``J`` has dependent columns). It requires
    the output to be *linear* in the parameters (no constant term, no nonlinearity between two
    parameters), which holds for a convolution, a transposed convolution, a
    resize-convolution or a convolution followed by ``nn.PixelShuffle``, biases included; a module that is
    not is refused, before anything changes, when its output at a random ``theta`` differs from
    ``J theta``. Use float64 for a clean optimum.

    Args:
        module: a module with at least one parameter, all of them floating, on the device and of the dtype
            of ``input``.
        input: a floating tensor, finite.
        target: a floating tensor of the shape of ``module(input)``, same device and dtype, finite.

    Taught in: chapters "Upsampling" and "Checkerboard artifacts".
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module={describe(module)} must be a torch.nn.Module, not {type(module).__name__}")
    check_tensor("input", input, dtype="floating", finite=True, nonempty=True)
    check_tensor("target", target, dtype="floating", finite=True, nonempty=True)
    check_same_device(input=input, target=target)
    check_same_dtype(input=input, target=target)
    named = [(name, p) for name, p in module.named_parameters()]
    if not named:
        raise ValueError(f"module={module.__class__.__name__} has no parameters: there is nothing to fit")
    for name, p in named:
        if p.dtype != input.dtype or p.device != input.device:
            raise TypeError(
                f"module parameter {name!r} is {p.dtype} on {p.device}, but input is {input.dtype} on "
                f"{input.device}: move the module with module.to(input)"
            )
    sizes = [p.numel() for _, p in named]
    check_bytes_budget(
        f"target={describe(target)} with {sum(sizes)} parameters (the design matrix)",
        target.numel() * sum(sizes) * target.element_size(),
        _MAX_BYTES,
    )
    with torch.no_grad():
        out = module(input)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != tuple(target.shape):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"target={describe(target)} must have the shape of module(input), {shape}")

    def output(theta: torch.Tensor) -> torch.Tensor:
        params = {name: t.view_as(p) for (name, p), t in zip(named, theta.split(sizes))}
        return torch.func.functional_call(module, params, (input,)).reshape(-1)  # (M,)

    unit = torch.eye(sum(sizes), dtype=input.dtype, device=input.device)  # (P, P): one parameter at 1
    jacobian = torch.func.vmap(output)(unit).T  # (M, P): column j is the output for the j-th unit parameter
    # Linear in theta means output(theta) == J theta for every theta: test it at a random theta first.
    probe = torch.randn(sum(sizes), generator=torch.Generator().manual_seed(0), dtype=input.dtype)
    probe = probe.to(input.device)
    with torch.no_grad():
        at_probe, predicted = output(probe), jacobian @ probe  # (M,) each
    scale = max(float(at_probe.abs().max()), float(predicted.abs().max()), 1.0)
    gap = float((at_probe - predicted).abs().max())
    if gap > 1e3 * torch.finfo(input.dtype).eps * scale * sum(sizes):
        raise ValueError(
            f"module={module.__class__.__name__} is not linear in its parameters: at a random theta its output "
            f"differs from J theta by {gap:.3g}; least_squares_fit_ needs an output that is a linear function "
            "of the parameters (a convolution, a transposed convolution, pixel shuffle; no nonlinearity, "
            "no constant term)"
        )
    # The normal equations J^T J theta = J^T t: a P x P system, fast whatever M is (LAPACK on a tall M x P
    # matrix can be slow on a busy multi-threaded CPU); lstsq picks a solution where J^T J is singular.
    gram, rhs = jacobian.T @ jacobian, jacobian.T @ target.reshape(-1, 1)  # (P, P), (P, 1)
    theta = torch.linalg.lstsq(gram, rhs).solution[:, 0]  # (P,)
    with torch.no_grad():
        for (_, p), t in zip(named, theta.split(sizes)):
            p.copy_(t.view_as(p))
        return module(input) - target

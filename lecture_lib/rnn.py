"""A vanilla recurrent network and backpropagation through time, written out by hand.

Notation (the lecture's): an input ``x_t`` enters through ``W_in``, the hidden units talk to each other
through ``W_rec`` and are read out through ``W_out``. In column-vector form

    a_t = W_rec h_{t-1} + W_in x_t + b,    h_t = f(a_t),    z_t = W_out h_t + b_out,    t = 1..T.

The code works on a batch of N sequences stored as rows, so the same equations read
``h_t = f(h_{t-1} @ W_rec.T + x_t @ W_in.T + b)``. Shapes (the orientation of ``torch.nn.RNN`` and
``torch.nn.Linear``, so weights can be copied across):

    x (T, N, D)   h0 (N, H)   W_in (H, D)   W_rec (H, H)   b (H,)   W_out (O, H)   b_out (O,)
    h (T+1, N, H) with h[0] = h0          z (T, N, O) with z[t-1] = z_t

Taught in: chapter "RNNs and backpropagation through time" (forward pass, ``bptt``, ``VanillaRNN``) and
chapter "Vanishing and exploding gradients" (``gradient_norms_through_time``, ``clip_grad_norm_``,
``pascanu_regularizer``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import torch
from torch import nn

from ._validate import (
    check_bool,
    check_bytes_budget,
    check_device,
    check_dtype,
    check_module_matches,
    check_tensor,
    describe,
)

__all__ = [
    "rnn_forward",
    "bptt",
    "gradient_norms_through_time",
    "clip_grad_norm_",
    "pascanu_regularizer",
    "VanillaRNN",
]

_ACTIVATIONS = ("relu", "tanh")


# --------------------------------------------------------------------------------------------- helpers
def _check_activation(activation: str) -> None:
    if not isinstance(activation, str) or activation not in _ACTIVATIONS:
        raise ValueError(f"activation={activation!r} is not supported; expected one of {_ACTIVATIONS}")


def _check_tensor(name: str, value: object, ndim: int) -> torch.Tensor:
    """A floating tensor (float16 to float64; not int, bool or complex) with ``ndim`` dimensions."""
    return check_tensor(name, value, ndim, dtype="floating")


def _check_alike(prefix: str = "", **tensors: torch.Tensor | None) -> None:
    """One device and one dtype for all given tensors (None skipped), or an error naming the odd ones out.

    A ``meta`` weight among CPU tensors would otherwise give uninitialised memory, and torch's own dtype error
    ("expected m1 and m2 to have the same dtype") names no argument. The largest group (the first on a tie)
    is taken as the intended device or dtype. ``prefix`` (e.g. ``"lstm_cell: "``) starts the message.
    """
    present = {k: v for k, v in tensors.items() if v is not None}
    for attr, error, verb, fix in (
        ("device", ValueError, "on", "move them with .to(device)"),
        ("dtype", TypeError, "of dtype", "convert them with .to(dtype)"),
    ):
        groups: dict[object, list[str]] = {}
        for name, t in present.items():
            groups.setdefault(getattr(t, attr), []).append(name)
        if len(groups) > 1:
            main = max(groups, key=lambda g: len(groups[g]))

            def said(names: list[str], value: object, verb: str = verb) -> str:
                return f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} {verb} {value}"

            odd = "; ".join(said(names, g) for g, names in groups.items() if g != main)
            raise error(
                f"{prefix}{odd}, but {said(groups[main], main)}: all these tensors must share one {attr} "
                f"({fix})"
            )


def _expect_shape(name: str, value: torch.Tensor, expected: tuple[int, ...], meaning: str) -> None:
    if tuple(value.shape) != expected:
        raise ValueError(f"{name} has shape {tuple(value.shape)}; expected {expected} ({meaning})")


def _activate(a: torch.Tensor, activation: str) -> torch.Tensor:
    return torch.relu(a) if activation == "relu" else torch.tanh(a)


def _derivative_from_output(h: torch.Tensor, activation: str) -> torch.Tensor:
    """f'(a) written in terms of h = f(a): relu' = 1[h > 0] (0 at a = 0, as autograd), tanh' = 1 - h^2."""
    if activation == "relu":
        return (h > 0).to(h.dtype)
    return 1 - h * h


def _check_backward_args(
    h: torch.Tensor, dz: torch.Tensor, W_rec: torch.Tensor, W_out: torch.Tensor, activation: str
) -> tuple[int, int, int, int]:
    _check_activation(activation)
    _check_tensor("h", h, 3)
    _check_tensor("dz", dz, 3)
    _check_tensor("W_rec", W_rec, 2)
    _check_tensor("W_out", W_out, 2)
    _check_alike(h=h, dz=dz, W_rec=W_rec, W_out=W_out)
    T1, N, H = h.shape
    if T1 < 2:
        raise ValueError(f"h has shape {tuple(h.shape)}; expected (T+1, N, H) with T >= 1 (h[0] is h0)")
    T, O = T1 - 1, W_out.shape[0]
    _expect_shape("W_rec", W_rec, (H, H), "(H, H) with H = h.shape[2]")
    _expect_shape("W_out", W_out, (O, H), "(O, H) with H = h.shape[2]")
    _expect_shape("dz", dz, (T, N, O), "(T, N, O): dL/dz_t for t = 1..T, T = h.shape[0] - 1")
    return T, N, H, O


# --------------------------------------------------------------------------------------------- forward
def rnn_forward(
    x: torch.Tensor,
    h0: torch.Tensor,
    W_in: torch.Tensor,
    W_rec: torch.Tensor,
    b: torch.Tensor | None,
    W_out: torch.Tensor,
    b_out: torch.Tensor | None,
    activation: str = "relu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a vanilla RNN over a sequence and return every hidden state and every output.

    Shapes: x (T, N, D), h0 (N, H), W_in (H, D), W_rec (H, H), b (H,) or None, W_out (O, H),
    b_out (O,) or None. Returns ``h`` (T+1, N, H) with ``h[0] = h0`` and ``z`` (T, N, O).

    Formula: h_t = f(W_rec h_{t-1} + W_in x_t + b), z_t = W_out h_t + b_out, f = relu or tanh.
    Differentiable with autograd (``VanillaRNN`` is built on it). All tensors share one floating dtype and
    one device (a mismatch raises ``TypeError`` / ``ValueError`` naming the tensors).

    Taught in: chapter "RNNs and backpropagation through time".
    """
    _check_activation(activation)
    _check_tensor("x", x, 3)
    _check_tensor("h0", h0, 2)
    _check_tensor("W_in", W_in, 2)
    _check_tensor("W_rec", W_rec, 2)
    _check_tensor("W_out", W_out, 2)
    for name, bias, ndim in (("b", b, 1), ("b_out", b_out, 1)):
        if bias is not None:
            _check_tensor(name, bias, ndim)
    _check_alike(x=x, h0=h0, W_in=W_in, W_rec=W_rec, b=b, W_out=W_out, b_out=b_out)
    T, N, D = x.shape
    H, O = W_rec.shape[0], W_out.shape[0]
    _expect_shape("W_rec", W_rec, (H, H), "a square (H, H) matrix")
    _expect_shape("W_in", W_in, (H, D), "(H, D) with H = W_rec.shape[0] and D = x.shape[2]")
    _expect_shape("h0", h0, (N, H), "(N, H) with N = x.shape[1] and H = W_rec.shape[0]")
    _expect_shape("W_out", W_out, (O, H), "(O, H) with H = W_rec.shape[0]")
    if b is not None:
        _expect_shape("b", b, (H,), "(H,) with H = W_rec.shape[0]")
    if b_out is not None:
        _expect_shape("b_out", b_out, (O,), "(O,) with O = W_out.shape[0]")

    drive = x @ W_in.T  # (T, N, H): W_in x_t for every step in one matmul
    if b is not None:
        drive = drive + b
    states = [h0]
    for t in range(T):
        states.append(_activate(torch.addmm(drive[t], states[-1], W_rec.T), activation))  # (N, H)
    h = torch.stack(states)  # (T+1, N, H)
    z = h[1:] @ W_out.T  # (T, N, O)
    if b_out is not None:
        z = z + b_out
    return h, z


# --------------------------------------------------------------------------------------------- backward
def bptt(
    x: torch.Tensor,
    h: torch.Tensor,
    dz: torch.Tensor,
    W_in: torch.Tensor,
    W_rec: torch.Tensor,
    W_out: torch.Tensor,
    activation: str = "relu",
    truncate: int | None = None,
) -> dict[str, torch.Tensor]:
    """Backpropagation through time by hand: the gradients of L = sum_t L_t given dL/dz_t.

    Shapes: x (T, N, D), h (T+1, N, H) as returned by ``rnn_forward`` (h[0] = h0), dz (T, N, O) with
    dz[t-1] = dL/dz_t (put zeros where a step has no loss, e.g. everywhere but the last step),
    W_in (H, D), W_rec (H, H), W_out (O, H). Returns a dict of gradients with the shapes of what they
    belong to: ``W_in`` (H, D), ``W_rec`` (H, H), ``b`` (H,), ``W_out`` (O, H), ``b_out`` (O,), ``h0`` (N, H).

    Recursion (row-vector form, g_t = dL/dh_t, delta_t = dL/da_t):

        g_T = dz_T W_out,   delta_t = f'(a_t) * g_t,   g_{t-1} = dz_{t-1} W_out + delta_t W_rec,

    i.e. the lecture's dL/dh_{t-1} = W_rec^T (f'(a_t) * dL/dh_t) plus the gradient injected at step t-1.
    f' is read off the stored states: relu' = 1[h_t > 0], tanh' = 1 - h_t^2. The weight gradients are
    sums over time, taken after the recursion with one matmul each over all T*N rows:
    dW_rec = sum_t delta_t^T h_{t-1}, dW_in = sum_t delta_t^T x_t, db = sum_t delta_t,
    dW_out = sum_t dz_t^T h_t, db_out = sum_t dz_t, dh0 = g_0.

    Truncation: ``truncate=k`` (an int >= 1) backpropagates each step's loss through at most k steps.
    The loss L_t reaches the steps s = t-k+1, ..., t (pre-activations a_s and the weights used there) and
    stops at the state h_{t-k} that feeds the oldest of them, as if that state were detached. ``h0`` gets
    the gradient of the losses whose window contains step 1 (t <= k). With autograd this is the sum over t
    of L_t computed from ``h[t-k].detach()`` (or from h0 itself when t <= k) by k fresh steps; it costs
    about k times one untruncated backward pass. ``k = 1`` keeps only the direct dependence of each loss
    on its own step; ``k >= T`` (or None) is full BPTT. This is the per-loss truncation of Williams and
    Peng (1990); carrying a detached state from one chunk to the next is a different, cheaper scheme.

    Taught in: chapter "RNNs and backpropagation through time".
    """
    _check_tensor("x", x, 3)
    _check_tensor("W_in", W_in, 2)
    for name, value, ndim in (("h", h, 3), ("dz", dz, 3), ("W_rec", W_rec, 2), ("W_out", W_out, 2)):
        _check_tensor(name, value, ndim)
    _check_alike(x=x, h=h, dz=dz, W_in=W_in, W_rec=W_rec, W_out=W_out)
    T, N, H, O = _check_backward_args(h, dz, W_rec, W_out, activation)
    D = x.shape[2]
    _expect_shape("x", x, (T, N, D), "(T, N, D) with T = h.shape[0] - 1 and N = h.shape[1]")
    _expect_shape("W_in", W_in, (H, D), "(H, D) with H = h.shape[2] and D = x.shape[2]")
    if truncate is not None and (isinstance(truncate, bool) or not isinstance(truncate, int) or truncate < 1):
        raise ValueError(f"truncate={truncate!r} must be None or an integer >= 1 (the number of steps)")

    fprime = _derivative_from_output(h[1:], activation)  # (T, N, H)
    injected = dz @ W_out  # (T, N, H): dL_t/dh_t for every t in one matmul
    deltas: list[torch.Tensor] = [None] * T  # type: ignore[list-item]

    if truncate is None or truncate >= T:
        g = injected[T - 1]  # (N, H): dL/dh_T
        for t in range(T - 1, 0, -1):
            deltas[t] = g * fprime[t]  # (N, H): dL/da_{t+1}
            g = torch.addmm(injected[t - 1], deltas[t], W_rec)  # (N, H): dL/dh_t
        deltas[0] = g * fprime[0]
        dh0 = deltas[0] @ W_rec  # (N, H)
    else:
        k = truncate
        # alive[j] = dL_{s+j}/dh_s for the losses whose window still contains step s (0-based here)
        alive = injected.new_zeros((0, N, H))
        for s in range(T - 1, -1, -1):
            alive = torch.cat([injected[s].unsqueeze(0), alive])  # (m, N, H), m <= k
            per_loss = alive * fprime[s]  # (m, N, H)
            deltas[s] = per_loss.sum(0)  # (N, H)
            if s > 0:
                alive = per_loss[: k - 1] @ W_rec  # the loss whose window starts at s drops out
        dh0 = deltas[0] @ W_rec  # every loss still alive at step 1 reaches h0

    delta = torch.stack(deltas).reshape(T * N, H)  # (T*N, H)
    return {
        "W_in": delta.T @ x.reshape(T * N, D),  # (H, D)
        "W_rec": delta.T @ h[:-1].reshape(T * N, H),  # (H, H)
        "b": delta.sum(0),  # (H,)
        "W_out": dz.reshape(T * N, O).T @ h[1:].reshape(T * N, H),  # (O, H)
        "b_out": dz.sum((0, 1)),  # (O,)
        "h0": dh0,  # (N, H)
    }


def gradient_norms_through_time(
    h: torch.Tensor,
    dz_last: torch.Tensor,
    W_rec: torch.Tensor,
    W_out: torch.Tensor,
    activation: str = "relu",
) -> torch.Tensor:
    """The norms ||dL_T/dh_t|| for t = 0..T of a loss placed at the last step only.

    Shapes: h (T+1, N, H) from ``rnn_forward``, dz_last (N, O) = dL_T/dz_T, W_rec (H, H), W_out (O, H).
    Returns a (T+1,) tensor whose entry t is the Frobenius norm of the (N, H) gradient dL_T/dh_t (for
    one sequence, N = 1, the Euclidean norm). Entry T is ||dz_last W_out||, entry 0 the gradient reaching h0.

    Formula: g_T = dz_T W_out, g_{t-1} = (f'(a_t) * g_t) W_rec; going back k steps multiplies by W_rec^T
    k times, so the norms shrink or grow roughly like rho(W_rec)^k.

    Taught in: chapter "Vanishing and exploding gradients".
    """
    _check_activation(activation)
    _check_tensor("dz_last", dz_last, 2)
    _check_tensor("h", h, 3)
    _check_tensor("W_rec", W_rec, 2)
    _check_tensor("W_out", W_out, 2)
    _check_alike(h=h, dz_last=dz_last, W_rec=W_rec, W_out=W_out)
    if tuple(dz_last.shape) != (h.shape[1], W_out.shape[0]):
        raise ValueError(
            f"dz_last has shape {tuple(dz_last.shape)}; expected (N, O) = {(h.shape[1], W_out.shape[0])} "
            f"(N from h of shape {tuple(h.shape)}, O from W_out of shape {tuple(W_out.shape)})"
        )
    T, N, H, O = _check_backward_args(
        h, dz_last.expand(max(h.shape[0] - 1, 0), *dz_last.shape), W_rec, W_out, activation
    )
    fprime = _derivative_from_output(h[1:], activation)  # (T, N, H)
    g = dz_last @ W_out  # (N, H)
    norms = [torch.linalg.vector_norm(g)]
    for t in range(T - 1, -1, -1):
        g = (g * fprime[t]) @ W_rec  # (N, H): dL_T/dh_t
        norms.append(torch.linalg.vector_norm(g))
    return torch.stack(norms[::-1])  # (T+1,)


# --------------------------------------------------------------------------------------------- clipping
def clip_grad_norm_(
    parameters: torch.Tensor | Iterable[torch.Tensor],
    max_norm: float | torch.Tensor,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = True,
    foreach: bool | None = None,
) -> torch.Tensor:
    """Rescale the gradients of ``parameters`` in place so that their global norm is at most ``max_norm``.

    Shapes: any parameters; their ``.grad`` (same shape, None is skipped) are modified in place. Returns
    the total norm before clipping as a 0-d tensor (``tensor(0.)`` when no parameter has a gradient).

    Formula (Pascanu, Mikolov & Bengio 2013): ||g|| = norm of all gradients viewed as one vector;
    g <- g * min(1, c / (||g|| + 1e-6)) with c = max_norm, i.e. the lecture's g <- c g / ||g|| when
    ||g|| >= c. The 1e-6 and the multiplication by 1 below the threshold are those of
    ``torch.nn.utils.clip_grad_norm_``, so both give the same numbers; ``norm_type`` as there (p >= 1 or inf).

    Unlike torch, whose default is ``error_if_nonfinite=False``, a NaN or infinite total norm raises
    ``ValueError`` by default (clipping by an infinite norm would set every gradient to 0 or NaN); pass
    ``error_if_nonfinite=False`` for torch's default behaviour. ``foreach`` is accepted for the same
    signature as torch's and has no effect (the per-tensor norms are computed one by one).

    Taught in: chapter "Vanishing and exploding gradients".
    """
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    if isinstance(parameters, (str, bytes)) or not isinstance(parameters, Iterable):
        raise TypeError(
            f"parameters={describe(parameters)} must be a tensor or an iterable of tensors "
            f"(e.g. model.parameters()), not {type(parameters).__name__}"
        )
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"parameters[{i}] must be a torch.Tensor, got {type(p).__name__}")
    if isinstance(max_norm, torch.Tensor) and max_norm.dim() == 0 and max_norm.dtype.is_floating_point:
        max_norm = float(max_norm)  # a 0-d tensor, as torch accepts it
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) or not max_norm >= 0:
        raise ValueError(f"max_norm={max_norm!r} must be a number >= 0 (or a 0-d floating tensor)")
    max_norm = float(max_norm)  # a NumPy scalar or a Fraction, say
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, str)):
        raise ValueError(f"norm_type={norm_type!r} must be a number >= 1 or inf")
    try:
        norm_type = float(norm_type)  # "inf" as torch accepts it
    except ValueError:
        raise ValueError(f"norm_type={norm_type!r} must be a number >= 1 or inf") from None
    if not norm_type >= 1:
        raise ValueError(f"norm_type={norm_type!r} must be >= 1 or inf")
    check_bool("error_if_nonfinite", error_if_nonfinite)
    if foreach is not None:
        check_bool("foreach", foreach)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    with torch.no_grad():
        first = grads[0].device
        per_tensor = [torch.linalg.vector_norm(g, norm_type).to(first) for g in grads]
        total = torch.linalg.vector_norm(torch.stack(per_tensor), norm_type)  # 0-d
        if error_if_nonfinite and not bool(torch.isfinite(total)):
            bad = [
                i for i, p in enumerate(params) if p.grad is not None and not bool(p.grad.isfinite().all())
            ]
            raise ValueError(
                f"the total gradient norm is {float(total)}, so the gradients cannot be clipped; "
                f"non-finite values in the .grad of parameters {bad} (positions in `parameters`). "
                "Pass error_if_nonfinite=False to scale by the non-finite norm anyway"
            )
        scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(scale.to(g.device))
    return total


# --------------------------------------------------------------------------------------------- Pascanu
def pascanu_regularizer(
    h: torch.Tensor,
    dz: torch.Tensor,
    W_rec: torch.Tensor,
    W_out: torch.Tensor,
    activation: str = "relu",
    detach: bool = True,
) -> torch.Tensor:
    """Pascanu's soft constraint against vanishing gradients: Omega, a differentiable scalar.

    Shapes: h (T+1, N, H) from ``rnn_forward``, dz (T, N, O) = dL/dz_t as for ``bptt``, W_rec (H, H),
    W_out (O, H). Returns a 0-d tensor.

    Formula (Pascanu, Mikolov & Bengio 2013), with v_{k+1} = dL/dh_{k+1} (a row, the total
    gradient, computed here by the ``bptt`` recursion) and dh_{k+1}/dh_k = diag(f'(a_{k+1})) W_rec:

        Omega = (1/N) sum_n sum_{k=0}^{T-1} ( ||v_{k+1} dh_{k+1}/dh_k|| / ||v_{k+1}|| - 1 )^2,
        v_{k+1} dh_{k+1}/dh_k = (f'(a_{k+1}) * v_{k+1}) W_rec.

    Norms are per sequence; the sum runs over the T transitions h_k -> h_{k+1} (h0 -> h1 included) and
    the mean over the batch, so Omega does not grow with N. A term whose v_{k+1} is exactly zero (no
    gradient reached that state, e.g. dead relu units) is undefined and left out. NaN propagates, it is not
    refused: a sequence with a NaN or infinity in its states h or its gradients dz, or a NaN reached through
    the weights, makes Omega NaN (never left out as an undefined term), so a training loop that checks its
    loss sees it.

    ``detach=True`` (default) is the paper's choice: the states h and the gradients v are held constant,
    so autograd differentiates Omega only through the explicit W_rec of the Jacobian (for tanh this also
    holds f'(a_{k+1}) = 1 - h_{k+1}^2 fixed, matching the paper's parametrisation x_t = W_rec s(x_{t-1}) +
    ..., where the Jacobian's nonlinearity factor depends on the fixed state only). ``detach=False``
    keeps every path: gradients flow through h, through dz if it carries a graph, and through the W_rec
    and W_out inside the recursion for v, giving the exact total derivative.

    Taught in: chapter "Vanishing and exploding gradients".
    """
    T, N, H, O = _check_backward_args(h, dz, W_rec, W_out, activation)
    check_bool("detach", detach)
    if detach:
        with torch.no_grad():
            v = _hidden_grads(h, dz, W_rec, W_out, activation)  # (T, N, H), constants
        fprime = _derivative_from_output(h[1:].detach(), activation)  # (T, N, H), constants
    else:
        v = _hidden_grads(h, dz, W_rec, W_out, activation)
        fprime = _derivative_from_output(h[1:], activation)
    pulled = (fprime * v) @ W_rec  # (T, N, H): v_{k+1} dh_{k+1}/dh_k
    num = torch.linalg.vector_norm(pulled, dim=2)  # (T, N)
    den = torch.linalg.vector_norm(v, dim=2)  # (T, N)
    defined = den != 0  # a NaN norm is not "undefined": its term stays NaN
    ratio = num / torch.where(defined, den, torch.ones_like(den))
    terms = torch.where(defined, (ratio - 1) ** 2, torch.zeros_like(ratio))  # (T, N)
    # a sequence with a NaN or infinity in its states or output gradients gives NaN, even where relu's
    # derivative mask would hide it (relu'(NaN) = 0 makes its v finite)
    broken = ~(torch.isfinite(h).all(dim=2).all(dim=0) & torch.isfinite(dz).all(dim=2).all(dim=0))  # (N,)
    terms = torch.where(broken, torch.full_like(terms, float("nan")), terms)
    return terms.sum(0).mean()


def _hidden_grads(
    h: torch.Tensor, dz: torch.Tensor, W_rec: torch.Tensor, W_out: torch.Tensor, activation: str
) -> torch.Tensor:
    """dL/dh_t for t = 1..T, (T, N, H), by the ``bptt`` recursion (differentiable, no in-place writes)."""
    fprime = _derivative_from_output(h[1:], activation)  # (T, N, H)
    injected = dz @ W_out  # (T, N, H)
    T = injected.shape[0]
    grads = [injected[T - 1]]
    for t in range(T - 1, 0, -1):
        grads.append(injected[t - 1] + (grads[-1] * fprime[t]) @ W_rec)  # (N, H)
    return torch.stack(grads[::-1])  # (T, N, H)


# --------------------------------------------------------------------------------------------- module
class VanillaRNN(nn.Module):
    """A vanilla RNN with a linear read-out, the module form of ``rnn_forward``.

    Parameters: ``W_in`` (H, D), ``W_rec`` (H, H), ``b`` (H,), ``W_out`` (O, H), ``b_out`` (O,), the
    orientation of ``nn.RNN``'s ``weight_ih_l0`` / ``weight_hh_l0`` and of ``nn.Linear``'s weight (nn.RNN's
    two biases add up to ``b``). All start as U(-1/sqrt(H), 1/sqrt(H)), nn.RNN's default.

    ``forward(x, h0=None)`` takes x (T, N, D) (or (N, T, D) with ``batch_first=True``) and h0 (N, H)
    (zeros when None) and returns all states h (T+1, N, H) with h[0] = h0 and the outputs z (T, N, O)
    ((N, T+1, H) and (N, T, O) with ``batch_first=True``), in the order of ``rnn_forward`` (not nn.RNN's
    (output, h_n): nn.RNN has no read-out). To carry the state to the next chunk of a long sequence, pass
    ``h[-1].detach()`` (``h[:, -1].detach()`` with ``batch_first=True``) as the next h0.

    Formula: h_t = f(W_rec h_{t-1} + W_in x_t + b), z_t = W_out h_t + b_out.

    Taught in: chapter "RNNs and backpropagation through time".
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        activation: str = "relu",
        batch_first: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("output_size", output_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer")
        _check_activation(activation)
        self.input_size, self.hidden_size, self.output_size = input_size, hidden_size, output_size
        self.activation = activation
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first={batch_first!r} must be a bool (True or False)")
        self.batch_first = batch_first
        device = check_device("device", device)
        dtype = check_dtype("dtype", dtype)
        H, D, O = hidden_size, input_size, output_size
        itemsize = (dtype or torch.get_default_dtype()).itemsize
        check_bytes_budget(
            f"VanillaRNN(input_size={D}, hidden_size={H}, output_size={O})'s parameters",
            (H * D + H * H + H + O * H + O) * itemsize,
        )
        kw = {"device": device, "dtype": dtype}
        self.W_in = nn.Parameter(torch.empty(hidden_size, input_size, **kw))
        self.W_rec = nn.Parameter(torch.empty(hidden_size, hidden_size, **kw))
        self.b = nn.Parameter(torch.empty(hidden_size, **kw))
        self.W_out = nn.Parameter(torch.empty(output_size, hidden_size, **kw))
        self.b_out = nn.Parameter(torch.empty(output_size, **kw))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)) (nn.RNN's default)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        _check_tensor("x", x, 3)
        check_module_matches("VanillaRNN", self, x, "x")
        if h0 is not None:
            _check_tensor("h0", h0, 2)
            check_module_matches("VanillaRNN", self, h0, "h0")
        if self.batch_first:
            x = x.transpose(0, 1)  # (T, N, D)
        if h0 is None:
            h0 = x.new_zeros((x.shape[1], self.hidden_size))
        h, z = rnn_forward(x, h0, self.W_in, self.W_rec, self.b, self.W_out, self.b_out, self.activation)
        if self.batch_first:
            return h.transpose(0, 1), z.transpose(0, 1)  # (N, T+1, H), (N, T, O)
        return h, z

    def extra_repr(self) -> str:
        return (
            f"input_size={self.input_size}, hidden_size={self.hidden_size}, output_size={self.output_size}, "
            f"activation={self.activation!r}, batch_first={self.batch_first}"
        )

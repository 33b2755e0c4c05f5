"""The adding problem at T = 100, 150, 200: tanh RNN, IRNN, np-RNN, LSTM and GRU, a reduced reproduction.

Le, Jaitly & Hinton (2015) and Talathi & Vartak (2015) train recurrent networks of 100 units on the adding
problem with plain SGD, gradient clipping and up to millions of examples. This script runs the same
comparison on a budget that fits about ten minutes of two CPU cores:

- models (``MODELS``): one recurrent layer of ``hidden_size`` units (``torch.nn.RNN``, the C++ loop, about
  twice as fast here as the course's ``VanillaRNN`` with the same equations) and a linear read-out of the
  last state. Recurrent weights: ``tanh RNN`` a Gaussian N(0, 1/H) (``xavier_normal_``, spectral radius
  about 1) with tanh; ``IRNN`` the identity with relu; ``np-RNN`` Talathi & Vartak's matrix with relu. Input
  and read-out weights ``xavier_normal_``, biases 0, all drawn with the course's ``lecture_lib.init``.
  ``LSTM (forget bias 1)`` and ``GRU`` are the course's ``lecture_lib.gated`` layers (Python loops, the
  LSTM with its hand-written backward pass) with PyTorch's default uniform initialisation and, for the
  LSTM, the forget-gate bias set to 1, as in the chapter on training recurrent networks;
- training: Adam (lr 1e-3) instead of the papers' SGD, because SGD makes no visible progress in a few
  thousand steps; global gradient-norm clipping at 1 as in the papers; minibatches of 32 fresh sequences;
  ``steps`` updates; a run whose loss becomes NaN or infinite is stopped and counted as diverged;
- evaluation: the MSE on 1000 held-out sequences per length (the same for every model and seed), every
  ``eval_every`` steps and at the end; times are summed over seeds (wall clock and this process's CPU
  time, which is the fairer number on a shared machine). "Solved" means held-out MSE < 0.05: predicting 1 gives 1/6, and a
  network that remembers only one of the two marked values can do no better than Var(U) = 1/12 = 0.083, so
  0.05 requires using both.

``run(device)`` trains every (length, model, seed) and returns one row per (length, model). Other models
join through ``MODELS`` (name -> ``constructor(input_size, hidden_size, generator)`` returning a module
that maps x (T, N, D) to (N, 1)) or ``models=``.
On the CPU the runs are spread over ``workers`` processes (default: two, or fewer cores), each with one
torch thread; results do not depend on the number of workers.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable

import torch
from torch import nn

from lecture_lib.gated import GRU, LSTM
from lecture_lib.init import identity_, np_rnn_, xavier_normal_
from lecture_lib.rnn import clip_grad_norm_
from lecture_lib.tasks import ADDING_BASELINE_MSE, adding_problem

__all__ = ["TITLE", "TARGET", "MODELS", "SOLVED_MSE", "AddingGated", "AddingRNN", "train_adding", "run"]

TITLE = "Adding problem: tanh RNN, IRNN, np-RNN, LSTM and GRU (a reduced reproduction)"
SOLVED_MSE = 0.05
LENGTHS = (100, 150, 200)
SEEDS = (0, 1, 2)
HIDDEN_SIZE = 64
BATCH_SIZE = 32
STEPS = 3000
LR = 1e-3
MAX_NORM = 1.0
EVAL_EVERY = 500
EVAL_SIZE = 1000
TARGET = (
    f"held-out MSE below the constant predictor's 1/6 = 0.167; solved = MSE < {SOLVED_MSE} (below the 1/12 "
    f"of a network that uses only one marked value). Reduced budget: H={HIDDEN_SIZE}, {STEPS} Adam steps "
    f"(lr {LR:g}, clipping at {MAX_NORM:g}) of {BATCH_SIZE} sequences, {len(SEEDS)} seeds"
)


class AddingRNN(nn.Module):
    """One ``nn.RNN`` layer and a linear read-out of its last state: x (T, N, D) -> (N, 1)."""

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str) -> None:
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity)
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.rnn(x)  # (T, N, H)
        return self.readout(states[-1])  # (N, 1)


def _build(
    input_size: int, hidden_size: int, generator: torch.Generator, nonlinearity: str, recurrent: Callable
) -> AddingRNN:
    model = AddingRNN(input_size, hidden_size, nonlinearity)
    with torch.no_grad():
        recurrent(model.rnn.weight_hh_l0, generator)  # (H, H)
        xavier_normal_(model.rnn.weight_ih_l0, generator=generator)  # (H, D)
        xavier_normal_(model.readout.weight, generator=generator)  # (1, H)
        for bias in (model.rnn.bias_ih_l0, model.rnn.bias_hh_l0, model.readout.bias):
            bias.zero_()
    return model


def tanh_rnn(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """tanh units, W_rec ~ N(0, 2 / (H + H)) = N(0, 1/H): eigenvalues filling the unit disk."""
    return _build(input_size, hidden_size, generator, "tanh", lambda W, g: xavier_normal_(W, generator=g))


def irnn(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """relu units, W_rec = I (Le, Jaitly & Hinton 2015)."""
    return _build(input_size, hidden_size, generator, "relu", lambda W, g: identity_(W))


def np_rnn(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """relu units, W_rec = (R^T R / H + I) / lambda_max (Talathi & Vartak 2015)."""
    return _build(input_size, hidden_size, generator, "relu", lambda W, g: np_rnn_(W, generator=g))


class AddingGated(nn.Module):
    """One gated layer (``lecture_lib.gated.LSTM`` or ``GRU``) and a linear read-out: x (T, N, D) -> (N, 1)."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer
        self.readout = nn.Linear(layer.hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.layer(x)  # (T, N, H)
        return self.readout(states[-1])  # (N, 1)


def _build_gated(
    layer_class: type[nn.Module],
    input_size: int,
    hidden_size: int,
    generator: torch.Generator,
    forget_bias=None,
) -> AddingGated:
    """PyTorch's default U(-1/sqrt(H), 1/sqrt(H)) for the layer, drawn from ``generator``; read-out as above."""
    model = AddingGated(layer_class(input_size, hidden_size))
    bound = 1 / math.sqrt(hidden_size)
    with torch.no_grad():
        for p in model.layer.parameters():
            p.uniform_(-bound, bound, generator=generator)
        xavier_normal_(model.readout.weight, generator=generator)
        model.readout.bias.zero_()
        if forget_bias is not None:  # rows [H, 2H) of (i, f, g, o): the forget gate, one bias set to it
            model.layer.bias_ih_l0[hidden_size : 2 * hidden_size] = forget_bias
            model.layer.bias_hh_l0[hidden_size : 2 * hidden_size] = 0.0
    return model


def lstm(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """The course's LSTM with forget-gate bias 1 (Gers et al. 2000; Jozefowicz et al. 2015)."""
    return _build_gated(LSTM, input_size, hidden_size, generator, forget_bias=1.0)


def gru(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """The course's GRU (PyTorch's reset-after form), default initialisation."""
    return _build_gated(GRU, input_size, hidden_size, generator)


MODELS: dict[str, Callable[[int, int, torch.Generator], nn.Module]] = {
    "tanh RNN": tanh_rnn,
    "IRNN": irnn,
    "np-RNN (relu)": np_rnn,
    "LSTM (forget bias 1)": lstm,
    "GRU": gru,
}


def _held_out(length: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = adding_problem(EVAL_SIZE, length, generator=torch.Generator().manual_seed(10_000 + length))
    return x.transpose(0, 1).to(device), y.to(device)  # (T, N, 2), (N, 1)


def train_adding(
    constructor: Callable[[int, int, torch.Generator], nn.Module],
    length: int,
    seed: int,
    steps: int = STEPS,
    hidden_size: int = HIDDEN_SIZE,
    batch_size: int = BATCH_SIZE,
    lr: float = LR,
    max_norm: float = MAX_NORM,
    eval_every: int = EVAL_EVERY,
    device: torch.device | str = "cpu",
) -> dict:
    """Train one model on the adding problem; return its held-out MSE, the step it got solved, and its time.

    The model is built on the CPU with ``torch.Generator().manual_seed(seed)`` and moved to ``device``;
    training sequences come from a CPU generator seeded ``seed + 1000``, so a run is the same on every
    device up to floating-point differences. Returns ``{"mse", "solved_at", "diverged", "steps", "seconds"}``
    plus ``"cpu_seconds"`` of this process (``mse`` is NaN and ``diverged`` True when the loss became non-finite).
    """
    device = torch.device(device)
    model = constructor(2, hidden_size, torch.Generator().manual_seed(seed)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    data = torch.Generator().manual_seed(seed + 1000)
    x_val, y_val = _held_out(length, device)

    def held_out_mse() -> float:
        with torch.no_grad():
            return float(((model(x_val) - y_val) ** 2).mean())

    started, cpu_started = time.perf_counter(), time.process_time()
    solved_at, diverged, done = None, False, 0
    for step in range(1, steps + 1):
        x, y = adding_problem(batch_size, length, generator=data)
        loss = ((model(x.transpose(0, 1).to(device)) - y.to(device)) ** 2).mean()
        if not torch.isfinite(loss):
            diverged = True
            break
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), max_norm, error_if_nonfinite=False)
        optimizer.step()
        done = step
        if solved_at is None and (step % eval_every == 0 or step == steps) and held_out_mse() < SOLVED_MSE:
            solved_at = step
    mse = math.nan if diverged else held_out_mse()
    if not math.isfinite(mse):
        diverged, mse = True, math.nan
    return {
        "mse": mse,
        "solved_at": solved_at if not diverged else None,
        "diverged": diverged,
        "steps": done,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def _job(args: tuple) -> dict:
    """One (model, length, seed) run in a worker process with one torch thread."""
    constructor, length, seed, kwargs = args
    torch.set_num_threads(1)
    return train_adding(constructor, length, seed, **kwargs)


def _fmt(value: float) -> str:
    return "diverged" if math.isnan(value) else f"{value:.3f}"


def run(
    device: torch.device,
    lengths: tuple[int, ...] = LENGTHS,
    seeds: tuple[int, ...] = SEEDS,
    models: dict[str, Callable] | None = None,
    workers: int | None = None,
    **train_kwargs,
) -> list[dict]:
    """Train every (length, model, seed) and return one row per (length, model), seeds aggregated.

    ``train_kwargs`` go to ``train_adding`` (``steps``, ``hidden_size``, ``batch_size``, ``lr``, ...): a
    quick check is ``run(torch.device("cpu"), lengths=(20,), seeds=(0,), steps=20)``. The environment
    variable ``BENCH_ADDING_STEPS`` overrides the default number of steps (for smoke tests).
    """
    device = torch.device(device)
    models = MODELS if models is None else models
    if "steps" not in train_kwargs and os.environ.get("BENCH_ADDING_STEPS"):
        train_kwargs["steps"] = int(os.environ["BENCH_ADDING_STEPS"])
    settings = {
        "steps": STEPS,
        "hidden_size": HIDDEN_SIZE,
        "batch_size": BATCH_SIZE,
        "lr": LR,
        "max_norm": MAX_NORM,
        **train_kwargs,
    }
    jobs = [
        (name, length, seed, (models[name], length, seed, {**train_kwargs}))
        for length in lengths
        for name in models
        for seed in seeds
    ]
    if device.type == "cpu":
        workers = min(2, os.cpu_count() or 1) if workers is None else workers
    else:
        workers = 1
    threads = torch.get_num_threads()
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(_job, [job[3] for job in jobs], chunksize=1)
    else:
        try:
            if device.type == "cpu":
                torch.set_num_threads(1)
            results = [train_adding(c, t, s, device=device, **kw) for c, t, s, kw in (job[3] for job in jobs)]
        finally:
            torch.set_num_threads(threads)

    rows = []
    for length in lengths:
        for name in models:
            runs = [r for (n, t, _, _), r in zip(jobs, results) if n == name and t == length]
            finite = [r["mse"] for r in runs if not r["diverged"]]
            solved = [r for r in runs if not r["diverged"] and r["mse"] < SOLVED_MSE]
            rows.append(
                {
                    "T": length,
                    "model": name,
                    "hidden": settings["hidden_size"],
                    "steps": settings["steps"],
                    "batch": settings["batch_size"],
                    "seeds": len(runs),
                    "mean MSE": round(sum(finite) / len(finite), 4) if finite else "n/a",
                    "MSE per seed": ", ".join(_fmt(r["mse"]) for r in runs),
                    f"solved (MSE < {SOLVED_MSE})": f"{len(solved)}/{len(runs)}",
                    f"first MSE < {SOLVED_MSE} at step": ", ".join(
                        "-" if r["solved_at"] is None else str(r["solved_at"]) for r in runs
                    ),
                    "diverged": sum(r["diverged"] for r in runs),
                    "baseline MSE": round(ADDING_BASELINE_MSE, 4),
                    "wall time (s)": round(sum(r["seconds"] for r in runs), 1),
                    "CPU time (s)": round(sum(r["cpu_seconds"] for r in runs), 1),
                    "workers": workers,
                }
            )
    return rows

"""Sequential digits: tanh RNN, IRNN, np-RNN, LSTM, GRU, a bidirectional and a stacked LSTM, longer runs.

Le, Jaitly & Hinton (2015) and Talathi & Vartak (2015) read MNIST one pixel per step (784 steps) and classify
the digit from the last state; their "permuted" variant reads the pixels in a fixed random order. This
script runs the same comparison on the 1,797 handwritten digits bundled with scikit-learn
(``lecture_lib.tasks.pixel_digits``, the fixed 1,259 / 269 / 269 split), on a budget that fits about ten
minutes of two CPU cores:

- tasks (``TASKS``): the 8 x 8 digits one pixel per step (64 steps of 1 value), the same pixels in a fixed
  random order (permutation seed 0), and the 28 x 28 resized digits one row per step (28 steps of 28 values);
- models (``MODELS``): one recurrent layer of ``hidden_size`` units and a linear read-out of its last state
  to 10 logits. Vanilla networks are ``torch.nn.RNN`` (the C++ loop) with the recurrent matrices of the
  chapters (``tanh RNN`` N(0, 1/H), ``IRNN`` the identity with relu, ``np-RNN`` Talathi & Vartak's matrix
  with relu), input and read-out weights ``xavier_normal_`` and zero biases. ``LSTM (forget bias 1)`` and
  ``GRU`` are the course's ``lecture_lib.gated`` layers with PyTorch's default uniform initialisation (the
  LSTM's forget-gate bias set to 1); ``bidirectional LSTM`` runs a second LSTM from the last step to the first
  and reads out both final states (2H values); ``2-layer LSTM`` stacks a second LSTM on the first one's
  states;
- training: Adam on minibatches of ``batch_size`` training images drawn with replacement, cross-entropy,
  global gradient-norm clipping at 1 for every model, ``steps`` updates of which the last third run at a
  tenth of the learning rate. The learning rate of each model is chosen from ``LR_GRID`` by the validation
  accuracy of seed 0 on the first task (the same budget for every model), then used on every task and seed;
- evaluation: the accuracy on the 269 test images (chance: about 10 %, ten nearly equal classes) after the
  last step, and the first step (checked every ``eval_every``) at which the validation accuracy reached
  ``REACHED``. Times are summed over seeds (wall clock and this process's CPU time, the fairer number on a
  shared machine).

``run(device)`` returns one row per (task, model). Other models join through ``MODELS`` (name ->
``constructor(input_size, hidden_size, generator)``, a module-level function so that worker processes can
load it, returning a module that maps x (T, N, D) to logits (N, 10)) or ``models=``. On the CPU the runs
are spread over ``workers`` processes (default: two, or fewer cores), each with one torch thread; results
do not depend on the number of workers.
The environment variable ``BENCH_PIXEL_DIGITS_STEPS`` overrides the number of steps (for smoke tests).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from lecture_lib.gated import GRU, LSTM
from lecture_lib.init import identity_, np_rnn_, xavier_normal_
from lecture_lib.rnn import clip_grad_norm_
from lecture_lib.tasks import pixel_digits

__all__ = ["TITLE", "TARGET", "MODELS", "TASKS", "DigitsGated", "DigitsRNN", "train_digits", "run"]

TITLE = "Sequential digits: tanh RNN, IRNN, np-RNN, LSTM, GRU, bidirectional and 2-layer LSTM"
TASKS: dict[str, dict] = {
    "8x8 pixel by pixel (64 steps)": {"order": "pixel", "size": 8},
    "8x8 permuted (64 steps)": {"order": "permuted", "size": 8},
    "28x28 row by row (28 steps)": {"order": "row", "size": 28},
}
SEEDS = (0, 1, 2)
HIDDEN_SIZE = 32
BATCH_SIZE = 64
STEPS = 600
LR_GRID = (1e-3, 3e-3, 1e-2)
MAX_NORM = 1.0
EVAL_EVERY = 100
REACHED = 0.5
TARGET = (
    f"test accuracy above chance (about 10 %: ten nearly equal classes). Budget: H={HIDDEN_SIZE}, {STEPS} "
    f"Adam steps of {BATCH_SIZE} images (the last third at a tenth of the rate, clipping at {MAX_NORM:g}); "
    f"learning rate per model from {', '.join(f'{lr:g}' for lr in LR_GRID)} by validation accuracy (seed 0, "
    f"first task); {len(SEEDS)} seeds"
)


class DigitsRNN(nn.Module):
    """One ``nn.RNN`` layer and a linear read-out of its last state: x (T, N, D) -> logits (N, 10)."""

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str) -> None:
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity)
        self.readout = nn.Linear(hidden_size, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.rnn(x)  # (T, N, H)
        return self.readout(states[-1])  # (N, 10)


def _build_vanilla(
    input_size: int, hidden_size: int, generator: torch.Generator, nonlinearity: str, recurrent: Callable
) -> DigitsRNN:
    model = DigitsRNN(input_size, hidden_size, nonlinearity)
    with torch.no_grad():
        recurrent(model.rnn.weight_hh_l0, generator)  # (H, H)
        xavier_normal_(model.rnn.weight_ih_l0, generator=generator)  # (H, D)
        xavier_normal_(model.readout.weight, generator=generator)  # (10, H)
        for bias in (model.rnn.bias_ih_l0, model.rnn.bias_hh_l0, model.readout.bias):
            bias.zero_()
    return model


def tanh_rnn(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """tanh units, W_rec ~ N(0, 1/H)."""
    return _build_vanilla(
        input_size, hidden_size, generator, "tanh", lambda W, g: xavier_normal_(W, generator=g)
    )


def irnn(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """relu units, W_rec = I (Le, Jaitly & Hinton 2015)."""
    return _build_vanilla(input_size, hidden_size, generator, "relu", lambda W, g: identity_(W))


def np_rnn(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """relu units, W_rec = (R^T R / H + I) / lambda_max (Talathi & Vartak 2015)."""
    return _build_vanilla(input_size, hidden_size, generator, "relu", lambda W, g: np_rnn_(W, generator=g))


class DigitsGated(nn.Module):
    """A gated layer and a linear read-out of the last state of its top layer, both directions if it has two.

    x (T, N, D) -> logits (N, 10). For a bidirectional layer the read-out sees the forward direction's state
    after step T and the backward direction's state after step 1 (it has read the sequence backwards): 2H
    values.
    """

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer
        directions = 2 if layer.bidirectional else 1
        self.readout = nn.Linear(directions * layer.hidden_size, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, state = self.layer(x)
        h_n = state[0] if isinstance(state, tuple) else state  # (layers * directions, N, H)
        last = torch.cat([h_n[-2], h_n[-1]], dim=1) if self.layer.bidirectional else h_n[-1]  # (N, dirs * H)
        return self.readout(last)  # (N, 10)


def _build_gated(
    layer_class: type[nn.Module],
    input_size: int,
    hidden_size: int,
    generator: torch.Generator,
    forget_bias: float | None = None,
    **layer_kwargs,
) -> DigitsGated:
    """PyTorch's default U(-1/sqrt(H), 1/sqrt(H)) for the layer, from ``generator``; read-out as above."""
    model = DigitsGated(layer_class(input_size, hidden_size, **layer_kwargs))
    bound = 1 / math.sqrt(hidden_size)
    with torch.no_grad():
        for p in model.layer.parameters():
            p.uniform_(-bound, bound, generator=generator)
        xavier_normal_(model.readout.weight, generator=generator)
        model.readout.bias.zero_()
        if forget_bias is not None:  # rows [H, 2H) of (i, f, g, o), in every layer and direction
            for name, p in model.layer.named_parameters():
                if name.startswith("bias_ih"):
                    p[hidden_size : 2 * hidden_size] = forget_bias
                elif name.startswith("bias_hh"):
                    p[hidden_size : 2 * hidden_size] = 0.0
    return model


def lstm(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """The course's LSTM with forget-gate bias 1."""
    return _build_gated(LSTM, input_size, hidden_size, generator, forget_bias=1.0)


def gru(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """The course's GRU (PyTorch's reset-after form), default initialisation."""
    return _build_gated(GRU, input_size, hidden_size, generator)


def bidirectional_lstm(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """Two LSTMs of ``hidden_size`` units, one reading forwards and one backwards; forget-gate bias 1."""
    return _build_gated(LSTM, input_size, hidden_size, generator, forget_bias=1.0, bidirectional=True)


def stacked_lstm(input_size: int, hidden_size: int, generator: torch.Generator) -> nn.Module:
    """Two LSTM layers of ``hidden_size`` units, the second reading the first one's states; forget bias 1."""
    return _build_gated(LSTM, input_size, hidden_size, generator, forget_bias=1.0, num_layers=2)


MODELS: dict[str, Callable[[int, int, torch.Generator], nn.Module]] = {
    "tanh RNN": tanh_rnn,
    "IRNN": irnn,
    "np-RNN (relu)": np_rnn,
    "LSTM (forget bias 1)": lstm,
    "GRU": gru,
    "bidirectional LSTM": bidirectional_lstm,
    "2-layer LSTM": stacked_lstm,
}


def _accuracy(model: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == labels).double().mean())


def train_digits(
    constructor: Callable[[int, int, torch.Generator], nn.Module],
    task: dict,
    seed: int,
    steps: int = STEPS,
    lr: float = 1e-2,
    hidden_size: int = HIDDEN_SIZE,
    batch_size: int = BATCH_SIZE,
    max_norm: float = MAX_NORM,
    eval_every: int = EVAL_EVERY,
    device: torch.device | str = "cpu",
) -> dict:
    """Train one model on one digits task; return its validation and test accuracy, when, and its time.

    The model is built on the CPU with ``torch.Generator().manual_seed(seed)`` and moved to ``device``;
    minibatch indices come from a CPU generator seeded ``seed + 1000``. Returns ``{"val", "test",
    "reached_at", "diverged", "params", "seconds", "cpu_seconds"}`` (accuracies NaN when the loss became
    non-finite).
    """
    device = torch.device(device)
    data = {}
    for split in ("train", "val", "test"):
        x, labels = pixel_digits(split, **task)
        data[split] = (x.transpose(0, 1).to(device), labels.to(device))  # (T, N, D), (N,)
    x_train, y_train = data["train"]
    model = constructor(x_train.shape[2], hidden_size, torch.Generator().manual_seed(seed)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimizer, [steps - steps // 3], gamma=0.1)
    batches = torch.Generator().manual_seed(seed + 1000)

    started, cpu_started = time.perf_counter(), time.process_time()
    reached_at, diverged = None, False
    for step in range(1, steps + 1):
        index = torch.randint(0, x_train.shape[1], (batch_size,), generator=batches).to(device)
        loss = F.cross_entropy(model(x_train[:, index]), y_train[index])
        if not torch.isfinite(loss):
            diverged = True
            break
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), max_norm, error_if_nonfinite=False)
        optimizer.step()
        schedule.step()
        if reached_at is None and step % eval_every == 0 and _accuracy(model, *data["val"]) >= REACHED:
            reached_at = step
    val = math.nan if diverged else _accuracy(model, *data["val"])
    test = math.nan if diverged else _accuracy(model, *data["test"])
    return {
        "val": val,
        "test": test,
        "reached_at": reached_at,
        "diverged": diverged,
        "params": sum(p.numel() for p in model.parameters()),
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def _job(args: tuple) -> dict:
    """One (model, task, seed, lr) run in a worker process with one torch thread."""
    constructor, task, seed, kwargs = args
    torch.set_num_threads(1)
    return train_digits(constructor, task, seed, **kwargs)


def _map(jobs: list[tuple], device: torch.device, workers: int) -> list[dict]:
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            return pool.map(_job, jobs, chunksize=1)
    threads = torch.get_num_threads()
    try:
        if device.type == "cpu":
            torch.set_num_threads(1)
        return [train_digits(c, task, seed, device=device, **kw) for c, task, seed, kw in jobs]
    finally:
        torch.set_num_threads(threads)


def _pct(value: float) -> str:
    return "diverged" if math.isnan(value) else f"{100 * value:.1f}"


def run(
    device: torch.device,
    tasks: dict[str, dict] | None = None,
    seeds: tuple[int, ...] = SEEDS,
    models: dict[str, Callable] | None = None,
    lr_grid: tuple[float, ...] = LR_GRID,
    workers: int | None = None,
    **train_kwargs,
) -> list[dict]:
    """Choose each model's learning rate, train every (task, model, seed), return one row per (task, model).

    ``train_kwargs`` go to ``train_digits`` (``steps``, ``hidden_size``, ``batch_size``, ...): a quick check
    is ``run(torch.device("cpu"), seeds=(0,), lr_grid=(1e-2,), steps=20)``.
    """
    device = torch.device(device)
    tasks = TASKS if tasks is None else tasks
    models = MODELS if models is None else models
    if "steps" not in train_kwargs and os.environ.get("BENCH_PIXEL_DIGITS_STEPS"):
        train_kwargs["steps"] = int(os.environ["BENCH_PIXEL_DIGITS_STEPS"])
    steps = train_kwargs.get("steps", STEPS)
    if device.type == "cpu":
        workers = min(2, os.cpu_count() or 1) if workers is None else workers
    else:
        workers = 1
    if device.type != "cpu":
        train_kwargs["device"] = device

    # 1. the learning rate of each model: best validation accuracy of seed 0 on the first task
    first_task = next(iter(tasks.values()))
    sweep_jobs = [
        (models[name], first_task, 0, {**train_kwargs, "lr": lr}) for name in models for lr in lr_grid
    ]
    sweep = _map(sweep_jobs, device, workers)
    best_lr, sweep_cpu = {}, {}
    for i, name in enumerate(models):
        results = sweep[i * len(lr_grid) : (i + 1) * len(lr_grid)]
        scores = [-1.0 if math.isnan(r["val"]) else r["val"] for r in results]
        best_lr[name] = lr_grid[max(range(len(lr_grid)), key=lambda k: scores[k])]  # the first of equals
        sweep_cpu[name] = sum(r["cpu_seconds"] for r in results)

    # 2. every (task, model, seed) at that learning rate
    keys = [(task_name, name, seed) for task_name in tasks for name in models for seed in seeds]
    jobs = [(models[n], tasks[t], s, {**train_kwargs, "lr": best_lr[n]}) for t, n, s in keys]
    results = _map(jobs, device, workers)

    rows = []
    for task_name in tasks:
        for name in models:
            runs = [r for (t, n, _), r in zip(keys, results) if t == task_name and n == name]
            finite = [r["test"] for r in runs if not r["diverged"]]
            rows.append(
                {
                    "task": task_name,
                    "model": name,
                    "params": runs[0]["params"],
                    "lr": best_lr[name],
                    "steps": steps,
                    "seeds": len(runs),
                    "mean test accuracy (%)": round(100 * sum(finite) / len(finite), 1) if finite else "n/a",
                    "test accuracy per seed (%)": ", ".join(_pct(r["test"]) for r in runs),
                    f"first val accuracy >= {REACHED:.0%} at step": ", ".join(
                        "-" if r["reached_at"] is None else str(r["reached_at"]) for r in runs
                    ),
                    "diverged": sum(r["diverged"] for r in runs),
                    "chance (%)": 10,
                    "wall time (s)": round(sum(r["seconds"] for r in runs), 1),
                    "CPU time (s)": round(sum(r["cpu_seconds"] for r in runs), 1),
                    "lr sweep CPU time (s)": round(sweep_cpu[name], 1),
                    "workers": workers,
                }
            )
    return rows

"""One training loop for every chapter: progress bar, validation, early stopping, atomic best checkpoints.

:func:`fit` is the course's version of the lecture's ``AutoencoderTrainer.train_loop`` (train, validate every
few epochs, report epochs per second, stop early with patience and delta, keep the best model), written so
that it serves classification, segmentation and autoencoders alike, runs on any device, and can be
interrupted and resumed to exactly the same result.

Taught in: chapters "Segmentation" (training the encoder-decoder) and "Autoencoders".
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

__all__ = ["History", "fit"]

_CHECKPOINT_FORMAT = "lecture_lib.train.fit/1"
_LOSS_NAMES = ("train_loss", "val_loss")


@dataclass
class History:
    """What :func:`fit` measured, as plain lists (ready to plot, and storable with ``weights_only=True``).

    Per trained epoch (aligned with ``epochs``): ``train_loss`` (the sample-weighted mean of the batch
    losses, measured while the weights change, in train mode) and ``epoch_time`` (seconds of training plus
    validation). Per validation (aligned with ``val_epochs``): ``val_loss`` (sample-weighted mean, eval mode)
    and ``metrics[name]``. ``best_epoch`` and ``best_value`` refer to the monitored quantity ``monitor``
    (``"train_loss"``, ``"val_loss"`` or a metric name) under ``mode`` (``"min"`` or ``"max"``); they are
    None when nothing was monitored. ``stopped_early`` says whether early stopping ended the run.

    Taught in: chapters "Segmentation" and "Autoencoders".
    """

    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    val_epochs: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    monitor: str = "val_loss"
    mode: str = "min"
    best_epoch: int | None = None
    best_value: float | None = None
    stopped_early: bool = False

    @property
    def total_time(self) -> float:
        """Seconds spent in all recorded epochs (training and validation, not checkpoint writing)."""
        return float(sum(self.epoch_time))

    @property
    def epochs_per_second(self) -> float:
        """Training speed over the whole run, ``len(epochs) / total_time`` (the lecture's "T_speed")."""
        total = self.total_time
        return len(self.epochs) / total if total > 0 else float("nan")

    def state_dict(self) -> dict[str, Any]:
        """The history as plain lists, dicts, ints, floats and strings (what the checkpoint stores)."""
        return {
            "epochs": list(self.epochs),
            "train_loss": list(self.train_loss),
            "epoch_time": list(self.epoch_time),
            "val_epochs": list(self.val_epochs),
            "val_loss": list(self.val_loss),
            "metrics": {k: list(v) for k, v in self.metrics.items()},
            "monitor": self.monitor,
            "mode": self.mode,
            "best_epoch": self.best_epoch,
            "best_value": self.best_value,
            "stopped_early": self.stopped_early,
        }

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> History:
        """Rebuild a :class:`History` from :meth:`state_dict`'s output."""
        return cls(
            epochs=[int(v) for v in state["epochs"]],
            train_loss=[float(v) for v in state["train_loss"]],
            epoch_time=[float(v) for v in state["epoch_time"]],
            val_epochs=[int(v) for v in state["val_epochs"]],
            val_loss=[float(v) for v in state["val_loss"]],
            metrics={str(k): [float(x) for x in v] for k, v in state["metrics"].items()},
            monitor=str(state["monitor"]),
            mode=str(state["mode"]),
            best_epoch=None if state["best_epoch"] is None else int(state["best_epoch"]),
            best_value=None if state["best_value"] is None else float(state["best_value"]),
            stopped_early=bool(state["stopped_early"]),
        )


# ------------------------------------------------------------------------------------ argument checks


def _is_int(v: object) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _check_positive_int(value: object, name: str, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    expected = "a positive int" + (" or None" if allow_none else "")
    if not _is_int(value):
        raise TypeError(f"{name}={value!r} must be {expected}")
    if value < 1:
        raise ValueError(f"{name}={value!r} must be {expected}")


def _check_real(value: object, name: str, minimum: float | None = None) -> None:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name}={value!r} must be a finite real number")
    if not math.isfinite(value):
        raise ValueError(f"{name}={value!r} must be a finite real number")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value!r} must be >= {minimum}")


# ------------------------------------------------------------------------------------------- batches


def _to_device(value: Any, device: torch.device) -> Any:
    """Move a tensor, or tensors nested in tuples, lists and dicts, to ``device``; leave anything else."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
        return type(value)(*(_to_device(v, device) for v in value))
    if isinstance(value, tuple | list):
        return type(value)(_to_device(v, device) for v in value)
    if isinstance(value, Mapping):
        return {k: _to_device(v, device) for k, v in value.items()}
    return value


def _split_batch(batch: Any) -> tuple[Any, Any]:
    """A batch is ``(input, target)`` (tuple or list of length 2) or a dict with keys "input" and "target"."""
    if isinstance(batch, Mapping):
        missing = [k for k in ("input", "target") if k not in batch]
        if missing:
            raise TypeError(
                f"a dict batch must have the keys 'input' and 'target'; missing {missing}, "
                f"got keys {sorted(map(str, batch.keys()))}"
            )
        return batch["input"], batch["target"]
    if isinstance(batch, tuple | list):
        if len(batch) != 2:
            raise TypeError(
                f"a batch must be (input, target) or a dict with 'input' and 'target'; got a "
                f"{type(batch).__name__} of length {len(batch)} (use batch_transform or a dataset that "
                "returns pairs)"
            )
        return batch[0], batch[1]
    raise TypeError(
        f"a batch must be (input, target) or a dict with 'input' and 'target'; got {type(batch).__name__}"
    )


def _batch_size(x: Any) -> int:
    """Number of samples in an input: the first dimension of its first tensor (1 if none is found)."""
    if isinstance(x, torch.Tensor):
        return int(x.shape[0]) if x.dim() > 0 else 1
    if isinstance(x, tuple | list):
        for v in x:
            return _batch_size(v)
    if isinstance(x, Mapping):
        for v in x.values():
            return _batch_size(v)
    return 1


def _batches(loader: Iterable, max_batches: int | None) -> Iterable:
    for i, batch in enumerate(loader):
        if max_batches is not None and i >= max_batches:
            break
        yield batch


def _loss_of(
    model: nn.Module,
    batch: Any,
    loss_fn: Callable,
    device: torch.device,
    batch_transform: Callable | None,
) -> tuple[torch.Tensor, int]:
    x, y = _split_batch(batch)
    x, y = _to_device(x, device), _to_device(y, device)
    if batch_transform is not None:
        x, y = batch_transform(x, y)
    loss = loss_fn(model(x), y)
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a scalar tensor (one element); got {shape}")
    return loss.reshape(()), _batch_size(x)


def _accumulator(device: torch.device) -> torch.Tensor:
    """A running sum on the device (no host sync per batch); float64 except on MPS, which lacks it."""
    return torch.zeros((), dtype=torch.float32 if device.type == "mps" else torch.float64, device=device)


def _train_epoch(model, loader, loss_fn, optimizer, device, batch_transform, max_batches, bar) -> float:
    model.train()
    total = _accumulator(device)
    count = 0
    for batch in _batches(loader, max_batches):
        loss, n = _loss_of(model, batch, loss_fn, device, batch_transform)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.detach().to(total.dtype) * n  # stays on the device: no sync per batch
        count += n
        bar.update(1)
    if count == 0:
        raise ValueError("train_loader produced no batches")
    return float(total) / count


@torch.no_grad()
def _validate(model, loader, loss_fn, device, batch_transform, max_batches) -> float:
    model.eval()
    total = _accumulator(device)
    count = 0
    for batch in _batches(loader, max_batches):
        loss, n = _loss_of(model, batch, loss_fn, device, batch_transform)
        total += loss.to(total.dtype) * n
        count += n
    if count == 0:
        raise ValueError("val_loader produced no batches")
    return float(total) / count


# ------------------------------------------------------------------------------- RNG state and saving


def _loader_generators(loaders: Iterable[Any]) -> list[torch.Generator]:
    """The torch.Generators that drive the loaders' shuffling (DataLoader(generator=...), sampler's own)."""
    found: list[torch.Generator] = []
    for loader in loaders:
        for owner in (loader, getattr(loader, "sampler", None), getattr(loader, "batch_sampler", None)):
            g = getattr(owner, "generator", None)
            if isinstance(g, torch.Generator) and not any(g is h for h in found):
                found.append(g)
    return found


def _rng_state(generators: list[torch.Generator]) -> dict[str, Any]:
    py_version, py_internal, py_gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": {"version": py_version, "internal": list(py_internal), "gauss": py_gauss},
        "numpy": {
            "name": np_name,
            "keys": [int(k) for k in np_keys],
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "gauss": float(np_gauss),
        },
        "loaders": [g.get_state() for g in generators],
    }


def _set_rng_state(state: Mapping[str, Any], generators: list[torch.Generator], path: str) -> None:
    torch.set_rng_state(state["torch"])
    if torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"]), py["gauss"]))
    npy = state["numpy"]
    np.random.set_state(
        (npy["name"], np.asarray(npy["keys"], dtype=np.uint32), npy["pos"], npy["has_gauss"], npy["gauss"])
    )
    if len(state["loaders"]) != len(generators):
        raise ValueError(
            f"checkpoint {path!r} holds the state of {len(state['loaders'])} loader generator(s) but the "
            f"loaders passed now use {len(generators)}; resume with loaders built the same way"
        )
    for g, s in zip(generators, state["loaders"]):
        g.set_state(s)


def _atomic_save(obj: Any, path: str) -> None:
    """``torch.save`` to a temporary file in the target's directory, then ``os.replace`` it onto ``path``.

    A crash or an exception while saving leaves the previous file untouched (``os.replace`` is atomic on
    POSIX and Windows when both names are on the same file system) and no temporary file behind.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):  # make the rename durable (POSIX only)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _improved(value: float, best: float | None, mode: str, min_delta: float) -> bool:
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


# ------------------------------------------------------------------------------------------------ fit


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    device: torch.device | str,
    *,
    val_every: int = 1,
    patience: int | None = None,
    min_delta: float = 0.0,
    monitor: str = "val_loss",
    mode: str = "min",
    checkpoint_path: str | os.PathLike | None = None,
    resume: bool = False,
    restore_best: bool = False,
    metrics: Mapping[str, Callable[[nn.Module, Iterable, torch.device], float]] | None = None,
    scheduler: Any = None,
    batch_transform: Callable[[Any, Any], tuple[Any, Any]] | None = None,
    max_batches: int | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` for up to ``epochs`` epochs; validate, stop early, checkpoint the best; return a History.

    Batches. Each batch of ``train_loader`` / ``val_loader`` is either a pair ``(input, target)`` (tuple or
    list, e.g. what a ``DataLoader`` over ``TensorDataset(x, y)`` or ``VOCSegmentation`` yields) or a dict
    with the keys ``"input"`` and ``"target"`` (other keys are ignored). Tensors in them, also nested in
    tuples, lists and dicts, are moved to ``device``; then ``batch_transform(input, target) -> (input,
    target)`` runs if given (on the device, for training and validation batches alike), and the loss is
    ``loss_fn(model(input), target)``, a scalar tensor. Autoencoder: ``batch_transform=lambda x, y: (x, x)``;
    denoising autoencoder: ``lambda x, y: (add_noise(x, 0.3), x)`` (corrupted input, clean target).

    One epoch: train on at most ``max_batches`` batches (``optimizer.zero_grad``, backward, ``step``); then,
    at epoch 1, every ``val_every``-th epoch and the last epoch (as the lecture does), the validation loss
    and each ``metrics[name](model, val_loader, device) -> float`` are computed in eval mode under
    ``torch.no_grad()``; then ``scheduler.step()`` (``ReduceLROnPlateau``: ``step(value)`` of the monitored
    quantity whenever it is measured). Losses are sample-weighted means of the batch losses (the sample count
    is the first dimension of the input). ``max_batches`` also limits the batches of the validation loss;
    the metrics are given the whole ``val_loader``.

    Early stopping (``patience`` not None): the monitored quantity ``monitor`` (``"val_loss"``,
    ``"train_loss"`` or a name in ``metrics``) improves when ``value < best - min_delta`` (``mode="min"``)
    or ``value > best + min_delta`` (``mode="max"``); a NaN or infinite value never improves. Training
    stops after ``patience`` consecutive measurements without improvement (validations, or epochs when
    monitoring ``"train_loss"``): with ``val_every=1``, at epoch ``best_epoch + patience``.

    Checkpoint (``checkpoint_path`` not None): at every improvement a dict ``{"format", "epoch", "model",
    "optimizer", "scheduler", "history", "best_value", "rng"}`` (state dicts, ``History.state_dict()``, the
    RNG states of torch, CUDA, Python, NumPy and the loaders' generators) is written atomically: to a
    temporary file in the same directory, then ``os.replace``. It contains only tensors and plain
    containers, so ``torch.load(path, weights_only=True)`` reads it. ``resume=True`` loads it and continues
    at the epoch after it with the model, optimizer, scheduler, history and RNG states restored: an
    interrupted run restarted with the same arguments ends with the same weights as an uninterrupted one
    (epochs after the best one are recomputed). A checkpoint written at an epoch after ``epochs`` is
    refused (``ValueError``) before anything is loaded. Randomness from other generators (say one given to
    ``add_noise``) is the caller's to restore.

    ``restore_best=True`` loads the best weights into ``model`` at the end. The model is left on ``device``
    in eval mode. ``progress=True`` shows one ``tqdm.auto`` bar over the training batches (a widget in
    Jupyter, stderr in a terminal); ``progress=False`` prints nothing. Determinism: ``fit`` draws no seed of
    its own; seed first (``lecture_lib.seed_everything``) and the run repeats exactly on the same machine.

    Returns:
        a :class:`History`.

    Raises:
        ValueError: for bad arguments (the message names the argument), among them an optimizer that holds
            none of the model's parameters.
        TypeError: for arguments of the wrong type (the message names the argument).
        FileNotFoundError: when ``resume`` finds no checkpoint.
        FloatingPointError: when the training loss becomes NaN or infinite.

    Taught in: chapters "Segmentation" and "Autoencoders".
    """
    # ---- arguments
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (e.g. nn.MSELoss()); got {type(loss_fn).__name__}")
    own = {id(p) for p in model.parameters()}
    if not any(id(p) in own for group in optimizer.param_groups for p in group["params"]):
        raise ValueError(
            f"optimizer ({type(optimizer).__name__}) holds none of the model's parameters, so training would "
            "change nothing; build it from this model, e.g. torch.optim.SGD(model.parameters(), lr=...) "
            "(after any copy.deepcopy of the model or replacement of its layers)"
        )
    _check_positive_int(epochs, "epochs")
    _check_positive_int(val_every, "val_every")
    _check_positive_int(patience, "patience", allow_none=True)
    _check_positive_int(max_batches, "max_batches", allow_none=True)
    _check_real(min_delta, "min_delta", minimum=0.0)
    if mode not in ("min", "max"):
        raise ValueError(f"mode={mode!r} must be 'min' or 'max'")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device (e.g. 'cpu', 'cuda', 'mps')") from exc
    metrics = dict(metrics or {})
    for name, fn in metrics.items():
        if not isinstance(name, str) or name in _LOSS_NAMES:
            raise ValueError(f"metrics has the name {name!r}; expected a str other than {_LOSS_NAMES}")
        if not callable(fn):
            raise TypeError(f"metrics[{name!r}] must be callable as fn(model, loader, device) -> float")
    if val_loader is None and metrics:
        raise ValueError(f"metrics={sorted(metrics)} need a val_loader; got val_loader=None")
    known = ("train_loss",) if val_loader is None else (*_LOSS_NAMES, *metrics)
    needs_monitor = patience is not None or checkpoint_path is not None or restore_best
    if monitor not in known and (needs_monitor or monitor != "val_loss"):
        raise ValueError(
            f"monitor={monitor!r} must be one of {known}"
            + (" (val_loader is None)" if val_loader is None else "")
        )
    monitoring = monitor in known  # best_epoch / best_value are recorded whenever the quantity exists
    if resume and checkpoint_path is None:
        raise ValueError("resume=True needs a checkpoint_path to resume from; got checkpoint_path=None")
    if batch_transform is not None and not callable(batch_transform):
        raise TypeError(f"batch_transform must be callable or None; got {type(batch_transform).__name__}")
    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method; got {type(scheduler).__name__}")
    if plateau and monitor not in known:
        raise ValueError(
            f"a ReduceLROnPlateau scheduler steps on monitor={monitor!r}; expected one of {known}"
        )
    path = None if checkpoint_path is None else os.fspath(checkpoint_path)

    # ---- state
    model.to(device)
    generators = _loader_generators([train_loader] if val_loader is None else [train_loader, val_loader])
    history = History(monitor=monitor, mode=mode, metrics={name: [] for name in metrics})
    start = 1
    best_state: dict[str, torch.Tensor] | None = None
    if resume:
        if not os.path.exists(path):
            raise FileNotFoundError(f"resume=True but checkpoint_path={path!r} does not exist")
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(ckpt, Mapping) or ckpt.get("format") != _CHECKPOINT_FORMAT:
            raise ValueError(f"checkpoint {path!r} was not written by lecture_lib.train.fit")
        saved = History.from_state_dict(ckpt["history"])
        if (saved.monitor, saved.mode) != (monitor, mode):
            raise ValueError(
                f"checkpoint {path!r} monitored {saved.monitor!r} ({saved.mode}); this call monitors "
                f"monitor={monitor!r} (mode={mode!r})"
            )
        if set(saved.metrics) != set(metrics):
            raise ValueError(
                f"checkpoint {path!r} has metrics {sorted(saved.metrics)}; this call passes {sorted(metrics)}"
            )
        if int(ckpt["epoch"]) > epochs:
            raise ValueError(
                f"checkpoint {path!r} was written at epoch {int(ckpt['epoch'])}, after more epochs than "
                f"epochs={epochs}; pass epochs >= {int(ckpt['epoch'])} to resume it, or resume=False (or "
                "another checkpoint_path) to start a new run"
            )
        if (ckpt["scheduler"] is None) != (scheduler is None):
            raise ValueError(
                f"checkpoint {path!r} was written {'without' if ckpt['scheduler'] is None else 'with'} a "
                f"scheduler; this call passes scheduler={type(scheduler).__name__ if scheduler else None}"
            )
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(ckpt["scheduler"])
        _set_rng_state(ckpt["rng"], generators, path)
        history = saved
        start = int(ckpt["epoch"]) + 1
        if restore_best:
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    # ---- loop
    try:
        n_batches = len(train_loader)  # type: ignore[arg-type]
        total = (epochs - start + 1) * (n_batches if max_batches is None else min(n_batches, max_batches))
    except TypeError:
        total = None
    bad_rounds = 0
    bar = tqdm(total=max(total, 0) if total is not None else None, disable=not progress, unit="batch")
    try:
        for epoch in range(start, epochs + 1):
            bar.set_description(f"epoch {epoch}/{epochs}")
            t0 = time.perf_counter()
            train_loss = _train_epoch(
                model, train_loader, loss_fn, optimizer, device, batch_transform, max_batches, bar
            )
            if not math.isfinite(train_loss):
                raise FloatingPointError(
                    f"the training loss is {train_loss} at epoch {epoch}; lower the learning rate or check "
                    "the data"
                )
            history.epochs.append(epoch)
            history.train_loss.append(train_loss)
            measured: dict[str, float] = {"train_loss": train_loss}
            if val_loader is not None and (epoch == 1 or epoch % val_every == 0 or epoch == epochs):
                val_loss = _validate(model, val_loader, loss_fn, device, batch_transform, max_batches)
                history.val_epochs.append(epoch)
                history.val_loss.append(val_loss)
                measured["val_loss"] = val_loss
                model.eval()
                for name, fn in metrics.items():
                    with torch.no_grad():
                        value = fn(model, val_loader, device)
                    if not isinstance(value, numbers.Real | torch.Tensor):
                        raise TypeError(
                            f"metrics[{name!r}] returned {type(value).__name__}; expected a float"
                        )
                    history.metrics[name].append(float(value))
                    measured[name] = float(value)
            history.epoch_time.append(time.perf_counter() - t0)

            if scheduler is not None:
                if plateau:
                    if monitor in measured:
                        scheduler.step(measured[monitor])
                else:
                    scheduler.step()

            if monitoring and monitor in measured:
                value = measured[monitor]
                if _improved(value, history.best_value, mode, min_delta):
                    history.best_value, history.best_epoch = value, epoch
                    bad_rounds = 0
                    if restore_best:
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    if path is not None:
                        _atomic_save(
                            {
                                "format": _CHECKPOINT_FORMAT,
                                "epoch": epoch,
                                "model": model.state_dict(),
                                "optimizer": optimizer.state_dict(),
                                "scheduler": None if scheduler is None else scheduler.state_dict(),
                                "history": history.state_dict(),
                                "best_value": value,
                                "rng": _rng_state(generators),
                            },
                            path,
                        )
                else:
                    bad_rounds += 1
            bar.set_postfix(
                {k: f"{v:.4g}" for k, v in measured.items()}
                | {"epochs/s": f"{history.epochs_per_second:.3g}"},
                refresh=False,
            )
            if patience is not None and bad_rounds >= patience:
                history.stopped_early = True
                break
    finally:
        bar.close()
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history

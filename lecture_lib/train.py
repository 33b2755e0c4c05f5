"""One training loop for every chapter: progress bar, validation, early stopping, atomic best checkpoints.

:func:`fit` is the course's version of the lecture's ``AutoencoderTrainer.train_loop`` (train, validate every
few epochs, report epochs per second, stop early with patience and delta, keep the best model), written so
that it serves classification, segmentation and autoencoders alike, runs on any device, and can be
interrupted and resumed to exactly the same result.

Taught in: chapter "Autoencoders" (training with validation, learning curves, checkpoints).
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import pickle
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ._validate import check_bool, check_device, check_int, check_path, check_real, describe

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
    None when nothing was monitored. ``stopped_early`` says whether early stopping ended the run. The
    constructor checks every field (lists of ints or floats, aligned lengths, a real bool) and copies the
    lists.

    Taught in: chapter "Autoencoders".
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

    def __post_init__(self) -> None:
        """Check every field (a History read back from a checkpoint goes through here too)."""
        for name in ("epochs", "val_epochs"):
            values = _number_list(name, getattr(self, name), integer=True)
            bad = [v for v in values if v < 1]
            if bad:
                raise ValueError(f"{name} holds {bad[0]!r}; epochs are counted from 1")
            setattr(self, name, values)
        for name in ("train_loss", "epoch_time", "val_loss"):
            setattr(self, name, _number_list(name, getattr(self, name)))
        if not isinstance(self.metrics, Mapping):
            raise TypeError(f"metrics={describe(self.metrics)} must be a dict of name -> list of floats")
        metrics = {}
        for key, values in self.metrics.items():
            if not isinstance(key, str):
                raise TypeError(f"metrics has the key {key!r}; expected str names")
            metrics[key] = _number_list(f"metrics[{key!r}]", values)
        self.metrics = metrics
        lengths = {"epochs": len(self.epochs), "train_loss": len(self.train_loss)}
        lengths["epoch_time"] = len(self.epoch_time)
        val_lengths = {"val_epochs": len(self.val_epochs), "val_loss": len(self.val_loss)}
        val_lengths |= {f"metrics[{k!r}]": len(v) for k, v in self.metrics.items()}
        for group in (lengths, val_lengths):
            if len(set(group.values())) > 1:
                listing = ", ".join(f"{k} has {n}" for k, n in group.items())
                raise ValueError(f"the lists of a History must be aligned; {listing} entries")
        if not isinstance(self.monitor, str):
            raise TypeError(f"monitor={describe(self.monitor)} must be a str such as 'val_loss'")
        if not isinstance(self.mode, str) or self.mode not in ("min", "max"):
            raise ValueError(f"mode={describe(self.mode)} must be 'min' or 'max'")
        self.best_epoch = check_int("best_epoch", self.best_epoch, minimum=1, allow_none=True)
        self.best_value = check_real("best_value", self.best_value, allow_none=True)
        check_bool("stopped_early", self.stopped_early)

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
        """Rebuild a :class:`History` from :meth:`state_dict`'s output (every field checked, none coerced)."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state={describe(state)} must be a dict from History.state_dict()")
        names = [f.name for f in fields(cls)]
        missing = [k for k in names if k not in state]
        if missing:
            raise ValueError(f"state lacks the entries {missing} of a History.state_dict()")
        try:
            return cls(**{k: state[k] for k in names})
        except (TypeError, ValueError) as err:
            raise type(err)(f"state is not a valid History.state_dict(): {err}") from None


# ------------------------------------------------------------------------------------ argument checks


def _number_list(name: str, values: Any, integer: bool = False) -> list:
    """A list or tuple of ints (``integer``) or of real numbers (NaN allowed: a diverged validation)."""
    if not isinstance(values, list | tuple):
        raise TypeError(f"{name}={describe(values)} must be a list of {'ints' if integer else 'floats'}")
    for k, v in enumerate(values):
        ok = _is_int(v) if integer else isinstance(v, numbers.Real) and not isinstance(v, bool)
        if not ok:
            want = "an int" if integer else "a real number"
            raise TypeError(f"{name}[{k}]={describe(v)} must be {want}, not {type(v).__name__}")
    return [int(v) for v in values] if integer else [float(v) for v in values]


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


def _split_batch(batch: Any, where: str = "train_loader") -> tuple[Any, Any]:
    """A batch is ``(input, target)`` (tuple or list of length 2) or a dict with keys "input" and "target"."""
    if isinstance(batch, Mapping):
        missing = [k for k in ("input", "target") if k not in batch]
        if missing:
            raise TypeError(
                f"{where}: a dict batch must have the keys 'input' and 'target'; missing {missing}, "
                f"got keys {sorted(map(str, batch.keys()))}"
            )
        return batch["input"], batch["target"]
    if isinstance(batch, tuple | list):
        if len(batch) != 2:
            raise TypeError(
                f"{where}: a batch must be (input, target) or a dict with 'input' and 'target'; got a "
                f"{type(batch).__name__} of length {len(batch)} (use batch_transform or a dataset that "
                "returns pairs)"
            )
        return batch[0], batch[1]
    raise TypeError(
        f"{where}: a batch must be (input, target) or a dict with 'input' and 'target'; got "
        f"{type(batch).__name__}"
    )


def _check_loader(name: str, loader: Any) -> None:
    """Something to iterate over for batches (not a str); one that knows its length must not be empty."""
    if isinstance(loader, str | bytes) or not (hasattr(loader, "__iter__") or hasattr(loader, "__getitem__")):
        raise TypeError(f"{name}={describe(loader)} must be an iterable of batches, e.g. a DataLoader")
    try:
        n = len(loader)
    except TypeError:  # an iterable dataset: its length is unknown
        return
    if n == 0:
        raise ValueError(f"{name} produced no batches (len({name}) == 0); it must yield at least one")


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
    where: str,
) -> tuple[torch.Tensor, int]:
    x, y = _split_batch(batch, where)
    x, y = _to_device(x, device), _to_device(y, device)
    if batch_transform is not None:
        pair = batch_transform(x, y)
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise TypeError(f"batch_transform must return a pair (input, target); got {describe(pair)}")
        x, y = pair
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
        loss, n = _loss_of(model, batch, loss_fn, device, batch_transform, "train_loader")
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
        loss, n = _loss_of(model, batch, loss_fn, device, batch_transform, "val_loader")
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


def _set_rng_state(state: Mapping[str, Any], generators: list[torch.Generator]) -> None:
    """Restore the RNG states saved by :func:`_rng_state` (already checked by :func:`_check_rng`)."""
    torch.set_rng_state(state["torch"])
    if torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"]), py["gauss"]))
    npy = state["numpy"]
    np.random.set_state(
        (npy["name"], np.asarray(npy["keys"], dtype=np.uint32), npy["pos"], npy["has_gauss"], npy["gauss"])
    )
    for g, s in zip(generators, state["loaders"]):
        g.set_state(s)


def _check_rng(state: Any, generators: list[torch.Generator], where: str) -> None:
    """Apply ``state`` to throwaway generators, so a malformed entry is refused before anything changes."""
    try:
        torch.Generator().set_state(state["torch"])
        if not isinstance(state["cuda"], list | tuple) or not all(
            isinstance(s, torch.Tensor) and s.dtype == torch.uint8 for s in state["cuda"]
        ):
            raise TypeError("'cuda' must be a list of uint8 tensors")
        py = state["python"]
        random.Random().setstate((py["version"], tuple(py["internal"]), py["gauss"]))
        npy = state["numpy"]
        keys = np.asarray(npy["keys"], dtype=np.uint32)
        np.random.RandomState().set_state((npy["name"], keys, npy["pos"], npy["has_gauss"], npy["gauss"]))
        loaders = list(state["loaders"])
        for s in loaders:
            torch.Generator().set_state(s)
    except (KeyError, TypeError, ValueError, IndexError, OverflowError, RuntimeError) as err:
        raise ValueError(
            f"{where} has a malformed 'rng' entry ({type(err).__name__}: {err}); the file is damaged or was "
            "not written by lecture_lib.train.fit"
        ) from None
    if len(loaders) != len(generators):
        raise ValueError(
            f"{where} holds the state of {len(loaders)} loader generator(s) but the loaders passed now use "
            f"{len(generators)}; resume with loaders built the same way"
        )


def _os_error(err: OSError, message: str) -> OSError:
    """``err`` again with ``message`` (which names the file) in front; the errno, hence the subclass, kept."""
    if err.errno is not None:
        return OSError(err.errno, f"{message}: {err.strerror or err}")
    return type(err)(f"{message}: {err}")


def _refuse_file(path: str, what: str) -> ValueError:
    return ValueError(
        f"checkpoint_path={path!r} {what}; it is not a checkpoint written by lecture_lib.train.fit, or it is "
        "damaged (resume=False or another checkpoint_path starts a new run)"
    )


def _read_checkpoint(path: str) -> Any:
    """``torch.load(path, weights_only=True)`` with every failure turned into an error that names the file.

    Torch's own messages are not passed on: for an unsafe file they advise ``weights_only=False``, which
    would run whatever code the file holds.
    """
    if os.path.isdir(path):
        raise ValueError(
            f"checkpoint_path={path!r} is a directory; expected a checkpoint file (e.g. best.pt)"
        )
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as err:
        raise _os_error(err, f"cannot read checkpoint_path={path!r}") from None
    if size == 0:
        raise _refuse_file(path, "is empty (0 bytes)")
    if head != b"PK\x03\x04":  # torch.save writes a zip archive
        raise _refuse_file(path, f"is not a torch checkpoint (it starts with {head!r}, not a zip header)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise _refuse_file(
            path, "holds objects other than tensors and plain containers (e.g. code), which are never loaded"
        ) from None
    except Exception as err:  # noqa: BLE001 - truncated zips raise OSError, RuntimeError, EOFError, ...
        raise _refuse_file(path, f"is truncated or corrupt ({type(err).__name__} while reading it)") from None


_CHECKPOINT_KEYS = ("format", "epoch", "model", "optimizer", "scheduler", "history", "best_value", "rng")


def _check_model_state(state: Any, model: nn.Module, where: str) -> None:
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{where} has a malformed 'model' entry; expected a state_dict of tensors")
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k}: {tuple(state[k].shape)} saved, {tuple(v.shape)} now" for k, v in own.items()
              if k in state and state[k].shape != v.shape]  # fmt: skip
    if missing or unexpected or shapes:
        parts = [
            f"missing {missing[:5]}" if missing else "",
            f"unexpected {unexpected[:5]}" if unexpected else "",
        ]
        parts.append(f"other shapes ({'; '.join(shapes[:3])})" if shapes else "")
        raise ValueError(
            f"{where} holds the weights of another architecture than model ({type(model).__name__}): "
            + ", ".join(p for p in parts if p)
        )


def _check_optimizer_state(ckpt: Mapping[str, Any], optimizer: torch.optim.Optimizer, where: str) -> None:
    state = ckpt["optimizer"]
    groups = state.get("param_groups") if isinstance(state, Mapping) else None
    if (
        not isinstance(groups, list)
        or not isinstance(state.get("state"), Mapping)
        or not all(isinstance(g, Mapping) and isinstance(g.get("params"), list) for g in groups)
    ):
        raise ValueError(f"{where} has a malformed 'optimizer' entry; expected an optimizer state_dict")
    kind = type(optimizer).__name__
    saved_kind = ckpt.get("optimizer_class")
    if saved_kind is not None and saved_kind != kind:
        raise ValueError(
            f"{where} was written with a {saved_kind} optimizer; this call passes optimizer={kind}"
        )
    now = optimizer.param_groups
    if len(groups) != len(now) or any(len(g["params"]) != len(h["params"]) for g, h in zip(groups, now)):
        raise ValueError(
            f"{where} has an optimizer with {[len(g['params']) for g in groups]} parameters per group; "
            f"optimizer={kind} has {[len(h['params']) for h in now]}"
        )
    for g, h in zip(groups, now):  # hyperparameters (not the flags newer torch versions add) must all exist
        lacking = sorted(k for k, v in h.items() if k not in g and not isinstance(v, bool | None))
        if lacking:
            raise ValueError(
                f"{where} was written by another kind of optimizer: its parameter groups lack {lacking}, "
                f"which optimizer={kind} needs"
            )


def _checked_checkpoint(
    ckpt: Any, path: str, model, optimizer, scheduler, generators, epochs, monitor, mode, metrics
) -> History:
    """Check everything in a loaded checkpoint against this call, before anything is changed."""
    where = f"checkpoint_path={path!r}"
    if not isinstance(ckpt, Mapping) or ckpt.get("format") != _CHECKPOINT_FORMAT:
        raise _refuse_file(path, f"has no format tag {_CHECKPOINT_FORMAT!r}")
    missing = [k for k in _CHECKPOINT_KEYS if k not in ckpt]
    if missing:
        raise _refuse_file(path, f"lacks the entries {missing}")
    epoch = ckpt["epoch"]
    if not _is_int(epoch) or epoch < 1:
        raise _refuse_file(path, f"has epoch={describe(epoch)}, not an int >= 1")
    try:
        saved = History.from_state_dict(ckpt["history"])
    except (TypeError, ValueError) as err:
        raise _refuse_file(path, f"has a malformed 'history' entry ({err})") from None
    if not saved.epochs or saved.epochs[-1] != epoch:
        raise _refuse_file(
            path, f"has epoch={epoch} but its history ends at {saved.epochs[-1:] or 'no epoch'}"
        )
    if (saved.monitor, saved.mode) != (monitor, mode):
        raise ValueError(
            f"{where} monitored {saved.monitor!r} ({saved.mode}); this call monitors "
            f"monitor={monitor!r} (mode={mode!r})"
        )
    if set(saved.metrics) != set(metrics):
        raise ValueError(f"{where} has metrics {sorted(saved.metrics)}; this call passes {sorted(metrics)}")
    if epoch > epochs:
        raise ValueError(
            f"{where} was written at epoch {epoch}, after more epochs than epochs={epochs}; pass "
            f"epochs >= {epoch} to resume it, or resume=False (or another checkpoint_path) to start a new run"
        )
    if (ckpt["scheduler"] is None) != (scheduler is None):
        raise ValueError(
            f"{where} was written {'without' if ckpt['scheduler'] is None else 'with'} a "
            f"scheduler; this call passes scheduler={type(scheduler).__name__ if scheduler else None}"
        )
    if scheduler is not None:
        saved_kind = ckpt.get("scheduler_class")
        if not isinstance(ckpt["scheduler"], Mapping):
            raise _refuse_file(path, "has a malformed 'scheduler' entry")
        if saved_kind is not None and saved_kind != type(scheduler).__name__:
            raise ValueError(
                f"{where} was written with a {saved_kind} scheduler; this call passes "
                f"scheduler={type(scheduler).__name__}"
            )
    _check_model_state(ckpt["model"], model, where)
    _check_optimizer_state(ckpt, optimizer, where)
    _check_rng(ckpt["rng"], generators, where)
    return saved


_TEMPORARY = re.compile(r"\.(?P<base>.+)\.[a-z0-9_]+\.tmp")


def _remove_stale_temporaries(directory: str, base: str) -> None:
    """Delete the temporary files that a killed :func:`_atomic_save` of ``base`` left in ``directory``."""
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            match = _TEMPORARY.fullmatch(name)
            if match and match["base"] == base:
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(directory, name))


def _atomic_save(obj: Any, path: str) -> None:
    """``torch.save`` to a temporary file in the target's directory, then ``os.replace`` it onto ``path``.

    A crash or an exception while saving leaves the previous file untouched (``os.replace`` is atomic on
    POSIX and Windows when both names are on the same file system) and no temporary file behind; the
    temporary files of a save that was killed outright (``.best.pt.<random>.tmp``) are removed by the next
    save to the same path (so two runs must not share one ``checkpoint_path``). An ``OSError`` (disk full,
    I/O error, read-only or missing folder) is raised again with the checkpoint's path in its message.
    """
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    try:
        os.makedirs(directory, exist_ok=True)
        _remove_stale_temporaries(directory, base)
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    except OSError as err:
        raise _os_error(err, f"cannot write the checkpoint {path!r} in the folder {directory!r}") from err
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(err, OSError):
            raise _os_error(err, f"could not write the checkpoint {path!r}") from err
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
    "optimizer", "scheduler", "history", "best_value", "rng", "optimizer_class", "scheduler_class"}`` (state
    dicts, ``History.state_dict()``, the RNG states of torch, CUDA, Python, NumPy and the loaders'
    generators, the class names of optimizer and scheduler) is written atomically: to a temporary file in
    the same directory, then ``os.replace``; the next save removes the temporary file of a save that was
    killed, and a failed save raises ``OSError`` naming the file. It contains only tensors and plain
    containers, so ``torch.load(path, weights_only=True)`` reads it. ``resume=True`` loads it and continues
    at the epoch after it with the model, optimizer, scheduler, history and RNG states restored: an
    interrupted run restarted with the same arguments ends with the same weights as an uninterrupted one
    (epochs after the best one are recomputed). A checkpoint written at an epoch after ``epochs`` is
    refused (``ValueError``) before anything is loaded, and so is a file that is not such a checkpoint
    (empty, truncated, random bytes, a pickle holding code, a missing or malformed entry) or one written for
    another architecture (other state_dict keys or shapes), another kind of optimizer or scheduler, other
    metrics or another monitor: all before any training step, each naming the path. Randomness from other
    generators (say one given to ``add_noise``) is the caller's to restore.

    ``restore_best=True`` loads the best weights into ``model`` at the end. The model is left on ``device``
    in eval mode. ``progress=True`` shows one ``tqdm.auto`` bar over the training batches (a widget in
    Jupyter, stderr in a terminal); ``progress=False`` prints nothing. Determinism: ``fit`` draws no seed of
    its own; seed first (``lecture_lib.seed_everything``) and the run repeats exactly on the same machine.

    Returns:
        a :class:`History`.

    Raises:
        ValueError: for bad arguments (the message names the argument), among them an optimizer that holds
            none of the model's parameters, a scheduler of another optimizer, an empty loader, and a
            checkpoint that cannot be resumed (the message names its path and what is wrong).
        TypeError: for arguments of the wrong type (the message names the argument).
        FileNotFoundError: when ``resume`` finds no checkpoint.
        OSError: when a checkpoint cannot be read or written (the message names the file).
        FloatingPointError: when the training loss becomes NaN or infinite.

    Taught in: chapter "Autoencoders".
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
    _check_loader("train_loader", train_loader)
    if val_loader is not None:
        _check_loader("val_loader", val_loader)
    _check_positive_int(epochs, "epochs")
    _check_positive_int(val_every, "val_every")
    _check_positive_int(patience, "patience", allow_none=True)
    _check_positive_int(max_batches, "max_batches", allow_none=True)
    _check_real(min_delta, "min_delta", minimum=0.0)
    if not isinstance(mode, str) or mode not in ("min", "max"):
        raise ValueError(f"mode={mode!r} must be 'min' or 'max'")
    if not isinstance(monitor, str):
        raise TypeError(f"monitor={describe(monitor)} must be a str such as 'val_loss'")
    device = check_device("device", device, allow_none=False)
    resume = check_bool("resume", resume)
    restore_best = check_bool("restore_best", restore_best)
    progress = check_bool("progress", progress)
    if metrics is not None and not isinstance(metrics, Mapping):
        raise TypeError(
            f"metrics={describe(metrics)} must be a dict name -> fn(model, loader, device) or None"
        )
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
    path = None if checkpoint_path is None else os.fspath(check_path("checkpoint_path", checkpoint_path))
    if path is not None and os.path.isdir(path):
        raise ValueError(f"checkpoint_path={path!r} is a directory; expected a file path such as best.pt")
    if resume and path is None:
        raise ValueError("resume=True needs a checkpoint_path to resume from; got checkpoint_path=None")
    if batch_transform is not None and not callable(batch_transform):
        raise TypeError(f"batch_transform must be callable or None; got {type(batch_transform).__name__}")
    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method; got {type(scheduler).__name__}")
    if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
        raise ValueError(
            f"scheduler ({type(scheduler).__name__}) was built for another optimizer than optimizer; "
            "build it from this one, e.g. torch.optim.lr_scheduler.StepLR(optimizer, ...)"
        )
    if plateau and monitor not in known:
        raise ValueError(
            f"a ReduceLROnPlateau scheduler steps on monitor={monitor!r}; expected one of {known}"
        )

    # ---- state
    generators = _loader_generators([train_loader] if val_loader is None else [train_loader, val_loader])
    history = History(monitor=monitor, mode=mode, metrics={name: [] for name in metrics})
    start = 1
    best_state: dict[str, torch.Tensor] | None = None
    if resume:  # everything is read and checked before the model, optimizer or any RNG is touched
        if not os.path.exists(path):
            raise FileNotFoundError(f"resume=True but checkpoint_path={path!r} does not exist")
        ckpt = _read_checkpoint(path)
        history = _checked_checkpoint(
            ckpt, path, model, optimizer, scheduler, generators, epochs, monitor, mode, metrics
        )
        model.to(device)  # before the optimizer's state is loaded: it follows its parameters' device
        try:
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            if scheduler is not None:
                scheduler.load_state_dict(ckpt["scheduler"])
        except (RuntimeError, ValueError, KeyError, TypeError) as err:
            raise ValueError(
                f"checkpoint_path={path!r} does not fit this model, optimizer or scheduler: {err}"
            ) from None
        _set_rng_state(ckpt["rng"], generators)
        start = ckpt["epoch"] + 1
    model.to(device)
    if resume and restore_best:
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
                                "optimizer_class": type(optimizer).__name__,
                                "scheduler_class": None if scheduler is None else type(scheduler).__name__,
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

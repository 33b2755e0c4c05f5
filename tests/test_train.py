"""Tests of lecture_lib.train.fit: learning, validation schedule, early stopping on scripted sequences,
atomic checkpoints readable with weights_only=True, exact resumption, progress output, errors."""

from __future__ import annotations

import os

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from lecture_lib.train import History, fit

# ------------------------------------------------------------------------------------------- helpers


def _data(n: int = 128):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    w = torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    return x, x @ w + 0.01 * torch.randn(n, 1, generator=g)  # (n, 4), (n, 1)


def _setup(seed: int = 0, loader_generator: bool = True, lr: float = 0.02, scheduler: bool = False):
    """A small regression problem with every source of randomness: init, shuffling and dropout."""
    torch.manual_seed(seed)
    x, y = _data()
    gen = torch.Generator().manual_seed(seed + 1) if loader_generator else None
    train = DataLoader(TensorDataset(x[:96], y[:96]), batch_size=16, shuffle=True, generator=gen)
    val = DataLoader(TensorDataset(x[96:], y[96:]), batch_size=16)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5) if scheduler else None
    return model, train, val, opt, sched


def _scripted(values):
    """A metric that returns the given values, one per call (a constructed validation sequence)."""
    it = iter(values)
    return lambda model, loader, device: next(it)


def _tiny():
    """A one-parameter model with one-batch loaders: the cheapest run of fit."""
    x = torch.ones(4, 1)
    loader = DataLoader(TensorDataset(x, x), batch_size=4)
    model = nn.Linear(1, 1)
    return model, loader, torch.optim.SGD(model.parameters(), lr=0.01)


# ------------------------------------------------------------------------------------------ learning


def test_fit_decreases_the_loss(capsys):
    model, train, val, opt, _ = _setup()
    h = fit(model, train, val, nn.MSELoss(), opt, 25, "cpu", progress=False)
    assert isinstance(h, History)
    assert h.epochs == list(range(1, 26)) and len(h.train_loss) == len(h.epoch_time) == 25
    assert h.val_epochs == h.epochs and len(h.val_loss) == 25
    assert h.train_loss[-1] < 0.05 * h.train_loss[0]
    assert h.val_loss[-1] < 0.05 * h.val_loss[0]
    assert h.best_epoch == 1 + min(range(25), key=h.val_loss.__getitem__)
    assert h.best_value == min(h.val_loss) and not h.stopped_early
    assert h.epochs_per_second == pytest.approx(25 / sum(h.epoch_time))
    assert not model.training  # left in eval mode
    assert capsys.readouterr() == ("", "")  # progress=False prints nothing


def test_fit_is_deterministic_given_seeds():
    runs = []
    for _ in range(2):
        model, train, val, opt, _ = _setup(seed=3, loader_generator=False)
        h = fit(model, train, val, nn.MSELoss(), opt, 4, "cpu", progress=False)
        runs.append((h.train_loss, h.val_loss, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))


def test_sample_weighted_losses():
    # one fixed model, lr 0: the reported losses are the dataset means of the squared errors
    x, y = _data(10)
    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)  # batches of 4, 4, 2
    h = fit(model, loader, loader, nn.MSELoss(), opt, 1, "cpu", progress=False)
    with torch.no_grad():
        expected = float(((model(x) - y) ** 2).mean())
    assert h.train_loss[0] == pytest.approx(expected, rel=1e-6)
    assert h.val_loss[0] == pytest.approx(expected, rel=1e-6)


def test_dict_batches_and_batch_transform(device):
    class Pairs(Dataset):
        def __init__(self):
            self.x, _ = _data(64)

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return {"input": self.x[i], "target": torch.zeros(()), "id": i}

    torch.manual_seed(0)
    loader = DataLoader(Pairs(), batch_size=16, shuffle=True)
    model = nn.Linear(4, 4)  # an "autoencoder": input -> input
    seen = []

    def transform(x, y):
        seen.append((x.device.type, y.shape))
        return x, x

    h = fit(
        model, loader, loader, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.05), 15, device,
        batch_transform=transform, progress=False,
    )  # fmt: skip
    assert h.train_loss[-1] < 0.05 * h.train_loss[0]
    assert all(d == device.type for d, _ in seen) and seen[0][1] == (16,)
    assert all(p.device.type == device.type for p in model.parameters())


def test_validation_schedule_and_max_batches():
    model, train, val, opt, _ = _setup()
    calls = {"train": 0, "eval": 0}

    def loss_fn(out, y):
        calls["train" if model.training else "eval"] += 1
        return nn.functional.mse_loss(out, y)

    metric_calls = []
    h = fit(
        model, train, val, loss_fn, opt, 7, "cpu", val_every=3, max_batches=2, progress=False,
        metrics={"n": lambda m, loader, d: metric_calls.append(m.training) or 1.0},
    )  # fmt: skip
    # validation at epoch 1 (as the lecture), at multiples of val_every, and at the last epoch
    assert h.val_epochs == [1, 3, 6, 7] and h.metrics == {"n": [1.0] * 4}
    assert metric_calls == [False] * 4  # metrics run in eval mode
    assert calls == {"train": 7 * 2, "eval": 4 * 2}


def test_schedulers():
    model, train, val, opt, sched = _setup(lr=0.01, scheduler=True)
    fit(model, train, val, nn.MSELoss(), opt, 4, "cpu", scheduler=sched, progress=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01 * 0.5**2)  # StepLR(2, 0.5) stepped per epoch

    model, loader, opt = _tiny()
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=0)
    fit(
        model, loader, loader, nn.MSELoss(), opt, 3, "cpu", scheduler=plateau, monitor="score",
        metrics={"score": _scripted([1.0, 2.0, 3.0])}, progress=False,
    )  # fmt: skip
    # epochs 2 and 3 do not improve on 1.0: two reductions with patience 0
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01 * 0.1**2)


# ------------------------------------------------------------------------------------ early stopping

SEQUENCE = [5.0, 4.0, 3.0, 2.95, 2.92, 2.91, 1.0, 0.5]


@pytest.mark.parametrize(
    "min_delta, mode, stop_epoch, best_epoch",
    [
        # best 3.0 at epoch 3; 2.95, 2.92, 2.91 are not below 3.0 - 0.1: three bad rounds -> stop at 6
        (0.1, "min", 6, 3),
        # without a delta each value improves: all 8 epochs, best at 8
        (0.0, "min", 8, 8),
        (0.1, "max", 6, 3),
        (0.0, "max", 8, 8),
    ],
)
def test_early_stopping_on_a_metric(min_delta, mode, stop_epoch, best_epoch):
    values = SEQUENCE if mode == "min" else [-v for v in SEQUENCE]
    model, loader, opt = _tiny()
    h = fit(
        model, loader, loader, nn.MSELoss(), opt, 8, "cpu", patience=3, min_delta=min_delta,
        monitor="score", mode=mode, metrics={"score": _scripted(values)}, progress=False,
    )  # fmt: skip
    assert h.epochs[-1] == stop_epoch and h.stopped_early == (stop_epoch < 8)
    assert h.best_epoch == best_epoch and h.best_value == values[best_epoch - 1]
    assert h.metrics["score"] == values[:stop_epoch]


def test_early_stopping_counts_validations_not_epochs():
    model, loader, opt = _tiny()
    # validations at epochs 1, 2, 4, 6, 8 with val_every=2; best 4.0 at epoch 2, then two bad rounds (4, 6)
    h = fit(
        model, loader, loader, nn.MSELoss(), opt, 8, "cpu", val_every=2, patience=2, monitor="score",
        metrics={"score": _scripted([5.0, 4.0, 4.5, 4.2, 1.0])}, progress=False,
    )  # fmt: skip
    assert h.val_epochs == [1, 2, 4, 6] and h.epochs[-1] == 6 and h.stopped_early and h.best_epoch == 2


def test_early_stopping_on_the_validation_loss():
    model, loader, opt = _tiny()
    val_losses = iter([1.0, 0.5, 0.6, float("nan"), 0.5, 0.1])

    def loss_fn(out, y):
        if model.training:
            return nn.functional.mse_loss(out, y)
        return torch.tensor(next(val_losses)) + 0 * out.sum()

    h = fit(model, loader, loader, loss_fn, opt, 6, "cpu", patience=3, progress=False)
    # best 0.5 at epoch 2; 0.6, nan (never an improvement) and 0.5 (not below 0.5) -> stop at epoch 5
    assert h.epochs == [1, 2, 3, 4, 5] and h.stopped_early and h.best_epoch == 2 and h.best_value == 0.5


def test_monitor_train_loss_without_validation():
    model, train, _, opt, _ = _setup()
    h = fit(model, train, None, nn.MSELoss(), opt, 3, "cpu", monitor="train_loss", patience=5, progress=False)
    assert h.val_epochs == [] and h.val_loss == [] and h.best_value == min(h.train_loss)


# --------------------------------------------------------------------------------------- checkpoints


def test_checkpoint_is_loadable_with_weights_only(tmp_path):
    path = tmp_path / "best.pt"
    model, train, val, opt, _ = _setup()
    h = fit(
        model, train, val, nn.MSELoss(), opt, 6, "cpu", checkpoint_path=path, restore_best=True,
        metrics={"score": _scripted([3.0, 1.0, 2.0, 4.0, 5.0, 6.0])}, monitor="score", progress=False,
    )  # fmt: skip
    ckpt = torch.load(path, weights_only=True)
    assert ckpt["epoch"] == h.best_epoch == 2 and ckpt["best_value"] == 1.0
    assert ckpt["history"]["epochs"] == [1, 2] and ckpt["history"]["metrics"]["score"] == [3.0, 1.0]
    assert History.from_state_dict(ckpt["history"]).train_loss == h.train_loss[:2]
    assert set(ckpt["optimizer"]) == {"state", "param_groups"}
    # restore_best=True: the model holds the checkpointed (epoch 2) weights, not the last ones
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in ckpt["model"].items())
    assert os.listdir(tmp_path) == ["best.pt"]


def test_checkpoint_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "best.pt"
    model, train, val, opt, _ = _setup()
    fit(model, train, val, nn.MSELoss(), opt, 2, "cpu", checkpoint_path=path, progress=False)
    before = path.read_bytes()

    def broken_save(obj, f, *args, **kwargs):
        f.write(b"half a checkpoint")  # a partial write, then the failure
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    model, train, val, opt, _ = _setup(seed=5)
    with pytest.raises(OSError, match="disk full"):
        fit(model, train, val, nn.MSELoss(), opt, 2, "cpu", checkpoint_path=path, progress=False)
    monkeypatch.undo()
    assert path.read_bytes() == before  # the old checkpoint is intact
    assert os.listdir(tmp_path) == ["best.pt"]  # and no temporary file is left behind
    assert torch.load(path, weights_only=True)["epoch"] in (1, 2)


@pytest.mark.parametrize("loader_generator", [True, False])
def test_resume_gives_the_uninterrupted_result(tmp_path, loader_generator):
    def run(epochs, path, resume=False, fail_at=None, seed=0):
        model, train, val, opt, sched = _setup(seed=seed, loader_generator=loader_generator, scheduler=True)
        calls = [0]

        def loss_fn(out, y):
            calls[0] += model.training
            if fail_at is not None and calls[0] > fail_at:
                raise RuntimeError("interrupted")
            return nn.functional.mse_loss(out, y)

        h = fit(
            model, train, val, loss_fn, opt, epochs, "cpu", checkpoint_path=path, resume=resume,
            scheduler=sched, progress=False,
        )  # fmt: skip
        return model, h

    full_model, full = run(6, tmp_path / "full.pt")
    # stopped after 3 epochs, then resumed to 6 with differently seeded fresh objects
    run(3, tmp_path / "part.pt")
    resumed_model, resumed = run(6, tmp_path / "part.pt", resume=True, seed=123)
    # crashed in epoch 5 (6 batches per epoch), then restarted with the same arguments
    with pytest.raises(RuntimeError, match="interrupted"):
        run(6, tmp_path / "crash.pt", fail_at=4 * 6 + 3)
    crashed_model, crashed = run(6, tmp_path / "crash.pt", resume=True, seed=456)
    for model, h in ((resumed_model, resumed), (crashed_model, crashed)):
        assert h.epochs == full.epochs and h.train_loss == full.train_loss and h.val_loss == full.val_loss
        assert h.best_epoch == full.best_epoch
        for a, b in zip(model.parameters(), full_model.parameters()):
            assert torch.equal(a, b)


def test_resume_after_the_last_epoch_trains_nothing(tmp_path):
    model, train, val, opt, _ = _setup()
    h = fit(model, train, val, nn.MSELoss(), opt, 2, "cpu", checkpoint_path=tmp_path / "c.pt", progress=False)
    model, train, val, opt, _ = _setup(seed=9)
    h2 = fit(
        model, train, val, nn.MSELoss(), opt, h.best_epoch, "cpu", checkpoint_path=tmp_path / "c.pt",
        resume=True, progress=False,
    )  # fmt: skip
    assert h2.epochs == h.epochs[: h.best_epoch]


# ------------------------------------------------------------------------------------------ progress


def test_progress_bar_goes_to_stderr_in_a_terminal(capsys):
    model, loader, opt = _tiny()
    fit(model, loader, loader, nn.MSELoss(), opt, 2, "cpu", progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "epoch 2/2" in err


# -------------------------------------------------------------------------------------------- errors


def _bad_metric(model, loader, device):
    return 0.0


@pytest.mark.parametrize(
    "overrides, error, match",
    [
        ({"epochs": 0}, ValueError, "epochs=0 must be a positive int"),
        ({"epochs": 2.5}, TypeError, r"epochs=2\.5 must be a positive int"),
        ({"min_delta": "0.1"}, TypeError, r"min_delta=.0\.1. must be a finite real number"),
        ({"min_delta": float("nan")}, ValueError, "min_delta=nan must be a finite real number"),
        ({"patience": 0}, ValueError, "patience=0 must be a positive int or None"),
        ({"min_delta": -0.1}, ValueError, r"min_delta=-0\.1 must be >= 0"),
        ({"mode": "maximum"}, ValueError, "mode='maximum' must be 'min' or 'max'"),
        ({"monitor": "accuracy", "patience": 2}, ValueError, "monitor='accuracy' must be one of"),
        ({"monitor": "accuracy"}, ValueError, "monitor='accuracy'"),
        ({"val_every": 0}, ValueError, "val_every=0"),
        ({"max_batches": 0}, ValueError, "max_batches=0"),
        ({"resume": True}, ValueError, "checkpoint_path"),
        ({"metrics": {"val_loss": _bad_metric}}, ValueError, "metrics has the name 'val_loss'"),
        ({"metrics": {"acc": 3}}, TypeError, r"metrics\['acc'\] must be callable"),
        (
            {"val_loader": None, "patience": 2},
            ValueError,
            r"monitor='val_loss' must be one of \('train_loss',\)",
        ),
        ({"val_loader": None, "metrics": {"a": _bad_metric}}, ValueError, "need a val_loader"),
        ({"device": "gpu0"}, ValueError, "device='gpu0'"),
        ({"model": lambda x: x}, TypeError, "model must be an nn.Module"),
        ({"optimizer": "adam"}, TypeError, "optimizer must be a torch.optim.Optimizer"),
        ({"loss_fn": 3}, TypeError, "loss_fn must be callable"),
        ({"batch_transform": 3}, TypeError, "batch_transform must be callable"),
        ({"scheduler": 3}, TypeError, "scheduler must have a step"),
    ],
)
def test_argument_errors(overrides, error, match):
    model, loader, opt = _tiny()
    args = dict(model=model, train_loader=loader, val_loader=loader, loss_fn=nn.MSELoss(), optimizer=opt)
    args |= dict(epochs=2, device="cpu", progress=False)
    args |= overrides
    with pytest.raises(error, match=match):
        fit(**args)


def test_runtime_errors(tmp_path):
    model, loader, opt = _tiny()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fit(
            model, loader, loader, nn.MSELoss(), opt, 2, "cpu", checkpoint_path=tmp_path / "x.pt", resume=True
        )
    x = torch.ones(4, 1)
    triples = DataLoader(TensorDataset(x, x, x), batch_size=4)
    with pytest.raises(TypeError, match="a tuple of length 3|a list of length 3"):
        fit(model, triples, None, nn.MSELoss(), opt, 1, "cpu", progress=False)
    no_target = [{"input": x}]
    with pytest.raises(TypeError, match=r"missing \['target'\]"):
        fit(model, no_target, None, nn.MSELoss(), opt, 1, "cpu", progress=False)
    with pytest.raises(ValueError, match=r"scalar tensor .*got \(4, 1\)"):
        fit(model, loader, None, nn.MSELoss(reduction="none"), opt, 1, "cpu", progress=False)
    with pytest.raises(FloatingPointError, match="training loss is nan at epoch 1"):
        fit(model, loader, None, lambda out, y: out.sum() * float("nan"), opt, 1, "cpu", progress=False)
    model, loader, opt = _tiny()  # the NaN step above spoilt the weights
    with pytest.raises(ValueError, match="train_loader produced no batches"):
        fit(model, [], None, nn.MSELoss(), opt, 1, "cpu", progress=False)
    # resuming with a different monitor than the checkpoint's
    fit(model, loader, loader, nn.MSELoss(), opt, 1, "cpu", checkpoint_path=tmp_path / "c.pt", progress=False)
    with pytest.raises(ValueError, match="monitored 'val_loss'"):
        fit(
            model, loader, loader, nn.MSELoss(), opt, 2, "cpu", checkpoint_path=tmp_path / "c.pt", resume=True,
            monitor="train_loss", progress=False,
        )  # fmt: skip


# ------------------------------------------------------------------------- refused runs (issue 15)


def test_optimizer_of_another_model_is_refused_before_training():
    model, loader, _opt = _tiny()
    other = nn.Linear(1, 1)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"optimizer \(SGD\) holds none of the model's parameters"):
        fit(
            model,
            loader,
            None,
            nn.MSELoss(),
            torch.optim.SGD(other.parameters(), lr=0.1),
            1,
            "cpu",
            progress=False,
        )
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_optimizer_holding_part_of_the_model_is_accepted():
    model = nn.Sequential(nn.Linear(1, 1), nn.Linear(1, 1))  # the first layer frozen on purpose
    loader = DataLoader(TensorDataset(torch.ones(4, 1), torch.ones(4, 1)), batch_size=4)
    frozen = model[0].weight.detach().clone()
    opt = torch.optim.SGD(model[1].parameters(), lr=0.1)
    fit(model, loader, None, nn.MSELoss(), opt, 1, "cpu", progress=False)
    assert torch.equal(model[0].weight, frozen)


def test_resume_with_fewer_epochs_than_the_checkpoint_is_refused(tmp_path):
    model, train, val, opt, _ = _setup()
    path = tmp_path / "c.pt"
    h = fit(
        model,
        train,
        None,
        nn.MSELoss(),
        opt,
        3,
        "cpu",
        monitor="train_loss",
        checkpoint_path=path,
        progress=False,
    )
    assert h.best_epoch == 3  # the checkpoint is at epoch 3
    model, train, val, opt, _ = _setup(seed=9)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"c\.pt'? was written at epoch 3, after more epochs than epochs=1"):
        fit(
            model, train, None, nn.MSELoss(), opt, 1, "cpu", monitor="train_loss", checkpoint_path=path,
            resume=True, progress=False,
        )  # fmt: skip
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # nothing loaded


# ------------------------------------------------------------------ broken checkpoints (issue 15, item 5)


class _Code:
    """Pickled as a call of a function: what a hostile checkpoint would carry."""

    def __reduce__(self):
        return (os.getcwd, ())


def _checkpoint(tmp_path, epochs: int = 1, optimizer=torch.optim.SGD):
    """A checkpoint written by fit for the ``_tiny`` problem; returns its path."""
    model, loader, _ = _tiny()
    path = tmp_path / "best.pt"
    fit(model, loader, loader, nn.MSELoss(), optimizer(model.parameters(), lr=0.01), epochs, "cpu",
        checkpoint_path=path, progress=False)  # fmt: skip
    return path


def _edited(path, edit):
    ckpt = torch.load(path, weights_only=True)
    edit(ckpt)
    torch.save(ckpt, path)


def _break_truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


BROKEN = {
    "truncated": (_break_truncated, "truncated or corrupt"),
    "empty": (lambda p: p.write_bytes(b""), "is empty"),
    "random bytes": (lambda p: p.write_bytes(os.urandom(2000)), "is not a torch checkpoint"),
    "pickle with code": (lambda p: torch.save({"x": _Code()}, p), "objects other than tensors"),
    "plain pickle": (lambda p: p.write_bytes(__import__("pickle").dumps({"epoch": 1})), "not a torch"),
    "a tensor": (lambda p: torch.save(torch.zeros(3), p), "has no format tag"),
    "missing rng": (lambda p: _edited(p, lambda c: c.pop("rng")), r"lacks the entries \['rng'\]"),
    "str epoch": (lambda p: _edited(p, lambda c: c.update(epoch="1")), "has epoch='1'"),
    "bad history": (
        lambda p: _edited(p, lambda c: c["history"].update(train_loss=["a"])),
        r"malformed 'history' entry .*train_loss\[0\]='a'",
    ),
    "bad rng": (lambda p: _edited(p, lambda c: c["rng"].update(torch=[1, 2])), "malformed 'rng' entry"),
    "bad model": (lambda p: _edited(p, lambda c: c.update(model={"weight": 3})), "malformed 'model' entry"),
    "bad optimizer": (lambda p: _edited(p, lambda c: c.update(optimizer=[])), "malformed 'optimizer'"),
}


@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_broken_checkpoints_are_refused_naming_the_file(tmp_path, fault):
    path = _checkpoint(tmp_path)
    breaker, match = BROKEN[fault]
    breaker(path)
    model, loader, opt = _tiny()
    before = [p.detach().clone() for p in model.parameters()]
    state = torch.get_rng_state()
    with pytest.raises(ValueError, match=match) as info:
        fit(model, loader, loader, nn.MSELoss(), opt, 2, "cpu", checkpoint_path=path, resume=True,
            progress=False)  # fmt: skip
    message = str(info.value)
    assert f"checkpoint_path={str(path)!r}" in message
    assert "weights_only=False" not in message
    # torch's own message (which advises weights_only=False) is not chained into the traceback either
    assert info.value.__context__ is None or info.value.__suppress_context__
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # nothing was loaded
    assert torch.equal(torch.get_rng_state(), state)  # nor any RNG state


def test_a_checkpoint_that_cannot_be_opened_names_the_file(tmp_path, monkeypatch):
    import builtins
    import errno

    path = _checkpoint(tmp_path)
    real_open = builtins.open

    def locked(file, *args, **kwargs):
        if os.fspath(file) == os.fspath(path):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", locked)
    model, loader, opt = _tiny()
    with pytest.raises(PermissionError, match=r"cannot read checkpoint_path=.*best\.pt.*Permission denied"):
        fit(model, loader, loader, nn.MSELoss(), opt, 2, "cpu", checkpoint_path=path, resume=True,
            progress=False)  # fmt: skip


def _refused_resume(path, model, opt, match, epochs=3):
    """fit(resume=True) raises ValueError naming ``path`` before any training step or change."""
    loader = DataLoader(TensorDataset(torch.ones(4, 1), torch.ones(4, 1)), batch_size=4)
    steps = []
    opt.register_step_pre_hook(lambda *args: steps.append(1))
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=match) as info:
        fit(model, loader, loader, nn.MSELoss(), opt, epochs, "cpu", checkpoint_path=path, resume=True,
            progress=False)  # fmt: skip
    assert str(path) in str(info.value) and steps == []
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_resume_with_another_architecture_is_refused_before_training(tmp_path):
    path = _checkpoint(tmp_path)
    other = nn.Sequential(nn.Linear(1, 1))  # the same weights under other names
    _refused_resume(path, other, torch.optim.SGD(other.parameters(), lr=0.1),
                    r"another architecture .*missing \['0\.weight', '0\.bias'\]")  # fmt: skip

    class Wide(nn.Module):  # the same names, other shapes
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(3, 1))
            self.bias = nn.Parameter(torch.zeros(3))

        def forward(self, x):
            return (x @ self.weight.T + self.bias).mean(1, keepdim=True)

    wide = Wide()
    _refused_resume(path, wide, torch.optim.SGD(wide.parameters(), lr=0.1),
                    r"weight: \(1, 1\) saved, \(3, 1\) now")  # fmt: skip


def test_resume_with_another_optimizer_kind_is_refused_before_training(tmp_path):
    path = _checkpoint(tmp_path, optimizer=torch.optim.SGD)
    model = nn.Linear(1, 1)
    _refused_resume(path, model, torch.optim.Adam(model.parameters()), "written with a SGD optimizer; .*Adam")
    # a checkpoint without the optimizer's class name: its parameter groups tell
    _edited(path, lambda c: c.pop("optimizer_class"))
    _refused_resume(path, model, torch.optim.Adam(model.parameters()), r"lack \['betas', 'eps'\]")


def test_resume_partly_done_run_with_fewer_epochs_is_refused(tmp_path):
    path = _checkpoint(tmp_path, epochs=2)
    assert torch.load(path, weights_only=True)["epoch"] == 2
    model = nn.Linear(1, 1)
    _refused_resume(path, model, torch.optim.SGD(model.parameters(), lr=0.01),
                    "written at epoch 2, after more epochs than epochs=1", epochs=1)  # fmt: skip


def test_resume_with_a_scheduler_of_another_kind_is_refused(tmp_path):
    model, loader, opt = _tiny()
    path = tmp_path / "s.pt"
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1)
    fit(model, loader, loader, nn.MSELoss(), opt, 1, "cpu", checkpoint_path=path, scheduler=sched,
        progress=False)  # fmt: skip
    model, loader, opt = _tiny()
    other = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with pytest.raises(ValueError, match="written with a StepLR scheduler; .*ExponentialLR"):
        fit(model, loader, loader, nn.MSELoss(), opt, 2, "cpu", checkpoint_path=path, resume=True,
            scheduler=other, progress=False)  # fmt: skip


# ------------------------------------------------------------------------------ save errors (item 5)


@pytest.mark.parametrize("code", ["ENOSPC", "EIO"])
def test_save_errors_name_the_file(tmp_path, monkeypatch, code):
    import errno

    number = getattr(errno, code)

    def failing_save(obj, f, *args, **kwargs):
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(torch, "save", failing_save)
    model, loader, opt = _tiny()
    path = tmp_path / "best.pt"
    with pytest.raises(
        OSError, match=rf"could not write the checkpoint .*best\.pt.*{os.strerror(number)}"
    ) as e:
        fit(model, loader, loader, nn.MSELoss(), opt, 1, "cpu", checkpoint_path=path, progress=False)
    assert e.value.errno == number
    assert os.listdir(tmp_path) == []  # no temporary file left behind


def test_save_into_an_unwritable_or_impossible_folder_names_it(tmp_path, monkeypatch):
    import errno
    import tempfile

    model, loader, opt = _tiny()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match=r"cannot write the checkpoint .*file/best\.pt' in the folder"):
        fit(model, loader, loader, nn.MSELoss(), opt, 1, "cpu", checkpoint_path=blocker / "best.pt",
            progress=False)  # fmt: skip

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(OSError, match=r"cannot write the checkpoint .*ro/best\.pt.*Read-only") as e:
        fit(model, loader, loader, nn.MSELoss(), opt, 1, "cpu", checkpoint_path=tmp_path / "ro" / "best.pt",
            progress=False)  # fmt: skip
    assert e.value.errno == errno.EROFS


def test_next_save_removes_the_temporary_files_of_a_killed_save(tmp_path):
    stale = tmp_path / ".best.pt.k1ll3d_x.tmp"  # what tempfile.mkstemp named it before the kill
    stale.write_bytes(b"half a checkpoint")
    unrelated = [tmp_path / ".other.pt.abcdefgh.tmp", tmp_path / "notes.tmp"]
    for p in unrelated:
        p.write_text("keep")
    path = _checkpoint(tmp_path)
    assert sorted(os.listdir(tmp_path)) == sorted(["best.pt", *(p.name for p in unrelated)])
    assert torch.load(path, weights_only=True)["epoch"] == 1


# ------------------------------------------------------------------ other arguments of fit (issue 15)


@pytest.mark.parametrize(
    "overrides, error, match",
    [
        ({"progress": "False"}, TypeError, "progress='False' must be a bool"),
        ({"restore_best": "True"}, TypeError, "restore_best='True' must be a bool"),
        ({"resume": "False", "checkpoint_path": "x.pt"}, TypeError, "resume='False' must be a bool"),
        ({"checkpoint_path": 3}, TypeError, "checkpoint_path=3 must be a path"),
        ({"checkpoint_path": b"best.pt"}, TypeError, "checkpoint_path=b'best.pt' must be a path"),
        ({"device": None}, TypeError, "device=None"),
        ({"train_loader": None}, TypeError, "train_loader=None must be an iterable"),
        ({"val_loader": 3}, TypeError, "val_loader=3 must be an iterable"),
        ({"val_loader": []}, ValueError, "val_loader produced no batches"),
        ({"metrics": ["acc"]}, TypeError, "metrics=.* must be a dict"),
        ({"monitor": 3}, TypeError, "monitor=3 must be a str"),
        ({"batch_transform": lambda x, y: x}, TypeError, "batch_transform must return a pair"),
    ],
)
def test_more_argument_errors(overrides, error, match):
    model, loader, opt = _tiny()
    args = dict(model=model, train_loader=loader, val_loader=loader, loss_fn=nn.MSELoss(), optimizer=opt)
    args |= dict(epochs=1, device="cpu", progress=False)
    args |= overrides
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(error, match=match):
        fit(**args)
    if "batch_transform" not in overrides:
        assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # refused before training


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_refused_by_name():
    model, loader, opt = _tiny()
    with pytest.raises(ValueError, match="device='cuda', but CUDA is not available"):
        fit(model, loader, loader, nn.MSELoss(), opt, 1, "cuda", progress=False)


def test_checkpoint_path_that_is_a_directory_and_foreign_scheduler_are_refused(tmp_path):
    model, loader, opt = _tiny()
    with pytest.raises(ValueError, match="checkpoint_path=.* is a directory"):
        fit(model, loader, loader, nn.MSELoss(), opt, 1, "cpu", checkpoint_path=tmp_path, progress=False)
    other = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(other, step_size=1)
    with pytest.raises(ValueError, match=r"scheduler \(StepLR\) was built for another optimizer"):
        fit(model, loader, loader, nn.MSELoss(), opt, 1, "cpu", scheduler=sched, progress=False)


def test_history_checks_its_fields_and_from_state_dict_coerces_nothing():
    History(
        epochs=[1, 2], train_loss=[0.5, 0.4], epoch_time=[0.1, 0.1], val_epochs=[2], val_loss=[float("nan")]
    )
    with pytest.raises(TypeError, match=r"epochs\[0\]='1' must be an int"):
        History(epochs=["1"], train_loss=[0.5], epoch_time=[0.1])
    with pytest.raises(ValueError, match="must be aligned; epochs has 2, train_loss has 1"):
        History(epochs=[1, 2], train_loss=[0.5], epoch_time=[0.1, 0.1])
    with pytest.raises(TypeError, match="stopped_early='False' must be a bool"):
        History(stopped_early="False")
    state = History(epochs=[1], train_loss=[0.5], epoch_time=[0.1]).state_dict()
    with pytest.raises(TypeError, match=r"state is not a valid .*epochs\[0\]=1\.7"):
        History.from_state_dict({**state, "epochs": [1.7]})  # no silent truncation to 1
    with pytest.raises(ValueError, match=r"state lacks the entries \['monitor'\]"):
        History.from_state_dict({k: v for k, v in state.items() if k != "monitor"})
    assert History.from_state_dict(state) == History(epochs=[1], train_loss=[0.5], epoch_time=[0.1])

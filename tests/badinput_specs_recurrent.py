"""Bad-input specs: lecture_lib.rnn, the gated units (gated_cells, gated_cell_modules, gated_layers,
lstm_bptt, lstm_fast), lecture_lib.tasks, lecture_lib.noise.

See tests/badinput.py for the machinery. Every spec is one valid call; the tensors are small so that the
hundreds of generated bad calls stay fast.
"""

from __future__ import annotations

import torch
from badinput import Arg, Spec

from lecture_lib import gated, lstm_bptt, lstm_fast, noise, rnn, tasks

CONSTANTS = ["lecture_lib.tasks.ADDING_BASELINE_MSE", "lecture_lib.noise.NOISE_KINDS"]


def _r(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


_BAD_GENERATOR = (("generator-int", 3), ("generator-seed-str", "0"))
T, N, D, H, O = 4, 2, 3, 5, 2


def _t(value: torch.Tensor, **kw) -> Arg:
    """A floating tensor argument (its shape's ndim is the only valid one)."""
    return Arg(value, "tensor", **kw)


# ---------------------------------------------------------------------------------------------------- rnn
def _states(activation: str = "tanh") -> torch.Tensor:
    h, _ = rnn.rnn_forward(
        _r(T, N, D),
        _r(N, H, seed=1),
        _r(H, D, seed=2),
        _r(H, H, seed=3) / 3,
        None,
        _r(O, H),
        None,
        activation,
    )
    return h.detach()


_DEVICE = Arg(None, "device", optional=True)
_DTYPE = Arg(None, "dtype", optional=True)

RNN_SPECS = [
    Spec(
        "lecture_lib.rnn.rnn_forward",
        rnn.rnn_forward,
        {
            "x": _t(_r(T, N, D)),
            "h0": _t(_r(N, H, seed=1)),
            "W_in": _t(_r(H, D, seed=2)),
            "W_rec": _t(_r(H, H, seed=3)),
            "b": _t(_r(H, seed=4), optional=True),
            "W_out": _t(_r(O, H, seed=5)),
            "b_out": _t(_r(O, seed=6), optional=True),
            "activation": Arg("relu", "choice"),
        },
    ),
    Spec(
        "lecture_lib.rnn.bptt",
        rnn.bptt,
        {
            "x": _t(_r(T, N, D)),
            "h": _t(_states()),
            "dz": _t(_r(T, N, O, seed=7)),
            "W_in": _t(_r(H, D, seed=2)),
            "W_rec": _t(_r(H, H, seed=3) / 3),
            "W_out": _t(_r(O, H)),
            "activation": Arg("tanh", "choice"),
            "truncate": Arg(2, "size", optional=True),
        },
    ),
    Spec(
        "lecture_lib.rnn.gradient_norms_through_time",
        rnn.gradient_norms_through_time,
        {
            "h": _t(_states()),
            "dz_last": _t(_r(N, O, seed=7)),
            "W_rec": _t(_r(H, H, seed=3) / 3),
            "W_out": _t(_r(O, H)),
            "activation": Arg("tanh", "choice"),
        },
    ),
    Spec(
        "lecture_lib.rnn.pascanu_regularizer",
        rnn.pascanu_regularizer,
        {
            "h": _t(_states()),
            "dz": _t(_r(T, N, O, seed=7)),
            "W_rec": _t(_r(H, H, seed=3) / 3),
            "W_out": _t(_r(O, H)),
            "activation": Arg("tanh", "choice"),
            "detach": Arg(True, "bool"),
        },
    ),
]


def _clip(parameters, **kwargs):
    """clip_grad_norm_ on parameters whose gradients are set here (a fresh copy per call)."""
    if isinstance(parameters, list) and all(isinstance(p, torch.Tensor) for p in parameters):
        for i, p in enumerate(parameters):
            p.grad = torch.full_like(p, float(i + 1))
    return rnn.clip_grad_norm_(parameters, **kwargs)


RNN_SPECS += [
    Spec(
        "lecture_lib.rnn.clip_grad_norm_",
        _clip,
        {
            "parameters": Arg(
                [torch.zeros(3, requires_grad=True), torch.zeros(2, 2, requires_grad=True)],
                "any",
                bad=(("none", None), ("int", 3), ("str", "weights"), ("list-of-int", [1, 2])),
            ),
            "max_norm": Arg(1.0, "real", minimum=0.0),
            "norm_type": Arg(2.0, "real", minimum=1.0),
            "error_if_nonfinite": Arg(True, "bool"),
            "foreach": Arg(None, "bool", optional=True),
        },
        skip={
            "max_norm:inf": "an infinite threshold means no clipping, as in torch.nn.utils.clip_grad_norm_",
            "norm_type:inf": "the max-norm (norm_type=inf) is a valid p-norm, as in torch",
        },
    ),
    Spec(
        "lecture_lib.rnn.VanillaRNN",
        rnn.VanillaRNN,
        {
            "input_size": Arg(D, "size", huge=True),
            "hidden_size": Arg(H, "size", huge=True),
            "output_size": Arg(O, "size", huge=True),
            "activation": Arg("relu", "choice"),
            "batch_first": Arg(False, "bool"),
            "device": _DEVICE,
            "dtype": _DTYPE,
        },
    ),
    Spec(
        "lecture_lib.rnn.VanillaRNN.forward",
        lambda x, h0: rnn.VanillaRNN(D, H, O)(x, h0),
        {"x": _t(_r(T, N, D)), "h0": _t(_r(N, H, seed=1), optional=True)},
    ),
]


# ---------------------------------------------------------------------------------------------------- gated
def _cell_args(n_gates: int) -> dict[str, Arg]:
    return {
        "input": _t(_r(N, D), ndims=(1, 2)),
        "w_ih": _t(_r(n_gates * H, D, seed=2)),
        "w_hh": _t(_r(n_gates * H, H, seed=3)),
        "b_ih": _t(_r(n_gates * H, seed=4), optional=True),
        "b_hh": _t(_r(n_gates * H, seed=5), optional=True),
    }


def _pair_bad(h: torch.Tensor, c: torch.Tensor) -> tuple[tuple[str, object], ...]:
    """Bad (h, c) pairs: wrong types, one state on meta, of another dtype, an int or complex state."""
    return (
        ("none", None),
        ("int", 3),
        ("one-tensor", h),
        ("triple", (h, c, c)),
        ("h-list", (h.tolist(), c)),
        ("c-meta", (h, c.to("meta"))),
        ("h-float64", (h.double(), c)),
        ("c-int64", (h, c.round().long())),
        ("h-complex", (h.to(torch.complex128), c)),
        ("c-ndim+1", (h, c.unsqueeze(0))),
    )


def _lstm_cell_spec() -> Spec:
    args = _cell_args(4)
    h, c = _r(N, H, seed=8), _r(N, H, seed=9)
    args = {"input": args.pop("input"), "hx": Arg((h, c), "any", bad=_pair_bad(h, c)), **args}
    return Spec("lecture_lib.gated_cells.lstm_cell", gated.lstm_cell, args)


def _module_args(reset: bool = False, proj: bool = False) -> dict[str, Arg]:
    args = {
        "input_size": Arg(D, "size", huge=True),
        "hidden_size": Arg(H, "size", huge=True),
        "num_layers": Arg(2, "size", huge=True),
        "bias": Arg(True, "bool"),
        "batch_first": Arg(False, "bool"),
        "dropout": Arg(0.1, "real", minimum=0.0, bad=(("above-one", 1.5),)),
        "bidirectional": Arg(True, "bool"),
    }
    if proj:
        args["proj_size"] = Arg(0, "int", minimum=0, bad=(("positive", 2),))
    args["device"] = _DEVICE
    args["dtype"] = _DTYPE
    if reset:
        args["reset"] = Arg("before", "choice")
    return args


def _cell_module_args(reset: bool = False) -> dict[str, Arg]:
    args = {
        "input_size": Arg(D, "size", huge=True),
        "hidden_size": Arg(H, "size", huge=True),
        "bias": Arg(True, "bool"),
        "device": _DEVICE,
        "dtype": _DTYPE,
    }
    if reset:
        args["reset"] = Arg("before", "choice")
    return args


def _seeded(cls, *args, **kwargs):
    torch.manual_seed(0)
    return cls(*args, **kwargs)


GATED_SPECS = [
    _lstm_cell_spec(),
    Spec(
        "lecture_lib.gated_cells.gru_cell",
        gated.gru_cell,
        {
            "input": _cell_args(3)["input"],
            "hx": _t(_r(N, H, seed=8), ndims=(1, 2)),
            **_cell_args(3),
            "reset": Arg("before", "choice"),
        },
    ),
    Spec(
        "lecture_lib.gated_cells.mgu_cell",
        gated.mgu_cell,
        {"input": _cell_args(2)["input"], "hx": _t(_r(N, H, seed=8), ndims=(1, 2)), **_cell_args(2)},
    ),
    Spec("lecture_lib.gated_layers.LSTM", gated.LSTM, _module_args(proj=True)),
    Spec("lecture_lib.gated_layers.GRU", gated.GRU, _module_args(reset=True)),
    Spec("lecture_lib.gated_layers.MGU", gated.MGU, _module_args()),
    Spec("lecture_lib.gated_cell_modules.LSTMCell", gated.LSTMCell, _cell_module_args()),
    Spec("lecture_lib.gated_cell_modules.GRUCell", gated.GRUCell, _cell_module_args(reset=True)),
    Spec("lecture_lib.gated_cell_modules.MGUCell", gated.MGUCell, _cell_module_args()),
]

_L = 2  # num_layers * num_directions of the forward specs' modules (one layer, bidirectional)
_h, _c = _r(_L, N, H, seed=8), _r(_L, N, H, seed=9)
GATED_SPECS += [
    Spec(
        "lecture_lib.gated_layers.LSTM.forward",
        lambda input, hx: _seeded(gated.LSTM, D, H, bidirectional=True)(input, hx),
        {
            "input": _t(_r(T, N, D), ndims=(2, 3)),
            "hx": Arg((_h, _c), "any", optional=True, bad=_pair_bad(_h, _c)[1:]),
        },
    ),
    Spec(
        "lecture_lib.gated_layers.GRU.forward",
        lambda input, hx: _seeded(gated.GRU, D, H, bidirectional=True)(input, hx),
        {"input": _t(_r(T, N, D), ndims=(2, 3)), "hx": _t(_h, ndims=(2, 3), optional=True)},
    ),
    Spec(
        "lecture_lib.gated_layers.MGU.forward",
        lambda input, hx: _seeded(gated.MGU, D, H, bidirectional=True)(input, hx),
        {"input": _t(_r(T, N, D), ndims=(2, 3)), "hx": _t(_h, ndims=(2, 3), optional=True)},
    ),
    Spec(
        "lecture_lib.gated_cell_modules.LSTMCell.forward",
        lambda input, hx: _seeded(gated.LSTMCell, D, H)(input, hx),
        {
            "input": _t(_r(N, D), ndims=(1, 2)),
            "hx": Arg((_h[0], _c[0]), "any", optional=True, bad=_pair_bad(_h[0], _c[0])[1:]),
        },
    ),
    Spec(
        "lecture_lib.gated_cell_modules.GRUCell.forward",
        lambda input, hx: _seeded(gated.GRUCell, D, H)(input, hx),
        {"input": _t(_r(N, D), ndims=(1, 2)), "hx": _t(_h[0], ndims=(1, 2), optional=True)},
    ),
    Spec(
        "lecture_lib.gated_cell_modules.MGUCell.forward",
        lambda input, hx: _seeded(gated.MGUCell, D, H)(input, hx),
        {"input": _t(_r(N, D), ndims=(1, 2)), "hx": _t(_h[0], ndims=(1, 2), optional=True)},
    ),
]


# ------------------------------------------------------------------------------- LSTM BPTT, fast LSTM layer
def _layer_args() -> dict[str, Arg]:
    """One LSTM layer over a sequence: x (T, N, D), h0, c0 (N, H), weights (4H, D), (4H, H), biases (4H,)."""
    return {
        "x": _t(_r(T, N, D)),
        "h0": _t(_r(N, H, seed=1)),
        "c0": _t(_r(N, H, seed=2)),
        "weight_ih": _t(_r(4 * H, D, seed=3)),
        "weight_hh": _t(_r(4 * H, H, seed=4)),
        "bias_ih": _t(_r(4 * H, seed=5), optional=True),
        "bias_hh": _t(_r(4 * H, seed=6), optional=True),
    }


def _cache_bad(cache: dict[str, torch.Tensor]) -> tuple[tuple[str, object], ...]:
    """Bad caches: not a dict, a key missing, a short gate, an int state, a gate on meta or in float64."""
    return (
        ("tuple", (cache["h"], cache["c"])),
        ("missing-key", {k: v for k, v in cache.items() if k != "o"}),
        ("short-gate", {**cache, "f": cache["f"][1:]}),
        ("int-state", {**cache, "c": cache["c"].round().long()}),
        ("meta-gate", {**cache, "i": cache["i"].to("meta")}),
        ("float64-gate", {**cache, "v": cache["v"].double()}),
    )


_layer = {k: a.value for k, a in _layer_args().items()}
_cache = lstm_bptt.lstm_forward(**_layer)
LSTM_BPTT_SPECS = [
    Spec("lecture_lib.lstm_bptt.lstm_forward", lstm_bptt.lstm_forward, _layer_args()),
    Spec(
        "lecture_lib.lstm_bptt.lstm_bptt",
        lstm_bptt.lstm_bptt,
        {
            "x": _t(_layer["x"]),
            "cache": Arg(_cache, "any", bad=(("none", None), *_cache_bad(_cache))),
            "grad_output": _t(_r(T, N, H, seed=7)),
            "weight_ih": _t(_layer["weight_ih"]),
            "weight_hh": _t(_layer["weight_hh"]),
            "grad_h_n": _t(_r(N, H, seed=8), optional=True),
            "grad_c_n": _t(_r(N, H, seed=9), optional=True),
        },
    ),
    Spec(
        "lecture_lib.lstm_fast.lstm_layer",
        lstm_fast.lstm_layer,
        {**_layer_args(), "reverse": Arg(True, "bool")},
    ),
]

# ------------------------------------------------------------------------------------------- tasks, noise
OTHER_SPECS = [
    Spec(
        "lecture_lib.tasks.adding_problem",
        tasks.adding_problem,
        {
            "batch_size": Arg(3, "size", huge=True),
            "length": Arg(6, "size", minimum=2, huge=True),
            "generator": Arg(_gen(), "any", optional=True, bad=_BAD_GENERATOR),
            "device": _DEVICE,
            "dtype": _DTYPE,
        },
    ),
    Spec(
        "lecture_lib.noise.add_noise",
        noise.add_noise,
        {
            "x": Arg(
                torch.rand(2, 1, 3, 3, generator=_gen()),
                "tensor",
                ndims=tuple(range(0, 8)),
                finite=True,
                half_ok=True,
            ),
            "noise_factor": Arg(0.2, "real", minimum=0.0, bad=(("above-one-for-masking", 1.5),)),
            "kind": Arg("masking", "choice"),
            "generator": Arg(_gen(), "any", optional=True, bad=_BAD_GENERATOR),
        },
    ),
    Spec(
        "lecture_lib.tasks.pixel_digits",
        tasks.pixel_digits,
        {
            "split": Arg("val", "choice"),
            "order": Arg("permuted", "choice"),
            "size": Arg(8, "choice", bad=(("bool", True), ("float", 8.0), ("str", "8"))),
            "permutation_seed": Arg(0, "int", minimum=0),
            "device": _DEVICE,
            "dtype": _DTYPE,
        },
    ),
]

SPECS = RNN_SPECS + GATED_SPECS + LSTM_BPTT_SPECS + OTHER_SPECS

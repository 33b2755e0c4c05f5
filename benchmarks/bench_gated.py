"""lecture_lib.gated.LSTM / GRU against nn.LSTM / nn.GRU (oneDNN on the CPU, cuDNN on CUDA).

One layer, T=100, N=32, D=64, H=128, float32, the same weights on both sides. Rows:
- "forward + backward": output and ``torch.autograd.grad`` of <output, dy> with respect to the input, the
  initial state and every parameter;
- "forward (no grad)": the output only, under ``torch.no_grad()``.
The error column is the largest absolute difference over the output, the final state and all gradients.
On the CPU each row is repeated against PyTorch's module with oneDNN switched off
(``torch.backends.mkldnn.flags(enabled=False)``): PyTorch then runs its own step-by-step LSTM/GRU, the
like-for-like comparison for a loop over time (the target is stated against the default, fused one).
One more LSTM row times the matrix products of ``lecture_lib.gated.LSTM``'s forward and backward alone, made
as the layer makes them (the input projection with its bias and the three weight-side products through
oneDNN, the 100 forward and 99 backward recurrent products with ``torch.addmm``, and the two small products
for h_0's gradient and the t = 0 term of W_hh's), with no element-wise work: a floor for any eager
implementation that makes these products, against the same nn.LSTM call.
On the CPU every row is measured with PyTorch's thread count and again with one thread (the per-step
operations are too small to share between threads, so one thread is the steadier comparison on a busy
machine); the thread count is recorded in every row and restored afterwards.
"""

from __future__ import annotations

import contextlib
import warnings

import torch
from _timing import time_pair
from torch import nn

from lecture_lib import _onednn
from lecture_lib.gated import GRU, LSTM

TITLE = "LSTM and GRU from scratch against nn.LSTM and nn.GRU"
TARGET = "ratio <= 2 on CPU (forward + backward); on CUDA the ratio against cuDNN is reported"

T, N, D, H = 100, 32, 64, 128
REPEAT = 9


@contextlib.contextmanager
def _onednn_off():
    """PyTorch without oneDNN (its flags() warns about an unrelated TF32 setting: silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with torch.backends.mkldnn.flags(enabled=False):
            yield


def _flatten(out: tuple) -> list[torch.Tensor]:
    output, state = out
    return [output, *(state if isinstance(state, tuple) else (state,))]


def _lstm_products(
    device: torch.device, dtype: torch.dtype, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor
):
    """A call that makes the matrix products of one LSTM layer's forward and backward and nothing else."""
    g = torch.Generator().manual_seed(1)
    rows = torch.randn(T * N, D, generator=g).to(device, dtype)  # the inputs x_t, (T*N, D)
    outputs = torch.randn(T * N, H, generator=g).to(device, dtype)  # h_t, (T*N, H)
    dz = torch.randn(T, N, 4 * H, generator=g).to(device, dtype)  # gate gradients, (T, N, 4H)
    dy = torch.randn(T, N, H, generator=g).to(device, dtype)
    h, dh = outputs[:N].clone(), torch.empty(N, H, device=device, dtype=dtype)
    w_ih, w_hh, bias = w_ih.detach(), w_hh.detach(), bias.detach()
    w_hh_t = w_hh.t()
    dz_steps, dy_steps = dz.unbind(0), dy.unbind(0)
    dz_rows = dz.view(T * N, 4 * H)

    def products():
        gates = _onednn.linear(rows, w_ih, bias).view(T, N, 4 * H)  # x W_ih^T + b for all steps
        for s in gates.unbind(0):
            s.addmm_(h, w_hh_t)  # forward: + h_{t-1} W_hh^T
        for t in range(T - 1, 0, -1):
            torch.addmm(dy_steps[t - 1], dz_steps[t], w_hh, out=dh)  # backward: dh_{t-1} = dy + dz_t W_hh
        _onednn.linear(dz_rows, w_ih.t())  # grad_x
        _onednn.outer_sum(dz_rows, rows)  # dW_ih
        grad_h0 = torch.mm(dz_steps[0], w_hh)  # dh_0
        grad_w_hh = dz_steps[0].t() @ h  # the t = 0 term of dW_hh ...
        grad_w_hh += _onednn.outer_sum(dz_rows[N:], outputs[:-N])  # ... and the others
        return gates, dh, grad_h0, grad_w_hh

    return products


def run(device: torch.device) -> list[dict]:
    device = torch.device(device)
    if device.type != "cpu":
        return _run(device)
    threads = torch.get_num_threads()
    rows = []
    try:
        for n in sorted({threads, 1}, reverse=True):
            torch.set_num_threads(n)
            rows += _run(device)
    finally:
        torch.set_num_threads(threads)
    return rows


def _run(device: torch.device) -> list[dict]:
    dtype = torch.float32
    g = torch.Generator().manual_seed(0)
    x = torch.randn(T, N, D, generator=g).to(device, dtype)
    dy = torch.randn(T, N, H, generator=g).to(device, dtype)
    h0 = (0.5 * torch.randn(1, N, H, generator=g)).to(device, dtype)
    c0 = (0.5 * torch.randn(1, N, H, generator=g)).to(device, dtype)
    rows = []
    for ours_cls, ref_cls in ((LSTM, nn.LSTM), (GRU, nn.GRU)):
        torch.manual_seed(0)
        reference = ref_cls(D, H, device=device, dtype=dtype)
        ours = ours_cls(D, H, device=device, dtype=dtype)
        ours.load_state_dict(reference.state_dict())
        name = ref_cls.__name__
        leaves = [x.clone().requires_grad_(), h0.clone().requires_grad_()]
        if name == "LSTM":
            leaves.append(c0.clone().requires_grad_())

        def forward_backward(module, leaves=leaves, name=name):
            state = (leaves[1], leaves[2]) if name == "LSTM" else leaves[1]
            out = module(leaves[0], state)
            grads = torch.autograd.grad(out[0], [*leaves, *module.parameters()], dy)
            return [t.detach() for t in _flatten(out)] + list(grads)

        def forward(module, name=name):
            state = (h0, c0) if name == "LSTM" else h0
            with torch.no_grad():
                return module(x, state)

        mine, theirs = forward_backward(ours), forward_backward(reference)
        error = max(float((a - b).abs().max()) for a, b in zip(mine, theirs))
        ref_label = f"nn.{name} ({'cuDNN' if device.type == 'cuda' else device.type})"
        references = [(ref_label, contextlib.nullcontext)]
        if device.type == "cpu" and torch.backends.mkldnn.is_available():
            # PyTorch's own step-by-step kernel, without oneDNN's fused RNN: the like-for-like comparison
            references.append((f"nn.{name} (cpu, oneDNN off)", _onednn_off))
        for label, context in references:
            for case, fn in (("forward + backward", forward_backward), ("forward (no grad)", forward)):

                def reference_call(fn=fn, m=reference, context=context):
                    with context():
                        return fn(m)

                t_ours, t_ref = time_pair(
                    lambda fn=fn, m=ours: fn(m), reference_call, device=device, repeat=REPEAT, warmup=2
                )
                rows.append(
                    {
                        "case": f"{name}, {case}, T={T} N={N} D={D} H={H}",
                        "reference": label,
                        "dtype": str(dtype).replace("torch.", ""),
                        "threads": torch.get_num_threads(),
                        "ours (ms)": round(t_ours * 1e3, 3),
                        "reference (ms)": round(t_ref * 1e3, 3),
                        "ratio": round(t_ours / t_ref, 3),
                        "max abs error": float(f"{error:.3g}"),
                    }
                )
        if name == "LSTM":
            products = _lstm_products(
                device, dtype, ours.weight_ih_l0, ours.weight_hh_l0, ours.bias_ih_l0 + ours.bias_hh_l0
            )
            t_ours, t_ref = time_pair(
                products, lambda m=reference: forward_backward(m), device=device, repeat=REPEAT, warmup=2
            )
            rows.append(
                {
                    "case": f"LSTM, its matrix products alone (a floor), T={T} N={N} D={D} H={H}",
                    "reference": f"{ref_label}, forward + backward",
                    "dtype": str(dtype).replace("torch.", ""),
                    "threads": torch.get_num_threads(),
                    "ours (ms)": round(t_ours * 1e3, 3),
                    "reference (ms)": round(t_ref * 1e3, 3),
                    "ratio": round(t_ours / t_ref, 3),
                    "max abs error": "-",
                }
            )
    return rows

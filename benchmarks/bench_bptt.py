"""Hand-written BPTT (lecture_lib.rnn.bptt) against autograd on the same vanilla RNN.

Two comparisons, each for relu and tanh, T=100, N=32, D=16, H=128, O=8, losses at every step:
- "backward only": ``bptt`` from the stored states vs ``torch.autograd.grad`` through a graph that was built
  once beforehand (``retain_graph=True``);
- "forward + backward": ``rnn_forward`` without a graph plus ``bptt`` vs ``rnn_forward`` with a graph plus
  ``torch.autograd.grad``.
The error column is the largest absolute difference over all six gradients. float64 (float32 on MPS,
which has no float64).
"""

from __future__ import annotations

import math

import torch
from _timing import time_pair

from lecture_lib.rnn import bptt, rnn_forward

TITLE = "Hand-written BPTT against autograd (vanilla RNN)"
TARGET = "ratio <= 2 (backward only and forward+backward), max abs error <= 1e-10 in float64"

T, N, D, H, O = 100, 32, 16, 128, 8
NAMES = ("W_in", "W_rec", "b", "W_out", "b_out", "h0")


def _problem(device: torch.device, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)

    def r(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(device, dtype)

    return {
        "x": r(T, N, D),
        "h0": r(N, H, scale=0.5),
        "W_in": r(H, D, scale=1 / math.sqrt(D)),
        "W_rec": r(H, H, scale=1 / math.sqrt(H)),
        "b": r(H, scale=0.1),
        "W_out": r(O, H, scale=1 / math.sqrt(H)),
        "b_out": r(O, scale=0.1),
        "dz": r(T, N, O),
    }


def run(device: torch.device) -> list[dict]:
    device = torch.device(device)
    dtype = torch.float32 if device.type == "mps" else torch.float64
    p = _problem(device, dtype)
    rows = []
    for activation in ("relu", "tanh"):
        leaves = {n: p[n].clone().requires_grad_() for n in NAMES}
        args = [leaves[n] for n in ("h0", "W_in", "W_rec", "b", "W_out", "b_out")]

        def autograd_forward_backward(act=activation, args=args):
            h, z = rnn_forward(p["x"], *args, activation=act)
            return torch.autograd.grad(z, args, p["dz"])

        def ours_forward_backward(act=activation):
            h, _ = rnn_forward(p["x"], p["h0"], p["W_in"], p["W_rec"], p["b"], p["W_out"], p["b_out"], act)
            return bptt(p["x"], h, p["dz"], p["W_in"], p["W_rec"], p["W_out"], act)

        h_graph, z_graph = rnn_forward(p["x"], *args, activation=activation)
        h_stored = h_graph.detach()

        def autograd_backward(z=z_graph, args=args):
            return torch.autograd.grad(z, args, p["dz"], retain_graph=True)

        def ours_backward(act=activation, h=h_stored):
            return bptt(p["x"], h, p["dz"], p["W_in"], p["W_rec"], p["W_out"], act)

        reference = dict(zip(("h0", "W_in", "W_rec", "b", "W_out", "b_out"), autograd_backward()))
        mine = ours_backward()
        error = max(float((mine[n] - reference[n]).abs().max()) for n in NAMES)

        for case, ours_fn, ref_fn in (
            ("backward only", ours_backward, autograd_backward),
            ("forward + backward", ours_forward_backward, autograd_forward_backward),
        ):
            t_ours, t_ref = time_pair(ours_fn, ref_fn, device=device, repeat=10, warmup=2)
            rows.append(
                {
                    "case": f"{activation}, {case}, T={T} N={N} D={D} H={H}",
                    "dtype": str(dtype).replace("torch.", ""),
                    "ours (ms)": round(t_ours * 1e3, 3),
                    "reference (ms)": round(t_ref * 1e3, 3),
                    "ratio": round(t_ours / t_ref, 3),
                    "max abs error": float(f"{error:.3g}"),
                }
            )
    return rows

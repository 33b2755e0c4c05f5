"""Benchmark: the from-scratch fast paths against F.conv_transpose2d, forward and forward+backward.

``conv_transpose2d`` (one stride-1 convolution per output phase) is the one with the target;
``conv_transpose2d_col2im`` (one matrix product, then col2im) is timed beside it, to show what building
the column tensor costs.

Run through the lead's runner (``python benchmarks/run.py --only conv_transpose``) or directly:
``cd benchmarks && python -c "import torch, bench_conv_transpose as b; print(b.run(torch.device('cpu')))"``.
The cases are those of issue 3; times are medians of interleaved calls (see ``_timing.time_pair``), in float32.
The error column compares the two in float64 on the same inputs (forward output and the three gradients).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from _timing import time_pair

from lecture_lib.transposed_conv import conv_transpose2d, conv_transpose2d_col2im

TITLE = "Fast transposed convolutions against F.conv_transpose2d"
TARGET = (
    "ratio <= 1.5 for conv_transpose2d (forward and forward+backward); conv_transpose2d_col2im has no target"
)

IMPLEMENTATIONS = {
    "conv_transpose2d (phases)": conv_transpose2d,
    "conv_transpose2d_col2im": conv_transpose2d_col2im,
}

# (label, N, C_in, C_out, H=W, kernel, stride, padding, output_padding)
CASES = [
    ("N=8, 64->32, 32x32, k4 s2 p1", 8, 64, 32, 32, 4, 2, 1, 0),
    ("N=1, 3->3, 128x128, k3 s2 p1 op1", 1, 3, 3, 128, 3, 2, 1, 1),
    ("N=32, 128->64, 16x16, k2 s2", 32, 128, 64, 16, 2, 2, 0, 0),
]


def _tensors(n, c_in, c_out, size, k, device, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c_in, size, size, generator=gen, dtype=dtype).to(device).requires_grad_()
    w = (torch.randn(c_in, c_out, k, k, generator=gen, dtype=dtype) / (c_out * k * k) ** 0.5).to(device)
    b = torch.randn(c_out, generator=gen, dtype=dtype).to(device)
    return x, w.requires_grad_(), b.requires_grad_()


def _max_error(fn, n, c_in, c_out, size, k, s, p, a, device) -> float:
    """Largest absolute difference in float64 over the output and the gradients of input, weight, bias."""
    x, w, b = _tensors(n, c_in, c_out, size, k, device, torch.float64, seed=1)
    ours = fn(x, w, b, s, p, a)
    ref = F.conv_transpose2d(x, w, b, s, p, a)
    g = torch.randn(ref.shape, generator=torch.Generator().manual_seed(2), dtype=ref.dtype).to(device)
    grads_ours = torch.autograd.grad(ours, (x, w, b), g)
    grads_ref = torch.autograd.grad(ref, (x, w, b), g)
    errors = [(ours - ref).abs().max()] + [(u - v).abs().max() for u, v in zip(grads_ours, grads_ref)]
    return float(max(errors).detach())


def _time_case(fn, n, c_in, c_out, size, k, s, p, a, device) -> dict[str, tuple[float, float]]:
    """Median seconds of ``fn`` and of PyTorch's, for the forward pass and for forward+backward."""
    x, w, b = _tensors(n, c_in, c_out, size, k, device, torch.float32)
    shape = F.conv_transpose2d(x, w, b, s, p, a).shape
    grad = torch.randn(shape, generator=torch.Generator().manual_seed(3), dtype=x.dtype).to(device)

    def forward(f):
        def call():
            with torch.no_grad():
                return f(x, w, b, s, p, a)

        return call

    def forward_backward(f):
        return lambda: torch.autograd.grad(f(x, w, b, s, p, a), (x, w, b), grad)

    return {
        "forward": time_pair(forward(fn), forward(F.conv_transpose2d), device, 60, 5),
        "forward+backward": time_pair(
            forward_backward(fn), forward_backward(F.conv_transpose2d), device, 60, 5
        ),
    }


def run(device: torch.device) -> list[dict]:
    """One row per case, implementation and pass: times in ms, their ratio, float64 error."""
    rows = []
    for label, n, c_in, c_out, size, k, s, p, a in CASES:
        for name, fn in IMPLEMENTATIONS.items():
            error = _max_error(fn, n, c_in, c_out, size, k, s, p, a, device)
            for mode, (t_ours, t_ref) in _time_case(fn, n, c_in, c_out, size, k, s, p, a, device).items():
                rows.append(
                    {
                        "case": label,
                        "implementation": name,
                        "pass": mode,
                        "ours (ms)": round(t_ours * 1e3, 3),
                        "reference (ms)": round(t_ref * 1e3, 3),
                        "ratio": round(t_ours / t_ref, 2),
                        "max abs error (float64)": float(f"{error:.3g}"),
                    }
                )
    return rows

"""lecture_lib.lstm_fast: the optimised LSTM layer against finite differences and the readable forward.

That its gradients equal the readable BPTT's (``lstm_bptt``) is tested in test_lstm_bptt.py; that the LSTM
module built on it equals nn.LSTM, in test_gated.py.
"""

from __future__ import annotations

import pytest
import torch

from lecture_lib.lstm_bptt import lstm_forward
from lecture_lib.lstm_fast import lstm_layer

F64 = torch.float64


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", ["both", "ih only", "none"])
def test_lstm_layer_backward_passes_gradcheck(reverse, bias):
    """The hand-written BPTT of one layer against finite differences, for every input it has."""
    T, N, D, H = 4, 2, 3, 2
    g = torch.Generator().manual_seed(11)
    make = lambda *shape: torch.randn(*shape, generator=g, dtype=F64, requires_grad=True)  # noqa: E731
    x, h0, c0, w_ih, w_hh = make(T, N, D), make(N, H), make(N, H), make(4 * H, D), make(4 * H, H)
    b_ih = None if bias == "none" else make(4 * H)
    b_hh = make(4 * H) if bias == "both" else None
    inputs = tuple(t for t in (x, h0, c0, w_ih, w_hh, b_ih, b_hh) if t is not None)

    def layer(*args):
        it = iter(args)
        x, h0, c0, w_ih, w_hh = (next(it) for _ in range(5))
        bi = None if b_ih is None else next(it)
        bh = None if b_hh is None else next(it)
        return lstm_layer(x, h0, c0, w_ih, w_hh, bi, bh, reverse)

    assert torch.autograd.gradcheck(layer, inputs)


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_layer_forward_equals_the_readable_forward(reverse):
    """tanh through a sigmoid and the carried -2c change nothing but rounding."""
    g = torch.Generator().manual_seed(2)
    T, N, D, H = 12, 3, 5, 7
    x, h0, c0 = (torch.randn(*s, generator=g, dtype=F64) for s in ((T, N, D), (N, H), (N, H)))
    w_ih, w_hh, b_ih, b_hh = (
        torch.randn(*s, generator=g, dtype=F64) for s in ((4 * H, D), (4 * H, H), (4 * H,), (4 * H,))
    )
    output, h_n, c_n = lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
    cache = lstm_forward(x.flip(0) if reverse else x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    expected = cache["h"][1:].flip(0) if reverse else cache["h"][1:]
    torch.testing.assert_close(output, expected, atol=1e-13, rtol=1e-12)
    torch.testing.assert_close(h_n, cache["h"][-1], atol=1e-13, rtol=1e-12)
    torch.testing.assert_close(c_n, cache["c"][-1], atol=1e-13, rtol=1e-12)


def test_lstm_layer_refuses_bad_arguments_by_name():
    x, h0, c0 = torch.zeros(3, 2, 4), torch.zeros(2, 5), torch.zeros(2, 5)
    w_ih, w_hh = torch.zeros(20, 4), torch.zeros(20, 5)
    with pytest.raises(ValueError, match=r"c0 has shape \(2, 4\)"):
        lstm_layer(x, h0, c0[:, :4], w_ih, w_hh)
    with pytest.raises(TypeError, match="reverse"):
        lstm_layer(x, h0, c0, w_ih, w_hh, reverse="yes")
    with pytest.raises(TypeError, match="weight_hh must have a floating dtype"):
        lstm_layer(x, h0, c0, w_ih, w_hh.long())

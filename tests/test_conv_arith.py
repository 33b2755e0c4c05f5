"""conv_arith: the size formulas agree with what PyTorch's layers actually produce, and refuse what they refuse."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from lecture_lib.conv_arith import (
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
    required_output_padding,
    shape_trace,
)

sizes = st.integers(1, 12)
kernels = st.integers(1, 5)
strides = st.integers(1, 4)
paddings = st.integers(0, 3)
dilations = st.integers(1, 3)


def _torch_shape(fn):
    """The spatial shape torch produces, or None if torch refuses the arguments.

    For some arguments whose output would have no rows (F.conv_transpose2d with k=4, p=2 on a 1x1 input)
    PyTorch returns an empty tensor instead of raising; the course refuses every output smaller than 1, so
    an empty shape counts as refused too.
    """
    try:
        shape = tuple(fn().shape[-2:])
    except RuntimeError:
        return None
    return shape if min(shape) >= 1 else None


def _ours(fn):
    try:
        return fn()
    except ValueError:
        return None


@given(h=sizes, w=sizes, kh=kernels, kw=kernels, s=strides, p=paddings, d=dilations)
def test_conv_output_size_matches_conv2d(h, w, kh, kw, s, p, d):
    x = torch.zeros(1, 1, h, w)
    weight = torch.zeros(1, 1, kh, kw)
    expected = _torch_shape(lambda: F.conv2d(x, weight, stride=s, padding=p, dilation=d))
    got = _ours(lambda: conv_output_size((h, w), (kh, kw), s, p, d))
    assert got == expected


@given(
    h=sizes, w=sizes, k=kernels, s=st.one_of(st.none(), strides), p=paddings, d=dilations, ceil=st.booleans()
)
def test_pool_output_size_matches_max_pool2d(h, w, k, s, p, d, ceil):
    x = torch.zeros(1, 1, h, w)
    expected = _torch_shape(lambda: F.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil))
    got = _ours(lambda: pool_output_size((h, w), k, s, p, d, ceil_mode=ceil))
    assert got == expected


@given(
    h=sizes, w=sizes, kh=kernels, kw=kernels, sh=strides, sw=strides, p=paddings,
    oph=st.integers(0, 3), opw=st.integers(0, 3), d=dilations,
)  # fmt: skip
def test_conv_transpose_output_size_matches_conv_transpose2d(h, w, kh, kw, sh, sw, p, oph, opw, d):
    x = torch.zeros(1, 1, h, w)
    weight = torch.zeros(1, 1, kh, kw)

    def run():
        return F.conv_transpose2d(
            x, weight, stride=(sh, sw), padding=p, output_padding=(oph, opw), dilation=d
        )

    expected = _torch_shape(run)
    got = _ours(lambda: conv_transpose_output_size((h, w), (kh, kw), (sh, sw), p, (oph, opw), d))
    assert got == expected


@given(i=sizes, k=kernels, s=strides, p=paddings, d=dilations)
def test_required_output_padding_goes_back_to_every_input_size(i, k, s, p, d):
    """A strided convolution sends several sizes to one; output padding lets the transpose reach each."""
    o = _ours(lambda: conv_output_size(i, k, s, p, d))
    if o is None:
        return
    op = required_output_padding(o, i, k, s, p, d)
    assert conv_transpose_output_size(o, k, s, p, op, d) == i
    layer = nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d)
    assert layer(torch.zeros(1, 1, o)).shape[-1] == i


def test_int_in_int_out_tuple_in_tuple_out():
    assert conv_output_size(7, 3) == 5
    assert conv_output_size((7, 9), 3) == (5, 7)
    assert conv_output_size(7, (3, 1)) == (5, 7)
    assert conv_transpose_output_size(2, 3, stride=2) == 5
    assert conv_transpose_output_size((2, 3), 3, stride=(2, 1)) == (5, 5)
    assert required_output_padding((3, 3), (6, 5), 3, 2, 1) == (1, 0)
    assert isinstance(conv_output_size(7, 3), int)


def test_lecture_examples():
    assert conv_output_size(4, kernel_size=3, stride=2, padding=1) == 2  # k3 s2 p1 on 4x4
    assert conv_transpose_output_size(2, kernel_size=3, stride=2, padding=1) == 3
    assert conv_transpose_output_size((2, 2), 3, stride=2, output_padding=1) == (6, 6)
    # The d2l-style 4x4 input, F=3, P=1, S=2 transposed: (4-1)*2 - 2 + 3 = 7.
    assert conv_transpose_output_size(4, 3, stride=2, padding=1) == 7


def test_water_cherenkov_decoder_trace():
    decoder = nn.Sequential(
        nn.ConvTranspose2d(64, 64, 4, 2), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 4, 2), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(),
        nn.ConvTranspose2d(32, 32, 4, 2), nn.ReLU(), nn.Conv2d(32, 1, 3),
    )  # fmt: skip
    trace = shape_trace(decoder, (1, 64, 11, 21))
    spatial = [r.output_shape[-2:] for r in trace if r.layer.startswith(("Conv", "ConvTranspose"))]
    assert spatial == [(24, 44), (22, 42), (46, 86), (44, 84), (90, 170), (88, 168)]
    # one 88x168 channel out of the 64x11x21 code: as many numbers leave the decoder as enter it (14784)
    assert math.prod(trace[-1].output_shape) == math.prod(trace[0].input_shape) == 14784
    assert trace[0].num_params == 64 * 64 * 16 + 64
    table = str(trace)
    assert "88 x 168" in table and "total parameters" in table
    assert len(trace) == 11 and trace[1].layer == "ReLU()"


def test_shape_trace_names_the_layer_that_fails():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(4, 8, 3))
    with pytest.raises(ValueError, match=r"layer '1' \(Conv2d\(4, 8.*1 x 8 x 6 x 6"):
        shape_trace(model, (1, 3, 8, 8))


def test_shape_trace_restores_mode_and_handles_batchnorm(device):
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).to(device)
    model.train()
    trace = shape_trace(model, (1, 4))
    assert model.training
    assert [r.output_shape for r in trace] == [(1, 3), (1, 3)]
    assert shape_trace(model, (1, 4)) == trace  # hooks were removed: a second trace gives the same rows
    model[1].eval()  # a submodule frozen on purpose stays frozen; the others stay in training mode
    shape_trace(model, (1, 4))
    assert [m.training for m in model.modules()] == [True, True, False]


def test_shape_trace_bad_arguments():
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        shape_trace("not a model", (1, 3))
    with pytest.raises(ValueError, match="input_shape"):
        shape_trace(nn.ReLU(), (1, 0))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: conv_output_size(0, 3), r"size=0 must be >= 1"),
        (lambda: conv_output_size(5, 0), r"kernel_size=0 must be >= 1"),
        (lambda: conv_output_size(5, 3, stride=0), r"stride=0 must be >= 1"),
        (lambda: conv_output_size(5, 3, padding=-1), r"padding=-1 must be >= 0"),
        (lambda: conv_output_size(5, 3, dilation=0), r"dilation=0 must be >= 1"),
        (lambda: conv_output_size(2, 5), r"smaller than 1.*i\+2p = 2"),
        (lambda: conv_output_size((5, 5, 5), (3, 3)), r"same number of dimensions"),
        (
            lambda: conv_transpose_output_size(3, 3, stride=2, output_padding=2),
            r"output_padding=2 must be smaller",
        ),
        (lambda: conv_transpose_output_size(1, 1, padding=1), r"output size would be -1"),
        (lambda: pool_output_size(5, 2, padding=2), r"padding=2 must be at most half the kernel size"),
        (lambda: required_output_padding(3, 8, 3, 2, 1), r"target_size=8 cannot be reached.*sizes 5 to 6"),
        (lambda: required_output_padding(3, 4, 3, 2, 1), r"target_size=4 cannot be reached"),
    ],
)
def test_errors_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("bad", [2.0, "3", True, (), (1.5, 2)])
def test_non_integer_arguments_raise_type_error(bad):
    with pytest.raises(TypeError, match="kernel_size"):
        conv_output_size(8, bad)


# ------------------------------------------------------------------- bad inputs refused by name (issue 15)
def test_ceil_mode_must_be_a_real_bool():
    with pytest.raises(TypeError, match="ceil_mode='False' must be a bool"):
        pool_output_size(5, 2, ceil_mode="False")  # the string is truthy: it used to mean True


def test_shape_trace_checks_shape_and_dtype_before_allocating():
    model = nn.Sequential(nn.Linear(4, 2))
    with pytest.raises(ValueError, match=r"input_shape=\(1099511627776, 4\) .* would need"):
        shape_trace(model, (2**40, 4))
    with pytest.raises(TypeError, match=r"input_shape=\(True, 4\) must be a sequence of positive ints"):
        shape_trace(model, (True, 4))
    with pytest.raises(TypeError, match="input_shape=None"):
        shape_trace(model, None)
    with pytest.raises(ValueError, match=r"input_shape=\(\) must be a non-empty"):
        shape_trace(model, ())
    with pytest.raises(TypeError, match="dtype=torch.int64 must be a floating dtype"):
        shape_trace(model, (1, 4), dtype=torch.int64)


def test_shape_trace_rows_are_validated():
    from lecture_lib.conv_arith import LayerShape, ShapeTrace

    row = LayerShape("0", "Linear()", [1, 4], (1, 2), 10)
    assert row.input_shape == (1, 4)  # stored as a tuple
    assert ShapeTrace([row]) == [row] and ShapeTrace() == []
    with pytest.raises(TypeError, match="name=3 must be a str"):
        LayerShape(3, "Linear()", (1, 4), (1, 2), 10)
    with pytest.raises(ValueError, match=r"output_shape=\(-1, 2\) must not contain negative sizes"):
        LayerShape("0", "Linear()", (1, 4), (-1, 2), 10)
    with pytest.raises(TypeError, match="input_shape='14' must be a tuple of ints"):
        LayerShape("0", "Linear()", "14", (1, 2), 10)
    with pytest.raises(ValueError, match="num_params=-1"):
        LayerShape("0", "Linear()", (1, 4), (1, 2), -1)
    with pytest.raises(TypeError, match="rows must hold LayerShape rows only"):
        ShapeTrace([1, 2])
    with pytest.raises(TypeError, match="rows=3 must be an iterable"):
        ShapeTrace(3)

"""Tests for lecture_lib.transposed_conv: every implementation on the lecture's numbers, and the shared checks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from transposed_conv_cases import ALL_FOUR, F64, FUNCTIONAL, conv_transpose2d_by_matrix

from lecture_lib import (
    transposed_conv,
    transposed_conv_col2im,
    transposed_conv_fast,
    transposed_conv_layer,
    transposed_conv_views,
)
from lecture_lib.transposed_conv import (
    conv_transpose2d,
    conv_transpose2d_col2im,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insert,
)


def test_the_facade_reexports_every_public_name():
    """lecture_lib.transposed_conv gathers the public names of the modules that define them."""
    modules = (transposed_conv_views, transposed_conv_col2im, transposed_conv_fast, transposed_conv_layer)
    defined = {name: getattr(m, name) for m in modules for name in m.__all__}
    assert sorted(transposed_conv.__all__) == sorted(defined)
    for name, obj in defined.items():
        assert getattr(transposed_conv, name) is obj


# ----------------------------------------------------------------------------------- the lecture's numbers
IMPLEMENTATIONS = [
    pytest.param(conv_transpose2d_scatter, id="scatter"),
    pytest.param(conv_transpose2d_zero_insert, id="zero_insert"),
    pytest.param(conv_transpose2d, id="fast"),
    pytest.param(conv_transpose2d_col2im, id="col2im"),
    pytest.param(conv_transpose2d_by_matrix, id="matrix"),
]


@pytest.mark.parametrize("fn", IMPLEMENTATIONS)
def test_lecture_example_d2l(fn):
    x = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=F64).view(1, 1, 2, 2)
    expected = torch.tensor([[0, 0, 1], [0, 4, 6], [4, 12, 9]], dtype=F64).view(1, 1, 3, 3)
    assert torch.equal(fn(x, x.clone()), expected)


@pytest.mark.parametrize("fn", IMPLEMENTATIONS)
def test_lecture_example_slide_14(fn):
    x = torch.tensor([[3.0, 1.0], [1.0, 5.0]], dtype=F64).view(1, 1, 2, 2)
    kernel = torch.tensor([[2.0, 4.0], [0.0, 1.0]], dtype=F64).view(1, 1, 2, 2)
    expected = torch.tensor([[6, 14, 4], [2, 17, 21], [0, 1, 5]], dtype=F64).view(1, 1, 3, 3)
    out = fn(x, kernel)
    assert torch.equal(out, expected)
    assert out[0, 0, 0, 1] == 4 * 3 + 2 * 1  # the slide's 4*3 + 2*1 = 14


# the appendix's "Final result" table for input [[1,2,3],[4,5,6]] and the 4x4 kernel 0.1 ... 1.6
APPENDIX_TABLE = [
    [0.1, 0.4, 1.0, 1.6, 1.7, 1.2],
    [0.9, 2.9, 6.2, 8.3, 7.5, 4.8],
    [2.9, 7.7, 14.6, 16.7, 13.9, 8.4],
    [4.9, 12.5, 23.0, 25.1, 20.3, 12.0],
    [5.2, 12.1, 20.8, 22.3, 17.0, 9.6],
]


@pytest.mark.parametrize("fn", IMPLEMENTATIONS)
def test_lecture_example_appendix_table(fn):
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=F64).view(1, 1, 2, 3)
    kernel = (torch.arange(1, 17, dtype=F64) / 10).view(1, 1, 4, 4)
    out = fn(x, kernel, stride=1, padding=0)
    assert out.shape == (1, 1, 5, 6)
    torch.testing.assert_close(out[0, 0], torch.tensor(APPENDIX_TABLE, dtype=F64), atol=1e-12, rtol=0)


def test_output_padding_rows_are_not_zeros_when_padding_is_positive():
    """Output padding extends the crop window; with padding > 0 the extra row holds real contributions.

    So "append output_padding zero rows to the output" (the appendix's step 5) is right only for padding 0.
    """
    x = torch.ones(1, 1, 2, 2, dtype=F64)
    kernel = torch.ones(1, 1, 3, 3, dtype=F64)
    with_op = F.conv_transpose2d(x, kernel, stride=2, padding=1, output_padding=1)  # (1, 1, 4, 4)
    without = F.conv_transpose2d(x, kernel, stride=2, padding=1)  # (1, 1, 3, 3)
    assert torch.equal(with_op[..., :3, :3], without)
    assert with_op[0, 0, 3].abs().sum() > 0 and with_op[0, 0, :, 3].abs().sum() > 0
    for fn in (
        conv_transpose2d_scatter,
        conv_transpose2d_zero_insert,
        conv_transpose2d,
        conv_transpose2d_col2im,
    ):
        assert torch.equal(fn(x, kernel, stride=2, padding=1, output_padding=1), with_op)
    no_padding = F.conv_transpose2d(x, kernel, stride=2, output_padding=1)  # (1, 1, 6, 6)
    assert no_padding[0, 0, 5].abs().sum() == 0  # with padding 0 the extra row is indeed zero


# ----------------------------------------------------------------------------------- device, dtype, shapes
@pytest.mark.parametrize(
    "fn", [conv_transpose2d_scatter, conv_transpose2d_zero_insert, conv_transpose2d, conv_transpose2d_col2im]
)
def test_device_and_dtype_follow_the_input(fn, device):
    x = torch.randn(2, 3, 4, 5, device=device)
    weight = torch.randn(3, 2, 3, 3, device=device)
    bias = torch.randn(2, device=device)
    out = fn(x, weight, bias, stride=2, padding=1, output_padding=1)
    assert out.device == x.device and out.dtype == torch.float32
    expected = F.conv_transpose2d(x, weight, bias, stride=2, padding=1, output_padding=1)
    torch.testing.assert_close(out, expected, atol=1e-4, rtol=1e-4)
    assert fn(x[0], weight, bias, stride=2).shape == F.conv_transpose2d(x[0], weight, bias, stride=2).shape


# ------------------------------------------------------------------------------ errors (the shared checks)
def _x_w(c_in=4, c_out=2):
    return torch.randn(1, c_in, 3, 3), torch.randn(c_in, c_out, 3, 3)


@pytest.mark.parametrize("fn", FUNCTIONAL)
@pytest.mark.parametrize(
    "change, error, match",
    [
        (dict(input=torch.randn(4, 3)), ValueError, r"input must be 3-D .* or 4-D .* got shape \(4, 3\)"),
        (dict(input=torch.randn(1, 1, 4, 3, 3)), ValueError, "input must be 3-D"),
        (dict(input=[[1.0]]), TypeError, "input must be a torch.Tensor"),
        (dict(weight=torch.randn(4, 2, 3)), ValueError, "weight must be 4-D"),
        (dict(input=torch.randn(1, 5, 3, 3)), ValueError, "input has 5 channels .* in_channels=4"),
        (dict(bias=torch.randn(3)), ValueError, r"bias must have shape \(out_channels,\) = \(2,\)"),
        (dict(bias=torch.randn(2, dtype=F64)), TypeError, "bias .* dtype"),
        (dict(weight=torch.randn(4, 2, 3, 3, dtype=F64)), TypeError, "weight .* dtype and device of input"),
        (dict(stride=0), ValueError, "stride=0 must be >= 1"),
        (dict(stride=1.5), TypeError, "stride=1.5 must be an int or a pair"),
        (dict(stride=(1, 2, 3)), TypeError, r"stride=\(1, 2, 3\) must be an int or a pair"),
        (dict(stride=True), TypeError, "stride=True"),
        (dict(padding=-1), ValueError, "padding=-1 must be >= 0"),
        (dict(dilation=(1, 0)), ValueError, r"dilation=\(1, 0\) must be >= 1"),
        (dict(output_padding=-1), ValueError, "output_padding=-1 must be >= 0"),
        (dict(stride=2, output_padding=2), ValueError, "output_padding=.*smaller than .*stride or dilation"),
        (dict(stride=(2, 1), output_padding=(1, 1)), ValueError, "output_padding"),
        (dict(padding=3), ValueError, "smaller than 1"),
    ],
)
def test_errors_name_the_argument(fn, change, error, match):
    x, weight = _x_w()
    args = dict(input=x, weight=weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1)
    args.update(change)
    with pytest.raises(error, match=match):
        fn(**args)


# ------------------------------------------------------------------------------- unbounded work (issue 15)
@pytest.mark.parametrize("fn", ALL_FOUR)
@pytest.mark.parametrize(
    ("size", "kwargs", "match"),
    [
        (
            (2, 2),
            {"stride": 2**40},
            r"stride=\(1099511627776, 1099511627776\) gives s_h \* s_w = .* output phases",
        ),
        ((1, 1), {"stride": (2**40, 1)}, r"stride=\(1099511627776, 1\) gives"),  # a 1x1 input: no big output
        (
            (2, 2),
            {"dilation": 2**40},
            r"dilation=\(1099511627776, 1099511627776\) makes a canvas of .* 4 GiB",
        ),
        (
            (2, 2),
            {"dilation": (1, 2**31), "padding": (0, 2**30)},
            r"dilation=\(1, 2147483648\) makes a canvas",
        ),
    ],
)
def test_absurd_geometry_is_refused_before_any_work(fn, size, kwargs, match):
    x = torch.ones(1, 1, *size)
    w = torch.ones(1, 1, 2, 2)
    with pytest.raises(ValueError, match=match):
        fn(x, w, **kwargs)


@pytest.mark.parametrize("fn", ALL_FOUR)
def test_a_huge_input_times_stride_is_refused_naming_both(fn):
    x = torch.ones(1, 8, 1000, 1000)
    with pytest.raises(
        ValueError, match=r"the input size \(1000, 1000\) with stride=\(256, 1\) makes a canvas"
    ):
        fn(x, torch.ones(8, 8, 1, 1), stride=(256, 1))


@pytest.mark.parametrize("fn", ALL_FOUR)
def test_large_but_bounded_strides_still_work(fn):
    x = torch.randn(1, 2, 1, 2, dtype=torch.float64)
    w = torch.randn(2, 3, 2, 3, dtype=torch.float64)
    kwargs = {"stride": (200, 300), "padding": (0, 1), "dilation": (1, 2)}  # 60000 phases: allowed
    torch.testing.assert_close(fn(x, w, **kwargs), F.conv_transpose2d(x, w, **kwargs))


# ------------------------------------------------------------------- bad inputs refused by name (issue 15)
@pytest.mark.parametrize("fn", ALL_FOUR)
def test_a_meta_weight_or_bias_among_cpu_tensors_is_refused(fn):
    x, w, b = torch.randn(1, 4, 3, 3), torch.randn(4, 2, 3, 3), torch.randn(2)
    with pytest.raises(ValueError, match="weight is on meta but input is on cpu"):
        fn(x, w.to("meta"), b)
    with pytest.raises(ValueError, match="bias is on meta but input is on cpu"):
        fn(x, w, b.to("meta"))
    with pytest.raises(ValueError, match="weight is on cpu but input is on meta"):
        fn(x.to("meta"), w, b)


@pytest.mark.parametrize("fn", ALL_FOUR)
@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.complex64])
def test_integer_bool_and_complex_tensors_are_refused(fn, dtype):
    x, w = torch.randn(1, 4, 3, 3), torch.randn(4, 2, 3, 3)
    with pytest.raises(TypeError, match="input must have a floating dtype"):
        fn(x.to(dtype), w.to(dtype))
    with pytest.raises(TypeError, match="weight must have a floating dtype"):
        fn(x, w.to(dtype))
    with pytest.raises(TypeError, match="bias must have a floating dtype"):
        fn(x, w, torch.zeros(2, dtype=dtype))


@pytest.mark.parametrize("fn", ALL_FOUR)
def test_half_precision_is_supported_like_f_conv_transpose2d(fn):
    """float16 and bfloat16 are accepted on purpose: the result follows F.conv_transpose2d in float64."""
    gen = torch.Generator().manual_seed(3)
    x, w, b = torch.randn(2, 4, 5, 5, generator=gen), torch.randn(4, 3, 3, 3, generator=gen), torch.randn(3)
    expected = F.conv_transpose2d(x.double(), w.double(), b.double(), stride=2, padding=1)
    for dtype, tol in ((torch.float16, 0.05), (torch.bfloat16, 0.3)):
        out = fn(x.to(dtype), w.to(dtype), b.to(dtype), stride=2, padding=1)
        assert out.dtype == dtype
        torch.testing.assert_close(out.double(), expected, atol=tol, rtol=0)

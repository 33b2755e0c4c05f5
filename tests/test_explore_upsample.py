"""The upsampling explorer: its controls drive figure and numbers; its methods are the library's (and PyTorch's)."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from sklearn.datasets import load_sample_image

from lecture_lib.explore.upsample import METHODS, pagoda_image, upsample_by_method, upsampling_explorer


@pytest.fixture(scope="module")
def explorer():
    return upsampling_explorer()


def test_default_state_numbers(explorer):
    assert explorer.state == {"method": "bilinear", "scale_factor": 2}
    assert "16x16 → 32x32" in explorer.summary.value
    assert "<b>0</b> parameters" in explorer.summary.value


def test_controls_change_summary_and_figure(explorer):
    first_png, renders = explorer.image.value, explorer.renders
    explorer.controls["scale_factor"].value = 3
    assert "16x16 → 48x48" in explorer.summary.value
    assert explorer.renders == renders + 1
    assert explorer.image.value != first_png

    # a transposed convolution C -> C with a k x k kernel has C*C*k*k weights; here C = 1, k = 2s - s % 2
    explorer.controls["method"].value = "transposed"
    assert "<b>25</b> learnable parameters" in explorer.summary.value  # s = 3: k = 5
    explorer.controls["scale_factor"].value = 2
    assert "<b>16</b> learnable parameters" in explorer.summary.value  # s = 2: k = 4
    explorer.controls["scale_factor"].value = 4
    assert "<b>64</b> learnable parameters" in explorer.summary.value  # s = 4: k = 8
    assert "16x16 → 64x64" in explorer.summary.value

    explorer.controls["method"].value = "nearest"
    assert explorer.summary.value.startswith("nearest neighbour")
    assert "<b>0</b> parameters" in explorer.summary.value
    explorer.controls["method"].value = "bilinear"
    explorer.controls["scale_factor"].value = 2


def test_every_method_and_scale_is_drawn():
    explorer = upsampling_explorer(size=8)
    summaries = set()
    for method in METHODS:
        for s in (2, 3, 4):
            explorer.controls["method"].value = method
            explorer.controls["scale_factor"].value = s
            assert "Invalid" not in explorer.summary.value
            assert explorer.image.layout.visibility == "visible"
            summaries.add(explorer.summary.value)
    assert len(summaries) == len(METHODS) * 3
    explorer.controls["method"].value = "bilinear"
    explorer.controls["scale_factor"].value = 2


def test_mime_bundle_has_widget_default_png_and_text():
    explorer = upsampling_explorer(size=8)
    explorer.controls["method"].value = "nearest"  # moving a control does not change the default figure
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    assert png == upsampling_explorer(size=8)._default_png
    assert "interactive explorer" in bundle["text/plain"]


def test_the_error_to_the_reference_is_the_mean_absolute_difference():
    explorer = upsampling_explorer(method="nearest", scale_factor=2, size=8)
    small, full = pagoda_image(8), pagoda_image(16)
    error = (small.repeat_interleave(2, 2).repeat_interleave(2, 3) - full).abs().mean().item()
    assert f"<b>{error:.3f}</b>" in explorer.summary.value


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "bicubic"}, "method='bicubic'"),
        ({"scale_factor": 5}, "scale_factor=5"),
        ({"size": 1}, "size=1"),
        ({"size": 40}, "size=40"),
    ],
)
def test_explorer_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        upsampling_explorer(**kwargs)


# ----------------------------------------------------------------------------------------------------------
# pagoda_image
# ----------------------------------------------------------------------------------------------------------
def test_pagoda_image_shape_and_range():
    image = pagoda_image(16)
    assert image.shape == (1, 1, 16, 16) and image.dtype == torch.float64
    assert 0.0 <= float(image.min()) < float(image.max()) <= 1.0


@pytest.mark.parametrize("size", [8, 16])
def test_pagoda_image_is_the_block_mean_of_the_grey_photo(size):
    # a 240 x 240 crop divides into size x size blocks of equal area: each pixel is its block's mean grey level
    box = (90, 20, 330, 260)
    grey = np.asarray(Image.fromarray(load_sample_image("china.jpg")).convert("L"), dtype=np.float64) / 255
    crop = grey[20:260, 90:330]
    b = 240 // size
    expected = crop.reshape(size, b, size, b).mean(axis=(1, 3))
    got = pagoda_image(size, box)[0, 0].numpy()
    assert np.abs(got - expected).max() <= 1 / 255  # stored as 8-bit grey levels


def test_pagoda_image_rejects_bad_size():
    with pytest.raises(ValueError, match="size=0"):
        pagoda_image(0)


# ----------------------------------------------------------------------------------------------------------
# upsample_by_method agrees with PyTorch
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", [2, 3, 4])
def test_methods_match_pytorch(s, device):
    g = torch.Generator().manual_seed(s)
    x = torch.rand(2, 3, 5, 6, generator=g, dtype=torch.float64).to(device)
    full = torch.rand(2, 3, 5 * s, 6 * s, generator=g, dtype=torch.float64).to(device)

    expected = {
        "nearest": F.interpolate(x, scale_factor=s, mode="nearest"),
        "bilinear": F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False),
        "bilinear_aligned": F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=True),
    }
    _, indices = F.max_pool2d(full, s, return_indices=True)
    expected["max_unpool"] = F.max_unpool2d(x, indices, s, output_size=full.shape[-2:])
    top_left = torch.zeros_like(x, dtype=torch.int64)
    top_left += torch.arange(5, device=device)[:, None] * s * (6 * s) + torch.arange(6, device=device) * s
    expected["bed_of_nails"] = F.max_unpool2d(x, top_left, s, output_size=full.shape[-2:])
    for method, want in expected.items():
        got = upsample_by_method(x, method, s, full=full)
        assert got.device == x.device
        assert got.shape == (2, 3, 5 * s, 6 * s)
        torch.testing.assert_close(got, want, atol=1e-10, rtol=0, msg=method)


@pytest.mark.parametrize("s", [2, 3, 4])
def test_transposed_with_bilinear_init_is_bilinear_away_from_the_border(s, device):
    x = torch.rand(1, 2, 6, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(device)
    got = upsample_by_method(x, "transposed", s)
    want = F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
    assert got.shape == want.shape == (1, 2, 6 * s, 7 * s)
    b = s // 2
    inner = (slice(None), slice(None), slice(b, 6 * s - b), slice(b, 7 * s - b))
    torch.testing.assert_close(got[inner], want[inner], atol=1e-10, rtol=0)
    # on the frame the transposed convolution sees zero padding, so it differs from the clamped bilinear
    assert (got - want).abs().max() > 0.01


def test_max_unpool_puts_values_at_the_block_maxima():
    full = torch.tensor([[0.0, 5, 1, 0], [2, 1, 0, 7], [9, 0, 0, 0], [0, 3, 4, 0]])[None, None]
    x = torch.tensor([[10.0, 20], [30, 40]])[None, None]
    out = upsample_by_method(x, "max_unpool", 2, full=full)
    expected = torch.tensor([[0.0, 10, 0, 0], [0, 0, 0, 20], [30, 0, 0, 0], [0, 0, 40, 0]])[None, None]
    assert torch.equal(out, expected)


def test_upsample_by_method_errors():
    x = torch.zeros(1, 1, 3, 3)
    with pytest.raises(ValueError, match="method='area'"):
        upsample_by_method(x, "area", 2)
    with pytest.raises(ValueError, match="scale_factor=0"):
        upsample_by_method(x, "nearest", 0)
    with pytest.raises(TypeError, match="scale_factor=2.5"):
        upsample_by_method(x, "nearest", 2.5)
    with pytest.raises(ValueError, match="full="):
        upsample_by_method(x, "max_unpool", 2)
    with pytest.raises(ValueError, match=r"full must have shape \(1, 1, 6, 6\)"):
        upsample_by_method(x, "max_unpool", 2, full=torch.zeros(1, 1, 6, 7))


def test_pagoda_image_refuses_a_box_off_the_photo_and_a_huge_size():
    with pytest.raises(ValueError, match=r"box=\(0, 0, 1000, 1000\) must satisfy"):
        pagoda_image(4, box=(0, 0, 1000, 1000))  # PIL would pad the crop with black
    with pytest.raises(TypeError, match="box=.* must be \\(left, top, right, bottom\\)"):
        pagoda_image(4, box=(95.5, 25, 325, 255))
    with pytest.raises(ValueError, match="size=1099511627776 must be an int in \\[1, 2048\\]"):
        pagoda_image(2**40)


def test_upsample_by_method_refuses_meta_half_and_huge():
    x, full = torch.rand(1, 1, 3, 3, dtype=torch.float64), torch.rand(1, 1, 6, 6, dtype=torch.float64)
    with pytest.raises(ValueError, match="full on meta"):
        upsample_by_method(x, "max_unpool", 2, full=full.to("meta"))
    with pytest.raises(TypeError, match="full is torch.float32"):
        upsample_by_method(x, "max_unpool", 2, full=full.float())
    with pytest.raises(TypeError, match="x must be float32 or float64"):
        upsample_by_method(x.half(), "nearest", 2)
    with pytest.raises(ValueError, match="scale_factor would need"):
        upsample_by_method(x, "nearest", 2**40)
    with pytest.raises(TypeError, match="scale_factor=2.0 must be 2, 3 or 4"):
        upsampling_explorer(scale_factor=2.0)  # 2.0 == 2 was taken as the toggle's value

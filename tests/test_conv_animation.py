"""lecture_lib.conv_animation: frame counts and sizes, and each frame's highlighted cells against PyTorch.

The reference for "which input cells does output cell t read" is PyTorch itself: a batch of one-hot inputs
(one per input cell) through ``F.conv2d`` / ``F.conv_transpose2d`` with an all-ones kernel in float64; output
cell t of one-hot j is non-zero exactly when t reads j. The frames are decoded back from their pixels.
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from lecture_lib import conv_animation as ca
from lecture_lib.conv_arith import conv_output_size, conv_transpose_output_size

# (input, kernel, stride, padding, dilation, transposed, output_padding): Dumoulin & Visin's animations,
# their transposed counterparts, and the lecture's examples.
GUIDE = [
    (4, 3, 1, 0, 1, False, 0),
    (5, 4, 1, 2, 1, False, 0),
    (5, 3, 1, 1, 1, False, 0),
    (5, 3, 1, 2, 1, False, 0),
    (5, 3, 2, 0, 1, False, 0),
    (5, 3, 2, 1, 1, False, 0),
    (6, 3, 2, 1, 1, False, 0),
    (7, 3, 1, 0, 2, False, 0),
    (2, 3, 1, 0, 1, True, 0),
    (6, 4, 1, 2, 1, True, 0),
    (5, 3, 1, 1, 1, True, 0),
    (7, 3, 1, 2, 1, True, 0),
    (2, 3, 2, 0, 1, True, 0),
    (3, 3, 2, 1, 1, True, 0),
    (3, 3, 2, 1, 1, True, 1),
    (3, 3, 1, 0, 2, True, 0),
]
LECTURE = [
    (6, 2, 1, 0, 1, False, 0),
    (6, 2, 2, 0, 1, False, 0),
    (6, 2, 2, 1, 1, False, 0),
    (2, 2, 2, 0, 1, True, 0),
    (2, 2, 1, 0, 1, True, 0),
    (2, 2, 2, 1, 1, True, 0),
    (2, 3, 2, 0, 1, True, 1),
    (4, 3, 2, 1, 1, True, 0),
    (3, 2, 2, 2, 1, True, 1),  # padding beyond d(k-1): the zero-inserted input is cropped
    (3, 3, 3, 1, 2, True, 2),  # output padding up to max(s, d) - 1 with dilation
]


def _output_size(i, k, s, p, d, transposed, op):
    if transposed:
        return conv_transpose_output_size(i, k, stride=s, padding=p, output_padding=op, dilation=d)
    return conv_output_size(i, k, stride=s, padding=p, dilation=d)


def _reads_by_torch(i, k, s, p, d, transposed, op) -> np.ndarray:
    """(o*o, i*i) bool: output cell t reads input cell j (PyTorch, float64 one-hot inputs, ones kernel)."""
    onehots = torch.eye(i * i, dtype=torch.float64).view(i * i, 1, i, i)
    ones = torch.ones(1, 1, k, k, dtype=torch.float64)
    if transposed:
        out = F.conv_transpose2d(onehots, ones, stride=s, padding=p, output_padding=op, dilation=d)
    else:
        out = F.conv2d(onehots, ones, stride=s, padding=p, dilation=d)
    return (out.reshape(i * i, -1) != 0).T.numpy()


def _decode_roles(frame: np.ndarray, top: int, left: int, n: int, cell: int) -> np.ndarray:
    """(n, n) array of PALETTE role names, read at the centre pixel of each cell."""
    by_colour = {rgb: role for role, rgb in ca.PALETTE.items()}
    centres = [cell * r + cell // 2 for r in range(n)]
    return np.array(
        [[by_colour[tuple(frame[top + y, left + x])] for x in centres] for y in centres], dtype=object
    )


def _input_cell_positions(i, k, s, p, d, transposed, op) -> np.ndarray:
    """(i, i, 2): the grid cell where each input cell is drawn (worked out independently of the module)."""
    r = np.arange(i)
    grid = r * s + (d * (k - 1) - p) if transposed else r + p
    return np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1)


def _check_frames(config, cell_size=10):
    i, k, s, p, d, transposed, op = config
    o = _output_size(*config)
    side = o + d * (k - 1) if transposed else i + 2 * p
    frames = ca.conv_animation_frames(i, k, s, p, d, transposed, op, cell_size=cell_size)
    height = 2 * ca.MARGIN + max(side, o) * cell_size + 1
    width = 2 * ca.MARGIN + (side + o) * cell_size + 2 + ca.GAP
    assert frames.shape == (o * o, height, width, 3) and frames.dtype == np.uint8
    reads = _reads_by_torch(*config)
    positions = _input_cell_positions(*config).reshape(-1, 2)
    out_left = ca.MARGIN + side * cell_size + 1 + ca.GAP
    for t in range(o * o):
        grid = _decode_roles(frames[t], ca.MARGIN, ca.MARGIN, side, cell_size)
        # every input cell is drawn where it belongs, and nowhere else
        in_bounds = [(a, b) for a, b in positions if 0 <= a < side and 0 <= b < side]
        drawn = {(a, b) for a, b in zip(*np.nonzero(np.isin(grid, ["input", "input_tap"])))}
        assert drawn == set(in_bounds)
        # the highlighted input cells are exactly those output t reads
        highlighted = {(a, b) for a, b in zip(*np.nonzero(grid == "input_tap"))}
        expected = {tuple(positions[j]) for j in np.nonzero(reads[t])[0]}
        assert highlighted == expected, (config, t)
        # the kernel covers k*k cells, d apart, starting at the window of output t
        taps = np.char.endswith(grid.astype(str), "_tap")
        a, b = divmod(t, o)
        step = 1 if transposed else s
        want = np.zeros((side, side), dtype=bool)
        want[np.ix_(a * step + np.arange(k) * d, b * step + np.arange(k) * d)] = True
        assert np.array_equal(taps, want)
        out = _decode_roles(frames[t], ca.MARGIN, out_left, o, cell_size).ravel()
        assert list(out) == ["output_done"] * t + ["output_current"] + ["output_todo"] * (o * o - t - 1)
    return frames


@pytest.mark.parametrize("config", GUIDE + LECTURE)
def test_frames_highlight_what_each_output_reads(config):
    _check_frames(config)


@pytest.mark.parametrize("config", GUIDE[:2] + GUIDE[12:14])
def test_gif_holds_every_frame(config):
    gif = ca.conv_animation(*config, cell_size=6, frame_ms=250)
    frames = ca.conv_animation_frames(*config, cell_size=6)
    with Image.open(io.BytesIO(gif)) as image:
        assert image.format == "GIF" and image.n_frames == len(frames)
        assert image.size == (frames.shape[2], frames.shape[1])
        for t in range(image.n_frames):
            image.seek(t)
            assert np.array_equal(np.asarray(image.convert("RGB")), frames[t])
            assert image.info["duration"] == (750 if t == len(frames) - 1 else 250)
        assert image.info.get("loop") == 0
    assert gif == ca.conv_animation(*config, cell_size=6, frame_ms=250)  # deterministic bytes


@given(
    i=st.integers(1, 7),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
    transposed=st.booleans(),
    op=st.integers(0, 2),
)
def test_valid_exactly_when_pytorch_accepts(i, k, s, p, d, transposed, op):
    op = op if transposed else 0
    config = (i, k, s, p, d, transposed, op)
    try:
        _reads_by_torch(*config)
    except RuntimeError:
        with pytest.raises(ValueError):
            ca.conv_animation_frames(*config)
        return
    _check_frames(config, cell_size=4)


def test_output_padding_needs_transposed():
    with pytest.raises(ValueError, match=r"output_padding=1 only applies to a transposed"):
        ca.conv_animation_frames(5, 3, 2, 1, output_padding=1)


def test_refusals_name_the_argument():
    with pytest.raises(ValueError, match=r"kernel_size=7.*no output|output would be smaller"):
        ca.conv_animation_frames(3, 7)
    with pytest.raises(ValueError, match=r"output_padding=2 must be smaller"):
        ca.conv_animation_frames(3, 3, 2, transposed=True, output_padding=2)
    with pytest.raises(ValueError, match=r"grid of \d+ x \d+ cells"):
        ca.conv_animation_frames(40, 9, 2, transposed=True)
    with pytest.raises(ValueError, match=r"cell_size=2 must be"):
        ca.conv_animation_frames(4, 3, cell_size=2)
    with pytest.raises(ValueError, match=r"frame_ms=0 must be"):
        ca.conv_animation(4, 3, frame_ms=0)


def test_gallery_embeds_every_animation_with_its_caption():
    gifs = [ca.conv_animation(4, 3), ca.conv_animation(2, 3, transposed=True)]
    captions = ["k3 s1 p0 on 4×4: output 2×2", "transposed <k3>: output 4×4 & more"]
    page = ca.animation_gallery(list(zip(captions, gifs)), columns=2)
    assert page.count('class="conv-animation"') == 2 and "repeat(2," in page
    assert "&lt;k3&gt;" in page and "&amp; more" in page and "<k3>" not in page
    uris = re.findall(r'src="data:image/gif;base64,([A-Za-z0-9+/=]+)"', page)
    assert [base64.b64decode(u) for u in uris] == gifs
    with pytest.raises(ValueError, match=r"animations\[1\] holds bytes that are not a GIF"):
        ca.animation_gallery([("a", gifs[0]), ("b", b"\x89PNG\r\n\x1a\n")])
    with pytest.raises(TypeError, match=r"animations\[0\]"):
        ca.animation_gallery([(gifs[0], "caption")])
    with pytest.raises(ValueError, match=r"animations=\[\]"):
        ca.animation_gallery([])

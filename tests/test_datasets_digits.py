"""Tests of lecture_lib.datasets.digits: bundled digits at 28 x 28, the IDX reader, MNIST loading."""

from __future__ import annotations

import gzip
import hashlib
import re
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

from lecture_lib.datasets import digits

# ------------------------------------------------------------------------------------ bundled digits


def test_split_sizes_disjoint_complete_and_stratified():
    idx = digits.digits_split_indices()
    labels = load_digits().target
    assert {k: len(v) for k, v in idx.items()} == {"train": 1259, "val": 269, "test": 269}
    union = np.concatenate(list(idx.values()))
    assert len(union) == 1797 and len(np.unique(union)) == 1797
    for c in range(10):
        n_c = int((labels == c).sum())
        assert int((labels[idx["test"]] == c).sum()) == round(0.15 * n_c)
        assert int((labels[idx["val"]] == c).sum()) == round(0.15 * n_c)


def test_load_digits_28_values():
    bunch = load_digits()
    images, labels = digits.load_digits_28("all")
    assert images.shape == (1797, 1, 28, 28) and images.dtype == torch.float32
    assert labels.dtype == torch.int64 and torch.equal(labels, torch.from_numpy(bunch.target).long())
    assert images.min() >= 0.0 and images.max() <= 1.0 and images.max() == 1.0
    # with align_corners=False the corner output pixel samples the corner input pixel exactly
    assert torch.allclose(
        images[:, 0, 0, 0].double(), torch.from_numpy(bunch.images[:, 0, 0] / 16.0), atol=1e-7
    )
    reference = F.interpolate(
        torch.from_numpy(bunch.images / 16.0).unsqueeze(1),
        size=(28, 28),
        mode="bilinear",
        align_corners=False,
    )
    f64, _ = digits.load_digits_28("all", dtype=torch.float64)
    torch.testing.assert_close(f64, reference, atol=1e-12, rtol=0)


def test_load_digits_28_splits_are_fixed():
    x1, y1 = digits.load_digits_28("val")
    x2, y2 = digits.load_digits_28("val")
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and x1.shape == (269, 1, 28, 28)
    x1[0] = 5.0  # callers get copies: the cache is not changed
    assert digits.load_digits_28("val")[0].max() <= 1.0
    all_x, _ = digits.load_digits_28("all")
    train_x, _ = digits.load_digits_28("train")
    assert torch.equal(train_x, all_x[torch.from_numpy(digits.digits_split_indices()["train"])])


def test_load_digits_28_bad_arguments():
    with pytest.raises(ValueError, match="split="):
        digits.load_digits_28("validation")
    with pytest.raises(TypeError, match="dtype="):  # an integer dtype is the wrong kind (was ValueError)
        digits.load_digits_28("train", dtype=torch.int64)


# --------------------------------------------------------------------------------------------- IDX


def _idx_bytes(array: np.ndarray, code: int, big_endian_dtype: str) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(big_endian_dtype).tobytes()


@pytest.mark.parametrize(
    "code, be_dtype, torch_dtype",
    [
        (0x08, ">u1", torch.uint8),
        (0x09, ">i1", torch.int8),
        (0x0B, ">i2", torch.int16),
        (0x0C, ">i4", torch.int32),
        (0x0D, ">f4", torch.float32),
        (0x0E, ">f8", torch.float64),
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_every_type_raw_and_gzip(tmp_path, code, be_dtype, torch_dtype, compress):
    values = np.arange(2 * 3 * 4).reshape(2, 3, 4) - (5 if code != 0x08 else 0)
    data = _idx_bytes(values, code, be_dtype)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    path.write_bytes(gzip.compress(data) if compress else data)
    out = digits.read_idx(path)
    assert out.dtype == torch_dtype and out.shape == (2, 3, 4)
    assert out.tolist() == values.tolist()


def test_read_idx_big_endian_by_hand(tmp_path):
    # one int16 value 0x0102 = 258, stored most significant byte first
    path = tmp_path / "one.idx"
    path.write_bytes(bytes([0, 0, 0x0B, 1, 0, 0, 0, 1, 0x01, 0x02]))
    assert digits.read_idx(path).tolist() == [258]


def test_read_idx_errors_name_the_file(tmp_path):
    good = _idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8), 0x08, ">u1")
    cases = {
        "magic.idx": (b"\x01\x00" + good[2:], "not an IDX file"),
        "type.idx": (good[:2] + b"\x07" + good[3:], "not an IDX file"),
        "short.idx": (
            good[:-1],
            "truncated IDX file: sizes \\(3, 28, 28\\) need 2352 bytes of data, found 2351",
        ),
        "header.idx": (good[:9], "truncated IDX file \\(header"),
        "tiny.idx": (b"\x00\x00", "truncated IDX file"),
        "long.idx": (good + b"\x00", "IDX file has 1 bytes after"),
        "broken.gz": (gzip.compress(good)[:-12], "broken or truncated gzip"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=re.escape(name) + ": " + message):
            digits.read_idx(tmp_path / name)
    with pytest.raises(FileNotFoundError, match=r"absent\.idx"):
        digits.read_idx(tmp_path / "absent.idx")


def _write_mnist(root: Path, n_train: int = 5, n_test: int = 3, compress: bool = True) -> None:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for kind, array, code in (("images-idx3", images, 0x08), ("labels-idx1", labels, 0x08)):
            data = _idx_bytes(array, code, ">u1")
            name = f"{prefix}-{kind}-ubyte" + (".gz" if compress else "")
            (root / name).write_bytes(gzip.compress(data) if compress else data)


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist(tmp_path, compress):
    _write_mnist(tmp_path, compress=compress)
    images, labels = digits.load_mnist(tmp_path, "train")
    raw = digits.read_idx(tmp_path / ("train-images-idx3-ubyte" + (".gz" if compress else "")))
    assert images.shape == (5, 1, 28, 28) and images.dtype == torch.float32 and labels.dtype == torch.int64
    assert torch.equal(images[:, 0] * 255, raw.float())
    assert digits.load_mnist(tmp_path, "test")[0].shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="split="):
        digits.load_mnist(tmp_path, "val")


def test_load_mnist_inconsistent_files(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(_idx_bytes(np.zeros(2, np.uint8), 8, ">u1"))
    )
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz: expected 3 uint8 labels"):
        digits.load_mnist(tmp_path, "test")
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\.gz"):
        digits.load_mnist(tmp_path / "nothing", "train")


def test_download_mnist_from_local_mirrors(tmp_path, monkeypatch):
    server = tmp_path / "server"
    _write_mnist(server)
    files = {name: hashlib.md5((server / name).read_bytes()).hexdigest() for name in digits.MNIST_FILES}
    monkeypatch.setattr(digits, "MNIST_FILES", files)
    dead = (tmp_path / "dead").as_uri() + "/"  # the first mirror does not answer: the second is used
    monkeypatch.setattr(digits, "MNIST_MIRRORS", (dead, server.as_uri() + "/"))
    root = digits.download_mnist(tmp_path / "mnist", progress=False)
    assert sorted(p.name for p in root.iterdir()) == sorted(files)
    assert digits.load_mnist(root, "train")[0].shape == (5, 1, 28, 28)


def test_download_mnist_failures(tmp_path, monkeypatch):
    server = tmp_path / "server"
    _write_mnist(server)
    monkeypatch.setattr(digits, "MNIST_MIRRORS", ((tmp_path / "dead").as_uri() + "/",))
    with pytest.raises(ConnectionError, match="from any mirror"):
        digits.download_mnist(tmp_path / "a", progress=False)
    monkeypatch.setattr(digits, "MNIST_MIRRORS", (server.as_uri() + "/",))  # real MD5s: local files differ
    with pytest.raises(ValueError, match="md5"):
        digits.download_mnist(tmp_path / "b", progress=False)
    assert list((tmp_path / "b").iterdir()) == []


def test_load_digits_28_uses_the_course_bilinear_upsampling():
    from lecture_lib.upsample import bilinear_upsample

    bunch = load_digits()
    expected = bilinear_upsample(torch.from_numpy(bunch.images / 16.0).unsqueeze(1), 3.5, align_corners=False)
    f64, _ = digits.load_digits_28("all", dtype=torch.float64)
    assert torch.equal(f64, expected)


# ------------------------------------------------------------------- unbounded work (issue 15)


def _header(code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def test_read_idx_stops_a_gzip_bomb_after_the_promised_bytes(tmp_path):
    import tracemalloc

    bomb = _header(0x08, (4,)) + bytes(96 * 2**20)  # 4 bytes promised, 96 MiB of zeros follow
    path = tmp_path / "bomb.idx.gz"
    path.write_bytes(gzip.compress(bomb, compresslevel=1))
    assert path.stat().st_size < 2**20
    tracemalloc.start()
    try:
        with pytest.raises(
            ValueError, match=r"bomb\.idx\.gz: IDX file has at least 16777216 bytes after the 4"
        ):
            digits.read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20  # the old read decompressed all 96 MiB first


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_refuses_absurd_header_sizes_before_reading(tmp_path, compress):
    data = _header(0x0E, (2**32 - 1, 2**32 - 1, 2**32 - 1)) + bytes(16)  # 2**99 bytes (np.prod overflowed)
    path = tmp_path / "absurd.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match=r"absurd\.idx: IDX header sizes .* more than the 4 GiB"):
        digits.read_idx(path)


def test_read_idx_checks_promised_sizes_against_the_file_before_reading(tmp_path):
    data = _header(0x08, (1000, 1000, 1000)) + bytes(100)  # 1 GB promised by a 116-byte file
    raw = tmp_path / "raw.idx"
    raw.write_bytes(data)
    with pytest.raises(ValueError, match=r"raw\.idx: truncated IDX file: sizes \(1000, 1000, 1000\) need"):
        digits.read_idx(raw)
    packed = tmp_path / "packed.idx.gz"
    packed.write_bytes(gzip.compress(data))
    with pytest.raises(ValueError, match=r"packed\.idx\.gz: .* more than a gzip file of \d+ bytes can hold"):
        digits.read_idx(packed)


# ------------------------------------------------------------------------------------- issue 15


def test_mnist_label_above_9_is_refused_naming_the_file(tmp_path):
    _write_mnist(tmp_path)
    labels = np.array([3, 12, 1], dtype=np.uint8)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(labels, 8, ">u1")))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz: label 12 at index 1 is not a digit"):
        digits.load_mnist(tmp_path, "test")


def test_mnist_image_and_label_counts_must_agree(tmp_path):
    _write_mnist(tmp_path)
    labels = np.array([3, 1, 4, 1], dtype=np.uint8)  # four labels for three images
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(labels, 8, ">u1")))
    with pytest.raises(
        ValueError, match=r"t10k-labels-idx1-ubyte\.gz: expected 3 uint8 labels, got .* \(4,\)"
    ):
        digits.load_mnist(tmp_path, "test")


def test_paths_and_small_arguments_are_checked(tmp_path):
    for bad in (None, 3, b"x"):
        with pytest.raises(TypeError, match="path="):
            digits.read_idx(bad)
        with pytest.raises(TypeError, match="root="):
            digits.load_mnist(bad)
        with pytest.raises(TypeError, match="root="):
            digits.download_mnist(bad, progress=False)
    with pytest.raises(ValueError, match="split=3"):
        digits.load_mnist(tmp_path, 3)
    with pytest.raises(TypeError, match="progress="):
        digits.download_mnist(tmp_path, progress="False")
    with pytest.raises(TypeError, match="opener="):
        digits.download_mnist(tmp_path, opener=3, progress=False)
    with pytest.raises(TypeError, match="dtype="):
        digits.load_digits_28("train", dtype="float32")
    assert list(tmp_path.iterdir()) == []  # nothing downloaded, nothing written

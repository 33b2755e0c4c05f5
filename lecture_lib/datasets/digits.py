"""Handwritten digits for the autoencoder chapter: scikit-learn's bundled digits at 28 x 28, and MNIST.

Offline default: the 1,797 real handwritten digits that ship with scikit-learn (``load_digits``: 8 x 8
images, 16 grey levels 0..16, from the UCI "optical recognition of handwritten digits" set), scaled to
[0, 1] (``value / 16``) and resized to 28 x 28, MNIST's size, by the course's own bilinear interpolation,
``lecture_lib.upsample.bilinear_upsample(x, 3.5, align_corners=False)`` (equal to
``F.interpolate(size=(28, 28), mode="bilinear", align_corners=False)`` to 1e-15 in float64 and exactly once
cast to float32); a bilinear interpolation of values in [0, 1] stays in [0, 1]. Unlike MNIST (a 20 x 20 digit centred in a 28 x 28
frame), these digits fill the frame and look blurred.

Online: :func:`download_mnist` fetches the four MNIST IDX files, :func:`read_idx` reads any IDX file and
:func:`load_mnist` returns MNIST in the same form as :func:`load_digits_28`. The chapter uses MNIST when the
environment variable ``MNIST_ROOT`` names a folder holding the files.

Taught in: chapter "Autoencoders".
"""

from __future__ import annotations

import functools
import gzip
import math
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from stat import S_ISREG
from typing import Any

import numpy as np
import torch

from .._validate import check_bool, check_dtype, check_path, describe

__all__ = [
    "DIGITS_SPLIT_FRACTIONS",
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "digits_split_indices",
    "download_mnist",
    "load_digits_28",
    "load_mnist",
    "read_idx",
]

#: Fractions of each digit class put in (train, val, test); the rounding is per class (see the function).
DIGITS_SPLIT_FRACTIONS = (0.70, 0.15, 0.15)
_SPLIT_SEED = 0
_SPLITS = ("train", "val", "test", "all")

#: MNIST files and their MD5 (the values torchvision's MNIST table uses).
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

#: Mirrors tried in order (torchvision's mirror, then Yann LeCun's original page).
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

# IDX type codes (third byte of the magic number) -> (big-endian numpy dtype, torch dtype)
_IDX_TYPES = {
    0x08: (">u1", torch.uint8),
    0x09: (">i1", torch.int8),
    0x0B: (">i2", torch.int16),
    0x0C: (">i4", torch.int32),
    0x0D: (">f4", torch.float32),
    0x0E: (">f8", torch.float64),
}


# ----------------------------------------------------------------------------------- bundled digits


def _check_split(split: str, splits: tuple[str, ...] = _SPLITS) -> None:
    if not isinstance(split, str) or split not in splits:
        raise ValueError(f"split={describe(split)} must be one of {splits}")


@functools.lru_cache(maxsize=1)
def _digits_8x8() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images.astype(np.float64), bunch.target.astype(np.int64)  # (1797, 8, 8), (1797,)


def digits_split_indices() -> dict[str, np.ndarray]:
    """The fixed train/val/test split of scikit-learn's digits, as sorted index arrays.

    Stratified by digit: for each class ``c`` with ``n_c`` images, a permutation from
    ``numpy.random.default_rng(0)`` (classes taken in order 0..9) gives ``round(0.15 n_c)`` test images,
    then ``round(0.15 n_c)`` validation images, and the rest to training (1,259 / 269 / 269 in all).
    Returns ``{"train", "val", "test"}`` -> int64 arrays of indices into ``sklearn.datasets.load_digits()``.

    Taught in: chapter "Autoencoders".
    """
    _, labels = _digits_8x8()
    rng = np.random.default_rng(_SPLIT_SEED)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for c in range(10):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(DIGITS_SPLIT_FRACTIONS[2] * len(members)))
        n_val = int(round(DIGITS_SPLIT_FRACTIONS[1] * len(members)))
        parts["test"].append(members[:n_test])
        parts["val"].append(members[n_test : n_test + n_val])
        parts["train"].append(members[n_test + n_val :])
    return {k: np.sort(np.concatenate(v)).astype(np.int64) for k, v in parts.items()}


@functools.lru_cache(maxsize=1)
def _digits_28() -> tuple[torch.Tensor, torch.Tensor]:
    from ..upsample import bilinear_upsample

    images, labels = _digits_8x8()
    x = torch.from_numpy(images / 16.0).unsqueeze(1)  # (1797, 1, 8, 8) float64 in [0, 1]
    x = bilinear_upsample(x, 28 / 8, align_corners=False)  # (1797, 1, 28, 28)
    return x, torch.from_numpy(labels)


def load_digits_28(
    split: str = "train", *, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's real handwritten digits at 28 x 28 in [0, 1], with labels, for one split.

    Shapes: returns ``images (N, 1, 28, 28)`` of ``dtype`` and ``labels (N,)`` int64, where ``split`` is
    "train" (1,259), "val" (269), "test" (269) or "all" (1,797, in scikit-learn's order). Pixel values are
    ``v / 16`` for the original levels ``v = 0..16``, resized by the course's bilinear interpolation
    (``lecture_lib.upsample.bilinear_upsample``; see the module docstring).
    The split is fixed (:func:`digits_split_indices`); the same call always returns the same tensors.

    Taught in: chapter "Autoencoders".
    """
    _check_split(split)
    check_dtype("dtype", dtype, allow_none=False)
    images, labels = _digits_28()
    if split != "all":
        index = torch.from_numpy(digits_split_indices()[split])
        images, labels = images[index], labels[index]
    return images.to(dtype).clone(), labels.clone()


# ------------------------------------------------------------------------------------------ MNIST IDX


#: The most data :func:`read_idx` accepts from one file: 4 GiB (MNIST's training images take 47 MB, EMNIST's
#: largest file 0.55 GB). The sizes in the header are checked against it before anything is read.
_IDX_MAX_BYTES = 2**32
#: Deflate expands at most 1032:1, so a gzip file of n bytes holds at most 1032 n bytes of data.
_DEFLATE_MAX_RATIO = 1032
_IDX_CHUNK = 2**24  # data are read 16 MiB at a time: memory grows with what is there, not what is promised


def read_idx(path: str | os.PathLike) -> torch.Tensor:
    """Read an IDX file (the MNIST format), raw or gzip-compressed (detected from its first bytes).

    Format: magic ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the values
    big-endian, row-major. Types: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
    Returns a tensor of shape ``(d_1, ..., d_ndim)`` of the matching dtype. Raises ``ValueError`` naming the
    file when the magic number is wrong, the data are shorter (truncated) or longer than the sizes say, or
    the gzip stream is broken.

    The header is read and checked first, the data after it, so a bad file costs no more than its header
    promises: the data the sizes imply must fit in 4 GiB, must equal what a raw file holds after its header
    (compared with the file's size, before reading), and must not exceed what deflate's 1032:1 maximum ratio
    allows a gzip file of that size; a gzip stream is decompressed only up to the promised size (plus one
    block to see whether more follows).

    Taught in: chapter "Autoencoders".
    """
    path = check_path("path", path)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: IDX file does not exist") from None
    with f:
        compressed = f.read(2) == b"\x1f\x8b"
        f.seek(0)
        stat = os.fstat(f.fileno())
        on_disk = stat.st_size if S_ISREG(stat.st_mode) else None
        if not compressed:
            return _read_idx_stream(f, path, compressed, on_disk)
        try:
            with gzip.GzipFile(fileobj=f, mode="rb") as stream:
                return _read_idx_stream(stream, path, compressed, on_disk)
        except (EOFError, OSError, zlib.error) as exc:
            raise ValueError(f"{path}: broken or truncated gzip stream ({exc})") from exc


def _read_up_to(stream: Any, n: int) -> bytes:
    """At most ``n`` bytes from ``stream``, fewer at its end, in chunks (no n-byte buffer up front)."""
    parts, got = [], 0
    while got < n:
        part = stream.read(min(_IDX_CHUNK, n - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _read_idx_stream(stream: Any, path: Path, compressed: bool, on_disk: int | None) -> torch.Tensor:
    magic = stream.read(4)
    if len(magic) < 4:
        raise ValueError(f"{path}: truncated IDX file ({len(magic)} bytes, the magic number alone takes 4)")
    if magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_TYPES or magic[3] == 0:
        raise ValueError(
            f"{path}: not an IDX file (magic bytes {magic.hex(' ')}; expected 00 00 <type in "
            f"{[hex(t) for t in _IDX_TYPES]}> <ndim >= 1>)"
        )
    np_dtype, torch_dtype = _IDX_TYPES[magic[2]]
    ndim = magic[3]
    header = 4 + 4 * ndim
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(
            f"{path}: truncated IDX file (header of {ndim} sizes needs {header} bytes, has {4 + len(sizes)})"
        )
    dims = struct.unpack(f">{ndim}I", sizes)
    expected = math.prod(dims) * np.dtype(np_dtype).itemsize  # Python ints: no overflow
    if expected > _IDX_MAX_BYTES:
        raise ValueError(
            f"{path}: IDX header sizes {dims} promise {expected} bytes of data, more than the 4 GiB "
            f"({_IDX_MAX_BYTES} bytes) read_idx accepts; the header is corrupt"
        )
    if on_disk is not None and not compressed:
        actual = on_disk - header
        if actual < expected:
            raise ValueError(
                f"{path}: truncated IDX file: sizes {dims} need {expected} bytes of data, found {actual}"
            )
        if actual > expected:
            raise ValueError(
                f"{path}: IDX file has {actual - expected} bytes after the {expected} promised by sizes {dims}"
            )
    if on_disk is not None and compressed and header + expected > _DEFLATE_MAX_RATIO * on_disk + 1024:
        raise ValueError(
            f"{path}: IDX header sizes {dims} promise {expected} bytes of data, more than a gzip file of "
            f"{on_disk} bytes can hold (deflate expands at most {_DEFLATE_MAX_RATIO}:1); the header is corrupt"
        )
    raw = _read_up_to(stream, expected)
    if len(raw) < expected:
        raise ValueError(
            f"{path}: truncated IDX file: sizes {dims} need {expected} bytes of data, found {len(raw)}"
        )
    extra = len(_read_up_to(stream, _IDX_CHUNK))
    if extra:
        more = "at least " if extra == _IDX_CHUNK else ""
        raise ValueError(
            f"{path}: IDX file has {more}{extra} bytes after the {expected} promised by sizes {dims}"
        )
    array = np.frombuffer(raw, dtype=np_dtype).reshape(dims)
    return torch.from_numpy(array.astype(np.dtype(np_dtype).newbyteorder("="))).to(torch_dtype)


def _find_mnist_file(root: Path, name: str) -> Path:
    for candidate in (root / name, root / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{root / name}: MNIST file not found (neither it nor its uncompressed form exists)"
    )


def load_mnist(root: str | os.PathLike, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST from the four IDX files in ``root`` (gzip or not): ``images (N, 1, 28, 28)`` float32 in [0, 1]
    and ``labels (N,)`` int64; ``split`` is "train" (60,000) or "test" (10,000).

    Raises ``ValueError`` naming the file when the images are not uint8 ``(N, 28, 28)``, the labels not
    ``N`` uint8 values, or a label is above 9.

    Taught in: chapter "Autoencoders".
    """
    root = check_path("root", root)
    _check_split(split, ("train", "test"))
    prefix = "train" if split == "train" else "t10k"
    image_file = _find_mnist_file(root, f"{prefix}-images-idx3-ubyte.gz")
    label_file = _find_mnist_file(root, f"{prefix}-labels-idx1-ubyte.gz")
    images, labels = read_idx(image_file), read_idx(label_file)
    if images.dtype != torch.uint8 or images.ndim != 3 or tuple(images.shape[1:]) != (28, 28):
        raise ValueError(
            f"{image_file}: expected uint8 images of shape (N, 28, 28), got {images.dtype} {tuple(images.shape)}"
        )
    if labels.dtype != torch.uint8 or labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(
            f"{label_file}: expected {len(images)} uint8 labels, got {labels.dtype} {tuple(labels.shape)}"
        )
    if len(labels) and int(labels.max()) > 9:
        bad = int(torch.argmax((labels > 9).to(torch.uint8)))
        raise ValueError(
            f"{label_file}: label {int(labels[bad])} at index {bad} is not a digit (labels must be 0..9)"
        )
    return images.unsqueeze(1).float().div_(255.0), labels.long()  # (N, 1, 28, 28), (N,)


def download_mnist(
    root: str | os.PathLike, *, opener: Callable[..., Any] | None = None, progress: bool = True
) -> Path:
    """Download the four MNIST files into ``root`` (MD5-checked, from the first mirror that answers).

    Files already present with the right MD5 are not downloaded again. Returns ``root``; read it with
    :func:`load_mnist`. When no mirror delivers a file, raises ``ConnectionError`` (all unreachable) or
    ``ValueError`` (some answered with a wrong checksum or a short file), listing every mirror's failure.

    Taught in: chapter "Autoencoders".
    """
    from .download import _check_opener, download_url

    root = check_path("root", root)
    _check_opener(opener)
    check_bool("progress", progress)
    for name, md5 in MNIST_FILES.items():
        errors: list[Exception] = []
        for mirror in MNIST_MIRRORS:
            try:
                download_url(mirror + name, root / name, md5=md5, opener=opener, progress=progress)
                break
            except (ConnectionError, ValueError) as exc:
                errors.append(exc)
        else:
            message = f"could not download {name} from any mirror:\n" + "\n".join(str(e) for e in errors)
            if all(isinstance(e, ConnectionError) for e in errors):
                raise ConnectionError(message)
            raise ValueError(message)
    return root

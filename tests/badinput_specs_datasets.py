"""Bad-input specs: lecture_lib.datasets (coco, voc, digits, download, synthetic); see tests/badinput.py.

The valid calls read a tiny VOC tree, COCO set, MNIST pair and archive written at import time into a
temporary folder (removed at exit) by the package's own writers. Nothing uses the network: the download
functions' valid calls find their files (or ``.extracted`` markers) already in place.
"""

from __future__ import annotations

import atexit
import gzip
import hashlib
import io
import shutil
import struct
import tarfile
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from badinput import Arg, Spec

from lecture_lib.datasets import coco, digits, download, synthetic, voc

_TMP = Path(tempfile.mkdtemp(prefix="badinput_datasets_"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)

# a VOC tree of two 32 x 32 images (train: one id, val: one id), marked as downloaded for download_voc
_VOC_ROOT = _TMP / "voc"
synthetic.make_voc_shapes(_VOC_ROOT, 2, (32, 32), seed=0, val_fraction=0.5)
(_VOC_ROOT / f"{download.VOC_ARCHIVES['2012'].filename}.extracted").write_text("test\n")
_VOC_BASE = _VOC_ROOT / "VOCdevkit" / "VOC2012"
_VOC_XML = sorted((_VOC_BASE / "Annotations").iterdir())[0]
_VOC_JPG = sorted((_VOC_BASE / "JPEGImages").iterdir())[0]
_VOC_SEG = voc.VOCSegmentation(_VOC_ROOT, image_set="train")
_VOC_DET = voc.VOCDetection(_VOC_ROOT, image_set="train")

# a COCO set of three 32 x 32 images, marked as downloaded for download_coco
_COCO_ROOT = _TMP / "coco"
_COCO_IMAGES, _COCO_ANN = synthetic.make_coco_shapes(_COCO_ROOT, 3, (32, 32), seed=0)
for _entry in (download.COCO_IMAGES["val2017"], download.COCO_ANNOTATIONS):
    (_COCO_ROOT / f"{_entry.filename}.extracted").write_text("test\n")
_COCO_SET = coco.CocoDetection(_COCO_IMAGES, _COCO_ANN)

# two MNIST-like IDX files (2 images, 2 labels), and their MD5 for download_mnist
_MNIST = _TMP / "mnist"
_MNIST.mkdir()
_IMAGES = bytes([0, 0, 8, 3]) + struct.pack(">3I", 2, 28, 28) + bytes(2 * 28 * 28)
_LABELS = bytes([0, 0, 8, 1]) + struct.pack(">I", 2) + bytes([3, 7])
(_MNIST / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(_IMAGES))
(_MNIST / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_LABELS))
_MNIST_MD5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in _MNIST.iterdir()}
_IDX = _MNIST / "t10k-labels-idx1-ubyte.gz"

# a file to hash and "download" (already in place with the right checksums), and a small tar to extract
_SRC = _TMP / "src.bin"
_SRC.write_bytes(b"course data" * 100)
_DEST = _TMP / "downloaded" / "data.bin"
_DEST.parent.mkdir()
_DEST.write_bytes(_SRC.read_bytes())
_MD5 = hashlib.md5(_SRC.read_bytes()).hexdigest()
_SHA256 = hashlib.sha256(_SRC.read_bytes()).hexdigest()
_TAR = _TMP / "small.tar"
with tarfile.open(_TAR, "w") as _tf:
    _info = tarfile.TarInfo("top/a.txt")
    _info.size = 3
    _tf.addfile(_info, io.BytesIO(b"abc"))
_NOT_ARCHIVE = _TMP / "plain.txt"
_NOT_ARCHIVE.write_text("not an archive")
_TRUNCATED_TGZ = _TMP / "cut.tar.gz"
_TRUNCATED_TGZ.write_bytes(gzip.compress(_TAR.read_bytes())[:-40])


def _no_network(*args, **kwargs):
    raise AssertionError("a bad-input spec used the network")


def _download_mnist(root, opener, progress):
    """download_mnist with the tiny files above standing for MNIST (they are in place: nothing is fetched)."""
    with mock.patch.dict(digits.MNIST_FILES, _MNIST_MD5, clear=True):
        return digits.download_mnist(root, opener=opener, progress=progress)


def _boxes() -> torch.Tensor:
    return torch.tensor([[1.0, 2.0, 10.0, 12.0], [3.0, 3.0, 4.0, 8.0]], dtype=torch.float64)


_BOX_ARG = Arg(
    _boxes(),
    "tensor",
    ndims=(1, 2, 3),  # (..., 4): any number of leading dimensions
    finite=True,
    half_ok=True,  # the conversions add and subtract exactly in any floating dtype, float16 included
    bad=(("last-dim-3", torch.zeros(2, 3)), ("scalar", torch.tensor(1.0))),
)

_MASK = np.zeros((4, 5), dtype=bool)
_MASK[1:3, 2:4] = True
_NAN_MASK = np.zeros((2, 2))
_NAN_MASK[0, 0] = np.nan
_COUNTS = "".join(chr(48 + v) for v in (5, 6, 2))  # runs 5, 6, 2: one 5-bit group each
_IMAGE_SIZE_BAD = (
    ("str", "ab"),
    ("floats", (32.5, 32.0)),
    ("too-small", (16, 32)),
    ("huge", (2**40, 2**40)),
    ("three", (32, 32, 32)),
)

SPECS = [
    # ------------------------------------------------------------------------------------------ voc
    Spec(
        "lecture_lib.datasets.voc.voc_colormap",
        voc.voc_colormap,
        {"n": Arg(21, "size", huge=True, bad=(("257", 257),))},
    ),
    Spec("lecture_lib.datasets.voc.voc_box_to_xyxy", voc.voc_box_to_xyxy, {"boxes": _BOX_ARG}),
    Spec("lecture_lib.datasets.voc.xyxy_to_voc_box", voc.xyxy_to_voc_box, {"boxes": _BOX_ARG}),
    Spec(
        "lecture_lib.datasets.voc.parse_voc_xml",
        voc.parse_voc_xml,
        {
            "path": Arg(_VOC_XML, "path"),
            "classes": Arg(voc.VOC_CLASSES[1:], "any", optional=True, bad=(("str", "cat"), ("ints", (1, 2)))),
        },
    ),
    Spec("lecture_lib.datasets.voc.read_image", voc.read_image, {"path": Arg(_VOC_JPG, "path")}),
    *[
        Spec(
            f"lecture_lib.datasets.voc.{cls.__name__}",
            cls,
            {
                "root": Arg(_VOC_ROOT, "path"),
                "year": Arg("2012", "str", bad=(("not-a-year", "20x2"), ("int-year", 2012))),
                "image_set": Arg("train", "str", bad=(("slash", "../train"), ("empty", ""))),
                "transforms": Arg(None, "callable", optional=True),
            },
        )
        for cls in (voc.VOCSegmentation, voc.VOCDetection)
    ],
    Spec(
        "lecture_lib.datasets.voc.VOCSegmentation.__getitem__",
        lambda index: _VOC_SEG[index],
        {"index": Arg(0, "int")},
    ),
    Spec(
        "lecture_lib.datasets.voc.VOCDetection.__getitem__",
        lambda index: _VOC_DET[index],
        {"index": Arg(0, "int")},
    ),
    # ----------------------------------------------------------------------------------------- coco
    Spec("lecture_lib.datasets.coco.coco_box_to_xyxy", coco.coco_box_to_xyxy, {"boxes": _BOX_ARG}),
    Spec("lecture_lib.datasets.coco.xyxy_to_coco_box", coco.xyxy_to_coco_box, {"boxes": _BOX_ARG}),
    Spec(
        "lecture_lib.datasets.coco.rle_encode",
        coco.rle_encode,
        {
            "mask": Arg(
                _MASK,
                "any",
                bad=(
                    ("none", None),
                    ("str", "ab"),
                    ("3d", np.zeros((2, 2, 2), dtype=bool)),
                    ("1d", np.zeros(4, dtype=bool)),
                    ("empty", np.zeros((0, 3), dtype=bool)),
                    ("non-binary", np.array([[0, 2]])),
                    ("nan", _NAN_MASK),
                    ("complex", _MASK.astype(np.complex128)),
                    ("meta-tensor", torch.zeros(2, 2, device="meta")),
                ),
            )
        },
    ),
    Spec(
        "lecture_lib.datasets.coco.rle_counts_from_string",
        coco.rle_counts_from_string,
        {
            "counts": Arg(
                _COUNTS,
                "str",
                bad=(
                    ("outside-alphabet", "1p"),
                    ("unfinished", "1P"),
                    ("non-ascii-bytes", b"\xff"),
                    ("endless-number", "P" * 20 + "0"),
                    ("list", [1, 2]),
                ),
            )
        },
    ),
    Spec(
        "lecture_lib.datasets.coco.rle_decode",
        coco.rle_decode,
        {
            "rle": Arg(
                {"size": [2, 3], "counts": [1, 2, 3]},
                "any",
                bad=(
                    ("none", None),
                    ("list", [2, 3]),
                    ("no-counts", {"size": [2, 3]}),
                    ("bad-sum", {"size": [2, 3], "counts": [2, 3]}),
                    ("negative-run", {"size": [2, 3], "counts": [7, -1]}),
                    ("zero-size", {"size": [0, 3], "counts": [0]}),
                    ("float-size", {"size": [2.0, 3], "counts": [1, 2, 3]}),
                    ("float-counts", {"size": [2, 3], "counts": [1.5, 4.5]}),
                    ("huge", {"size": [2**20, 2**20], "counts": [2**40]}),
                    ("bad-string", {"size": [2, 3], "counts": "1p"}),
                ),
            )
        },
    ),
    Spec(
        "lecture_lib.datasets.coco.load_instances", coco.load_instances, {"ann_file": Arg(_COCO_ANN, "path")}
    ),
    Spec(
        "lecture_lib.datasets.coco.CocoDetection",
        coco.CocoDetection,
        {
            "root": Arg(_COCO_IMAGES, "path"),
            "ann_file": Arg(_COCO_ANN, "path"),
            "transforms": Arg(None, "callable", optional=True),
        },
    ),
    Spec(
        "lecture_lib.datasets.coco.CocoDetection.__getitem__",
        lambda index: _COCO_SET[index],
        {"index": Arg(0, "int")},
    ),
    # --------------------------------------------------------------------------------------- digits
    Spec("lecture_lib.datasets.digits.digits_split_indices", digits.digits_split_indices, {}),
    Spec(
        "lecture_lib.datasets.digits.load_digits_28",
        digits.load_digits_28,
        {"split": Arg("val", "choice"), "dtype": Arg(torch.float32, "dtype")},
    ),
    Spec("lecture_lib.datasets.digits.read_idx", digits.read_idx, {"path": Arg(_IDX, "path")}),
    Spec(
        "lecture_lib.datasets.digits.load_mnist",
        digits.load_mnist,
        {"root": Arg(_MNIST, "path"), "split": Arg("test", "choice")},
    ),
    Spec(
        "lecture_lib.datasets.digits.download_mnist",
        _download_mnist,
        {
            "root": Arg(_MNIST, "path"),
            "opener": Arg(_no_network, "callable", optional=True),
            "progress": Arg(False, "bool"),
        },
    ),
    # ------------------------------------------------------------------------------------- download
    Spec(
        "lecture_lib.datasets.download.Archive",
        download.Archive,
        {
            "url": Arg("http://example.invalid/data.tar", "str", bad=(("no-scheme", "data.tar"),)),
            "filename": Arg("data.tar", "str", bad=(("folder", "a/data.tar"), ("empty", ""))),
            "md5": Arg(
                "0" * 32, "any", optional=True, bad=(("int", 123), ("short", "abc"), ("not-hex", "z" * 32))
            ),
            "base_dir": Arg("VOCdevkit/VOC2012", "str", bad=(("dotdot", "../x"), ("absolute", "/x"))),
        },
    ),
    Spec(
        "lecture_lib.datasets.download.file_digest",
        download.file_digest,
        {"path": Arg(_SRC, "path"), "algorithm": Arg("md5", "choice", bad=(("shake", "shake_128"),))},
    ),
    Spec(
        "lecture_lib.datasets.download.download_url",
        download.download_url,
        {
            "url": Arg(_SRC.as_uri(), "str", bad=(("no-scheme", "src.bin"),)),
            "path": Arg(_DEST, "path"),
            "md5": Arg(
                _MD5, "any", optional=True, bad=(("int", 123), ("short", "abc"), ("not-hex", "z" * 32))
            ),
            "sha256": Arg(_SHA256, "any", optional=True, bad=(("int", 123), ("md5-length", _MD5))),
            "opener": Arg(_no_network, "callable", optional=True),
            "progress": Arg(False, "bool"),
            "timeout": Arg(5.0, "real", minimum=0.0, bad=(("zero", 0.0),)),
        },
    ),
    Spec(
        "lecture_lib.datasets.download.extract_archive",
        download.extract_archive,
        {
            "archive": Arg(
                _TAR, "path", bad=(("not-an-archive", _NOT_ARCHIVE), ("truncated-tgz", _TRUNCATED_TGZ))
            ),
            "root": Arg(_TMP / "extracted", "path"),
            "max_bytes": Arg(10**6, "int", minimum=0, bad=(("too-small-for-the-archive", 1),)),
        },
    ),
    Spec(
        "lecture_lib.datasets.download.download_voc",
        download.download_voc,
        {
            "root": Arg(_VOC_ROOT, "path"),
            "year": Arg("2012", "choice"),
            "opener": Arg(_no_network, "callable", optional=True),
            "progress": Arg(False, "bool"),
        },
    ),
    Spec(
        "lecture_lib.datasets.download.download_coco",
        download.download_coco,
        {
            "root": Arg(_COCO_ROOT, "path"),
            "split": Arg("val2017", "choice"),
            "annotations": Arg(True, "bool"),
            "sha256": Arg(
                None,
                "any",
                optional=True,
                bad=(("str", "abc"), ("bad-digest", {"val2017.zip": "xyz"}), ("int-key", {3: "0" * 64})),
            ),
            "opener": Arg(_no_network, "callable", optional=True),
            "progress": Arg(False, "bool"),
        },
    ),
    # ------------------------------------------------------------------------------------ synthetic
    Spec(
        "lecture_lib.datasets.synthetic.make_voc_shapes",
        synthetic.make_voc_shapes,
        {
            "root": Arg(_TMP / "voc_written", "path"),
            "n_images": Arg(1, "size", huge=True),
            "image_size": Arg((32, 32), "any", bad=(("none", None), *_IMAGE_SIZE_BAD)),
            "seed": Arg(0, "int", minimum=0),
            "val_fraction": Arg(0.0, "real", minimum=0.0, bad=(("one", 1.0),)),
            "max_objects": Arg(1, "size", huge=True),
            "void_width": Arg(0, "size", minimum=0, huge=True),
        },
    ),
    Spec(
        "lecture_lib.datasets.synthetic.make_coco_shapes",
        synthetic.make_coco_shapes,
        {
            "root": Arg(_TMP / "coco_written", "path"),
            "n_images": Arg(3, "size", minimum=3, huge=True),
            "image_size": Arg((32, 32), "any", bad=(("none", None), *_IMAGE_SIZE_BAD)),
            "seed": Arg(0, "int", minimum=0),
            "split": Arg(
                "val2017", "str", bad=(("slash", "a/b"), ("dotdot", ".."), ("annotations", "annotations"))
            ),
            "max_objects": Arg(1, "size", huge=True),
        },
    ),
]

CONSTANTS = [
    "lecture_lib.datasets.coco.COCO_CATEGORIES",
    "lecture_lib.datasets.coco.COCO_KEYPOINTS",
    "lecture_lib.datasets.coco.COCO_MISSING_IDS",
    "lecture_lib.datasets.coco.COCO_PANOPTIC_STUFF",
    "lecture_lib.datasets.coco.COCO_PAPER_ONLY_CATEGORIES",
    "lecture_lib.datasets.coco.COCO_SKELETON",
    "lecture_lib.datasets.digits.DIGITS_SPLIT_FRACTIONS",
    "lecture_lib.datasets.digits.MNIST_FILES",
    "lecture_lib.datasets.digits.MNIST_MIRRORS",
    "lecture_lib.datasets.download.COCO_ANNOTATIONS",
    "lecture_lib.datasets.download.COCO_IMAGES",
    "lecture_lib.datasets.download.VOC_ARCHIVES",
    "lecture_lib.datasets.synthetic.SHAPE_CLASSES",
    "lecture_lib.datasets.voc.VOC_ACTIONS",
    "lecture_lib.datasets.voc.VOC_CLASSES",
    "lecture_lib.datasets.voc.VOC_LAYOUT_PARTS",
    "lecture_lib.datasets.voc.VOC_VOID",
]

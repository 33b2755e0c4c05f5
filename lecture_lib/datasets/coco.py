"""COCO read from a real instances JSON through pycocotools: tables, run-length encoding, ``CocoDetection``.

On disk: an image folder (``val2017/000000000139.jpg``) and ``annotations/instances_val2017.json`` with
``images`` (id, file_name, height, width), ``categories`` (id, name, supercategory) and ``annotations``
(id, image_id, category_id, bbox ``[x, y, w, h]``, area, iscrowd, segmentation). A segmentation is
either a list of polygons ``[[x1, y1, x2, y2, ...], ...]`` (one object may have several parts) or, for
crowd regions (``iscrowd=1``), a run-length encoding ``{"size": [h, w], "counts": [...]}``. RLE reads the
mask in column-major order (down the first column, then the next) and stores the lengths of alternating
runs of 0s and 1s, starting with 0s. Results files and pycocotools use the same runs written compactly
as a string (``"counts": "fWd0..."``, see :func:`rle_counts_from_string`).

Boxes: COCO's ``[x, y, w, h]`` is in continuous pixel coordinates (pixel column ``i`` covers
``[i, i + 1)``); ``xyxy = (x, y, x + w, y + h)``.

Taught in: chapter "Pascal VOC and COCO".
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from .._validate import check_path, describe
from .voc import MAX_IMAGE_PIXELS, _check_boxes, _check_index

__all__ = [
    "COCO_CATEGORIES",
    "COCO_KEYPOINTS",
    "COCO_MISSING_IDS",
    "COCO_PANOPTIC_STUFF",
    "COCO_PAPER_ONLY_CATEGORIES",
    "COCO_SKELETON",
    "CocoDetection",
    "coco_box_to_xyxy",
    "load_instances",
    "rle_counts_from_string",
    "rle_decode",
    "rle_encode",
    "xyxy_to_coco_box",
]

#: The 80 categories used by the 2014/2017 detection and segmentation data, as (id, name, supercategory).
COCO_CATEGORIES: tuple[tuple[int, str, str], ...] = (
    (1, "person", "person"),
    (2, "bicycle", "vehicle"),
    (3, "car", "vehicle"),
    (4, "motorcycle", "vehicle"),
    (5, "airplane", "vehicle"),
    (6, "bus", "vehicle"),
    (7, "train", "vehicle"),
    (8, "truck", "vehicle"),
    (9, "boat", "vehicle"),
    (10, "traffic light", "outdoor"),
    (11, "fire hydrant", "outdoor"),
    (13, "stop sign", "outdoor"),
    (14, "parking meter", "outdoor"),
    (15, "bench", "outdoor"),
    (16, "bird", "animal"),
    (17, "cat", "animal"),
    (18, "dog", "animal"),
    (19, "horse", "animal"),
    (20, "sheep", "animal"),
    (21, "cow", "animal"),
    (22, "elephant", "animal"),
    (23, "bear", "animal"),
    (24, "zebra", "animal"),
    (25, "giraffe", "animal"),
    (27, "backpack", "accessory"),
    (28, "umbrella", "accessory"),
    (31, "handbag", "accessory"),
    (32, "tie", "accessory"),
    (33, "suitcase", "accessory"),
    (34, "frisbee", "sports"),
    (35, "skis", "sports"),
    (36, "snowboard", "sports"),
    (37, "sports ball", "sports"),
    (38, "kite", "sports"),
    (39, "baseball bat", "sports"),
    (40, "baseball glove", "sports"),
    (41, "skateboard", "sports"),
    (42, "surfboard", "sports"),
    (43, "tennis racket", "sports"),
    (44, "bottle", "kitchen"),
    (46, "wine glass", "kitchen"),
    (47, "cup", "kitchen"),
    (48, "fork", "kitchen"),
    (49, "knife", "kitchen"),
    (50, "spoon", "kitchen"),
    (51, "bowl", "kitchen"),
    (52, "banana", "food"),
    (53, "apple", "food"),
    (54, "sandwich", "food"),
    (55, "orange", "food"),
    (56, "broccoli", "food"),
    (57, "carrot", "food"),
    (58, "hot dog", "food"),
    (59, "pizza", "food"),
    (60, "donut", "food"),
    (61, "cake", "food"),
    (62, "chair", "furniture"),
    (63, "couch", "furniture"),
    (64, "potted plant", "furniture"),
    (65, "bed", "furniture"),
    (67, "dining table", "furniture"),
    (70, "toilet", "furniture"),
    (72, "tv", "electronic"),
    (73, "laptop", "electronic"),
    (74, "mouse", "electronic"),
    (75, "remote", "electronic"),
    (76, "keyboard", "electronic"),
    (77, "cell phone", "electronic"),
    (78, "microwave", "appliance"),
    (79, "oven", "appliance"),
    (80, "toaster", "appliance"),
    (81, "sink", "appliance"),
    (82, "refrigerator", "appliance"),
    (84, "book", "indoor"),
    (85, "clock", "indoor"),
    (86, "vase", "indoor"),
    (87, "scissors", "indoor"),
    (88, "teddy bear", "indoor"),
    (89, "hair drier", "indoor"),
    (90, "toothbrush", "indoor"),
)

#: The 11 categories of the paper's list of 91 that were never annotated (ten ids inside 1..90, and 91).
COCO_PAPER_ONLY_CATEGORIES: tuple[tuple[int, str], ...] = (
    (12, "street sign"),
    (26, "hat"),
    (29, "shoe"),
    (30, "eye glasses"),
    (45, "plate"),
    (66, "mirror"),
    (68, "window"),
    (69, "desk"),
    (71, "door"),
    (83, "blender"),
    (91, "hair brush"),
)

#: The ids in 1..90 that no annotation uses (the gaps a category-id -> index table must skip).
COCO_MISSING_IDS: tuple[int, ...] = tuple(i for i in range(1, 91) if i not in {c[0] for c in COCO_CATEGORIES})

#: The 53 "stuff" categories of the panoptic task (id, name); with the 80 things they make its 133 classes.
COCO_PANOPTIC_STUFF: tuple[tuple[int, str], ...] = (
    (92, "banner"),
    (93, "blanket"),
    (95, "bridge"),
    (100, "cardboard"),
    (107, "counter"),
    (109, "curtain"),
    (112, "door-stuff"),
    (118, "floor-wood"),
    (119, "flower"),
    (122, "fruit"),
    (125, "gravel"),
    (128, "house"),
    (130, "light"),
    (133, "mirror-stuff"),
    (138, "net"),
    (141, "pillow"),
    (144, "platform"),
    (145, "playingfield"),
    (147, "railroad"),
    (148, "river"),
    (149, "road"),
    (151, "roof"),
    (154, "sand"),
    (155, "sea"),
    (156, "shelf"),
    (159, "snow"),
    (161, "stairs"),
    (166, "tent"),
    (168, "towel"),
    (171, "wall-brick"),
    (175, "wall-stone"),
    (176, "wall-tile"),
    (177, "wall-wood"),
    (178, "water-other"),
    (180, "window-blind"),
    (181, "window-other"),
    (184, "tree-merged"),
    (185, "fence-merged"),
    (186, "ceiling-merged"),
    (187, "sky-other-merged"),
    (188, "cabinet-merged"),
    (189, "table-merged"),
    (190, "floor-other-merged"),
    (191, "pavement-merged"),
    (192, "mountain-merged"),
    (193, "grass-merged"),
    (194, "dirt-merged"),
    (195, "paper-merged"),
    (196, "food-other-merged"),
    (197, "building-other-merged"),
    (198, "rock-merged"),
    (199, "wall-other-merged"),
    (200, "rug-merged"),
)

#: The 17 person keypoints, in the order of each annotation's ``keypoints`` triples (x, y, visibility).
COCO_KEYPOINTS: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)

#: The 19 limbs drawn between keypoints, 1-based as in ``person_keypoints_*.json``.
COCO_SKELETON: tuple[tuple[int, int], ...] = (
    (16, 14),
    (14, 12),
    (17, 15),
    (15, 13),
    (12, 13),
    (6, 12),
    (7, 13),
    (6, 7),
    (6, 8),
    (7, 9),
    (8, 10),
    (9, 11),
    (2, 3),
    (1, 2),
    (1, 3),
    (2, 4),
    (3, 5),
    (4, 6),
    (5, 7),
)

Transforms = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]]
_MAX_MASK_BYTES = 2**32  # the (K, H, W) bool masks of one image


def coco_box_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """COCO's ``[x, y, w, h]`` to ``[x0, y0, x1, y1] = [x, y, x + w, y + h]``: ``(..., 4) -> (..., 4)``.

    Taught in: chapter "Pascal VOC and COCO".
    """
    _check_boxes(boxes, "boxes")
    return torch.cat([boxes[..., :2], boxes[..., :2] + boxes[..., 2:]], dim=-1)  # (..., 4)


def xyxy_to_coco_box(boxes: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`coco_box_to_xyxy`: ``[x0, y0, x1 - x0, y1 - y0]``, ``(..., 4) -> (..., 4)``.

    Taught in: chapter "Pascal VOC and COCO".
    """
    _check_boxes(boxes, "boxes")
    return torch.cat([boxes[..., :2], boxes[..., 2:] - boxes[..., :2]], dim=-1)  # (..., 4)


# ------------------------------------------------------------------------------- run-length encoding


def rle_encode(mask: np.ndarray | torch.Tensor) -> dict[str, Any]:
    """Uncompressed COCO RLE of a binary mask, by hand: ``{"size": [h, w], "counts": [runs]}``.

    Shapes: mask ``(h, w)`` (bool or 0/1). The mask is read column by column (``mask.T.ravel()``); counts
    are the lengths of alternating runs of 0s and 1s starting with 0s (a leading 0 when pixel (0, 0) is
    set), so ``sum(counts) == h * w``. Equals ``pycocotools.mask.frPyObjects(rle, h, w)`` once compressed.

    Taught in: chapter "Pascal VOC and COCO".
    """
    if not isinstance(mask, np.ndarray | torch.Tensor | list | tuple):
        raise TypeError(
            f"mask={describe(mask)} must be a 2-D array or tensor (h, w), not {type(mask).__name__}"
        )
    if isinstance(mask, torch.Tensor) and mask.device.type == "meta":
        raise ValueError(f"mask is on the meta device (it holds no values); got {describe(mask)}")
    array = mask.detach().cpu().numpy() if isinstance(mask, torch.Tensor) else np.asarray(mask)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"mask must hold bools or 0/1 numbers; got an array of dtype {array.dtype}")
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"mask must be a non-empty 2-D array (h, w), got shape {array.shape}")
    if not np.isin(array, (0, 1)).all():
        raise ValueError("mask must be binary (bool or values 0 and 1)")
    flat = array.astype(bool).T.ravel()  # (w * h,) column-major
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1  # positions where a new run starts
    runs = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
    if flat[0]:
        runs = [0, *runs]
    return {"size": [int(array.shape[0]), int(array.shape[1])], "counts": [int(r) for r in runs]}


def rle_counts_from_string(counts: str | bytes) -> list[int]:
    """Decode pycocotools' compact RLE string into the list of run lengths, by hand.

    Each run is written as a little-endian sequence of 5-bit groups, one character per group
    (``chr(group + 48)``, bit 0x20 = "another group follows", bit 0x10 of the last group = sign); from the
    fourth run on (index 3, as pycocotools' ``rleToString``), the value stored is the difference to the run
    two places before (``counts[i - 2]``).

    Taught in: chapter "Pascal VOC and COCO".
    """
    if isinstance(counts, bytes):
        try:
            counts = counts.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"counts={describe(counts)} has bytes outside the RLE alphabet") from None
    if not isinstance(counts, str):
        raise TypeError(f"counts={describe(counts)} must be a str or bytes, got {type(counts).__name__}")
    runs: list[int] = []
    p = 0
    while p < len(counts):
        x, k, more = 0, 0, True
        while more:
            if p >= len(counts):
                raise ValueError(f"counts={counts!r} ends in the middle of a number")
            c = ord(counts[p]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"counts={counts!r} has character {counts[p]!r} outside the RLE alphabet")
            if k == _MAX_RLE_GROUPS:
                raise ValueError(
                    f"counts={describe(counts)} has a run of more than 64 bits (not an RLE string)"
                )
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)  # negative: sign-extend
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    return runs


def rle_decode(rle: dict[str, Any]) -> np.ndarray:
    """Decode a COCO RLE (uncompressed list or compact string counts) into a bool mask, by hand.

    Shapes: returns ``(h, w)`` bool for ``rle = {"size": [h, w], "counts": ...}``. Raises ``ValueError``
    when the counts do not sum to ``h * w`` or are negative, or ``h * w`` exceeds
    ``lecture_lib.datasets.voc.MAX_IMAGE_PIXELS`` (checked before anything is allocated).

    Taught in: chapter "Pascal VOC and COCO".
    """
    h, w, runs = _rle_runs(rle, "rle: ")
    values = np.arange(len(runs)) % 2 == 1  # runs alternate 0, 1, 0, ...
    flat = np.repeat(values, runs)  # (h * w,) column-major
    return flat.reshape(w, h).T  # (h, w)


def _rle_runs(rle: Any, prefix: str = "") -> tuple[int, int, list[int]]:
    """Size and runs of an RLE, checked; ``prefix`` starts every message (``"rle: "`` for the argument)."""
    if not isinstance(rle, dict) or "size" not in rle or "counts" not in rle:
        raise ValueError(f"rle must be a dict with 'size' and 'counts', got {describe(rle)}")
    size = rle["size"]
    if not (isinstance(size, list | tuple) and len(size) == 2 and all(_is_int(s) and s > 0 for s in size)):
        raise ValueError(f"{prefix}RLE size={size!r} must be [h, w] with positive integers")
    h, w = int(size[0]), int(size[1])
    if h * w > MAX_IMAGE_PIXELS:
        raise ValueError(
            f"{prefix}RLE size=[{h}, {w}] is larger than any image the loaders read ({MAX_IMAGE_PIXELS} px)"
        )
    counts = rle["counts"]
    if isinstance(counts, str | bytes):
        try:
            runs = rle_counts_from_string(counts)
        except ValueError as exc:
            raise ValueError(f"{prefix}RLE {exc}") from None
    elif isinstance(counts, list) and all(_is_int(c) for c in counts):
        runs = [int(c) for c in counts]
    else:
        raise ValueError(f"{prefix}RLE counts must be a list of integers or a compact RLE string")
    if any(r < 0 for r in runs):
        raise ValueError(f"{prefix}RLE counts contain a negative run ({min(runs)})")
    if sum(runs) != h * w:
        raise ValueError(
            f"{prefix}RLE counts sum to {sum(runs)} but size [h, w]=[{h}, {w}] gives h*w={h * w}"
        )
    return h, w, runs


def _pycocotools_decode(rle: Any) -> np.ndarray:
    """``pycocotools.mask.decode`` -> bool (H, W), without its NumPy 2 ``copy=False`` DeprecationWarning."""
    import warnings

    from pycocotools import mask as mask_utils

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword")
        return mask_utils.decode(rle).astype(bool)


_MAX_RLE_GROUPS = 13  # 13 groups of 5 bits hold any 64-bit run; more is not an RLE string


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


#: How far (in pixels) a polygon or box coordinate may lie beyond the image border. Real COCO coordinates
#: reach ``width`` and ``height`` exactly (the border of pixel column ``width - 1`` is at ``width``) and
#: hand-drawn polygons sometimes overshoot by a fraction of a pixel; anything further is refused, which
#: also bounds the work pycocotools does to rasterise a polygon.
_COORD_TOLERANCE = 2.0


def _is_finite_number(x: Any) -> bool:
    return _is_number(x) and math.isfinite(x)


def _check_id(value: Any, field: str, path: Path, note: str = "") -> None:
    if not _is_int(value):
        raise ValueError(
            f"{path}: {field}={value!r}{note} must be an integer id (not {type(value).__name__})"
        )


def _check_file_name(name: Any, field: str, path: Path, note: str) -> None:
    """A relative path that stays inside the image folder: not absolute, no drive, no '..' escaping it."""
    if not isinstance(name, str) or not name or "\x00" in name:
        raise ValueError(
            f"{path}: {field}={name!r}{note} must be a non-empty file name relative to the image folder"
        )
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).anchor:
        raise ValueError(
            f"{path}: {field}={name!r}{note} is absolute; expected a name relative to the image folder"
        )
    depth = 0
    for part in re.split(r"[/\\]", name):
        if part == "..":
            depth -= 1
            if depth < 0:
                raise ValueError(f"{path}: {field}={name!r}{note} leads outside the image folder ('..')")
        elif part not in ("", "."):
            depth += 1
    if depth == 0:
        raise ValueError(f"{path}: {field}={name!r}{note} names the image folder itself, not a file in it")


# ----------------------------------------------------------------------------------------- the JSON


def load_instances(ann_file: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a COCO instances JSON; every error names the file, the field and the annotation id.

    Checked: valid JSON with ``images``, ``annotations`` and ``categories`` lists; image, category and
    annotation ids are integers (not strings or booleans) and unique; each image's ``file_name`` is a
    relative path that stays inside the image folder (not absolute, no ``..`` leading out of it) and its
    ``height`` and ``width`` are positive integers; each annotation's ``image_id`` and ``category_id`` are
    integers that exist; ``bbox`` is four finite numbers with ``w, h >= 0`` inside the image; ``area``, when
    present, is a finite number ``>= 0``; polygons have an even number (>= 6) of finite coordinates inside
    the image; RLE ``size`` equals the image's ``[height, width]`` and its counts are non-negative and sum to
    ``h * w``; ``keypoints``, when present, are (x, y, visibility) triples of finite numbers, as many in every
    annotation of the file. "Inside the image" means ``-2 <= x <= width + 2`` (the same for
    ``y`` and ``height``), a tolerance of 2 pixels: coordinates may equal ``width`` and
    ``height`` (the far border of the last pixel), and real annotations overshoot by a fraction of a pixel.
    A NaN, infinite or far-away coordinate would otherwise crash or exhaust memory in pycocotools when the
    mask is drawn. A missing ``iscrowd`` means 0. Returns the parsed dict.

    Taught in: chapter "Pascal VOC and COCO".
    """
    path = check_path("ann_file", ann_file)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: annotation file does not exist") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: top level is a {type(data).__name__}, expected an object")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise ValueError(f"{path}: has no '{key}' list")

    images: dict[int, dict] = {}
    for i, img in enumerate(data["images"]):
        if not isinstance(img, dict) or not all(k in img for k in ("id", "file_name", "height", "width")):
            raise ValueError(f"{path}: image entry {img!r} lacks one of id, file_name, height, width")
        _check_id(img["id"], f"images[{i}].id", path)
        if img["id"] in images:
            raise ValueError(f"{path}: image id={img['id']} appears twice")
        if not (_is_int(img["height"]) and _is_int(img["width"]) and img["height"] > 0 and img["width"] > 0):
            raise ValueError(
                f"{path}: image id={img['id']} has height={img['height']!r}, width={img['width']!r}"
            )
        _check_file_name(img["file_name"], f"images[{i}].file_name", path, f" (image id={img['id']})")
        images[img["id"]] = img
    categories = set()
    for i, cat in enumerate(data["categories"]):
        if not isinstance(cat, dict) or "id" not in cat or "name" not in cat:
            raise ValueError(f"{path}: category entry {cat!r} lacks id or name")
        _check_id(cat["id"], f"categories[{i}].id", path)
        if cat["id"] in categories:
            raise ValueError(f"{path}: category id={cat['id']} appears twice")
        categories.add(cat["id"])

    ann_ids = set()
    keypoint_lengths: dict[int, int] = {}
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict) or "id" not in ann:
            raise ValueError(f"{path}: annotation entry without an id: {str(ann)[:80]}")
        _check_id(ann["id"], f"annotations[{i}].id", path)
        where = f"{path}: annotation id={ann['id']}"
        if ann["id"] in ann_ids:
            raise ValueError(f"{where} appears twice")
        ann_ids.add(ann["id"])
        for key in ("image_id", "category_id"):
            if key in ann:
                _check_id(ann[key], f"annotations[{i}].{key}", path, f" (annotation id={ann['id']})")
        img = images.get(ann.get("image_id"))
        if img is None:
            raise ValueError(f"{where} refers to image_id={ann.get('image_id')!r}, which is not in 'images'")
        if ann.get("category_id") not in categories:
            raise ValueError(
                f"{where} refers to category_id={ann.get('category_id')!r}, which is not in 'categories'"
            )
        bbox = ann.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(_is_number(v) for v in bbox)):
            raise ValueError(f"{where} has bbox={bbox!r}; expected [x, y, w, h]")
        field = f"{path}: annotations[{i}].bbox={bbox!r} (annotation id={ann['id']})"
        if not all(math.isfinite(v) for v in bbox):
            raise ValueError(f"{field} must hold finite numbers")
        if bbox[2] < 0 or bbox[3] < 0:
            raise ValueError(
                f"{where} has bbox={bbox!r} with a negative width or height (annotations[{i}].bbox)"
            )
        x0, y0, x1, y1 = bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]
        if not (_inside(x0, img["width"]) and _inside(x1, img["width"])):
            raise ValueError(f"{field} spans x from {x0} to {x1}, {_outside(img, 'width')}")
        if not (_inside(y0, img["height"]) and _inside(y1, img["height"])):
            raise ValueError(f"{field} spans y from {y0} to {y1}, {_outside(img, 'height')}")
        if "area" in ann and not (_is_finite_number(ann["area"]) and ann["area"] >= 0):
            raise ValueError(
                f"{path}: annotations[{i}].area={ann['area']!r} (annotation id={ann['id']}) must be a finite "
                "number >= 0 (the mask's pixel count)"
            )
        ann.setdefault("iscrowd", 0)
        if not _is_int(ann["iscrowd"]) or ann["iscrowd"] not in (0, 1):
            raise ValueError(f"{where} has iscrowd={ann['iscrowd']!r}; expected 0 or 1")
        field = f"{path}: annotations[{i}].segmentation"
        _check_segmentation(ann.get("segmentation"), img, where, field, ann["id"])
        if "keypoints" in ann:
            kps = ann["keypoints"]
            field = f"{path}: annotations[{i}].keypoints (annotation id={ann['id']})"
            if not (isinstance(kps, list) and kps and len(kps) % 3 == 0 and all(map(_is_finite_number, kps))):
                raise ValueError(
                    f"{field} must be a non-empty list of (x, y, visibility) triples of finite numbers"
                )
            keypoint_lengths.setdefault(len(kps), ann["id"])
            if len(keypoint_lengths) > 1:
                (n0, id0), (n1, _) = keypoint_lengths.items()
                raise ValueError(f"{field} has {n1 // 3} keypoints but annotation id={id0} has {n0 // 3}")
    return data


def _inside(v: float, size: int) -> bool:
    return -_COORD_TOLERANCE <= v <= size + _COORD_TOLERANCE


def _outside(img: dict, side: str) -> str:
    return (
        f"outside image id={img['id']} ({side} {img[side]}; coordinates must lie in "
        f"[{-_COORD_TOLERANCE:g}, {img[side] + _COORD_TOLERANCE:g}], a tolerance of {_COORD_TOLERANCE:g} px)"
    )


def _check_segmentation(seg: Any, img: dict, where: str, field: str, ann_id: int) -> None:
    if isinstance(seg, list):
        if not seg:
            raise ValueError(f"{where} has an empty polygon list")
        for k, poly in enumerate(seg):
            if not isinstance(poly, list) or not all(_is_number(v) for v in poly):
                raise ValueError(f"{where}: polygon {k} must be a flat list of numbers [x1, y1, x2, y2, ...]")
            if len(poly) < 6 or len(poly) % 2:
                raise ValueError(
                    f"{where}: polygon {k} has {len(poly)} coordinates; expected an even number >= 6 "
                    "(at least three (x, y) points)"
                )
            for j, v in enumerate(poly):
                side = "width" if j % 2 == 0 else "height"
                if not math.isfinite(v):
                    raise ValueError(f"{field}[{k}][{j}]={v!r} (annotation id={ann_id}) must be finite")
                if not _inside(v, img[side]):
                    raise ValueError(
                        f"{field}[{k}][{j}]={v!r} (annotation id={ann_id}), "
                        f"{'an x' if side == 'width' else 'a y'} coordinate, lies {_outside(img, side)}"
                    )
    elif isinstance(seg, dict):
        try:
            h, w, _ = _rle_runs(seg)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if (h, w) != (img["height"], img["width"]):
            raise ValueError(
                f"{where}: RLE size [h, w]=[{h}, {w}] differs from image id={img['id']} "
                f"([{img['height']}, {img['width']}])"
            )
    else:
        raise ValueError(f"{where} has segmentation of type {type(seg).__name__}; expected polygons or RLE")


class CocoDetection(Dataset):
    """COCO instances through pycocotools: ``(image (3, H, W) float in [0, 1], target)``.

    ``root`` is the image folder, ``ann_file`` the instances JSON (validated by :func:`load_instances`).
    ``target`` holds ``boxes`` float32 ``(K, 4)`` xyxy (from COCO's xywh), ``labels`` int64 ``(K,)`` (the
    category ids, with their gaps), ``masks`` bool ``(K, H, W)`` (polygons merged and RLE decoded by
    ``pycocotools.mask``), ``iscrowd`` bool ``(K,)``, ``area`` float32 ``(K,)`` (the annotation's, i.e. the
    mask's pixel count), ``image_id`` int, and ``keypoints`` float32 ``(K, 17, 3)`` when the file has them.
    Every image file is checked to exist when the dataset is built. ``self.coco`` is the pycocotools
    ``COCO`` object (for ``COCOeval``).
    A missing ``area`` is taken as the mask's pixel count (COCO's definition of area). ``transforms(image, target)`` returns the transformed pair.

    Taught in: chapter "Pascal VOC and COCO".
    """

    def __init__(
        self, root: str | os.PathLike, ann_file: str | os.PathLike, transforms: Transforms | None = None
    ) -> None:
        from pycocotools.coco import COCO

        root, ann_file = check_path("root", root), check_path("ann_file", ann_file)
        if transforms is not None and not callable(transforms):
            raise TypeError(f"transforms={transforms!r} must be callable (image, target) -> (image, target)")
        self.root, self.ann_file, self.transforms = root, ann_file, transforms
        data = load_instances(self.ann_file)
        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress and timings
            coco = COCO()
            coco.dataset = data
            coco.createIndex()
        self.coco = coco
        self.ids = sorted(coco.imgs)
        present = set(os.listdir(self.root)) if self.root.is_dir() else set()
        for image_id in self.ids:
            name = coco.imgs[image_id]["file_name"]
            if name not in present and not (self.root / name).is_file():
                raise FileNotFoundError(
                    f"{self.ann_file}: image id={image_id} has file_name={name!r} but {self.root / name} "
                    "does not exist"
                )
        self.categories = {c["id"]: c["name"] for c in data["categories"]}

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, Any]:
        from pycocotools import mask as mask_utils

        from .voc import read_image

        image_id = self.ids[_check_index(index, len(self))]
        info = self.coco.imgs[image_id]
        h, w = info["height"], info["width"]
        image = read_image(self.root / info["file_name"])  # (3, H, W)
        if tuple(image.shape[1:]) != (h, w):
            raise ValueError(
                f"{self.root / info['file_name']}: image is {image.shape[2]} x {image.shape[1]} but "
                f"{self.ann_file} says width={w}, height={h} (image id={image_id})"
            )
        anns = self.coco.imgToAnns.get(image_id, [])
        if len(anns) * h * w > _MAX_MASK_BYTES:
            raise ValueError(
                f"{self.ann_file}: image id={image_id} has {len(anns)} annotations; their {h} x {w} masks would "
                f"take {len(anns) * h * w / 2**30:.1f} GiB (more than {_MAX_MASK_BYTES / 2**30:.0f} GiB)"
            )
        masks = np.zeros((len(anns), h, w), dtype=bool)  # (K, H, W)
        for k, ann in enumerate(anns):
            seg = ann["segmentation"]
            if isinstance(seg, list):  # polygons: one RLE per part, merged into one mask
                rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
            elif isinstance(seg["counts"], list):  # uncompressed RLE (crowd regions)
                rle = mask_utils.frPyObjects(seg, h, w)
            else:  # compact RLE string
                rle = seg
            masks[k] = _pycocotools_decode(rle)
        boxes = torch.tensor([a["bbox"] for a in anns], dtype=torch.float64).reshape(-1, 4)  # (K, 4) xywh
        target: dict[str, Any] = {
            "boxes": coco_box_to_xyxy(boxes).float(),  # (K, 4) xyxy
            "labels": torch.tensor([a["category_id"] for a in anns], dtype=torch.int64),
            "masks": torch.from_numpy(masks),
            "iscrowd": torch.tensor([bool(a["iscrowd"]) for a in anns], dtype=torch.bool),
            "area": torch.tensor([float(a.get("area", m.sum())) for a, m in zip(anns, masks)]).float(),
            "image_id": image_id,
        }
        if any("keypoints" in a for a in anns):
            n = next(len(a["keypoints"]) for a in anns if "keypoints" in a)  # one length per file (checked)
            kps = [a.get("keypoints", [0] * n) for a in anns]
            target["keypoints"] = torch.tensor(kps, dtype=torch.float32).reshape(
                len(anns), -1, 3
            )  # (K, 17, 3)
        if self.transforms is not None:
            return self.transforms(image, target)
        return image, target

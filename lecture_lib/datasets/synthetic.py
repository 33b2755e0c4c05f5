"""Small datasets of drawn shapes written in the real VOC and COCO on-disk formats (offline fixtures).

Four classes, each a distinct shape and colour, on a textured background:

=============  ====================  =========  =================
VOC class      COCO category (id)    shape      colour (RGB)
=============  ====================  =========  =================
aeroplane      airplane (5)          cross      red
boat           boat (9)              triangle   blue
sheep          sheep (20)            disc       pale yellow
tvmonitor      tv (72)               rectangle  green
=============  ====================  =========  =================

Sizes, positions, rotations and colours are jittered and every pixel gets noise, so a network has to use
shape and colour, yet a small encoder-decoder learns the task in seconds. Every shape is a polygon
rasterised by ``pycocotools.mask`` (the same rasteriser COCO uses), so the painted pixels, the VOC masks
and the COCO polygons agree exactly. Objects lie fully inside the image and do not touch each other.

Taught in: chapters "Pascal VOC and COCO" and "Segmentation" (their offline data).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from .._validate import check_int, check_path, check_real, describe, is_int
from .voc import VOC_CLASSES, VOC_VOID, voc_colormap

__all__ = ["SHAPE_CLASSES", "make_coco_shapes", "make_voc_shapes"]

#: (VOC class, COCO category id, shape, RGB colour) of each drawn class.
SHAPE_CLASSES: tuple[tuple[str, int, str, tuple[int, int, int]], ...] = (
    ("aeroplane", 5, "cross", (200, 55, 50)),
    ("boat", 9, "triangle", (45, 85, 205)),
    ("sheep", 20, "disc", (235, 215, 140)),
    ("tvmonitor", 72, "rectangle", (55, 170, 80)),
)


#: Limits that keep one call small (these are fixtures): sides, images, objects per image, void width.
_MAX_SIDE, _MAX_IMAGES, _MAX_OBJECTS, _MAX_VOID = 2048, 100_000, 32, 16


def _check_size(image_size: tuple[int, int]) -> tuple[int, int]:
    if not isinstance(image_size, tuple | list) or not all(is_int(s) for s in image_size):
        raise TypeError(f"image_size={describe(image_size)} must be a pair (H, W) of ints")
    if len(image_size) != 2 or not all(32 <= s <= _MAX_SIDE for s in image_size):
        raise ValueError(f"image_size={image_size!r} must be (H, W) with integers in [32, {_MAX_SIDE}]")
    return int(image_size[0]), int(image_size[1])


def _check_count(value: int, name: str, minimum: int, maximum: int) -> int:
    return check_int(name, value, minimum, maximum)


def _check_seed(seed: int) -> int:
    return check_int("seed", seed, 0)


# -------------------------------------------------------------------------------------------- drawing


def _polygon(shape: str, cx: float, cy: float, size: float, angle: float, aspect: float) -> list[float]:
    """Vertices (flat x, y list) of a shape of extent ``size`` centred at (cx, cy), rotated by ``angle``."""
    h = size / 2
    if shape == "rectangle":
        pts = [(-h, -h * aspect), (h, -h * aspect), (h, h * aspect), (-h, h * aspect)]
    elif shape == "triangle":
        pts = [(0.0, -h), (h, h), (-h, h)]
    elif shape == "cross":
        t = size / 6  # half the arm thickness
        pts = [
            (-t, -h),
            (t, -h),
            (t, -t),
            (h, -t),
            (h, t),
            (t, t),
            (t, h),
            (-t, h),
            (-t, t),
            (-h, t),
            (-h, -t),
            (-t, -t),
        ]
    elif shape == "disc":
        a = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        pts = list(zip(h * np.cos(a), h * np.sin(a)))
    else:  # pragma: no cover - internal table
        raise ValueError(f"shape={shape!r} is unknown")
    c, s = np.cos(angle), np.sin(angle)
    out: list[float] = []
    for x, y in pts:
        out += [float(cx + c * x - s * y), float(cy + s * x + c * y)]
    return out


def _rasterize(polygons: list[list[float]], height: int, width: int) -> np.ndarray:
    """Polygons -> bool mask (H, W) with pycocotools' rasteriser (the one COCO's masks come from)."""
    from pycocotools import mask as mask_utils

    from .coco import _pycocotools_decode

    rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
    return _pycocotools_decode(rle)  # (H, W)


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by a (2r+1) x (2r+1) square, done separably (rows, then columns)."""
    if r == 0:
        return mask.copy()
    h, w = mask.shape
    padded = np.pad(mask, r)  # (H + 2r, W + 2r)
    rows = np.zeros((h + 2 * r, w), dtype=bool)
    for dx in range(2 * r + 1):
        rows |= padded[:, dx : dx + w]
    out = np.zeros((h, w), dtype=bool)
    for dy in range(2 * r + 1):
        out |= rows[dy : dy + h]
    return out


def _void_band(mask: np.ndarray, r: int) -> np.ndarray:
    """Pixels within ``r`` of the object's outline, inside and outside (VOC's void border)."""
    return _dilate(mask, r) & _dilate(~mask, r)


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A grey-ish textured background: a tinted level, a gradient in a random direction, pixel noise."""
    level = rng.uniform(60, 170)
    tint = rng.uniform(-15, 15, size=3)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    theta = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(theta) * xx / width + np.sin(theta) * yy / height) * rng.uniform(10, 40)
    image = level + tint[None, None, :] + ramp[:, :, None]  # (H, W, 3)
    return image + rng.normal(0, 10, size=(height, width, 3))


def _paint(
    image: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int], rng: np.random.Generator
) -> None:
    jitter = rng.normal(0, 12, size=3)
    noise = rng.normal(0, 10, size=(int(mask.sum()), 3))
    image[mask] = np.asarray(colour, dtype=np.float64) + jitter + noise


def _place(
    rng: np.random.Generator, height: int, width: int, occupied: np.ndarray, margin: int
) -> tuple[int, list[float], np.ndarray] | None:
    """Try to place one random shape inside the image, ``margin`` pixels away from ``occupied``."""
    side = min(height, width)
    blocked = _dilate(occupied, margin)  # a new shape may not touch these pixels
    for _ in range(30):
        k = int(rng.integers(len(SHAPE_CLASSES)))
        size = rng.uniform(0.25, 0.45) * side
        reach = size * 0.75 + margin  # a rotated shape stays within 0.71 size of its centre
        if 2 * reach >= side:
            continue
        cx, cy = rng.uniform(reach, width - reach), rng.uniform(reach, height - reach)
        angle = rng.uniform(-0.35, 0.35) if SHAPE_CLASSES[k][2] != "disc" else 0.0
        poly = _polygon(SHAPE_CLASSES[k][2], cx, cy, size, angle, rng.uniform(0.65, 1.0))
        mask = _rasterize([poly], height, width)
        if mask.sum() >= 16 and not (mask & blocked).any():
            return k, poly, mask
    return None


def _scene(
    rng: np.random.Generator,
    height: int,
    width: int,
    max_objects: int,
    margin: int,
    occupied: np.ndarray | None,
) -> tuple[np.ndarray, list[tuple[int, list[float], np.ndarray]]]:
    image = _background(rng, height, width)  # (H, W, 3) float
    occupied = np.zeros((height, width), dtype=bool) if occupied is None else occupied.copy()
    objects = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        placed = _place(rng, height, width, occupied, margin)
        if placed is None:
            continue
        k, poly, mask = placed
        _paint(image, mask, SHAPE_CLASSES[k][3], rng)
        occupied |= mask
        objects.append(placed)
    return image, objects


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _save_jpeg(image: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(_to_uint8(image)).save(path, quality=92)


def _save_palette_png(mask: np.ndarray, path: Path, palette: bytes) -> None:
    from PIL import Image

    img = Image.frombytes(
        "P", (mask.shape[1], mask.shape[0]), np.ascontiguousarray(mask, dtype=np.uint8).tobytes()
    )
    img.putpalette(palette)
    img.save(path)


# ------------------------------------------------------------------------------------------------ VOC


def _voc_xml(image_id: str, height: int, width: int, objects: list[tuple[int, np.ndarray]]) -> str:
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = "VOC2012"
    ET.SubElement(root, "filename").text = f"{image_id}.jpg"
    source = ET.SubElement(root, "source")
    ET.SubElement(source, "database").text = "lecture_lib synthetic shapes"
    ET.SubElement(source, "annotation").text = "PASCAL VOC2012 format"
    size = ET.SubElement(root, "size")
    for tag, value in (("width", width), ("height", height), ("depth", 3)):
        ET.SubElement(size, tag).text = str(value)
    ET.SubElement(root, "segmented").text = "1"
    for k, mask in objects:
        rows, cols = np.nonzero(mask)
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = SHAPE_CLASSES[k][0]
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = "0"
        ET.SubElement(obj, "occluded").text = "0"
        ET.SubElement(obj, "difficult").text = "0"
        box = ET.SubElement(obj, "bndbox")  # 1-based inclusive: first and last covered pixel, counted from 1
        for tag, value in (
            ("xmin", cols.min() + 1),
            ("ymin", rows.min() + 1),
            ("xmax", cols.max() + 1),
            ("ymax", rows.max() + 1),
        ):
            ET.SubElement(box, tag).text = str(int(value))
    ET.indent(root, space="\t")
    return ET.tostring(root, encoding="unicode") + "\n"


def make_voc_shapes(
    root: str | os.PathLike,
    n_images: int,
    image_size: tuple[int, int] = (64, 64),
    seed: int = 0,
    *,
    val_fraction: float = 0.25,
    max_objects: int = 3,
    void_width: int = 1,
) -> Path:
    """Write a ``VOCdevkit/VOC2012`` tree of drawn shapes under ``root``; returns the ``VOC2012`` folder.

    Written: ``JPEGImages/<id>.jpg`` (RGB, H x W); ``SegmentationClass/<id>.png`` (palette PNG with the VOC
    colormap: class index per pixel, 255 on a band of ``void_width`` pixels on either side of each object's
    outline, as in the real data); ``SegmentationObject/<id>.png`` (object number 1..K, same void band);
    ``Annotations/<id>.xml`` (1-based inclusive boxes, flags); ``ImageSets/Segmentation`` and
    ``ImageSets/Main`` ``train.txt``, ``val.txt``, ``trainval.txt``, and the per-class
    ``Main/<class>_<set>.txt`` files (`` 1`` present, ``-1`` absent). Ids look like ``2012_000007``. The last
    ``round(n_images * val_fraction)`` ids form ``val``. Same ``seed``, same files.
    Read it with ``VOCSegmentation(root)`` or ``VOCDetection(root)``.

    Taught in: chapters "Pascal VOC and COCO" and "Segmentation".
    """
    root = check_path("root", root)
    n_images = _check_count(n_images, "n_images", 1, _MAX_IMAGES)
    height, width = _check_size(image_size)
    seed = _check_seed(seed)
    max_objects = _check_count(max_objects, "max_objects", 1, _MAX_OBJECTS)
    void_width = _check_count(void_width, "void_width", 0, _MAX_VOID)
    val_fraction = check_real("val_fraction", val_fraction, 0.0)
    if val_fraction >= 1:
        raise ValueError(f"val_fraction={val_fraction!r} must be a number in [0, 1)")
    rng = np.random.default_rng(seed)
    base = root / "VOCdevkit" / "VOC2012"
    folders = {
        name: base / name
        for name in ("JPEGImages", "SegmentationClass", "SegmentationObject", "Annotations")
        + ("ImageSets/Segmentation", "ImageSets/Main")
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    palette = voc_colormap().numpy().tobytes()
    margin = 2 * void_width + 2
    ids, present = [], []
    for i in range(n_images):
        image_id = f"2012_{i:06d}"
        image, objects = _scene(rng, height, width, max_objects, margin, None)
        semantic = np.zeros((height, width), dtype=np.uint8)
        instance = np.zeros((height, width), dtype=np.uint8)
        void = np.zeros((height, width), dtype=bool)
        for number, (k, _poly, mask) in enumerate(objects, start=1):
            semantic[mask] = VOC_CLASSES.index(SHAPE_CLASSES[k][0])
            instance[mask] = number
            if void_width:
                void |= _void_band(mask, void_width)
        semantic[void] = VOC_VOID
        instance[void] = VOC_VOID
        _save_jpeg(image, folders["JPEGImages"] / f"{image_id}.jpg")
        _save_palette_png(semantic, folders["SegmentationClass"] / f"{image_id}.png", palette)
        _save_palette_png(instance, folders["SegmentationObject"] / f"{image_id}.png", palette)
        xml = _voc_xml(image_id, height, width, [(k, mask) for k, _poly, mask in objects])
        (folders["Annotations"] / f"{image_id}.xml").write_text(xml)
        ids.append(image_id)
        present.append({SHAPE_CLASSES[k][0] for k, _poly, _mask in objects})

    n_val = int(round(n_images * val_fraction))
    splits = {"train": list(range(n_images - n_val)), "val": list(range(n_images - n_val, n_images))}
    splits["trainval"] = list(range(n_images))
    for split, members in splits.items():
        listing = "".join(f"{ids[i]}\n" for i in members)
        (folders["ImageSets/Segmentation"] / f"{split}.txt").write_text(listing)
        (folders["ImageSets/Main"] / f"{split}.txt").write_text(listing)
        for name in VOC_CLASSES[1:]:
            lines = "".join(f"{ids[i]} {1 if name in present[i] else -1:2d}\n" for i in members)
            (folders["ImageSets/Main"] / f"{name}_{split}.txt").write_text(lines)
    return base


# ----------------------------------------------------------------------------------------------- COCO


def make_coco_shapes(
    root: str | os.PathLike,
    n_images: int = 8,
    image_size: tuple[int, int] = (64, 64),
    seed: int = 0,
    *,
    split: str = "val2017",
    max_objects: int = 3,
) -> tuple[Path, Path]:
    """Write COCO-format images and an instances JSON of drawn shapes; returns ``(image_dir, ann_file)``.

    Written: ``<root>/<split>/<id:012d>.jpg`` and ``<root>/annotations/instances_<split>.json`` with the
    four categories of :data:`SHAPE_CLASSES` (their real COCO ids 5, 9, 20, 72). Objects are polygons
    (``iscrowd=0``). Image id 1 also holds a crowd of small sheep stored as an uncompressed RLE
    (``iscrowd=1``); image id 2 holds a tv cut in two by a pole, one annotation with two polygons; the last
    image has no annotation. ``bbox`` is the tight xywh box of the mask and ``area`` its pixel count
    (``pycocotools.mask.toBbox`` and ``area``). Needs ``n_images >= 3``. Read it with
    ``CocoDetection(image_dir, ann_file)``.

    Taught in: chapter "Pascal VOC and COCO".
    """
    from pycocotools import mask as mask_utils

    from .coco import COCO_CATEGORIES, rle_encode

    root = check_path("root", root)
    n_images = _check_count(n_images, "n_images", 3, _MAX_IMAGES)
    height, width = _check_size(image_size)
    seed = _check_seed(seed)
    max_objects = _check_count(max_objects, "max_objects", 1, _MAX_OBJECTS)
    if not isinstance(split, str):
        raise TypeError(f"split={describe(split)} must be a folder name (str) such as 'val2017'")
    if not split or "/" in split or "\\" in split or split in (".", "..") or split == "annotations":
        raise ValueError(f"split={split!r} must be a folder name such as 'val2017'")
    rng = np.random.default_rng(seed)
    image_dir = root / split
    ann_dir = root / "annotations"
    image_dir.mkdir(parents=True, exist_ok=True)
    ann_dir.mkdir(parents=True, exist_ok=True)
    supercategory = {c[0]: c[2] for c in COCO_CATEGORIES}
    categories = [
        {
            "id": cat_id,
            "name": next(c[1] for c in COCO_CATEGORIES if c[0] == cat_id),
            "supercategory": supercategory[cat_id],
        }
        for _name, cat_id, _shape, _colour in SHAPE_CLASSES
    ]
    images, annotations = [], []

    def add(image_id: int, cat_id: int, segmentation: object, mask: np.ndarray, iscrowd: int) -> None:
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        bbox = [float(v) for v in mask_utils.toBbox(rle)]
        annotations.append(
            {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": cat_id,
                "segmentation": segmentation,
                "area": float(mask_utils.area(rle)),
                "bbox": bbox,
                "iscrowd": iscrowd,
            }
        )

    for index in range(n_images):
        image_id = index + 1
        if index == 0:  # a crowd of small sheep stored as one uncompressed RLE, then ordinary objects
            image = _background(rng, height, width)
            crowd = np.zeros((height, width), dtype=bool)
            r = max(2.0, min(height, width) / 20)
            x0, y0 = rng.uniform(r + 2, width - 8 * r - 2), rng.uniform(r + 2, height / 2 - 3 * r)
            left_out = set(rng.choice(6, size=int(rng.integers(0, 3)), replace=False).tolist())
            for row in range(2):  # a loose 2 x 3 grid of small discs, up to two left out
                for col in range(3):
                    if 3 * row + col in left_out:
                        continue
                    cx = x0 + 2.7 * r * (col + row / 2) + rng.uniform(-0.3, 0.3) * r
                    cy = y0 + 2.5 * r * row + rng.uniform(-0.3, 0.3) * r
                    crowd |= _rasterize([_polygon("disc", cx, cy, 2 * r, 0.0, 1.0)], height, width)
            _paint(image, crowd, SHAPE_CLASSES[2][3], rng)
            add(image_id, SHAPE_CLASSES[2][1], rle_encode(crowd), crowd, 1)
            scene, objects = _scene(rng, height, width, max_objects, 3, crowd)
            for k, poly, mask in objects:
                image[mask] = scene[mask]
                add(image_id, SHAPE_CLASSES[k][1], [poly], mask, 0)
        elif index == 1:  # a tv behind a pole: one object, two polygons
            image = _background(rng, height, width)
            y0, y1 = height * 0.3, height * 0.7
            x0, x1 = width * 0.2, width * 0.8
            xm = width / 2 - 1.5
            parts = [[x0, y0, xm, y0, xm, y1, x0, y1], [xm + 3, y0, x1, y0, x1, y1, xm + 3, y1]]
            tv = _rasterize(parts, height, width)
            _paint(image, tv, SHAPE_CLASSES[3][3], rng)
            pole = np.zeros((height, width), dtype=bool)
            pole[:, int(np.floor(xm)) : int(np.ceil(xm + 3))] = True
            pole &= ~tv
            image[pole] = 40 + rng.normal(0, 5, size=(int(pole.sum()), 3))
            add(image_id, SHAPE_CLASSES[3][1], parts, tv, 0)
        elif index == n_images - 1:  # no annotation at all
            image = _background(rng, height, width)
        else:
            image, objects = _scene(rng, height, width, max_objects, 3, None)
            for k, poly, mask in objects:
                add(image_id, SHAPE_CLASSES[k][1], [poly], mask, 0)
        file_name = f"{image_id:012d}.jpg"
        _save_jpeg(image, image_dir / file_name)
        images.append({"id": image_id, "file_name": file_name, "height": height, "width": width})

    data = {
        "info": {"description": "lecture_lib synthetic shapes in COCO format", "version": "1.0"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }
    ann_file = ann_dir / f"instances_{split}.json"
    ann_file.write_text(json.dumps(data))
    return image_dir, ann_file

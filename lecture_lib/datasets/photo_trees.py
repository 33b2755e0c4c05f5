"""Real photographs written as small VOC and COCO trees, with annotations made by the course.

Four photographs ship with scikit-image (``skimage.data``), so they are there offline: a cat (``chelsea``),
an astronaut, a motorcycle (``stereo_motorcycle``, left view) and a cup of coffee. The boxes and masks are
**not** from Pascal VOC or COCO: the course outlined each object by hand with the polygons of
:data:`PHOTO_OBJECTS` (pixel coordinates, COCO's continuous convention in which pixel column ``i`` covers
``[i, i + 1)``). Masks are these polygons rasterised by ``pycocotools.mask``, the rasteriser COCO uses, so the
VOC palette PNGs and the COCO polygons describe exactly the same pixels (the VOC masks add a void border).

=============  ============  =========================  ===================================
photograph     size (W x H)  VOC class                  COCO categories (id)
=============  ============  =========================  ===================================
chelsea        451 x 300     cat (truncated)            cat (17)
astronaut      512 x 512     person (truncated,         person (1)
                             occluded by the helmet)
motorcycle     741 x 500     motorbike                  motorcycle (4)
coffee         600 x 400     (none: VOC has no cup)     cup (47), spoon (50, two polygons)
=============  ============  =========================  ===================================

Taught in: chapter "Pascal VOC and COCO".
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_path, describe
from .synthetic import _rasterize, _save_jpeg, _save_palette_png, _void_band
from .voc import VOC_CLASSES, VOC_VOID, voc_colormap

__all__ = ["PHOTO_OBJECTS", "write_coco_photo_tree", "write_voc_photo_tree"]

#: The objects of each photograph, in the order of the trees, as tuples ``(VOC class or None, COCO category
#: id, truncated, occluded, polygons)``; each polygon is a flat ``[x1, y1, x2, y2, ...]`` list in pixels.
PHOTO_OBJECTS: dict[str, tuple[tuple[str | None, int, bool, bool, tuple[tuple[float, ...], ...]], ...]] = {
    "chelsea": (
        (
            "cat",
            17,
            True,  # cut by the frame on three sides
            False,
            (
                (0, 300, 0, 55, 12, 28, 28, 0, 396, 0, 392, 30, 379, 70, 367, 110)
                + (362, 150, 353, 185, 339, 215, 326, 245, 313, 275, 305, 300),
            ),
        ),
    ),
    "astronaut": (
        (
            "person",
            1,
            True,  # cut at the waist
            True,  # the helmet hides part of the suit
            (
                (30, 512, 22, 440, 20, 380, 25, 330, 36, 290, 58, 262, 88, 240, 112, 215)
                + (118, 180, 140, 160, 160, 150, 153, 120, 150, 85, 160, 50, 185, 25, 220, 14)
                + (255, 17, 285, 35, 300, 65, 302, 100, 295, 130, 292, 150, 304, 180, 310, 215)
                + (330, 240, 348, 265, 357, 300, 362, 345, 345, 352, 320, 368, 300, 390, 288, 420)
                + (282, 460, 280, 512),
            ),
        ),
    ),
    "motorcycle": (
        (
            "motorbike",
            4,
            False,
            False,
            (
                (93, 200, 105, 195, 150, 160, 200, 163, 260, 175, 333, 190, 360, 163, 373, 153)
                + (345, 150, 345, 130, 375, 110, 400, 125, 440, 130, 470, 105, 480, 78, 525, 80)
                + (540, 110, 560, 125, 585, 122, 585, 142, 565, 150, 560, 185, 545, 200, 560, 255)
                + (590, 262, 625, 270, 645, 295, 670, 330, 682, 375, 675, 415, 655, 440, 625, 450)
                + (590, 440, 560, 415, 535, 380, 520, 345, 470, 370, 430, 375, 350, 370, 345, 380)
                + (345, 432, 330, 432, 328, 380, 290, 365, 262, 390, 230, 400, 195, 398, 160, 385)
                + (135, 360, 122, 325, 125, 290, 140, 260, 150, 245, 120, 240, 95, 225),
            ),
        ),
    ),
    "coffee": (
        (
            None,
            47,
            False,
            False,
            (
                (290, 18, 330, 22, 365, 35, 393, 60, 406, 90, 408, 120, 402, 160, 390, 190)
                + (375, 215, 355, 245, 335, 265, 300, 278, 265, 272, 258, 285, 245, 300, 225, 306)
                + (205, 300, 196, 285, 197, 260, 208, 240, 198, 225, 185, 200, 177, 165, 173, 130)
                + (176, 95, 190, 60, 215, 38, 250, 22),
            ),
        ),
        (
            None,
            50,
            False,
            True,  # the cup hides the middle of the handle: one spoon, two polygons
            (
                (400, 75, 408, 68, 420, 66, 424, 72, 419, 98, 412, 122, 406, 140, 404, 110),
                (384, 205, 391, 210, 390, 228, 400, 245, 405, 270, 400, 300, 385, 318, 360, 325)
                + (338, 318, 326, 298, 326, 272, 335, 252, 352, 240, 372, 232, 380, 222),
            ),
        ),
    ),
}

#: Width of VOC's void band: pixels within this many pixels of an outline, on either side, are 255.
_VOID_WIDTH = 2
_DESCRIPTION = "scikit-image sample photographs, annotated by lecture_lib (not VOC or COCO annotations)"


def _photo(name: str) -> np.ndarray:
    """The photograph ``name`` from ``skimage.data`` as ``(H, W, 3)`` uint8."""
    from skimage import data

    if name == "motorcycle":
        return data.stereo_motorcycle()[0]  # the left view of the stereo pair
    return getattr(data, name)()


def _masks(name: str, height: int, width: int) -> list[np.ndarray]:
    """One bool ``(H, W)`` mask per object of ``name``: its polygons merged by pycocotools."""
    return [_rasterize([list(p) for p in obj[4]], height, width) for obj in PHOTO_OBJECTS[name]]


def _check_root(root: Any) -> Path:
    root = check_path("root", root)
    if root.exists() and not root.is_dir():
        raise ValueError(f"root={str(root)!r} exists and is not a folder")
    return root


# ------------------------------------------------------------------------------------------------ VOC


def _voc_xml(name: str, height: int, width: int, masks: list[np.ndarray]) -> str:
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = "VOC2012"
    ET.SubElement(root, "filename").text = f"{name}.jpg"
    source = ET.SubElement(root, "source")
    ET.SubElement(source, "database").text = _DESCRIPTION
    ET.SubElement(source, "annotation").text = "PASCAL VOC2012 format"
    size = ET.SubElement(root, "size")
    for tag, value in (("width", width), ("height", height), ("depth", 3)):
        ET.SubElement(size, tag).text = str(value)
    ET.SubElement(root, "segmented").text = "1"
    for (voc_class, _cat, truncated, occluded, _polys), mask in zip(PHOTO_OBJECTS[name], masks):
        if voc_class is None:
            continue
        rows, cols = np.nonzero(mask)
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = voc_class
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = str(int(truncated))
        ET.SubElement(obj, "occluded").text = str(int(occluded))
        ET.SubElement(obj, "difficult").text = "0"
        box = ET.SubElement(obj, "bndbox")  # 1-based inclusive: first and last covered pixel
        for tag, value in zip(
            ("xmin", "ymin", "xmax", "ymax"), (cols.min(), rows.min(), cols.max(), rows.max())
        ):
            ET.SubElement(box, tag).text = str(int(value) + 1)
    ET.indent(root, space="\t")
    return ET.tostring(root, encoding="unicode") + "\n"


def write_voc_photo_tree(root: str | os.PathLike) -> Path:
    """Write the photographs with a VOC class as a ``VOCdevkit/VOC2012`` tree under ``root``.

    Returns the ``VOC2012`` folder. Written, for the ids ``chelsea``, ``astronaut`` and ``motorcycle``
    (the coffee photograph has no VOC class): ``JPEGImages/<id>.jpg`` (RGB, the photograph's full size);
    ``SegmentationClass/<id>.png`` (palette PNG with the VOC colormap: class index inside the object's
    polygons of :data:`PHOTO_OBJECTS`, 0 elsewhere, 255 = void on a band of 2 pixels on either side of the
    outline); ``SegmentationObject/<id>.png`` (object number, same void band); ``Annotations/<id>.xml``
    (1-based inclusive box of the mask, flags); ``ImageSets/Segmentation`` and ``ImageSets/Main``
    ``val.txt`` and ``trainval.txt`` (all three ids; there is no ``train``) and ``Main/<class>_<set>.txt``.
    Two calls write the same bytes. Read it with ``VOCSegmentation(root, image_set="val")`` or
    ``VOCDetection(root, image_set="val")``.

    Taught in: chapter "Pascal VOC and COCO".
    """
    root = _check_root(root)
    base = root / "VOCdevkit" / "VOC2012"
    folders = {
        name: base / name
        for name in ("JPEGImages", "SegmentationClass", "SegmentationObject", "Annotations")
        + ("ImageSets/Segmentation", "ImageSets/Main")
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    palette = voc_colormap().numpy().tobytes()
    ids, present = [], []
    for name, objects in PHOTO_OBJECTS.items():
        if all(obj[0] is None for obj in objects):
            continue
        image = _photo(name)  # (H, W, 3) uint8
        height, width = image.shape[:2]
        masks = _masks(name, height, width)
        semantic = np.zeros((height, width), dtype=np.uint8)
        instance = np.zeros((height, width), dtype=np.uint8)
        void = np.zeros((height, width), dtype=bool)
        number = 0
        for obj, mask in zip(objects, masks):
            if obj[0] is None:
                continue
            number += 1
            semantic[mask] = VOC_CLASSES.index(obj[0])
            instance[mask] = number
            void |= _void_band(mask, _VOID_WIDTH)
        semantic[void] = VOC_VOID
        instance[void] = VOC_VOID
        _save_jpeg(image.astype(np.float64), folders["JPEGImages"] / f"{name}.jpg")
        _save_palette_png(semantic, folders["SegmentationClass"] / f"{name}.png", palette)
        _save_palette_png(instance, folders["SegmentationObject"] / f"{name}.png", palette)
        (folders["Annotations"] / f"{name}.xml").write_text(_voc_xml(name, height, width, masks))
        ids.append(name)
        present.append({obj[0] for obj in objects})
    listing = "".join(f"{i}\n" for i in ids)
    for split in ("val", "trainval"):
        (folders["ImageSets/Segmentation"] / f"{split}.txt").write_text(listing)
        (folders["ImageSets/Main"] / f"{split}.txt").write_text(listing)
        for voc_class in VOC_CLASSES[1:]:
            lines = "".join(f"{i} {1 if voc_class in p else -1:2d}\n" for i, p in zip(ids, present))
            (folders["ImageSets/Main"] / f"{voc_class}_{split}.txt").write_text(lines)
    return base


# ----------------------------------------------------------------------------------------------- COCO


def write_coco_photo_tree(root: str | os.PathLike, split: str = "val2017") -> tuple[Path, Path]:
    """Write the four photographs as COCO images and instances JSON; returns ``(image_dir, ann_file)``.

    Written: ``<root>/<split>/<id:012d>.jpg`` (ids 1 to 4 in the order of :data:`PHOTO_OBJECTS`) and
    ``<root>/annotations/instances_<split>.json`` with the categories used (their real COCO ids and names)
    and one annotation per object: ``segmentation`` its polygons of :data:`PHOTO_OBJECTS` (the spoon has two),
    ``bbox`` the tight ``[x, y, w, h]`` box of the rasterised mask and ``area`` its pixel count
    (``pycocotools.mask.toBbox`` and ``area``), ``iscrowd`` 0. Two calls write the same bytes. Read it with
    ``CocoDetection(image_dir, ann_file)``.

    Taught in: chapter "Pascal VOC and COCO".
    """
    from pycocotools import mask as mask_utils

    from .coco import COCO_CATEGORIES

    root = _check_root(root)
    if not isinstance(split, str):
        raise TypeError(f"split={describe(split)} must be a folder name (str) such as 'val2017'")
    if not split or "/" in split or "\\" in split or split in (".", "..") or split == "annotations":
        raise ValueError(f"split={split!r} must be a folder name such as 'val2017'")
    image_dir, ann_dir = root / split, root / "annotations"
    image_dir.mkdir(parents=True, exist_ok=True)
    ann_dir.mkdir(parents=True, exist_ok=True)
    used = sorted({obj[1] for objects in PHOTO_OBJECTS.values() for obj in objects})
    categories = [{"id": c[0], "name": c[1], "supercategory": c[2]} for c in COCO_CATEGORIES if c[0] in used]
    images, annotations = [], []
    for image_id, (name, objects) in enumerate(PHOTO_OBJECTS.items(), start=1):
        image = _photo(name)  # (H, W, 3) uint8
        height, width = image.shape[:2]
        file_name = f"{image_id:012d}.jpg"
        _save_jpeg(image.astype(np.float64), image_dir / file_name)
        images.append({"id": image_id, "file_name": file_name, "height": height, "width": width})
        for obj, mask in zip(objects, _masks(name, height, width)):
            rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": obj[1],
                    "segmentation": [[float(v) for v in poly] for poly in obj[4]],
                    "area": float(mask_utils.area(rle)),
                    "bbox": [float(v) for v in mask_utils.toBbox(rle)],
                    "iscrowd": 0,
                }
            )
    data = {
        "info": {"description": _DESCRIPTION, "version": "1.0"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }
    ann_file = ann_dir / f"instances_{split}.json"
    ann_file.write_text(json.dumps(data))
    return image_dir, ann_file

"""Pascal VOC read from a real ``VOCdevkit`` tree: class tables, colormap, XML annotations, masks.

On disk (``<root>/VOCdevkit/VOC2012``)::

    JPEGImages/<id>.jpg              the photographs
    Annotations/<id>.xml             objects: class name, flags, 1-based inclusive bounding box
    SegmentationClass/<id>.png       palette PNG: pixel value = class index, 255 = void (borders, unclear)
    SegmentationObject/<id>.png      palette PNG: pixel value = object number in the XML, 255 = void
    ImageSets/Main/<set>.txt         ids of the detection / classification split ``<set>``
    ImageSets/Segmentation/<set>.txt ids of the segmentation split ``<set>``

Box convention. VOC stores a box as the first and last pixel it covers, counted from 1:
``(xmin, ymin, xmax, ymax)`` with ``1 <= xmin <= xmax <= width``; its width is ``xmax - xmin + 1``.
This package uses the continuous 0-based convention of torchvision and COCO, in which pixel column ``i``
covers ``[i, i + 1)``. The conversion is ``(xmin - 1, ymin - 1, xmax, ymax)``: the box then spans exactly
the same pixels, its width is ``x1 - x0 = xmax - xmin + 1`` and IoU computed without the devkit's ``+ 1``
equals the devkit's IoU on the original boxes.

Taught in: chapter "Pascal VOC and COCO" (read by the "Segmentation" chapter).
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from .._validate import check_int, check_path, check_tensor, describe, is_int

__all__ = [
    "VOC_ACTIONS",
    "VOC_CLASSES",
    "VOC_LAYOUT_PARTS",
    "VOC_VOID",
    "VOCDetection",
    "VOCSegmentation",
    "parse_voc_xml",
    "read_image",
    "voc_box_to_xyxy",
    "voc_colormap",
    "xyxy_to_voc_box",
]

#: Index 0 is the background; 1..20 are the devkit's classes in its order (``VOCopts.classes``).
VOC_CLASSES: tuple[str, ...] = (
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)

#: The ten action classes of VOC2012 (persons doing none of them carry the extra flag ``other``).
VOC_ACTIONS: tuple[str, ...] = (
    "jumping",
    "phoning",
    "playinginstrument",
    "reading",
    "ridingbike",
    "ridinghorse",
    "running",
    "takingphoto",
    "usingcomputer",
    "walking",
)

#: Person layout parts annotated with their own boxes inside a person object.
VOC_LAYOUT_PARTS: tuple[str, ...] = ("head", "hand", "foot")

#: Mask value for pixels that are not scored (object borders and regions too unclear to label).
VOC_VOID = 255

Transforms = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]]


def voc_colormap(n: int = 256) -> torch.Tensor:
    """The devkit's colormap (``labelcolormap.m``): the RGB colour of palette index 0..n-1.

    Shapes: returns ``(n, 3)`` uint8. The bits of the index are dealt out in turn to red, green and blue,
    most significant colour bit first: for bit ``j`` of the colour (``j = 0`` is the 128s place),
    ``r |= bit(i, 3 j) << (7 - j)``, ``g |= bit(i, 3 j + 1) << (7 - j)``, ``b |= bit(i, 3 j + 2) << (7 - j)``.
    So 1 -> (128, 0, 0), 15 -> (192, 128, 128), 255 -> (224, 224, 192).

    Use ``voc_colormap()[mask]`` to colour an int64 mask (255 = void included).

    Taught in: chapter "Pascal VOC and COCO".
    """
    n = check_int("n", n, 1, 256)  # palette PNGs have 256 entries
    rows = []
    for i in range(n):
        r = g = b = 0
        c = i
        for j in range(8):  # three bits of the index per round, into colour bit 7 - j
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        rows.append((r, g, b))
    cmap = torch.tensor(rows, dtype=torch.uint8)
    return cmap  # (n, 3)


def voc_box_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """Convert VOC's 1-based inclusive boxes to 0-based continuous xyxy: ``(xmin - 1, ymin - 1, xmax, ymax)``.

    Shapes: ``(..., 4) -> (..., 4)``, same dtype and device (floating point required).

    Taught in: chapter "Pascal VOC and COCO".
    """
    _check_boxes(boxes, "boxes")
    offset = torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=boxes.dtype, device=boxes.device)
    return boxes - offset  # (..., 4)


def xyxy_to_voc_box(boxes: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`voc_box_to_xyxy`: ``(x0 + 1, y0 + 1, x1, y1)``.

    Shapes: ``(..., 4) -> (..., 4)``, same dtype and device (floating point required).

    Taught in: chapter "Pascal VOC and COCO".
    """
    _check_boxes(boxes, "boxes")
    offset = torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=boxes.dtype, device=boxes.device)
    return boxes + offset  # (..., 4)


def _check_boxes(boxes: Any, name: str) -> None:
    """A floating tensor of shape ``(..., 4)`` without NaN or infinity (shared with :mod:`.coco`)."""
    check_tensor(name, boxes, dtype="floating", finite=True)
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        raise ValueError(f"{name} must have shape (..., 4); got {describe(boxes)}")


def _check_index(index: Any, length: int) -> int:
    """A dataset index: an int (not a bool or float) in ``[-length, length)``; IndexError beyond, as a list."""
    if not is_int(index):
        raise TypeError(f"index={describe(index)} must be an int, not {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"index={index} is out of range for a dataset of {length} items")
    return int(index) % length


# ----------------------------------------------------------------------------------------------- XML


def _text(node: Any, tag: str, path: Path, required: bool = True) -> str | None:
    child = node.find(tag)
    if child is None or child.text is None or not child.text.strip():
        if required:
            raise ValueError(f"{path}: <{node.tag}> has no <{tag}> (or it is empty)")
        return None
    return child.text.strip()


def _flag(node: Any, tag: str, path: Path) -> bool:
    """A 0/1 flag; a missing flag is false (the devkit's convention for truncated/occluded/difficult)."""
    text = _text(node, tag, path, required=False)
    if text is None:
        return False
    if text not in ("0", "1"):
        raise ValueError(f"{path}: <{tag}>{text}</{tag}> must be 0 or 1")
    return text == "1"


def _number(node: Any, tag: str, path: Path) -> float:
    text = _text(node, tag, path)
    try:
        value = float(text)  # type: ignore[arg-type]
    except ValueError:
        raise ValueError(f"{path}: <{tag}>{text}</{tag}> is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{path}: <{tag}>{text}</{tag}> must be a finite number")
    return value


def _size_field(node: Any, tag: str, path: Path) -> int:
    """A positive whole number (``<width>500</width>``); a fraction is refused, not truncated."""
    value = _number(node, tag, path)
    if value <= 0 or value != int(value):
        raise ValueError(f"{path}: <size><{tag}>{_text(node, tag, path)}</{tag}> must be a positive integer")
    return int(value)


def _check_coordinates(
    path: Path, what: str, values: dict[str, float], size: tuple[int, ...] | None, source: str = "<size>"
) -> None:
    """VOC coordinates are 1-based pixel numbers: ``1 <= x <= width`` and ``1 <= y <= height``."""
    for tag, v in values.items():
        if v < 1:
            raise ValueError(
                f"{path}: {what} has <{tag}>{v:g}</{tag}>; VOC coordinates are 1-based (the first pixel is 1)"
            )
        if size is not None:
            side, limit = ("width", size[0]) if tag[0] == "x" else ("height", size[1])
            if v > limit:
                raise ValueError(
                    f"{path}: {what} has <{tag}>{v:g}</{tag}>, beyond the image's {side} {limit} ({source})"
                )


def _bndbox(
    node: Any, path: Path, what: str, size: tuple[int, ...] | None
) -> tuple[float, float, float, float]:
    box = node.find("bndbox")
    if box is None:
        raise ValueError(f"{path}: {what} has no <bndbox>")
    xmin, ymin, xmax, ymax = (_number(box, t, path) for t in ("xmin", "ymin", "xmax", "ymax"))
    if xmin > xmax or ymin > ymax:
        raise ValueError(
            f"{path}: {what} has xmin={xmin:g}, ymin={ymin:g}, xmax={xmax:g}, ymax={ymax:g}; "
            "expected xmin <= xmax and ymin <= ymax"
        )
    _check_coordinates(path, what, {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax}, size)
    return (xmin, ymin, xmax, ymax)


def parse_voc_xml(path: str | os.PathLike, classes: Sequence[str] | None = VOC_CLASSES[1:]) -> dict[str, Any]:
    """Read one VOC annotation file with defusedxml (entity-expansion attacks are refused, not expanded).

    Returns ``{"filename", "folder", "size": (width, height, depth) or None, "segmented": bool,
    "objects": [...]}``; each object is ``{"name", "pose", "truncated", "occluded", "difficult",
    "bbox": (xmin, ymin, xmax, ymax), "parts": [{"name", "bbox"}], "actions": {name: bool},
    "point": (x, y) or None}``; ``bbox`` is None only for an object marked by a ``<point>`` and no
    ``<bndbox>`` (the VOC2012 action task's person points). Boxes are floats in VOC's own 1-based inclusive convention (see the module
    docstring; convert with :func:`voc_box_to_xyxy`); coordinates such as ``45.70000076293945`` are accepted.
    Missing truncated/occluded/difficult flags are false.

    Raises ``ValueError`` naming the file and the field when the XML is not well-formed, declares entities,
    names a class not in ``classes`` (pass ``classes=None`` to accept any name), has a coordinate that is not
    a finite number, below 1 (VOC is 1-based), beyond ``<size>``, or ``xmin > xmax`` or ``ymin > ymax``, a
    ``<width>``/``<height>``/``<depth>`` that is not a positive integer, or a flag (``difficult``,
    ``truncated``, ``occluded``, ``segmented``, actions) other than 0 or 1.

    Taught in: chapter "Pascal VOC and COCO".
    """
    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as SafeET

    path = check_path("path", path)
    if classes is not None and (isinstance(classes, str) or not all(isinstance(c, str) for c in classes)):
        raise TypeError(f"classes={describe(classes)} must be a sequence of class names (str) or None")
    try:
        root = SafeET.parse(path).getroot()
    except DefusedXmlException as exc:
        raise ValueError(f"{path}: refused to parse XML that declares entities or a DTD ({exc!r})") from exc
    except SafeET.ParseError as exc:
        raise ValueError(f"{path}: XML is not well-formed ({exc})") from exc
    if root.tag != "annotation":
        raise ValueError(f"{path}: root element is <{root.tag}>, expected <annotation>")

    size = None
    size_node = root.find("size")
    if size_node is not None:
        size = tuple(_size_field(size_node, t, path) for t in ("width", "height", "depth"))
    segmented = _flag(root, "segmented", path)
    allowed = None if classes is None else set(classes)

    objects = []
    for k, obj in enumerate(root.findall("object")):
        name = _text(obj, "name", path)
        if allowed is not None and name not in allowed:
            raise ValueError(
                f"{path}: object {k} has unknown class name {name!r}; expected one of {sorted(allowed)}"
            )
        parts = []
        for part in obj.findall("part"):
            part_name = _text(part, "name", path)
            parts.append(
                {"name": part_name, "bbox": _bndbox(part, path, f"object {k} part {part_name!r}", size)}
            )
        actions: dict[str, bool] = {}
        actions_node = obj.find("actions")
        if actions_node is not None:
            for child in actions_node:
                actions[child.tag] = _flag(actions_node, child.tag, path)
        point = None
        point_node = obj.find("point")
        if point_node is not None:
            point = (_number(point_node, "x", path), _number(point_node, "y", path))
            _check_coordinates(path, f"object {k} ({name}) <point>", {"x": point[0], "y": point[1]}, size)
        objects.append(
            {
                "name": name,
                "pose": _text(obj, "pose", path, required=False),
                "truncated": _flag(obj, "truncated", path),
                "occluded": _flag(obj, "occluded", path),
                "difficult": _flag(obj, "difficult", path),
                # action annotations may mark a person by a point only: then there is no box
                "bbox": None
                if point is not None and obj.find("bndbox") is None
                else _bndbox(obj, path, f"object {k} ({name})", size),
                "parts": parts,
                "actions": actions,
                "point": point,
            }
        )
    return {
        "filename": _text(root, "filename", path, required=False),
        "folder": _text(root, "folder", path, required=False),
        "size": size,
        "segmented": segmented,
        "objects": objects,
    }


# -------------------------------------------------------------------------------------------- images


#: The largest image (in pixels) the loaders decode: PIL's default ``MAX_IMAGE_PIXELS`` (about 89.5
#: megapixels, 1 GiB as a float32 RGB tensor). The size is read from the header and checked before decoding.
MAX_IMAGE_PIXELS = 89_478_485


@contextlib.contextmanager
def _open_image(path: Path, what: str) -> Iterator[Any]:
    """``PIL.Image.open`` whose errors name the file; images above MAX_IMAGE_PIXELS refused before decoding."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: {what} file does not exist") from None
    except Image.DecompressionBombError as exc:
        raise ValueError(
            f"{path}: image too large to decode: more than {MAX_IMAGE_PIXELS} pixels, the most the loaders "
            f"read (PIL: {exc})"
        ) from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{path}: cannot be read as an image ({exc})") from exc
    with img:
        width, height = img.size
        if width * height > MAX_IMAGE_PIXELS:
            raise ValueError(
                f"{path}: image is {width} x {height} = {width * height} pixels, too large: more than the "
                f"{MAX_IMAGE_PIXELS} the loaders decode (a decompression bomb, or not a dataset image)"
            )
        try:
            yield img
        except (UnidentifiedImageError, OSError) as exc:  # also truncated or corrupted files
            raise ValueError(f"{path}: cannot be read as an image ({exc})") from exc


def read_image(path: str | os.PathLike) -> torch.Tensor:
    """Read an image file as RGB float32 in [0, 1]: returns ``(3, H, W)``.

    Raises ``ValueError`` naming the file when it is not a readable image, or has more than
    ``MAX_IMAGE_PIXELS`` pixels (checked from its header, before decoding).

    Taught in: chapter "Pascal VOC and COCO".
    """
    path = check_path("path", path)
    with _open_image(path, "image") as img:
        array = np.asarray(img.convert("RGB"))  # (H, W, 3) uint8
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float().div_(255.0)  # (3, H, W)


def _read_palette_mask(path: Path, size: tuple[int, int], num_classes: int) -> torch.Tensor:
    """A VOC mask: palette PNG of the image's size, values in ``[0, num_classes)`` or 255."""
    with _open_image(path, "mask") as img:
        if img.mode != "P":
            raise ValueError(
                f"{path}: mask mode is {img.mode!r}, expected a palette image (mode 'P') whose pixel "
                "values are class indices"
            )
        if img.size != size:
            raise ValueError(f"{path}: mask size (W, H)={img.size} differs from the image's {size}")
        array = np.asarray(img)  # (H, W) uint8 palette indices
    valid = np.zeros(256, dtype=bool)
    valid[:num_classes] = True
    valid[VOC_VOID] = True
    bad = ~valid[array]
    if bad.any():
        values = sorted(set(np.unique(array[bad]).tolist()))
        raise ValueError(
            f"{path}: mask values {values} are neither a class index in [0, {num_classes}) nor {VOC_VOID} (void)"
        )
    return torch.from_numpy(array.astype(np.int64))  # (H, W)


def _read_split(base: Path, folder: str, image_set: str) -> tuple[Path, list[str]]:
    if not isinstance(image_set, str) or not image_set or "/" in image_set or "\\" in image_set:
        raise ValueError(f"image_set={image_set!r} must be a split name such as 'train', 'val' or 'trainval'")
    split_file = base / "ImageSets" / folder / f"{image_set}.txt"
    if not split_file.is_file():
        raise FileNotFoundError(f"{split_file}: split file does not exist (image_set={image_set!r})")
    ids = [line.split()[0] for line in split_file.read_text().splitlines() if line.strip()]
    if not ids:
        raise ValueError(f"{split_file}: split file lists no image ids (image_set={image_set!r})")
    return split_file, ids


def _year_dir(root: str | os.PathLike, year: str) -> Path:
    if not isinstance(year, str) or not (year.isdigit() and len(year) == 4):
        raise ValueError(f"year={year!r} must be a string such as '2012' or '2007'")
    base = Path(root) / "VOCdevkit" / f"VOC{year}"
    if not base.is_dir():
        raise FileNotFoundError(
            f"{base}: directory does not exist (root={str(root)!r} must contain VOCdevkit/)"
        )
    return base


def _check_files(split_file: Path, ids: list[str], folder: Path, suffix: str, what: str) -> list[Path]:
    present = set(os.listdir(folder)) if folder.is_dir() else set()
    missing = [i for i in ids if i + suffix not in present]
    if missing:
        raise FileNotFoundError(
            f"{split_file}: {len(missing)} id(s) have no {what}, first {missing[0]!r}: "
            f"{folder / (missing[0] + suffix)} does not exist"
        )
    return [folder / (i + suffix) for i in ids]


class _VOCDataset(Dataset):
    """What both VOC datasets share: the split file, and an image and a target file per id, all checked.

    Subclasses name the split folder (``ImageSets/<_split_folder>/<image_set>.txt``) and the folder, suffix
    and kind of their target files (kept in ``targets``), and read one item in ``__getitem__``.
    """

    _split_folder: str
    _target_folder: str
    _target_suffix: str
    _target_kind: str

    def __init__(
        self,
        root: str | os.PathLike,
        year: str = "2012",
        image_set: str = "train",
        transforms: Transforms | None = None,
    ) -> None:
        root = check_path("root", root)
        if transforms is not None and not callable(transforms):
            raise TypeError(f"transforms={transforms!r} must be callable (image, target) -> (image, target)")
        base = _year_dir(root, year)
        self.root, self.year, self.image_set, self.transforms = Path(root), year, image_set, transforms
        self.split_file, self.ids = _read_split(base, self._split_folder, image_set)
        self.images = _check_files(self.split_file, self.ids, base / "JPEGImages", ".jpg", "image")
        self.targets = _check_files(
            self.split_file, self.ids, base / self._target_folder, self._target_suffix, self._target_kind
        )
        self.classes = VOC_CLASSES

    def __len__(self) -> int:
        return len(self.ids)


class VOCSegmentation(_VOCDataset):
    """VOC semantic segmentation: ``(image (3, H, W) float in [0, 1], mask (H, W) int64, 255 = void)``.

    Reads ``<root>/VOCdevkit/VOC<year>/ImageSets/Segmentation/<image_set>.txt`` and, for each id,
    ``JPEGImages/<id>.jpg`` and ``SegmentationClass/<id>.png``. Every listed file is checked to exist when
    the dataset is built; each mask is checked when read (palette mode, the image's size, values in
    ``0..20`` or 255). ``transforms(image, mask)`` returns the transformed pair.

    Taught in: chapters "Pascal VOC and COCO" and "Segmentation".
    """

    _split_folder = "Segmentation"
    _target_folder, _target_suffix, _target_kind = "SegmentationClass", ".png", "mask"

    @property
    def masks(self) -> list[Path]:
        """The path of each id's mask, ``SegmentationClass/<id>.png``, in the order of ``ids``."""
        return self.targets

    def __getitem__(self, index: int) -> tuple[torch.Tensor, Any]:
        index = _check_index(index, len(self))
        image = read_image(self.images[index])  # (3, H, W)
        mask = _read_palette_mask(self.masks[index], (image.shape[2], image.shape[1]), len(self.classes))
        if self.transforms is not None:
            return self.transforms(image, mask)
        return image, mask


class VOCDetection(_VOCDataset):
    """VOC detection: ``(image (3, H, W) float in [0, 1], target)``.

    ``target`` holds ``boxes`` float32 ``(K, 4)`` xyxy in 0-based continuous pixel coordinates (converted
    from VOC's 1-based inclusive boxes by ``(xmin - 1, ymin - 1, xmax, ymax)``), ``labels`` int64 ``(K,)``
    (indices into ``VOC_CLASSES``, so 1..20), ``difficult``, ``truncated``, ``occluded`` bool ``(K,)``,
    ``image_id`` (the file stem) and ``size`` ``(H, W)``. Ids come from ``ImageSets/Main/<image_set>.txt``;
    every listed image and XML file is checked to exist when the dataset is built. An XML size that differs
    from the image's raises an error naming both files.

    Taught in: chapter "Pascal VOC and COCO".
    """

    _split_folder = "Main"
    _target_folder, _target_suffix, _target_kind = "Annotations", ".xml", "annotation"

    @property
    def annotations(self) -> list[Path]:
        """The path of each id's annotation, ``Annotations/<id>.xml``, in the order of ``ids``."""
        return self.targets

    def __getitem__(self, index: int) -> tuple[torch.Tensor, Any]:
        index = _check_index(index, len(self))
        image = read_image(self.images[index])  # (3, H, W)
        ann = parse_voc_xml(self.annotations[index], classes=self.classes[1:])
        height, width = image.shape[1], image.shape[2]
        if ann["size"] is not None and (ann["size"][0], ann["size"][1]) != (width, height):
            raise ValueError(
                f"{self.annotations[index]}: <size> says width={ann['size'][0]}, height={ann['size'][1]} but "
                f"{self.images[index]} is {width} x {height}"
            )
        objects = ann["objects"]
        for k, o in enumerate(objects):
            if o["bbox"] is None:
                raise ValueError(
                    f"{self.annotations[index]}: object {k} ({o['name']}) has a point but no <bndbox>"
                )
            if ann["size"] is None:  # no <size> to check against in the XML: check against the image
                coords = dict(zip(("xmin", "ymin", "xmax", "ymax"), o["bbox"]))
                what = f"object {k} ({o['name']})"
                _check_coordinates(
                    self.annotations[index], what, coords, (width, height), str(self.images[index])
                )
        boxes = torch.tensor([o["bbox"] for o in objects], dtype=torch.float64).reshape(-1, 4)  # (K, 4)
        target = {
            "boxes": voc_box_to_xyxy(boxes).float(),  # (K, 4) 0-based xyxy
            "labels": torch.tensor([self.classes.index(o["name"]) for o in objects], dtype=torch.int64),
            "difficult": torch.tensor([o["difficult"] for o in objects], dtype=torch.bool),
            "truncated": torch.tensor([o["truncated"] for o in objects], dtype=torch.bool),
            "occluded": torch.tensor([o["occluded"] for o in objects], dtype=torch.bool),
            "image_id": self.ids[index],
            "size": (height, width),
        }
        if self.transforms is not None:
            return self.transforms(image, target)
        return image, target

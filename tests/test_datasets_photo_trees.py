"""lecture_lib.datasets.photo_trees: the photographs' VOC and COCO trees, read back by the package's loaders."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from lecture_lib.datasets.coco import COCO_CATEGORIES, CocoDetection, load_instances
from lecture_lib.datasets.photo_trees import PHOTO_OBJECTS, write_coco_photo_tree, write_voc_photo_tree
from lecture_lib.datasets.synthetic import _void_band
from lecture_lib.datasets.voc import (
    VOC_CLASSES,
    VOC_VOID,
    VOCDetection,
    VOCSegmentation,
    parse_voc_xml,
    voc_box_to_xyxy,
)

SIZES = {"chelsea": (300, 451), "astronaut": (512, 512), "motorcycle": (500, 741), "coffee": (400, 600)}


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    base = write_voc_photo_tree(root / "voc")
    image_dir, ann_file = write_coco_photo_tree(root / "coco")
    return root, base, image_dir, ann_file


def test_polygons_lie_inside_their_photographs():
    for name, objects in PHOTO_OBJECTS.items():
        h, w = SIZES[name]
        for obj in objects:
            for poly in obj[4]:
                assert len(poly) >= 6 and len(poly) % 2 == 0
                assert all(0 <= x <= w for x in poly[0::2]) and all(0 <= y <= h for y in poly[1::2]), name


def test_voc_tree_reads_through_the_loaders(trees):
    root, base, _, _ = trees
    det = VOCDetection(root / "voc", image_set="val")
    seg = VOCSegmentation(root / "voc", image_set="val")
    assert det.ids == seg.ids == ["chelsea", "astronaut", "motorcycle"]
    expected = {"chelsea": "cat", "astronaut": "person", "motorcycle": "motorbike"}
    for k, image_id in enumerate(det.ids):
        image, target = det[k]
        h, w = SIZES[image_id]
        assert image.shape == (3, h, w) and target["size"] == (h, w)
        assert [VOC_CLASSES[i] for i in target["labels"]] == [expected[image_id]]
        x0, y0, x1, y1 = target["boxes"][0].tolist()
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        _, mask = seg[k]
        assert set(torch.unique(mask).tolist()) == {0, VOC_CLASSES.index(expected[image_id]), VOC_VOID}
    flags = {i: det[k][1] for k, i in enumerate(det.ids)}
    assert flags["chelsea"]["truncated"].tolist() == [True]
    assert flags["astronaut"]["occluded"].tolist() == [True]
    assert not flags["motorcycle"]["truncated"].any() and not flags["motorcycle"]["occluded"].any()
    assert "annotated by lecture_lib" in (base / "Annotations" / "chelsea.xml").read_text()
    assert not (base / "ImageSets" / "Main" / "train.txt").exists()
    cats = (base / "ImageSets" / "Main" / "cat_val.txt").read_text().split("\n")
    assert cats[:3] == ["chelsea  1", "astronaut -1", "motorcycle -1"]


def test_coco_tree_reads_through_the_loader(trees):
    _, _, image_dir, ann_file = trees
    ds = CocoDetection(image_dir, ann_file)
    names = {c[0]: c[1] for c in COCO_CATEGORIES}
    expected = [["cat"], ["person"], ["motorcycle"], ["cup", "spoon"]]
    assert len(ds) == 4
    for k, (name, labels) in enumerate(zip(PHOTO_OBJECTS, expected)):
        image, target = ds[k]
        h, w = SIZES[name]
        assert image.shape == (3, h, w) and target["masks"].shape == (len(labels), h, w)
        assert [names[int(i)] for i in target["labels"]] == labels
        boxes = target["boxes"]
        assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= w).all() and (boxes[:, 3] <= h).all()
        assert (boxes[:, :2] < boxes[:, 2:]).all()
        assert torch.equal(target["area"], target["masks"].sum(dim=(1, 2)).float())
        assert not target["iscrowd"].any()
    data = load_instances(ann_file)
    spoon = next(a for a in data["annotations"] if a["category_id"] == 50)
    assert len(spoon["segmentation"]) == 2
    assert {c["id"]: c["name"] for c in data["categories"]} == {i: names[i] for i in (1, 4, 17, 47, 50)}


def test_voc_masks_and_boxes_match_the_coco_polygons(trees):
    """annToMask of each COCO polygon annotation equals the VOC PNG outside the void band; same boxes."""
    root, base, image_dir, ann_file = trees
    coco = CocoDetection(image_dir, ann_file).coco
    det = VOCDetection(root / "voc", image_set="val")
    image_ids = {name: k for k, name in enumerate(PHOTO_OBJECTS, start=1)}
    for k, name in enumerate(det.ids):
        ann = coco.imgToAnns[image_ids[name]][0]
        with warnings.catch_warnings():  # pycocotools' NumPy 2 copy=False notice
            warnings.filterwarnings(
                "ignore", message="__array__ implementation doesn't accept a copy keyword"
            )
            mask = coco.annToMask(ann).astype(bool)  # (H, W)
        png = np.asarray(Image.open(base / "SegmentationClass" / f"{name}.png"))  # (H, W)
        void = png == VOC_VOID
        assert (void == _void_band(mask, 2)).all()  # void is exactly the band along the outline
        label = VOC_CLASSES.index(parse_voc_xml(det.annotations[k])["objects"][0]["name"])
        assert ((png == label) == (mask & ~void)).all() and ((png == 0) == (~mask & ~void)).all()
        instance = np.asarray(Image.open(base / "SegmentationObject" / f"{name}.png"))
        assert ((instance == 1) == (png == label)).all()
        x, y, w, h = ann["bbox"]
        assert det[k][1]["boxes"][0].tolist() == [x, y, x + w, y + h]
        xml_box = torch.tensor([parse_voc_xml(det.annotations[k])["objects"][0]["bbox"]], dtype=torch.float64)
        assert voc_box_to_xyxy(xml_box)[0].tolist() == [x, y, x + w, y + h]


def test_two_writes_give_the_same_bytes(trees, tmp_path):
    root, _, _, _ = trees
    write_voc_photo_tree(tmp_path / "voc")
    write_coco_photo_tree(tmp_path / "coco")
    first = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second and len(first) > 20
    for rel in first:
        assert (root / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel
    json.loads((root / "coco" / "annotations" / "instances_val2017.json").read_text())


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(TypeError, match="root"):
        write_voc_photo_tree(None)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="root"):
        write_coco_photo_tree(tmp_path / "file")
    with pytest.raises(ValueError, match="split"):
        write_coco_photo_tree(tmp_path, split="a/b")
    with pytest.raises(TypeError, match="split"):
        write_coco_photo_tree(tmp_path, split=3)

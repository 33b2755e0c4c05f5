"""Tests of lecture_lib.datasets.synthetic: the written trees follow the real VOC and COCO formats."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mu

from lecture_lib.datasets import coco, synthetic, voc


@pytest.fixture(scope="module")
def voc_base(tmp_path_factory) -> Path:
    return synthetic.make_voc_shapes(tmp_path_factory.mktemp("voc"), 20, (64, 64), seed=0)


def _ids(base: Path, folder: str, split: str) -> list[str]:
    return (base / "ImageSets" / folder / f"{split}.txt").read_text().split()


def test_tree_layout_and_splits(voc_base):
    assert voc_base.parts[-2:] == ("VOCdevkit", "VOC2012")
    train, val = _ids(voc_base, "Segmentation", "train"), _ids(voc_base, "Segmentation", "val")
    assert (len(train), len(val)) == (15, 5) and not set(train) & set(val)
    assert _ids(voc_base, "Segmentation", "trainval") == train + val == _ids(voc_base, "Main", "trainval")
    for image_id in train + val:
        for folder, suffix in (
            ("JPEGImages", ".jpg"),
            ("SegmentationClass", ".png"),
            ("SegmentationObject", ".png"),
            ("Annotations", ".xml"),
        ):
            assert (voc_base / folder / f"{image_id}{suffix}").is_file()


def test_per_class_main_files_agree_with_the_xml(voc_base):
    for name in voc.VOC_CLASSES[1:]:
        lines = (voc_base / "ImageSets" / "Main" / f"{name}_train.txt").read_text().splitlines()
        assert len(lines) == 15
        for line in lines:
            image_id, flag = line.split()
            objects = voc.parse_voc_xml(voc_base / "Annotations" / f"{image_id}.xml")["objects"]
            assert flag == ("1" if any(o["name"] == name for o in objects) else "-1")


def test_masks_are_voc_palette_pngs_with_void_borders(voc_base):
    cmap = voc.voc_colormap().numpy()
    classes = {voc.VOC_CLASSES.index(c[0]) for c in synthetic.SHAPE_CLASSES}
    for path in sorted((voc_base / "SegmentationClass").iterdir()):
        img = Image.open(path)
        assert img.mode == "P" and img.size == (64, 64)
        assert np.array_equal(np.array(img.getpalette()).reshape(-1, 3)[:256], cmap)
        mask = np.asarray(img)
        assert set(np.unique(mask).tolist()) <= {0, 255} | classes
        assert (mask == 255).any()
        # background never touches an object: the void band separates them (4-neighbours)
        for a, b in ((mask[1:], mask[:-1]), (mask[:, 1:], mask[:, :-1])):
            touching = ((a == 0) & (b != 0) & (b != 255)) | ((b == 0) & (a != 0) & (a != 255))
            assert not touching.any()


def test_classes_have_their_colours(voc_base):
    sums = {k: [] for k in range(21)}
    for path in sorted((voc_base / "SegmentationClass").iterdir()):
        mask = np.asarray(Image.open(path))
        image = np.asarray(Image.open(voc_base / "JPEGImages" / f"{path.stem}.jpg")).astype(float)
        for k in np.unique(mask):
            if k not in (0, 255):
                sums[int(k)].append(image[mask == k])
    for name, _cat, _shape, colour in synthetic.SHAPE_CLASSES:
        pixels = np.concatenate(sums[voc.VOC_CLASSES.index(name)])
        assert np.abs(pixels.mean(axis=0) - colour).max() < 25


def test_xml_boxes_contain_each_object(voc_base):
    for image_id in _ids(voc_base, "Main", "trainval"):
        ann = voc.parse_voc_xml(voc_base / "Annotations" / f"{image_id}.xml")
        assert ann["size"] == (64, 64, 3) and ann["segmented"]
        instance = np.asarray(Image.open(voc_base / "SegmentationObject" / f"{image_id}.png"))
        assert 1 <= len(ann["objects"]) <= 3
        for k, obj in enumerate(ann["objects"], start=1):
            rows, cols = np.nonzero(instance == k)  # object pixels not covered by the void band
            xmin, ymin, xmax, ymax = obj["bbox"]  # 1-based inclusive
            assert xmin - 1 <= cols.min() and cols.max() <= xmax - 1
            assert ymin - 1 <= rows.min() and rows.max() <= ymax - 1


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    a = synthetic.make_voc_shapes(tmp_path / "a", 3, seed=5)
    b = synthetic.make_voc_shapes(tmp_path / "b", 3, seed=5)
    c = synthetic.make_voc_shapes(tmp_path / "c", 3, seed=6)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert any((a / f).read_bytes() != (c / f).read_bytes() for f in files)


def test_voc_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="n_images="):
        synthetic.make_voc_shapes(tmp_path, 0)
    with pytest.raises(ValueError, match="image_size="):
        synthetic.make_voc_shapes(tmp_path, 2, image_size=(16, 64))
    with pytest.raises(ValueError, match="val_fraction="):
        synthetic.make_voc_shapes(tmp_path, 2, val_fraction=1.0)
    with pytest.raises(ValueError, match="void_width="):
        synthetic.make_voc_shapes(tmp_path, 2, void_width=-1)


# pycocotools' decode under NumPy 2 warns about __array__(copy=...); the decoded mask is unaffected
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)
def test_coco_file_has_polygons_crowd_rle_and_an_empty_image(tmp_path):
    image_dir, ann_file = synthetic.make_coco_shapes(tmp_path, n_images=5, image_size=(48, 48), seed=1)
    assert (
        image_dir == tmp_path / "val2017" and ann_file == tmp_path / "annotations" / "instances_val2017.json"
    )
    data = coco.load_instances(ann_file)  # passes the loader's validation
    assert {c["id"] for c in data["categories"]} == {5, 9, 20, 72}
    names = {c[0]: c[1] for c in coco.COCO_CATEGORIES}
    assert all(c["name"] == names[c["id"]] for c in data["categories"])
    assert [img["file_name"] for img in data["images"]] == [f"{i:012d}.jpg" for i in range(1, 6)]
    anns = data["annotations"]
    crowds = [a for a in anns if a["iscrowd"]]
    assert len(crowds) == 1 and isinstance(crowds[0]["segmentation"]["counts"], list)
    assert any(isinstance(a["segmentation"], list) and len(a["segmentation"]) == 2 for a in anns)
    assert all(isinstance(a["segmentation"], list) for a in anns if not a["iscrowd"])
    assert 5 not in {a["image_id"] for a in anns}  # the last image has no annotation
    assert len({a["id"] for a in anns}) == len(anns)
    sizes = {img["id"]: (img["height"], img["width"]) for img in data["images"]}
    for a in anns:  # area is the mask's pixel count, bbox its tight box, for every annotation
        h, w = sizes[a["image_id"]]
        if a["iscrowd"]:
            mask = coco.rle_decode(a["segmentation"])
        else:
            # COCO's own polygon areas are polygon areas, a little off the pixel count; but the generator
            # documents area and bbox as those of the mask that pycocotools rasterises from these very
            # polygons (it paints with that rasteriser), so here both must hold exactly, not within a pixel.
            mask = mu.decode(mu.merge(mu.frPyObjects(a["segmentation"], h, w)))
        assert mask.shape == (h, w) and mask.any(), a["id"]
        assert a["area"] == mask.sum(), a["id"]
        rows, cols = np.nonzero(mask)
        assert a["bbox"] == [
            cols.min(),
            rows.min(),
            cols.max() - cols.min() + 1,
            rows.max() - rows.min() + 1,
        ], a["id"]
    json.dumps(data)  # plain JSON types only


def test_coco_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="n_images="):
        synthetic.make_coco_shapes(tmp_path, n_images=2)
    with pytest.raises(ValueError, match="split="):
        synthetic.make_coco_shapes(tmp_path, split="../x")


def test_sizes_that_imply_unbounded_work_are_refused_at_once(tmp_path):
    start = time.perf_counter()
    for kwargs, name in (
        ({"n_images": 2**40}, "n_images="),
        ({"image_size": (2**20, 2**20)}, "image_size="),
        ({"max_objects": 2**40}, "max_objects="),
        ({"void_width": 2**40}, "void_width="),
    ):
        with pytest.raises(ValueError, match=name):
            synthetic.make_voc_shapes(tmp_path, **{"n_images": 1, **kwargs})
    assert time.perf_counter() - start < 1.0
    assert list(tmp_path.iterdir()) == []


def test_wrong_kinds_of_arguments_are_type_errors(tmp_path):
    for kwargs, name in (
        ({"root": None}, "root="),
        ({"root": 3}, "root="),
        ({"n_images": 2.0}, "n_images="),
        ({"image_size": (32.0, 32)}, "image_size="),
        ({"seed": "0"}, "seed="),
        ({"val_fraction": "0.5"}, "val_fraction="),
    ):
        with pytest.raises(TypeError, match=name):
            synthetic.make_voc_shapes(**{"root": tmp_path, "n_images": 1, **kwargs})
    with pytest.raises(TypeError, match="split="):
        synthetic.make_coco_shapes(tmp_path, split=None)
    with pytest.raises(ValueError, match="split="):
        synthetic.make_coco_shapes(tmp_path, split="annotations")  # would mix images with the JSON
    assert list(tmp_path.iterdir()) == []

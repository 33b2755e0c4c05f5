"""Tests of lecture_lib.datasets.voc on VOCdevkit trees written by lecture_lib.datasets.synthetic."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lecture_lib.datasets import synthetic, voc
from lecture_lib.metrics import box_iou

XML_HEAD = "<annotation><filename>x.jpg</filename><size><width>500</width><height>375</height><depth>3</depth></size>"


@pytest.fixture(scope="module")
def voc_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("voc")
    synthetic.make_voc_shapes(root, 8, (48, 64), seed=3, val_fraction=0.25)
    return root


@pytest.fixture
def broken_tree(voc_tree, tmp_path) -> Path:
    """A private copy to break."""
    root = tmp_path / "copy"
    shutil.copytree(voc_tree, root)
    return root


def _base(root: Path) -> Path:
    return root / "VOCdevkit" / "VOC2012"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------- tables


def test_class_table_is_the_devkits():
    assert len(voc.VOC_CLASSES) == 21 and voc.VOC_CLASSES[0] == "background"
    # the devkit lists its 20 classes alphabetically
    assert list(voc.VOC_CLASSES[1:]) == sorted(voc.VOC_CLASSES[1:])
    assert voc.VOC_CLASSES.index("person") == 15 and voc.VOC_CLASSES[-1] == "tvmonitor"
    assert len(voc.VOC_ACTIONS) == 10 and len(voc.VOC_LAYOUT_PARTS) == 3


def test_colormap_values():
    cmap = voc.voc_colormap()
    assert cmap.shape == (256, 3) and cmap.dtype == torch.uint8
    expected = {0: (0, 0, 0), 1: (128, 0, 0), 2: (0, 128, 0), 3: (128, 128, 0), 8: (64, 0, 0)}
    expected |= {15: (192, 128, 128), 20: (0, 64, 128), 255: (224, 224, 192)}
    for index, rgb in expected.items():
        assert tuple(cmap[index].tolist()) == rgb
    assert len({tuple(c) for c in cmap.tolist()}) == 256  # every index has its own colour
    assert torch.equal(voc.voc_colormap(21), cmap[:21])


@pytest.mark.parametrize(
    "n, error", [(0, ValueError), (257, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_colormap_rejects_bad_n(n, error):
    # a float or a bool is the wrong kind of value (TypeError), 0 and 257 impossible values (ValueError)
    with pytest.raises(error, match="n="):
        voc.voc_colormap(n)


def test_box_conversion_hand_computed():
    # VOC's single pixel (1, 1, 1, 1) is pixel [0, 1) x [0, 1): width 1
    one = voc.voc_box_to_xyxy(torch.tensor([[1.0, 1.0, 1.0, 1.0]], dtype=torch.float64))
    assert one.tolist() == [[0.0, 0.0, 1.0, 1.0]]
    box = torch.tensor([48.0, 240.0, 195.0, 371.0], dtype=torch.float64)
    xyxy = voc.voc_box_to_xyxy(box)
    assert xyxy.tolist() == [47.0, 239.0, 195.0, 371.0]
    assert xyxy[2] - xyxy[0] == 195 - 48 + 1  # the devkit's width
    assert torch.equal(voc.xyxy_to_voc_box(xyxy), box)


def test_box_conversion_makes_iou_equal_the_devkits():
    # devkit: inclusive pixels 1..10 and 6..15 overlap on 6..10 -> 5 x 5 = 25; union 100 + 100 - 25
    a = voc.voc_box_to_xyxy(torch.tensor([[1.0, 1.0, 10.0, 10.0]], dtype=torch.float64))
    b = voc.voc_box_to_xyxy(torch.tensor([[6.0, 6.0, 15.0, 15.0]], dtype=torch.float64))
    assert box_iou(a, b).item() == pytest.approx(25 / 175, abs=1e-15)


def test_box_conversion_rejects_integer_tensors():
    with pytest.raises(TypeError, match="boxes"):  # an integer dtype is the wrong kind of tensor
        voc.voc_box_to_xyxy(torch.tensor([[1, 1, 2, 2]]))
    with pytest.raises(ValueError, match="boxes contains NaN"):
        voc.voc_box_to_xyxy(torch.tensor([[1.0, float("nan"), 2.0, 2.0]]))
    with pytest.raises(ValueError, match=r"boxes must have shape \(\.\.\., 4\)"):
        voc.xyxy_to_voc_box(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="boxes"):
        voc.voc_box_to_xyxy([[1.0, 1.0, 2.0, 2.0]])


# ------------------------------------------------------------------------------------------- XML


def test_parse_xml_floats_defaults_parts_actions(tmp_path):
    xml = _write(
        tmp_path / "a.xml",
        XML_HEAD
        + "<segmented>0</segmented>"
        + "<object><name>person</name><pose>Left</pose>"
        + "<bndbox><xmin>45.70000076293945</xmin><ymin>12</ymin><xmax>300.5</xmax><ymax>370</ymax></bndbox>"
        + "<part><name>head</name><bndbox><xmin>50</xmin><ymin>12</ymin><xmax>90</xmax><ymax>60</ymax></bndbox></part>"
        + "<actions><jumping>1</jumping><phoning>0</phoning><other>0</other></actions>"
        + "<point><x>120</x><y>80</y></point></object>"
        + "<object><name>dog</name><difficult>1</difficult><truncated>1</truncated><occluded>0</occluded>"
        + "<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object></annotation>",
    )
    ann = voc.parse_voc_xml(xml)
    assert ann["size"] == (500, 375, 3) and ann["filename"] == "x.jpg" and ann["segmented"] is False
    person, dog = ann["objects"]
    assert person["bbox"] == (45.70000076293945, 12.0, 300.5, 370.0)
    assert (person["difficult"], person["truncated"], person["occluded"]) == (False, False, False)
    assert person["parts"] == [{"name": "head", "bbox": (50.0, 12.0, 90.0, 60.0)}]
    assert person["actions"] == {"jumping": True, "phoning": False, "other": False}
    assert person["point"] == (120.0, 80.0) and person["pose"] == "Left"
    assert (dog["difficult"], dog["truncated"], dog["occluded"]) == (True, True, False)
    assert dog["parts"] == [] and dog["actions"] == {} and dog["point"] is None


def test_parse_xml_not_well_formed_names_file(tmp_path):
    xml = _write(tmp_path / "broken.xml", XML_HEAD + "<object><name>dog</name>")
    with pytest.raises(ValueError, match=r"broken\.xml.*not well-formed"):
        voc.parse_voc_xml(xml)


def test_parse_xml_unknown_class_names_file(tmp_path):
    body = "<object><name>unicorn</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>"
    xml = _write(tmp_path / "u.xml", XML_HEAD + body + "</object></annotation>")
    with pytest.raises(ValueError, match=r"u\.xml.*unknown class name 'unicorn'"):
        voc.parse_voc_xml(xml)
    assert voc.parse_voc_xml(xml, classes=None)["objects"][0]["name"] == "unicorn"


def test_parse_xml_xmin_greater_than_xmax_names_file(tmp_path):
    body = (
        "<object><name>cat</name><bndbox><xmin>30</xmin><ymin>1</ymin><xmax>20</xmax><ymax>2</ymax></bndbox>"
    )
    xml = _write(tmp_path / "inv.xml", XML_HEAD + body + "</object></annotation>")
    with pytest.raises(ValueError, match=r"inv\.xml.*xmin=30.*xmax=20"):
        voc.parse_voc_xml(xml)


def test_parse_xml_bad_flag_and_missing_box(tmp_path):
    body = "<object><name>cat</name><difficult>yes</difficult>"
    body += "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>"
    with pytest.raises(ValueError, match=r"flag\.xml.*difficult"):
        voc.parse_voc_xml(_write(tmp_path / "flag.xml", XML_HEAD + body))
    with pytest.raises(ValueError, match=r"nobox\.xml.*bndbox"):
        voc.parse_voc_xml(
            _write(tmp_path / "nobox.xml", XML_HEAD + "<object><name>cat</name></object></annotation>")
        )
    # an action person marked by a point only has no box
    point = "<object><name>person</name><point><x>3</x><y>4</y></point></object></annotation>"
    (obj,) = voc.parse_voc_xml(_write(tmp_path / "point.xml", XML_HEAD + point))["objects"]
    assert obj["bbox"] is None and obj["point"] == (3.0, 4.0)


def test_billion_laughs_is_refused_not_expanded(tmp_path):
    from defusedxml import EntitiesForbidden

    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    text = f'<?xml version="1.0"?><!DOCTYPE annotation [{entities}]><annotation><filename>&lol9;</filename></annotation>'
    xml = _write(tmp_path / "laughs.xml", text)
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"laughs\.xml.*refused") as info:
        voc.parse_voc_xml(xml)
    assert isinstance(info.value.__cause__, EntitiesForbidden)
    assert time.perf_counter() - start < 1.0  # 10**9 "lol"s were never built


# ------------------------------------------------------------------------------------ datasets


def test_segmentation_reads_generated_tree(voc_tree):
    train = voc.VOCSegmentation(voc_tree, image_set="train")
    val = voc.VOCSegmentation(voc_tree, image_set="val")
    assert (len(train), len(val)) == (6, 2)
    seen = set()
    for i in range(len(train)):
        image, mask = train[i]
        assert image.shape == (3, 48, 64) and image.dtype == torch.float32
        assert 0.0 <= image.min() and image.max() <= 1.0
        assert mask.shape == (48, 64) and mask.dtype == torch.int64
        direct = np.asarray(Image.open(train.masks[i]))  # palette indices, read independently
        assert np.array_equal(mask.numpy(), direct)
        seen |= set(mask.unique().tolist())
    assert 0 in seen and 255 in seen
    assert seen <= {0, 255} | {voc.VOC_CLASSES.index(c[0]) for c in synthetic.SHAPE_CLASSES}


def test_segmentation_transforms_get_the_pair(voc_tree):
    def hflip(image, mask):
        return image.flip(-1), mask.flip(-1)

    plain = voc.VOCSegmentation(voc_tree)
    flipped = voc.VOCSegmentation(voc_tree, transforms=hflip)
    assert torch.equal(flipped[0][0], plain[0][0].flip(-1)) and torch.equal(
        flipped[0][1], plain[0][1].flip(-1)
    )
    with pytest.raises(TypeError, match="transforms"):
        voc.VOCSegmentation(voc_tree, transforms=3)


def test_detection_boxes_are_the_tight_0_based_boxes_of_the_objects(tmp_path):
    synthetic.make_voc_shapes(tmp_path, 6, (40, 56), seed=1, void_width=0)  # no void: exact object masks
    ds = voc.VOCDetection(tmp_path, image_set="trainval")
    assert len(ds) == 6
    for i in range(len(ds)):
        image, target = ds[i]
        assert image.shape == (3, 40, 56) and target["size"] == (40, 56)
        instance = np.asarray(Image.open(_base(tmp_path) / "SegmentationObject" / f"{ds.ids[i]}.png"))
        semantic = np.asarray(Image.open(_base(tmp_path) / "SegmentationClass" / f"{ds.ids[i]}.png"))
        assert target["boxes"].dtype == torch.float32 and target["labels"].dtype == torch.int64
        assert target["difficult"].dtype == torch.bool and not target["difficult"].any()
        for k, (box, label) in enumerate(zip(target["boxes"], target["labels"]), start=1):
            rows, cols = np.nonzero(instance == k)
            assert box.tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
            assert set(np.unique(semantic[instance == k]).tolist()) == {int(label)}


def test_detection_splits_match_main_files(voc_tree):
    for split, n in (("train", 6), ("val", 2), ("trainval", 8)):
        ds = voc.VOCDetection(voc_tree, image_set=split)
        listed = (_base(voc_tree) / "ImageSets" / "Main" / f"{split}.txt").read_text().split()
        assert ds.ids == listed and len(ds) == n


# ------------------------------------------------------------------------------------- broken input


def test_split_id_without_image_names_the_file(broken_tree):
    split = _base(broken_tree) / "ImageSets" / "Segmentation" / "train.txt"
    split.write_text(split.read_text() + "2012_999999\n")
    with pytest.raises(FileNotFoundError, match=r"train\.txt.*2012_999999"):
        voc.VOCSegmentation(broken_tree, image_set="train")
    main = _base(broken_tree) / "ImageSets" / "Main" / "val.txt"
    main.write_text(main.read_text() + "2012_888888\n")
    with pytest.raises(FileNotFoundError, match=r"val\.txt.*2012_888888"):
        voc.VOCDetection(broken_tree, image_set="val")


def test_missing_split_year_and_root(voc_tree, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nosuch\.txt"):
        voc.VOCSegmentation(voc_tree, image_set="nosuch")
    with pytest.raises(ValueError, match="year="):
        voc.VOCSegmentation(voc_tree, year=2012)
    with pytest.raises(FileNotFoundError, match="VOC2007"):
        voc.VOCDetection(voc_tree, year="2007")
    with pytest.raises(FileNotFoundError, match="VOCdevkit"):
        voc.VOCSegmentation(tmp_path / "empty")
    with pytest.raises(ValueError, match="image_set="):
        voc.VOCSegmentation(voc_tree, image_set="../train")


def _first_mask(root: Path) -> tuple[voc.VOCSegmentation, Path]:
    ds = voc.VOCSegmentation(root)
    return ds, ds.masks[0]


def test_mask_not_palette_names_the_file(broken_tree):
    ds, path = _first_mask(broken_tree)
    Image.open(path).convert("L").save(path)
    with pytest.raises(ValueError, match=rf"{path.name}.*mode is 'L'"):
        ds[0]


def test_truncated_mask_names_the_file(broken_tree):
    ds, path = _first_mask(broken_tree)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a download cut short
    with pytest.raises(ValueError, match=rf"{path.name}: cannot be read as an image"):
        ds[0]


def test_mask_wrong_size_names_the_file(broken_tree):
    ds, path = _first_mask(broken_tree)
    small = Image.open(path).crop((0, 0, 10, 10))
    small.save(path)
    with pytest.raises(ValueError, match=rf"{path.name}.*size"):
        ds[0]


def test_mask_value_neither_class_nor_void_names_the_file(broken_tree):
    ds, path = _first_mask(broken_tree)
    img = Image.open(path)
    array = np.asarray(img).copy()
    array[0, 0] = 30
    bad = Image.frombytes("P", img.size, array.tobytes())
    bad.putpalette(img.getpalette())
    bad.save(path)
    with pytest.raises(ValueError, match=rf"{path.name}.*\[30\]"):
        ds[0]


def _break_xml(root: Path, old: str, new: str) -> tuple[voc.VOCDetection, Path]:
    ds = voc.VOCDetection(root, image_set="train")
    path = ds.annotations[0]
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return ds, path


def test_detection_broken_xml_names_the_file(broken_tree):
    ds, path = _break_xml(broken_tree, "</annotation>", "")
    with pytest.raises(ValueError, match=rf"{path.name}.*not well-formed"):
        ds[0]


def test_detection_unknown_class_names_the_file(broken_tree):
    ds, path = _break_xml(broken_tree, "<name>", "<name>zebra")
    with pytest.raises(ValueError, match=rf"{path.name}.*unknown class name"):
        ds[0]


def test_detection_xmin_above_xmax_names_the_file(broken_tree):
    ds, path = _break_xml(broken_tree, "<xmin>", "<xmin>9")
    with pytest.raises(ValueError, match=rf"{path.name}.*xmin <= xmax"):
        ds[0]


def test_detection_size_mismatch_names_both_files(broken_tree):
    ds, path = _break_xml(broken_tree, "<width>64</width>", "<width>65</width>")
    with pytest.raises(ValueError, match=rf"{path.name}.*width=65.*\.jpg is 64 x 48"):
        ds[0]


def test_corrupt_image_names_the_file(broken_tree):
    ds = voc.VOCSegmentation(broken_tree)
    ds.images[0].write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match=rf"{ds.images[0].name}.*cannot be read"):
        ds[0]


# --------------------------------------------------------------------- impossible values (issue 15)

BOX = "<object><name>cat</name>{flags}<bndbox><xmin>{0}</xmin><ymin>{1}</ymin><xmax>{2}</xmax><ymax>{3}</ymax></bndbox></object>"


def _xml_with_box(tmp_path: Path, box, flags: str = "", head: str = XML_HEAD) -> Path:
    return _write(tmp_path / "box.xml", head + BOX.format(*box, flags=flags) + "</annotation>")


@pytest.mark.parametrize(
    "box, field, message",
    [
        (("nan", 1, 5, 5), "xmin", "must be a finite number"),
        (("1", "inf", 5, 5), "ymin", "must be a finite number"),
        ((1, 1, "-inf", 5), "xmax", "must be a finite number"),
        ((-3, 1, 5, 5), "xmin", "1-based"),
        ((0, 1, 5, 5), "xmin", "1-based"),  # VOC's first pixel is 1: a 0 is someone else's convention
        ((1, 0, 5, 5), "ymin", "1-based"),
        ((1, 1, 501, 5), "xmax", "beyond the image's width 500"),
        ((1, 1, 5, 376), "ymax", "beyond the image's height 375"),
        ((1, 1, 5, 1e9), "ymax", "beyond the image's height 375"),
    ],
)
def test_box_coordinates_outside_the_image_or_not_finite_are_refused(tmp_path, box, field, message):
    with pytest.raises(ValueError, match=rf"box\.xml: .*<{field}>.*{message}"):
        voc.parse_voc_xml(_xml_with_box(tmp_path, box))


def test_box_on_the_image_border_is_accepted(tmp_path):
    (obj,) = voc.parse_voc_xml(_xml_with_box(tmp_path, (1, 1, 500, 375)))["objects"]
    assert obj["bbox"] == (1.0, 1.0, 500.0, 375.0)


@pytest.mark.parametrize(
    "tag, value", [("width", "500.5"), ("width", "0"), ("height", "-375"), ("depth", "nan")]
)
def test_size_that_is_not_a_positive_integer_is_refused_not_truncated(tmp_path, tag, value):
    head = re.sub(rf"<{tag}>\d+</{tag}>", f"<{tag}>{value}</{tag}>", XML_HEAD)
    assert f"<{tag}>{value}</{tag}>" in head
    with pytest.raises(ValueError, match=rf"size\.xml: .*<{tag}>"):
        voc.parse_voc_xml(_write(tmp_path / "size.xml", head + "</annotation>"))


@pytest.mark.parametrize("flag", ["difficult", "truncated", "occluded"])
@pytest.mark.parametrize("value", ["0.5", "2", "-1", "true"])
def test_flags_other_than_0_or_1_are_refused(tmp_path, flag, value):
    # difficult=0.5 used to be read as True by a bool() of the number
    with pytest.raises(ValueError, match=rf"box\.xml: <{flag}>{re.escape(value)}</{flag}> must be 0 or 1"):
        voc.parse_voc_xml(_xml_with_box(tmp_path, (1, 1, 5, 5), flags=f"<{flag}>{value}</{flag}>"))
    segmented = XML_HEAD + f"<segmented>{value}</segmented>"
    with pytest.raises(ValueError, match="<segmented>"):
        voc.parse_voc_xml(_xml_with_box(tmp_path, (1, 1, 5, 5), head=segmented))


def test_point_outside_the_image_is_refused(tmp_path):
    point = "<object><name>person</name><point><x>0</x><y>4</y></point></object></annotation>"
    with pytest.raises(ValueError, match=r"p\.xml: object 0 \(person\) <point> has <x>0</x>; .*1-based"):
        voc.parse_voc_xml(_write(tmp_path / "p.xml", XML_HEAD + point))


def test_parse_arguments_are_checked(tmp_path):
    for bad in (None, 3, b"a.xml"):
        with pytest.raises(TypeError, match="path="):
            voc.parse_voc_xml(bad)
    xml = _xml_with_box(tmp_path, (1, 1, 5, 5))
    with pytest.raises(TypeError, match="classes="):
        voc.parse_voc_xml(xml, classes="cat")  # a str is a sequence of letters, not of class names


def test_detection_box_beyond_the_image_without_size_is_refused(broken_tree):
    ds = voc.VOCDetection(broken_tree, image_set="train")
    path = ds.annotations[0]
    text = path.read_text()
    start, end = text.index("<size>"), text.index("</size>") + len("</size>")
    text = text[:start] + text[end:]  # no <size>: the image's own size is the reference
    text = re.sub(r"<xmax>\d+</xmax>", "<xmax>65</xmax>", text, count=1)
    path.write_text(text)
    with pytest.raises(
        ValueError, match=rf"{path.name}: .*<xmax>65</xmax>, beyond the image's width 64 \(.*\.jpg\)"
    ):
        ds[0]


def test_empty_split_file_is_refused_naming_it(broken_tree):
    split = _base(broken_tree) / "ImageSets" / "Segmentation" / "train.txt"
    split.write_text("\n  \n")
    with pytest.raises(ValueError, match=r"Segmentation/train\.txt: split file lists no image ids"):
        voc.VOCSegmentation(broken_tree, image_set="train")
    (_base(broken_tree) / "ImageSets" / "Main" / "val.txt").write_text("")
    with pytest.raises(ValueError, match=r"Main/val\.txt: split file lists no image ids"):
        voc.VOCDetection(broken_tree, image_set="val")


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height and holds no pixels: enough for PIL to read its size."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [20_000, 10_000])  # 400 MP (PIL's bomb error) and 100 MP (only its warning)
def test_huge_image_is_refused_naming_the_file_before_decoding(tmp_path, side):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header(side, side))
    start = time.perf_counter()
    with pytest.raises(ValueError, match=rf"bomb\.png: image .*too large.*{voc.MAX_IMAGE_PIXELS}"):
        voc.read_image(path)
    assert time.perf_counter() - start < 1.0


def test_huge_mask_is_refused_naming_the_file(broken_tree):
    ds = voc.VOCSegmentation(broken_tree)
    ds.masks[0].write_bytes(_png_header(20_000, 20_000))
    with pytest.raises(ValueError, match=rf"{ds.masks[0].name}: image too large"):
        ds[0]


def test_read_image_path_must_be_a_path():
    for bad in (None, 3, b"x.jpg"):
        with pytest.raises(TypeError, match="path="):
            voc.read_image(bad)


def test_dataset_arguments_and_indices_are_checked(voc_tree):
    for cls in (voc.VOCSegmentation, voc.VOCDetection):
        for bad in (None, 3):
            with pytest.raises(TypeError, match="root="):
                cls(bad)
        ds = cls(voc_tree, image_set="val")
        for bad in (1.0, "0", True, None):
            with pytest.raises(TypeError, match="index="):
                ds[bad]
        with pytest.raises(IndexError, match="index=2 is out of range"):
            ds[len(ds)]
        assert torch.equal(ds[-1][0], ds[len(ds) - 1][0])
        assert len(list(iter(ds))) == len(ds)  # iteration still stops at IndexError

"""Tests of lecture_lib.datasets.coco: tables, RLE by hand against pycocotools, CocoDetection, validation."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from lecture_lib.datasets import coco, synthetic
from lecture_lib.datasets.coco import _pycocotools_decode


@pytest.fixture(scope="module")
def coco_set(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("coco")
    return synthetic.make_coco_shapes(root, n_images=6, image_size=(48, 64), seed=2)


@pytest.fixture
def broken(coco_set, tmp_path) -> tuple[Path, Path, dict]:
    """A private copy of the set and its parsed JSON, to break."""
    image_dir, ann_file = coco_set
    new_images = tmp_path / "images"
    shutil.copytree(image_dir, new_images)
    return new_images, tmp_path / "instances.json", json.loads(ann_file.read_text())


def _save(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


def _pycoco_rle(mask: np.ndarray) -> dict:
    return mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))


# ---------------------------------------------------------------------------------------- tables


def test_category_tables():
    ids = [c[0] for c in coco.COCO_CATEGORIES]
    assert len(ids) == 80 and len(set(ids)) == 80 and ids == sorted(ids) and ids[-1] == 90
    assert coco.COCO_MISSING_IDS == (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)
    assert len(coco.COCO_CATEGORIES) + len(coco.COCO_PAPER_ONLY_CATEGORIES) == 91  # the paper's 91
    assert {c[0] for c in coco.COCO_PAPER_ONLY_CATEGORIES} == set(coco.COCO_MISSING_IDS) | {91}
    assert len({c[2] for c in coco.COCO_CATEGORIES}) == 12  # supercategories
    stuff_ids = [c[0] for c in coco.COCO_PANOPTIC_STUFF]
    assert len(stuff_ids) == 53 and min(stuff_ids) > 90 and len(set(stuff_ids)) == 53
    assert len(coco.COCO_CATEGORIES) + len(coco.COCO_PANOPTIC_STUFF) == 133  # panoptic classes


def test_keypoint_tables():
    assert len(coco.COCO_KEYPOINTS) == 17 and coco.COCO_KEYPOINTS[0] == "nose"
    assert len(coco.COCO_SKELETON) == 19
    used = {k for edge in coco.COCO_SKELETON for k in edge}
    assert used == set(range(1, 18))  # 1-based, every keypoint is on a limb
    # left and right limbs mirror each other: (left_ankle, left_knee) = (16, 14) is listed
    assert coco.COCO_KEYPOINTS[16 - 1] == "left_ankle" and coco.COCO_KEYPOINTS[14 - 1] == "left_knee"


def test_box_conversions():
    xywh = torch.tensor([[10.0, 20.0, 30.0, 5.0]], dtype=torch.float64)
    assert coco.coco_box_to_xyxy(xywh).tolist() == [[10.0, 20.0, 40.0, 25.0]]
    assert torch.equal(coco.xyxy_to_coco_box(coco.coco_box_to_xyxy(xywh)), xywh)
    with pytest.raises(ValueError, match="boxes"):
        coco.coco_box_to_xyxy(torch.zeros(3))


# ------------------------------------------------------------------------------------------- RLE


def test_rle_by_hand_small_examples():
    # column-major reading of [[0, 1], [1, 1], [0, 0]]: 0 1 0 | 1 1 0 -> runs 1, 1, 1, 2, 1
    mask = np.array([[0, 1], [1, 1], [0, 0]], dtype=bool)
    rle = coco.rle_encode(mask)
    assert rle == {"size": [3, 2], "counts": [1, 1, 1, 2, 1]}
    assert np.array_equal(coco.rle_decode(rle), mask)
    assert coco.rle_encode(np.array([[1, 0]]))["counts"] == [0, 1, 1]  # starts with an empty run of 0s
    assert coco.rle_encode(np.zeros((2, 3)))["counts"] == [6]
    # the compact string of the first mask, worked out by hand from the 5-bit code: runs 1, 1, 1, then
    # differences 2 - 1 = 1 and 1 - 1 = 0 -> characters chr(48 + 1) x 4, chr(48 + 0)
    assert _pycoco_rle(mask)["counts"] == b"11110"
    assert coco.rle_counts_from_string("11110") == [1, 1, 1, 2, 1]
    assert coco.rle_counts_from_string(b"11110") == [1, 1, 1, 2, 1]


@settings(max_examples=40)
@given(
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    density=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_rle_by_hand_equals_pycocotools(h, w, density, seed):
    mask = np.random.default_rng(seed).random((h, w)) < density
    ours = coco.rle_encode(mask)
    theirs = _pycoco_rle(mask)
    assert sum(ours["counts"]) == h * w
    assert mask_utils.frPyObjects(ours, h, w)["counts"] == theirs["counts"]  # same runs, same string
    assert coco.rle_counts_from_string(theirs["counts"]) == ours["counts"]
    assert np.array_equal(coco.rle_decode(ours), _pycocotools_decode(theirs))
    compact = {"size": [h, w], "counts": theirs["counts"].decode()}
    assert np.array_equal(coco.rle_decode(compact), mask)


def test_rle_decode_rejects_bad_counts():
    with pytest.raises(ValueError, match=r"sum to 5 .* h\*w=6"):
        coco.rle_decode({"size": [2, 3], "counts": [2, 3]})
    with pytest.raises(ValueError, match="negative"):
        coco.rle_decode({"size": [2, 3], "counts": [7, -1]})
    with pytest.raises(ValueError, match="middle of a number"):
        coco.rle_counts_from_string("1P")  # ord("P") - 48 = 32: the "another group follows" bit, then nothing
    with pytest.raises(ValueError, match="outside the RLE alphabet"):
        coco.rle_counts_from_string("1p")  # ord("p") - 48 = 64 does not fit in 6 bits
    with pytest.raises(ValueError, match="size"):
        coco.rle_decode({"size": [0, 3], "counts": [0]})
    with pytest.raises(ValueError, match="binary"):
        coco.rle_encode(np.array([[0, 2]]))


# ------------------------------------------------------------------------------------- dataset


def test_coco_detection_reads_the_generated_set(coco_set):
    image_dir, ann_file = coco_set
    data = json.loads(ann_file.read_text())
    ds = coco.CocoDetection(image_dir, ann_file)
    assert len(ds) == 6 and ds.ids == [1, 2, 3, 4, 5, 6]
    by_image: dict[int, list[dict]] = {}
    for ann in data["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    for i in range(len(ds)):
        image, target = ds[i]
        image_id = target["image_id"]
        anns = by_image.get(image_id, [])
        assert image.shape == (3, 48, 64) and image.dtype == torch.float32
        assert target["masks"].shape == (len(anns), 48, 64) and target["masks"].dtype == torch.bool
        assert target["boxes"].shape == (len(anns), 4)
        for k, ann in enumerate(anns):
            x, y, w, h = ann["bbox"]
            assert target["boxes"][k].tolist() == [x, y, x + w, y + h]
            assert int(target["labels"][k]) == ann["category_id"]
            assert bool(target["iscrowd"][k]) == bool(ann["iscrowd"])
            assert float(target["area"][k]) == ann["area"] == int(target["masks"][k].sum())
            expected = _pycocotools_decode(ds.coco.annToRLE(ann))  # pycocotools' own path
            assert np.array_equal(target["masks"][k].numpy(), expected)
    assert "keypoints" not in ds[0][1]
    assert ds[len(ds) - 1][1]["boxes"].shape == (0, 4)  # the image without annotations


def test_crowd_rle_decoded_by_hand_equals_the_loaded_mask(coco_set):
    image_dir, ann_file = coco_set
    ds = coco.CocoDetection(image_dir, ann_file)
    _, target = ds[0]
    crowd = [a for a in ds.coco.imgToAnns[1] if a["iscrowd"]][0]
    assert isinstance(crowd["segmentation"]["counts"], list)  # uncompressed, as in COCO's JSON
    k = int(torch.nonzero(target["iscrowd"])[0, 0])
    assert np.array_equal(coco.rle_decode(crowd["segmentation"]), target["masks"][k].numpy())


def test_two_polygon_object_has_two_parts(coco_set):
    image_dir, ann_file = coco_set
    ds = coco.CocoDetection(image_dir, ann_file)
    _, target = ds[1]
    (ann,) = ds.coco.imgToAnns[2]
    assert len(ann["segmentation"]) == 2 and target["masks"].shape[0] == 1
    columns = target["masks"][0].any(dim=0)  # (W,)
    # covered columns split into two runs by the pole
    assert int((columns[1:] & ~columns[:-1]).sum()) + int(columns[0]) == 2


def test_compressed_rle_and_keypoints_are_read(broken):
    image_dir, path, data = broken
    crowd = next(a for a in data["annotations"] if a["iscrowd"])
    mask = coco.rle_decode(crowd["segmentation"])
    crowd["segmentation"] = {
        "size": crowd["segmentation"]["size"],
        "counts": _pycoco_rle(mask)["counts"].decode(),
    }
    crowd["keypoints"] = list(range(51))
    ds = coco.CocoDetection(image_dir, _save(path, data))
    _, target = ds[0]
    k = int(torch.nonzero(target["iscrowd"])[0, 0])
    assert np.array_equal(target["masks"][k].numpy(), mask)
    assert target["keypoints"].shape == (len(target["labels"]), 17, 3)
    assert target["keypoints"][k, 1].tolist() == [3.0, 4.0, 5.0]


def test_transforms_get_the_pair(coco_set):
    image_dir, ann_file = coco_set

    def double(image, target):
        return image * 2, {**target, "doubled": True}

    image, target = coco.CocoDetection(image_dir, ann_file, transforms=double)[0]
    assert target["doubled"] and image.max() > 1.0


# ---------------------------------------------------------------------------------- broken input


def _first_polygon_ann(data: dict) -> dict:
    return next(a for a in data["annotations"] if isinstance(a["segmentation"], list))


def test_annotation_with_missing_image(broken):
    image_dir, path, data = broken
    data["annotations"][0]["image_id"] = 999
    ann_id = data["annotations"][0]["id"]
    with pytest.raises(ValueError, match=rf"instances\.json: annotation id={ann_id} refers to image_id=999"):
        coco.CocoDetection(image_dir, _save(path, data))


def test_annotation_with_missing_category(broken):
    image_dir, path, data = broken
    data["annotations"][1]["category_id"] = 12
    ann_id = data["annotations"][1]["id"]
    with pytest.raises(
        ValueError, match=rf"instances\.json: annotation id={ann_id} refers to category_id=12"
    ):
        coco.CocoDetection(image_dir, _save(path, data))


@pytest.mark.parametrize("n_coords", [4, 7])
def test_polygon_too_short_or_odd(broken, n_coords):
    image_dir, path, data = broken
    ann = _first_polygon_ann(data)
    ann["segmentation"][0] = [float(v) for v in range(n_coords)]
    with pytest.raises(
        ValueError, match=rf"instances\.json: annotation id={ann['id']}: polygon 0 has {n_coords}"
    ):
        coco.CocoDetection(image_dir, _save(path, data))


def test_rle_counts_not_summing_to_h_times_w(broken):
    image_dir, path, data = broken
    crowd = next(a for a in data["annotations"] if a["iscrowd"])
    crowd["segmentation"]["counts"][-1] += 1
    with pytest.raises(
        ValueError, match=rf"instances\.json: annotation id={crowd['id']}: RLE counts sum to 3073"
    ):
        coco.CocoDetection(image_dir, _save(path, data))


def test_compressed_rle_counts_not_summing(broken):
    image_dir, path, data = broken
    crowd = next(a for a in data["annotations"] if a["iscrowd"])
    small = _pycoco_rle(np.ones((4, 4), dtype=bool))["counts"].decode()  # sums to 16, not 48 * 64
    crowd["segmentation"] = {"size": [48, 64], "counts": small}
    with pytest.raises(ValueError, match=rf"annotation id={crowd['id']}: RLE counts sum to 16 .* h\*w=3072"):
        coco.CocoDetection(image_dir, _save(path, data))


def test_rle_size_differs_from_image(broken):
    image_dir, path, data = broken
    crowd = next(a for a in data["annotations"] if a["iscrowd"])
    crowd["segmentation"] = coco.rle_encode(np.zeros((64, 48), dtype=bool))
    with pytest.raises(ValueError, match=rf"annotation id={crowd['id']}: RLE size .* differs from image"):
        coco.CocoDetection(image_dir, _save(path, data))


def test_bad_bbox_duplicate_ids_and_structure(broken):
    image_dir, path, data = broken
    bad = json.loads(json.dumps(data))
    bad["annotations"][0]["bbox"] = [0, 0, -1, 3]
    with pytest.raises(ValueError, match=r"instances\.json: annotation id=1 has bbox"):
        coco.load_instances(_save(path, bad))
    bad = json.loads(json.dumps(data))
    bad["annotations"][1]["id"] = bad["annotations"][0]["id"]
    with pytest.raises(ValueError, match="appears twice"):
        coco.load_instances(_save(path, bad))
    del data["categories"]
    with pytest.raises(ValueError, match=r"instances\.json: has no 'categories'"):
        coco.load_instances(_save(path, data))
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"instances\.json: not valid JSON"):
        coco.load_instances(path)
    with pytest.raises(FileNotFoundError, match=r"nothere\.json"):
        coco.load_instances(path.parent / "nothere.json")


def test_missing_image_file_names_it(broken):
    image_dir, path, data = broken
    (image_dir / data["images"][2]["file_name"]).unlink()
    with pytest.raises(FileNotFoundError, match=rf"image id=3 .*{data['images'][2]['file_name']}"):
        coco.CocoDetection(image_dir, _save(path, data))


def test_image_size_differs_from_json(broken):
    image_dir, path, data = broken
    data["images"][0]["width"] = 65
    for ann in data["annotations"]:  # keep the RLE consistent with the claimed size
        if ann["image_id"] == 1 and ann["iscrowd"]:
            ann["segmentation"] = coco.rle_encode(np.zeros((48, 65), dtype=bool))
    ds = coco.CocoDetection(image_dir, _save(path, data))
    with pytest.raises(ValueError, match=r"000000000001\.jpg: image is 64 x 48 .* width=65"):
        ds[0]


# ------------------------------------------------------------------- impossible values (issue 15)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 1e9, -3.0, 64 + 2.5])
def test_polygon_coordinate_not_finite_or_outside_the_image_is_refused(broken, value):
    image_dir, path, data = broken
    ann = _first_polygon_ann(data)
    index = data["annotations"].index(ann)
    ann["segmentation"][0][4] = value  # an x coordinate; the image is 64 wide
    with pytest.raises(
        ValueError, match=rf"instances\.json: annotations\[{index}\]\.segmentation\[0\]\[4\]=.*id={ann['id']}"
    ):
        coco.CocoDetection(image_dir, _save(path, data))  # before pycocotools ever sees it


def test_polygon_y_coordinate_beyond_the_height_names_the_field(broken):
    image_dir, path, data = broken
    ann = _first_polygon_ann(data)
    index = data["annotations"].index(ann)
    ann["segmentation"][0][5] = 48 + 3.0  # a y coordinate; the image is 48 high
    with pytest.raises(ValueError, match=rf"annotations\[{index}\]\.segmentation\[0\]\[5\]=51\.0.*height 48"):
        coco.load_instances(_save(path, data))


def test_coordinates_on_the_far_border_and_a_small_overshoot_are_accepted(broken):
    image_dir, path, data = broken
    ann = _first_polygon_ann(data)
    ann["segmentation"][0][:6] = [0, 0, 64, 0, 64.5, 48]  # real COCO reaches width/height, and overshoots
    ann["bbox"] = [0.0, 0.0, 64.0, 48.0]
    ds = coco.CocoDetection(image_dir, _save(path, data))
    k = next(i for i, a in enumerate(ds.coco.imgToAnns[ann["image_id"]]) if a["id"] == ann["id"])
    _image, target = ds[ds.ids.index(ann["image_id"])]
    assert target["masks"][k].any()


@pytest.mark.parametrize(
    "bbox", [[float("nan"), 0, 3, 3], [0, 0, float("inf"), 3], [0, 0, 3, -float("inf")], [1e9, 0, 3, 3]]
)
def test_bbox_not_finite_or_outside_the_image_is_refused(broken, bbox):
    image_dir, path, data = broken
    data["annotations"][2]["bbox"] = bbox
    with pytest.raises(ValueError, match=r"instances\.json: annotations\[2\]\.bbox=.*annotation id=3"):
        coco.load_instances(_save(path, data))


@pytest.mark.parametrize("area", [float("nan"), float("inf"), -1.0, "12", True])
def test_area_not_a_finite_non_negative_number_is_refused(broken, area):
    _image_dir, path, data = broken
    data["annotations"][1]["area"] = area
    with pytest.raises(ValueError, match=r"instances\.json: annotations\[1\]\.area=.*finite number >= 0"):
        coco.load_instances(_save(path, data))


@pytest.mark.parametrize("bad", ["1", True, 1.0, None, [1]])
@pytest.mark.parametrize(
    ("table", "key", "field"),
    [
        ("images", "id", r"images\[0\]\.id"),
        ("categories", "id", r"categories\[0\]\.id"),
        ("annotations", "id", r"annotations\[0\]\.id"),
        ("annotations", "image_id", r"annotations\[0\]\.image_id"),
        ("annotations", "category_id", r"annotations\[0\]\.category_id"),
    ],
)
def test_ids_that_are_not_integers_are_refused(broken, bad, table, key, field):
    _image_dir, path, data = broken
    data[table][0][key] = bad
    with pytest.raises(ValueError, match=rf"instances\.json: {field}=.* must be an integer id"):
        coco.load_instances(_save(path, data))


def test_iscrowd_bool_is_refused(broken):
    _image_dir, path, data = broken
    data["annotations"][0]["iscrowd"] = True
    with pytest.raises(ValueError, match=r"iscrowd=True; expected 0 or 1"):
        coco.load_instances(_save(path, data))


@pytest.mark.parametrize(
    "name",
    ["/etc/passwd", "../../x.jpg", "a/../../x.jpg", "..\\x.jpg", "C:\\x.jpg", "C:x.jpg", "", ".", "a/..", 7],
)
def test_file_name_that_leaves_the_image_folder_is_refused(broken, name):
    image_dir, path, data = broken
    data["images"][1]["file_name"] = name
    with pytest.raises(ValueError, match=r"instances\.json: images\[1\]\.file_name=.* \(image id=2\)"):
        coco.CocoDetection(image_dir, _save(path, data))


def test_file_name_in_a_subfolder_is_accepted(broken):
    image_dir, path, data = broken
    name = data["images"][1]["file_name"]
    (image_dir / "sub").mkdir()
    (image_dir / name).rename(image_dir / "sub" / name)
    data["images"][1]["file_name"] = f"./sub/../sub/{name}"
    ds = coco.CocoDetection(image_dir, _save(path, data))
    assert ds[1][0].shape == (3, 48, 64)


def test_bbox_with_a_negative_width_or_height_names_the_field(broken):
    _image_dir, path, data = broken
    for bbox in ([1, 1, -3, 3], [1, 1, 3, -0.5]):
        data["annotations"][2]["bbox"] = bbox
        with pytest.raises(
            ValueError,
            match=r"annotation id=3 has bbox=.* negative width or height \(annotations\[2\]\.bbox\)",
        ):
            coco.load_instances(_save(path, data))


@pytest.mark.parametrize("keypoints", [[1, 2], [1, 2, float("nan")], [], "1 2 2", [1, 2, True]])
def test_malformed_keypoints_are_refused(broken, keypoints):
    _image_dir, path, data = broken
    data["annotations"][0]["keypoints"] = keypoints
    with pytest.raises(ValueError, match=r"annotations\[0\]\.keypoints \(annotation id=1\) must be"):
        coco.load_instances(_save(path, data))


def test_keypoint_lists_of_different_lengths_are_refused(broken):
    _image_dir, path, data = broken
    data["annotations"][0]["keypoints"] = [0] * 51
    data["annotations"][1]["keypoints"] = [0] * 6
    with pytest.raises(
        ValueError, match=r"annotations\[1\]\.keypoints .* has 2 keypoints but annotation id=1 has 17"
    ):
        coco.load_instances(_save(path, data))


def test_rle_of_an_impossible_size_is_refused_before_allocating():
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"rle: RLE size=\[1048576, 1048576\] is larger than any image"):
        coco.rle_decode({"size": [2**20, 2**20], "counts": [2**40]})
    assert time.perf_counter() - start < 0.5
    with pytest.raises(ValueError, match="counts=.* more than 64 bits"):
        coco.rle_counts_from_string("P" * 10_000 + "0")
    with pytest.raises(ValueError, match="counts=.* outside the RLE alphabet"):
        coco.rle_counts_from_string(b"\xff\xfe")
    with pytest.raises(TypeError, match="counts="):
        coco.rle_counts_from_string([1, 2])


def test_rle_encode_refuses_what_is_not_a_binary_mask():
    with pytest.raises(TypeError, match="mask=None"):
        coco.rle_encode(None)
    with pytest.raises(TypeError, match="mask must hold bools"):
        coco.rle_encode(np.ones((2, 2), dtype=np.complex64))
    with pytest.raises(ValueError, match="mask is on the meta device"):
        coco.rle_encode(torch.ones(2, 2, device="meta"))
    assert coco.rle_encode([[0, 1], [1, 1]]) == {"size": [2, 2], "counts": [1, 3]}  # lists still work


def test_box_conversions_refuse_nan_and_integer_boxes():
    with pytest.raises(ValueError, match="boxes contains NaN"):
        coco.coco_box_to_xyxy(torch.tensor([[0.0, 0.0, float("nan"), 1.0]]))
    with pytest.raises(TypeError, match="boxes must have a floating dtype"):
        coco.xyxy_to_coco_box(torch.tensor([[0, 0, 1, 1]]))


def test_dataset_arguments_and_indices_are_checked(coco_set):
    image_dir, ann_file = coco_set
    for bad in (None, 3, b"x"):
        with pytest.raises(TypeError, match="root="):
            coco.CocoDetection(bad, ann_file)
        with pytest.raises(TypeError, match="ann_file="):
            coco.CocoDetection(image_dir, bad)
        with pytest.raises(TypeError, match="ann_file="):
            coco.load_instances(bad)
    ds = coco.CocoDetection(image_dir, ann_file)
    for bad in (0.0, "0", True, None):
        with pytest.raises(TypeError, match="index="):
            ds[bad]
    with pytest.raises(IndexError, match=f"index={len(ds)} is out of range"):
        ds[len(ds)]
    assert ds[-1][1]["image_id"] == ds.ids[-1]


def test_masks_of_one_image_are_checked_against_memory_before_allocating(coco_set, monkeypatch):
    ds = coco.CocoDetection(*coco_set)
    monkeypatch.setattr(coco, "_MAX_MASK_BYTES", 100)  # stands for thousands of annotations on one image
    with pytest.raises(ValueError, match=r"image id=1 has \d+ annotations; their 48 x 64 masks would take"):
        ds[0]

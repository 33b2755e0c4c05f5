"""Bad-input specs: lecture_lib.metrics and lecture_lib.train (see tests/badinput.py for the machinery)."""

from __future__ import annotations

import atexit
import contextlib
import io
import math
import shutil
import tempfile
from pathlib import Path

import torch
from badinput import Arg, Spec
from torch import nn

from lecture_lib import metrics, train

CONSTANTS = ["lecture_lib.metrics.COCO_STAT_NAMES", "lecture_lib.metrics.VOC07_RECALL_LEVELS"]

NAN = math.nan
_MIXED_OK = "float32 with float64 is computed in float64 by type promotion: the result is exact"


def _t(*rows: list[float]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


# ------------------------------------------------------------------------------------------- metrics

_BOXES1 = _t([0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 4.0])
_BOXES2 = _t([0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0])
_INVERTED = (("inverted", _t([2.0, 0.0, 1.0, 1.0])),)


def _detection(**change) -> dict:
    entry = {"boxes": _t([0.0, 0.0, 10.0, 10.0]), "scores": torch.tensor([0.9]), "labels": torch.tensor([1])}
    entry.update(change)
    return entry


def _target(**change) -> dict:
    entry = {"boxes": _t([0.0, 0.0, 10.0, 10.0]), "labels": torch.tensor([1])}
    entry.update(change)
    return entry


_BAD_PREDICTIONS = (
    ("none", None),
    ("dict", _detection()),
    ("str", "boxes"),
    ("entry-int", [3]),
    ("nan-box", [_detection(boxes=_t([NAN, 0.0, 10.0, 10.0]))]),
    ("inverted-box", [_detection(boxes=_t([10.0, 0.0, 0.0, 10.0]))]),
    ("complex-box", [_detection(boxes=_t([0.0, 0.0, 10.0, 10.0]).to(torch.complex64))]),
    ("bool-box", [_detection(boxes=torch.ones(1, 4, dtype=torch.bool))]),
    ("nan-score", [_detection(scores=torch.tensor([NAN]))]),
    ("str-score", [_detection(scores=["high"])]),
    ("fractional-label", [_detection(labels=torch.tensor([1.7]))]),
    ("bool-label", [_detection(labels=torch.tensor([True]))]),
    ("missing-scores", [{"boxes": _t([0.0, 0.0, 1.0, 1.0]), "labels": torch.tensor([1])}]),
    ("meta-box", [_detection(boxes=_t([0.0, 0.0, 10.0, 10.0]).to("meta"))]),
    ("count-mismatch", [_detection(scores=torch.tensor([0.9, 0.8]))]),
)
# the same faults in the first of two images (to_coco_results takes two image ids)
_TWO_IMAGES = tuple(
    (label, v + [_detection()] if isinstance(v, list) and v else v) for label, v in _BAD_PREDICTIONS
)
_BAD_TARGETS = (
    ("none", None),
    ("dict", _target()),
    ("nan-box", [_target(boxes=_t([0.0, NAN, 10.0, 10.0]))]),
    ("fractional-label", [_target(labels=torch.tensor([1.5]))]),
    ("difficult-half", [_target(difficult=torch.tensor([0.5]))]),
    ("fewer-images", []),
)


def _coco_gt():
    from pycocotools.coco import COCO

    gt = COCO()
    gt.dataset = {
        "images": [{"id": 1, "file_name": "a.jpg", "height": 20, "width": 20}],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}
        ],
    }
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
    return gt


_RESULT = {"image_id": 1, "category_id": 1, "bbox": [0.0, 0.0, 10.0, 7.2], "score": 1.0}
_BAD_RESULTS = (
    ("none", None),
    ("dict", _RESULT),
    ("str", "results.json"),
    ("empty", []),
    ("entry-str", ["x"]),
    ("nan-bbox", [{**_RESULT, "bbox": [NAN, 0.0, 1.0, 1.0]}]),
    ("negative-width", [{**_RESULT, "bbox": [0.0, 0.0, -1.0, 1.0]}]),
    ("nan-score", [{**_RESULT, "score": NAN}]),
    ("str-score", [{**_RESULT, "score": "1"}]),
    ("unknown-image", [{**_RESULT, "image_id": 99}]),
    ("str-image", [{**_RESULT, "image_id": "1"}]),
    ("unknown-category", [{**_RESULT, "category_id": 99}]),
)

_CONFUSION = torch.tensor([[3, 1, 0], [0, 2, 0], [1, 0, 4]])
_BAD_CONFUSION = (
    ("nan", torch.tensor([[1.0, NAN], [0.0, 1.0]])),
    ("inf", torch.tensor([[1.0, math.inf], [0.0, 1.0]])),
    ("negative", torch.tensor([[1, -1], [0, 1]])),
    ("not-square", torch.zeros(2, 3, dtype=torch.int64)),
    ("meta", _CONFUSION.to("meta")),
)

_CURVE_SKIP = {
    "recall:mixed-dtype": _MIXED_OK,
    "precision:mixed-dtype": _MIXED_OK,
}

SPECS = [
    Spec(
        "lecture_lib.metrics.box_iou",
        metrics.box_iou,
        {
            "boxes1": Arg(_BOXES1, "tensor", finite=True, half_ok=True, bad=_INVERTED),
            "boxes2": Arg(_BOXES2, "tensor", finite=True, half_ok=True, bad=_INVERTED),
        },
        skip={"boxes1:mixed-dtype": _MIXED_OK, "boxes2:mixed-dtype": _MIXED_OK},
    ),
    Spec(
        "lecture_lib.metrics.confusion_matrix",
        metrics.confusion_matrix,
        {
            "pred": Arg(
                torch.tensor([[0, 1, 2], [2, 1, 0]]),
                "tensor",
                dtype="integer",
                bad=(("out-of-range", torch.tensor([[0, 1, 3], [2, 1, 0]])),),
            ),  # fmt: skip
            "target": Arg(
                torch.tensor([[0, 1, 1], [2, 255, 0]]),
                "tensor",
                dtype="integer",
                bad=(("negative-class", torch.tensor([[0, -1, 1], [2, 1, 0]])),),
            ),  # fmt: skip
            "num_classes": Arg(3, "size", huge=True, bad=(("too-big", 10**6),)),
            "ignore_index": Arg(255, "int", optional=True),
        },
    ),
    Spec(
        "lecture_lib.metrics.mean_iou",
        metrics.mean_iou,
        {"confusion": Arg(_CONFUSION, "tensor", dtype="real", bad=_BAD_CONFUSION)},
    ),  # fmt: skip
    Spec(
        "lecture_lib.metrics.pixel_accuracy",
        metrics.pixel_accuracy,
        {"confusion": Arg(_CONFUSION, "tensor", dtype="real", bad=_BAD_CONFUSION)},
    ),  # fmt: skip
    Spec(
        "lecture_lib.metrics.voc_ap",
        metrics.voc_ap,
        {
            "recall": Arg(
                torch.tensor([0.5, 0.5, 1.0]),
                "tensor",
                finite=True,
                half_ok=True,
                bad=(
                    ("above-one", torch.tensor([0.5, 0.5, 1.5])),
                    ("decreasing", torch.tensor([0.5, 1.0, 0.25])),
                    ("other-length", torch.tensor([0.5, 1.0])),
                ),
            ),  # fmt: skip
            "precision": Arg(
                torch.tensor([1.0, 0.5, 2 / 3]),
                "tensor",
                finite=True,
                half_ok=True,
                bad=(("negative", torch.tensor([1.0, -0.5, 0.5])),),
            ),  # fmt: skip
            "use_07_metric": Arg(False, "bool"),
        },
        skip=_CURVE_SKIP,
    ),
    Spec(
        "lecture_lib.metrics.evaluate_detections",
        metrics.evaluate_detections,
        {
            "predictions": Arg([_detection()], bad=_BAD_PREDICTIONS),
            "targets": Arg([_target()], bad=_BAD_TARGETS),
            "iou_threshold": Arg(0.5, "real", minimum=0.0, bad=(("zero", 0.0), ("above-one", 1.5))),
            "use_07_metric": Arg(False, "bool"),
            "classes": Arg([1], "seq", optional=True, bad=(("bytes", b"12"), ("bool-items", [True]))),
        },
    ),
    Spec(
        "lecture_lib.metrics.to_coco_results",
        metrics.to_coco_results,
        {
            "image_ids": Arg([7, 8], "seq", bad=(("dict", {7: 0, 8: 1}), ("fewer", [7]))),
            "predictions": Arg([_detection(), _detection()], bad=_TWO_IMAGES),
            "masks": Arg(False, "bool", bad=(("no-masks", True),)),
        },
    ),
    Spec(
        "lecture_lib.metrics.coco_map",
        metrics.coco_map,
        {
            "coco_gt": Arg(_coco_gt(), bad=(("none", None), ("int", 3), ("bytes", b"gt.json"), ("dict", {}))),
            "results": Arg([_RESULT], bad=_BAD_RESULTS),
            "iou_type": Arg("bbox", "choice", bad=(("segm-without-masks", "segm"),)),
        },
    ),
]

# --------------------------------------------------------------------------------------------- train

_TMP = Path(tempfile.mkdtemp(prefix="badinput_train_"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
_X = torch.ones(4, 2)
_BATCHES = [(_X, torch.ones(4, 1)), (_X, torch.zeros(4, 1))]


class _OwnOptimizer:
    """Stands for ``torch.optim.SGD(model.parameters())`` of the model of the call (built inside)."""

    def __repr__(self) -> str:
        return "SGD(model.parameters())"


_OWN = _OwnOptimizer()


def _metric(model, loader, device) -> float:
    return 0.5


def _fit(model, optimizer, **kwargs):
    if optimizer is _OWN:
        params = model.parameters() if isinstance(model, nn.Module) else nn.Linear(2, 1).parameters()
        optimizer = torch.optim.SGD(params, lr=0.1)
    return train.fit(model=model, optimizer=optimizer, **kwargs)


_OTHER = nn.Linear(2, 1)
_OTHER_SGD = torch.optim.SGD(_OTHER.parameters(), lr=0.1)

_FIT_ARGS = {
    "model": Arg(nn.Linear(2, 1), "module"),
    "train_loader": Arg(
        _BATCHES,
        bad=(
            ("none", None),
            ("int", 3),
            ("str", "loader"),
            ("empty", []),
            ("triples", [(_X, _X, _X)]),
            ("tensors", [_X]),
        ),
    ),  # fmt: skip
    "val_loader": Arg(_BATCHES, optional=True, bad=(("int", 3), ("empty", []), ("triples", [(_X, _X, _X)]))),
    "loss_fn": Arg(nn.MSELoss(), "callable", bad=(("vector-loss", nn.MSELoss(reduction="none")),)),
    "optimizer": Arg(_OWN, bad=(("none", None), ("str", "adam"), ("other-model", _OTHER_SGD))),
    "epochs": Arg(1, "size"),
    "device": Arg("cpu", "device"),
    "val_every": Arg(1, "size"),
    "patience": Arg(2, "size", optional=True),
    "min_delta": Arg(0.0, "real", minimum=0.0),
    "monitor": Arg("val_loss", "choice", bad=(("metric-without-metrics", "accuracy"),)),
    "mode": Arg("min", "choice"),
    "checkpoint_path": Arg(str(_TMP / "fit.pt"), "path", optional=True, bad=(("directory", str(_TMP)),)),
    "resume": Arg(False, "bool"),
    "restore_best": Arg(False, "bool"),
    "metrics": Arg(
        {"m": _metric},
        optional=True,
        bad=(
            ("list", [_metric]),
            ("int", 3),
            ("str", "acc"),
            ("not-callable", {"m": 3}),
            ("loss-name", {"val_loss": _metric}),
        ),
    ),  # fmt: skip
    "scheduler": Arg(
        None,
        optional=True,
        bad=(("int", 3), ("other-optimizer", torch.optim.lr_scheduler.StepLR(_OTHER_SGD, step_size=1))),
    ),  # fmt: skip
    "batch_transform": Arg(None, "callable", optional=True, bad=(("not-a-pair", lambda x, y: x),)),
    "max_batches": Arg(None, "size", optional=True),
    "progress": Arg(False, "bool"),
}

_HISTORY = {
    "epochs": Arg([1, 2], "seq", bad=(("zero", [0, 1]), ("tuple-of-str", ("1", "2")))),
    "train_loss": Arg(
        [0.5, 0.4],
        bad=(
            ("none", None),
            ("str", "12"),
            ("str-items", ["a", "b"]),
            ("bool-items", [True, False]),
            ("misaligned", [0.5]),
        ),
    ),  # fmt: skip
    "epoch_time": Arg([0.1, 0.1], bad=(("none", None), ("tensor", torch.ones(2)))),
    "val_epochs": Arg([1, 2], "seq"),
    "val_loss": Arg([0.6, float("nan")], bad=(("none", None), ("complex-items", [1j, 1j]))),
    "metrics": Arg(
        {"acc": [0.1, 0.2]},
        bad=(
            ("none", None),
            ("list", [0.1, 0.2]),
            ("int-key", {1: [0.1, 0.2]}),
            ("misaligned", {"acc": [0.1]}),
        ),
    ),  # fmt: skip
    "monitor": Arg("val_loss", "str"),
    "mode": Arg("min", "choice"),
    "best_epoch": Arg(1, "int", optional=True, minimum=1),
    "best_value": Arg(0.6, "real", optional=True),
    "stopped_early": Arg(False, "bool"),
}

SPECS += [
    Spec("lecture_lib.train.fit", _fit, _FIT_ARGS),
    Spec("lecture_lib.train.History", train.History, _HISTORY),
    Spec(
        "lecture_lib.train.History.from_state_dict",
        train.History.from_state_dict,
        {
            "state": Arg(
                train.History(epochs=[1], train_loss=[0.5], epoch_time=[0.1]).state_dict(),
                bad=(
                    ("none", None),
                    ("int", 3),
                    ("missing-key", {"epochs": [1]}),
                    ("float-epochs", {**train.History().state_dict(), "epochs": [1.7]}),
                    ("str-flag", {**train.History().state_dict(), "stopped_early": "False"}),
                ),
            )
        },
    ),
]

"""Bad-input specs: lecture_lib.datasets.photo_trees; see tests/badinput.py.

The valid calls write the photographs' trees into a temporary folder (removed at exit).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from badinput import Arg, Spec

from lecture_lib.datasets import photo_trees

_TMP = Path(tempfile.mkdtemp(prefix="badinput_photos_"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
_FILE = _TMP / "a_file"
_FILE.write_text("not a folder\n")

SPECS = [
    Spec(
        "lecture_lib.datasets.photo_trees.write_voc_photo_tree",
        photo_trees.write_voc_photo_tree,
        {"root": Arg(_TMP / "voc", "path", bad=(("a file", _FILE),))},
    ),
    Spec(
        "lecture_lib.datasets.photo_trees.write_coco_photo_tree",
        photo_trees.write_coco_photo_tree,
        {
            "root": Arg(_TMP / "coco", "path", bad=(("a file", _FILE),)),
            "split": Arg(
                "val2017", "str", bad=(("slash", "a/b"), ("dotdot", ".."), ("annotations", "annotations"))
            ),
        },
    ),
]

CONSTANTS = ["lecture_lib.datasets.photo_trees.PHOTO_OBJECTS"]

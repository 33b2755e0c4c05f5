"""Exercise checkers: each runs a student's function against the course's reference on random cases.

A checker returns a :class:`~lecture_lib.exercises._core.CheckResult`; printing it says "all N cases pass" or describes the first failing
case (its arguments and shapes, and the largest error). Checkers live in one submodule per topic and are
re-exported here, so a chapter writes ``from lecture_lib.exercises import check_...``.
"""

from ._core import Case, CheckResult, compare_on_cases
from .autoencoder import check_autoencoder
from .checkerboard import check_resize_conv_as_transposed
from .gated import check_lstm_cell
from .metrics import check_box_iou, check_mean_iou
from .rnn import check_bptt
from .transposed_conv import check_conv_transpose2d

__all__ = [
    "Case",
    "CheckResult",
    "compare_on_cases",
    "check_bptt",
    "check_lstm_cell",
    "check_box_iou",
    "check_mean_iou",
    "check_conv_transpose2d",
    "check_autoencoder",
    "check_resize_conv_as_transposed",
]

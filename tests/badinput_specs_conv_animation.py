"""Bad-input specs: lecture_lib.conv_animation (see tests/badinput.py for the machinery)."""

from __future__ import annotations

from badinput import Arg, Spec

from lecture_lib import conv_animation

_GIF = conv_animation.conv_animation(2, 2, cell_size=4)


def _sizes() -> dict[str, Arg]:
    """A transposed k3 s2 p1 with output padding 1 on a 3x3 input (6x6 output), small cells."""
    return {
        "input_size": Arg(3, "size", huge=True),
        "kernel_size": Arg(3, "size", huge=True),
        "stride": Arg(2, "size", huge=True),
        "padding": Arg(1, "size", minimum=0, huge=True),
        "dilation": Arg(1, "size", huge=True),
        "transposed": Arg(True, "bool"),
        "output_padding": Arg(1, "size", minimum=0, huge=True, bad=(("not-below-stride", 2),)),
        "cell_size": Arg(4, "size", minimum=4, huge=True),
    }


SPECS = [
    Spec("lecture_lib.conv_animation.conv_animation_frames", conv_animation.conv_animation_frames, _sizes()),
    Spec(
        "lecture_lib.conv_animation.conv_animation",
        conv_animation.conv_animation,
        {**_sizes(), "frame_ms": Arg(20, "size", minimum=20, huge=True)},
    ),
    Spec(
        "lecture_lib.conv_animation.animation_gallery",
        conv_animation.animation_gallery,
        {
            "animations": Arg(
                [("k2 on 2x2", _GIF)],
                "any",
                bad=(
                    ("none", None),
                    ("str", "k2 on 2x2"),
                    ("empty", []),
                    ("bytes-only", [_GIF]),
                    ("swapped", [(_GIF, "k2 on 2x2")]),
                    ("not-gif", [("png", b"\x89PNG\r\n\x1a\n")]),
                ),
            ),
            "columns": Arg(2, "size", huge=True),
        },
    ),
]
CONSTANTS = ["lecture_lib.conv_animation.PALETTE"]

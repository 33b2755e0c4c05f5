"""Bad-input specs: lecture_lib.segmentation_models (U-Net, SegNet) and lecture_lib.receptive_field."""

from __future__ import annotations

import torch
from badinput import Arg, Spec
from torch import nn

from lecture_lib.receptive_field import ReceptiveField, receptive_field, receptive_field_intervals
from lecture_lib.segmentation_models import SegNet, UNet

torch.manual_seed(0)
_UNET = UNet(3, width=2).eval()
_SEGNET = SegNet(3, width=2).eval()
_STACK = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
_BAD_LAYERS = (("int", 3), ("str", "conv"), ("list-of-int", [3]), ("empty", []), ("lstm", [nn.LSTM(2, 2)]))


def _unet_forward(x):
    with torch.no_grad():
        return _UNET(x)


def _segnet_forward(x):
    with torch.no_grad():
        return _SEGNET(x)


SPECS = [
    Spec(
        "lecture_lib.segmentation_models.UNet",
        UNet,
        {
            "num_classes": Arg(3, "size"),
            "upsample": Arg("bilinear", "choice"),
            "in_channels": Arg(3, "size"),
            "width": Arg(2, "size"),
        },
    ),
    Spec(
        "lecture_lib.segmentation_models.SegNet",
        SegNet,
        {"num_classes": Arg(3, "size"), "in_channels": Arg(3, "size"), "width": Arg(2, "size")},
    ),
    Spec(
        "lecture_lib.segmentation_models.UNet.forward",
        _unet_forward,
        {"x": Arg(torch.rand(1, 3, 16, 16), "tensor", bad=(("odd-size", torch.rand(1, 3, 12, 16)),))},
    ),
    Spec(
        "lecture_lib.segmentation_models.SegNet.forward",
        _segnet_forward,
        {"x": Arg(torch.rand(1, 3, 16, 16), "tensor", bad=(("odd-size", torch.rand(1, 3, 16, 20)),))},
    ),
    Spec(
        "lecture_lib.receptive_field.ReceptiveField",
        ReceptiveField,
        {
            "layer": Arg("Conv2d", "str"),
            "size": Arg(3, "size"),
            "jump": Arg(1, "size"),
            "start": Arg(0.0, "real"),
        },
    ),
    Spec(
        "lecture_lib.receptive_field.receptive_field",
        receptive_field,
        {
            "layers": Arg(_STACK, "any", bad=(*_BAD_LAYERS, ("upsampling", [nn.Upsample(scale_factor=2)]))),
            "axis": Arg(-1, "int", minimum=-2, bad=(("zero", 0), ("one", 1))),
        },
    ),
    Spec(
        "lecture_lib.receptive_field.receptive_field_intervals",
        receptive_field_intervals,
        {
            "layers": Arg(_STACK, "any", bad=_BAD_LAYERS),
            "size": Arg(16, "size", huge=True, bad=(("too-small", 1),)),
            "axis": Arg(-1, "int", minimum=-2, bad=(("zero", 0),)),
            "clip": Arg(True, "bool"),
        },
    ),
]

"""Segmentation decoders over seeds: the full comparison behind the chapter's smaller one.

The chapter "Segmentation" trains three architectures from three seeds for 100 steps. This script trains five
(``ARCHITECTURES``: the plain ``EncoderDecoder`` with each of its three x2 layers, a 4x4 stride-2 transposed
convolution, nearest x2 + 3x3 convolution and bilinear x2 + 3x3 convolution; ``SegNet`` with max-unpooling at
the encoder's switches; ``UNet`` with skip connections and transposed convolutions), all of base width 8,
from ``SEEDS`` on two budgets (``BUDGETS``: the chapter's 100 steps, and four times as many), on the same
data as the chapter: 400 training and 100 validation images of ``make_voc_shapes`` at 64 x 64 (seed 0).

Training is the chapter's: Adam at 1e-2 with a cosine schedule to zero over the budget, batches of 8 images
drawn at random, cross-entropy with void ignored and class weights 1/sqrt(frequency). Evaluation: validation
mean IoU (one confusion matrix over the 100 images, void ignored) and the checkerboard energy of the logits
of the five labels that occur (white noise: 127/4095 = 0.031). Each row gives the mean, the minimum and the
maximum over seeds, so that a difference can be read against the spread.

``run(device)`` returns one row per (budget, architecture). Runs are spread over ``workers`` processes (two,
or fewer cores), each with one torch thread; results do not depend on the number of workers. The
environment variable ``BENCH_SEGMENTATION_STEPS`` replaces the budgets by one (for smoke tests).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time

import torch
from torch import nn
from torch.utils.data import DataLoader

from lecture_lib import seed_everything
from lecture_lib.checkerboard import checkerboard_energy
from lecture_lib.datasets.synthetic import make_voc_shapes
from lecture_lib.datasets.voc import VOC_CLASSES, VOC_VOID, VOCSegmentation
from lecture_lib.metrics import confusion_matrix, mean_iou
from lecture_lib.models import EncoderDecoder
from lecture_lib.segmentation_models import SegNet, UNet

__all__ = ["ARCHITECTURES", "BUDGETS", "SEEDS", "TARGET", "TITLE", "run", "train_one"]

TITLE = "Segmentation: five decoders over seeds (64 x 64 shapes, width 8)"
SEEDS = (0, 1, 2, 3, 4)
BUDGETS = (100, 400)
BATCH, LR, WIDTH, SIZE = 8, 1e-2, 8, 64
ARCHITECTURES = ("transposed", "resize_conv", "bilinear", "SegNet", "U-Net")
TARGET = (
    f"a difference counts only beyond the spread over {len(SEEDS)} seeds (min and max shown); "
    f"Adam {LR:g}, cosine, batches of {BATCH}, steps {', '.join(map(str, BUDGETS))}"
)


def _model(name: str) -> nn.Module:
    if name == "SegNet":
        return SegNet(len(VOC_CLASSES), width=WIDTH)
    if name == "U-Net":
        return UNet(len(VOC_CLASSES), upsample="transposed", width=WIDTH)
    return EncoderDecoder(len(VOC_CLASSES), upsample=name, width=WIDTH)


def _data(root: str) -> tuple[torch.Tensor, ...]:
    make_voc_shapes(root, n_images=500, image_size=(SIZE, SIZE), seed=0, val_fraction=1 / 5)
    train = list(DataLoader(VOCSegmentation(root, image_set="train"), batch_size=100))
    val = list(DataLoader(VOCSegmentation(root, image_set="val"), batch_size=100))
    return tuple(torch.cat(t) for t in (*zip(*train), *zip(*val)))  # x_train, y_train, x_val, y_val


def train_one(name: str, seed: int, steps: int, data: tuple[torch.Tensor, ...]) -> dict:
    """Train one architecture from one seed; its validation mean IoU, energy and CPU seconds."""
    torch.set_num_threads(1)
    x_train, y_train, x_val, y_val = data
    counts = torch.bincount(y_train[y_train != VOC_VOID], minlength=len(VOC_CLASSES))
    freq = counts.double() / counts.sum()
    weight = torch.where(counts > 0, freq.clamp(min=1e-12).rsqrt(), 0.0).float()
    loss_fn = nn.CrossEntropyLoss(weight=weight, ignore_index=VOC_VOID)
    start = time.process_time()
    seed_everything(seed)
    model = _model(name)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    batches = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        i = torch.randint(len(x_train), (BATCH,), generator=batches)
        optimizer.zero_grad()
        loss_fn(model(x_train[i]), y_train[i]).backward()
        optimizer.step()
        schedule.step()
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(chunk) for chunk in x_val.split(50)])  # (100, 21, 64, 64)
    present = [c for c in range(len(VOC_CLASSES)) if counts[c] > 0]
    miou = mean_iou(confusion_matrix(logits.argmax(dim=1), y_val, len(VOC_CLASSES), ignore_index=VOC_VOID))[0]
    energy = float(checkerboard_energy(logits[:, present].double()))
    return {"miou": float(miou), "energy": energy, "cpu": time.process_time() - start}


def _job(args: tuple) -> tuple:
    name, seed, steps, data = args
    return name, seed, steps, train_one(name, seed, steps, data)


def run(device: torch.device, seeds: tuple[int, ...] = SEEDS, workers: int | None = None) -> list[dict]:
    """Train every (budget, architecture, seed) on the CPU; one row per (budget, architecture)."""
    del device  # small networks: one CPU thread per run is the measured setting
    budgets = BUDGETS
    if os.environ.get("BENCH_SEGMENTATION_STEPS"):
        budgets = (int(os.environ["BENCH_SEGMENTATION_STEPS"]),)
    with tempfile.TemporaryDirectory() as root:
        data = _data(root)
    jobs = [(name, seed, steps, data) for steps in budgets for name in ARCHITECTURES for seed in seeds]
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(_job, jobs)
    else:
        results = [_job(j) for j in jobs]
    rows = []
    for steps in budgets:
        for name in ARCHITECTURES:
            got = [r for n, _s, st, r in results if n == name and st == steps]
            miou = [r["miou"] for r in got]
            energy = [r["energy"] for r in got]
            rows.append(
                {
                    "steps": steps,
                    "architecture": name,
                    "seeds": len(got),
                    "mean IoU (mean)": round(sum(miou) / len(miou), 3),
                    "mean IoU (min)": round(min(miou), 3),
                    "mean IoU (max)": round(max(miou), 3),
                    "energy (min)": round(min(energy), 4),
                    "energy (max)": round(max(energy), 4),
                    "CPU s per run": round(sum(r["cpu"] for r in got) / len(got), 1),
                }
            )
    return rows

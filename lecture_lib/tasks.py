"""Sequence tasks that need a long memory: the adding problem, and handwritten digits read pixel by pixel.

Taught in: chapters "Initialisation" (the IRNN / np-RNN comparison) and "Training recurrent networks: a
comparison".
"""

from __future__ import annotations

import torch

from ._validate import check_bytes_budget, check_choice, check_device, check_dtype, check_int

__all__ = ["adding_problem", "pixel_digits", "ADDING_BASELINE_MSE"]

#: The MSE of always predicting 1 on the adding problem, Var(U1 + U2) = 2 * (1/12) = 1/6 = 0.16667.
#: (Le, Jaitly & Hinton 2015 print 0.1767 for this baseline; a Monte Carlo over many sequences gives
#: 0.1667, see tests/test_tasks.py, so the paper's number is about 6% too high.)
ADDING_BASELINE_MSE = 1.0 / 6.0


def adding_problem(
    batch_size: int,
    length: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of the adding problem (Hochreiter & Schmidhuber 1997; the version of Le et al. 2015).

    Shapes: returns x (N, T, 2) and y (N, 1) with N = ``batch_size`` and T = ``length`` (batch first, as
    a DataLoader gives; ``x.transpose(0, 1)`` is the (T, N, 2) layout of ``lecture_lib.rnn``).
    Channel 0 holds values drawn from U[0, 1); channel 1 is a marker that is 1 at exactly two steps, one
    in the first half (steps 0..T//2 - 1) and one in the second half (steps T//2..T-1), and 0 elsewhere.
    The target is the sum of the two marked values: y = sum_t x[:, t, 0] * x[:, t, 1].

    Baseline: y has mean 1 and variance 2/12 = 1/6, so predicting 1 always gives MSE 1/6 = 0.1667
    (``ADDING_BASELINE_MSE``); a network has learnt something only below it. The IRNN paper prints 0.1767,
    which does not match this value.

    Randomness: values, then first-marker positions, then second-marker positions are drawn from
    ``generator`` (torch's global generator when None), on ``device`` (torch's default device when None;
    a generator must live on the same device). ``dtype`` defaults to torch's default dtype.

    Taught in: chapters "Initialisation" and "Training recurrent networks: a comparison".
    """
    for name, value, low in (("batch_size", batch_size, 1), ("length", length, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name}={value!r} must be an integer >= {low}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    if device is None:
        device = torch.empty(0).device
    else:
        if not isinstance(device, (str, torch.device)):
            raise TypeError(f"device={device!r} must be a str or torch.device, not {type(device).__name__}")
        try:
            parsed = torch.device(device)
        except (RuntimeError, TypeError) as err:
            raise ValueError(f"device={device!r} is not a torch device ({err})") from None
        check_device("device", device)  # "cuda" without CUDA, "mps" without MPS
        device = parsed
    if generator is not None and generator.device.type != device.type:
        raise ValueError(
            f"generator lives on {generator.device} but device={device}; pass a generator created with "
            f"torch.Generator(device={str(device)!r}) or the generator's device"
        )
    dtype = torch.get_default_dtype() if dtype is None else dtype
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype={dtype!r} must be a torch.dtype (e.g. torch.float64) or None")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype={dtype} must be a floating-point dtype")
    # values, markers and x (N, T) of dtype, the first and second positions (N,) of int64: before allocating
    check_bytes_budget(
        f"adding_problem(batch_size={batch_size}, length={length})",
        batch_size * length * 4 * dtype.itemsize + batch_size * 3 * 8,
    )

    half = length // 2
    values = torch.rand(batch_size, length, generator=generator, device=device, dtype=dtype)  # (N, T)
    first = torch.randint(0, half, (batch_size,), generator=generator, device=device)  # (N,)
    second = torch.randint(half, length, (batch_size,), generator=generator, device=device)  # (N,)
    markers = torch.zeros(batch_size, length, device=device, dtype=dtype)  # (N, T)
    rows = torch.arange(batch_size, device=device)
    markers[rows, first] = 1
    markers[rows, second] = 1
    x = torch.stack([values, markers], dim=2)  # (N, T, 2)
    y = (values[rows, first] + values[rows, second]).unsqueeze(1)  # (N, 1)
    return x, y


_PIXEL_ORDERS = ("pixel", "permuted", "row")
_DIGIT_SPLITS = ("train", "val", "test", "all")


def pixel_digits(
    split: str = "train",
    order: str = "pixel",
    *,
    size: int = 8,
    permutation_seed: int = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Real handwritten digits as sequences: one pixel (or one row) per step, the label to be read at the end.

    The sequential digits task of Le, Jaitly & Hinton (2015) and Talathi & Vartak (2015), who read MNIST
    one pixel per step (784 steps), here on the 1,797 digits bundled with scikit-learn, so that it runs
    offline and on a CPU. ``size=8`` gives the original 8 x 8 images (grey levels ``v = 0..16`` scaled to
    ``v / 16`` in [0, 1]); ``size=28`` the same digits resized to 28 x 28 by the course's bilinear
    interpolation (``lecture_lib.datasets.digits.load_digits_28``). The split is the fixed stratified one of
    :func:`lecture_lib.datasets.digits.digits_split_indices`: "train" (1,259 images), "val" (269),
    "test" (269), or "all" (1,797, in scikit-learn's order).

    Shapes: returns x (N, T, D) (batch first, as ``adding_problem``; ``x.transpose(0, 1)`` is the (T, N, D)
    layout of ``lecture_lib.rnn`` and ``lecture_lib.gated``) and labels (N,) int64 in 0..9, where

    - ``order="pixel"``: T = size * size steps of D = 1 pixel, in reading order: x[n, t, 0] =
      image[n, t // size, t % size] (64 steps for 8 x 8, 784 for 28 x 28);
    - ``order="permuted"``: the same pixels in a fixed random order, the same for every image and split:
      x[n, t, 0] = pixel-order x[n, perm[t], 0] with ``perm = torch.randperm(size * size,
      generator=torch.Generator().manual_seed(permutation_seed))``. Neighbouring pixels land far apart in
      time, so a network must hold information over the whole sequence (``permutation_seed`` is used only
      by this order);
    - ``order="row"``: T = size steps of D = size pixels, one image row per step.

    Chance level: ten classes of nearly equal size, so guessing gives an accuracy of about 10 %.
    ``device`` defaults to torch's default device and ``dtype`` to torch's default dtype; the same
    arguments always give the same tensors.

    Taught in: chapter "Training recurrent networks: a comparison".
    """
    check_choice("split", split, _DIGIT_SPLITS)
    check_choice("order", order, _PIXEL_ORDERS)
    check_choice("size", size, (8, 28))
    permutation_seed = check_int("permutation_seed", permutation_seed, minimum=0, maximum=2**63 - 1)
    device = torch.empty(0).device if device is None else check_device("device", device)
    dtype = torch.get_default_dtype() if dtype is None else check_dtype("dtype", dtype)

    from .datasets.digits import digits_split_indices, load_digits_28

    if size == 8:
        from .datasets.digits import _digits_8x8

        images_np, labels_np = _digits_8x8()  # (1797, 8, 8) levels 0..16, (1797,)
        images = torch.from_numpy(images_np / 16.0)  # (1797, 8, 8) float64 in [0, 1]
        labels = torch.from_numpy(labels_np)
        if split != "all":
            index = torch.from_numpy(digits_split_indices()[split])
            images, labels = images[index], labels[index]
    else:
        images, labels = load_digits_28(split, dtype=torch.float64)  # (N, 1, 28, 28)
        images = images[:, 0]  # (N, 28, 28)
    n = images.shape[0]
    if order == "row":
        x = images  # (N, T = size, D = size)
    else:
        x = images.reshape(n, size * size, 1)  # (N, T = size^2, 1), row-major reading order
        if order == "permuted":
            perm = torch.randperm(size * size, generator=torch.Generator().manual_seed(permutation_seed))
            x = x[:, perm]  # the same order of pixels for every image
    return x.to(device=device, dtype=dtype).contiguous(), labels.to(device=device, dtype=torch.int64).clone()

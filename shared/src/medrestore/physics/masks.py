"""Seeded Cartesian k-space sampling masks, centred convention of :func:`medrestore.physics.fft.fft2c`.

* 1D (phase encoding along the last axis, every row sampled): MONAI's ``RandomKspaceMask`` and
  ``EquispacedKspaceMask`` (fastMRI's masks), wrapped to return just the mask.
* 2D variable-density Poisson disc with a fully sampled calibration square (the MoDL/sigpy kind of
  mask): every kept point blocks the disc of radius ``r(k)`` around it, ``r`` growing linearly with
  the distance from the centre (denser sampling at low frequencies);
  the radius scale is bisected until the requested acceleration is met.

Every mask is ``(H, W)`` float32 with 1 where k-space is sampled. Acceleration = ``H * W / sum(mask)``.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["cartesian_mask", "poisson_disc_mask"]


def cartesian_mask(
    shape: tuple[int, int], acceleration: float, center_fraction: float = 0.08, kind: str = "random", seed: int = 0
) -> torch.Tensor:
    """1D Cartesian mask ``(H, W)``: columns chosen at random (``kind="random"``) or equispaced, plus
    ``center_fraction`` of the central columns, through MONAI's k-space mask transforms."""
    from monai.apps.reconstruction.transforms.array import EquispacedKspaceMask, RandomKspaceMask

    classes = {"random": RandomKspaceMask, "equispaced": EquispacedKspaceMask}
    if kind not in classes:
        raise ValueError(f"kind must be one of {sorted(classes)}, got {kind!r}.")
    transform = classes[kind](
        center_fractions=[center_fraction], accelerations=[acceleration], spatial_dims=2, is_complex=False
    )
    transform.set_random_state(seed)
    transform(torch.ones(1, *shape))  # the transform draws and keeps its mask
    return transform.mask.reshape(1, -1).expand(*shape).to(torch.float32).contiguous()


def _poisson_disc(shape: tuple[int, int], radius_scale: float, growth: float, rng: np.random.Generator) -> np.ndarray:
    """Dart throwing over the grid in random order: a point is kept unless it lies within the radius
    of a point kept before (each kept point blocks the disc of its own radius)."""
    h, w = shape
    ky, kx = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
    radius = radius_scale * (1.0 + growth * np.sqrt(kx**2 + ky**2))  # in pixels
    kept = np.zeros(shape, dtype=bool)
    blocked = np.zeros(shape, dtype=bool)
    for index in rng.permutation(h * w):
        y, x = divmod(int(index), w)
        if blocked[y, x]:
            continue
        kept[y, x] = True
        r = radius[y, x]
        ri = int(np.ceil(r))
        y0, y1, x0, x1 = max(0, y - ri), min(h, y + ri + 1), max(0, x - ri), min(w, x + ri + 1)
        yy, xx = np.ogrid[y0 - y : y1 - y, x0 - x : x1 - x]
        blocked[y0:y1, x0:x1] |= yy**2 + xx**2 < r * r
    return kept


def poisson_disc_mask(
    shape: tuple[int, int],
    acceleration: float,
    calibration: int = 24,
    growth: float = 2.0,
    seed: int = 0,
    tolerance: float = 0.05,
) -> torch.Tensor:
    """2D variable-density Poisson-disc mask ``(H, W)`` with a ``calibration`` x ``calibration`` fully
    sampled centre, within ``tolerance`` (relative) of ``acceleration``. Seeded: the same arguments
    give the same mask."""
    h, w = shape
    if acceleration <= 1 or calibration**2 * acceleration > h * w:
        raise ValueError(
            f"acceleration {acceleration} is not reachable on {shape} with a {calibration}^2 calibration region."
        )
    target = h * w / acceleration
    low, high = 0.5, float(max(h, w))
    mask = None
    for _ in range(30):
        scale = 0.5 * (low + high)
        mask = _poisson_disc(shape, scale, growth, np.random.default_rng(seed))
        cy, cx = (h - calibration) // 2, (w - calibration) // 2
        mask[cy : cy + calibration, cx : cx + calibration] = True
        count = mask.sum()
        if abs(count - target) <= tolerance * target:
            break
        low, high = (scale, high) if count > target else (low, scale)
    return torch.from_numpy(mask.astype(np.float32))

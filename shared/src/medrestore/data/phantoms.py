"""Seeded numerical phantoms, usable as clean training images: piecewise-constant ellipses (CT/MR-like)
and textured dead-leaves images (natural-image statistics)."""

from __future__ import annotations

import numpy as np

__all__ = ["dead_leaves", "random_ellipse_phantom", "shepp_logan"]

# Modified Shepp-Logan (Toft 1996): (intensity, a, b, x0, y0, phi in degrees)
_SHEPP_LOGAN = [
    (1.0, 0.69, 0.92, 0.0, 0.0, 0),
    (-0.8, 0.6624, 0.874, 0.0, -0.0184, 0),
    (-0.2, 0.11, 0.31, 0.22, 0.0, -18),
    (-0.2, 0.16, 0.41, -0.22, 0.0, 18),
    (0.1, 0.21, 0.25, 0.0, 0.35, 0),
    (0.1, 0.046, 0.046, 0.0, 0.1, 0),
    (0.1, 0.046, 0.046, 0.0, -0.1, 0),
    (0.1, 0.046, 0.023, -0.08, -0.605, 0),
    (0.1, 0.023, 0.023, 0.0, -0.606, 0),
    (0.1, 0.023, 0.046, 0.06, -0.605, 0),
]


def _draw(shape: tuple[int, int], ellipses) -> np.ndarray:
    h, w = shape
    y, x = np.mgrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    img = np.zeros(shape)
    for value, a, b, x0, y0, phi in ellipses:
        c, s = np.cos(np.deg2rad(phi)), np.sin(np.deg2rad(phi))
        xr, yr = (x - x0) * c + (y - y0) * s, -(x - x0) * s + (y - y0) * c
        img[(xr / a) ** 2 + (yr / b) ** 2 <= 1.0] += value
    return img


def shepp_logan(shape: tuple[int, int] = (256, 256)) -> np.ndarray:
    """Modified Shepp-Logan phantom, float64 in ``[0, 1]``, shape ``(H, W)``."""
    return np.clip(_draw(shape, _SHEPP_LOGAN), 0.0, 1.0)


def random_ellipse_phantom(shape: tuple[int, int] = (256, 256), num_ellipses: int = 12, seed: int = 0) -> np.ndarray:
    """A head-like outer ellipse filled with ``num_ellipses`` random inner ellipses.

    Returns float64 ``(H, W)`` in ``[0, 1]``; the same seed gives the same image.
    """
    rng = np.random.default_rng(seed)
    ellipses = [(rng.uniform(0.5, 0.9), rng.uniform(0.6, 0.9), rng.uniform(0.7, 0.95), 0.0, 0.0, rng.uniform(-20, 20))]
    for _ in range(num_ellipses):
        ellipses.append(
            (
                rng.uniform(-0.4, 0.4),
                rng.uniform(0.03, 0.35),
                rng.uniform(0.03, 0.35),
                rng.uniform(-0.45, 0.45),
                rng.uniform(-0.55, 0.55),
                rng.uniform(0, 180),
            )
        )
    img = _draw(shape, ellipses)
    return np.clip(img, 0.0, 1.0)


def dead_leaves(
    shape: tuple[int, int] = (256, 256),
    seed: int = 0,
    radius_range: tuple[float, float] = (2.0, 80.0),
    texture: float = 0.15,
    max_leaves: int = 5000,
    blur: float = 0.7,
) -> np.ndarray:
    """A textured dead-leaves image: occluding discs with power-law radii (density ~ r^-3, the
    scale-invariant law of natural images), each a random grey level plus an oriented sinusoidal
    texture of random period and amplitude up to ``texture``.

    Discs are dropped front to back until every pixel is covered or ``max_leaves`` is reached; the
    rest stays at the mean grey; a Gaussian blur of ``blur`` pixels removes the aliasing of the disc
    edges (imaging systems have a point-spread function). Returns float64 ``(H, W)`` in ``[0, 1]``; the same seed gives the
    same image. Dead leaves train denoisers close to natural-image training (Achddou et al. 2021).
    """
    rng = np.random.default_rng(seed)
    h, w = shape
    img = np.full(shape, 0.5)
    free = np.ones(shape, dtype=bool)
    rmin, rmax = radius_range
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(max_leaves):
        # inverse-CDF sample of p(r) ~ r^-3 on [rmin, rmax]
        u = rng.uniform()
        r = 1.0 / np.sqrt(u / rmax**2 + (1 - u) / rmin**2)
        cy, cx = rng.uniform(-r, h + r), rng.uniform(-r, w + r)
        y0, y1 = max(int(cy - r), 0), min(int(cy + r) + 1, h)
        x0, x1 = max(int(cx - r), 0), min(int(cx + r) + 1, w)
        if y0 >= y1 or x0 >= x1:
            continue
        sy, sx = yy[y0:y1, x0:x1], xx[y0:y1, x0:x1]
        disc = ((sy - cy) ** 2 + (sx - cx) ** 2 <= r * r) & free[y0:y1, x0:x1]
        if not disc.any():
            continue
        theta, period = rng.uniform(0, np.pi), rng.uniform(2.5, 24.0)
        phase = 2 * np.pi * (sx * np.cos(theta) + sy * np.sin(theta)) / period
        value = rng.uniform(0, 1) + rng.uniform(0, texture) * np.sin(phase + rng.uniform(0, 2 * np.pi))
        img[y0:y1, x0:x1][disc] = value[disc]
        free[y0:y1, x0:x1][disc] = False
        if not free.any():
            break
    if blur > 0:
        from scipy.ndimage import gaussian_filter

        img = gaussian_filter(img, blur)
    return np.clip(img, 0.0, 1.0)

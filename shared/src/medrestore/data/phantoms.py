"""Seeded numerical phantoms (piecewise-constant ellipses), usable as clean CT/MR-like images."""

from __future__ import annotations

import numpy as np

__all__ = ["random_ellipse_phantom", "shepp_logan"]

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

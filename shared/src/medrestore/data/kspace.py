"""Multi-coil k-space simulated from a magnitude image (training and test data for reconstruction).

The magnitude image (``[0, 1]``) gets a smooth random phase (a low-order 2D polynomial, as B0 and
receive phase are smooth), birdcage coil sensitivities, the centred orthonormal FFT, complex white
Gaussian noise and a sampling mask: ``y = M (F S x + n)``. Everything is drawn from ``seed``, so a
validation or test item is simulated identically in every run.
"""

from __future__ import annotations

import numpy as np
import torch

from medrestore.physics.coils import birdcage_maps
from medrestore.physics.mri import MultiCoilMRI

__all__ = ["simulate_multicoil_kspace", "smooth_phase"]


def smooth_phase(shape: tuple[int, int], rng: np.random.Generator, max_radians: float = np.pi) -> torch.Tensor:
    """Random smooth phase ``(H, W)`` in radians: a random quadratic polynomial of the coordinates
    scaled to a peak of ``max_radians``."""
    h, w = shape
    y, x = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
    terms = np.stack([x, y, x * y, x**2, y**2])
    phase = np.tensordot(rng.uniform(-1, 1, len(terms)), terms, axes=1) + rng.uniform(-np.pi, np.pi)
    phase = phase / max(np.abs(phase).max(), 1e-12) * max_radians
    return torch.from_numpy(phase)


def simulate_multicoil_kspace(
    magnitude: np.ndarray | torch.Tensor,
    mask: torch.Tensor,
    num_coils: int = 8,
    noise_std: float = 0.0,
    seed: int = 0,
    max_phase: float = np.pi,
) -> dict[str, torch.Tensor]:
    """Simulate undersampled multi-coil k-space of one 2D image.

    Args:
        magnitude: ``(H, W)`` image on ``[0, 1]``.
        mask: ``(H, W)`` sampling mask (:mod:`medrestore.physics.masks`).
        num_coils: birdcage coils (1: single coil, no sensitivities).
        noise_std: standard deviation of the complex noise per k-space sample (real and imaginary
            parts each ``noise_std / sqrt(2)``), in the orthonormal FFT's units (image-domain noise of
            the same std per pixel and coil).
        seed: draws the phase and the noise.

    Returns:
        ``target`` complex ``(H, W)`` (magnitude x smooth phase), ``kspace`` complex ``(C, H, W)``
        (masked), ``mask`` ``(H, W)`` and ``coil_maps`` complex ``(C, H, W)`` (ones for one coil).
    """
    rng = np.random.default_rng(seed)
    mag = torch.as_tensor(np.asarray(magnitude), dtype=torch.float64)
    if mag.ndim != 2 or mask.shape != mag.shape:
        raise ValueError(f"magnitude must be (H, W) and mask the same shape, got {tuple(mag.shape)} and {tuple(mask.shape)}.")
    target = torch.polar(mag, smooth_phase(tuple(mag.shape), rng, max_phase)).to(torch.complex64)
    maps = birdcage_maps(num_coils, tuple(mag.shape)) if num_coils > 1 else torch.ones(1, *mag.shape, dtype=torch.complex64)
    op = MultiCoilMRI(torch.ones_like(mask), None if num_coils == 1 else maps[None])
    kspace = op.A(target[None])[0]
    if noise_std > 0:
        noise = rng.standard_normal((2, *kspace.shape)) * (noise_std / np.sqrt(2))
        kspace = kspace + torch.complex(torch.from_numpy(noise[0]), torch.from_numpy(noise[1])).to(kspace.dtype)
    return {"target": target, "kspace": kspace * mask.to(kspace.real.dtype), "mask": mask.to(torch.float32), "coil_maps": maps}

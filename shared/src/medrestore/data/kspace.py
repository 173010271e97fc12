"""Multi-coil k-space simulated from a magnitude image (training and test data for reconstruction).

The magnitude image (``[0, 1]``) gets a smooth random phase (a low-order 2D polynomial, as B0 and
receive phase are smooth), birdcage coil sensitivities, the centred orthonormal FFT, complex white
Gaussian noise and a sampling mask: ``y = M (F S x + n)``. Everything is drawn from ``seed``, so a
validation or test item is simulated identically in every run.

The maps handed to the reconstruction follow the support convention of :mod:`medrestore.physics.coils`
(``"support"``: the true maps, zero outside the object) or are what a user may bring instead
(``"full"``: the true maps over the whole field of view, as from a prescan; ``"calibration"`` or
``"espirit"``: estimated from the simulated k-space). The reference is always the coil combination
``S^H F^-1 (F S_true x)`` of the noise-free fully sampled data with the maps handed over.
"""

from __future__ import annotations

import numpy as np
import torch

from medrestore.physics.coils import COIL_MAP_ESTIMATORS, birdcage_maps, low_resolution_support
from medrestore.physics.fft import ifft2c
from medrestore.physics.mri import MultiCoilMRI

__all__ = ["COIL_MAP_KINDS", "simulate_multicoil_kspace", "smooth_phase"]

COIL_MAP_KINDS = ("support", "full", *COIL_MAP_ESTIMATORS)


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
    coil_maps: str = "support",
    calibration: int = 24,
) -> dict[str, torch.Tensor]:
    """Simulate undersampled multi-coil k-space of one 2D image.

    Args:
        magnitude: ``(H, W)`` image on ``[0, 1]``.
        mask: ``(H, W)`` sampling mask (:mod:`medrestore.physics.masks`).
        num_coils: birdcage coils (1: single coil, ``S = 1`` everywhere).
        noise_std: standard deviation of the complex noise per k-space sample (real and imaginary
            parts each ``noise_std / sqrt(2)``), in the orthonormal FFT's units (image-domain noise of
            the same std per pixel and coil).
        seed: draws the phase and the noise.
        coil_maps: the maps returned, one of :data:`COIL_MAP_KINDS` (see the module docstring).
        calibration: size of the k-space centre that defines the support and the estimated maps.

    Returns:
        ``target`` complex ``(H, W)``: ``S^H F^-1`` of the noise-free fully sampled k-space with the
        returned maps (``x`` inside the support for ``"support"``, ``x`` for ``"full"`` and one coil);
        ``kspace`` complex ``(C, H, W)`` (masked, noisy), ``mask`` ``(H, W)``, ``coil_maps`` complex
        ``(C, H, W)``.
    """
    if coil_maps not in COIL_MAP_KINDS:
        raise ValueError(f"coil_maps {coil_maps!r}: expected one of {list(COIL_MAP_KINDS)}.")
    rng = np.random.default_rng(seed)
    mag = torch.as_tensor(np.asarray(magnitude), dtype=torch.float64)
    if mag.ndim != 2 or mask.shape != mag.shape:
        raise ValueError(
            f"magnitude must be (H, W) and mask the same shape, got {tuple(mag.shape)} and {tuple(mask.shape)}."
        )
    obj = torch.polar(mag, smooth_phase(tuple(mag.shape), rng, max_phase)).to(torch.complex64)
    true = (
        birdcage_maps(num_coils, tuple(mag.shape))
        if num_coils > 1
        else torch.ones(1, *mag.shape, dtype=torch.complex64)
    )
    full = MultiCoilMRI(torch.ones_like(mask), true[None]).A(obj[None])[0]  # noise-free, fully sampled
    kspace = full
    if noise_std > 0:
        noise = rng.standard_normal((2, *full.shape)) * (noise_std / np.sqrt(2))
        kspace = full + torch.complex(torch.from_numpy(noise[0]), torch.from_numpy(noise[1])).to(full.dtype)
    kspace = kspace * mask.to(kspace.real.dtype)
    if num_coils == 1 or coil_maps == "full":
        maps = true
    elif coil_maps == "support":
        maps = true * low_resolution_support(full[None], calibration)[0]
    else:
        maps = COIL_MAP_ESTIMATORS[coil_maps](kspace[None], calib=calibration)[0].to(torch.complex64)
    target = (maps.conj() * ifft2c(full)).sum(dim=0)
    return {"target": target, "kspace": kspace, "mask": mask.to(torch.float32), "coil_maps": maps}

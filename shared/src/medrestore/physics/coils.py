"""Coil sensitivity maps: simulated birdcage maps and a low-resolution estimate from calibration data."""

from __future__ import annotations

import math

import torch

from medrestore.physics.fft import ifft2c
from medrestore.physics.mri import normalize_coil_maps

__all__ = ["birdcage_maps", "calibration_maps"]


def birdcage_maps(num_coils: int, shape: tuple[int, int], radius: float = 1.5, dtype=torch.complex64) -> torch.Tensor:
    """Simulated sensitivities of ``num_coils`` loops evenly spaced on a circle of ``radius`` (in units
    of the half field of view) around the object: ``S_c(r) = exp(i * phase_c(r)) / |r - r_c|``,
    normalised so that ``sum_c |S_c|^2 = 1``. Returns complex ``(num_coils, H, W)``."""
    h, w = shape
    y, x = torch.meshgrid(
        torch.linspace(-1, 1, h, dtype=torch.float64), torch.linspace(-1, 1, w, dtype=torch.float64), indexing="ij"
    )
    maps = []
    for c in range(num_coils):
        theta = 2 * math.pi * c / num_coils
        dx, dy = x - radius * math.cos(theta), y - radius * math.sin(theta)
        dist = torch.sqrt(dx**2 + dy**2)
        maps.append(torch.polar(1.0 / dist, torch.atan2(dy, dx) + theta))
    return normalize_coil_maps(torch.stack(maps)[None])[0].to(dtype)


def calibration_maps(kspace: torch.Tensor, calib: int = 24, threshold: float = 0.05) -> torch.Tensor:
    """Coil maps from the fully sampled centre of multi-coil k-space ``(B, C, H, W)``: the
    ``calib x calib`` centre (at most the k-space size) is inverse-transformed to low-resolution coil images, divided by
    their root-sum-of-squares and masked where that is below ``threshold`` of its maximum.
    A simple alternative to ESPIRiT; returns complex ``(B, C, H, W)`` with ``sum_c |S_c|^2 = 1`` inside."""
    b, c, h, w = kspace.shape
    calib = min(calib, h, w)
    window = torch.zeros(h, w, dtype=kspace.real.dtype, device=kspace.device)
    top, left = h // 2 - calib // 2, w // 2 - calib // 2
    window[top : top + calib, left : left + calib] = torch.outer(
        torch.hann_window(calib, periodic=False), torch.hann_window(calib, periodic=False)
    ).to(window)
    low = ifft2c(kspace * window)
    rss = low.abs().pow(2).sum(dim=1, keepdim=True).sqrt()
    inside = rss > threshold * rss.amax(dim=(-2, -1), keepdim=True)
    return normalize_coil_maps(torch.where(inside, low / rss.clamp_min(1e-12), torch.zeros_like(low)))

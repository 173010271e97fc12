"""Coil sensitivity maps: simulated birdcage maps, and two estimates from the calibration centre of k-space:
a low-resolution estimate and ESPIRiT (Uecker et al., MRM 2014).

**Support convention** (used by the simulation, the calibration estimate and the reference): coil maps
are zero outside the object support, the pixels where the low-resolution image of the
``calib x calib`` Hann-windowed k-space centre exceeds ``threshold`` (5 %) of its maximum
(:func:`low_resolution_support`). Inside it ``sum_c |S_c|^2 = 1``. The reconstructed quantity is the
coil combination ``S^H F^-1 y`` of noise-free fully sampled k-space with the maps the network is given;
estimated maps absorb the object's phase, so reconstructions are scored on the magnitude. ESPIRiT keeps
its own, eigenvalue-based support (wider); full-field-of-view maps (a prescan) have none.
"""

from __future__ import annotations

import math

import torch

from medrestore.physics.fft import ifft2c
from medrestore.physics.mri import normalize_coil_maps

__all__ = ["COIL_MAP_ESTIMATORS", "birdcage_maps", "calibration_maps", "espirit_maps", "low_resolution_support"]


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


def _low_resolution_images(kspace: torch.Tensor, calib: int) -> torch.Tensor:
    """Images ``(B, C, H, W)`` of the Hann-windowed ``calib x calib`` centre of k-space ``(B, C, H, W)``."""
    _, _, h, w = kspace.shape
    calib = min(calib, h, w)
    window = torch.zeros(h, w, dtype=kspace.real.dtype, device=kspace.device)
    top, left = h // 2 - calib // 2, w // 2 - calib // 2
    window[top : top + calib, left : left + calib] = torch.outer(
        torch.hann_window(calib, periodic=False), torch.hann_window(calib, periodic=False)
    ).to(window)
    return ifft2c(kspace * window)


def low_resolution_support(kspace: torch.Tensor, calib: int = 24, threshold: float = 0.05) -> torch.Tensor:
    """The object support of the package's convention: boolean ``(B, 1, H, W)``, where the
    root-sum-of-squares of the low-resolution coil images (Hann-windowed ``calib x calib`` centre of
    k-space ``(B, C, H, W)``) exceeds ``threshold`` of its maximum."""
    rss = _low_resolution_images(kspace, calib).abs().pow(2).sum(dim=1, keepdim=True).sqrt()
    return rss > threshold * rss.amax(dim=(-2, -1), keepdim=True)


def calibration_maps(kspace: torch.Tensor, calib: int = 24, threshold: float = 0.05) -> torch.Tensor:
    """Coil maps from the fully sampled centre of multi-coil k-space ``(B, C, H, W)``: the
    ``calib x calib`` centre (at most the k-space size) is inverse-transformed to low-resolution coil images,
    divided by their root-sum-of-squares and zero outside :func:`low_resolution_support`.
    A simple alternative to ESPIRiT; returns complex ``(B, C, H, W)`` with ``sum_c |S_c|^2 = 1`` inside."""
    low = _low_resolution_images(kspace, calib)
    rss = low.abs().pow(2).sum(dim=1, keepdim=True).sqrt()
    inside = low_resolution_support(kspace, calib, threshold)
    return normalize_coil_maps(torch.where(inside, low / rss.clamp_min(1e-12), torch.zeros_like(low)))


def espirit_maps(
    kspace: torch.Tensor, calib: int = 24, kernel: int = 6, threshold: float = 0.02, crop: float = 0.95
) -> torch.Tensor:
    """ESPIRiT coil maps (Uecker et al., MRM 2014) from the fully sampled ``calib x calib`` centre of
    multi-coil k-space ``(B, C, H, W)`` (centred, orthonormal FFT convention of :mod:`medrestore.physics.fft`).

    The calibration matrix of all ``kernel x kernel`` k-space windows (all coils) is decomposed by SVD;
    the right singular vectors above ``threshold`` of the largest singular value span the signal
    subspace. In the image domain this subspace gives a ``C x C`` matrix per pixel whose eigenvector for
    eigenvalue ~1 is the coil sensitivity vector. Pixels whose largest eigenvalue is below ``crop`` get
    zero maps (outside the object). Maps are unit-norm per pixel (``sum_c |S_c|^2 = 1`` inside) with the
    phase of coil 0 removed. Returns complex ``(B, C, H, W)``.
    """
    _, c, h, w = kspace.shape
    calib = min(calib, h, w)
    top, left = h // 2 - calib // 2, w // 2 - calib // 2
    out = []
    for item in kspace:
        centre = item[:, top : top + calib, left : left + calib]
        windows = torch.stack(  # (windows, C * k * k): every kernel x kernel window of every coil
            [
                centre[:, i : i + kernel, j : j + kernel].reshape(-1)
                for i in range(calib - kernel + 1)
                for j in range(calib - kernel + 1)
            ]
        )
        _, sv, vh = torch.linalg.svd(windows, full_matrices=False)
        basis = vh[sv > threshold * sv[0]]  # (n, C * k * k): conjugated right singular vectors, the signal subspace
        kernels = torch.zeros(basis.shape[0], c, h, w, dtype=kspace.dtype, device=kspace.device)
        kernels[
            ...,
            h // 2 - kernel // 2 : h // 2 - kernel // 2 + kernel,
            w // 2 - kernel // 2 : w // 2 - kernel // 2 + kernel,
        ] = basis.reshape(-1, c, kernel, kernel)
        g = ifft2c(kernels) * math.sqrt(h * w / kernel**2)  # (n, C, H, W) image-domain kernels
        g = g.permute(2, 3, 1, 0)  # (H, W, C, n)
        eigval, eigvec = torch.linalg.eigh(g @ g.conj().transpose(-2, -1))  # ascending eigenvalues
        maps = eigvec[..., -1]  # (H, W, C)
        maps = maps * (maps[..., :1].conj() / maps[..., :1].abs().clamp_min(1e-12))
        maps = torch.where((eigval[..., -1] > crop)[..., None], maps, torch.zeros_like(maps))
        out.append(maps.permute(2, 0, 1))
    return torch.stack(out)


COIL_MAP_ESTIMATORS = {"espirit": espirit_maps, "calibration": calibration_maps}

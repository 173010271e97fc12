"""Parallel-beam CT projector (Radon transform) and filtered back-projection in PyTorch.

Geometry: the image ``(B, C, H, W)`` lives in the unit disc inscribed in its square; the detector has
``D = ceil(sqrt(H^2 + W^2))`` bins of one pixel; angles are ``pi * k / num_angles``. Sinograms are
``(B, C, num_angles, D)`` line integrals in pixel units.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["fbp", "radon"]


def _rotation_grid(angles: torch.Tensor, size: int) -> torch.Tensor:
    cos, sin = torch.cos(angles), torch.sin(angles)
    zero = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    return F.affine_grid(theta, [angles.numel(), 1, size, size], align_corners=False)


def _angles(num_angles: int, device) -> torch.Tensor:
    return torch.arange(num_angles, device=device, dtype=torch.float32) * math.pi / num_angles


def radon(image: torch.Tensor, num_angles: int = 180) -> torch.Tensor:
    """Line integrals of ``image`` ``(B, C, H, W)`` -> sinogram ``(B, C, num_angles, D)``."""
    b, c, h, w = image.shape
    d = math.ceil(math.hypot(h, w))
    pad_h, pad_w = d - h, d - w
    x = F.pad(image, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2]).reshape(b * c, 1, d, d)
    grid = _rotation_grid(_angles(num_angles, image.device), d)  # (A, D, D, 2)
    rotated = F.grid_sample(x.repeat_interleave(num_angles, 0), grid.repeat(b * c, 1, 1, 1), align_corners=False)
    return rotated.sum(dim=2).reshape(b, c, num_angles, d)


def fbp(sinogram: torch.Tensor, image_size) -> torch.Tensor:
    """Filtered back-projection (Ram-Lak filter) of ``(B, C, A, D)`` -> image ``(B, C, H, W)``."""
    b, c, a, d = sinogram.shape
    h, w = int(image_size[0]), int(image_size[1])
    n = 2 ** math.ceil(math.log2(2 * d))
    freqs = torch.fft.fftfreq(n, device=sinogram.device).abs()
    filtered = torch.fft.ifft(torch.fft.fft(sinogram, n=n, dim=-1) * freqs, dim=-1).real[..., :d]
    # smear each filtered projection across the square and rotate it back
    smear = filtered.reshape(b * c * a, 1, 1, d).expand(-1, 1, d, d)
    grid = _rotation_grid(-_angles(a, sinogram.device), d)
    back = F.grid_sample(smear, grid.repeat(b * c, 1, 1, 1), align_corners=False)
    image = back.reshape(b, c, a, d, d).sum(dim=2) * (math.pi / a)
    top, left = (d - h) // 2, (d - w) // 2
    return image[..., top : top + h, left : left + w]

"""Image-quality figures on the ``[0, 1]`` scale, computed with MONAI's metrics (one definition everywhere)."""

from __future__ import annotations

import numpy as np
import torch
from monai.metrics import PSNRMetric, SSIMMetric

__all__ = ["dihedral_spread", "high_frequency_ratio", "psnr_ssim", "summarize"]

_PSNR = PSNRMetric(max_val=1.0, reduction="none")
_SSIM = SSIMMetric(spatial_dims=2, data_range=1.0, reduction="none")


def psnr_ssim(restored: np.ndarray, clean: np.ndarray) -> tuple[float, float]:
    """PSNR (dB, peak 1) and SSIM (data range 1, 11x11 Gaussian window) of two ``(H, W)`` images on ``[0, 1]``."""
    x = torch.as_tensor(np.asarray(restored, dtype=np.float32))[None, None]
    y = torch.as_tensor(np.asarray(clean, dtype=np.float32))[None, None]
    return float(_PSNR(x, y).item()), float(_SSIM(x, y).item())


def summarize(values) -> dict[str, float]:
    """Mean, standard deviation and count of a list of numbers."""
    arr = np.asarray(list(values), dtype=np.float64)
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if arr.size > 1 else 0.0, "n": int(arr.size)}


def high_frequency_ratio(image: np.ndarray, reference: np.ndarray, cutoff: float) -> float:
    """Sharpness: spectral energy of ``image`` above ``cutoff`` cycles per pixel (Chebyshev radius; for
    super-resolution ``0.5 / scale``, the input's Nyquist limit: detail the input cannot hold) relative to
    the same band of ``reference``. 1 matches the reference; interpolation stays well below; above 1 is
    more high-frequency content than the truth has (noise, ringing or hallucinated texture). ``(H, W)``."""
    h, w = np.asarray(image).shape
    band = np.maximum(np.abs(np.fft.fftfreq(h))[:, None], np.abs(np.fft.fftfreq(w))[None, :]) > cutoff

    def energy(x) -> float:
        return float((np.abs(np.fft.fft2(np.asarray(x, dtype=np.float64))) ** 2)[band].sum())

    return energy(image) / max(energy(reference), 1e-12)


def dihedral_spread(network, image: torch.Tensor) -> torch.Tensor:
    """An uncertainty map: the standard deviation of ``network``'s outputs over the 8 flips and 90-degree
    rotations of ``image`` (:func:`medrestore.inferers.dihedral_outputs`), ``(B, C, h, w)`` -> ``(B, C, H, W)``.
    Detail that changes with the orientation of the input is detail the input does not determine."""
    from medrestore.inferers import dihedral_outputs

    with torch.inference_mode():
        return torch.stack(list(dihedral_outputs(network, image))).std(dim=0)

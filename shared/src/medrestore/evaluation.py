"""Image-quality figures on the ``[0, 1]`` scale, computed with MONAI's metrics (one definition everywhere)."""

from __future__ import annotations

import numpy as np
import torch
from monai.metrics import PSNRMetric, SSIMMetric

__all__ = ["psnr_ssim", "summarize"]

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

"""Run a 2D network on 2D images and, slice by slice, on 3D volumes; whole or by sliding windows."""

from __future__ import annotations

from typing import Any

import torch
from monai.inferers import SliceInferer, SlidingWindowInferer

__all__ = ["SliceOrImageInferer"]


class SliceOrImageInferer(SliceInferer):
    """``monai.inferers.SliceInferer`` that also accepts 2D batches.

    ``(B, C, H, W)`` goes through the network whole (``roi_size=(-1, -1)``, the default) or by
    overlapping ``roi_size`` windows blended with ``mode`` weights (MONAI's sliding window,
    e.g. ``roi_size=(64, 64), overlap=0.5, mode="gaussian"`` for a network trained on 64 x 64
    images); ``(B, C, H, W, D)`` is restored slice by slice along ``spatial_dim`` (default 2: axial
    for RAS NIfTI) with the same 2D windows, ``sw_batch_size`` windows per forward pass. Other
    keyword arguments (``overlap``, ``mode``, ``padding_mode``...) go to ``SlidingWindowInferer``.
    """

    def __init__(self, spatial_dim: int = 2, roi_size=(-1, -1), sw_batch_size: int = 8, **kwargs: Any) -> None:
        super().__init__(spatial_dim=spatial_dim, roi_size=roi_size, sw_batch_size=sw_batch_size, **kwargs)

    def __call__(self, inputs: torch.Tensor, network, *args: Any, **kwargs: Any):
        if inputs.ndim == 4:
            if all(int(s) <= 0 for s in self.orig_roi_size):
                return network(inputs, *args, **kwargs)
            self.roi_size = self.orig_roi_size  # a 3D call leaves a 3D roi behind
            return SlidingWindowInferer.__call__(self, inputs, network, *args, **kwargs)
        return super().__call__(inputs, network, *args, **kwargs)

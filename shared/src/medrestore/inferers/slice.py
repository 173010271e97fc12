"""Run a 2D network on 2D images and, slice by slice, on 3D volumes."""

from __future__ import annotations

from typing import Any

import torch
from monai.inferers import SliceInferer

__all__ = ["SliceOrImageInferer"]


class SliceOrImageInferer(SliceInferer):
    """``monai.inferers.SliceInferer`` that also accepts 2D batches.

    ``(B, C, H, W)`` goes through the network in one call; ``(B, C, H, W, D)`` is restored slice by
    slice along ``spatial_dim`` (default 2: axial for RAS NIfTI), whole slices at a time
    (``roi_size=(-1, -1)``), ``sw_batch_size`` slices per forward pass.
    """

    def __init__(self, spatial_dim: int = 2, roi_size=(-1, -1), sw_batch_size: int = 8, **kwargs: Any) -> None:
        super().__init__(spatial_dim=spatial_dim, roi_size=roi_size, sw_batch_size=sw_batch_size, **kwargs)

    def __call__(self, inputs: torch.Tensor, network, *args: Any, **kwargs: Any):
        if inputs.ndim == 4:
            return network(inputs, *args, **kwargs)
        return super().__call__(inputs, network, *args, **kwargs)

"""Training losses the bundles share."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MagnitudeMSELoss"]


class MagnitudeMSELoss(nn.Module):
    """Mean squared error of the magnitudes of two complex images given as ``(B, 2, H, W)`` (real,
    imaginary): for networks that output magnitude only (root-sum-of-squares), e.g. VarNet."""

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        def magnitude(x: torch.Tensor) -> torch.Tensor:
            return x.pow(2).sum(dim=1).clamp_min(1e-12).sqrt()

        return (magnitude(pred) - magnitude(target)).pow(2).mean()

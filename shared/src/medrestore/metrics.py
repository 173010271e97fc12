"""Metrics MONAI lacks (thin wrappers on ``monai.metrics``)."""

from __future__ import annotations

import torch
from monai.metrics.regression import RegressionMetric

__all__ = ["NMSEMetric"]


class NMSEMetric(RegressionMetric):
    """Normalised mean squared error per sample, ``||y - y_pred||^2 / ||y||^2`` (fastMRI definition).

    Inputs ``(B, C, ...)``; returns ``(B, 1)`` before reduction. Lower is better; 0 is perfect.
    """

    def _compute_metric(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        dims = list(range(1, y.ndim))
        err = ((y - y_pred) ** 2).sum(dim=dims, keepdim=False)
        ref = (y**2).sum(dim=dims).clamp_min(torch.finfo(y.dtype).tiny)
        return (err / ref).unsqueeze(1)

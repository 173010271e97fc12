"""Metrics MONAI lacks (thin wrappers on ``monai.metrics``)."""

from __future__ import annotations

import numpy as np
import torch
from monai.metrics.regression import RegressionMetric

__all__ = [
    "STRUCTURE_METRICS",
    "ForegroundSSIMMetric",
    "MaskedMSEMetric",
    "NMSEMetric",
    "StructureMetric",
    "foreground_dice",
    "foreground_mask",
    "foreground_ssim",
    "gradient_ncc",
    "masked_squared_error",
    "mind_descriptor",
    "mind_distance",
    "mutual_information",
    "ssim_map",
    "structure_report",
]


class NMSEMetric(RegressionMetric):
    """Normalised mean squared error per sample, ``||y - y_pred||^2 / ||y||^2`` (fastMRI definition).

    Inputs ``(B, C, ...)``; returns ``(B, 1)`` before reduction. Lower is better; 0 is perfect.
    """

    def _compute_metric(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        dims = list(range(1, y.ndim))
        err = ((y - y_pred) ** 2).sum(dim=dims, keepdim=False)
        ref = (y**2).sum(dim=dims).clamp_min(torch.finfo(y.dtype).tiny)
        return (err / ref).unsqueeze(1)


def masked_squared_error(y_pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum of squared errors over the pixels where the target ``y`` is finite (NaN: no target there),
    and their count, per sample: inputs ``(B, C, ...)``, outputs two ``(B,)`` tensors."""
    finite = torch.isfinite(y)
    error = torch.where(finite, y_pred - torch.nan_to_num(y), 0.0)
    dims = list(range(1, y.ndim))
    return error.pow(2).sum(dim=dims), finite.sum(dim=dims)


class MaskedMSEMetric(RegressionMetric):
    """Mean squared error over the pixels with a finite target, per sample ``(B, 1)``; NaN for a
    sample without any (left out of the mean reduction). Lower is better."""

    def _compute_metric(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        total, count = masked_squared_error(y_pred, y)
        return torch.where(count > 0, total / count.clamp_min(1), torch.nan).unsqueeze(1)


def ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0, sigma: float = 1.5) -> torch.Tensor:
    """Per-pixel SSIM of two ``(H, W)`` images (Wang et al. 2004): Gaussian window ``sigma`` (truncated at
    3.5 sigma, reflected at the border), population covariances, ``K1 = 0.01``, ``K2 = 0.03``; the map
    scikit-image's ``structural_similarity(..., gaussian_weights=True, use_sample_covariance=False,
    full=True)`` returns. float64 inside, ``(H, W)`` float32 out."""
    from scipy import ndimage

    a, b = (np.asarray(v.detach().cpu(), dtype=np.float64) for v in (x, y))

    def blur(v):
        return ndimage.gaussian_filter(v, sigma, truncate=3.5, mode="reflect")

    ux, uy = blur(a), blur(b)
    vx, vy, vxy = blur(a * a) - ux * ux, blur(b * b) - uy * uy, blur(a * b) - ux * uy
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return torch.from_numpy(s.astype(np.float32))


def foreground_ssim(output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean of :func:`ssim_map` (data range 1) over ``mask`` (default: :func:`foreground_mask` of
    ``target``): SSIM of the object only, so that an empty background does not dominate. ``(H, W)``."""
    mask = foreground_mask(target) if mask is None else mask
    values = ssim_map(output, target)[mask.cpu().bool()]
    return values.mean() if values.numel() else torch.tensor(float("nan"))


class ForegroundSSIMMetric(RegressionMetric):
    """:func:`foreground_ssim` per sample between ``y_pred`` and its truth ``y``; ``(B, 1, H, W)`` in
    ``[0, 1]`` -> ``(B, 1)``."""

    def _compute_metric(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        values = [foreground_ssim(p[0], t[0]) for p, t in zip(y_pred, y)]
        return torch.stack(values).reshape(-1, 1).to(y_pred.device)


# ---- structure metrics that need no paired truth (image translation): input vs output of one image


def mutual_information(x: torch.Tensor, y: torch.Tensor, bins: int = 32) -> torch.Tensor:
    """Mutual information (bits) of the joint ``bins`` x ``bins`` histogram of two ``(H, W)`` images in ``[0, 1]``."""
    ix = (x.clamp(0, 1) * (bins - 1)).round().long().flatten()
    iy = (y.clamp(0, 1) * (bins - 1)).round().long().flatten()
    joint = torch.bincount(ix * bins + iy, minlength=bins * bins).reshape(bins, bins).double()
    p = joint / joint.sum()
    px, py = p.sum(1, keepdim=True), p.sum(0, keepdim=True)
    nz = p > 0
    return (p[nz] * torch.log2(p[nz] / (px @ py)[nz])).sum().float()


def _gradient_magnitude(x: torch.Tensor) -> torch.Tensor:
    gx, gy = x[..., 1:, :-1] - x[..., :-1, :-1], x[..., :-1, 1:] - x[..., :-1, :-1]
    return torch.sqrt(gx**2 + gy**2)


def gradient_ncc(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Normalised cross-correlation of the two images' gradient magnitudes (1: the same edges;
    sign-free, so that a contrast inversion keeps its edges)."""
    a, b = _gradient_magnitude(x).flatten().double(), _gradient_magnitude(y).flatten().double()
    a, b = a - a.mean(), b - b.mean()
    return ((a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-12)).float()


def mind_descriptor(x: torch.Tensor, radius: int = 1) -> torch.Tensor:
    """MIND-style local self-similarity (Heinrich et al., MedIA 2012), four-neighbourhood:
    ``exp(-D_r / V)`` with ``D_r`` the patch SSD to the image shifted by ``r`` and ``V`` its mean over
    ``r``, normalised to a maximum of 1 per pixel. ``(H, W)`` -> ``(4, H, W)`` (computed in float64),
    or ``(B, 1, H, W)`` -> ``(B, 4, H, W)`` in the input's dtype, differentiable (the structure loss of
    :class:`medrestore.losses.MINDLoss`). Invariant to ``a x + b`` (``a != 0``, where ``V`` is above its 1e-6
    floor): contrast-independent."""
    if x.ndim == 2:
        return mind_descriptor(x[None, None].double(), radius)[0].float()
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"mind_descriptor expects (H, W) or (B, 1, H, W), got {tuple(x.shape)}.")
    k = 2 * radius + 1
    d = []
    for shift in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        diff = (x - torch.roll(x, shifts=shift, dims=(2, 3))) ** 2
        d.append(torch.nn.functional.avg_pool2d(diff, k, stride=1, padding=radius, count_include_pad=False))
    d = torch.cat(d, dim=1)
    v = d.mean(1, keepdim=True).clamp_min(1e-6)
    mind = torch.exp(-d / v)
    return mind / mind.amax(1, keepdim=True)


def mind_distance(x: torch.Tensor, y: torch.Tensor, radius: int = 1) -> torch.Tensor:
    """Mean absolute difference of the two images' MIND descriptors (0: the same local structure);
    ``(H, W)`` or ``(B, 1, H, W)`` as :func:`mind_descriptor` takes them."""
    return (mind_descriptor(x, radius) - mind_descriptor(y, radius)).abs().mean()


def foreground_mask(x: torch.Tensor, fraction: float = 0.1) -> torch.Tensor:
    """Foreground of an ``(H, W)`` image: above ``fraction`` of its 99th percentile after a 3x3 mean,
    holes filled (``bool``)."""
    from scipy import ndimage

    smooth = torch.nn.functional.avg_pool2d(x[None, None].float(), 3, stride=1, padding=1, count_include_pad=False)[
        0, 0
    ]
    mask = (smooth > fraction * torch.quantile(x.float().flatten(), 0.99)).cpu().numpy()
    return torch.from_numpy(ndimage.binary_fill_holes(mask))


def foreground_dice(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Dice of the two images' :func:`foreground_mask` (1: the same object outline)."""
    a, b = foreground_mask(x), foreground_mask(y)
    return torch.tensor(2.0 * (a & b).sum().item() / max(a.sum().item() + b.sum().item(), 1), dtype=torch.float32)


STRUCTURE_METRICS = {
    "mi": mutual_information,
    "gradient_ncc": gradient_ncc,
    "mind": mind_distance,
    "foreground_dice": foreground_dice,
}


class StructureMetric(RegressionMetric):
    """One of :data:`STRUCTURE_METRICS` per sample between ``y_pred`` (the translated image) and ``y``
    (its *input*, not a paired truth). Inputs ``(B, 1, H, W)`` in ``[0, 1]``; returns ``(B, 1)``."""

    def __init__(self, name: str, **kwargs) -> None:
        if name not in STRUCTURE_METRICS:
            raise ValueError(f"structure metric must be one of {sorted(STRUCTURE_METRICS)}, got {name!r}.")
        super().__init__(**kwargs)
        self.fn = STRUCTURE_METRICS[name]

    def _compute_metric(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        values = [self.fn(p[0].detach().cpu(), t[0].detach().cpu()) for p, t in zip(y_pred, y)]
        return torch.stack(values).reshape(-1, 1).to(y_pred.device)


def structure_report(output: torch.Tensor, source: torch.Tensor, cycle: torch.Tensor | None = None) -> dict[str, float]:
    """Every structure metric of one translated ``(H, W)`` image against its input, plus the cycle
    error (mean absolute difference of the input and its back-translation) when ``cycle`` is given."""
    report = {name: float(fn(output, source)) for name, fn in STRUCTURE_METRICS.items()}
    if cycle is not None:
        report["cycle_mae"] = float((cycle - source).abs().mean())
    return report

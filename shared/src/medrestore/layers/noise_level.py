"""Noise-level estimate and map (the FFDNet-style extra input of a non-blind denoiser)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["NoiseLevelMap", "haar_mad_sigma"]


def haar_mad_sigma(x: torch.Tensor) -> torch.Tensor:
    """Robust standard deviation of additive white noise per leading index: the median absolute
    finest diagonal Haar wavelet coefficient / 0.6745 (Donoho's MAD estimator) over all remaining
    axes (channels and the 2D planes of the last two).

    Shapes: ``(B, ..., H, W)`` with ``H, W >= 2`` -> ``(B,)`` in the image's units (odd last rows or
    columns are ignored).
    """
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    if h < 2 or w < 2:
        raise ValueError(f"noise estimation needs at least 2 x 2 pixels, got shape {list(x.shape)}.")
    x = x[..., :h, :w]
    hh = (x[..., 0::2, 0::2] - x[..., 0::2, 1::2] - x[..., 1::2, 0::2] + x[..., 1::2, 1::2]) / 2
    return hh.abs().reshape(hh.shape[0], -1).median(dim=1).values / 0.6745


class NoiseLevelMap(nn.Module):
    """A constant map of each image's estimated noise standard deviation (:func:`haar_mad_sigma`),
    computed on the input itself, so the network needs no extra argument (TorchScript, MONAI Deploy).

    A blind convolutional denoiser only sees its receptive field; the global estimate tells it the
    level of the whole image, as BM3D is told sigma.

    Shapes: ``image`` ``(B, C, H, W)``, ``size`` the map's ``(h, w)`` -> ``(B, 1, h, w)``.
    """

    def forward(self, image: torch.Tensor, size: list[int]) -> torch.Tensor:
        sigma = haar_mad_sigma(image)
        return sigma.view(-1, 1, 1, 1).expand(-1, 1, size[0], size[1])

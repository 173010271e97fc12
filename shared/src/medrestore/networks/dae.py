"""Convolutional denoising autoencoder of Gondara (ICDMW 2016, arXiv 1608.04667)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ConvDenoisingAutoencoder"]


class ConvDenoisingAutoencoder(nn.Module):
    """Encoder ``[conv3x3(F), ReLU, maxpool2] x 2``, decoder ``[conv3x3(F), ReLU, upsample2] x 2``,
    ``conv3x3(1)`` and a sigmoid: the published 64-filter model has about 0.11 M parameters.

    Trained on 64 x 64 images; larger images go through a sliding-window inferer. Spatial sizes
    must be multiples of 4 (two poolings).

    Args:
        in_channels: image channels. Defaults to 1.
        features: filters of every hidden convolution. Defaults to 64 (the paper's).
        padding_mode: convolution padding, ``"reflect"`` (default) or ``"zeros"`` (the paper's
            Keras ``same``). Reflection keeps a constant window constant, so tiles of a
            sliding-window inference agree at their borders and blend without seams.

    Shapes:
        ``(B, C, H, W)`` in ``[0, 1]`` with ``H, W`` multiples of 4 -> same shape in ``(0, 1)``.
    """

    def __init__(self, in_channels: int = 1, features: int = 64, padding_mode: str = "reflect") -> None:
        super().__init__()

        def conv(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, padding_mode=padding_mode), nn.ReLU(inplace=True)]

        self.encoder = nn.Sequential(
            *conv(in_channels, features), nn.MaxPool2d(2), *conv(features, features), nn.MaxPool2d(2)
        )
        self.decoder = nn.Sequential(
            *conv(features, features),
            nn.Upsample(scale_factor=2, mode="nearest"),
            *conv(features, features),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(features, in_channels, 3, padding=1, padding_mode=padding_mode),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2], x.shape[-1]
        if h % 4 != 0 or w % 4 != 0:
            raise ValueError("spatial size must be a multiple of 4; use a sliding-window inferer for other sizes.")
        return self.decoder(self.encoder(x))

"""Noise gate of DRAN: a gated convolution."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["NoiseGate"]


class NoiseGate(nn.Module):
    """``LeakyReLU(Conv_f(x) * sigmoid(Conv_g(x)))`` (gated convolution, Yu et al.; DRAN's noise gate).

    The sigmoid branch learns, per pixel and channel, how much of the feature branch passes, so
    the block can suppress noise-dominated features.

    Args:
        in_channels: input channels.
        out_channels: output channels. Defaults to ``in_channels``.
        kernel_size: kernel size of both branches. Defaults to 3.
        negative_slope: LeakyReLU slope. Defaults to 0.2.

    Shapes:
        ``(B, C_in, H, W)`` -> ``(B, C_out, H, W)``.
    """

    def __init__(
        self, in_channels: int, out_channels: int | None = None, kernel_size: int = 3, negative_slope: float = 0.2
    ) -> None:
        super().__init__()
        out_channels = in_channels if out_channels is None else out_channels
        # one convolution computes both branches (feature | gate): one GEMM instead of two
        self.conv = nn.Conv2d(in_channels, 2 * out_channels, kernel_size, padding=kernel_size // 2)
        self.act = nn.LeakyReLU(negative_slope)
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feature, gate = torch.split(self.conv(x), self.out_channels, dim=1)
        return self.act(feature * torch.sigmoid(gate))

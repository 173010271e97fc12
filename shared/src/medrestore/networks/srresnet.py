"""SRResNet generator (Ledig et al., CVPR 2017) for single-channel medical images."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.networks.blocks import SubpixelUpsample
from torch import nn

__all__ = ["ResidualBlock", "SRResNet"]


class ResidualBlock(nn.Module):
    """``x + [conv3x3, (BN), PReLU, conv3x3, (BN)](x)``; ``(B, F, H, W)`` -> same shape."""

    def __init__(self, features: int, batch_norm: bool = False) -> None:
        super().__init__()
        norm = (lambda: nn.BatchNorm2d(features)) if batch_norm else nn.Identity
        self.body = nn.Sequential(
            nn.Conv2d(features, features, 3, padding=1, bias=not batch_norm),
            norm(),
            nn.PReLU(features),
            nn.Conv2d(features, features, 3, padding=1, bias=not batch_norm),
            norm(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    """SRResNet: ``conv9x9 + PReLU`` head, ``num_blocks`` residual blocks, ``conv3x3 (+BN)`` added
    to the head (long skip), ``log2(scale)`` sub-pixel x2 stages, ``conv9x9`` to one channel.

    The published generator is ``features=64, num_blocks=16, batch_norm=True`` (1.5 M parameters);
    the bundle's CPU default is smaller (see its README for the measured choice). Sub-pixel stages
    are MONAI's ``SubpixelUpsample``: ICNR-initialised convolution + PixelShuffle, then the
    pad-and-average "nearest-neighbour resize" of Aitken et al., so an untrained network starts
    without checkerboard artefacts.

    Args:
        in_channels: image channels. Defaults to 1.
        scale: upsampling factor, 1 (no upsampling: restores an image already interpolated to the
            output grid, used for through-plane SR), 2, 4 or 8.
        features: channels of the hidden layers.
        num_blocks: residual blocks.
        batch_norm: BatchNorm in the residual blocks and after the trunk, as published. Off by
            default: with batch size 16 on CPU it learns slower, and it makes outputs depend on
            the batch statistics of training.
        interpolation_skip: add the bicubic interpolation of the input to the output, so the
            network learns only the missing detail (BasicSR's MSRResNet does the same with bilinear).
        clamp_output: in eval mode, clamp the output to ``[0, 1]`` (the intensity window).

    Shapes:
        ``(B, C, h, w)`` in ``[0, 1]``, any ``h, w`` -> ``(B, C, scale*h, scale*w)``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        scale: int = 2,
        features: int = 64,
        num_blocks: int = 16,
        batch_norm: bool = False,
        interpolation_skip: bool = True,
        clamp_output: bool = True,
    ) -> None:
        super().__init__()
        if scale not in (1, 2, 4, 8):
            raise ValueError(f"scale must be 1, 2, 4 or 8, got {scale}.")
        self.scale = int(scale)
        self.interpolation_skip = bool(interpolation_skip)
        self.clamp_output = bool(clamp_output)
        self.head = nn.Sequential(nn.Conv2d(in_channels, features, 9, padding=4), nn.PReLU(features))
        self.trunk = nn.Sequential(*[ResidualBlock(features, batch_norm) for _ in range(num_blocks)])
        self.trunk_tail = nn.Sequential(
            nn.Conv2d(features, features, 3, padding=1, bias=not batch_norm),
            nn.BatchNorm2d(features) if batch_norm else nn.Identity(),
        )
        stages: list[nn.Module] = []
        for _ in range(self.scale.bit_length() - 1):
            stages += [SubpixelUpsample(2, features, features, scale_factor=2), nn.PReLU(features)]
        self.upsample = nn.Sequential(*stages)
        self.tail = nn.Conv2d(features, in_channels, 9, padding=4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        head = self.head(x)
        out = self.tail(self.upsample(head + self.trunk_tail(self.trunk(head))))
        if self.interpolation_skip:
            if self.scale == 1:
                out = out + x
            else:
                out = out + F.interpolate(x, scale_factor=float(self.scale), mode="bicubic", align_corners=False)
        if self.clamp_output and not self.training:
            out = out.clamp(0.0, 1.0)
        return out

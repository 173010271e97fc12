"""Dynamic Residual Attention Network (DRAN) for blind image denoising."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from medrestore.layers import DynamicConv2d, NoiseGate, NoiseLevelMap

__all__ = ["DRAB", "DRAN"]

NORMS = ("none", "batch", "group")


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "none":
        return nn.Identity()
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        return nn.GroupNorm(min(8, channels), channels)
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}.")


class DRAB(nn.Module):
    """Dynamic residual attention block: ``y = body(x) + gate(x)``.

    ``body`` is ``num_layers`` x [DynamicConv2d, norm, ReLU]; ``gate`` is a :class:`NoiseGate`.

    Shapes:
        ``(B, C, H, W)`` -> ``(B, C, H, W)``.
    """

    def __init__(
        self, channels: int, num_layers: int = 5, num_kernels: int = 4, norm: str = "none", temperature: float = 30.0
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for _ in range(num_layers):
            layers += [
                DynamicConv2d(
                    channels, channels, 3, num_kernels=num_kernels, temperature=temperature, bias=norm == "none"
                ),
                _norm(norm, channels),
                nn.ReLU(inplace=True),
            ]
        self.body = nn.Sequential(*layers)
        self.gate = NoiseGate(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.gate(x)


class DRAN(nn.Module):
    """DRAN (Sharif, Naqvi and Biswas, Mathematics 2020, 8(12), 2192), blind residual denoiser.

    ``head conv -> DRAB x num_blocks -> tail conv`` predicts the noise residual ``r`` and
    ``forward`` returns the denoised image ``x - r`` (clamped to ``[0, 1]`` by default), so a
    bundle's ``pred`` is the restored image itself.

    Deviations from the official code (documented in the bundle README): three distinct DRABs by
    default (``shared_blocks=True`` reproduces the official code, whose forward reuses block 1
    three times); grayscale input; no ``tanh`` on the residual; optional space-to-depth front end
    (``downscale=2``, as in FFDNet): the network then runs at half resolution on ``4 * C`` channels,
    which quarters the cost per channel and doubles the receptive field; optional noise-level input
    (``noise_level_input=True``, as FFDNet): the head also sees a constant map of the input's own
    estimated noise sigma (:class:`medrestore.layers.NoiseLevelMap`), so the network stays a function
    of the image alone.

    Args:
        in_channels: image channels. Defaults to 1 (grayscale).
        channels: feature channels (64 in the paper). Defaults to 64.
        num_blocks: number of DRABs. Defaults to 3.
        layers_per_block: dynamic conv layers in each DRAB body. Defaults to 5.
        num_kernels: candidate kernels ``K`` of each dynamic conv. Defaults to 4.
        norm: ``"none"``, ``"batch"`` (paper) or ``"group"``. Defaults to ``"none"``.
        shared_blocks: reuse one DRAB body for every block (official-code variant). Defaults to False.
        downscale: space-to-depth factor (1 = full resolution as in the paper, or 2). Defaults to 1.
        temperature: initial attention temperature of the dynamic convs. Defaults to 30.
        clamp_output: clamp the restored image to ``[0, 1]``. Defaults to True.
        noise_level_input: one more head input channel, the estimated noise level map. Its head
            weights start at zero, and blind weights load into this network with zero weights for
            that channel: a fine-tuning run starts exactly at the blind network. Defaults to False.

    Shapes:
        ``(B, in_channels, H, W)`` float in ``[0, 1]`` -> same shape, for any ``H`` and ``W``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        channels: int = 64,
        num_blocks: int = 3,
        layers_per_block: int = 5,
        num_kernels: int = 4,
        norm: str = "none",
        shared_blocks: bool = False,
        downscale: int = 1,
        temperature: float = 30.0,
        clamp_output: bool = True,
        noise_level_input: bool = False,
    ) -> None:
        super().__init__()
        if downscale < 1:
            raise ValueError(f"downscale must be >= 1, got {downscale}.")
        self.downscale = downscale
        self.clamp_output = clamp_output
        io_channels = in_channels * downscale * downscale
        self.noise_level = NoiseLevelMap() if noise_level_input else None
        head_in = io_channels + (1 if noise_level_input else 0)
        self.head = nn.Sequential(nn.Conv2d(head_in, channels, 3, padding=1), nn.ReLU(inplace=True))
        if noise_level_input:
            with torch.no_grad():
                self.head[0].weight[:, io_channels:] = 0.0
        first = DRAB(channels, layers_per_block, num_kernels, norm, temperature)
        blocks = [first]
        for _ in range(num_blocks - 1):
            block = DRAB(channels, layers_per_block, num_kernels, norm, temperature)
            if shared_blocks:
                block.body = first.body  # the official forward calls block1 every time
            blocks.append(block)
        self.blocks = nn.Sequential(*blocks)
        self.tail = nn.Conv2d(channels, io_channels, 3, padding=1)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        key = prefix + "head.0.weight"
        saved, own = state_dict.get(key), self.head[0].weight
        if self.noise_level is not None and saved is not None and saved.shape[1] == own.shape[1] - 1:
            # blind weights: the noise-level channel gets zero weights (the blind network's output)
            state_dict[key] = torch.cat([saved, saved.new_zeros(saved.shape[0], 1, *saved.shape[2:])], dim=1)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted noise ``r`` of shape ``(B, C, H, W)``; the restored image is ``x - r``."""
        h, w = x.shape[-2], x.shape[-1]
        s = self.downscale
        image = x
        if s > 1:
            pad_h, pad_w = (s - h % s) % s, (s - w % s) % s
            if pad_h > 0 or pad_w > 0:
                x = F.pad(x, [0, pad_w, 0, pad_h], mode="replicate")
            x = F.pixel_unshuffle(x, s)
        if self.noise_level is not None:
            x = torch.cat([x, self.noise_level(image, [x.shape[-2], x.shape[-1]]).to(x.dtype)], dim=1)
        r = self.tail(self.blocks(self.head(x)))
        if s > 1:
            r = F.pixel_shuffle(r, s)[..., :h, :w]
        return r

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x - self.residual(x)
        if self.clamp_output:
            out = out.clamp(0.0, 1.0)
        return out

"""VGG19 feature extractor for a perceptual (content) loss, from a local weights file (never downloaded)."""

from __future__ import annotations

import os

import torch
from torch import nn

__all__ = ["VGG19Features"]

# torchvision's vgg19 "features": conv widths, "M" = 2x2 max pool; indices of the layers match its state dict
_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
LAYERS = {"relu2_2": 8, "relu3_4": 17, "relu4_4": 26, "relu5_4": 35}  # index of the ReLU, in torchvision's numbering


class VGG19Features(nn.Module):
    """VGG19 convolutional features up to ``layer`` (``relu5_4`` is SRGAN's "VGG54"), frozen, eval mode.

    ``weights``: a local file holding torchvision's ``vgg19`` state dict (keys ``features.<i>.weight``;
    the classifier is ignored), e.g. ``vgg19-dcbb9e9d.pth`` fetched by you, outside this tool. Input
    ``(B, 1 or 3, H, W)`` on ``[0, 1]`` (grey repeated to RGB, ImageNet normalisation); output the
    ``layer`` activations ``(B, C, H / 2^k, W / 2^k)``.
    """

    def __init__(self, weights: str, layer: str = "relu5_4") -> None:
        super().__init__()
        if layer not in LAYERS:
            raise ValueError(f"unknown VGG19 layer '{layer}'; expected one of {', '.join(LAYERS)}.")
        modules: list[nn.Module] = []
        channels = 3
        for width in _CONFIG:
            if width == "M":
                modules.append(nn.MaxPool2d(2, 2))
            else:
                modules += [nn.Conv2d(channels, int(width), 3, padding=1), nn.ReLU(inplace=False)]
                channels = int(width)
        self.features = nn.Sequential(*modules[: LAYERS[layer] + 1])
        self._load(weights)
        self.requires_grad_(False)
        self.eval()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)

    def _load(self, weights: str) -> None:
        if not os.path.isfile(weights):
            raise FileNotFoundError(
                f"VGG19 weights {weights} do not exist; pass a local torchvision vgg19 state dict (nothing is downloaded)."
            )
        state = torch.load(weights, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        wanted = self.features.state_dict()
        found = {k.removeprefix("features."): v for k, v in state.items() if k.removeprefix("features.") in wanted}
        missing = sorted(set(wanted) - set(found), key=lambda k: int(k.split(".")[0]))
        if missing:
            raise ValueError(
                f"VGG19 weights {weights} lack {len(missing)} of the {len(wanted)} tensors needed "
                f"(e.g. features.{missing[0]}); expected torchvision's vgg19 state dict."
            )
        try:
            self.features.load_state_dict(found)
        except RuntimeError as err:
            raise ValueError(f"VGG19 weights {weights} do not fit VGG19 (wrong shapes): {str(err)[:300]}") from err

    def train(self, mode: bool = True) -> VGG19Features:
        return super().train(False)  # always frozen statistics-free eval mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        return self.features((x - self.mean) / self.std)

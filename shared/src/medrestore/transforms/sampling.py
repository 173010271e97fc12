"""Patch-sampling helpers for training on images with large empty backgrounds."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform

__all__ = ["ForegroundWeightd"]


class ForegroundWeightd(MapTransform):
    """Write a patch-sampling weight map: ``1`` where ``image > threshold``, ``background`` elsewhere.

    Used with ``monai.transforms.RandWeightedCropd`` so that most training patches hold anatomy
    rather than air. Expects a ``[0, 1]`` image ``(C, H, W)``.

    Args:
        keys: image key(s); the map of the first key is written to ``weight_key``.
        weight_key: output key. Defaults to ``"weight"``.
        threshold: foreground threshold on ``[0, 1]`` intensities. Defaults to 0.05.
        background: weight of background pixels (> 0 keeps some empty patches). Defaults to 0.05.
    """

    def __init__(
        self, keys: KeysCollection, weight_key: str = "weight", threshold: float = 0.05, background: float = 0.05
    ) -> None:
        super().__init__(keys)
        self.weight_key = weight_key
        self.threshold = threshold
        self.background = background

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        key = self.first_key(d)
        img = torch.as_tensor(d[key])
        d[self.weight_key] = torch.where(img[:1] > self.threshold, 1.0, self.background).to(torch.float32)
        return d

"""Patch-sampling helpers: foreground-weighted crops of images with large empty backgrounds, random
slices of volumes."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform, Randomizable
from monai.utils import convert_to_tensor

__all__ = ["ForegroundWeightd", "RandSliced"]


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


class RandSliced(Randomizable, MapTransform):
    """One random 2D slice of 3D images: ``(C, H, W, D)`` -> ``(C, H, W)`` along spatial axis
    ``slice_axis`` (the same index for every key); 2D images ``(C, H, W)`` pass through unchanged.

    Lets a 2D training pipeline (fine-tuning on a user's volumes) read volumes and slices alike.
    Outputs are plain tensors (a slice has no 3D affine).
    """

    def __init__(self, keys: KeysCollection, slice_axis: int = 2, allow_missing_keys: bool = False) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        if slice_axis not in (0, 1, 2):
            raise ValueError(f"slice_axis must be 0, 1 or 2, got {slice_axis}.")
        self.slice_axis = slice_axis

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        first = d[self.first_key(d)]
        if first.ndim != 4:
            return d
        index = int(self.R.randint(first.shape[1 + self.slice_axis]))
        for key in self.key_iterator(d):
            d[key] = convert_to_tensor(d[key], track_meta=False).select(1 + self.slice_axis, index).clone()
        return d

"""Patch-sampling helpers: foreground-weighted crops of images with large empty backgrounds, random
and evenly spaced slices of volumes, held-out blocks for self-supervised validation."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform, Randomizable
from monai.utils import convert_to_tensor

__all__ = ["EvenSlicesd", "ForegroundWeightd", "HoldOutMaskd", "RandSliced"]


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


class EvenSlicesd(MapTransform):
    """Up to ``num_slices`` evenly spaced 2D slices of 3D images, as a list of samples (one dictionary
    per slice, the same indices for every key; MONAI's ``list_data_collate`` stacks them into one batch).

    ``(C, H, W, D)`` -> ``num_slices`` x ``(C, H, W)`` along spatial axis ``slice_axis``; a 2D image
    ``(C, H, W)`` gives one sample. Deterministic: for validation on a few slices of each volume.
    """

    def __init__(
        self, keys: KeysCollection, slice_axis: int = 2, num_slices: int = 4, allow_missing_keys: bool = False
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        if slice_axis not in (0, 1, 2):
            raise ValueError(f"slice_axis must be 0, 1 or 2, got {slice_axis}.")
        if num_slices < 1:
            raise ValueError(f"num_slices must be >= 1, got {num_slices}.")
        self.slice_axis, self.num_slices = slice_axis, num_slices

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> list[dict]:
        d = dict(data)
        first = d[self.first_key(d)]
        if first.ndim != 4:
            return [d]
        depth = first.shape[1 + self.slice_axis]
        # centres of num_slices equal parts of the volume (no end slices, which are often empty)
        indices = sorted({int((2 * i + 1) * depth // (2 * self.num_slices)) for i in range(self.num_slices)})
        samples = []
        for index in indices:
            sample = dict(d)
            for key in self.key_iterator(d):
                sample[key] = convert_to_tensor(d[key], track_meta=False).select(1 + self.slice_axis, index).clone()
            samples.append(sample)
        return samples


class HoldOutMaskd(MapTransform):
    """A fixed mask of held-out blocks, for validation without clean images on the image being fitted.

    The spatial grid is cut into ``block_size`` blocks; block ``(i, j[, k])`` is held out when
    ``(i + 2 j [+ 3 k]) % period == 0``: one block in ``period``, spread evenly over the image (every
    row of blocks holds some). Writes ``mask_key`` ``(1, *spatial)`` float32: ``1`` on held-out blocks
    (``held_out=True``) or on the remaining, fitted blocks (``held_out=False``). Training targets are
    masked to the fitted blocks and the validation loss to the held-out ones, so the validation pixels'
    noise never enters a training target (:class:`medrestore.noise.Recorrupted2Recorruptedd`).
    """

    def __init__(
        self,
        keys: KeysCollection,
        mask_key: str = "holdout",
        block_size: int = 8,
        period: int = 5,
        held_out: bool = True,
        allow_missing_keys: bool = False,
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        if block_size < 1 or period < 2:
            raise ValueError(f"block_size must be >= 1 and period >= 2, got {block_size} and {period}.")
        self.mask_key, self.block_size, self.period, self.held_out = mask_key, block_size, period, held_out

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        spatial = tuple(torch.as_tensor(d[self.first_key(d)]).shape[1:])
        blocks = torch.meshgrid(*(torch.arange(n) // self.block_size for n in spatial), indexing="ij")
        code = sum((axis + 1) * index for axis, index in enumerate(blocks))
        mask = (code % self.period == 0) == self.held_out
        d[self.mask_key] = mask.to(torch.float32).unsqueeze(0)
        return d

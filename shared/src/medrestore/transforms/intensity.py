"""Invertible intensity windowing to the ``[0, 1]`` scale the networks work on."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import torch
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.transforms import InvertibleTransform, MapTransform

__all__ = ["WindowIntensityd", "window_bounds"]


def window_bounds(img: torch.Tensor, percentiles: Sequence[float] = (0.0, 99.9)) -> tuple[float, float]:
    """``(low, high)`` intensity percentiles of ``img``, NaN-safe; ``high > low`` is guaranteed."""
    arr = np.asarray(torch.as_tensor(img).detach().cpu().float().numpy(), dtype=np.float64)
    low, high = np.nanpercentile(arr, [percentiles[0], percentiles[1]])
    if not high > low:
        high = low + 1.0
    return float(low), float(high)


class WindowIntensityd(MapTransform, InvertibleTransform):
    """Map native intensities linearly to ``[0, 1]``: ``y = (x - low) / (high - low)``; invertible.

    The window ``(low, high)`` is chosen, in order of precedence, from

    1. ``data[window_key]`` (a per-item window in native units, e.g. the datalist's ``"window"``),
    2. the ``window`` argument (e.g. ``[-1024, 2048]`` HU for CT),
    3. the ``percentiles`` of the image itself (default 0th and 99.9th: MR, X-ray).

    Values are not clipped, so the mapping is exactly invertible: :meth:`inverse` (used by
    ``monai.transforms.Invertd``) maps a restored ``[0, 1]`` image back to the input's units.
    The network clamps its output to ``[0, 1]``; the inference configs therefore pass input voxels
    outside the window through unrestored (``SliceOrImageInferer(passthrough_range=(0, 1))``), so
    no intensity beyond the window is clipped.

    Args:
        keys: keys of the images to window (all use the window of the first key).
        window: fixed ``(low, high)`` in native units, or None.
        percentiles: percentiles used when no window is given.
        window_key: data key holding a per-item window. Defaults to ``"window"``.
    """

    def __init__(
        self,
        keys: KeysCollection,
        window: Sequence[float] | None = None,
        percentiles: Sequence[float] = (0.0, 99.9),
        window_key: str | None = "window",
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        if window is not None and not float(window[1]) > float(window[0]):
            raise ValueError(f"window must be (low, high) with high > low, got {window}.")
        self.window = window
        self.percentiles = percentiles
        self.window_key = window_key

    def _bounds(self, d: Mapping, img: torch.Tensor) -> tuple[float, float]:
        if self.window_key is not None and d.get(self.window_key) is not None:
            low, high = (float(v) for v in np.asarray(d[self.window_key], dtype=np.float64).ravel()[:2])
            if not high > low:
                raise ValueError(f"item window {d[self.window_key]} must satisfy high > low.")
            return low, high
        if self.window is not None:
            return float(self.window[0]), float(self.window[1])
        return window_bounds(img, self.percentiles)

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        bounds = None
        for key in self.key_iterator(d):
            img = d[key] if isinstance(d[key], MetaTensor) else MetaTensor(torch.as_tensor(d[key]))
            bounds = bounds or self._bounds(d, img)
            low, high = bounds
            out = (img.float() - low) / (high - low)
            self.push_transform(out, extra_info={"low": low, "high": high})
            d[key] = out
        return d

    def inverse(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            transform = self.pop_transform(d[key])
            low, high = float(transform["extra_info"]["low"]), float(transform["extra_info"]["high"])
            d[key] = d[key] * (high - low) + low
        return d

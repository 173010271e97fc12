"""Seeded resolution degradations and output geometry for super-resolution (MONAI dictionary transforms)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import torch
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.transforms import MapTransform

from medrestore.noise import NoiseTransformd, _as_range, _normal
from medrestore.physics import resolution

__all__ = ["CropBorderd", "DegradeResolutiond", "UpscaleGeometryd", "upscaled_affine"]


class DegradeResolutiond(NoiseTransformd):
    """Make the low-resolution input of a high-resolution image: ``output_keys = D(keys) + noise``.

    ``keys`` (the high-resolution target, ``(C, H, W)`` on ``[0, 1]``) is first cropped to a multiple
    of ``scale``. The degradation is drawn per image from ``degradations``
    (:data:`medrestore.physics.resolution.DEGRADATIONS`) unless the item names one in
    ``data[degradation_key]``; the name is written back there so metrics can be split by it. The
    Gaussian blur's sigma is drawn from ``blur_sigma`` (in units of ``scale`` high-resolution pixels),
    then Gaussian noise of standard deviation drawn from ``noise_sigma`` is added with probability
    ``noise_prob``. Seeded by ``data[seed_key]`` when present (validation/test), else by MONAI's
    ``set_determinism`` (training), as every ``medrestore.noise`` transform.
    """

    def __init__(
        self,
        keys: KeysCollection,
        output_keys: KeysCollection,
        scale: int = 2,
        degradations: Sequence[str] = resolution.DEGRADATIONS,
        blur_sigma: float | Sequence[float] = (0.4, 0.7),
        noise_sigma: float | Sequence[float] = (0.0, 0.01),
        noise_prob: float = 0.5,
        degradation_key: str = "degradation",
        seed_key: str | None = "noise_seed",
    ) -> None:
        super().__init__(keys, output_keys, seed_key=seed_key)
        self.scale = int(scale)
        self.degradations = tuple(degradations)
        for kind in self.degradations:
            if kind not in resolution.DEGRADATIONS:
                raise ValueError(
                    f"unknown degradation '{kind}'; expected some of {', '.join(resolution.DEGRADATIONS)}."
                )
        self.blur_sigma = _as_range(blur_sigma, "blur_sigma")
        self.noise_sigma = _as_range(noise_sigma, "noise_sigma")
        self.noise_prob = float(noise_prob)
        self.degradation_key = degradation_key

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        rng = self._rng(d)
        kind = d.get(self.degradation_key) or self.degradations[int(rng.integers(len(self.degradations)))]
        sigma = self.scale * rng.uniform(*self.blur_sigma)
        noisy = rng.random() < self.noise_prob
        noise_sigma = rng.uniform(*self.noise_sigma)
        for key, out_key in self.key_iterator(d, self.output_keys):
            hr = resolution.crop_to_multiple(d[key], self.scale)
            lr = resolution.degrade(torch.as_tensor(hr).float(), self.scale, kind, sigma)
            if noisy and noise_sigma > 0:
                lr = lr + noise_sigma * _normal(rng, lr)
            if isinstance(hr, MetaTensor):
                meta = {k: v for k, v in hr.meta.items() if k != "affine"}
                lr = MetaTensor(lr, affine=upscaled_affine(hr.affine, [1.0 / self.scale] * 2), meta=meta)
            d[key], d[out_key] = hr, lr
        d[self.degradation_key] = kind
        return d


def upscaled_affine(affine, scales: Sequence[float]):
    """Affine of the same field of view sampled ``scales[i]`` times more finely along axis ``i``
    (axes beyond ``len(scales)`` keep their spacing; a scale below 1 samples more coarsely).

    Voxel size is divided by the scale; the origin moves so that the first voxel's *corner* stays in
    place (voxel ``i`` of the input covers output voxels ``s*i .. s*i + s - 1``): a point's world
    coordinate is unchanged. ``affine``: ``(4, 4)`` NumPy array or tensor; returns the same type.
    """
    a = np.asarray(torch.as_tensor(affine).detach().cpu().numpy(), dtype=np.float64)
    n = a.shape[0] - 1
    s = np.ones(n)
    s[: len(scales)] = np.asarray(scales, dtype=np.float64)
    step = np.diag(np.append(1.0 / s, 1.0))
    step[:n, n] = 0.5 / s - 0.5  # the new voxel 0 centre, in old voxel units
    out = a @ step
    return torch.as_tensor(out) if torch.is_tensor(affine) else out


class UpscaleGeometryd(MapTransform):
    """Give ``keys`` (a network output ``scale`` times larger along ``axes``) the geometry of the same
    field of view as the input: spacing divided by ``scale``, origin and direction kept (see
    :func:`upscaled_affine`); ``spatial_shape`` updated. Use after ``Invertd``, before saving."""

    def __init__(
        self,
        keys: KeysCollection,
        scale: int,
        axes: Sequence[int] = (0, 1),
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.scale = scale
        self.axes = tuple(axes)

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            img = d[key]
            if not isinstance(img, MetaTensor):
                img = MetaTensor(img)
            scales = [float(self.scale) if ax in self.axes else 1.0 for ax in range(img.ndim - 1)]
            img.affine = upscaled_affine(img.affine, scales)
            img.meta["spatial_shape"] = np.asarray(img.shape[1:])
            d[key] = img
        return d


class CropBorderd(MapTransform):
    """Drop ``border`` pixels on every side of the last two axes of ``keys`` (SR metrics exclude a
    border of ``scale`` pixels, where every method lacks neighbours): ``(..., H, W)`` -> ``(..., H-2b, W-2b)``."""

    def __init__(self, keys: KeysCollection, border: int, allow_missing_keys: bool = False) -> None:
        super().__init__(keys, allow_missing_keys)
        self.border = int(border)

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        b = self.border
        for key in self.key_iterator(d):
            if b > 0:
                d[key] = d[key][..., b:-b, b:-b]
        return d

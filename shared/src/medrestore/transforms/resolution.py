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

__all__ = [
    "CropBorderd",
    "DegradeResolutiond",
    "LowResolutionConsistencyd",
    "ThickSliceDegraded",
    "UpscaleGeometryd",
    "upscaled_affine",
]


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
            _check_degradation(kind)
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


class ThickSliceDegraded(MapTransform):
    """Self-supervised through-plane training pairs (the SMORE idea): a high-resolution in-plane patch
    ``keys`` ``(C, H, W)`` is acquired as thick slices along its rows (axis -2: Gaussian slice profile of
    FWHM ``thickness`` pixels, default ``scale``, i.e. contiguous slices; decimation by ``scale``) and
    interpolated back along the rows (bicubic) to its own size: ``output_keys``, the network input.
    ``keys`` is cropped to a multiple of ``scale`` rows. Put a ``RandRotate90d`` before it so that both
    in-plane directions serve as the slice direction."""

    def __init__(
        self, keys: KeysCollection, output_keys: KeysCollection, scale: int, thickness: float | None = None
    ) -> None:
        super().__init__(keys)
        self.output_keys = [output_keys] if isinstance(output_keys, str) else list(output_keys)
        self.scale, self.thickness = int(scale), thickness

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        for key, out_key in self.key_iterator(d, self.output_keys):
            hr = torch.as_tensor(d[key]).float()
            hr = hr[..., : hr.shape[-2] // self.scale * self.scale, :]
            thick = resolution.slice_profile_downsample(hr, self.scale, axis=-2, thickness=self.thickness)
            d[key], d[out_key] = hr, resolution.upsample_axis(thick, self.scale, axis=-2)
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


def _inplane_axes(ndim: int, slice_axis: int) -> tuple[int, ...]:
    """Spatial axes a 2D network upsamples: both of a 2D image, the two besides ``slice_axis`` of a volume."""
    return (0, 1) if ndim == 2 else tuple(a for a in range(ndim) if a != slice_axis)


class UpscaleGeometryd(MapTransform):
    """Give ``keys`` (a network output ``scale`` times larger along some axes) the geometry of the same
    field of view as the input: spacing divided by ``scale``, origin and direction kept (see
    :func:`upscaled_affine`); ``spatial_shape`` updated. Use after ``Invertd``, before saving.

    The upsampled spatial axes are ``axes`` when given (e.g. ``[2]`` for through-plane SR), else the
    in-plane axes: both of a 2D image, the two besides ``slice_axis`` of a 3D volume."""

    def __init__(
        self,
        keys: KeysCollection,
        scale: int,
        axes: Sequence[int] | None = None,
        slice_axis: int = 2,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.scale = scale
        self.axes = None if axes is None else tuple(int(a) for a in axes)
        self.slice_axis = int(slice_axis)

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            img = d[key]
            # a new MetaTensor over the same data: the input's metadata is not changed in place
            img = MetaTensor(img.as_tensor(), meta=dict(img.meta)) if isinstance(img, MetaTensor) else MetaTensor(img)
            axes = self.axes if self.axes is not None else _inplane_axes(img.ndim - 1, self.slice_axis)
            scales = [float(self.scale) if ax in axes else 1.0 for ax in range(img.ndim - 1)]
            img.affine = upscaled_affine(img.affine, scales)
            img.meta["spatial_shape"] = np.asarray(img.shape[1:])
            d[key] = img
        return d


class LowResolutionConsistencyd(MapTransform):
    """Report, and with ``enforce`` restore, the consistency of a super-resolved ``keys`` with its
    low-resolution input ``lr_key``: the output degraded by the acquisition model (``degradation``, or the
    item's ``data[degradation_key]`` when present; :data:`medrestore.physics.resolution.DEGRADATIONS`)
    should give back the input.

    Prints (``verbose``) the consistency PSNR (dB, on the network's ``[0, 1]`` scale) per image and, with
    ``degraded_key``, stores the degraded output there (for a PSNR metric against ``lr_key``). With
    ``enforce`` the output is first projected by :func:`medrestore.physics.resolution.back_project`
    (``iterations`` steps; one exact step for ``"kspace"``); it is not clipped (clipping would undo the
    projection: a k-space-consistent image rings slightly past the window at sharp edges).
    Shapes: ``keys (C, s*H, s*W[, D])``, ``lr_key (C, H, W[, D])``; volumes are handled slice by slice
    along ``slice_axis``. Use before ``Invertd`` (and before any crop).
    """

    def __init__(
        self,
        keys: KeysCollection,
        lr_key: str = "image",
        scale: int = 2,
        degradation: str = "bicubic",
        enforce: bool = False,
        iterations: int = 10,
        slice_axis: int = 2,
        degradation_key: str | None = None,
        degraded_key: str | None = None,
        verbose: bool = True,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        _check_degradation(degradation)
        self.lr_key, self.scale, self.degradation = lr_key, int(scale), degradation
        self.enforce, self.iterations, self.slice_axis = bool(enforce), int(iterations), int(slice_axis)
        self.degradation_key, self.degraded_key, self.verbose = degradation_key, degraded_key, bool(verbose)

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        lr = torch.as_tensor(d[self.lr_key]).float()
        kind = d.get(self.degradation_key) if self.degradation_key else None
        kind = _check_degradation(kind or self.degradation)
        for key in self.key_iterator(d):
            sr = d[key]
            # (C, H, W, D) -> (C, D', H', W'): the network's in-plane axes last
            axis = None if sr.ndim == 3 else 1 + self.slice_axis
            sr_planes, lr_planes = torch.as_tensor(sr).float(), lr
            if axis is not None:
                sr_planes, lr_planes = sr_planes.movedim(axis, 1), lr_planes.movedim(axis, 1)
            if self.enforce:
                sr_planes = resolution.back_project(sr_planes, lr_planes, self.scale, kind, self.iterations)
            degraded = resolution.degrade(sr_planes, self.scale, kind)
            if self.verbose:
                mse = float(torch.mean((degraded - lr_planes) ** 2))
                name = getattr(sr, "meta", {}).get("filename_or_obj", key)
                print(
                    f"{name}: low-resolution consistency {10.0 * np.log10(1.0 / max(mse, 1e-12)):.2f} dB "
                    f"(output degraded by '{kind}' against the input{', after back-projection' if self.enforce else ''})",
                    flush=True,
                )
            if self.degraded_key:
                d[self.degraded_key] = _plain(degraded if axis is None else degraded.movedim(1, axis))
            if self.enforce:
                out = _plain(sr_planes if axis is None else sr_planes.movedim(1, axis))
                d[key] = MetaTensor(out, meta=sr.meta) if isinstance(sr, MetaTensor) else out
        return d


def _check_degradation(kind: str) -> str:
    if kind not in resolution.DEGRADATIONS:
        raise ValueError(f"unknown degradation '{kind}'; expected one of {', '.join(resolution.DEGRADATIONS)}.")
    return kind


def _plain(x: torch.Tensor) -> torch.Tensor:
    return x.as_tensor() if isinstance(x, MetaTensor) else x


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

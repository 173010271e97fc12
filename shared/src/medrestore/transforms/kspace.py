"""MONAI dictionary transforms from k-space (read or simulated) to the reconstruction networks' inputs.

Pipeline: :class:`LoadKSpaced` (users' files; :class:`UndersampleKSpaced` undersamples fully sampled
ones for training) or :class:`SimulateKSpaced` (magnitude images) give
complex ``kspace`` ``(C, H, W)``, ``mask`` ``(H, W)``, ``coil_maps`` ``(C, H, W)`` and, when known, a
reference ``target`` ``(H, W)``; :class:`ReconInputsd` turns them into real tensors with a
normalised intensity scale. After the network, :class:`ReconMagnituded` undoes the scale and keeps
the magnitude.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import torch
from monai.data import MetaTensor
from monai.transforms import MapTransform, Randomizable

from medrestore.data.kspace import simulate_multicoil_kspace
from medrestore.data.kspace_io import read_kspace
from medrestore.physics.coils import COIL_MAP_ESTIMATORS
from medrestore.physics.fft import complex_to_channels
from medrestore.physics.masks import cartesian_mask, poisson_disc_mask
from medrestore.physics.mri import MultiCoilMRI

__all__ = ["LoadKSpaced", "ReconInputsd", "ReconMagnituded", "SimulateKSpaced", "UndersampleKSpaced", "sampling_mask"]


@functools.lru_cache(maxsize=512)
def sampling_mask(kind: str, shape: tuple[int, int], acceleration: float, seed: int) -> torch.Tensor:
    """A seeded ``(H, W)`` mask: ``kind`` ``"poisson"`` (2D variable-density Poisson disc, 24^2 calibration)
    or ``"random"``/``"equispaced"`` (1D Cartesian, 8 % central lines). Cached: masks are reused
    across epochs."""
    if kind == "poisson":
        return poisson_disc_mask(shape, acceleration, calibration=24, seed=seed)
    return cartesian_mask(shape, acceleration, kind=kind, seed=seed)


class _SeededMaskd(Randomizable, MapTransform):
    """Draws one sampling mask per item: the setting ``masks[seed % len(masks)]`` and the mask from the
    item's ``seed_key`` (validation and test: identical in every run) or, without it, from the
    transform's random state (training, one of ``mask_pool`` cached masks per setting)."""

    def __init__(self, keys, masks: Sequence[Sequence], seed_key: str, mask_pool: int) -> None:
        MapTransform.__init__(self, keys)
        self.masks = [(str(kind), float(acc)) for kind, acc in masks]
        self.seed_key, self.mask_pool = seed_key, mask_pool
        self._seed = 0

    def randomize(self, data=None) -> None:
        self._seed = int(self.R.randint(0, 2**31 - 1))

    def draw(self, d: Mapping, shape: tuple[int, int]) -> tuple[int, torch.Tensor, str]:
        """``(seed, (H, W) mask, "kind accx")`` for item ``d``."""
        fixed = d.get(self.seed_key)
        if fixed is None:
            self.randomize()
        seed = int(fixed) if fixed is not None else self._seed
        kind, acc = self.masks[seed % len(self.masks)]
        mask_seed = seed if fixed is not None else seed % self.mask_pool
        return seed, sampling_mask(kind, tuple(shape), acc, mask_seed), f"{kind} {acc:g}x"


class SimulateKSpaced(_SeededMaskd):
    """Multi-coil k-space simulated from a magnitude image ``(1, H, W)`` on ``[0, 1]``
    (:func:`medrestore.data.kspace.simulate_multicoil_kspace`).

    Args:
        keys: the magnitude image key.
        masks: ``[kind, acceleration]`` pairs (see :func:`sampling_mask`), one drawn per item.
        num_coils: simulated birdcage coils, or a list to draw from per item (1: single coil).
        noise_std: complex k-space noise std (image-domain std per coil, same units as the image), or
            ``[low, high]`` to draw per item, log-uniformly.
        coil_maps: the maps handed to the network (:data:`medrestore.data.kspace.COIL_MAP_KINDS`), or a
            list to draw from per item: the bundle then works with the maps of the file, estimated ones or
            prescan-like full-field-of-view ones.
        pad_coils: pad k-space and maps with zero coils up to this count, so that items with different
            coil counts batch together (zero coils change neither ``A^H A`` nor ``A^H y``).
        seed_key: datalist field with a fixed seed (validation and test: identical in every run);
            items without it draw a seed from the transform's random state (training).
        mask_pool: training items use one of ``mask_pool`` masks per setting, so masks are computed
            once and cached.

    Writes ``kspace``, ``mask``, ``coil_maps``, ``target`` (see the simulation), ``sampling``
    (``"poisson 4x"``) and ``acquisition`` (``"8 coils, support maps"``).
    """

    def __init__(
        self,
        keys: str = "image",
        masks: Sequence[Sequence] = (("poisson", 4.0),),
        num_coils: int | Sequence[int] = 8,
        noise_std: float | Sequence[float] = 0.005,
        coil_maps: str | Sequence[str] = "support",
        pad_coils: int | None = None,
        seed_key: str = "seed",
        mask_pool: int = 32,
    ) -> None:
        super().__init__(keys, masks, seed_key, mask_pool)
        self.num_coils = [int(num_coils)] if isinstance(num_coils, (int, float)) else [int(c) for c in num_coils]
        self.noise_std = (
            [float(noise_std)] * 2 if isinstance(noise_std, (int, float)) else [float(n) for n in noise_std]
        )
        self.coil_maps = [coil_maps] if isinstance(coil_maps, str) else list(coil_maps)
        self.pad_coils = pad_coils
        if len(self.noise_std) != 2 or not 0 <= self.noise_std[0] <= self.noise_std[1]:
            raise ValueError(f"noise_std must be a value or [low, high] with 0 <= low <= high, got {noise_std}.")
        if pad_coils is not None and max(self.num_coils) > pad_coils:
            raise ValueError(f"pad_coils {pad_coils} is below the largest coil count {max(self.num_coils)}.")

    def _acquisition(self, seed: int) -> tuple[int, float, str]:
        """``(coils, noise std, map kind)`` drawn from the item's seed (after its mask setting)."""
        rng = np.random.default_rng([seed, 1])
        low, high = self.noise_std
        noise = low if low == high else float(np.exp(rng.uniform(np.log(max(low, 1e-6)), np.log(high))))
        return int(rng.choice(self.num_coils)), noise, str(rng.choice(self.coil_maps))

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            magnitude = torch.as_tensor(np.asarray(d[key]), dtype=torch.float32)[0]
            seed, mask, d["sampling"] = self.draw(d, tuple(magnitude.shape))
            coils, noise, kind = self._acquisition(seed)
            sim = simulate_multicoil_kspace(magnitude, mask, coils, noise, seed=seed, coil_maps=kind)
            if self.pad_coils is not None and coils < self.pad_coils:
                for name in ("kspace", "coil_maps"):
                    pad = torch.zeros(self.pad_coils - coils, *sim[name].shape[1:], dtype=sim[name].dtype)
                    sim[name] = torch.cat([sim[name], pad])
            d.update(sim)
            d["acquisition"] = f"{coils} coil{'s' if coils > 1 else ''}, {kind} maps"
            meta = getattr(d[key], "meta", None) or {}
            d["source"] = str(meta.get("filename_or_obj", d.get("source", "simulated")))
        return d


class UndersampleKSpaced(_SeededMaskd):
    """Retrospective undersampling of fully sampled multi-coil k-space (after :class:`LoadKSpaced`), to
    train or validate on measured data. The reference ``target`` ``(H, W)`` is the coil-combined image
    of the full k-space, ``S^H F^H y`` with the item's ``coil_maps`` (what the network outputs, on the
    same scale); ``kspace`` becomes ``mask * y`` and ``mask`` the drawn ``(H, W)`` mask. No noise is
    added: measured k-space has its own.

    Args:
        keys: the k-space key (complex ``(C, H, W)``).
        masks, seed_key, mask_pool: as :class:`SimulateKSpaced`.
        min_sampled: the file's own mask must cover at least this fraction of k-space, otherwise the
            item is rejected naming its file (undersampled files cannot give a reference).
    """

    def __init__(
        self,
        keys: str = "kspace",
        masks: Sequence[Sequence] = (("poisson", 4.0),),
        seed_key: str = "seed",
        mask_pool: int = 32,
        min_sampled: float = 0.95,
    ) -> None:
        super().__init__(keys, masks, seed_key, mask_pool)
        self.min_sampled = min_sampled

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            full, maps = torch.as_tensor(d[key]), torch.as_tensor(d["coil_maps"])
            sampled = float(torch.as_tensor(d["mask"]).to(torch.float32).mean())
            if sampled < self.min_sampled:
                raise ValueError(
                    f"{d.get('source', 'k-space item')}: only {sampled:.0%} of k-space is sampled; retrospective "
                    f"undersampling needs fully sampled k-space (at least {self.min_sampled:.0%}) to give a reference."
                )
            seed, mask, d["sampling"] = self.draw(d, tuple(full.shape[-2:]))
            full_op = MultiCoilMRI(torch.ones_like(mask)[None, None], maps[None].to(torch.complex64))
            d["target"] = full_op.A_adjoint(full[None].to(torch.complex64))[0]
            d[key] = full * mask.to(full.real.dtype)
            d["mask"] = mask.to(torch.float32)
        return d


class LoadKSpaced(MapTransform):
    """Read the k-space file named by ``d["kspace"]`` (slice ``d["slice"]`` of a multi-slice file) with
    :func:`medrestore.data.kspace_io.read_kspace`. Coil maps missing from the file are estimated from
    the ``calibration x calibration`` centre with ``coil_map_method``: ``"espirit"``
    (:func:`medrestore.physics.coils.espirit_maps`) or ``"calibration"`` (low-resolution coil images over
    their root-sum-of-squares, :func:`medrestore.physics.coils.calibration_maps`); one coil gets ``S = 1``."""

    def __init__(self, keys: str = "kspace", calibration: int = 24, coil_map_method: str = "calibration") -> None:
        super().__init__(keys)
        if coil_map_method not in COIL_MAP_ESTIMATORS:
            raise ValueError(f"coil_map_method {coil_map_method!r}: expected one of {sorted(COIL_MAP_ESTIMATORS)}.")
        self.calibration, self.estimate_maps = calibration, COIL_MAP_ESTIMATORS[coil_map_method]

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            path = str(d[key])
            arrays = read_kspace(path, d.get("slice"))
            kspace = torch.from_numpy(arrays["kspace"])
            d[key] = kspace
            d["mask"] = torch.from_numpy(arrays["mask"])
            if "coil_maps" in arrays:
                d["coil_maps"] = torch.from_numpy(arrays["coil_maps"])
            elif kspace.shape[0] == 1:
                d["coil_maps"] = torch.ones_like(kspace)
            else:
                d["coil_maps"] = self.estimate_maps(kspace[None], calib=self.calibration)[0]
            if "target" in arrays:
                d["target"] = torch.as_tensor(arrays["target"])
            if arrays["num_slices"] > 1:  # one output per slice: name_slice003.h5 -> name_slice003_recon.nii.gz
                root, ext = os.path.splitext(path)
                path = f"{root}_slice{int(d.get('slice') or 0):03d}{ext}"
            d["source"] = path
        return d


class ReconInputsd(MapTransform):
    """Complex ``kspace``/``mask``/``coil_maps`` (and ``target``) -> the network's real inputs.

    Writes ``image`` ``(2, H, W)``: the zero-filled coil-combined image ``A^H y`` divided by ``scale``
    (its ``percentile`` magnitude, so intensities are ~[0, 1] whatever the scanner's units);
    ``kspace`` ``(C, H, W, 2)`` divided by the same ``scale``; ``mask`` ``(1, H, W)``; ``coil_maps``
    ``(C, H, W, 2)``; ``label`` ``(2, H, W)`` = ``target / scale`` when a target is known; ``scale``.
    ``image`` is a MetaTensor whose ``filename_or_obj`` names the source (for output names).
    """

    def __init__(self, keys: str = "kspace", percentile: float = 99.5) -> None:
        super().__init__(keys)
        self.percentile = percentile

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        kspace, mask, maps = d["kspace"], d["mask"].to(torch.float32), d["coil_maps"]
        zero_filled = MultiCoilMRI(mask[None, None], maps[None]).A_adjoint(kspace[None])[0]
        scale = torch.quantile(zero_filled.abs().flatten().to(torch.float64), self.percentile / 100).item()
        scale = max(scale, 1e-12)
        meta = {  # k-space carries no patient geometry: identity affine, pixel units
            "filename_or_obj": str(d.get("source", "kspace")),
            "affine": torch.eye(4, dtype=torch.float64),
            "original_affine": torch.eye(4, dtype=torch.float64),
            "spatial_shape": list(zero_filled.shape),
            "original_channel_dim": "no_channel",
        }
        d["image"] = MetaTensor(complex_to_channels(zero_filled[None])[0] / scale, meta=meta)
        d["kspace"] = torch.view_as_real(kspace / scale).contiguous()
        d["mask"] = mask[None]
        d["coil_maps"] = torch.view_as_real(maps.to(torch.complex64)).contiguous()
        if "target" in d:
            target = torch.as_tensor(d.pop("target"))
            target = target if target.is_complex() else target.to(torch.complex64)
            d["label"] = complex_to_channels(target[None])[0].to(torch.float32) / scale
        d["scale"] = torch.tensor(scale, dtype=torch.float32)
        return d


class ReconMagnituded(MapTransform):
    """Two-channel complex image ``(2, H, W)`` -> magnitude ``(1, H, W)``; multiplied by ``d[scale_key]``
    when given (back to the input's units) and divided by the maximum of ``d[reference_key]``'s
    magnitude when given (the fastMRI convention: PSNR/SSIM with the reference's maximum as data range).
    ``meta_key``: copy that item's metadata (source file name) to the output, for ``SaveImaged``."""

    def __init__(
        self,
        keys: str | Sequence[str],
        scale_key: str | None = None,
        reference_key: Hashable | None = None,
        meta_key: Hashable | None = None,
    ) -> None:
        super().__init__(keys)
        self.scale_key, self.reference_key, self.meta_key = scale_key, reference_key, meta_key

    @staticmethod
    def _magnitude(x: torch.Tensor) -> torch.Tensor:
        return x.pow(2).sum(dim=0, keepdim=True).sqrt() if x.shape[0] == 2 else x.abs()

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        peak = None
        if self.reference_key is not None:
            peak = self._magnitude(d[self.reference_key]).max().clamp_min(1e-12)
        for key in self.key_iterator(d):
            out = self._magnitude(d[key])
            if self.scale_key is not None:
                out = out * d[self.scale_key]
            if peak is not None:
                out = out / peak
            if self.meta_key is not None:
                out = MetaTensor(torch.as_tensor(out).as_subclass(torch.Tensor), meta=dict(d[self.meta_key].meta))
            d[key] = out
        return d

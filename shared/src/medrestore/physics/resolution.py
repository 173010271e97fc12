"""Resolution degradations (the forward models of super-resolution) and their adjoint-like upsamplers.

Every operator acts on the last two axes of a real tensor ``(..., H, W)`` on the ``[0, 1]`` scale and
keeps the pixel-centre convention of ``torch.nn.functional.interpolate(align_corners=False)``: the
centre of low-resolution pixel ``i`` lies at high-resolution coordinate ``s*i + (s - 1) / 2``, so all
degradations of one image are aligned with each other and with bicubic upsampling. ``H`` and ``W``
must be multiples of ``scale`` (see :func:`crop_to_multiple`).

Degradations (``DEGRADATIONS``):

* ``"bicubic"``: antialiased bicubic decimation (the usual SR benchmark degradation).
* ``"kspace"``: centred k-space truncation: the MR acquisition of a smaller matrix over the same field
  of view (the low-resolution image keeps the mean intensity).
* ``"blur"``: Gaussian blur (``sigma`` in high-resolution pixels, default ``0.5 * scale``) then
  decimation: a wider point-spread function than bicubic's.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from monai.networks.layers import separable_filtering
from monai.networks.layers.convutils import gaussian_1d

__all__ = [
    "DEGRADATIONS",
    "bicubic_downsample",
    "bicubic_upsample",
    "blur_downsample",
    "crop_to_multiple",
    "degrade",
    "kspace_truncate",
    "kspace_zero_fill",
    "back_project",
    "band_limited_oracle",
    "slice_profile_downsample",
    "thick_slice_geometry",
    "upsample_axis",
]

DEGRADATIONS = ("bicubic", "kspace", "blur")


def crop_to_multiple(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Crop the last two axes (bottom/right) to multiples of ``scale``."""
    h, w = x.shape[-2] // scale * scale, x.shape[-1] // scale * scale
    if h == 0 or w == 0:
        raise ValueError(f"image of size {tuple(x.shape[-2:])} is smaller than the scale {scale}.")
    return x[..., :h, :w]


def _as_4d(x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
    lead = tuple(x.shape[:-2])
    return x.reshape(-1, 1, x.shape[-2], x.shape[-1]), lead


def bicubic_downsample(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Antialiased bicubic decimation by ``scale``: ``(..., H, W)`` -> ``(..., H/s, W/s)``."""
    y, lead = _as_4d(x.float())
    y = F.interpolate(
        y, size=(x.shape[-2] // scale, x.shape[-1] // scale), mode="bicubic", antialias=True, align_corners=False
    )
    return y.reshape(*lead, *y.shape[-2:])


def bicubic_upsample(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Bicubic interpolation by ``scale``: ``(..., h, w)`` -> ``(..., s*h, s*w)``."""
    y, lead = _as_4d(x.float())
    y = F.interpolate(y, scale_factor=float(scale), mode="bicubic", align_corners=False)
    return y.reshape(*lead, *y.shape[-2:])


def _gaussian_blur(y: torch.Tensor, sigma: float, axes=(-2, -1)) -> torch.Tensor:
    """Gaussian blur of ``(N, 1, H, W)`` along ``axes`` (``sigma`` pixels, radius 3 sigma, replicate
    padding) with MONAI's separable filter."""
    g = gaussian_1d(torch.tensor(max(float(sigma), 1e-6)), truncated=3.0, approx="sampled", normalize=True)
    kernels = [g if a in axes else torch.ones(1) for a in (-2, -1)]
    return separable_filtering(y, [k.to(y) for k in kernels], mode="replicate")


def _decimate(y: torch.Tensor, scale: int, axes=(-2, -1)) -> torch.Tensor:
    """Sample at low-resolution pixel centres (linear interpolation between the two middle pixels)."""
    size = [y.shape[-2], y.shape[-1]]
    for a in axes:
        size[a] //= scale
    return F.interpolate(y, size=tuple(size), mode="bilinear", align_corners=False, antialias=False)


def blur_downsample(x: torch.Tensor, scale: int, sigma: float | None = None) -> torch.Tensor:
    """Gaussian blur (``sigma`` HR pixels, default ``0.5 * scale``) then decimation by ``scale``."""
    y, lead = _as_4d(x.float())
    y = _decimate(_gaussian_blur(y, 0.5 * scale if sigma is None else float(sigma)), scale)
    return y.reshape(*lead, *y.shape[-2:])


def _centre_shift(n: int, shift: float) -> torch.Tensor:
    """Phase ramp that moves an ``n``-sample signal by ``shift`` samples (fft order)."""
    k = torch.fft.fftfreq(n, dtype=torch.float64)
    return torch.exp(2j * math.pi * k * shift).to(torch.complex64)


def kspace_truncate(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Keep the central ``(H/s, W/s)`` of the 2D spectrum: ``(..., H, W)`` -> ``(..., H/s, W/s)``.

    The spectrum is shifted by ``(s - 1) / 2`` pixels first so that the result is sampled at the
    low-resolution pixel centres, and scaled so that the mean intensity is kept. Real part returned.
    """
    h, w = x.shape[-2], x.shape[-1]
    hl, wl = h // scale, w // scale
    shift = (scale - 1) / 2.0
    k = torch.fft.fft2(x.float())
    k = k * _centre_shift(h, shift).view(-1, 1) * _centre_shift(w, shift).view(1, -1)
    k = torch.fft.fftshift(k, dim=(-2, -1))
    r0, c0 = (h - hl + 1) // 2, (w - wl + 1) // 2
    k = k[..., r0 : r0 + hl, c0 : c0 + wl]
    y = torch.fft.ifft2(torch.fft.ifftshift(k, dim=(-2, -1))).real
    return y * (hl * wl) / (h * w)


def kspace_zero_fill(y: torch.Tensor, scale: int) -> torch.Tensor:
    """Zero-filled k-space (sinc) interpolation, the inverse of :func:`kspace_truncate` on its range:
    ``(..., h, w)`` -> ``(..., s*h, s*w)``."""
    hl, wl = y.shape[-2], y.shape[-1]
    h, w = hl * scale, wl * scale
    k = torch.fft.fftshift(torch.fft.fft2(y.float()), dim=(-2, -1))
    full = torch.zeros(*y.shape[:-2], h, w, dtype=k.dtype)
    r0, c0 = (h - hl + 1) // 2, (w - wl + 1) // 2
    full[..., r0 : r0 + hl, c0 : c0 + wl] = k
    full = torch.fft.ifftshift(full, dim=(-2, -1))
    shift = (scale - 1) / 2.0
    full = full * _centre_shift(h, -shift).view(-1, 1) * _centre_shift(w, -shift).view(1, -1)
    return torch.fft.ifft2(full).real * (h * w) / (hl * wl)


def band_limited_oracle(x: torch.Tensor, scale: int) -> torch.Tensor:
    """The high-resolution image ``x`` kept to the frequency band a ``scale``-times smaller grid carries:
    ``(..., H, W)`` -> ``(..., H, W)``.

    An upper bound, not a method (it reads the truth): of all images whose cosine (DCT-II) spectrum has no
    content above ``0.5 / scale`` cycles per pixel along either axis, it is the closest to ``x`` in mean
    squared error (the orthogonal projection onto that band; computed as a zero-one mask of the 2D
    spectrum of the mirrored image, so that the image's edges do not wrap around). Its error is the energy
    of ``x`` the low-resolution input cannot carry: a super-resolution output beats its PSNR only by
    predicting detail beyond the input's Nyquist limit.
    """
    h, w = x.shape[-2], x.shape[-1]
    mirrored = torch.cat([x, x.flip(-2)], dim=-2)
    mirrored = torch.cat([mirrored, mirrored.flip(-1)], dim=-1).float()  # even extension: a DCT-II basis
    cutoff = 0.5 / scale + 1e-9  # cycles per high-resolution pixel
    keep = (torch.fft.fftfreq(2 * h).abs() <= cutoff).view(-1, 1) & (torch.fft.fftfreq(2 * w).abs() <= cutoff)
    return torch.fft.ifft2(torch.fft.fft2(mirrored) * keep).real[..., :h, :w]


def degrade(x: torch.Tensor, scale: int, kind: str = "bicubic", sigma: float | None = None) -> torch.Tensor:
    """Apply the degradation ``kind`` (one of :data:`DEGRADATIONS`) of factor ``scale``."""
    if kind == "bicubic":
        return bicubic_downsample(x, scale)
    if kind == "kspace":
        return kspace_truncate(x, scale)
    if kind == "blur":
        return blur_downsample(x, scale, sigma)
    raise ValueError(f"unknown degradation '{kind}'; expected one of {', '.join(DEGRADATIONS)}.")


def back_project(
    sr: torch.Tensor, lr: torch.Tensor, scale: int, kind: str = "bicubic", iterations: int = 10, step: float = 1.0
) -> torch.Tensor:
    """Iterative back-projection (Irani & Peleg): ``x <- x + step * U(lr - D(x))`` with ``D`` the
    degradation ``kind`` and ``U`` its upsampler (zero-filled k-space for ``"kspace"``, where one step
    is the exact projection onto the images consistent with ``lr``; bicubic otherwise).

    Shapes: ``sr (..., s*h, s*w)``, ``lr (..., h, w)`` -> ``(..., s*h, s*w)``.
    """
    up = kspace_zero_fill if kind == "kspace" else bicubic_upsample
    x = sr.float()
    for _ in range(1 if kind == "kspace" else int(iterations)):
        x = x + step * up(lr.float() - degrade(x, scale, kind), scale)
    return x


def slice_profile_downsample(
    x: torch.Tensor, scale: int, axis: int = -2, thickness: float | None = None
) -> torch.Tensor:
    """Thick-slice acquisition along one in-plane ``axis``: Gaussian slice profile of FWHM
    ``thickness`` high-resolution pixels (default ``scale``: contiguous slices), then decimation by
    ``scale`` along that axis only: ``(..., H, W)`` -> ``(..., H/s, W)`` for ``axis=-2``."""
    y, lead = _as_4d(x.float())
    fwhm = float(scale if thickness is None else thickness)
    y = _decimate(_gaussian_blur(y, fwhm / 2.3548, axes=(axis,)), scale, axes=(axis,))
    return y.reshape(*lead, *y.shape[-2:])


def upsample_axis(x: torch.Tensor, scale: int, axis: int = -2, mode: str = "bicubic") -> torch.Tensor:
    """Interpolate by ``scale`` along one of the last two axes (``mode`` of ``F.interpolate``, the pixel
    centres of :func:`slice_profile_downsample`): ``(..., h, W)`` -> ``(..., s*h, W)`` for ``axis=-2``."""
    y, lead = _as_4d(x.float())
    size = [y.shape[-2], y.shape[-1]]
    size[axis] *= int(scale)
    y = F.interpolate(y, size=tuple(size), mode=mode, align_corners=False)
    return y.reshape(*lead, *y.shape[-2:])


def thick_slice_geometry(spacing, slice_axis: int | None = None, scale: int | None = None) -> tuple[int, int]:
    """``(slice_axis, scale)`` of an anisotropic volume of voxel ``spacing`` (3 values, mm): the axis
    of the largest spacing unless given, and the ratio of its spacing to the finest in-plane one,
    rounded, unless given. Fails when the volume is not anisotropic enough to super-resolve (< 1.5)."""
    spacing = [float(v) for v in list(spacing)[:3]]
    if len(spacing) != 3:
        raise ValueError(f"through-plane super-resolution needs a 3D volume; got spacing {spacing}.")
    axis = int(np.argmax(spacing)) if slice_axis is None else int(slice_axis)
    in_plane = min(v for a, v in enumerate(spacing) if a != axis)
    ratio = spacing[axis] / in_plane
    if scale is None:
        if ratio < 1.5:
            raise ValueError(
                f"voxel spacing {[round(v, 3) for v in spacing]} mm is not anisotropic along axis {axis} "
                f"(ratio {ratio:.2f}); through-plane super-resolution expects thick slices (ratio >= 1.5) or --scale."
            )
        scale = int(round(ratio))
    return axis, int(scale)

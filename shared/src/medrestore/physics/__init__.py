"""Imaging physics: forward operators of the degradations the bundles invert."""

from . import resolution
from .coils import birdcage_maps, calibration_maps, espirit_maps, low_resolution_support
from .ct import fbp, radon
from .fft import channels_to_complex, complex_to_channels, fft2c, ifft2c
from .masks import cartesian_mask, poisson_disc_mask
from .mri import MultiCoilMRI, kspace_noise_std, normalize_coil_maps

__all__ = [
    "MultiCoilMRI",
    "birdcage_maps",
    "calibration_maps",
    "low_resolution_support",
    "espirit_maps",
    "cartesian_mask",
    "channels_to_complex",
    "complex_to_channels",
    "fbp",
    "fft2c",
    "ifft2c",
    "kspace_noise_std",
    "normalize_coil_maps",
    "poisson_disc_mask",
    "radon",
    "resolution",
]

"""MONAI dictionary transforms shared by the bundles (degradations live in ``medrestore.noise``)."""

from .intensity import WindowIntensityd, window_bounds
from .kspace import LoadKSpaced, ReconInputsd, ReconMagnituded, SimulateKSpaced, UndersampleKSpaced, sampling_mask
from .resolution import (
    CropBorderd,
    DegradeResolutiond,
    LowResolutionConsistencyd,
    ThickSliceDegraded,
    UpscaleGeometryd,
    upscaled_affine,
)
from .sampling import EvenSlicesd, ForegroundWeightd, HoldOutMaskd, RandSliced
from .translation import ApplyNetworkd, StructureReportd
from .validation import ImageInputError, LoadImageCheckedd, ValidateImaged, check_inputs, source_name

__all__ = [
    "ApplyNetworkd",
    "StructureReportd",
    "CropBorderd",
    "DegradeResolutiond",
    "EvenSlicesd",
    "ForegroundWeightd",
    "HoldOutMaskd",
    "RandSliced",
    "LowResolutionConsistencyd",
    "UpscaleGeometryd",
    "upscaled_affine",
    "ImageInputError",
    "LoadKSpaced",
    "ReconInputsd",
    "ReconMagnituded",
    "SimulateKSpaced",
    "ThickSliceDegraded",
    "UndersampleKSpaced",
    "LoadImageCheckedd",
    "ValidateImaged",
    "check_inputs",
    "WindowIntensityd",
    "source_name",
    "sampling_mask",
    "window_bounds",
]

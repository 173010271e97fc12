"""MONAI dictionary transforms shared by the bundles (degradations live in ``medrestore.noise``)."""

from .intensity import WindowIntensityd, window_bounds
from .sampling import ForegroundWeightd
from .validation import ImageInputError, LoadImageCheckedd, ValidateImaged, source_name

__all__ = [
    "ForegroundWeightd",
    "ImageInputError",
    "LoadImageCheckedd",
    "ValidateImaged",
    "WindowIntensityd",
    "source_name",
    "window_bounds",
]

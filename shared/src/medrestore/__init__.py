"""medrestore: code shared by the medical image restoration MONAI bundles of this repository."""

__version__ = "0.1.0"

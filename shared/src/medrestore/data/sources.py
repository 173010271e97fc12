"""Loaders for the allowed packaged images (pydicom, pydicom-data, dipy, nibabel, mricron-data).

Every loader returns float64 arrays in the image's native units: Hounsfield units for CT,
scanner units for MR, and "brighter = more attenuation" detector units for the radiograph
(MONOCHROME1 is inverted). Spacing is in millimetres.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import numpy as np

__all__ = ["SourceImage", "find_colin27", "load_colin27", "load_dicom_testfile", "load_dipy", "load_nibabel_example4d"]

MRICRON_ENV = "MRICRON_TEMPLATES"


@dataclass
class SourceImage:
    """A 2D or 3D image from an allowed source, in native units, with spacing in mm."""

    name: str
    modality: str
    array: np.ndarray
    spacing: tuple[float, ...]


def load_dicom_testfile(filename: str, modality: str) -> SourceImage:
    """A pydicom test file (``CT_small.dcm``, ``MR_small.dcm``, ``J2K_pixelrep_mismatch.dcm``) or
    pydicom-data's ``RG1_UNCR.dcm``, with the modality LUT applied (HU for CT)."""
    import pydicom
    import pydicom.data
    from pydicom.pixels import apply_modality_lut

    path = pydicom.data.get_testdata_file(filename)
    if path is None:
        raise FileNotFoundError(f"{filename} is not installed: pip install pydicom pydicom-data")
    ds = pydicom.dcmread(path)
    arr = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    if modality == "CT":
        arr[arr <= -1500] = -1024.0  # J2K head CT: -2000 padding outside the field of view -> air
    if getattr(ds, "PhotometricInterpretation", "") == "MONOCHROME1":
        arr = arr.max() - arr
    spacing = tuple(float(s) for s in getattr(ds, "PixelSpacing", [1.0, 1.0]) or [1.0, 1.0])
    spacing = tuple(s if s > 0 else 0.1 for s in spacing)  # RG1_UNCR stores 0.000
    return SourceImage(os.path.splitext(filename)[0], modality, arr, spacing)


def load_dipy(name: str) -> SourceImage:
    """``t1_coronal_slice`` (.npy, 2D) or a dipy NIfTI (``S0_10``, ``aniso_vox``): MR."""
    import dipy.data
    import nibabel as nib

    path = str(dipy.data.get_fnames(name=name))
    if path.endswith(".npy"):
        return SourceImage(name, "MR", np.load(path).astype(np.float64), (1.0, 1.0))
    img = nib.load(path)
    arr = np.asarray(img.get_fdata())
    if arr.ndim == 4:
        arr = arr[..., 0]
    return SourceImage(name, "MR", arr, tuple(float(z) for z in img.header.get_zooms()[:3]))


def load_nibabel_example4d() -> SourceImage:
    """nibabel's ``example4d.nii.gz`` (fMRI EPI), first volume: MR."""
    import nibabel as nib

    path = os.path.join(os.path.dirname(nib.__file__), "tests", "data", "example4d.nii.gz")
    img = nib.load(path)
    return SourceImage(
        "example4d", "MR", np.asarray(img.get_fdata())[..., 0], tuple(float(z) for z in img.header.get_zooms()[:3])
    )


def find_colin27(templates_dir: str | None = None) -> str:
    """Folder holding mricron-data's ``ch2.nii.gz``: the argument, ``$MRICRON_TEMPLATES``,
    ``/usr/share/mricron/templates`` or a ``dpkg -x`` copy under ``<repo>/.cache/mricron``."""
    candidates = [templates_dir, os.environ.get(MRICRON_ENV), "/usr/share/mricron/templates"]
    here = os.path.abspath(os.path.dirname(__file__))
    candidates += glob.glob(
        os.path.join(here, *[".."] * 4, ".cache", "mricron", "usr", "share", "mricron", "templates")
    )
    for cand in candidates:
        if cand and os.path.isfile(os.path.join(cand, "ch2.nii.gz")):
            return os.path.abspath(cand)
    raise FileNotFoundError(
        "Colin27 (ch2.nii.gz from Debian's mricron-data) was not found. Install it with "
        "`apt-get install mricron-data`, or `apt-get download mricron-data && dpkg -x mricron-data_*.deb .cache/mricron`, "
        f"or point ${MRICRON_ENV} at the templates folder."
    )


def load_colin27(templates_dir: str | None = None) -> SourceImage:
    """Colin27 T1 (``ch2.nii.gz``), 1 mm isotropic, axes (x, y, z): MR."""
    import nibabel as nib

    img = nib.load(os.path.join(find_colin27(templates_dir), "ch2.nii.gz"))
    return SourceImage("colin27", "MR", np.asarray(img.get_fdata()), (1.0, 1.0, 1.0))

"""Write a restored image as a new, derived DICOM series beside its source series.

The restored array comes from MONAI's ``LoadImage`` of the source (ITK reader, ``(x, y[, z])``
axes, slices ordered along the slice normal), so slice ``k`` maps to the ``k``-th source instance
sorted by ``ImagePositionPatient`` projected on the normal. Values are in the source's modality
units (HU for CT) and are stored through the source's ``RescaleSlope``/``RescaleIntercept``.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Sequence

import numpy as np

__all__ = ["describe", "read_series", "write_derived_series"]


def read_series(path: str) -> list:
    """pydicom datasets of a ``.dcm`` file or of every ``.dcm`` file in a folder, sorted along the slice normal."""
    import pydicom

    files = (
        [path]
        if os.path.isfile(path)
        else sorted(os.path.join(path, n) for n in os.listdir(path) if n.lower().endswith(".dcm"))
    )
    datasets = [pydicom.dcmread(f) for f in files]
    if len({str(getattr(ds, "SeriesInstanceUID", "")) for ds in datasets}) > 1:
        raise ValueError(f"{path} holds more than one DICOM series; put each series in its own folder.")

    def position(ds) -> float:
        orient = np.asarray(getattr(ds, "ImageOrientationPatient", [1, 0, 0, 0, 1, 0]), dtype=float)
        normal = np.cross(orient[:3], orient[3:])
        return float(np.dot(np.asarray(getattr(ds, "ImagePositionPatient", [0, 0, 0]), dtype=float), normal))

    return sorted(datasets, key=position)


def _stored_values(values: np.ndarray, ds) -> np.ndarray:
    """Modality units -> stored pixel values of ``ds``'s type (rounded and clipped to its range)."""
    slope, intercept = float(getattr(ds, "RescaleSlope", 1) or 1), float(getattr(ds, "RescaleIntercept", 0) or 0)
    bits = int(ds.BitsAllocated)
    dtype = np.dtype(f"{'int' if int(getattr(ds, 'PixelRepresentation', 0)) else 'uint'}{bits}")
    info = np.iinfo(dtype)
    return np.clip(np.round((values - intercept) / slope), info.min, info.max).astype(dtype)


def write_derived_series(
    restored: np.ndarray, source: str, output_dir: str, description: str, series_number_offset: int = 1000
) -> list[str]:
    """Write ``restored`` (``(x, y)`` or ``(x, y, z)``, modality units) as a new series in ``output_dir``.

    Each instance copies its source instance (patient and study kept), then gets the restored pixels,
    a new ``SeriesInstanceUID`` and ``SOPInstanceUID``, ``ImageType`` ``DERIVED\\SECONDARY``, the
    ``SeriesDescription``/``DerivationDescription`` ``description`` and an uncompressed little-endian
    transfer syntax. A super-resolved image (an integer multiple of the source's rows and columns) gets
    the finer geometry: Rows/Columns, PixelSpacing and ImagePositionPatient updated (same field of view). The folder is written under a temporary name and renamed when complete.
    Returns the written file paths.
    """
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    datasets = read_series(source)
    volume = restored if restored.ndim == 3 else restored[..., None]
    if volume.shape[2] != len(datasets):
        raise ValueError(f"restored image has {volume.shape[2]} slices but {source} has {len(datasets)} instances.")
    series_uid = generate_uid()
    tmp = os.path.join(
        os.path.dirname(os.path.abspath(output_dir)), f".tmp-{os.getpid()}-{os.path.basename(output_dir)}"
    )
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    written = []
    try:
        for k, src in enumerate(datasets):
            ds = copy.deepcopy(src)
            pixels = volume[:, :, k].T  # (x, y) -> (rows, columns)
            if pixels.shape != (int(ds.Rows), int(ds.Columns)):
                _upscale_geometry(ds, pixels.shape, k)
            ds.PixelData = _stored_values(pixels, ds).tobytes()
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds.SeriesInstanceUID = series_uid
            ds.SOPInstanceUID = generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.ImageType = ["DERIVED", "SECONDARY"] + list(getattr(src, "ImageType", [])[2:])
            ds.SeriesDescription = description[:64]
            ds.DerivationDescription = description[:1024]
            ds.SeriesNumber = int(getattr(src, "SeriesNumber", 0) or 0) + series_number_offset
            for tag in ("LossyImageCompression", "LossyImageCompressionRatio", "LossyImageCompressionMethod"):
                if tag in ds:
                    delattr(ds, tag)
            name = os.path.join(tmp, f"IM{k + 1:04d}.dcm")
            ds.save_as(name, enforce_file_format=True)
            written.append(os.path.join(output_dir, os.path.basename(name)))
        if os.path.exists(output_dir):
            shutil.rmtree(output_dir)
        os.replace(tmp, output_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written


def _upscale_geometry(ds, shape: tuple[int, int], k: int) -> None:
    """Give ``ds`` the geometry of an in-plane super-resolved slice of ``shape`` (rows, columns): an
    integer multiple ``s`` of its own. Rows/Columns times ``s``, PixelSpacing (and ImagerPixelSpacing)
    divided by ``s``, ImagePositionPatient moved to the new first pixel centre so that the slice covers
    the same area (its corner stays in place); the slice position along the normal is unchanged."""
    rows, cols = int(ds.Rows), int(ds.Columns)
    scale = shape[0] // rows
    if scale < 2 or shape != (scale * rows, scale * cols):
        raise ValueError(
            f"slice {k} is {shape}, source instance is {(rows, cols)}; expected the same size or an integer "
            "multiple of it along both axes (in-plane super-resolution)."
        )
    spacing = [float(v) for v in getattr(ds, "PixelSpacing", [1.0, 1.0])]  # [between rows, between columns]
    if "ImagePositionPatient" in ds:
        orient = np.asarray(getattr(ds, "ImageOrientationPatient", [1, 0, 0, 0, 1, 0]), dtype=float)
        along_row, along_column = orient[:3], orient[3:]  # directions of increasing column and row index
        shift = (0.5 / scale - 0.5) * (spacing[1] * along_row + spacing[0] * along_column)
        ds.ImagePositionPatient = [float(v) for v in np.asarray(ds.ImagePositionPatient, dtype=float) + shift]
    ds.Rows, ds.Columns = scale * rows, scale * cols
    ds.PixelSpacing = [spacing[0] / scale, spacing[1] / scale]
    if "ImagerPixelSpacing" in ds:
        ds.ImagerPixelSpacing = [float(v) / scale for v in ds.ImagerPixelSpacing]
    for tag in ("SmallestImagePixelValue", "LargestImagePixelValue"):
        if tag in ds:
            delattr(ds, tag)


def describe(
    bundle_name: str, version: str, original: Sequence[str] | str | None = None, action: str = "restored by"
) -> str:
    """``"<action> <bundle> <version> (<original description>)"`` (``action`` e.g. ``"restored by"``,
    ``"synthetic T2 by"``): the bundle first, so that it survives the 64-character limit of SeriesDescription."""
    return f"{action} {bundle_name} {version}" + (f" ({original})" if original else "")

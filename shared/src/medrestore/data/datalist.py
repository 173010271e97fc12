"""Datalists of user images: NIfTI, DICOM (file or series folder), PNG or NumPy."""

from __future__ import annotations

import json
import os

import nibabel as nib
import numpy as np
from monai.data import load_decathlon_datalist

__all__ = [
    "IMAGE_SUFFIXES",
    "find_images",
    "load_image_datalist",
    "load_windowed_split",
    "read_datalist_json",
    "single_image_item",
]

IMAGE_SUFFIXES = (".nii.gz", ".nii", ".dcm", ".png", ".npy")


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES) and not os.path.basename(name).startswith(".")


def find_images(folder: str) -> list[str]:
    """Images directly in ``folder`` (sorted), plus each sub-folder that holds ``.dcm`` files as one DICOM series."""
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_file() and _is_image(entry.name):
            out.append(entry.path)
        elif entry.is_dir() and any(n.lower().endswith(".dcm") for n in os.listdir(entry.path)):
            out.append(entry.path)
    return out


def check_dicom_series(folder: str) -> None:
    """Stop (ImageInputError naming the folder and each series) when a DICOM folder holds more than
    one series: a folder is restored as one volume, and the reader would silently keep only one."""
    import pydicom

    from medrestore.transforms.validation import ImageInputError

    series: dict[str, dict] = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isfile(path) or name.startswith("."):
            continue
        try:
            ds = pydicom.dcmread(
                path, stop_before_pixels=True, specific_tags=["SeriesInstanceUID", "SeriesDescription"]
            )
        except Exception:  # noqa: BLE001 - not DICOM (or corrupt): the reader reports it with the file named
            continue
        entry = series.setdefault(
            str(ds.get("SeriesInstanceUID", "?")), {"description": str(ds.get("SeriesDescription", "")), "files": []}
        )
        entry["files"].append(name)
    if len(series) > 1:
        listed = "; ".join(
            f"{uid} '{s['description']}': {len(s['files'])} file(s), e.g. {s['files'][0]}" for uid, s in series.items()
        )
        raise ImageInputError(
            f"{folder}: the folder holds {len(series)} DICOM series ({listed}); a folder is restored as one "
            "series. Put each series in its own sub-folder."
        )


def read_datalist_json(path: str) -> dict:
    """The sections of a datalist JSON file; a malformed file fails naming the file, line and column."""
    try:
        with open(path) as f:
            sections = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(
            f"datalist {path} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}."
        ) from err
    if not isinstance(sections, dict):
        raise ValueError(f'datalist {path} must hold a JSON object of sections, e.g. {{"test": [...]}}.')
    return sections


def single_image_item(path: str | None) -> list[dict]:
    """``[{"image": path}]`` for a config that takes one ``--image`` (a file or a DICOM series folder),
    with a clear error when it is missing."""
    if not path:
        raise ValueError("no input: pass --image <NIfTI file or DICOM series folder>.")
    if not os.path.exists(path):
        raise FileNotFoundError(f"image {path} does not exist; pass --image <NIfTI file or DICOM series folder>.")
    if os.path.isdir(path):
        check_dicom_series(path)
    return [{"image": os.path.abspath(path)}]


def load_image_datalist(dataset_dir: str | None, datalist: str | None = None, key: str = "test") -> list[dict]:
    """Items ``{"image": path, ...}`` to restore.

    With ``datalist`` (a MONAI datalist JSON, paths relative to ``dataset_dir``) the ``key`` section is
    read; without it every image of ``dataset_dir`` is listed (:func:`find_images`). Fails with a
    message naming the folder or the missing files when there is nothing usable.
    """
    if datalist:
        if not os.path.isfile(datalist):
            raise FileNotFoundError(
                f"datalist {datalist} does not exist; expected a MONAI datalist JSON with a '{key}' list."
            )
        sections = read_datalist_json(datalist)
        if key not in sections:
            raise KeyError(f"datalist {datalist} has no '{key}' section (found {sorted(sections)}).")
        items = load_decathlon_datalist(datalist, True, key, base_dir=dataset_dir)
        missing = [str(it.get("image")) for it in items if not os.path.exists(str(it.get("image")))]
        if missing:
            raise FileNotFoundError(
                f"datalist {datalist} lists {len(missing)} missing image(s): {', '.join(missing[:5])}."
            )
        if not items:
            raise ValueError(f"datalist {datalist} section '{key}' is empty.")
        for item in items:
            if os.path.isdir(str(item["image"])):
                check_dicom_series(str(item["image"]))
        return items
    if not dataset_dir:
        raise FileNotFoundError("no dataset_dir given; pass --dataset_dir <folder of images> or --datalist <json>.")
    if not os.path.isdir(dataset_dir):
        raise FileNotFoundError(
            f"dataset_dir {dataset_dir} does not exist; pass --dataset_dir <folder of images> or --datalist <json>."
        )
    images = find_images(dataset_dir)
    if not images:
        raise FileNotFoundError(
            f"dataset_dir {dataset_dir} holds no images; expected files ending in {', '.join(IMAGE_SUFFIXES)} "
            "or sub-folders of DICOM files."
        )
    for path in images:
        if os.path.isdir(path):
            check_dicom_series(path)
    return [{"image": path} for path in images]


def load_windowed_split(data_dir: str, split: str, builder=None) -> list[dict]:
    """Items of a sample-data split (built first by ``builder(data_dir)``, default
    :func:`medrestore.data.build_denoising_data`, if ``data_dir`` has no datalist) with the clean image
    windowed by the bundles' rule (:class:`medrestore.transforms.WindowIntensityd`: the item's
    ``"window"``, else the 0th/99.9th percentiles) and clipped to ``[0, 1]``.

    Each item gains ``clean`` (``(H, W)`` float64), ``window`` (``(low, high)``, native units) and
    ``spacing`` (mm), next to its datalist fields.
    """
    from medrestore.data.builder import build_denoising_data
    from medrestore.transforms.intensity import window_bounds

    path = os.path.join(data_dir, "datalist.json")
    if not os.path.isfile(path):
        (builder or build_denoising_data)(data_dir)
    with open(path) as f:
        items = json.load(f)[split]
    out = []
    for item in items:
        img = nib.load(os.path.join(data_dir, item["image"]))
        arr = np.asarray(img.get_fdata(), dtype=np.float64)
        low, high = tuple(item["window"]) if "window" in item else window_bounds(arr)
        clean = np.clip((arr - low) / (high - low), 0, 1)
        out.append({**item, "clean": clean, "window": (low, high), "spacing": tuple(img.header.get_zooms()[:2])})
    return out

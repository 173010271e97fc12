"""Sample data for MRI reconstruction: magnitude slices of the allowed MR sources, and k-space files.

Command line::

    medrestore-data mri --output_dir data/mri

Writes ``size`` x ``size`` float32 NIfTI magnitude slices on ``[0, 1]`` (each divided by its 99.5th
percentile and clipped; slices coarser than 1.5 mm are upsampled 2x first, then zero-padded or
centre-cropped) and a datalist whose validation and test items carry a fixed ``seed`` (phase,
noise and mask of :class:`medrestore.transforms.SimulateKSpaced`). Splits:

* **training**: Colin27 axial z < 118, coronal (z < 118) and sagittal slices, dipy ``aniso_vox``,
  nibabel ``example4d`` and seeded ellipse phantoms (piecewise-constant, with sharp edges).
* **validation**: Colin27 axial z = 118-125.
* **test** (in distribution): Colin27 axial z >= 126 (a held-out region of the training subject).
* **unseen_source** (whole sources never seen in training: other subjects, contrasts, scanners):
  dipy ``t1_coronal_slice`` (T1, another subject), dipy ``S0_10`` (b0 EPI), dipy ``test_piesno``
  (noisy DWI) and pydicom ``MR_small`` (T2 spin echo).

``kspace/`` holds the test and unseen-source items as fastMRI-style HDF5 files (the sample input of
``inference.json``): 8-coil k-space undersampled 4x with a 2D Poisson-disc mask, with datasets ``kspace``
``(1, C, H, W)``, ``mask``, ``coil_maps`` (the true maps, zero outside the object support: the convention
of :mod:`medrestore.physics.coils`) and ``target`` (the complex reference), simulated with the item's seed.
"""

from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F

from medrestore.data import sources
from medrestore.data.builder import write_datalist, write_slice
from medrestore.io import atomic_path

__all__ = ["SAMPLE_MASK", "build_mri_data", "fit_slice", "write_kspace_h5"]

SAMPLE_MASK = ("poisson", 4.0)


def fit_slice(arr: np.ndarray, spacing, size: int) -> np.ndarray:
    """Normalise a magnitude slice to ``[0, 1]`` (99.5th percentile), upsample 2x when coarser than
    1.5 mm, and zero-pad / centre-crop to ``size`` x ``size``."""
    img = torch.as_tensor(np.asarray(arr, dtype=np.float32))
    if min(spacing) > 1.5:
        img = F.interpolate(img[None, None], scale_factor=2, mode="bilinear", align_corners=False)[0, 0]
    img = (img / max(float(torch.quantile(img.flatten(), 0.995)), 1e-12)).clamp(0, 1)
    out = torch.zeros(size, size)
    h, w = img.shape
    sh, sw = max(0, (h - size) // 2), max(0, (w - size) // 2)
    crop = img[sh : sh + size, sw : sw + size]
    th, tw = (size - crop.shape[0]) // 2, (size - crop.shape[1]) // 2
    out[th : th + crop.shape[0], tw : tw + crop.shape[1]] = crop
    return out.numpy()


def write_kspace_h5(path: str, kspace: np.ndarray, mask: np.ndarray, coil_maps=None, target=None) -> None:
    """Write one slice as a fastMRI-style HDF5 file (``kspace`` ``(1, C, H, W)`` complex64 and the optional
    datasets), atomically."""
    import h5py

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("kspace", data=np.asarray(kspace, dtype=np.complex64)[None])
        f.create_dataset("mask", data=np.asarray(mask, dtype=np.float32))
        if coil_maps is not None:
            f.create_dataset("coil_maps", data=np.asarray(coil_maps, dtype=np.complex64)[None])
        if target is not None:
            f.create_dataset("target", data=np.asarray(target)[None])
        f.attrs["acquisition"] = "simulated"


def build_mri_data(
    output_dir: str = "data/mri", size: int = 192, templates_dir: str | None = None, num_phantoms: int = 12
) -> str:
    """Write the MRI sample data under ``output_dir`` (see the module docstring); returns the datalist path."""
    from medrestore.data.phantoms import random_ellipse_phantom
    from medrestore.transforms.kspace import SimulateKSpaced

    split: dict[str, list[dict]] = {"training": [], "validation": [], "test": [], "unseen_source": []}
    seeds = iter(range(5000, 100000))

    def add(part: str, name: str, arr: np.ndarray, spacing) -> None:
        rel = os.path.join(part, f"mr_{name}.nii.gz")
        write_slice(os.path.join(output_dir, rel), fit_slice(arr, spacing, size))
        item = {"image": rel}
        if part != "training":
            item["seed"] = next(seeds)
        split[part].append(item)

    colin = sources.load_colin27(templates_dir).array
    for z in range(30, 118, 2):
        add("training", f"colin27_ax{z:03d}", colin[:, :, z], (1, 1))
    for y in range(40, 190, 10):
        add("training", f"colin27_cor{y:03d}", colin[:, y, :118], (1, 1))
    for x in range(30, 160, 10):
        add("training", f"colin27_sag{x:03d}", colin[x, :, :118], (1, 1))
    vol = sources.load_dipy("aniso_vox")
    for z in range(vol.array.shape[2]):
        if vol.array[:, :, z].max() > 0:
            add("training", f"aniso_vox_z{z:02d}", vol.array[:, :, z], vol.spacing[:2])
    epi = sources.load_nibabel_example4d()
    for z in range(2, epi.array.shape[2] - 2, 2):
        add("training", f"example4d_z{z:02d}", epi.array[:, :, z], epi.spacing[:2])
    for i in range(num_phantoms):
        add("training", f"phantom{i:02d}", random_ellipse_phantom((size, size), seed=200 + i), (1, 1))
    for z in range(118, 126):
        add("validation", f"colin27_ax{z:03d}", colin[:, :, z], (1, 1))
    for z in range(126, 175, 4):
        add("test", f"colin27_ax{z:03d}", colin[:, :, z], (1, 1))

    t1 = sources.load_dipy("t1_coronal_slice")
    add("unseen_source", "dipy_t1_coronal", t1.array, t1.spacing)
    s0 = sources.load_dipy("S0_10")
    for z in (2, 4, 6, 8):
        add("unseen_source", f"s0_10_z{z:02d}", s0.array[:, :, z], s0.spacing[:2])
    piesno = sources.load_dipy("test_piesno")
    for z in (3, 7, 11):
        add("unseen_source", f"test_piesno_z{z:02d}", piesno.array[:, :, z], piesno.spacing[:2])
    mr_small = sources.load_dicom_testfile("MR_small.dcm", "MR")
    add("unseen_source", "mr_small", mr_small.array, mr_small.spacing)

    simulate = SimulateKSpaced(keys="image", masks=[SAMPLE_MASK])
    import nibabel as nib

    for item in split["test"] + split["unseen_source"]:
        magnitude = np.asarray(nib.load(os.path.join(output_dir, item["image"])).dataobj)[None]
        sim = simulate({"image": magnitude, "seed": item["seed"]})
        name = os.path.basename(item["image"]).replace(".nii.gz", ".h5")
        part = "unseen_source" if item in split["unseen_source"] else "test"
        item["kspace"] = os.path.join("kspace", name) if part == "test" else os.path.join("kspace_unseen_source", name)
        write_kspace_h5(
            os.path.join(output_dir, item["kspace"]),
            sim["kspace"].numpy(),
            sim["mask"].numpy(),
            sim["coil_maps"].numpy(),
            sim["target"].numpy(),
        )
    path = os.path.join(output_dir, "datalist.json")
    write_datalist(path, split)
    print(
        f"wrote {path} ({', '.join(f'{k}: {len(v)}' for k, v in split.items())}) and k-space files of the test and unseen-source items"
    )
    return path

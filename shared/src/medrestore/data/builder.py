"""Sample-data builder: 2D NIfTI slices from the allowed sources and a MONAI datalist.

Command line (``fire``)::

    medrestore-data denoising --output_dir data/denoising
    medrestore-data small_sample --output_dir data/small_sample   # see medrestore.data.small_sample
    medrestore-data mri --output_dir data/mri                     # see medrestore.data.mri
    medrestore-data contrast --output_dir data/contrast           # see medrestore.data.contrast

Splits (whole sources held out of training for ``unseen_source``; every item carries ``source``):

* **training**: Colin27 (1 mm T1) axial z < 118 every 3rd slice, coronal and sagittal sections cut at
  z < 118, and half-resolution copies of every 6th axial slice; dipy ``aniso_vox`` and nibabel
  ``example4d`` (EPI); the J2K head CT above row 320 in three HU windows, full and half resolution;
  ``RG1_UNCR`` columns < 1024 above row 1024 (tiles end there) (full and half resolution); seeded ellipse phantoms and
  textured dead-leaves images (:func:`medrestore.data.phantoms.dead_leaves`).
* **validation**: Colin27 axial z = 120 and coronal y = 105 (z >= 126); J2K rows 320-383;
  ``RG1_UNCR`` columns < 1024, rows 1024-1279.
* **test** (in distribution: the training sources, other regions): Colin27 axial z = 130, 140, 150;
  J2K rows >= 384; ``RG1_UNCR`` columns < 1024, rows >= 1280.
* **unseen_source** (never seen in training, validation or tuning): dipy ``t1_coronal_slice``
  (another subject's T1), ``MR_small`` (T2 spin echo), dipy ``S0_10`` (T2-weighted EPI b0), pydicom
  ``CT_small`` (another patient, neck/chest, another scanner) in two windows, and the other half of the
  radiograph (``RG1_UNCR`` columns >= 1024: one radiograph exists, so X-ray is held out by region).

Slices are written in native units (HU for CT) as float32 NIfTI; each datalist item carries
``modality``, ``source`` and, where the documented default window does not apply, an intensity
``window`` (see :class:`medrestore.transforms.WindowIntensityd`). Items outside training carry a fixed
``noise_seed`` so that their noise is identical in every run.
"""

from __future__ import annotations

import json
import os
import tempfile

import nibabel as nib
import numpy as np

from medrestore.data import sources
from medrestore.data.phantoms import dead_leaves, random_ellipse_phantom
from medrestore.io import atomic_path

__all__ = [
    "SplitWriter",
    "add_unseen_sources",
    "build_denoising_data",
    "install_mricron",
    "main",
    "tiles",
    "write_datalist",
    "write_slice",
]

CT_WINDOW = (-1024.0, 2048.0)
CT_SOFT_TISSUE_WINDOW = (-200.0, 300.0)
CT_WIDE_WINDOW = (-1024.0, 3072.0)
RADIOGRAPH_SPLIT_COLUMN = 1024  # RG1_UNCR columns < 1024 train/validate/test, >= 1024 are an unseen region


def write_slice(path: str, array: np.ndarray, spacing=(1.0, 1.0)) -> None:
    """Write a 2D array as float32 NIfTI with ``spacing`` (mm); atomic (temporary name, then rename)."""
    affine = np.diag([float(spacing[0]), float(spacing[1]), 1.0, 1.0])
    with atomic_path(path) as tmp:
        nib.save(nib.Nifti1Image(np.asarray(array, dtype=np.float32), affine), tmp)


def write_datalist(path: str, datalist: dict) -> None:
    """Write a MONAI datalist JSON (keys ``training``, ``validation``, ``test``) atomically."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        json.dump(datalist, f, indent=4)
        f.write("\n")


def tiles(arr: np.ndarray, size: int, rows: tuple[int, int], min_std: float):
    """Non-overlapping ``size`` x ``size`` tiles whose top edge lies in ``rows``; skips flat tiles."""
    out = []
    for r in range(rows[0], min(rows[1], arr.shape[0] - size + 1), size):
        for c in range(0, arr.shape[1] - size + 1, size):
            tile = arr[r : r + size, c : c + size]
            if tile.std() >= min_std:
                out.append(((r, c), tile))
    return out


def _half(arr: np.ndarray) -> np.ndarray:
    """2x2 mean pooling (a coarser-scale copy of an image)."""
    h, w = arr.shape[0] // 2 * 2, arr.shape[1] // 2 * 2
    return arr[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


class SplitWriter:
    """Writes 2D slices under ``output_dir/<part>/<modality>_<name>.nii.gz`` and collects the datalist.

    ``add(part, name, modality, array, spacing, window=None, **extra)`` writes one slice and its item
    (``image``, ``modality``, optional ``window``, extra keys); items outside ``training`` get a fixed
    ``noise_seed`` (1000, 1001, ... in order of writing) so their degradation is identical in every run.
    ``finish()`` writes ``datalist.json`` and returns its path.
    """

    def __init__(self, output_dir: str, parts=("training", "validation", "test")) -> None:
        self.output_dir = output_dir
        self.split: dict[str, list[dict]] = {p: [] for p in parts}
        self._seed = iter(range(1000, 100000))

    def add(self, part: str, name: str, modality: str, arr: np.ndarray, spacing, window=None, **extra) -> None:
        rel = os.path.join(part, f"{modality.lower()}_{name}.nii.gz")
        write_slice(os.path.join(self.output_dir, rel), arr, spacing)
        item = {"image": rel, "modality": modality}
        if window is not None:
            item["window"] = [float(window[0]), float(window[1])]
        item.update(extra)
        if part != "training":
            item["noise_seed"] = next(self._seed)
        self.split[part].append(item)

    def finish(self) -> str:
        path = os.path.join(self.output_dir, "datalist.json")
        write_datalist(path, self.split)
        counts = ", ".join(f"{k}: {len(v)}" for k, v in self.split.items())
        print(f"wrote {path} ({counts})")
        return path


def add_unseen_sources(add, s0_slices=(5,)) -> None:
    """Write the MR and CT images that every sample-data builder holds out of training, validation and
    tuning as its ``unseen_source`` split: dipy ``t1_coronal_slice`` (another subject's T1),
    ``MR_small`` (T2 spin echo), dipy ``S0_10`` slices ``s0_slices`` (T2-weighted EPI b0) and pydicom
    ``CT_small`` (another patient and scanner) in the full and soft-tissue windows.

    ``add`` is a :class:`SplitWriter`'s ``add``.
    """
    t1 = sources.load_dipy("t1_coronal_slice")
    add("unseen_source", "dipy_t1_coronal", "MR", t1.array, t1.spacing, source="dipy_t1_coronal_slice")
    mr_small = sources.load_dicom_testfile("MR_small.dcm", "MR")
    add("unseen_source", "mr_small", "MR", mr_small.array, mr_small.spacing, source="mr_small")
    s0 = sources.load_dipy("S0_10")
    for z in s0_slices:
        add("unseen_source", f"s0_10_z{z:02d}", "MR", s0.array[:, :, z], s0.spacing[:2], source="dipy_s0_10")
    ct = sources.load_dicom_testfile("CT_small.dcm", "CT")
    add("unseen_source", "ct_small", "CT", ct.array, ct.spacing, CT_WINDOW, source="ct_small")
    add("unseen_source", "ct_small_soft", "CT", ct.array, ct.spacing, CT_SOFT_TISSUE_WINDOW, source="ct_small")


def build_denoising_data(
    output_dir: str = "data/denoising",
    num_phantoms: int = 12,
    num_dead_leaves: int = 24,
    templates_dir: str | None = None,
) -> str:
    """Write the denoising sample data under ``output_dir`` and return the datalist path.

    Args:
        output_dir: destination folder (created; existing files of the same name are replaced).
        num_phantoms: seeded ellipse phantoms added to the training split.
        num_dead_leaves: seeded textured dead-leaves images (256 x 256) added to the training split.
        templates_dir: folder with mricron-data's ``ch2.nii.gz`` (see :func:`sources.find_colin27`).
    """
    writer = SplitWriter(output_dir, parts=("training", "validation", "test", "unseen_source"))
    add = writer.add

    colin = sources.load_colin27(templates_dir).array  # (x, y, z), 1 mm
    for z in range(30, 118, 3):
        add("training", f"colin27_ax{z:03d}", "MR", colin[:, :, z], (1, 1), source="colin27")
    for z in range(30, 118, 6):
        add("training", f"colin27_ax{z:03d}_half", "MR", _half(colin[:, :, z]), (2, 2), source="colin27")
    for y in range(40, 190, 10):
        add("training", f"colin27_cor{y:03d}", "MR", colin[:, y, :118], (1, 1), source="colin27")
    for x in range(40, 150, 10):
        add("training", f"colin27_sag{x:03d}", "MR", colin[x, :, :118], (1, 1), source="colin27")
    add("validation", "colin27_ax120", "MR", colin[:, :, 120], (1, 1), source="colin27")
    add("validation", "colin27_cor105", "MR", colin[:, 105, 126:], (1, 1), source="colin27")
    for z in (130, 140, 150):
        add("test", f"colin27_ax{z:03d}", "MR", colin[:, :, z], (1, 1), source="colin27")

    aniso = sources.load_dipy("aniso_vox")
    for z in range(aniso.array.shape[2]):
        if aniso.array[:, :, z].max() > 0:
            add(
                "training",
                f"aniso_vox_z{z:02d}",
                "MR",
                aniso.array[:, :, z],
                aniso.spacing[:2],
                source="dipy_aniso_vox",
            )
    epi = sources.load_nibabel_example4d()
    for z in range(2, epi.array.shape[2] - 2, 2):
        add("training", f"example4d_z{z:02d}", "MR", epi.array[:, :, z], epi.spacing[:2], source="nibabel_example4d")

    ct = sources.load_dicom_testfile("J2K_pixelrep_mismatch.dcm", "CT")
    top, half_spacing = ct.array[:320], tuple(2 * s for s in ct.spacing)
    for suffix, window in (("", CT_WINDOW), ("_soft", CT_SOFT_TISSUE_WINDOW), ("_wide", CT_WIDE_WINDOW)):
        add("training", f"j2k_head{suffix}", "CT", top, ct.spacing, window, source="j2k_head_ct")
        add("training", f"j2k_head{suffix}_half", "CT", _half(top), half_spacing, window, source="j2k_head_ct")
    add("validation", "j2k_head_r320", "CT", ct.array[320:384], ct.spacing, CT_WINDOW, source="j2k_head_ct")
    add("test", "j2k_head_r384", "CT", ct.array[384:], ct.spacing, CT_WINDOW, source="j2k_head_ct")
    add("test", "j2k_head_r384_soft", "CT", ct.array[384:], ct.spacing, CT_SOFT_TISSUE_WINDOW, source="j2k_head_ct")

    cr = sources.load_dicom_testfile("RG1_UNCR.dcm", "XR")
    min_std = 0.02 * (cr.array.max() - cr.array.min())
    left, right = cr.array[:, :RADIOGRAPH_SPLIT_COLUMN], cr.array[:, RADIOGRAPH_SPLIT_COLUMN:]
    for (r, c), tile in tiles(left, 256, (0, 1024), min_std):
        add("training", f"rg1_r{r:04d}_c{c:04d}", "XR", tile, cr.spacing, source="rg1_uncr_left")
    half = _half(left[:1024])
    for (r, c), tile in tiles(half, 256, (0, half.shape[0]), min_std):
        add(
            "training",
            f"rg1_half_r{r:04d}_c{c:04d}",
            "XR",
            tile,
            tuple(2 * s for s in cr.spacing),
            source="rg1_uncr_left",
        )
    for (r, c), tile in tiles(left, 256, (1024, 1280), min_std)[::2]:
        add("validation", f"rg1_r{r:04d}_c{c:04d}", "XR", tile, cr.spacing, source="rg1_uncr_left")
    for (r, c), tile in tiles(left, 256, (1280, left.shape[0]), min_std):
        add("test", f"rg1_r{r:04d}_c{c:04d}", "XR", tile, cr.spacing, source="rg1_uncr_left")

    for i in range(num_phantoms):
        add(
            "training",
            f"phantom{i:02d}",
            "CT",
            random_ellipse_phantom((256, 256), seed=i),
            (1, 1),
            (0.0, 1.0),
            source="phantom",
        )
    for i in range(num_dead_leaves):
        add(
            "training",
            f"dead_leaves{i:02d}",
            "SYN",
            dead_leaves((256, 256), seed=i),
            (1, 1),
            (0.0, 1.0),
            source="dead_leaves",
        )

    add_unseen_sources(add, s0_slices=(5,))
    for (r, c), tile in tiles(right, 256, (0, right.shape[0]), min_std)[::3]:
        add(
            "unseen_source",
            f"rg1_r{r:04d}_c{c + RADIOGRAPH_SPLIT_COLUMN:04d}",
            "XR",
            tile,
            cr.spacing,
            source="rg1_uncr_right",
        )

    return writer.finish()


def install_mricron(dest: str = ".cache/mricron") -> str:
    """Make Debian's ``mricron-data`` (Colin27) available without root: ``apt-get download`` the
    package and unpack it with ``dpkg -x`` under ``dest``. Does nothing when Colin27 is already found.
    Returns the templates folder."""
    import subprocess

    try:
        return sources.find_colin27()
    except FileNotFoundError:
        pass
    os.makedirs(dest, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", "mricron-data"], cwd=tmp, check=True)
        deb = next(os.path.join(tmp, n) for n in os.listdir(tmp) if n.endswith(".deb"))
        subprocess.run(["dpkg", "-x", deb, dest], check=True)
    folder = sources.find_colin27(os.path.join(dest, "usr", "share", "mricron", "templates"))
    print(f"Colin27 templates in {folder}")
    return folder


def main() -> None:
    import fire

    from medrestore.data.contrast import build_contrast_data
    from medrestore.data.mri import build_mri_data
    from medrestore.data.small_sample import build_small_sample_data
    from medrestore.data.super_resolution import build_sr_data

    fire.Fire(
        {
            "denoising": build_denoising_data,
            "small_sample": build_small_sample_data,
            "mri": build_mri_data,
            "sr": build_sr_data,
            "contrast": build_contrast_data,
            "mricron": install_mricron,
        }
    )


if __name__ == "__main__":
    main()

"""Sample-data builder: 2D NIfTI slices from the allowed sources and a MONAI datalist.

Command line (``fire``)::

    medrestore-data denoising --output_dir data/denoising
    medrestore-data small_sample --output_dir data/small_sample   # see medrestore.data.small_sample
    medrestore-data mri --output_dir data/mri                     # see medrestore.data.mri
    medrestore-data contrast --output_dir data/contrast           # see medrestore.data.contrast

The split is fixed and patient-level where the sources allow it:

* **test**: dipy ``t1_coronal_slice`` (MR, its own subject), Colin27 axial slices z >= 126
  (a held-out region), pydicom ``CT_small`` (CT, its own patient), and the bottom band
  (rows >= 1536) of the ``RG1_UNCR`` radiograph (one radiograph exists, so X-ray is split by region).
* **validation**: Colin27 axial z = 120, ``MR_small``, ``RG1_UNCR`` rows 1280-1535.
* **training**: everything else: Colin27 z < 118 (axial and z-cropped coronal), dipy ``S0_10`` and
  ``aniso_vox``, nibabel ``example4d``, the J2K head CT (full and half resolution, two HU windows),
  ``RG1_UNCR`` rows < 1280 (full and half resolution) and seeded ellipse phantoms.

Slices are written in native units (HU for CT) as float32 NIfTI; each datalist item carries
``modality`` and, where the documented default window does not apply, an intensity ``window``
(see :class:`medrestore.transforms.WindowIntensityd`). Validation and test items carry a fixed
``noise_seed`` so that their noise is identical in every run.
"""

from __future__ import annotations

import json
import os
import tempfile

import nibabel as nib
import numpy as np

from medrestore.data import sources
from medrestore.data.phantoms import random_ellipse_phantom
from medrestore.io import atomic_path

__all__ = ["SplitWriter", "build_denoising_data", "install_mricron", "main", "tiles", "write_datalist", "write_slice"]

CT_WINDOW = (-1024.0, 2048.0)
CT_SOFT_TISSUE_WINDOW = (-200.0, 300.0)


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


def build_denoising_data(output_dir: str = "data/denoising", num_phantoms: int = 12, templates_dir: str | None = None) -> str:
    """Write the denoising sample data under ``output_dir`` and return the datalist path.

    Args:
        output_dir: destination folder (created; existing files of the same name are replaced).
        num_phantoms: seeded ellipse phantoms added to the training split.
        templates_dir: folder with mricron-data's ``ch2.nii.gz`` (see :func:`sources.find_colin27`).
    """
    writer = SplitWriter(output_dir)
    add, split = writer.add, writer.split

    colin = sources.load_colin27(templates_dir).array  # (x, y, z), 1 mm
    for z in range(30, 118, 3):
        add("training", f"colin27_ax{z:03d}", "MR", colin[:, :, z], (1, 1))
    for y in range(40, 190, 10):
        add("training", f"colin27_cor{y:03d}", "MR", colin[:, y, :118], (1, 1))
    add("validation", "colin27_ax120", "MR", colin[:, :, 120], (1, 1))
    for z in (130, 140, 150):
        add("test", f"colin27_ax{z:03d}", "MR", colin[:, :, z], (1, 1))

    for name in ("S0_10", "aniso_vox"):
        vol = sources.load_dipy(name)
        for z in range(vol.array.shape[2]):
            if vol.array[:, :, z].max() > 0:
                add("training", f"{name.lower()}_z{z:02d}", "MR", vol.array[:, :, z], vol.spacing[:2])
    epi = sources.load_nibabel_example4d()
    for z in range(2, epi.array.shape[2] - 2, 2):
        add("training", f"example4d_z{z:02d}", "MR", epi.array[:, :, z], epi.spacing[:2])
    t1 = sources.load_dipy("t1_coronal_slice")
    add("test", "dipy_t1_coronal", "MR", t1.array, t1.spacing)
    mr_small = sources.load_dicom_testfile("MR_small.dcm", "MR")
    add("validation", "mr_small", "MR", mr_small.array, mr_small.spacing)

    ct_train = sources.load_dicom_testfile("J2K_pixelrep_mismatch.dcm", "CT")
    add("training", "j2k_head", "CT", ct_train.array, ct_train.spacing, CT_WINDOW)
    add("training", "j2k_head_soft", "CT", ct_train.array, ct_train.spacing, CT_SOFT_TISSUE_WINDOW)
    half_spacing = tuple(2 * s for s in ct_train.spacing)
    add("training", "j2k_head_half", "CT", _half(ct_train.array), half_spacing, CT_WINDOW)
    ct_test = sources.load_dicom_testfile("CT_small.dcm", "CT")
    add("test", "ct_small", "CT", ct_test.array, ct_test.spacing, CT_WINDOW)

    cr = sources.load_dicom_testfile("RG1_UNCR.dcm", "XR")
    min_std = 0.02 * (cr.array.max() - cr.array.min())
    for (r, c), tile in tiles(cr.array, 256, (0, 1280), min_std):
        add("training", f"rg1_r{r:04d}_c{c:04d}", "XR", tile, cr.spacing)
    half = _half(cr.array[:1280])
    for (r, c), tile in tiles(half, 256, (0, half.shape[0]), min_std):
        add("training", f"rg1_half_r{r:04d}_c{c:04d}", "XR", tile, tuple(2 * s for s in cr.spacing))
    for (r, c), tile in tiles(cr.array, 256, (1280, 1536), min_std)[::2]:
        add("validation", f"rg1_r{r:04d}_c{c:04d}", "XR", tile, cr.spacing)
    for (r, c), tile in tiles(cr.array, 256, (1536, cr.array.shape[0]), min_std):
        add("test", f"rg1_r{r:04d}_c{c:04d}", "XR", tile, cr.spacing)

    for i in range(num_phantoms):
        add("training", f"phantom{i:02d}", "CT", random_ellipse_phantom((256, 256), seed=i), (1, 1), (0.0, 1.0))

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

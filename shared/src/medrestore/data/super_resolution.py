"""Super-resolution sample data: high-resolution 2D slices of the allowed sources, with an
unseen-source split.

Command line: ``medrestore-data sr --output_dir data/sr``. The low-resolution inputs are made on the
fly by :class:`medrestore.transforms.DegradeResolutiond`, so one folder serves x2 and x4.

Splits (whole sources held out of training for ``unseen_source``):

* **training**: Colin27 (1 mm T1) axial z < 118 every 3rd slice, coronal and sagittal sections cut at
  z < 118; the J2K head CT (full and half resolution, bone and soft-tissue windows); ``RG1_UNCR``
  radiograph tiles above row 1280 (full and half resolution); seeded ellipse phantoms.
* **validation**: Colin27 axial z = 120 and 123, coronal y = 105 (z >= 126); ``RG1_UNCR`` rows 1280-1535.
* **test** (in distribution: the training sources, other regions): Colin27 axial z = 130, 140, 150,
  ``RG1_UNCR`` rows >= 1536.
* **unseen_source** (sources never seen in training): dipy ``t1_coronal_slice`` (another subject's T1),
  ``MR_small`` (T2 spin echo), dipy ``S0_10`` (T2-weighted EPI b0), pydicom ``CT_small`` (another
  patient and scanner).

Each item carries ``modality``, ``source`` and, for CT, an HU ``window``; validation and test
items carry a fixed ``noise_seed`` that fixes their degradation.
"""

from __future__ import annotations

from medrestore.data import sources
from medrestore.data.builder import CT_SOFT_TISSUE_WINDOW, CT_WINDOW, SplitWriter, _half, add_unseen_sources, tiles
from medrestore.data.phantoms import random_ellipse_phantom

__all__ = ["build_sr_data"]


def build_sr_data(output_dir: str = "data/sr", num_phantoms: int = 8, templates_dir: str | None = None) -> str:
    """Write the super-resolution sample data under ``output_dir``; returns the datalist path."""
    writer = SplitWriter(output_dir, parts=("training", "validation", "test", "unseen_source"))
    add = writer.add

    colin = sources.load_colin27(templates_dir).array  # (x, y, z), 1 mm isotropic
    for z in range(30, 118, 3):
        add("training", f"colin27_ax{z:03d}", "MR", colin[:, :, z], (1, 1), source="colin27")
    for y in range(40, 190, 10):
        add("training", f"colin27_cor{y:03d}", "MR", colin[:, y, :118], (1, 1), source="colin27")
    for x in range(40, 150, 10):
        add("training", f"colin27_sag{x:03d}", "MR", colin[x, :, :118], (1, 1), source="colin27")
    for z in (120, 123):
        add("validation", f"colin27_ax{z:03d}", "MR", colin[:, :, z], (1, 1), source="colin27")
    add("validation", "colin27_cor105", "MR", colin[:, 105, 126:], (1, 1), source="colin27")
    for z in (130, 140, 150):
        add("test", f"colin27_ax{z:03d}", "MR", colin[:, :, z], (1, 1), source="colin27")

    ct = sources.load_dicom_testfile("J2K_pixelrep_mismatch.dcm", "CT")
    add("training", "j2k_head", "CT", ct.array, ct.spacing, CT_WINDOW, source="j2k_head_ct")
    add("training", "j2k_head_soft", "CT", ct.array, ct.spacing, CT_SOFT_TISSUE_WINDOW, source="j2k_head_ct")
    add(
        "training",
        "j2k_head_half",
        "CT",
        _half(ct.array),
        tuple(2 * s for s in ct.spacing),
        CT_WINDOW,
        source="j2k_head_ct",
    )

    cr = sources.load_dicom_testfile("RG1_UNCR.dcm", "XR")
    min_std = 0.02 * (cr.array.max() - cr.array.min())
    for (r, c), tile in tiles(cr.array, 256, (0, 1280), min_std):
        add("training", f"rg1_r{r:04d}_c{c:04d}", "XR", tile, cr.spacing, source="rg1_uncr")
    half = _half(cr.array[:1280])
    for (r, c), tile in tiles(half, 256, (0, half.shape[0]), min_std):
        add("training", f"rg1_half_r{r:04d}_c{c:04d}", "XR", tile, tuple(2 * s for s in cr.spacing), source="rg1_uncr")
    for (r, c), tile in tiles(cr.array, 256, (1280, 1536), min_std)[::2]:
        add("validation", f"rg1_r{r:04d}_c{c:04d}", "XR", tile, cr.spacing, source="rg1_uncr")
    for (r, c), tile in tiles(cr.array, 256, (1536, cr.array.shape[0]), min_std):
        add("test", f"rg1_r{r:04d}_c{c:04d}", "XR", tile, cr.spacing, source="rg1_uncr")

    for i in range(num_phantoms):
        add(
            "training",
            f"phantom{i:02d}",
            "CT",
            random_ellipse_phantom((256, 256), seed=100 + i),
            (1, 1),
            (0.0, 1.0),
            source="phantom",
        )

    add_unseen_sources(add, s0_slices=(3, 5, 7))
    return writer.finish()

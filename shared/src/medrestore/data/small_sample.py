"""Small-sample denoising data: about 300 64 x 64 training images across CT, MR and X-ray.

Command line (``fire``)::

    medrestore-data small_sample --output_dir data/small_sample

Gondara (ICDMW 2016) trains a convolutional denoising autoencoder on ~300 images resized to
64 x 64 and reports that mixing modalities helps. This builder draws such a set from the allowed sources with the split of
:func:`medrestore.data.build_denoising_data` (whole sources held out as ``unseen_source``):

* **training** (300: 100 MR, 100 CT, 100 X-ray): Colin27 axial slices z < 118 and coronal
  slices cut at z < 118, dipy ``aniso_vox`` and nibabel ``example4d`` slices, each resized whole to
  64 x 64; the J2K head CT rows < 320 resized whole and as 256/128/64-pixel tiles (two HU windows)
  plus seeded ellipse phantoms; 256/128/64-pixel tiles of the ``RG1_UNCR`` radiograph's left part
  (columns < 1024) rows < 1024. Each modality is shuffled with a fixed seed and the list
  interleaved MR, CT, X-ray, so its first ``n`` items are a balanced, varied subset (the learning
  curve trains on the first 50, 100, 200 and 300).
* **validation**: Colin27 z 118-125, the J2K rows 320-383 (64-pixel tiles), radiograph left rows
  1024-1279, phantoms with other seeds.
* **test** (in distribution: the training sources, other regions): Colin27 z >= 126, the J2K rows
  >= 384 (128-pixel tiles, two windows), radiograph left rows >= 1280.
* **unseen_source** (sources never trained, validated or tuned on): dipy ``t1_coronal_slice``
  (whole and quadrants), ``MR_small``, dipy ``S0_10`` slices, ``CT_small`` (whole and 64-pixel
  tiles, two windows), the radiograph's right part (columns >= 1024).

Each item stores a 64 x 64 float32 NIfTI in native units and the intensity ``window`` of the image
it was cut from (so that a tile keeps the contrast of its slice), its ``modality`` and, outside
training, a fixed ``noise_seed``.
"""

from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F

from medrestore.data import sources
from medrestore.data.builder import (
    CT_SOFT_TISSUE_WINDOW,
    CT_WINDOW,
    RADIOGRAPH_SPLIT_COLUMN,
    tiles,
    write_datalist,
    write_slice,
)
from medrestore.data.phantoms import random_ellipse_phantom
from medrestore.transforms.intensity import window_bounds

__all__ = ["IMAGE_SIZE", "build_small_sample_data", "resize", "select_items"]

IMAGE_SIZE = 64
MODALITIES = ("MR", "CT", "XR")


def resize(arr: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Pad a 2D array to a square with its minimum (background), then resize to ``size`` x ``size``
    (bilinear with anti-aliasing, so downsampling averages instead of aliasing)."""
    h, w = arr.shape
    n = max(h, w)
    padded = np.full((n, n), arr.min(), dtype=np.float64)
    padded[(n - h) // 2 : (n - h) // 2 + h, (n - w) // 2 : (n - w) // 2 + w] = arr
    t = torch.from_numpy(padded)[None, None]
    return F.interpolate(t, size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0, 0].numpy()


def _tiles(arr: np.ndarray, tile: int, rows: tuple[int, int], min_std: float) -> list[tuple[str, np.ndarray]]:
    """The denoising builder's non-overlapping tiles (:func:`medrestore.data.builder.tiles`), resized
    to 64 and named ``t<tile>_r<row>_c<col>``."""
    return [(f"t{tile}_r{r:04d}_c{c:04d}", resize(t)) for (r, c), t in tiles(arr, tile, rows, min_std)]


def _spread(items: list, count: int) -> list:
    """``count`` items evenly spread over the list (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, count).round().astype(int)]


def select_items(items: list[dict], modalities=None, limit: int | None = None) -> list[dict]:
    """The first ``limit`` items whose ``modality`` is in ``modalities`` (all when None)."""
    if isinstance(modalities, str):
        modalities = [modalities]
    chosen = [it for it in items if modalities is None or it.get("modality") in modalities]
    return chosen if limit is None else chosen[: int(limit)]


def _mr_training(colin: np.ndarray) -> list[tuple[str, np.ndarray, tuple[float, float]]]:
    out = []
    for z in range(30, 118, 2):
        out.append((f"colin27_ax{z:03d}", resize(colin[:, :, z]), window_bounds(colin[:, :, z])))
    for y in range(30, 200, 6):
        sl = colin[:, y, :118]
        out.append((f"colin27_cor{y:03d}", resize(sl), window_bounds(sl)))
    for name in ("aniso_vox",):  # S0_10 is an unseen source
        vol = sources.load_dipy(name).array
        for z in range(vol.shape[2]):
            if vol[:, :, z].max() > 0:
                out.append((f"{name.lower()}_z{z:02d}", resize(vol[:, :, z]), window_bounds(vol[:, :, z])))
    epi = sources.load_nibabel_example4d().array
    for z in range(1, epi.shape[2] - 1):
        out.append((f"example4d_z{z:02d}", resize(epi[:, :, z]), window_bounds(epi[:, :, z])))
    return out


def build_small_sample_data(
    output_dir: str = "data/small_sample", num_training_per_modality: int = 100, templates_dir: str | None = None
) -> str:
    """Write the 64 x 64 small-sample data under ``output_dir`` and return the datalist path.

    Args:
        output_dir: destination folder (created; files of the same name are replaced).
        num_training_per_modality: training images per modality (MR, CT, X-ray). Defaults to 100.
        templates_dir: folder with mricron-data's ``ch2.nii.gz`` (see :func:`sources.find_colin27`).
    """
    n = int(num_training_per_modality)
    seed = iter(range(5000, 100000))
    colin = sources.load_colin27(templates_dir).array
    cr = sources.load_dicom_testfile("RG1_UNCR.dcm", "XR").array
    cr_window = window_bounds(cr)
    cr_min_std = 0.02 * (cr.max() - cr.min())
    ct = sources.load_dicom_testfile("J2K_pixelrep_mismatch.dcm", "CT").array
    ct_min_std = 20.0  # HU: skip tiles of pure air

    training: dict[str, list] = {
        "MR": _spread(_mr_training(colin), n),
        "CT": [],
        "XR": [],
    }
    ct_top = ct[:320]  # rows 320-383 validate, >= 384 test (the denoising builder's split)
    for window_name, window in (("wide", CT_WINDOW), ("soft", CT_SOFT_TISSUE_WINDOW)):
        training["CT"].append((f"j2k_head_{window_name}", resize(ct_top), window))
        for tile_size in (256, 128, 64):
            for name, tile in _tiles(ct_top, tile_size, (0, ct_top.shape[0]), ct_min_std):
                training["CT"].append((f"j2k_head_{window_name}_{name}", tile, window))
    num_phantoms = max(0, n - len(training["CT"]))
    training["CT"] = _spread(training["CT"], n - num_phantoms)
    training["CT"] += [
        (f"phantom{i:03d}", random_ellipse_phantom((64, 64), seed=i), (0.0, 1.0)) for i in range(num_phantoms)
    ]
    cr_left, cr_right = cr[:, :RADIOGRAPH_SPLIT_COLUMN], cr[:, RADIOGRAPH_SPLIT_COLUMN:]
    xr = [
        (f"rg1_{name}", t, cr_window) for s in (256, 128, 64) for name, t in _tiles(cr_left, s, (0, 1024), cr_min_std)
    ]
    training["XR"] = _spread(xr, n)

    validation = [
        (f"colin27_ax{z:03d}", "MR", resize(colin[:, :, z]), window_bounds(colin[:, :, z])) for z in range(118, 126)
    ]
    validation += [
        (f"j2k_head_{name}", "CT", t, CT_WINDOW) for name, t in _spread(_tiles(ct, 64, (320, 384), ct_min_std), 4)
    ]
    validation += [
        (f"rg1_{name}", "XR", t, cr_window) for name, t in _spread(_tiles(cr_left, 128, (1024, 1280), cr_min_std), 8)
    ]
    validation += [
        (f"phantom{i:03d}", "CT", random_ellipse_phantom((64, 64), seed=i), (0.0, 1.0)) for i in range(900, 906)
    ]

    test = [
        (f"colin27_ax{z:03d}", "MR", resize(colin[:, :, z]), window_bounds(colin[:, :, z])) for z in range(126, 172, 2)
    ]
    for window_name, window in (("wide", CT_WINDOW), ("soft", CT_SOFT_TISSUE_WINDOW)):
        test += [
            (f"j2k_head_{window_name}_{name}", "CT", t, window)
            for name, t in _tiles(ct, 128, (384, ct.shape[0]), ct_min_std)
        ]
    xr_test = [
        (f"rg1_{name}", t, cr_window)
        for s in (256, 128)
        for name, t in _tiles(cr_left, s, (1280, cr.shape[0]), cr_min_std)
    ]
    test += [(name, "XR", t, wnd) for name, t, wnd in _spread(xr_test, 20)]

    unseen = []
    t1 = sources.load_dipy("t1_coronal_slice").array
    t1_window = window_bounds(t1)
    unseen.append(("dipy_t1_coronal", "MR", resize(t1), t1_window))
    h, w = t1.shape
    quads = [t1[: h // 2, : w // 2], t1[: h // 2, w // 2 :], t1[h // 2 :, : w // 2], t1[h // 2 :, w // 2 :]]
    unseen += [(f"dipy_t1_coronal_q{i}", "MR", resize(q), t1_window) for i, q in enumerate(quads)]
    mr_small = sources.load_dicom_testfile("MR_small.dcm", "MR").array
    unseen.append(("mr_small", "MR", resize(mr_small), window_bounds(mr_small)))
    s0 = sources.load_dipy("S0_10").array
    unseen += [(f"s0_10_z{z:02d}", "MR", resize(s0[:, :, z]), window_bounds(s0[:, :, z])) for z in (3, 5, 7)]
    ct_small = sources.load_dicom_testfile("CT_small.dcm", "CT").array
    for window_name, window in (("wide", CT_WINDOW), ("soft", CT_SOFT_TISSUE_WINDOW)):
        unseen.append((f"ct_small_{window_name}", "CT", resize(ct_small), window))
        unseen += [
            (f"ct_small_{window_name}_{name}", "CT", t, window) for name, t in _tiles(ct_small, 64, (0, 128), 0.0)
        ]
    xr_unseen = [
        (f"rg1_{name}_right", t, cr_window)
        for s in (256, 128)
        for name, t in _tiles(cr_right, s, (0, cr.shape[0]), cr_min_std)
    ]
    unseen += [(name, "XR", t, wnd) for name, t, wnd in _spread(xr_unseen, 20)]

    split: dict[str, list[dict]] = {"training": [], "validation": [], "test": [], "unseen_source": []}

    def add(part: str, name: str, modality: str, arr: np.ndarray, window) -> None:
        rel = os.path.join(part, f"{modality.lower()}_{name}.nii.gz")
        write_slice(os.path.join(output_dir, rel), arr.astype(np.float32))
        item = {"image": rel, "modality": modality, "window": [float(window[0]), float(window[1])]}
        if part != "training":
            item["noise_seed"] = next(seed)
        split[part].append(item)

    order = np.random.default_rng(20261122)
    training = {m: [training[m][j] for j in order.permutation(len(training[m]))] for m in MODALITIES}
    for i in range(max(len(v) for v in training.values())):
        for modality in MODALITIES:  # interleaved: the first k items are balanced across modalities
            if i < len(training[modality]):
                add("training", *training[modality][i][:1], modality, *training[modality][i][1:])
    for part, items in (("validation", validation), ("test", test), ("unseen_source", unseen)):
        for name, modality, arr, window in items:
            add(part, name, modality, arr, window)

    path = os.path.join(output_dir, "datalist.json")
    write_datalist(path, split)
    counts = {part: {m: sum(it["modality"] == m for it in items) for m in MODALITIES} for part, items in split.items()}
    print(f"wrote {path}: {counts}")
    return path

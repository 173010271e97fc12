import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medrestore.data import build_denoising_data, dead_leaves, random_ellipse_phantom, shepp_logan


@pytest.fixture(scope="module")
def built(tmp_path_factory, colin27):
    out = tmp_path_factory.mktemp("denoising")
    return out, json.loads(Path(build_denoising_data(str(out), num_phantoms=2, num_dead_leaves=2)).read_text())


def test_split_is_disjoint_and_covers_every_modality(built):
    out, datalist = built
    names = {part: {item["image"] for item in items} for part, items in datalist.items()}
    assert not (names["training"] & names["test"]) and not (names["validation"] & names["test"])
    assert {item["modality"] for item in datalist["test"]} == {"CT", "MR", "XR"}
    assert {item["modality"] for item in datalist["training"]} == {"CT", "MR", "XR", "SYN"}  # SYN: dead leaves
    assert all("noise_seed" in item for item in datalist["validation"] + datalist["test"])
    assert len({item["noise_seed"] for item in datalist["validation"] + datalist["test"]}) == len(
        datalist["validation"]
    ) + len(datalist["test"])


def test_held_out_sources_are_not_in_training(built):
    _, datalist = built
    train = " ".join(item["image"] for item in datalist["training"])
    for held_out in ("dipy_t1_coronal", "ct_small", "mr_small", "s0_10", "colin27_ax130", "r1280", "r1536", "r0384"):
        assert held_out not in train


def test_unseen_source_split_holds_whole_sources_out(built):
    _, datalist = built
    sources = {part: {item["source"] for item in items} for part, items in datalist.items()}
    assert sources["unseen_source"] and not (sources["unseen_source"] & (sources["training"] | sources["validation"]))
    assert sources["test"] <= sources["training"]  # in distribution: the training sources, other regions
    assert {item["modality"] for item in datalist["unseen_source"]} == {"CT", "MR", "XR"}
    assert all("noise_seed" in item for item in datalist["unseen_source"])
    # the radiograph is held out by region: unseen tiles start at or right of the split column
    assert all(
        int(item["image"].split("_c")[-1][:4]) >= 1024 for item in datalist["unseen_source"] if item["modality"] == "XR"
    )
    assert all(
        int(item["image"].split("_c")[-1][:4]) < 1024
        for part in ("training", "test")
        for item in datalist[part]
        if item["source"] == "rg1_uncr_left" and "_half_" not in item["image"]
    )


def test_radiograph_regions_of_the_splits_do_not_overlap(built):
    """Full-resolution rows of the radiograph tiles (half-resolution tiles cover twice their rows)."""
    _, datalist = built

    def rows(item):
        r = int(item["image"].split("_r")[-1][:4])
        return set(range(2 * r, 2 * r + 512)) if "_half_" in item["image"] else set(range(r, r + 256))

    parts = {
        part: set().union(*(rows(it) for it in datalist[part] if it["source"] == "rg1_uncr_left"))
        for part in ("training", "validation", "test")
    }
    assert parts["training"] and parts["validation"] and parts["test"]
    assert not (parts["training"] & parts["validation"]) and not (parts["training"] & parts["test"])
    assert not (parts["validation"] & parts["test"])


def test_slices_are_float32_nifti_in_native_units(built):
    out, datalist = built
    ct = next(item for item in datalist["test"] if item["modality"] == "CT")
    img = nib.load(out / ct["image"])
    assert img.get_data_dtype() == np.float32 and img.get_fdata().min() < -500  # HU
    assert ct["window"][0] < ct["window"][1]


def test_dead_leaves_are_seeded_textured_and_in_range():
    a, b = dead_leaves((64, 64), seed=3), dead_leaves((64, 64), seed=3)
    assert np.array_equal(a, b) and not np.array_equal(a, dead_leaves((64, 64), seed=4))
    assert a.shape == (64, 64) and a.min() >= 0 and a.max() <= 1
    assert np.abs(np.diff(a, axis=1)).mean() > 0.01  # edges and texture, not a flat image


def test_phantoms_are_seeded():
    a, b = random_ellipse_phantom((32, 32), seed=1), random_ellipse_phantom((32, 32), seed=1)
    assert np.array_equal(a, b) and not np.array_equal(a, random_ellipse_phantom((32, 32), seed=2))
    sl = shepp_logan((64, 64))
    assert sl.min() >= 0 and sl.max() <= 1 and sl.std() > 0.1


def test_sr_data_holds_whole_sources_out_of_training(tmp_path, colin27):
    from medrestore.data.super_resolution import build_sr_data

    datalist = json.loads(Path(build_sr_data(str(tmp_path), num_phantoms=1)).read_text())
    sources = {part: {item["source"] for item in items} for part, items in datalist.items()}
    assert sources["unseen_source"] and not (sources["unseen_source"] & sources["training"])
    assert sources["test"] <= sources["training"]  # in distribution: the training sources, other regions
    assert {item["modality"] for item in datalist["unseen_source"]} == {"CT", "MR"}
    train = {item["image"] for item in datalist["training"]}
    assert not train & {item["image"] for part in ("validation", "test", "unseen_source") for item in datalist[part]}

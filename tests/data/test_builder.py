import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medrestore.data import build_denoising_data, random_ellipse_phantom, shepp_logan


@pytest.fixture(scope="module")
def built(tmp_path_factory, colin27):
    out = tmp_path_factory.mktemp("denoising")
    return out, json.loads(Path(build_denoising_data(str(out), num_phantoms=2)).read_text())


def test_split_is_disjoint_and_covers_every_modality(built):
    out, datalist = built
    names = {part: {item["image"] for item in items} for part, items in datalist.items()}
    assert not (names["training"] & names["test"]) and not (names["validation"] & names["test"])
    assert {item["modality"] for item in datalist["test"]} == {"CT", "MR", "XR"}
    assert {item["modality"] for item in datalist["training"]} == {"CT", "MR", "XR"}
    assert all("noise_seed" in item for item in datalist["validation"] + datalist["test"])
    assert len({item["noise_seed"] for item in datalist["validation"] + datalist["test"]}) == len(datalist["validation"]) + len(datalist["test"])


def test_held_out_sources_are_not_in_training(built):
    _, datalist = built
    train = " ".join(item["image"] for item in datalist["training"])
    for held_out in ("dipy_t1_coronal", "ct_small", "colin27_ax130", "r1536"):
        assert held_out not in train


def test_slices_are_float32_nifti_in_native_units(built):
    out, datalist = built
    ct = next(item for item in datalist["test"] if item["modality"] == "CT")
    img = nib.load(out / ct["image"])
    assert img.get_data_dtype() == np.float32 and img.get_fdata().min() < -500  # HU
    assert ct["window"][0] < ct["window"][1]


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

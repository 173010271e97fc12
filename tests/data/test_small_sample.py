import json
import re
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medrestore.data import build_small_sample_data, select_items
from medrestore.data.small_sample import resize


@pytest.fixture(scope="module")
def built(tmp_path_factory, colin27):
    out = tmp_path_factory.mktemp("small_sample")
    return out, json.loads(Path(build_small_sample_data(str(out))).read_text())


def test_about_300_balanced_64x64_training_images(built):
    out, datalist = built
    train = datalist["training"]
    assert len(train) == 300
    assert {m: sum(it["modality"] == m for it in train) for m in ("MR", "CT", "XR")} == {
        "MR": 100,
        "CT": 100,
        "XR": 100,
    }
    for part in datalist.values():
        for item in part[:: max(1, len(part) // 10)]:
            img = nib.load(out / item["image"])
            assert img.shape == (64, 64) and img.get_data_dtype() == np.float32
            assert item["window"][0] < item["window"][1]


def test_first_items_are_balanced_for_the_learning_curve(built):
    _, datalist = built
    for n in (50, 100, 200):
        counts = [
            sum(it["modality"] == m for it in select_items(datalist["training"], limit=n)) for m in ("MR", "CT", "XR")
        ]
        assert max(counts) - min(counts) <= 1
    assert all(it["modality"] == "MR" for it in select_items(datalist["training"], "MR"))


def test_split_is_disjoint_and_seeded(built):
    _, datalist = built
    names = {part: {it["image"].split("/", 1)[1] for it in items} for part, items in datalist.items()}
    assert not (names["training"] & names["test"]) and not (names["validation"] & names["test"])
    train = " ".join(names["training"])
    for held_out in ("dipy_t1_coronal", "ct_small", "colin27_ax126", "colin27_ax120"):
        assert held_out not in train
    seeds = [it["noise_seed"] for it in datalist["validation"] + datalist["test"] + datalist["unseen_source"]]
    assert len(set(seeds)) == len(seeds)
    assert {it["modality"] for it in datalist["test"]} == {"CT", "MR", "XR"}


def test_unseen_source_split_holds_whole_sources_out(built):
    _, datalist = built
    unseen = datalist["unseen_source"]
    assert {it["modality"] for it in unseen} == {"CT", "MR", "XR"}
    seen = " ".join(it["image"] for part in ("training", "validation", "test") for it in datalist[part])
    for source in ("dipy_t1_coronal", "mr_small", "s0_10", "ct_small"):
        assert any(source in it["image"] for it in unseen) and source not in seen
    # the radiograph is held out by region: tiles of its right part (columns >= 1024) are unseen only
    assert all(it["image"].endswith("_right.nii.gz") for it in unseen if it["modality"] == "XR")
    for part in ("training", "validation", "test"):
        for it in datalist[part]:
            if it["modality"] == "XR":
                size, col = re.search(r"_t(\d+)_r\d+_c(\d+)\.nii", it["image"]).groups()
                assert int(col) + int(size) <= 1024, it["image"]


def test_resize_pads_to_square_and_averages():
    arr = np.zeros((40, 80))
    arr[:, :40] = 1.0
    out = resize(arr, 8)
    assert out.shape == (8, 8)
    assert out[0].max() == pytest.approx(0.0, abs=1e-6)  # padding rows take the minimum
    assert out[4, 0] == pytest.approx(1.0, abs=1e-6) and out[4, 7] == pytest.approx(0.0, abs=1e-6)

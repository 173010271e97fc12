"""Contrast sample data: Colin27 tissue fractions and the task/model-name conventions."""

from __future__ import annotations

import numpy as np

from medrestore.data import TASKS, translation_model_name
from medrestore.data.contrast import colin27_tissue_fractions
from medrestore.physics.contrast import Acquisition, render


def test_model_file_names_of_every_direction():
    assert translation_model_name("T1", "T2") == "model.pt"
    assert [translation_model_name(*TASKS[t]) for t in ("t2_t1", "t1_pd")] == ["model_t2_t1.pt", "model_t1_pd.pt"]
    assert translation_model_name("PD", "T1") == "model_pd_t1.pt"


def test_colin27_fractions_partition_the_head_and_render_known_contrasts(colin27):
    fractions = colin27_tissue_fractions(colin27)
    total = sum(fractions.values())
    head = total > 0
    assert np.allclose(total[head], 1.0, atol=1e-4) and 0.2 < head.mean() < 0.8
    z = 90
    section = {name: f[:, :, z] for name, f in fractions.items()}
    t1 = render(section, Acquisition("T1", "spin_echo", 1.5, 550.0, 12.0), np.random.default_rng(0))
    t2 = render(section, Acquisition("T2", "spin_echo", 1.5, 4000.0, 100.0), np.random.default_rng(0))
    wm, csf = section["white_matter"] > 0.9, section["csf"] > 0.9
    assert wm.sum() > 500 and csf.sum() > 50
    assert t1[wm].mean() > 2 * t1[csf].mean() and t2[csf].mean() > 2 * t2[wm].mean()


def _tiny_head(shape=(24, 200, 160)) -> dict[str, np.ndarray]:
    """Tissue fractions of a small striped 'head' with Colin27's axes (x, y, z), fast to render."""
    from medrestore.physics.contrast import TISSUES

    x = np.arange(shape[0])[:, None, None] * np.ones(shape)
    labels = (x // 4).astype(int) % len(TISSUES)
    head = np.zeros(shape, bool)
    head[2:-2, 20:-20, :] = True
    return {name: ((labels == k) & head).astype(np.float32) for k, name in enumerate(TISSUES)}


def test_every_pair_has_a_domain_sample_of_its_target_contrast(tmp_path, monkeypatch):
    """The unpaired ceiling of the benchmark: another image of the target domain for the same slice and
    session (random acquisition, noisy), not the noise-free canonical label; seeded like the rest."""
    import json

    import nibabel as nib

    import medrestore.data.contrast as contrast

    monkeypatch.setattr(contrast, "colin27_tissue_fractions", lambda templates_dir=None: _tiny_head())
    disc = np.zeros((32, 32))
    disc[8:24, 8:24] = 1.0
    monkeypatch.setattr(contrast, "_phantominator_maps", lambda: [(0.8 * disc, 800.0 * disc, 80.0 * disc)])
    datalist = contrast.build_contrast_data(str(tmp_path / "a"), renders_per_slice=1)
    items = json.load(open(datalist))
    pairs = [i for part in ("validation", "test", "unseen_source", "training_pairs") for i in items[part]]
    assert pairs and all(i.get("domain_sample") for i in pairs)
    assert not any("domain_sample" in i for i in items["training"])
    for item in pairs[:6]:
        target = TASKS[item["task"]][1].lower()
        assert f"_{target}_domain_sample" in item["domain_sample"]
        label = nib.load(tmp_path / "a" / item["label"]).get_fdata()
        sample = nib.load(tmp_path / "a" / item["domain_sample"]).get_fdata()
        assert sample.shape == label.shape and not np.allclose(sample, label)
    again = contrast.build_contrast_data(str(tmp_path / "b"), renders_per_slice=1)
    assert json.load(open(again)) == items
    first = pairs[0]["domain_sample"]
    assert np.array_equal(nib.load(tmp_path / "a" / first).get_fdata(), nib.load(tmp_path / "b" / first).get_fdata())

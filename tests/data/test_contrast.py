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

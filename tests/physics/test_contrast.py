"""MR contrast simulation: the signal equations order the tissues as the contrasts are known to."""

from __future__ import annotations

import numpy as np
import pytest

from medrestore.physics.contrast import TISSUE_PARAMETERS, Acquisition, bias_field, render, sample_acquisition, signal


def _tissue_signal(acq):
    return {name: float(signal(pd, *times[acq.field_strength], acq)) for name, (pd, times) in TISSUE_PARAMETERS.items()}


@pytest.mark.parametrize("field", [1.5, 3.0])
def test_known_tissue_ordering(field):
    t1 = _tissue_signal(Acquisition("T1", "spin_echo", field, 550.0, 12.0))
    t2 = _tissue_signal(Acquisition("T2", "spin_echo", field, 4000.0, 100.0))
    pd = _tissue_signal(Acquisition("PD", "spin_echo", field, 3000.0, 12.0))
    gre = _tissue_signal(Acquisition("T1", "gradient_echo", field, 15.0, 3.0, 25.0))
    for t1w in (t1, gre):  # T1-weighted: fat > white matter > grey matter > CSF
        assert t1w["fat"] > t1w["white_matter"] > t1w["grey_matter"] > t1w["csf"]
    assert t2["csf"] > t2["grey_matter"] > t2["white_matter"]  # T2-weighted: CSF bright, WM darkest brain tissue
    assert pd["grey_matter"] > pd["white_matter"]  # PD-weighted: GM above WM, CSF intermediate at TR 3 s
    assert max(v["bone"] for v in (t1, t2, pd)) < 0.1


def test_sampled_acquisitions_stay_in_their_ranges():
    rng = np.random.default_rng(0)
    for contrast in ("T1", "T2", "PD"):
        for _ in range(20):
            acq = sample_acquisition(contrast, rng)
            assert acq.field_strength in (1.5, 3.0)
            if contrast == "T2":
                assert 2500 <= acq.tr <= 5000 and 80 <= acq.te <= 120
            if acq.sequence == "gradient_echo":
                assert acq.tr <= 25 and 15 <= acq.flip <= 35
    with pytest.raises(ValueError, match="contrast must be one of"):
        sample_acquisition("FLAIR", rng)


def test_render_partial_volume_bias_and_rician_noise():
    rng = np.random.default_rng(1)
    wm = np.zeros((32, 32))
    wm[8:24, 8:24] = 1.0
    fractions = {"white_matter": wm, "csf": 1.0 - wm}
    acq = Acquisition("T2", "spin_echo", 3.0, 4000.0, 100.0)
    clean = render(fractions, acq, rng)
    assert clean[0, 0] > clean[16, 16] > 0  # CSF brighter than WM in T2
    noisy = render(fractions, acq, rng, noise=0.05)
    assert noisy.min() >= 0 and abs(noisy - clean).mean() > 0.005  # magnitude (Rician) noise
    field = bias_field((32, 32), rng, amplitude=0.1)
    assert field.min() >= 0.9 - 1e-9 and field.max() <= 1.1 + 1e-9

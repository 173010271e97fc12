import numpy as np

from medrestore.benchmarks.cyclegan_translate import apply_intensity_lut, fit_intensity_lut


def test_intensity_map_recovers_a_non_monotonic_tissue_map_and_cannot_split_one_input_intensity():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=(32, 32))
    t1 = np.array([0.2, 0.5, 0.8])[labels]  # dark CSF, grey, bright white matter
    t2 = np.array([0.9, 0.5, 0.3])[labels]  # inverted: what histogram matching cannot do
    lut = fit_intensity_lut([(t1, t2)])
    np.testing.assert_allclose(apply_intensity_lut(lut, t1), t2, atol=1e-6)
    assert apply_intensity_lut(lut, t1).dtype == np.float32
    # two tissues with the same input intensity and different targets: the map returns their mean
    t2_split = np.where(rng.random((32, 32)) < 0.5, t2, t2 + 0.2)
    out = apply_intensity_lut(fit_intensity_lut([(t1, t2_split)]), t1)
    assert np.abs(out - t2_split).mean() > 0.05
    # bins no input reaches are interpolated, not left at zero
    assert np.all(fit_intensity_lut([(t1, t2)]) > 0.2)

import numpy as np
import torch

from medrestore.evaluation import dihedral_spread, high_frequency_ratio
from medrestore.physics.resolution import bicubic_downsample, bicubic_upsample
from medrestore.visualize import comparison_grid


def test_high_frequency_ratio_is_one_for_the_reference_and_low_for_interpolation():
    hr = np.random.default_rng(0).random((64, 64))
    assert high_frequency_ratio(hr, hr, 0.25) == 1.0
    up = bicubic_upsample(bicubic_downsample(torch.from_numpy(hr).float()[None], 2), 2)[0].numpy()
    assert high_frequency_ratio(up, hr, 0.25) < 0.3
    assert high_frequency_ratio(hr + 0.5 * np.random.default_rng(1).random((64, 64)), hr, 0.25) > 1.0


def test_dihedral_spread_is_zero_for_an_orientation_free_network_only():
    x = torch.rand(1, 1, 8, 8)
    assert float(dihedral_spread(lambda t: 2 * t, x).max()) < 1e-6
    shifted = dihedral_spread(lambda t: torch.roll(t, 1, dims=-1), x)  # depends on the orientation
    assert shifted.shape == x.shape and float(shifted.max()) > 0.01


def test_comparison_grid_leaves_maps_without_error_columns():
    row = {"in": np.zeros((4, 4)), "out": np.zeros((4, 4)), "ref": np.ones((4, 4)), "spread": np.zeros((4, 4))}
    assert comparison_grid([row], reference="ref").shape[1] == 6 * 4  # err out, err spread
    assert comparison_grid([row], reference="ref", no_error=("spread",)).shape[1] == 5 * 4

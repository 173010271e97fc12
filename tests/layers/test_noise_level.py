import pytest
import torch

from medrestore.layers import NoiseLevelMap, haar_mad_sigma


def test_haar_mad_sigma_per_image():
    torch.manual_seed(0)
    clean = torch.linspace(0, 1, 128).repeat(128, 1)[None]  # a smooth ramp: nothing in the diagonal band
    sigmas = torch.tensor([0.02, 0.1])
    noisy = clean + sigmas.view(2, 1, 1, 1) * torch.randn(2, 1, 128, 128)
    torch.testing.assert_close(haar_mad_sigma(noisy), sigmas, rtol=0.08, atol=0.0)
    assert haar_mad_sigma(clean[None]).item() < 1e-6
    with pytest.raises(ValueError, match="2 x 2"):
        haar_mad_sigma(torch.zeros(1, 1, 1, 8))


def test_noise_level_map_is_constant_per_image():
    x = torch.stack([torch.zeros(1, 16, 16), 0.1 * torch.randn(1, 16, 16)])
    level = NoiseLevelMap()(x, [4, 6])
    assert level.shape == (2, 1, 4, 6)
    assert level[0].abs().max() == 0 and torch.allclose(level[1], level[1, 0, 0, 0].expand(1, 4, 6))

import torch

from medrestore.data import shepp_logan
from medrestore.physics import fbp, radon


def test_radon_of_disc_is_constant_over_angles():
    h = 64
    y, x = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, h), indexing="ij")
    disc = ((x**2 + y**2) < 0.5**2).float()[None, None]
    sino = radon(disc, 36)
    totals = sino.sum(-1)  # each projection integrates the whole disc
    assert (totals.std() / totals.mean()) < 0.01
    torch.testing.assert_close(totals.mean(), disc.sum(), rtol=0.02, atol=0)


def test_fbp_reconstructs_phantom():
    img = torch.tensor(shepp_logan((96, 96)), dtype=torch.float32)[None, None]
    rec = fbp(radon(img, 180), (96, 96))
    assert rec.shape == img.shape
    assert (rec - img).pow(2).mean().sqrt() < 0.08

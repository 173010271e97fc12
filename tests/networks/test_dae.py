import pytest
import torch

from medrestore.networks import ConvDenoisingAutoencoder


def test_published_size_and_shape():
    net = ConvDenoisingAutoencoder()
    assert 0.10e6 < sum(p.numel() for p in net.parameters()) < 0.12e6
    y = net(torch.rand(2, 1, 64, 64))
    assert y.shape == (2, 1, 64, 64) and 0 < y.min() and y.max() < 1


def test_rejects_sizes_that_do_not_pool():
    with pytest.raises(ValueError, match="multiple of 4"):
        ConvDenoisingAutoencoder(features=8)(torch.rand(1, 1, 30, 32))


def test_scriptable():
    net = ConvDenoisingAutoencoder(features=8).eval()
    x = torch.rand(1, 1, 16, 20)
    torch.testing.assert_close(torch.jit.script(net)(x), net(x))


def test_reflect_padding_keeps_a_constant_image_constant():
    torch.manual_seed(0)
    y = ConvDenoisingAutoencoder(features=8).eval()(torch.full((1, 1, 64, 64), 0.3))
    assert (y.max() - y.min()).item() < 1e-6
    z = ConvDenoisingAutoencoder(features=8, padding_mode="zeros").eval()(torch.full((1, 1, 64, 64), 0.3))
    assert (z.max() - z.min()).item() > 1e-4  # the paper's zero padding darkens or brightens the border

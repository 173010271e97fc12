import torch

from medrestore.losses import MagnitudeMSELoss
from medrestore.networks import VarNet


def test_varnet_takes_modl_inputs_and_returns_magnitude():
    torch.manual_seed(0)
    net = VarNet(num_cascades=2, features=(4, 4, 8, 8, 8, 4))
    b, c, h, w = 2, 3, 32, 32
    maps = torch.randn(b, c, h, w, 2)
    kspace = torch.randn(b, c, h, w, 2)
    mask = (torch.rand(b, 1, h, w) > 0.5).float()
    out = net(torch.randn(b, 2, h, w), kspace=kspace, mask=mask, coil_maps=maps)
    assert out.shape == (b, 2, h, w) and (out[:, 0] >= 0).all() and (out[:, 1] == 0).all()
    loss = MagnitudeMSELoss()(out, torch.randn(b, 2, h, w))
    loss.backward()
    assert net.cascades[0].dc_weight.grad is not None


def test_magnitude_loss_ignores_phase():
    x = torch.randn(1, 2, 8, 8)
    rotated = torch.stack([-x[:, 1], x[:, 0]], dim=1)  # multiplied by i
    assert MagnitudeMSELoss()(rotated, x) < 1e-10

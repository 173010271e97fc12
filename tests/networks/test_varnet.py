import torch

from medrestore.losses import MagnitudeMSELoss
from medrestore.networks import VarNet


def test_varnet_takes_modl_inputs_and_returns_the_sense_combination():
    from medrestore.physics import MultiCoilMRI

    torch.manual_seed(0)
    net = VarNet(num_cascades=2, features=(4, 4, 8, 8, 8, 4))
    b, c, h, w = 2, 3, 32, 32
    maps = torch.randn(b, c, h, w, 2)
    kspace = torch.randn(b, c, h, w, 2)
    mask = (torch.rand(b, 1, h, w) > 0.5).float()
    kspace = kspace * mask[..., None]
    out = net(torch.randn(b, 2, h, w), kspace=kspace, mask=mask, coil_maps=maps)
    # untrained: zero-initialised refinements and data consistency leave k-space as measured, so the output
    # is the zero-filled SENSE combination S^H F^-1 y (not a root-sum-of-squares magnitude)
    zero_filled = MultiCoilMRI(mask, torch.view_as_complex(maps)).A_adjoint(torch.view_as_complex(kspace))
    assert out.shape == (b, 2, h, w)
    assert torch.allclose(torch.complex(out[:, 0], out[:, 1]), zero_filled, atol=1e-4)
    torch.nn.functional.mse_loss(out, torch.randn(b, 2, h, w)).backward()
    assert net.cascades[0].dc_weight.grad is not None
    assert net.cascades[0].model.unet.unet.final_conv.weight.grad.abs().sum() > 0


def test_magnitude_loss_ignores_phase():
    x = torch.randn(1, 2, 8, 8)
    rotated = torch.stack([-x[:, 1], x[:, 0]], dim=1)  # multiplied by i
    assert MagnitudeMSELoss()(rotated, x) < 1e-10

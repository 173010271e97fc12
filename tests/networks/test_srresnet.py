import pytest
import torch

from medrestore.networks import SRResNet


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_any_size_maps_to_scale_times_size_in_unit_range(scale):
    net = SRResNet(scale=scale, features=16, num_blocks=2).eval()
    out = net(torch.rand(2, 1, 13, 17))
    assert out.shape == (2, 1, 13 * scale, 17 * scale)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    scripted = torch.jit.script(net)
    x = torch.rand(1, 1, 9, 11)
    assert torch.allclose(scripted(x), net(x), atol=1e-6)


def test_published_size_and_batch_norm_flag():
    paper = SRResNet(scale=4, features=64, num_blocks=16, batch_norm=True)
    n = sum(p.numel() for p in paper.parameters())
    assert 1.5e6 < n < 1.6e6  # about 1.5 M parameters, as published (one input/output channel)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in paper.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in SRResNet().modules())


def test_untrained_network_starts_at_bicubic_without_checkerboard():
    torch.manual_seed(0)
    net = SRResNet(scale=2, features=16, num_blocks=2, clamp_output=False).eval()
    x = torch.rand(1, 1, 24, 24)
    detail = net(x) - torch.nn.functional.interpolate(x, scale_factor=2.0, mode="bicubic", align_corners=False)
    # ICNR + pad/pool: the learned detail has no period-2 pattern (the 4 sub-pixel phases agree)
    phases = torch.stack([detail[..., i::2, j::2] for i in range(2) for j in range(2)])
    assert float(phases.mean(dim=(1, 2, 3, 4)).std()) < 0.2 * float(detail.std()) + 1e-6


def test_training_mode_does_not_clamp():
    net = SRResNet(scale=2, features=8, num_blocks=1).train()
    with torch.no_grad():
        net.tail.bias.fill_(2.0)
    assert float(net(torch.rand(1, 1, 8, 8)).max()) > 1.0
    assert float(net.eval()(torch.rand(1, 1, 8, 8)).max()) <= 1.0


def test_invalid_scale():
    with pytest.raises(ValueError, match="scale"):
        SRResNet(scale=3)

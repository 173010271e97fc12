import pytest
import torch

from medrestore.transforms import DihedralSpreadd


class _Upsample(torch.nn.Module):
    """Nearest-neighbour x2 plus an optional learned conv: equivariant to flips and rotations unless
    the kernel is asymmetric."""

    def __init__(self, kernel=None) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 1, 3, padding=1, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.zeros(1, 1, 3, 3) if kernel is None else kernel)

    def forward(self, x):
        up = torch.nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
        return up + self.conv(up)


def test_spread_is_zero_for_an_orientation_blind_network_and_scaled_otherwise():
    image = torch.rand(1, 12, 10)
    flat = DihedralSpreadd("image", _Upsample(), gain=32.0)({"image": image})["spread"]
    assert flat.shape == (1, 24, 20) and float(flat.abs().max()) < 1e-5
    kernel = torch.zeros(1, 1, 3, 3)
    kernel[..., 0, 2] = 1.0  # looks up and right only: its output depends on the input's orientation
    net = _Upsample(kernel).train()
    one = DihedralSpreadd("image", net, gain=1.0)({"image": image})["spread"]
    many = DihedralSpreadd("image", net, gain=32.0)({"image": image})["spread"]
    assert float(one.mean()) > 0.01 and torch.allclose(many, 32 * one)
    assert net.training  # the network's mode is restored


def test_spread_refuses_a_volume():
    with pytest.raises(ValueError, match=r"2D image \(C, H, W\)"):
        DihedralSpreadd("image", _Upsample())({"image": torch.rand(1, 8, 8, 4)})

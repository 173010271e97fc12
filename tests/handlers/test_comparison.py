from types import SimpleNamespace

import numpy as np
import torch
from PIL import Image

from medrestore.handlers import ComparisonPNGSaver


def test_smaller_low_resolution_input_is_shown_at_the_output_size(tmp_path):
    saver = ComparisonPNGSaver(str(tmp_path / "cmp.png"), crop=32, names=("low resolution", "sr", "hr"))
    engine = SimpleNamespace(
        state=SimpleNamespace(
            output=[{"image": torch.rand(1, 16, 20), "pred": torch.rand(1, 32, 40), "label": torch.rand(1, 32, 40)}]
        )
    )
    saver.collect(engine)
    assert saver.rows[0]["low resolution"].shape == saver.rows[0]["sr"].shape == (32, 32)
    saver.write(engine)
    assert Image.open(tmp_path / "cmp.png").size[0] > 3 * 32


class _Upsample(torch.nn.Module):
    """Nearest-neighbour x2 plus a 3 x 3 conv: equivariant to flips and rotations unless the kernel is
    asymmetric."""

    def __init__(self, kernel=None) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 1, 3, padding=1, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.zeros(1, 1, 3, 3) if kernel is None else kernel)

    def forward(self, x):
        up = torch.nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
        return up + self.conv(up)


def _saver(tmp_path, network, gain=32.0, num_samples=4):
    return ComparisonPNGSaver(
        str(tmp_path / "cmp.png"),
        num_samples=num_samples,
        crop=16,
        names=("lr", "sr", "hr"),
        uncertainty_network=network,
        uncertainty_gain=gain,
    )


def _collect(saver, image):
    item = {"image": image, "pred": torch.rand(1, 24, 20), "label": torch.rand(1, 24, 20)}
    saver.collect(SimpleNamespace(state=SimpleNamespace(output=[item])))


def test_uncertainty_column_is_the_scaled_dihedral_spread_without_an_error_map(tmp_path):
    image = torch.rand(1, 12, 10)
    flat = _saver(tmp_path, _Upsample())
    _collect(flat, image)
    assert list(flat.rows[0]) == ["lr", "sr", "hr", "spread x32"]
    assert float(abs(flat.rows[0]["spread x32"]).max()) < 1e-5  # an orientation-blind network: no spread
    kernel = torch.zeros(1, 1, 3, 3)
    kernel[..., 0, 2] = 1.0  # looks up and right only: its output depends on the input's orientation
    net = _Upsample(kernel).train()
    one, many = _saver(tmp_path, net, gain=1.0), _saver(tmp_path, net, gain=32.0)
    _collect(one, image)
    _collect(many, image)
    assert float(one.rows[0]["spread x1"].mean()) > 0.01
    assert np.allclose(many.rows[0]["spread x32"], 32 * one.rows[0]["spread x1"], atol=1e-5)
    assert net.training  # the network's mode is restored
    many.write(None)
    # lr, sr, hr, spread, and one error map (sr): no error map of the spread against the reference
    assert Image.open(tmp_path / "cmp.png").size[0] == 5 * 16


def test_uncertainty_is_computed_for_the_shown_rows_only(tmp_path):
    net = _Upsample()
    calls = []
    net.register_forward_hook(lambda *args: calls.append(1))
    saver = _saver(tmp_path, net, num_samples=1)
    for _ in range(3):
        _collect(saver, torch.rand(1, 12, 10))
    assert len(saver.rows) == 1 and len(calls) == 8  # 8 flips/rotations of the one shown input

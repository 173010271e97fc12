"""Translation generators: any input size (odd ones included), output of the same size in [0, 1]."""

from __future__ import annotations

import pytest
import torch

from medrestore.networks import ResnetGenerator, UNetGenerator
from medrestore.networks.translation import _TiledGenerator


@pytest.mark.parametrize(
    "make",
    [
        lambda: ResnetGenerator(features=8, num_blocks=1),
        lambda: ResnetGenerator(features=8, num_blocks=1, upsample="transpose"),
        lambda: UNetGenerator(features=8, levels=4),
        lambda: ResnetGenerator(features=8, num_blocks=1, tile_size=16),
        lambda: UNetGenerator(features=8, levels=3, tile_size=24),
    ],
)
@pytest.mark.parametrize("shape", [(37, 53), (32, 32), (19, 7)])
def test_same_size_output_in_unit_range(make, shape):
    torch.manual_seed(0)
    net = make().eval()
    x = torch.rand(2, 1, *shape)
    y = net(x)
    assert y.shape == x.shape and 0 <= y.min() and y.max() <= 1


def test_unknown_upsampling_is_rejected():
    with pytest.raises(ValueError, match="upsample"):
        ResnetGenerator(upsample="pixel_shuffle")


def test_generators_script():
    for net in (ResnetGenerator(features=8, num_blocks=1, tile_size=16), UNetGenerator(features=8, levels=3)):
        scripted = torch.jit.script(net.eval())
        x = torch.rand(1, 1, 21, 18)
        torch.testing.assert_close(scripted(x), net(x))


class _Doubling(_TiledGenerator):
    """A pointwise 'network' (2x): tiled and whole-image outputs must agree exactly."""

    def __init__(self, tile_size: int) -> None:
        super().__init__()
        self.tile_size = tile_size
        self.calls: list[tuple[int, int]] = []

    def _whole(self, x):
        self.calls.append(tuple(x.shape[-2:]))
        return 2.0 * x


def test_tiles_blend_back_to_the_whole_image_and_pad_small_axes():
    x = torch.rand(2, 1, 181, 55)
    net = _Doubling(tile_size=64)
    torch.testing.assert_close(net(x), 2.0 * x)
    assert set(net.calls) == {(64, 64)}  # every tile is a training-size crop; the short axis was zero-padded
    assert len(net.calls) == 5  # rows 0, 32, 64, 96 and 117 (half-tile stride, the last flush with the edge)

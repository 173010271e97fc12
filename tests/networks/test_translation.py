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
        lambda: ResnetGenerator(features=8, num_blocks=1, norm="none"),
        lambda: UNetGenerator(features=8, levels=3, norm="none"),
        lambda: ResnetGenerator(features=8, num_blocks=1, norm="none", pixel_map=8),
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


def test_unknown_norm_is_rejected():
    for make in (ResnetGenerator, UNetGenerator):
        with pytest.raises(ValueError, match="norm"):
            make(norm="batch")


def test_without_norm_the_output_keeps_the_input_intensity_level():
    """Instance norm removes each crop's mean and scale, so a generator cannot tell a bright tissue from a
    dark one by its level alone; without it, scaling the input changes the output of the untrained net."""
    torch.manual_seed(0)
    x = torch.rand(1, 1, 32, 32)
    for norm, changes in (("instance", False), ("none", True)):
        net = ResnetGenerator(features=8, num_blocks=2, norm=norm).eval()
        with torch.no_grad():
            a, b = net(x), net(0.5 * x + 0.25)  # same pattern, another level and contrast
        assert (not torch.allclose(a, b, atol=1e-2)) == changes, norm


def test_without_norm_residual_blocks_start_as_the_identity():
    net = ResnetGenerator(features=8, num_blocks=3, norm="none")
    blocks = [m for m in net.modules() if type(m).__name__ == "_ResnetBlock"]
    assert len(blocks) == 3
    x = torch.rand(1, 32, 8, 8)
    for block in blocks:
        torch.testing.assert_close(block(x), x)


def test_pixel_map_generator_starts_as_a_pixel_wise_map_and_keeps_the_published_names():
    torch.manual_seed(0)
    net = ResnetGenerator(features=8, num_blocks=2, norm="none", pixel_map=8).eval()
    x = torch.full((1, 1, 40, 40), 0.2)
    x[..., 5:15, 20:35] = 0.7  # two intensities: an untrained pixel-map generator gives two output values
    with torch.no_grad():
        y = net(x)
    assert torch.unique(y.round(decimals=5)).numel() == 2
    assert not torch.equal(y[..., 0, 0], y[..., 10, 25])
    # the zero-initialised last layer of the convolutional (context) branch still receives a gradient
    net(torch.rand(1, 1, 24, 24)).mean().backward()
    assert net.model[-1].weight.grad.abs().sum() > 0
    plain = {k for k in ResnetGenerator(features=8, num_blocks=2, norm="none").state_dict()}
    assert plain == {k for k in net.state_dict() if not k.startswith("pixel.")}


def test_generators_script():
    for net in (
        ResnetGenerator(features=8, num_blocks=1, tile_size=16),
        UNetGenerator(features=8, levels=3),
        ResnetGenerator(features=8, num_blocks=1, norm="none"),
        ResnetGenerator(features=8, num_blocks=1, norm="none", pixel_map=4),
    ):
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

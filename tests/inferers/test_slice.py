import pytest
import torch

from medrestore.inferers import SliceOrImageInferer, dihedral_ensemble
from medrestore.networks import ConvDenoisingAutoencoder


@pytest.fixture
def dae():
    torch.manual_seed(0)
    return ConvDenoisingAutoencoder(features=8).eval()


def windows(**kwargs):
    return SliceOrImageInferer(roi_size=(64, 64), sw_batch_size=4, padding_mode="replicate", **kwargs)


@torch.no_grad()
def test_whole_image_by_default(dae):
    x = torch.rand(2, 1, 32, 48)
    torch.testing.assert_close(SliceOrImageInferer()(x, dae), dae(x))


@torch.no_grad()
@pytest.mark.parametrize("shape", [(1, 1, 200, 136), (1, 1, 40, 50)])
def test_constant_image_stays_constant_through_blended_windows(dae, shape):
    y = windows(overlap=0.5, mode="gaussian")(torch.full(shape, 0.6), dae)
    assert y.shape == shape
    assert (y.max() - y.min()).item() < 1e-5


@torch.no_grad()
def test_large_image_equals_its_tiled_crops(dae):
    x = torch.rand(1, 1, 128, 192)
    y = windows(overlap=0.0)(x, dae)
    tiled = torch.zeros_like(x)
    for r in range(0, 128, 64):
        for c in range(0, 192, 64):
            tiled[..., r : r + 64, c : c + 64] = dae(x[..., r : r + 64, c : c + 64])
    torch.testing.assert_close(y, tiled)


@torch.no_grad()
def test_gaussian_blending_leaves_no_seam(dae):
    """Across the border of two non-overlapping tiles the output jumps; blended windows do not."""
    torch.manual_seed(1)
    x = torch.nn.functional.avg_pool2d(torch.rand(1, 1, 132, 256), 5, stride=1, padding=0)[..., :128, :]  # smooth

    def jump(y):  # mean absolute step across column 64 vs the median step elsewhere
        d = (y[..., 1:] - y[..., :-1]).abs().mean(dim=(0, 1, 2))
        return (d[63] / d.median()).item()

    tiled, blended = windows(overlap=0.0)(x, dae), windows(overlap=0.75, mode="gaussian")(x, dae)
    assert jump(blended) < 2.0
    assert jump(blended) < jump(tiled)


@torch.no_grad()
def test_volume_slice_by_slice_with_windows(dae):
    x = torch.rand(1, 1, 80, 72, 3)
    y = windows(overlap=0.5, mode="gaussian", spatial_dim=2)(x, dae)
    assert y.shape == x.shape
    torch.testing.assert_close(y[..., 1], windows(overlap=0.5, mode="gaussian")(x[..., 1], dae))


def test_super_resolution_output_is_larger_whole_by_windows_and_slice_by_slice():
    from medrestore.networks import SRResNet

    net = SRResNet(scale=2, features=8, num_blocks=1).eval()
    image, volume = torch.rand(1, 1, 20, 24), torch.rand(1, 1, 20, 24, 3)
    with torch.no_grad():
        whole = SliceOrImageInferer()(image, net)
        windows = SliceOrImageInferer(roi_size=(16, 16), overlap=0.5, mode="gaussian")(image, net)
        slices = SliceOrImageInferer(spatial_dim=2)(volume, net)
        assert whole.shape == windows.shape == (1, 1, 40, 48) and slices.shape == (1, 1, 40, 48, 3)
        torch.testing.assert_close(slices[..., 1], net(volume[..., 1]), rtol=1e-4, atol=1e-5)
        assert float((windows - whole).abs().mean()) < 0.05  # windows blend to nearly the whole-image result


def test_self_ensemble_is_exact_for_equivariant_networks_and_averages_the_others():
    x = torch.rand(2, 1, 12, 17)
    blur = torch.nn.Conv2d(1, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        blur.weight.fill_(1 / 9)  # symmetric kernel: commutes with every rotation and flip
        torch.testing.assert_close(dihedral_ensemble(blur, x), blur(x))
        shift = lambda t: torch.roll(t, 1, dims=-1)  # noqa: E731  (not rotation-equivariant)
        mean_of_shifts = sum(torch.roll(x, s, dims=d) for s, d in ((1, -1), (-1, -1), (1, -2), (-1, -2))) / 4
        torch.testing.assert_close(dihedral_ensemble(shift, x), mean_of_shifts)
    inferer = SliceOrImageInferer(self_ensemble=True)
    with torch.no_grad():
        torch.testing.assert_close(inferer(x, shift), mean_of_shifts)
        volume = torch.rand(1, 1, 12, 17, 3)
        out = inferer(volume, shift)
        torch.testing.assert_close(out[..., 1], dihedral_ensemble(shift, volume[..., 1]))

import pytest
import torch

from medrestore.physics import resolution as R


def _psnr(a, b):
    return float(10 * torch.log10(1.0 / ((a - b) ** 2).mean()))


@pytest.fixture
def image():
    """Smooth 2D test image (a few Gaussian blobs) on [0, 1], 64 x 80."""
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(80.0), indexing="ij")
    img = torch.zeros(64, 80)
    for cy, cx, s in ((20, 25, 6.0), (40, 50, 9.0), (30, 65, 4.0)):
        img += torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    return img / img.max()


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("kind", R.DEGRADATIONS)
def test_degradations_shape_mean_and_alignment(image, scale, kind):
    lr = R.degrade(image, scale, kind)
    assert lr.shape == (64 // scale, 80 // scale)
    assert abs(float(lr.mean() - image.mean())) < 0.01  # intensity kept
    # every degradation samples the low-resolution pixel centres: it agrees with bicubic far better
    # than with bicubic moved by one low-resolution pixel
    ref = R.bicubic_downsample(image, scale)
    assert _psnr(lr[1:-1, 1:-1], ref[1:-1, 1:-1]) > _psnr(lr[2:, 1:-1], ref[1:-1, 1:-1]) + 6


def test_kspace_zero_fill_is_consistent_with_truncation(image):
    lr = R.kspace_truncate(image, 2)
    up = R.kspace_zero_fill(lr, 2)
    assert up.shape == image.shape
    assert _psnr(R.kspace_truncate(up, 2), lr) > 50


@pytest.mark.parametrize("scale", [2, 4])
def test_band_limited_oracle_is_the_closest_band_limited_image(scale):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 80, generator=g)  # white noise: most of its energy lies outside the band
    oracle = R.band_limited_oracle(x, scale)
    assert oracle.shape == x.shape
    # a projection: a band-limited image is returned unchanged
    assert torch.allclose(R.band_limited_oracle(oracle, scale), oracle, atol=1e-5)
    # closer to x than interpolation of any degradation, or than the oracle moved within the band
    err = float(((oracle - x) ** 2).mean())
    for kind in R.DEGRADATIONS:
        assert err < float(((R.bicubic_upsample(R.degrade(x, scale, kind), scale) - x) ** 2).mean())
    nudged = oracle + 0.05 * R.band_limited_oracle(torch.rand(64, 80, generator=g), scale)
    assert err < float(((nudged - x) ** 2).mean())
    # its error is the energy outside the band: about 1 - 1/scale^2 of the zero-mean noise's variance
    assert abs(err / float(x.var()) - (1 - 1 / scale**2)) < 0.05


@pytest.mark.parametrize("kind", ["bicubic", "kspace"])
def test_back_projection_makes_the_output_consistent(image, kind):
    lr = R.degrade(image, 2, kind)
    start = torch.zeros_like(image) + 0.5
    before = _psnr(R.degrade(start, 2, kind), lr)
    after = _psnr(R.degrade(R.back_project(start, lr, 2, kind, iterations=20), 2, kind), lr)
    assert after > before + 20 and after > 45


def test_slice_profile_degrades_one_axis_only(image):
    lr = R.slice_profile_downsample(image, 4, axis=-2)
    assert lr.shape == (16, 80)
    lr_w = R.slice_profile_downsample(image, 4, axis=-1)
    assert lr_w.shape == (64, 20)


def test_batched_and_too_small_inputs(image):
    batch = torch.stack([image, 1 - image])[:, None]  # (2, 1, H, W)
    out = R.degrade(batch, 2, "blur")
    assert out.shape == (2, 1, 32, 40)
    assert torch.allclose(out[0, 0], R.degrade(image, 2, "blur"), atol=1e-6)
    with pytest.raises(ValueError, match="smaller than the scale"):
        R.crop_to_multiple(torch.zeros(3, 3), 4)
    with pytest.raises(ValueError, match="unknown degradation"):
        R.degrade(image, 2, "nearest")


def test_thick_slice_geometry_finds_the_thick_axis_and_the_ratio():
    assert R.thick_slice_geometry([0.9, 0.9, 3.6]) == (2, 4)
    assert R.thick_slice_geometry([5.0, 1.0, 1.0]) == (0, 5)
    assert R.thick_slice_geometry([1.0, 1.0, 1.0], slice_axis=1, scale=2) == (1, 2)
    with pytest.raises(ValueError, match="not anisotropic along axis 2"):
        R.thick_slice_geometry([1.0, 1.0, 1.2])


def test_upsample_axis_changes_one_axis():
    x = torch.rand(2, 5, 7)
    assert R.upsample_axis(x, 3, axis=-2).shape == (2, 15, 7) and R.upsample_axis(x, 2, axis=-1).shape == (2, 5, 14)
    torch.testing.assert_close(R.upsample_axis(torch.full((1, 4, 4), 0.3), 4), torch.full((1, 16, 4), 0.3))

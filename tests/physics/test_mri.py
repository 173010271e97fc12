import pytest
import torch

from medrestore.physics import (
    MultiCoilMRI,
    channels_to_complex,
    complex_to_channels,
    fft2c,
    ifft2c,
    kspace_noise_std,
    normalize_coil_maps,
    poisson_disc_mask,
)


def _crandn(*shape, dtype=torch.complex128):
    return torch.randn(*shape, dtype=dtype)


def test_fft_is_orthonormal_centred_and_inverted():
    x = _crandn(2, 12, 10)
    k = fft2c(x)
    torch.testing.assert_close(k.abs().pow(2).sum(), x.abs().pow(2).sum())  # Parseval
    torch.testing.assert_close(ifft2c(k), x)
    const = torch.ones(1, 8, 6, dtype=torch.complex128)
    dc = fft2c(const)[0]
    assert dc.abs().argmax().item() == 4 * 6 + 3  # DC at (H // 2, W // 2)


def test_channels_round_trip():
    x = _crandn(3, 5, 4, dtype=torch.complex64)
    assert complex_to_channels(x).shape == (3, 2, 5, 4)
    torch.testing.assert_close(channels_to_complex(complex_to_channels(x)), x)
    with pytest.raises(ValueError):
        channels_to_complex(torch.zeros(1, 3, 4, 4))


@pytest.mark.parametrize("coils", [None, 4])
def test_adjointness(coils):
    torch.manual_seed(0)
    b, h, w = 2, 10, 8
    mask = (torch.rand(1, 1, h, w) > 0.5).double()
    maps = None if coils is None else normalize_coil_maps(_crandn(b, coils, h, w))
    op = MultiCoilMRI(mask, maps)
    x, y = _crandn(b, h, w), _crandn(b, coils or 1, h, w)
    lhs = (op.A(x).conj() * y).sum()
    rhs = (x.conj() * op.A_adjoint(y)).sum()
    torch.testing.assert_close(lhs, rhs)


@pytest.mark.parametrize("coils", [None, 3])
@pytest.mark.parametrize("size", [(10, 8), (7, 5)])
@pytest.mark.parametrize("line_mask", [False, True])
def test_normal_operator_equals_adjoint_of_forward(coils, size, line_mask):
    """A_adjoint_A works in the uncentred FFT layout: the same operator, even and odd sizes, 2D and line masks."""
    torch.manual_seed(1)
    b, (h, w) = 2, size
    mask = (torch.rand(b, 1, 1, w) > 0.5) if line_mask else (torch.rand(1, 1, h, w) > 0.5)
    maps = None if coils is None else normalize_coil_maps(_crandn(b, coils, h, w))
    op = MultiCoilMRI(mask.double(), maps)
    x = _crandn(b, h, w)
    torch.testing.assert_close(op.A_adjoint_A(x), op.A_adjoint(op.A(x)))


def test_coil_maps_sum_of_squares_is_one_inside_object():
    maps = _crandn(1, 6, 7, 7)
    maps[..., 0, :] = 0  # outside the object
    norm = normalize_coil_maps(maps)
    energy = norm.abs().pow(2).sum(1)
    torch.testing.assert_close(energy[:, 1:], torch.ones_like(energy[:, 1:]))
    assert energy[:, 0].abs().max() == 0


@pytest.mark.parametrize("std", [0.01, 0.05])
def test_kspace_noise_std_reads_the_noise_of_the_periphery(std):
    from medrestore.data.kspace import simulate_multicoil_kspace

    grid = torch.linspace(-1, 1, 128)
    smooth = torch.exp(-(grid[:, None] ** 2 + grid[None] ** 2) / 0.2)  # no signal left at the k-space corners
    mask = poisson_disc_mask((128, 128), 4, calibration=16, seed=0)
    noisy = simulate_multicoil_kspace(smooth, mask, num_coils=4, noise_std=std, seed=0)
    clean = simulate_multicoil_kspace(smooth, mask, num_coils=4, noise_std=0.0, seed=0)
    pad = torch.zeros_like(noisy["kspace"][:2])  # zero-padded coils (a batch of coil counts) are ignored
    kspace = torch.stack([torch.cat([noisy["kspace"], pad]), torch.cat([clean["kspace"], pad])])
    estimate = kspace_noise_std(kspace, mask)
    assert estimate.shape == (2,)
    assert abs(estimate[0].item() / std - 1) < 0.1
    assert estimate[1].item() < 0.05 * std  # noise-free: what is left of the image there
    assert kspace_noise_std(torch.zeros(1, 2, 16, 16, dtype=torch.complex64), mask[:16, :16]).item() == 0.0

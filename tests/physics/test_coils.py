import torch

from medrestore.data import shepp_logan
from medrestore.physics import MultiCoilMRI, birdcage_maps, calibration_maps, espirit_maps, fft2c


def test_birdcage_maps_are_normalised_and_distinct():
    maps = birdcage_maps(8, (32, 24))
    assert maps.shape == (8, 32, 24) and maps.dtype == torch.complex64
    torch.testing.assert_close(maps.abs().pow(2).sum(0), torch.ones(32, 24), rtol=1e-5, atol=1e-5)
    # each coil is most sensitive on its own side of the field of view
    peaks = {int(m.abs().flatten().argmax()) for m in maps}
    assert len(peaks) == 8


def test_calibration_estimate_recovers_smooth_maps_inside_the_object():
    img = torch.tensor(shepp_logan((64, 64)), dtype=torch.complex128)
    true = birdcage_maps(4, (64, 64), dtype=torch.complex128)[None]
    kspace = fft2c(true * img)
    est = calibration_maps(kspace, calib=24)
    inside = img.abs() > 0.1
    # maps are defined up to one common phase: compare after removing it
    phase = (est * true.conj()).sum(1, keepdim=True)
    phase = phase / phase.abs().clamp_min(1e-12)
    err = (est - true * phase).abs()[0][:, inside]
    assert err.mean() < 0.1
    # the estimate is usable for SENSE: A^H A of the object is close to the object itself
    op = MultiCoilMRI(torch.ones(1, 1, 64, 64, dtype=torch.float64), est)
    back = op.A_adjoint(kspace)
    assert ((back.abs() - img.abs()).abs()[0][inside]).mean() < 0.1


def test_espirit_recovers_the_maps_up_to_a_common_phase():
    img = torch.tensor(shepp_logan((64, 64)), dtype=torch.complex128)
    true = birdcage_maps(8, (64, 64), dtype=torch.complex128)[None]
    mask = torch.zeros(64, 64)
    mask[20:44, 20:44] = 1  # only the calibration centre is needed
    est = espirit_maps(fft2c(true * img) * mask, calib=24)
    assert est.shape == true.shape
    inside = img.abs() > 0.1
    # per-pixel correlation with the true (unit-norm) maps: 1 up to a phase common to all coils
    corr = (est * true.conj()).sum(1).abs()[0]
    assert corr[inside].min() > 0.99
    torch.testing.assert_close(est.abs().pow(2).sum(1)[0][inside], torch.ones(int(inside.sum()), dtype=torch.float64))
    assert torch.all(est[0, 0][inside].imag.abs() < 1e-6)  # coil 0 carries no phase
    assert est[0, :, :3, :3].abs().max() == 0  # no signal in the corners: cropped to zero


def test_calibration_maps_share_the_low_resolution_support():
    from medrestore.data import shepp_logan
    from medrestore.physics import low_resolution_support

    true = birdcage_maps(4, (64, 64))[None]
    kspace = MultiCoilMRI(torch.ones(1, 1, 64, 64), true).A(
        torch.from_numpy(shepp_logan((64, 64))).to(torch.complex64)[None]
    )
    support = low_resolution_support(kspace)
    assert support.shape == (1, 1, 64, 64) and 0.2 < support.float().mean() < 0.95
    energy = calibration_maps(kspace).abs().pow(2).sum(dim=1, keepdim=True)
    assert torch.equal(energy > 0, support)

import numpy as np
import pytest
import torch

from medrestore.data import shepp_logan
from medrestore.data.kspace import simulate_multicoil_kspace, smooth_phase
from medrestore.physics import MultiCoilMRI, cartesian_mask


@pytest.fixture
def image():
    return shepp_logan((48, 40)).astype(np.float32)


def test_fully_sampled_noise_free_kspace_inverts_to_the_target(image):
    sim = simulate_multicoil_kspace(image, torch.ones(48, 40), num_coils=4, seed=1)
    assert sim["kspace"].shape == (4, 48, 40) and sim["kspace"].is_complex()
    torch.testing.assert_close(sim["target"].abs(), torch.from_numpy(image), atol=1e-5, rtol=0)
    op = MultiCoilMRI(sim["mask"], sim["coil_maps"][None])
    # maps are normalised (sum |S|^2 = 1), so A^H A = I for a full mask
    torch.testing.assert_close(op.A_adjoint(sim["kspace"][None])[0], sim["target"], atol=1e-4, rtol=0)


def test_mask_noise_and_seed(image):
    mask = cartesian_mask((48, 40), 4, kind="equispaced")
    a = simulate_multicoil_kspace(image, mask, num_coils=2, noise_std=0.01, seed=5)
    b = simulate_multicoil_kspace(image, mask, num_coils=2, noise_std=0.01, seed=5)
    torch.testing.assert_close(a["kspace"], b["kspace"])
    assert (a["kspace"][:, mask == 0] == 0).all()
    clean = simulate_multicoil_kspace(image, mask, num_coils=2, noise_std=0.0, seed=5)["kspace"]
    noise = (a["kspace"] - clean)[:, mask == 1]
    assert noise.abs().pow(2).mean().sqrt().item() == pytest.approx(0.01, rel=0.1)
    assert not torch.equal(a["target"], simulate_multicoil_kspace(image, mask, num_coils=2, seed=6)["target"])


def test_single_coil_and_phase_range(image):
    sim = simulate_multicoil_kspace(image, torch.ones(48, 40), num_coils=1, seed=0)
    assert sim["kspace"].shape == (1, 48, 40) and torch.all(sim["coil_maps"] == 1)
    phase = smooth_phase((32, 32), np.random.default_rng(0), max_radians=1.0)
    assert phase.abs().max().item() == pytest.approx(1.0)
    assert (phase[1:] - phase[:-1]).abs().max() < 0.2  # smooth


def test_shape_mismatch_is_an_error(image):
    with pytest.raises(ValueError, match="same shape"):
        simulate_multicoil_kspace(image, torch.ones(40, 48))


def test_coil_map_kinds_share_the_kspace_and_follow_the_support_convention(image):
    from medrestore.physics import low_resolution_support

    mask = cartesian_mask((48, 40), 2, kind="equispaced")
    sims = {
        kind: simulate_multicoil_kspace(image, mask, num_coils=4, noise_std=0.005, seed=3, coil_maps=kind)
        for kind in ("support", "full", "calibration", "espirit")
    }
    for sim in sims.values():  # the maps handed over change, the measured data do not
        torch.testing.assert_close(sim["kspace"], sims["support"]["kspace"])
    full = simulate_multicoil_kspace(image, torch.ones(48, 40), num_coils=4, seed=3)["kspace"]
    support = low_resolution_support(full[None])[0, 0]
    energy = sims["support"]["coil_maps"].abs().pow(2).sum(0)
    assert (energy[~support] == 0).all() and torch.allclose(energy[support], torch.ones(()), atol=1e-5)
    assert (image[~support.numpy()] == 0).all()  # the support holds the whole object
    assert (sims["full"]["coil_maps"].abs().pow(2).sum(0) > 0).all()
    for kind in ("support", "full"):  # true maps: the reference is the object itself
        torch.testing.assert_close(sims[kind]["target"].abs(), torch.from_numpy(image), atol=1e-5, rtol=0)
    for kind in ("calibration", "espirit"):  # estimated maps: the object's magnitude, up to the estimate's error
        err = (sims[kind]["target"].abs() - torch.from_numpy(image)).abs()
        assert err[torch.from_numpy(image) > 0.1].mean() < 0.05
    with pytest.raises(ValueError, match="coil_maps 'prescan'"):
        simulate_multicoil_kspace(image, mask, coil_maps="prescan")

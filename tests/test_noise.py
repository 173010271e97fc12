import numpy as np
import pytest
import torch

from medrestore.data import shepp_logan
from medrestore.noise import (
    GONDARA_NOISE_GRID,
    AddGaussianNoised,
    AddPoissonGaussianNoised,
    AddRicianNoised,
    AddScaledNoised,
    EstimateNoiseSigmad,
    LowDoseCTNoised,
    Recorrupted2Recorruptedd,
    RicianBiasCorrectd,
    estimate_gaussian_sigma,
    estimate_rician_sigma,
    rician_bias_correct,
    rician_mean,
)


def _clean(value=0.5, shape=(1, 128, 128)):
    return torch.full(shape, value)


def test_gaussian_statistics():
    out = AddGaussianNoised("image", output_keys="noisy", sigma=0.1)({"image": _clean()})
    noise = out["noisy"] - out["image"]
    assert abs(noise.mean().item()) < 0.005
    assert noise.std().item() == pytest.approx(0.1, rel=0.03)


def test_seeded_items_are_identical_and_unseeded_are_fresh():
    t = AddGaussianNoised("image", output_keys="noisy", sigma=(0.0, 0.2))
    a = t({"image": _clean(), "noise_seed": 7})["noisy"]
    b = t({"image": _clean(), "noise_seed": 7})["noisy"]
    c = t({"image": _clean(), "noise_seed": 8})["noisy"]
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, c)
    t.set_random_state(0)
    d1 = t({"image": _clean()})["noisy"]
    d2 = t({"image": _clean()})["noisy"]
    assert not torch.equal(d1, d2)  # fresh noise every call in training
    t.set_random_state(0)
    torch.testing.assert_close(t({"image": _clean()})["noisy"], d1)  # and reproducible from a seed


def test_rician_is_positive_and_biased_in_background():
    out = AddRicianNoised("image", output_keys="noisy", sigma=0.1)({"image": _clean(0.0), "noise_seed": 1})["noisy"]
    assert (out >= 0).all()
    # the magnitude of pure complex Gaussian noise is Rayleigh: mean sigma * sqrt(pi / 2)
    assert out.mean().item() == pytest.approx(0.1 * np.sqrt(np.pi / 2), rel=0.03)


def test_poisson_gaussian_variance():
    peak, x = 200.0, 0.5
    out = AddPoissonGaussianNoised("image", output_keys="noisy", peak=peak, sigma=0.01)(
        {"image": _clean(x), "noise_seed": 3}
    )
    var = (out["noisy"] - x).var().item()
    assert var == pytest.approx(x / peak + 0.01**2, rel=0.08)


def test_low_dose_ct_noise_scales_with_inverse_square_root_of_dose():
    img = torch.tensor(shepp_logan((64, 64)), dtype=torch.float32)[None]
    errs = []
    for i0 in (1e4, 1e5):
        out = LowDoseCTNoised("image", output_keys="noisy", i0=i0, num_angles=90)({"image": img, "noise_seed": 0})
        errs.append((out["noisy"] - img).pow(2).mean().sqrt().item())
    # quantum noise: 10x the photons -> sqrt(10) less noise
    assert errs[0] / errs[1] == pytest.approx(10**0.5, rel=0.2)


@pytest.mark.parametrize(
    "transform",
    [
        AddGaussianNoised("image", sigma=0.1),
        AddRicianNoised("image", sigma=0.1),
        AddPoissonGaussianNoised("image", peak=100.0),
        LowDoseCTNoised("image", i0=1e4, num_angles=30),
    ],
    ids=lambda t: type(t).__name__,
)
def test_noise_keeps_the_input_type_and_metadata(transform):
    """A MetaTensor in, a MetaTensor with the same metadata out, so that a batch drawing different noise
    models per item (the training mixture) collates."""
    from monai.data import MetaTensor

    image = MetaTensor(torch.rand(1, 24, 24), meta={"filename_or_obj": "slice.nii.gz"})
    out = transform({"image": image, "noise_seed": 3})["image"]
    assert isinstance(out, MetaTensor) and out.meta["filename_or_obj"] == "slice.nii.gz"
    assert out.dtype == image.dtype and not torch.equal(out.as_tensor(), image.as_tensor())


def test_bad_ranges():
    with pytest.raises(ValueError):
        AddGaussianNoised("image", sigma=(0.2, 0.1))
    with pytest.raises(ValueError):
        AddPoissonGaussianNoised("image", peak=0.0)


@pytest.mark.parametrize("index, std", [(0, 0.1), (1, 0.5), (2, 0.4), (3, 1.0), (4, 0.2)])
def test_scaled_noise_grid_std_is_p_times_sigma(index, std):
    out = AddScaledNoised("image", output_keys="noisy", setting=index)({"image": _clean(), "noise_seed": 11})
    noise = out["noisy"] - out["image"]
    assert abs(noise.mean().item()) < 0.02 * max(std, 0.1)  # centred, also for Poisson
    assert noise.std().item() == pytest.approx(std, rel=0.03)
    kind, p, value = GONDARA_NOISE_GRID[index]
    assert out["noise_setting"].startswith(kind) and f"p={p:g}" in out["noise_setting"]


def test_scaled_noise_poisson_takes_integer_steps_of_p():
    out = AddScaledNoised("image", output_keys="noisy", setting=4)({"image": _clean(0.0), "noise_seed": 2})
    steps = out["noisy"] / 0.2 + 1.0  # = N ~ Poisson(1)
    torch.testing.assert_close(steps, steps.round(), atol=1e-4, rtol=0)
    assert steps.min().item() == pytest.approx(0.0, abs=1e-4)


def test_scaled_noise_draws_every_setting_and_is_seeded():
    t = AddScaledNoised("image", output_keys="noisy")
    names = {t({"image": _clean(), "noise_seed": s})["noise_setting"] for s in range(60)}
    assert len(names) == len(GONDARA_NOISE_GRID)
    a = t({"image": _clean(), "noise_seed": 5})
    b = t({"image": _clean(), "noise_seed": 5})
    torch.testing.assert_close(a["noisy"], b["noisy"])
    assert a["noise_setting"] == b["noise_setting"]


def test_scaled_noise_rejects_bad_settings():
    with pytest.raises(ValueError, match="setting must index"):
        AddScaledNoised("image", setting=5)
    with pytest.raises(ValueError, match="gaussian"):
        AddScaledNoised("image", settings=[("speckle", 0.1, 1.0)])


@pytest.mark.parametrize("sigma", [0.02, 0.05, 0.1, 0.2])
def test_noise_estimate_is_close_to_the_true_sigma_on_structured_images(sigma):
    clean = torch.as_tensor(shepp_logan((256, 256)), dtype=torch.float32)[None]
    noisy = clean + sigma * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    assert estimate_gaussian_sigma(noisy) == pytest.approx(sigma, rel=0.08)
    assert estimate_gaussian_sigma(clean) < 0.01  # edges leak little into the diagonal band
    assert EstimateNoiseSigmad("image")({"image": noisy})["noise_sigma"] == pytest.approx(sigma, rel=0.08)
    with pytest.raises(ValueError, match="at least 2 x 2"):
        estimate_gaussian_sigma(torch.zeros(1, 1, 5))


def test_recorrupted_pair_has_independent_noises_of_the_documented_levels():
    sigma, alpha = 0.1, 0.5
    clean = _clean(0.5, (1, 256, 256))
    noisy = clean + sigma * torch.randn(clean.shape, generator=torch.Generator().manual_seed(1))
    t = Recorrupted2Recorruptedd("image", target_key="label", alpha=alpha)
    t.set_random_state(0)
    out = t({"image": noisy, "noise_sigma": sigma})
    n_in, n_target = (out["image"] - clean).flatten(), (out["label"] - clean).flatten()
    assert n_in.std().item() == pytest.approx(sigma * (1 + alpha**2) ** 0.5, rel=0.03)
    assert n_target.std().item() == pytest.approx(sigma * (1 + alpha**-2) ** 0.5, rel=0.03)
    assert abs(torch.corrcoef(torch.stack([n_in, n_target]))[0, 1].item()) < 0.02  # independent
    with pytest.raises(KeyError, match="EstimateNoiseSigmad"):
        t({"image": noisy})
    fixed = Recorrupted2Recorruptedd("image", sigma=sigma)({"image": noisy, "noise_seed": 3})
    again = Recorrupted2Recorruptedd("image", sigma=sigma)({"image": noisy, "noise_seed": 3})
    torch.testing.assert_close(fixed["label"], again["label"])


def test_recorrupted_target_is_nan_outside_the_target_mask():
    noisy = torch.rand(1, 16, 16)
    mask = torch.zeros(1, 16, 16)
    mask[:, :8] = 1
    out = Recorrupted2Recorruptedd("image", sigma=0.1, target_mask_key="fit")({"image": noisy, "fit": mask})
    assert torch.isnan(out["label"][:, 8:]).all() and torch.isfinite(out["label"][:, :8]).all()
    assert torch.isfinite(out["image"]).all()  # the input is never masked


def test_rician_mean_matches_simulation_and_the_correction_inverts_it():
    rng = np.random.default_rng(0)
    for amplitude in (0.0, 0.5, 2.0, 8.0):
        samples = np.abs(amplitude + rng.standard_normal(400_000) + 1j * rng.standard_normal(400_000))
        assert rician_mean(amplitude, 1.0) == pytest.approx(samples.mean(), rel=0.005)
    sigma = 0.05
    amplitudes = np.array([0.0, 0.01, 0.05, 0.2, 0.9, 3.0])
    np.testing.assert_allclose(rician_bias_correct(rician_mean(amplitudes, sigma), sigma), amplitudes, atol=2e-4)
    assert rician_bias_correct(np.array([0.5 * sigma]), sigma)[0] == 0.0  # below the air floor (1.25 sigma)
    t = torch.full((1, 4, 4), 0.5)
    assert isinstance(rician_bias_correct(t, sigma), torch.Tensor)
    assert rician_bias_correct(t, 0.0) is t
    with pytest.raises(ValueError, match="sigma"):
        rician_bias_correct(t, -1.0)


def test_rician_sigma_is_estimated_from_the_air_and_corrected_in_a_transform():
    from monai.data import MetaTensor

    clean = torch.zeros(1, 128, 128)
    clean[:, 32:96, 32:96] = 0.6  # 75 % air
    g = torch.Generator().manual_seed(0)
    sigma = 0.05
    noisy = torch.sqrt(
        (clean + sigma * torch.randn(clean.shape, generator=g)) ** 2
        + (sigma * torch.randn(clean.shape, generator=g)) ** 2
    )
    assert estimate_rician_sigma(noisy) == pytest.approx(sigma, rel=0.05)
    assert estimate_gaussian_sigma(noisy) < 0.8 * sigma  # the additive-noise estimate reads air's narrower spread
    d = EstimateNoiseSigmad("image", noise="rician")({"image": noisy})
    assert d["noise_sigma"] == pytest.approx(sigma, rel=0.05)
    with pytest.raises(ValueError, match="rician"):
        EstimateNoiseSigmad("image", noise="poisson")
    floor = MetaTensor(torch.full((1, 8, 8), 1.2533 * sigma), affine=torch.eye(4) * 2)
    out = RicianBiasCorrectd("pred")({"pred": floor, "noise_sigma": torch.tensor(sigma)})["pred"]
    assert isinstance(out, MetaTensor) and torch.equal(out.affine, floor.affine)
    assert out.abs().max().item() < 0.01 * sigma  # the air floor goes to 0
    assert RicianBiasCorrectd("pred", enabled=False)({"pred": floor})["pred"] is floor
    with pytest.raises(KeyError, match="EstimateNoiseSigmad"):
        RicianBiasCorrectd("pred")({"pred": floor})

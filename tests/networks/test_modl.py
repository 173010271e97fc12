import numpy as np
import pytest
import torch

from medrestore.data import shepp_logan
from medrestore.data.kspace import simulate_multicoil_kspace
from medrestore.networks.modl import MoDL, ResidualDenoiser
from medrestore.physics import MultiCoilMRI, complex_to_channels, kspace_noise_std, poisson_disc_mask


def _batch(num_coils=4, seed=0):
    mask = poisson_disc_mask((32, 32), 3, calibration=8, seed=seed)
    sim = simulate_multicoil_kspace(shepp_logan((32, 32)), mask, num_coils=num_coils, noise_std=0.0, seed=seed)
    maps = None if num_coils == 1 else sim["coil_maps"][None]
    zero_filled = MultiCoilMRI(mask[None, None], maps).A_adjoint(sim["kspace"][None])
    return {
        "image": complex_to_channels(zero_filled),
        "kspace": torch.view_as_real(sim["kspace"][None]),
        "mask": mask[None, None],
        "coil_maps": None if maps is None else torch.view_as_real(maps),
    }, sim["target"]


@pytest.mark.parametrize("num_coils", [1, 4])
def test_shapes_and_gradients(num_coils):
    torch.manual_seed(0)
    net = MoDL(iterations=2, features=8, layers=3)
    inputs, target = _batch(num_coils)
    out = net(**inputs)
    assert out.shape == (1, 2, 32, 32)
    loss = (out - complex_to_channels(target[None])).pow(2).mean()
    loss.backward()
    assert net.dc.raw_lam.grad is not None and net.denoiser.noise[0].weight.grad.abs().sum() > 0


def _trainable(net):
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def test_iterations_share_one_denoiser_and_lambda():
    a, b = MoDL(iterations=1, features=8, layers=3), MoDL(iterations=4, features=8, layers=3)
    assert _trainable(a) == _trainable(b)
    b.load_state_dict(a.state_dict())  # K > 1 starts from the K = 1 weights
    assert b.lam_offsets is None and a.state_dict().keys() == b.state_dict().keys()  # files of any K alike


def test_modl_0_3_1_files_with_zero_lambda_offsets_load_as_shared_lambda():
    torch.manual_seed(0)
    net = MoDL(iterations=3, features=8, layers=3)
    legacy = {**net.state_dict(), "lam_offsets": torch.zeros(5)}  # 0.3.1 stored zero offsets in every file
    loaded = MoDL(iterations=3, features=8, layers=3)
    loaded.load_state_dict(legacy)
    inputs, _ = _batch(4)
    torch.testing.assert_close(loaded(**inputs), net(**inputs))
    with pytest.raises(RuntimeError, match="lambda_per_iteration"):  # trained offsets need the flag
        loaded.load_state_dict({**legacy, "lam_offsets": torch.tensor([0.0, 1.0, 0.0])})


def test_per_iteration_lambda_starts_at_the_shared_lambda_and_learns():
    torch.manual_seed(0)
    shared = MoDL(iterations=1, features=8, layers=3)
    per_iteration = MoDL(iterations=3, features=8, layers=3, lambda_per_iteration=True)
    assert _trainable(per_iteration) == _trainable(shared) + 3
    state = shared.state_dict()
    assert "lam_offsets" not in state
    per_iteration.load_state_dict(state)
    same_k = MoDL(iterations=3, features=8, layers=3)
    same_k.load_state_dict(state)
    inputs, target = _batch(4)
    torch.testing.assert_close(per_iteration(**inputs), same_k(**inputs))  # zero offsets: the same network
    loss = (per_iteration(**inputs) - complex_to_channels(target[None])).pow(2).mean()
    loss.backward()
    assert per_iteration.lam_offsets.grad is not None and per_iteration.lam_offsets.grad.abs().min() > 0
    with torch.no_grad():
        per_iteration.lam_offsets.copy_(torch.tensor([0.0, 2.0, -2.0]))
    scripted = torch.jit.script(per_iteration)
    torch.testing.assert_close(scripted(**inputs), per_iteration(**inputs))
    per_iteration.iterations = 5  # more unrolls than offsets (the benchmark's K-curve): the last one repeats
    assert per_iteration(**inputs).shape == (1, 2, 32, 32)
    with pytest.raises(RuntimeError, match="lam_offsets"):  # trained offsets of another K do not load silently
        MoDL(iterations=2, features=8, layers=3).load_state_dict(per_iteration.state_dict())


def test_cg_warm_start_loads_the_same_weights_scripts_and_converges_to_the_cold_solution():
    torch.manual_seed(0)
    cold = MoDL(iterations=2, features=8, layers=3, cg_iterations=60).double()
    warm = MoDL(iterations=2, features=8, layers=3, cg_iterations=60, cg_warm_start=True).double()
    warm.load_state_dict(cold.state_dict())  # the same parameters: a solver setting only
    inputs, _ = _batch(4)
    inputs = {k: None if v is None else v.double() for k, v in inputs.items()}
    warm.dc.tol = cold.dc.tol = 1e-24
    torch.testing.assert_close(warm(**inputs), cold(**inputs))  # converged: the same fixed point
    warm.dc.max_iter = cold.dc.max_iter = 3
    assert not torch.allclose(warm(**inputs), cold(**inputs))  # a few iterations: the start matters
    torch.testing.assert_close(torch.jit.script(warm)(**inputs), warm(**inputs))


def test_data_consistency_with_tiny_lambda_keeps_sampled_kspace():
    """With lambda -> 0 the output agrees with the measured k-space where it was sampled."""
    torch.manual_seed(0)
    net = MoDL(iterations=1, features=8, layers=3, lam=1e-4, cg_iterations=30)
    inputs, _ = _batch(num_coils=1)
    with torch.no_grad():
        out = net(**inputs)
    x = torch.complex(out[:, 0], out[:, 1])
    k = MultiCoilMRI(inputs["mask"]).A(x)
    measured = torch.view_as_complex(inputs["kspace"])
    assert ((k - measured).abs().max() / measured.abs().max()).item() < 1e-3


def test_residual_denoiser_with_zero_last_layer_is_identity():
    d = ResidualDenoiser(features=8, layers=3)
    torch.nn.init.zeros_(d.noise[-1].weight)
    torch.nn.init.zeros_(d.noise[-1].bias)
    x = torch.randn(2, 2, 16, 16)
    torch.testing.assert_close(d(x), x)
    with pytest.raises(ValueError, match="iterations"):
        MoDL(iterations=0)
    assert np.isfinite(d(x).detach().numpy()).all()


def test_reconstruction_is_exactly_zero_where_the_coil_maps_are_zero():
    torch.manual_seed(0)
    net = MoDL(iterations=3, features=8, layers=3).eval()
    inputs, _ = _batch(4)
    maps = torch.view_as_complex(inputs["coil_maps"].contiguous())
    support = torch.zeros(32, 32, dtype=torch.bool)
    support[6:26, 4:28] = True  # maps restricted to a support, as estimated maps are
    inputs["coil_maps"] = torch.view_as_real(maps * support)
    with torch.inference_mode():
        out = net(**inputs)
    assert out[..., ~support].abs().max() == 0
    assert out[..., support].abs().max() > 0


def test_bias_free_denoiser_maps_zero_to_zero_and_is_scale_equivariant():
    torch.manual_seed(0)
    biased, free = ResidualDenoiser(features=8, layers=3), ResidualDenoiser(features=8, layers=3, bias=False)
    zero, x = torch.zeros(1, 2, 16, 16), torch.randn(1, 2, 16, 16)
    with torch.no_grad():
        assert free(zero).abs().max() == 0 and biased(zero).abs().max() > 0
        torch.testing.assert_close(free(3.0 * x), 3.0 * free(x), rtol=1e-5, atol=1e-5)
    assert all(p.ndim > 1 for p in free.parameters())  # no bias vectors left


def test_noise_adaptive_lambda_follows_the_kspace_noise_loads_shared_files_and_scripts():
    torch.manual_seed(0)
    shared = MoDL(iterations=2, features=8, layers=3, cg_iterations=5)
    adaptive = MoDL(iterations=2, features=8, layers=3, cg_iterations=5, lambda_noise_adaptive=True)
    assert _trainable(adaptive) == _trainable(shared) + 1
    adaptive.load_state_dict(shared.state_dict())  # a shared-lambda file: the slope starts at 2
    assert adaptive.lam_noise_slope.item() == MoDL.NOISE_SLOPE_INIT
    inputs, target = _batch(4)
    offsets, estimates = [], []
    hook = adaptive.dc.register_forward_pre_hook(lambda module, args: offsets.append(args[3]))
    faint = {**inputs, "image": inputs["image"] * 0.01}  # the phantom's sharp edges fill the k-space corners
    for std in (0.01, 0.04):  # raw lambda + 2 log(clip(sigma / 0.01, 0.1, 10)), sigma estimated
        kspace = inputs["kspace"] * 0.01 + torch.randn_like(inputs["kspace"]) * std * inputs["mask"][..., None]
        adaptive(**{**faint, "kspace": kspace})
        estimates.append(kspace_noise_std(torch.view_as_complex(kspace), inputs["mask"]))
    assert offsets[0].shape == (1, 1, 1) and len(offsets) == 4  # one lambda per item, the same at every unroll
    for offset, estimate in zip(offsets[::2], estimates):
        torch.testing.assert_close(offset.flatten(), 2 * torch.log((estimate / MoDL.NOISE_REFERENCE).clamp(0.1, 10.0)))
    assert offsets[2].item() - offsets[0].item() > 2.0  # the noisier k-space gets the larger lambda
    hook.remove()
    with torch.no_grad():  # noise estimate at the reference level: the shared-lambda network itself
        adaptive.lam_noise_slope.zero_()
    torch.testing.assert_close(adaptive(**inputs), shared(**inputs))
    with torch.no_grad():
        adaptive.lam_noise_slope.fill_(1.5)
    loss = (adaptive(**inputs) - complex_to_channels(target[None])).pow(2).mean()
    loss.backward()
    assert adaptive.lam_noise_slope.grad.abs().item() > 0
    torch.testing.assert_close(torch.jit.script(adaptive)(**inputs), adaptive(**inputs))
    with pytest.raises(RuntimeError, match="lambda_noise_adaptive"):  # a trained slope needs the flag
        shared.load_state_dict(adaptive.state_dict())

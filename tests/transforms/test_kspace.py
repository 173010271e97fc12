import numpy as np
import pytest
import torch

from medrestore.data import random_ellipse_phantom
from medrestore.physics import MultiCoilMRI
from medrestore.transforms import ReconInputsd, ReconMagnituded, SimulateKSpaced, UndersampleKSpaced, sampling_mask

SHAPE = (64, 64)


def _item(seed=None):
    item = {"image": random_ellipse_phantom(SHAPE, seed=3)[None]}
    if seed is not None:
        item["seed"] = seed
    return item


def test_fixed_seed_simulates_identically_and_random_items_differ():
    sim = SimulateKSpaced(masks=[("poisson", 4.0), ("random", 4.0)], num_coils=4, noise_std=0.01)
    a, b = sim(_item(7)), sim(_item(7))
    assert torch.equal(a["kspace"], b["kspace"]) and torch.equal(a["mask"], b["mask"]) and a["sampling"] == "random 4x"
    sim.set_random_state(0)
    c, d = sim(_item()), sim(_item())
    assert not torch.equal(c["kspace"], d["kspace"])
    assert c["kspace"].shape == (4, *SHAPE) and c["coil_maps"].shape == (4, *SHAPE) and c["target"].shape == SHAPE


def test_masks_are_seeded_and_cached():
    a = sampling_mask("poisson", SHAPE, 4.0, 1)
    assert sampling_mask("poisson", SHAPE, 4.0, 1) is a
    assert not torch.equal(a, sampling_mask("poisson", SHAPE, 4.0, 2))
    assert abs(a.numel() / a.sum().item() - 4.0) < 0.25
    line = sampling_mask("equispaced", SHAPE, 4.0, 0)
    assert (line == line[:1]).all()  # 1D: whole columns


def test_network_inputs_are_scale_free_and_consistent():
    d = SimulateKSpaced(masks=[("poisson", 4.0)], num_coils=4)(_item(1))
    scaled = {**d, "kspace": d["kspace"] * 1000, "target": d["target"] * 1000}
    a, b = ReconInputsd()(d), ReconInputsd()(scaled)
    for key in ("image", "kspace", "label"):
        torch.testing.assert_close(torch.as_tensor(a[key]), torch.as_tensor(b[key]), rtol=1e-4, atol=1e-5)
    assert float(b["scale"]) == pytest.approx(1000 * float(a["scale"]), rel=1e-4)
    # image is A^H y of the network's kspace/mask/maps
    op = MultiCoilMRI(a["mask"][None], torch.view_as_complex(a["coil_maps"])[None])
    zero_filled = op.A_adjoint(torch.view_as_complex(a["kspace"])[None])[0]
    torch.testing.assert_close(
        torch.as_tensor(a["image"]).as_subclass(torch.Tensor), torch.stack([zero_filled.real, zero_filled.imag])
    )
    assert np.percentile(zero_filled.abs().numpy(), 99.5) == pytest.approx(1.0, rel=1e-3)


def test_magnitude_back_in_input_units_and_fastmri_normalisation():
    pred = torch.zeros(2, 4, 4)
    pred[0], pred[1] = 3.0, 4.0
    label = torch.zeros(2, 4, 4)
    label[0, 0, 0] = 10.0
    d = ReconMagnituded(keys="pred", scale_key="scale")({"pred": pred, "scale": torch.tensor(2.0)})
    assert d["pred"].shape == (1, 4, 4) and torch.allclose(d["pred"], torch.full((1, 4, 4), 10.0))
    d = ReconMagnituded(keys=["pred", "label"], reference_key="label")({"pred": pred, "label": label})
    assert d["label"].max() == 1.0 and torch.allclose(d["pred"], torch.full((1, 4, 4), 0.5))


def _fully_sampled(seed=3):
    """A LoadKSpaced-like item: fully sampled noise-free 4-coil k-space, its maps and the true image."""
    from medrestore.data.kspace import simulate_multicoil_kspace

    phantom = torch.as_tensor(random_ellipse_phantom(SHAPE, seed=seed), dtype=torch.float32)
    sim = simulate_multicoil_kspace(phantom, torch.ones(SHAPE), num_coils=4, noise_std=0.0, seed=seed)
    return {"kspace": sim["kspace"], "mask": sim["mask"], "coil_maps": sim["coil_maps"], "source": "a.h5"}, sim


def test_retrospective_undersampling_keeps_the_full_image_as_reference():
    item, sim = _fully_sampled()
    out = UndersampleKSpaced(masks=[("poisson", 4.0), ("random", 4.0)])({**item, "seed": 8})
    mask = sampling_mask("poisson", SHAPE, 4.0, 8)
    assert out["sampling"] == "poisson 4x" and torch.equal(out["mask"], mask)
    assert torch.equal(out["kspace"], sim["kspace"] * mask)
    support = sim["coil_maps"].abs().pow(2).sum(0) > 0.5  # where the maps are normalised
    assert torch.allclose(out["target"][support], sim["target"][support], atol=1e-5)
    again = UndersampleKSpaced(masks=[("poisson", 4.0), ("random", 4.0)])({**item, "seed": 8})
    assert torch.equal(again["kspace"], out["kspace"])
    assert torch.equal(item["kspace"], sim["kspace"])  # the input item is not modified


def test_retrospective_undersampling_rejects_undersampled_files():
    item, _ = _fully_sampled()
    item["mask"] = sampling_mask("poisson", SHAPE, 4.0, 0)
    with pytest.raises(ValueError, match=r"a\.h5: only 2\d% of k-space is sampled.*fully sampled"):
        UndersampleKSpaced()(item)


def test_load_kspace_names_its_coil_map_estimators():
    from medrestore.transforms import LoadKSpaced

    assert LoadKSpaced(coil_map_method="espirit").estimate_maps.__name__ == "espirit_maps"
    with pytest.raises(ValueError, match="coil_map_method 'sense'.*calibration.*espirit"):
        LoadKSpaced(coil_map_method="sense")


def test_mixed_acquisitions_are_seeded_and_padded_to_one_coil_count():
    sim = SimulateKSpaced(
        masks=[("poisson", 4.0)],
        num_coils=[1, 4, 8],
        noise_std=[0.002, 0.02],
        coil_maps=["support", "full", "calibration"],
        pad_coils=8,
    )
    seen = set()
    for seed in range(12):
        a, b = sim(_item(seed)), sim(_item(seed))
        assert torch.equal(a["kspace"], b["kspace"]) and a["acquisition"] == b["acquisition"]
        assert a["kspace"].shape == (8, *SHAPE) and a["coil_maps"].shape == (8, *SHAPE)
        coils = int(a["acquisition"].split(" ")[0])
        assert (a["kspace"][coils:] == 0).all() and (a["coil_maps"][coils:] == 0).all()
        seen.add(a["acquisition"])
        # zero coils change neither A^H y nor A^H A: the padded item reconstructs like the unpadded one
        unpadded = {k: a[k][:coils] for k in ("kspace", "coil_maps")}
        op, op1 = (
            MultiCoilMRI(a["mask"][None, None], a["coil_maps"][None]),
            MultiCoilMRI(a["mask"][None, None], unpadded["coil_maps"][None]),
        )
        torch.testing.assert_close(op.A_adjoint(a["kspace"][None]), op1.A_adjoint(unpadded["kspace"][None]))
    assert len(seen) >= 4
    with pytest.raises(ValueError, match="pad_coils"):
        SimulateKSpaced(num_coils=[4, 16], pad_coils=8)
    with pytest.raises(ValueError, match="noise_std"):
        SimulateKSpaced(noise_std=[0.02, 0.01])

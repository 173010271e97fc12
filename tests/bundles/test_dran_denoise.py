"""dran_denoise through ``python -m monai.bundle``: the shared denoising-bundle tests
(:mod:`tests.bundles.restoration_suite`) with DRAN's tiny network."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from medrestore.data import random_ellipse_phantom
from medrestore.networks import DRAN
from tests.bundles.restoration_suite import *  # noqa: F403 (the shared bundle tests)
from tests.bundles.restoration_suite import BundleSpec
from tests.conftest import bundle_command, bundle_fails, run_bundle, save_nifti

DRAN_SPEC = BundleSpec(
    name="dran_denoise",
    tiny_net=("--network_def#channels", "8", "--network_def#num_blocks", "1", "--network_def#layers_per_block", "2"),
    tiny_network=lambda: DRAN(channels=8, num_blocks=1, layers_per_block=2, downscale=2),
    other_network=lambda: DRAN(channels=16, num_blocks=2, layers_per_block=1),
    key_metric="val_psnr",
    tracked_params=(
        "channels",
        "num_blocks",
        "layers_per_block",
        "num_kernels",
        "noise_sigma",
        "patch_size",
        "loss_name",
    ),
    verify_shape_args=("--any", "19"),
    image_shape=(37, 53),
    experiment_name="DRAN denoising (CT, MR, X-ray)",
)


@pytest.fixture(scope="module")
def spec() -> BundleSpec:
    return DRAN_SPEC


# ---- self-supervised adaptation (configs/adapt.json)


def _noisy_scans(folder):
    """A noisy 2D slice and a noisy 3D volume (scanner-like units), as a user's own scans."""
    rng = np.random.default_rng(0)
    slice_ = random_ellipse_phantom((48, 40), seed=1) * 1000 + 50 * rng.standard_normal((48, 40))
    volume = np.stack([random_ellipse_phantom((40, 44), seed=s) for s in range(4)], axis=-1) * 1000
    save_nifti(folder / "slice.nii.gz", slice_.astype("float32"))
    save_nifti(folder / "volume.nii.gz", (volume + 50 * rng.standard_normal(volume.shape)).astype("float32"))
    return folder


def _adapt_args(dataset, out, extra=()):
    return bundle_command(
        "run",
        *extra,
        config_file=DRAN_SPEC.overlay("adapt.json"),
        bundle_root=DRAN_SPEC.bundle,
        dataset_dir=dataset,
        output_dir=out,
        time_budget_seconds=2,
        patches_per_image=2,
        validation_interval=2,
    )


def test_adapt_fine_tunes_the_shipped_weights_on_noisy_scans_only(tmp_path):
    shipped = DRAN_SPEC.bundle / "models" / "model.pt"
    before = shipped.read_bytes()
    out = tmp_path / "adapted"
    proc = run_bundle(_adapt_args(_noisy_scans(tmp_path / "scans"), out), cwd=tmp_path)
    log = proc.stdout + proc.stderr
    assert "time budget of 2 s spent" in log  # bounded by the budget, not by epochs
    assert log.count("held-out loss") >= 2  # validated on the held-out blocks at the start and while fitting
    final = torch.load(out / "models" / "model_final.pt", map_location="cpu")
    kept = torch.load(out / "models" / "model.pt", map_location="cpu")
    original = torch.load(shipped, map_location="cpu")
    assert final.keys() == kept.keys() == original.keys()
    assert any(not torch.equal(final[k], original[k]) for k in original)  # fine-tuned from the shipped weights
    assert max((final[k] - original[k]).abs().max().item() for k in original) < 0.1  # ... not retrained
    assert shipped.read_bytes() == before  # never over the shipped weights


def test_adapt_keeps_the_shipped_weights_when_fitting_makes_the_held_out_blocks_worse(tmp_path):
    out = tmp_path / "adapted"
    args = _adapt_args(_noisy_scans(tmp_path / "scans"), out, extra=("--learning_rate", "1.0"))
    proc = run_bundle(args, cwd=tmp_path)
    assert "not kept" in proc.stdout + proc.stderr
    final = torch.load(out / "models" / "model_final.pt", map_location="cpu")
    kept = torch.load(out / "models" / "model.pt", map_location="cpu")
    original = torch.load(DRAN_SPEC.bundle / "models" / "model.pt", map_location="cpu")
    assert any((final[k] - original[k]).abs().max().item() > 0.1 for k in original)  # a step of 1.0 wrecks it
    assert all(torch.equal(kept[k], original[k]) for k in original)  # model.pt: the best held-out loss, at start


def test_adapt_without_a_folder_of_scans_says_what_to_pass(tmp_path):
    args = bundle_command(
        "run", config_file=DRAN_SPEC.overlay("adapt.json"), bundle_root=DRAN_SPEC.bundle, output_dir=tmp_path / "out"
    )
    bundle_fails(args, tmp_path, "no dataset_dir given; pass --dataset_dir")


# ---- Rician bias correction (inference.json --rician_correction true)


def test_rician_correction_removes_the_noise_floor_in_air_and_keeps_tissue(tmp_path):
    import nibabel as nib

    rng = np.random.default_rng(0)
    clean = random_ellipse_phantom((96, 96), seed=3) * 1000
    air = clean == 0
    sigma = 60.0  # scanner units
    noisy = np.abs(clean + sigma * rng.standard_normal(clean.shape) + 1j * sigma * rng.standard_normal(clean.shape))
    save_nifti(tmp_path / "scans" / "mr.nii.gz", noisy.astype("float32"))

    def restored(out, *extra):
        args = bundle_command(
            "run",
            *extra,
            config_file=DRAN_SPEC.infer,
            bundle_root=DRAN_SPEC.bundle,
            dataset_dir=tmp_path / "scans",
            output_dir=out,
        )
        run_bundle(args, cwd=tmp_path)
        return np.asarray(nib.load(next(out.rglob("*.nii.gz"))).dataobj)

    plain = restored(tmp_path / "plain")
    corrected = restored(tmp_path / "corrected", "--rician_correction", "true")
    assert plain[air].mean() > 0.8 * sigma  # the denoiser alone keeps the Rician floor (1.25 sigma in air)
    assert corrected[air].mean() < 0.35 * plain[air].mean()
    tissue = clean > 500
    assert abs(corrected[tissue].mean() - clean[tissue].mean()) < 0.03 * clean[tissue].mean()
    assert np.abs(corrected[air]).mean() < np.abs(plain[air]).mean()


# ---- fine-tuning and the noise-level input (train.json --init_checkpoint, --noise_level_input true)


def test_fine_tune_blind_weights_with_the_noise_level_input(trained, tiny_dataset, tmp_path):
    """A blind checkpoint starts a noise-level-input run (zero weights on the new head channel, the
    trained attention temperature kept); inference loads the result with the same flag."""
    from tests.bundles.restoration_suite import infer_args, train_args

    blind = trained / "models" / "model.pt"
    out = tmp_path / "informed"
    flags = ["--noise_level_input", "true"]
    run_bundle(train_args(DRAN_SPEC, tiny_dataset, out, extra=[*flags, "--init_checkpoint", str(blind)]), cwd=tmp_path)
    informed = torch.load(out / "models" / "model.pt", map_location="cpu")
    start = torch.load(blind, map_location="cpu")
    assert informed["head.0.weight"].shape[1] == start["head.0.weight"].shape[1] + 1
    assert informed["head.0.weight"][:, -1].abs().max() < 0.05  # started at zero, one epoch of small steps
    assert torch.allclose(informed["head.0.weight"][:, :-1], start["head.0.weight"], atol=0.05)  # fine-tuned
    temperatures = {k: v for k, v in informed.items() if k.endswith("temperature")}
    assert temperatures and all(torch.equal(v, start[k]) for k, v in temperatures.items())  # not re-annealed
    run_bundle(
        infer_args(DRAN_SPEC, out / "models" / "model.pt", tiny_dataset, tmp_path / "pred", extra=flags), cwd=tmp_path
    )
    assert any((tmp_path / "pred").rglob("*.nii.gz"))


# ---- training on each modality's own noise (configs/train_noise_mixture.json)


def test_noise_mixture_overlay_draws_every_noise_model_and_trains(tiny_dataset, tmp_path):
    """The overlay replaces the Gaussian training noise by a seeded draw among Gaussian, Rician (MR),
    Poisson-Gaussian (X-ray) and low-dose FBP (CT) noise; a run with it trains and saves weights."""
    from monai.bundle import ConfigParser

    from tests.bundles.restoration_suite import train_args

    parser = ConfigParser()
    parser.read_config([str(DRAN_SPEC.configs / "train.json"), str(DRAN_SPEC.configs / "train_noise_mixture.json")])
    noise = parser.get_parsed_content("train#noise")
    kinds = [type(t).__name__ for t in noise.transforms]
    assert kinds == ["AddGaussianNoised", "AddRicianNoised", "AddPoissonGaussianNoised", "LowDoseCTNoised"]
    noise.set_random_state(0)
    clean = torch.full((1, 32, 32), 0.5)
    clean[..., :8] = 0.0  # air
    air = [noise({"label": clean})["image"][..., :8] for _ in range(40)]
    assert any(a.min() < 0 for a in air) and any(a.min() >= 0 and a.max() > 0 for a in air)  # Gaussian and Rician
    out = tmp_path / "mixture"
    run_bundle(
        train_args(DRAN_SPEC, tiny_dataset, out, config_file=DRAN_SPEC.overlay("train_noise_mixture.json")),
        cwd=tmp_path,
    )
    assert (out / "models" / "model.pt").is_file()

"""dae_denoise through ``python -m monai.bundle``: the shared denoising-bundle tests
(:mod:`tests.bundles.restoration_suite`) with a tiny autoencoder, plus the noise grid, the training
subset options and sliding-window inference of images larger than the 64 x 64 training size."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import torch

from medrestore.networks import ConvDenoisingAutoencoder
from tests.bundles.restoration_suite import *  # noqa: F403 (the shared bundle tests)
from tests.bundles.restoration_suite import BundleSpec, infer_args, train_args
from tests.conftest import run_bundle

DAE_SPEC = BundleSpec(
    name="dae_denoise",
    tiny_net=("--network_def#features", "8"),
    tiny_network=lambda: ConvDenoisingAutoencoder(features=8),
    other_network=lambda: ConvDenoisingAutoencoder(features=16),
    key_metric="val_ssim",
    tracked_params=(
        "features",
        "padding_mode",
        "noise_settings",
        "num_training_images",
        "train_modalities",
        "ssim_weight",
    ),
    verify_shape_args=("--n", "16"),
    image_shape=(64, 96),
    experiment_name="Convolutional denoising autoencoder (small-sample, CT, MR, X-ray)",
)


@pytest.fixture(scope="module")
def spec() -> BundleSpec:
    return DAE_SPEC


@pytest.mark.parametrize("setting, std", [(0, 0.1), (3, 1.0), (4, 0.2)])
def test_evaluate_noise_setting_selects_one_grid_point(setting, std, tiny_dataset):
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config([DAE_SPEC.train, str(DAE_SPEC.configs / "evaluate.json")])
    parser.update({"bundle_root": str(DAE_SPEC.bundle), "dataset_dir": str(tiny_dataset), "noise_setting": setting})
    item = parser.get_parsed_content("validate#dataset")[0]
    noise = item["image"] - item["label"]
    assert noise.std().item() == pytest.approx(std, rel=0.1)


@pytest.mark.parametrize("ssim_weight", [0.0, 0.1])
def test_ssim_weight_adds_one_minus_ssim_to_the_mse_loss(ssim_weight):
    from monai.bundle import ConfigParser
    from monai.losses import SSIMLoss

    parser = ConfigParser()
    parser.read_config(DAE_SPEC.train)
    parser.update({"bundle_root": str(DAE_SPEC.bundle), "ssim_weight": ssim_weight})
    torch.manual_seed(0)
    pred, target = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    expected = torch.nn.functional.mse_loss(pred, target) + ssim_weight * SSIMLoss(2, data_range=1.0)(pred, target)
    assert parser.get_parsed_content("loss")(pred, target).item() == pytest.approx(expected.item(), rel=1e-6)


def test_training_subset_by_modality_and_count(tiny_dataset, tmp_path):
    out = tmp_path / "run"
    extra = ["--images_per_batch", "1", "--train_modalities", "['MR']", "--num_training_images", "2"]
    log = run_bundle(train_args(DAE_SPEC, tiny_dataset, out, extra=extra), cwd=tmp_path)
    assert "Epoch: 1/1, Iter: 2/2" in log.stdout + log.stderr
    none = run_bundle(
        train_args(DAE_SPEC, tiny_dataset, tmp_path / "ct", extra=["--train_modalities", "['CT']"]),
        tmp_path,
        check=False,
    )
    assert none.returncode != 0


def test_large_image_is_restored_by_windows(trained, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    y, x = np.mgrid[:150, :206]
    nib.save(
        nib.Nifti1Image((400 + 300 * np.sin(x / 9.0) * np.cos(y / 13.0)).astype(np.float32), np.eye(4)),
        folder / "big.nii.gz",
    )
    nib.save(nib.Nifti1Image(np.full((130, 90), 250.0, np.float32), np.eye(4)), folder / "flat.nii.gz")
    out = tmp_path / "out"
    run_bundle(
        infer_args(DAE_SPEC, trained / "models" / "model.pt", folder, out, ["--intensity_window", "[0, 800]"]), tmp_path
    )
    big = nib.load(out / "big_restored.nii.gz").get_fdata()
    assert big.shape == (150, 206) and np.isfinite(big).all()
    flat = nib.load(out / "flat_restored.nii.gz").get_fdata()
    assert flat.shape == (130, 90) and np.ptp(flat) < 1e-3 * 800  # constant in, constant out: no seams


def test_sliding_window_inference_matches_network_on_a_64x64_image(trained, tmp_path):
    """A 64 x 64 image is one window: the bundle output equals the network applied directly."""
    folder = tmp_path / "in"
    folder.mkdir()
    arr = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    nib.save(nib.Nifti1Image(arr, np.eye(4)), folder / "tile.nii.gz")
    out = tmp_path / "out"
    run_bundle(
        infer_args(DAE_SPEC, trained / "models" / "model.pt", folder, out, ["--intensity_window", "[0, 1]"]), tmp_path
    )
    net = DAE_SPEC.tiny_network().eval()
    net.load_state_dict(torch.load(trained / "models" / "model.pt", map_location="cpu"))
    with torch.inference_mode():
        expected = net(torch.from_numpy(arr)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(nib.load(out / "tile_restored.nii.gz").get_fdata(), expected, atol=1e-5)

"""srgan_sr through ``python -m monai.bundle``: the shared image-to-image bundle tests
(:mod:`tests.bundles.restoration_suite`) with a tiny x2 SRResNet, plus x4, the SRGAN stage, the
per-degradation evaluation and low-resolution consistency."""

from __future__ import annotations

import csv

import nibabel as nib
import numpy as np
import pytest
import torch

from medrestore.networks import SRResNet
from tests.bundles.restoration_suite import *  # noqa: F403 (the shared bundle tests)
from tests.bundles.restoration_suite import BundleSpec, infer_args, train_args
from tests.conftest import run_bundle

TINY = ("--features", "8", "--num_blocks", "1", "--patch_size", "[32, 32]")

SR_SPEC = BundleSpec(
    name="srgan_sr",
    tiny_net=TINY,
    tiny_network=lambda: SRResNet(scale=2, features=8, num_blocks=1),
    other_network=lambda: SRResNet(scale=2, features=16, num_blocks=2),
    key_metric="val_psnr",
    tracked_params=("scale", "features", "num_blocks", "degradations", "noise_sigma", "patch_size"),
    verify_shape_args=("--any", "19"),
    image_shape=(37, 53),
    experiment_name="SRResNet / SRGAN super-resolution (CT, MR, X-ray)",
    scale=2,
    checkpoint_dir="checkpoints_srresnet_x2",
    comparison_png="validation_comparison_x2.png",
    evaluation_png="evaluation_comparison_x2.png",
    rows_per_test_image=3,
)


@pytest.fixture(scope="module")
def spec() -> BundleSpec:
    return SR_SPEC


def test_evaluate_reports_each_degradation(trained, tiny_dataset, tmp_path):
    out = tmp_path / "eval"
    run_bundle(
        [
            "monai.bundle",
            "run",
            "--config_file",
            SR_SPEC.train_eval,
            "--bundle_root",
            str(SR_SPEC.bundle),
            "--dataset_dir",
            str(tiny_dataset),
            "--output_dir",
            str(out),
            "--ckpt_dir",
            str(trained / "models"),
            *TINY,
        ],
        cwd=tmp_path,
    )
    with open(out / "metrics_by_degradation.csv", newline="") as f:
        rows = {row["group"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"bicubic", "kspace", "blur"}
    assert all(row["n"] == "2" and 5 < float(row["val_psnr_mean"]) < 60 for row in rows.values())


def test_x4_trains_and_upsamples_by_four(tiny_dataset, tmp_path):
    out = tmp_path / "x4"
    run_bundle(train_args(SR_SPEC, tiny_dataset, out, epochs=1, extra=["--scale", "4"]), cwd=tmp_path)
    assert (out / "models" / "model_x4.pt").is_file() and not (out / "models" / "model.pt").exists()
    assert (out / "checkpoints_srresnet_x4" / "checkpoint_epoch=1.pt").is_file()
    restored = tmp_path / "restored"
    run_bundle(
        infer_args(SR_SPEC, out / "models" / "model_x4.pt", tiny_dataset, restored, ["--scale", "4"]), cwd=tmp_path
    )
    img_in, img_out = nib.load(tiny_dataset / "img6.nii.gz"), nib.load(restored / "img6_restored.nii.gz")
    assert img_out.shape == tuple(4 * n for n in img_in.shape)
    assert np.allclose(np.diag(img_out.affine)[:2], np.diag(img_in.affine)[:2] / 4)


def test_srgan_stage_starts_from_the_srresnet_and_saves_both_networks(trained, tiny_dataset, tmp_path):
    out = tmp_path / "gan"
    (out / "models").mkdir(parents=True)
    srresnet = torch.load(trained / "models" / "model.pt", map_location="cpu")
    torch.save(srresnet, out / "models" / "model.pt")
    run_bundle(
        train_args(SR_SPEC, tiny_dataset, out, epochs=1, config_file=SR_SPEC.overlay("train_gan.json")), cwd=tmp_path
    )
    gan = torch.load(out / "models" / "model_gan.pt", map_location="cpu")
    assert gan.keys() == srresnet.keys() and any(not torch.equal(gan[k], srresnet[k]) for k in gan)
    ckpt = torch.load(out / "checkpoints_srgan_x2" / "checkpoint_epoch=1.pt", map_location="cpu", weights_only=False)
    assert {"network", "discriminator", "optimizer", "d_optimizer"} <= set(ckpt)
    assert torch.equal(
        torch.load(out / "models" / "model.pt", map_location="cpu")["head.0.weight"], srresnet["head.0.weight"]
    )


def test_enforced_consistency_matches_the_input_under_kspace_truncation(trained, tiny_dataset, tmp_path):
    restored = tmp_path / "restored"
    proc = run_bundle(
        infer_args(
            SR_SPEC,
            trained / "models" / "model.pt",
            tiny_dataset,
            restored,
            [
                "--degradation",
                "kspace",
                "--enforce_consistency",
                "true",
                "--datalist",
                str(tiny_dataset / "datalist.json"),
            ],
        ),
        cwd=tmp_path,
    )
    lines = [line for line in proc.stdout.splitlines() if "low-resolution consistency" in line]
    assert len(lines) == 2 and all("after back-projection" in line for line in lines)
    assert all(float(line.split("consistency ")[1].split(" dB")[0]) > 40 for line in lines), lines

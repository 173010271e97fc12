"""srgan_sr through ``python -m monai.bundle``: the shared image-to-image bundle tests
(:mod:`tests.bundles.restoration_suite`) with a tiny x2 SRResNet, plus x4, the SRGAN stage, the
per-degradation evaluation and low-resolution consistency."""

from __future__ import annotations

import csv

import nibabel as nib
import numpy as np
import pytest
import torch
from PIL import Image

from medrestore.networks import SRResNet
from tests.bundles.restoration_suite import *  # noqa: F403 (the shared bundle tests)
from tests.bundles.restoration_suite import BundleSpec, infer_args, train_args
from tests.conftest import bundle_command, bundle_fails, run_bundle, save_nifti, snapshot

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
    extra_eval_metrics=("val_lr_psnr",),  # consistency: PSNR of the degraded output against the input
)


@pytest.fixture(scope="module")
def spec() -> BundleSpec:
    return SR_SPEC


def test_evaluate_reports_each_degradation(evaluated):
    with open(evaluated / "metrics_by_degradation.csv", newline="") as f:
        rows = {row["group"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"bicubic", "kspace", "blur"}
    assert all(row["n"] == "2" and 5 < float(row["val_psnr_mean"]) < 60 for row in rows.values())
    assert all(20 < float(row["val_lr_psnr_mean"]) < 80 for row in rows.values())
    # PNG columns: low resolution, super-resolved, high resolution, the flip/rotation spread (uncertainty
    # view, no error map of its own) and the error map of the super-resolved image; 128-pixel crops
    assert Image.open(evaluated / SR_SPEC.evaluation_png).size[0] == 5 * 128


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
    ckpt = torch.load(out / "checkpoints_srgan_x2" / "checkpoint_epoch=1.pt", map_location="cpu")  # weights only
    assert {"network", "discriminator", "optimizer", "d_optimizer"} <= set(ckpt)
    assert torch.equal(
        torch.load(out / "models" / "model.pt", map_location="cpu")["head.0.weight"], srresnet["head.0.weight"]
    )
    resumed = run_bundle(
        train_args(SR_SPEC, tiny_dataset, out, epochs=2, config_file=SR_SPEC.overlay("train_gan.json")), cwd=tmp_path
    )
    assert (
        "Resumed from" in resumed.stdout + resumed.stderr
        and (out / "checkpoints_srgan_x2" / "checkpoint_epoch=2.pt").is_file()
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
                "--consistency",
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


def test_fine_tuning_starts_from_init_checkpoint_and_zoom_range_adds_scale_augmentation(
    trained, tiny_dataset, tmp_path
):
    from monai.bundle import ConfigParser

    def random_transforms(**overrides):
        parser = ConfigParser()
        parser.read_config(SR_SPEC.train)
        parser.update(overrides)
        return [type(t).__name__ for t in parser.get_parsed_content("train#random_transforms")]

    assert "RandZoomd" not in random_transforms()  # off by default: the shipped recipe is unchanged
    assert random_transforms(zoom_range=[0.5, 1.0])[:2] == ["RandZoomd", "SpatialPadd"]
    out = tmp_path / "fine_tuned"
    init = trained / "models" / "model.pt"
    extra = ["--init_checkpoint", str(init), "--zoom_range", "[0.5, 1.0]", "--learning_rate", "0.0"]
    run_bundle(train_args(SR_SPEC, tiny_dataset, out, epochs=1, extra=extra), cwd=tmp_path)
    start, tuned = torch.load(init, map_location="cpu"), torch.load(out / "models" / "model.pt", map_location="cpu")
    assert all(torch.equal(start[k], tuned[k]) for k in start)  # loaded, and a zero learning rate kept it


# ---- through-plane (self-supervised, SMORE idea): configs/through_plane.json on one thick-slice volume


def _through_plane(image, out, *extra):
    return bundle_command(
        "run",
        "--features",
        "8",
        "--num_blocks",
        "1",
        "--iterations",
        "4",
        "--batch_size",
        "2",
        "--patch_size",
        "[16, 16]",
        *extra,
        config_file=SR_SPEC.configs / "through_plane.json",
        bundle_root=SR_SPEC.bundle,
        image=image,
        output_dir=out,
    )


def test_through_plane_keeps_the_field_of_view_and_the_units(tmp_path):
    from medrestore.transforms import upscaled_affine

    rng = np.random.default_rng(0)
    affine = np.array([[0.0, -0.9, 0.0, 20.0], [0.9, 0.0, 0.0, -3.0], [0.0, 0.0, 3.0, 7.0], [0.0, 0.0, 0.0, 1.0]])
    volume = (rng.random((24, 20, 5)) * 300 + 100).astype(np.int16)
    save_nifti(tmp_path / "in" / "thick.nii.gz", volume, affine)
    before = snapshot(tmp_path / "in")
    proc = run_bundle(_through_plane(tmp_path / "in" / "thick.nii.gz", tmp_path / "out"), cwd=tmp_path)
    assert "through-plane x3 along axis 2: training on 5 in-plane images" in proc.stdout
    assert snapshot(tmp_path / "in") == before
    out = nib.load(tmp_path / "out" / "thick_restored.nii.gz")
    assert out.shape == (24, 20, 15) and out.get_data_dtype() == np.float32
    assert np.allclose(out.affine, upscaled_affine(affine, [1, 1, 3]))
    corner = np.array([-0.5, -0.5, -0.5, 1.0])
    assert np.allclose(out.affine @ corner, affine @ corner)  # the same world extent
    assert 50 < out.get_fdata().mean() < 500  # the input's units, not [0, 1]


def test_through_plane_refuses_a_missing_or_isotropic_volume(tmp_path):
    bundle_fails(_through_plane(tmp_path / "none.nii.gz", tmp_path / "out"), tmp_path, "none.nii.gz does not exist")
    save_nifti(tmp_path / "iso.nii.gz", np.ones((8, 8, 8), np.float32), np.eye(4))
    bundle_fails(_through_plane(tmp_path / "iso.nii.gz", tmp_path / "out"), tmp_path, "is not anisotropic along axis")


def test_srgan_config_takes_a_local_vgg19_file(tmp_path):
    from monai.bundle import ConfigParser

    from medrestore.errors import root_cause

    parser = ConfigParser()
    parser.read_config([SR_SPEC.train, str(SR_SPEC.configs / "train_gan.json")])
    assert parser.get_parsed_content("content_loss").vgg is None  # default: no pretrained network needed
    parser["vgg19_weights"] = str(tmp_path / "missing_vgg19.pth")
    with pytest.raises(Exception) as err:
        parser.get_parsed_content("content_loss", lazy=False)
    assert "missing_vgg19.pth do not exist" in str(root_cause(err.value))


def test_two_process_gloo_srgan_training_wraps_both_networks(trained, tiny_dataset, tmp_path):
    out = tmp_path / "ddp_gan"
    (out / "models").mkdir(parents=True)
    torch.save(torch.load(trained / "models" / "model.pt", map_location="cpu"), out / "models" / "model.pt")
    proc = run_bundle(
        ["torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=2", "-m"]
        + train_args(
            SR_SPEC,
            tiny_dataset,
            out,
            epochs=1,
            extra=["--images_per_batch", "2"],
            config_file=SR_SPEC.overlay("train_gan.json", "multi_gpu_train.json"),
        ),
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    assert "Epoch: 1/1, Iter: 2/2" in proc.stdout + proc.stderr  # 6 images, 2 per batch, 2 ranks
    gan = torch.load(out / "models" / "model_gan.pt", map_location="cpu")
    assert gan and all(not k.startswith("module.") for k in gan)
    ckpt = torch.load(out / "checkpoints_srgan_x2" / "checkpoint_epoch=1.pt", map_location="cpu")  # weights only
    assert all(not k.startswith("module.") for k in ckpt["discriminator"])

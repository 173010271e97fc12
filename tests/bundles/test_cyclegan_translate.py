"""cyclegan_translate through ``python -m monai.bundle``: the shared bundle tests that apply to a
translation (metadata, training, resume, DDP, MLflow, TorchScript, bad input) with a tiny CycleGAN,
plus the unpaired loader, the pix2pix mode, the structure report and the synthetic-contrast outputs."""

from __future__ import annotations

import csv
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from medrestore.networks import ResnetGenerator
from tests.bundles import restoration_suite
from tests.bundles.restoration_suite import (  # noqa: F401 (the shared bundle tests that fit a translation)
    BundleSpec,
    infer_args,
    test_4d_image,
    test_check_properties,
    test_ckpt_export_loads_without_shared_package,
    test_configs_are_4_space_json,
    test_corrupt_dicom,
    test_empty_dataset_folder,
    test_interrupted_training_resumes_from_last_checkpoint,
    test_metadata_version_in_changelog_and_pins,
    test_missing_dataset_folder,
    test_mlflow_default_local_sqlite_store,
    test_nan_image,
    test_seeded_runs_give_identical_weights,
    test_shipped_model_ts_matches_model_pt_without_shared_package,
    test_train_writes_best_model_checkpoint_and_png,
    test_two_process_gloo_training,
    test_verify_metadata,
    test_verify_net_in_out,
    test_wrong_architecture_checkpoint,
    train_args,
)
from tests.conftest import BUNDLES, bundle_command, bundle_fails, ckpt_export, run_bundle, snapshot

trained = restoration_suite.trained  # the shared short-training fixture, used by the tests below too

# the inference's cycle check loads the shipped reverse generator unless told otherwise: off for the tiny nets
TINY = ("--features", "8", "--num_blocks", "1", "--patch_size", "[32, 32]", "--cycle", "false")

TRANSLATE_SPEC = BundleSpec(
    name="cyclegan_translate",
    tiny_net=TINY,
    # inference.json: 128-pixel tiles, no normalisation layers
    tiny_network=lambda: ResnetGenerator(features=8, num_blocks=1, tile_size=128, norm="none"),
    other_network=lambda: ResnetGenerator(features=16, num_blocks=2, norm="none"),
    key_metric="val_foreground_ssim",
    tracked_params=("task", "features", "num_blocks", "cycle_weight", "identity_weight", "pool_size", "patch_size"),
    verify_shape_args=("--any", "19"),
    image_shape=(37, 53),
    experiment_name="CycleGAN / pix2pix MR contrast translation (T1, T2, PD)",
    checkpoint_dir="checkpoints_cyclegan_t1_t2",
)


def _anatomy(shape, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded head-like phantom: tissue value in ``[0, 1]`` and the foreground mask."""
    from medrestore.data import random_ellipse_phantom

    tissue = random_ellipse_phantom(shape, seed=seed)
    return tissue, tissue > 0.05


def write_contrast_dataset(root: Path, shape=(48, 40)) -> Path:
    """Six unpaired training slices per contrast (T1 and T2 of the same six groups, so that the loader
    must avoid pairing a slice with its own counterpart) and two validation/test pairs (img6, img7)."""
    from medrestore.data import write_datalist, write_slice

    def contrasts(seed):
        tissue, mask = _anatomy(shape, seed)
        return {"T1": 1000.0 * tissue, "T2": 1000.0 * mask * (1.1 - tissue), "PD": 1000.0 * mask * (0.6 + 0.4 * tissue)}

    items: dict[str, list] = {"training": [], "validation": [], "test": [], "training_pairs": []}
    for i in range(6):
        for contrast, image in contrasts(i).items():
            name = f"train{i}_{contrast.lower()}.nii.gz"
            write_slice(str(root / name), image, (0.8, 0.8))
            items["training"].append({"image": name, "contrast": contrast, "group": f"slice{i}", "source": "tiny"})
    for i in (6, 7):
        images = contrasts(i)
        for contrast, image in images.items():
            write_slice(str(root / f"img{i}_{contrast.lower()}.nii.gz"), image, (0.8, 0.8))
        write_slice(str(root / f"img{i}.nii.gz"), images["T1"], (0.8, 0.8))  # the T1 input under a plain name
        for task, (a, b) in {"t1_t2": ("T1", "T2"), "t2_t1": ("T2", "T1"), "t1_pd": ("T1", "PD")}.items():
            image = f"img{i}.nii.gz" if a == "T1" else f"img{i}_{a.lower()}.nii.gz"
            pair = {
                "image": image,
                "label": f"img{i}_{b.lower()}.nii.gz",
                "task": task,
                "group": f"slice{i}",
                "source": "tiny",
            }
            items["validation"].append(pair)
            items["test"].append(dict(pair))
    for i in range(6):  # paired mode: registered pairs of the training slices
        for task, (a, b) in {"t1_t2": ("T1", "T2"), "t1_pd": ("T1", "PD")}.items():
            items["training_pairs"].append(
                {"image": f"train{i}_{a.lower()}.nii.gz", "label": f"train{i}_{b.lower()}.nii.gz", "task": task}
            )
    write_datalist(str(root / "datalist.json"), items)
    return root


@pytest.fixture(scope="module")
def spec() -> BundleSpec:
    return TRANSLATE_SPEC


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:  # overrides the session-wide denoising data set
    return write_contrast_dataset(tmp_path_factory.mktemp("contrast_data"))


def test_training_saves_both_generators_and_all_four_networks(trained):
    assert (trained / "models" / "model_t2_t1.pt").is_file()
    ckpt = torch.load(trained / "checkpoints_cyclegan_t1_t2" / "checkpoint_epoch=2.pt", map_location="cpu")
    assert {"network", "reverse_network", "discriminator", "reverse_discriminator", "optimizer", "d_optimizer"} <= set(
        ckpt
    )
    forward = torch.load(trained / "models" / "model.pt", map_location="cpu")
    reverse = torch.load(trained / "models" / "model_t2_t1.pt", map_location="cpu")
    assert forward.keys() == reverse.keys() and any(not torch.equal(forward[k], reverse[k]) for k in forward)


def test_t1_pd_task_selects_its_data_and_file_names(tiny_dataset, tmp_path):
    out = tmp_path / "pd"
    proc = run_bundle(train_args(TRANSLATE_SPEC, tiny_dataset, out, extra=["--task", "t1_pd"]), cwd=tmp_path)
    assert sorted(p.name for p in (out / "models").iterdir()) == ["model_pd_t1.pt", "model_t1_pd.pt"]
    assert (out / "checkpoints_cyclegan_t1_pd" / "checkpoint_epoch=1.pt").is_file()
    assert "Iter: 6/6" in proc.stdout + proc.stderr  # the six T1 slices, each with a PD slice of another group


def test_unknown_domain_names_the_values_present(tiny_dataset, tmp_path):
    bundle_fails(
        train_args(
            TRANSLATE_SPEC, tiny_dataset, tmp_path / "out", extra=["--task", "t1_t2", "--target_contrast", "FLAIR"]
        ),
        tmp_path,
        "no training item has contrast = 'FLAIR'",
    )


@pytest.fixture(scope="module")
def evaluated(trained, tiny_dataset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("eval")
    run_bundle(
        [
            "monai.bundle", "run", "--config_file", TRANSLATE_SPEC.train_eval, "--bundle_root", str(TRANSLATE_SPEC.bundle),
            "--dataset_dir", str(tiny_dataset), "--output_dir", str(out), "--ckpt_dir", str(trained / "models"), *TINY,
        ],
        cwd=tmp_path_factory.mktemp("cwd"),
    )  # fmt: skip
    return out


def test_evaluate_reports_paired_and_unpaired_metrics(evaluated):
    metrics = dict(line.split(",") for line in (evaluated / "metrics.csv").read_text().split())
    assert set(metrics) == {
        "val_psnr", "val_foreground_ssim", "val_ssim", "val_nmse", "val_mae", "val_cycle_mae",
        "val_mi", "val_gradient_ncc", "val_mind", "val_foreground_dice",
    }  # fmt: skip
    assert 0 < float(metrics["val_foreground_ssim"]) <= 1
    assert 3 < float(metrics["val_psnr"]) < 60 and 0 <= float(metrics["val_foreground_dice"]) <= 1
    assert float(metrics["val_mi"]) > 0 and 0 <= float(metrics["val_mind"]) <= 1
    rows = (evaluated / "val_ssim_raw.csv").read_text()
    assert rows.count("img6.nii.gz") == 1 and rows.count("img7.nii.gz") == 1  # only the t1_t2 pairs
    with open(evaluated / "metrics_by_source.csv", newline="") as f:
        assert [row["group"] for row in csv.DictReader(f)] == ["tiny"]
    assert (evaluated / "evaluation_comparison_t1_t2.png").is_file()


def test_inference_writes_synthetic_contrast_with_input_geometry(trained, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    rng = np.random.default_rng(0)
    vol = np.stack([1000.0 * _anatomy((33, 27), seed)[0] for seed in range(5)], axis=-1)  # odd in-plane size
    affine = np.array([[0.9, 0, 0, -12.0], [0, 0.9, 0, 7.0], [0, 0, 3.0, 40.0], [0, 0, 0, 1]])
    nib.save(nib.Nifti1Image(vol.astype(np.int16), affine), inputs / "vol.nii.gz")
    nib.save(nib.Nifti1Image((rng.random((37, 29)) * 500).astype(np.float32), np.eye(4)), inputs / "slice.nii.gz")
    before = snapshot(inputs)
    out = tmp_path / "out"
    extra = ["--cycle", "true", "--reverse_ckpt_path", str(trained / "models" / "model_t2_t1.pt")]
    proc = run_bundle(infer_args(TRANSLATE_SPEC, trained / "models" / "model.pt", inputs, out, extra), cwd=tmp_path)
    assert snapshot(inputs) == before
    assert sorted(p.name for p in out.iterdir()) == ["slice_synthetic_t2.nii.gz", "vol_synthetic_t2.nii.gz"]
    result = nib.load(out / "vol_synthetic_t2.nii.gz")
    assert result.shape == vol.shape and np.allclose(result.affine, affine)
    assert result.get_data_dtype() == np.float32
    data = result.get_fdata()
    assert 0 <= data.min() and data.max() <= 1  # synthetic contrast on [0, 1], no physical units
    log = proc.stdout + proc.stderr
    line = next(s for s in log.splitlines() if "structure" in s and "vol.nii.gz" in s)
    for name in ("mi", "gradient_ncc", "mind", "foreground_dice", "cycle_mae", "slice_consistency"):
        assert f"{name} " in line, line
    assert nib.load(out / "slice_synthetic_t2.nii.gz").shape == (37, 29)


def test_pix2pix_mode_trains_a_unet_on_pairs(tiny_dataset, tmp_path):
    out = tmp_path / "pix2pix"
    args = train_args(
        TRANSLATE_SPEC, tiny_dataset, out, epochs=1, config_file=TRANSLATE_SPEC.overlay("train_pix2pix.json"),
        extra=["--levels", "3"],
    )  # fmt: skip
    proc = run_bundle(args, cwd=tmp_path)
    assert sorted(p.name for p in (out / "models").iterdir()) == ["model_pix2pix.pt"]
    ckpt = torch.load(out / "checkpoints_pix2pix_t1_t2" / "checkpoint_epoch=1.pt", map_location="cpu")
    assert {"network", "discriminator", "optimizer", "d_optimizer"} <= set(ckpt) and "reverse_network" not in ckpt
    assert ckpt["discriminator"]["initial_conv.conv.weight"].shape[1] == 2  # conditioned on (input, output)
    assert "Iter: 6/6" in proc.stdout + proc.stderr  # the six t1_t2 training pairs
    # paired-mode inference: the inference_pix2pix.json overlay builds the U-Net and finds model_pix2pix*.pt
    inputs = tmp_path / "t1"
    inputs.mkdir()
    nib.save(nib.Nifti1Image((900 * _anatomy((45, 38), 3)[0]).astype(np.float32), np.eye(4)), inputs / "a.nii.gz")
    infer = bundle_command(
        "run", *TINY, "--levels", "3",
        config_file=f"['{TRANSLATE_SPEC.infer}','{TRANSLATE_SPEC.configs / 'inference_pix2pix.json'}']",
        bundle_root=TRANSLATE_SPEC.bundle, ckpt_path=out / "models" / "model_pix2pix.pt",
        dataset_dir=inputs, output_dir=tmp_path / "translated",
    )  # fmt: skip
    run_bundle(infer, cwd=tmp_path)
    assert nib.load(tmp_path / "translated" / "a_synthetic_t2.nii.gz").shape == (45, 38)


def test_shipped_torchscript_models_translate_any_size(tmp_path):
    from tests.bundles.restoration_suite import run_torchscript_without_shared_package

    for name in ("model.ts", "model_t2_t1.ts", "model_t1_pd.ts"):
        io = run_torchscript_without_shared_package(
            BUNDLES / TRANSLATE_SPEC.name / "models" / name, tmp_path / "io.pt", (37, 53)
        )
        assert io["y"].shape == io["x"].shape


def test_exported_reverse_generator_matches_its_checkpoint(trained, tmp_path):
    from tests.bundles.restoration_suite import run_torchscript_without_shared_package

    ts = tmp_path / "model_t2_t1.ts"
    ckpt_export(TRANSLATE_SPEC.bundle, trained / "models" / "model_t2_t1.pt", ts, tmp_path, TINY)
    io = run_torchscript_without_shared_package(ts, tmp_path / "io.pt", (31, 45))
    net = TRANSLATE_SPEC.tiny_network()
    net.load_state_dict(torch.load(trained / "models" / "model_t2_t1.pt", map_location="cpu"))
    torch.testing.assert_close(net.eval()(io["x"]), io["y"], rtol=1e-4, atol=1e-5)

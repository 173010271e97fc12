"""The tests every image-to-image bundle (denoising, super-resolution) passes, run through ``python -m monai.bundle`` in subprocesses
from a directory other than the bundle, on tiny synthetic data and a tiny network of the shipped
class. A bundle's test module names its :class:`BundleSpec` in a ``spec`` fixture and imports this
module's tests (``from tests.bundles.denoising_suite import *``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from medrestore.transforms import upscaled_affine
from tests.conftest import (
    BUNDLES,
    INTERRUPTED_EPOCHS,
    bundle_command,
    bundle_fails,
    ckpt_export,
    kill_after_first_checkpoint,
    load_json,
    run_bundle,
    snapshot,
    write_dicom_series,
)


@dataclass(frozen=True)
class BundleSpec:
    """What the shared tests need to know about one image-to-image bundle."""

    name: str
    tiny_net: tuple[str, ...]  # overrides that make the configured network tiny
    tiny_network: Callable[[], torch.nn.Module]  # the network those overrides build
    other_network: Callable[[], torch.nn.Module]  # same class, a checkpoint that does not fit
    key_metric: str  # validation metric that selects models/model.pt
    tracked_params: tuple[str, ...]  # MLflow parameters the trainer logs
    experiment_name: str  # metadata "name" (the default MLflow experiment)
    verify_shape_args: tuple[str, ...]  # verify_net_in_out values of the metadata's spatial_shape symbols
    image_shape: tuple[int, int]  # an (H, W) the network accepts, for the TorchScript checks
    scale: int = 1  # output size / input size along each in-plane axis (super-resolution)
    checkpoint_dir: str = "checkpoints"  # training's resumable checkpoints, below output_dir
    comparison_png: str = "validation_comparison.png"  # written by validation, below output_dir
    evaluation_png: str = "evaluation_comparison.png"
    rows_per_test_image: int = 1  # evaluate.json rows per test image (one per degradation)
    extra_eval_metrics: tuple[str, ...] = ()  # evaluate.json metrics beyond PSNR, SSIM, NMSE and MAE

    @property
    def bundle(self) -> Path:
        return BUNDLES / self.name

    @property
    def configs(self) -> Path:
        return self.bundle / "configs"

    @property
    def train(self) -> str:
        return str(self.configs / "train.json")

    @property
    def infer(self) -> str:
        return str(self.configs / "inference.json")

    @property
    def train_eval(self) -> str:
        return f"['{self.configs / 'train.json'}','{self.configs / 'evaluate.json'}']"

    def overlay(self, *names: str) -> str:
        """A config list ``['.../train.json', '.../<name>', ...]`` for ``--config_file``."""
        return "[" + ",".join(f"'{self.configs / n}'" for n in ("train.json", *names)) + "]"


def train_args(
    spec: BundleSpec,
    dataset: Path,
    out: Path,
    epochs: int = 1,
    extra: list[str] | None = None,
    config_file: str | None = None,
) -> list[str]:
    """``monai.bundle run`` of ``config_file`` (train.json, or a list with an overlay) on a tiny network."""
    return bundle_command(
        "run",
        *spec.tiny_net,
        *(extra or []),
        config_file=config_file or spec.train,
        bundle_root=spec.bundle,
        dataset_dir=dataset,
        output_dir=out,
        ckpt_dir=out / "models",
        epochs=epochs,
        val_interval=1,
    )


def infer_args(spec: BundleSpec, ckpt: Path, dataset: Path, out: Path, extra: list[str] | None = None) -> list[str]:
    return bundle_command(
        "run",
        *spec.tiny_net,
        *(extra or []),
        config_file=spec.infer,
        bundle_root=spec.bundle,
        ckpt_path=ckpt,
        dataset_dir=dataset,
        output_dir=out,
    )


@pytest.fixture(scope="module")
def trained(spec, tiny_dataset, tmp_path_factory) -> Path:
    """One short training run; returns its output folder (``models/model.pt`` inside)."""
    out = tmp_path_factory.mktemp("train")
    run_bundle(train_args(spec, tiny_dataset, out, epochs=2), cwd=tmp_path_factory.mktemp("cwd"))
    assert (out / "models" / "model.pt").is_file()
    return out


def test_verify_metadata(spec, schema_path, tmp_path):
    proc = run_bundle(
        [
            "monai.bundle",
            "verify_metadata",
            "--meta_file",
            str(spec.configs / "metadata.json"),
            "--filepath",
            schema_path,
        ],
        cwd=tmp_path,
    )
    assert "metadata is verified with no error" in proc.stdout + proc.stderr


def test_metadata_version_in_changelog_and_pins(spec):
    meta = load_json(spec.configs / "metadata.json")
    assert meta["version"] in meta["changelog"]
    assert meta["pytorch_version"] == torch.__version__.split("+")[0]
    assert "medrestore" in meta["required_packages_version"]
    assert set(meta["network_data_format"]["inputs"]) == {"image"} and set(meta["network_data_format"]["outputs"]) == {
        "pred"
    }


@pytest.mark.parametrize("config, kind", [("train.json", "train"), ("inference.json", "infer")])
def test_check_properties(spec, config, kind, tiny_dataset):
    from monai.bundle import ConfigWorkflow

    workflow = ConfigWorkflow(
        config_file=str(spec.configs / config),
        meta_file=str(spec.configs / "metadata.json"),
        workflow_type=kind,
        bundle_root=str(spec.bundle),
        dataset_dir=str(tiny_dataset),
        load_pretrain=False,
    )
    workflow.initialize()
    assert not workflow.check_properties()


def test_configs_are_4_space_json(spec):
    for path in spec.configs.glob("*.json"):
        text = path.read_text()
        assert text == json.dumps(json.loads(text), indent=4) + "\n", f"{path.name} is not 4-space formatted"


def test_train_writes_best_model_checkpoint_and_png(spec, trained):
    assert (trained / spec.checkpoint_dir / "checkpoint_epoch=2.pt").is_file()
    assert (trained / spec.comparison_png).is_file()
    state = torch.load(trained / "models" / "model.pt", map_location="cpu")
    assert all(not k.startswith("module.") for k in state)


@pytest.fixture(scope="module")
def evaluated(spec, trained, tiny_dataset, tmp_path_factory) -> Path:
    """One run of train.json + evaluate.json on the short training run's weights; returns its output folder."""
    out = tmp_path_factory.mktemp("eval")
    run_bundle(
        [
            "monai.bundle",
            "run",
            "--config_file",
            spec.train_eval,
            "--bundle_root",
            str(spec.bundle),
            "--dataset_dir",
            str(tiny_dataset),
            "--output_dir",
            str(out),
            "--ckpt_dir",
            str(trained / "models"),
            *spec.tiny_net,
        ],
        cwd=tmp_path_factory.mktemp("cwd"),
    )
    return out


def test_evaluate_writes_restoration_metrics(spec, evaluated):
    metrics = dict(line.split(",") for line in (evaluated / "metrics.csv").read_text().split())
    assert set(metrics) == {"val_psnr", "val_ssim", "val_nmse", "val_mae", *spec.extra_eval_metrics}
    assert 5 < float(metrics["val_psnr"]) < 60 and 0 < float(metrics["val_nmse"]) < 1
    assert (evaluated / "val_psnr_raw.csv").read_text().count("img") == 2 * spec.rows_per_test_image
    assert (evaluated / spec.evaluation_png).is_file()


def _inputs(folder: Path) -> Path:
    """One input of every supported kind: 2D and 3D NIfTI, DICOM file and series, PNG, NumPy."""
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    nib.save(
        nib.Nifti1Image((rng.random((37, 29)) * 800).astype(np.float32), np.diag([0.7, 0.7, 1, 1])),
        folder / "slice2d.nii.gz",
    )
    nib.save(
        nib.Nifti1Image((rng.random((20, 18, 4)) * 300).astype(np.int16), np.diag([1.2, 1.2, 3.0, 1])),
        folder / "vol3d.nii.gz",
    )
    write_dicom_series(folder / "ct_series", num_slices=2)
    shutil.copy(folder / "ct_series" / "slice00.dcm", folder / "single.dcm")
    Image.fromarray((rng.random((24, 30)) * 255).astype(np.uint8)).save(folder / "photo.png")
    np.save(folder / "array.npy", (rng.random((26, 22)) * 50).astype(np.float32))
    return folder


def test_inference_on_every_input_format(spec, trained, tmp_path):
    inputs = _inputs(tmp_path / "inputs")
    before = snapshot(inputs)
    out = tmp_path / "restored"
    run_bundle(infer_args(spec, trained / "models" / "model.pt", inputs, out), cwd=tmp_path)
    assert snapshot(inputs) == before, "inputs were modified"
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(
        f"{n}_restored.nii.gz" for n in ["array", "ct_series", "photo", "single", "slice2d", "vol3d"]
    )
    s = spec.scale
    vol_in, vol_out = nib.load(inputs / "vol3d.nii.gz"), nib.load(out / "vol3d_restored.nii.gz")
    assert vol_out.shape == (20 * s, 18 * s, 4)  # in-plane axes scaled, slices kept
    assert np.allclose(vol_out.affine, upscaled_affine(vol_in.affine, [s, s, 1]))
    # the same point in world coordinates: the input's first voxel corner is the output's
    assert np.allclose(vol_out.affine @ [-0.5, -0.5, -0.5, 1], vol_in.affine @ [-0.5, -0.5, -0.5, 1])
    assert vol_out.get_data_dtype() == np.float32
    series = nib.load(out / "ct_series_restored.nii.gz")
    assert series.shape == (128 * s, 128 * s, 2) and series.get_data_dtype() == np.float32
    # written back in the input's units (HU for the CT series), not [0, 1] and not uint8
    hu = series.get_fdata()
    assert hu.max() > 1.5 or hu.min() < -0.5, (
        f"restored CT range {hu.min()}..{hu.max()} is the network's [0, 1], not HU"
    )
    slice2d = nib.load(out / "slice2d_restored.nii.gz").get_fdata()
    assert slice2d.shape == (37 * s, 29 * s) and slice2d.max() > 100


def test_inference_from_datalist(spec, trained, tiny_dataset, tmp_path):
    out = tmp_path / "restored"
    run_bundle(
        infer_args(
            spec,
            trained / "models" / "model.pt",
            tiny_dataset,
            out,
            ["--datalist", str(tiny_dataset / "datalist.json")],
        ),
        cwd=tmp_path,
    )
    assert sorted(p.name for p in out.iterdir()) == ["img6_restored.nii.gz", "img7_restored.nii.gz"]


def test_verify_net_in_out(spec, tmp_path):
    proc = run_bundle(
        [
            "monai.bundle",
            "verify_net_in_out",
            "--net_id",
            "network_def",
            "--meta_file",
            str(spec.configs / "metadata.json"),
            "--config_file",
            spec.infer,
            "--bundle_root",
            str(spec.bundle),
            *spec.verify_shape_args,
        ],
        cwd=tmp_path,
    )
    assert "data shape of network is verified with no error" in proc.stdout + proc.stderr


HIDDEN_PACKAGE_RUN = """
import sys
sys.modules["medrestore"] = None  # the shared package is not importable here
import torch
try:
    import medrestore  # noqa: F401
    raise SystemExit("medrestore should be hidden")
except ImportError:
    pass
net = torch.jit.load(sys.argv[1])
extra = {"metadata.json": "", "inference.json": ""}
torch.jit.load(sys.argv[1], _extra_files=extra)
assert b'"pred"' in extra["metadata.json"], "metadata not embedded"
s = int(sys.argv[5])
x = torch.rand(1, 1, int(sys.argv[3]), int(sys.argv[4]))
y = net(x)
assert y.shape == (1, 1, s * x.shape[2], s * x.shape[3]), y.shape
assert y.dtype == torch.float32 and 0 <= y.min() and y.max() <= 1
torch.save({"x": x, "y": y}, sys.argv[2])
"""


def run_torchscript_without_shared_package(ts: Path, io_file: Path, shape=(36, 52), scale: int = 1) -> dict:
    """Load ``ts`` in a fresh interpreter where ``medrestore`` cannot be imported, run it on a random
    ``shape`` image (the output must be ``scale`` times larger) and return ``{"x": input, "y": output}``."""
    proc = subprocess.run(
        [sys.executable, "-c", HIDDEN_PACKAGE_RUN, str(ts), str(io_file), *map(str, shape), str(scale)],
        cwd=io_file.parent,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return torch.load(io_file)


def test_ckpt_export_loads_without_shared_package(spec, trained, tmp_path):
    ts = tmp_path / "model.ts"
    ckpt_export(spec.bundle, trained / "models" / "model.pt", ts, tmp_path, spec.tiny_net)
    io = run_torchscript_without_shared_package(ts, tmp_path / "io.pt", scale=spec.scale)
    net = spec.tiny_network()
    net.load_state_dict(torch.load(trained / "models" / "model.pt", map_location="cpu"))
    torch.testing.assert_close(net.eval()(io["x"]), io["y"], rtol=1e-4, atol=1e-5)


def test_shipped_model_ts_matches_model_pt_without_shared_package(spec, tmp_path):
    from medrestore.packaging import load_bundle_network

    io = run_torchscript_without_shared_package(
        spec.bundle / "models" / "model.ts", tmp_path / "io.pt", spec.image_shape, spec.scale
    )
    with torch.inference_mode():
        torch.testing.assert_close(load_bundle_network(str(spec.bundle))(io["x"]), io["y"], rtol=1e-4, atol=1e-5)


def test_seeded_runs_give_identical_weights(spec, tiny_dataset, tmp_path):
    states = []
    for name in ("a", "b"):
        out = tmp_path / name
        run_bundle(train_args(spec, tiny_dataset, out, epochs=1), cwd=tmp_path)
        states.append(torch.load(out / "models" / "model.pt", map_location="cpu"))
    assert states[0].keys() == states[1].keys()
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_interrupted_training_resumes_from_last_checkpoint(spec, tiny_dataset, tmp_path):
    out, epochs = tmp_path / "run", INTERRUPTED_EPOCHS
    args = train_args(spec, tiny_dataset, out, epochs=epochs, extra=["--images_per_batch", "1"])
    saved = kill_after_first_checkpoint(args, tmp_path, out / spec.checkpoint_dir)
    assert saved and f"checkpoint_epoch={epochs}.pt" not in saved, f"the run was not interrupted mid-way: {saved}"
    epoch = int(saved[-1].split("=")[1].split(".")[0])
    resumed = run_bundle(args, cwd=tmp_path)
    log = resumed.stdout + resumed.stderr
    assert f"Resumed from {out / spec.checkpoint_dir / saved[-1]} at epoch {epoch}" in log
    assert f"Epoch: {epoch + 1}/{epochs}" in log and f"Epoch: 1/{epochs}" not in log
    assert (out / spec.checkpoint_dir / f"checkpoint_epoch={epochs}.pt").is_file()


# ---- bad input: one clear message naming the file and the cause; inputs untouched; nothing half-written


def _no_partial_outputs(out: Path):
    assert not out.exists() or not [
        p for p in out.rglob("*") if p.name.startswith(".tmp") or p.name.endswith("_restored.nii.gz")
    ]


def test_missing_dataset_folder(spec, trained, tmp_path):
    missing = tmp_path / "does_not_exist"
    bundle_fails(
        infer_args(spec, trained / "models" / "model.pt", missing, tmp_path / "out"),
        tmp_path,
        f"dataset_dir {missing} does not exist",
    )
    bundle_fails(train_args(spec, missing, tmp_path / "train_out"), tmp_path, str(missing / "datalist.json"))


def test_empty_dataset_folder(spec, trained, tmp_path):
    (tmp_path / "empty").mkdir()
    bundle_fails(
        infer_args(spec, trained / "models" / "model.pt", tmp_path / "empty", tmp_path / "out"),
        tmp_path,
        "holds no images",
    )


def test_corrupt_dicom(spec, trained, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.dcm").write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00" * 40)
    before = snapshot(folder)
    bundle_fails(
        infer_args(spec, trained / "models" / "model.pt", folder, tmp_path / "out"),
        tmp_path,
        "cannot read",
        "broken.dcm",
    )
    assert snapshot(folder) == before
    _no_partial_outputs(tmp_path / "out")


def test_nan_image(spec, trained, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    arr = np.ones((16, 16), np.float32)
    arr[3:5, 3:5] = np.nan
    nib.save(nib.Nifti1Image(arr, np.eye(4)), folder / "nan.nii.gz")
    bundle_fails(
        infer_args(spec, trained / "models" / "model.pt", folder, tmp_path / "out"),
        tmp_path,
        "nan.nii.gz: 4 of 256 voxels are NaN",
    )
    _no_partial_outputs(tmp_path / "out")


def test_4d_image(spec, trained, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    nib.save(nib.Nifti1Image(np.ones((8, 8, 4, 3), np.float32), np.eye(4)), folder / "fmri.nii.gz")
    bundle_fails(
        infer_args(spec, trained / "models" / "model.pt", folder, tmp_path / "out"),
        tmp_path,
        "fmri.nii.gz: image has 3 channels or time points",
    )


def test_wrong_architecture_checkpoint(spec, tmp_path, tiny_dataset):
    wrong = tmp_path / "other.pt"
    torch.save(spec.other_network().state_dict(), wrong)
    bundle_fails(
        infer_args(spec, wrong, tiny_dataset, tmp_path / "out"),
        tmp_path,
        f"checkpoint {wrong} does not fit the network",
    )


def test_output_dir_with_results_is_not_overwritten(spec, trained, tiny_dataset, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "img0_restored.nii.gz").write_bytes(b"earlier result")
    bundle_fails(
        infer_args(spec, trained / "models" / "model.pt", tiny_dataset, out),
        tmp_path,
        f"output_dir {out} already holds 1 result",
    )
    assert (out / "img0_restored.nii.gz").read_bytes() == b"earlier result"
    run_bundle(
        infer_args(spec, trained / "models" / "model.pt", tiny_dataset, out, ["--overwrite", "true"]), cwd=tmp_path
    )
    assert (out / "img0_restored.nii.gz").read_bytes() != b"earlier result"


# ---- distributed training and experiment tracking


def test_two_process_gloo_training(spec, tiny_dataset, tmp_path):
    out = tmp_path / "ddp"
    proc = run_bundle(
        ["torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=2", "-m"]
        + train_args(
            spec,
            tiny_dataset,
            out,
            epochs=2,
            extra=["--images_per_batch", "4"],
            config_file=spec.overlay("multi_gpu_train.json"),
        ),
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    log = proc.stdout + proc.stderr
    # 6 training images, 4 per batch, 2 ranks: each rank sees 3 images = 1 iteration per epoch
    assert "Epoch: 2/2, Iter: 1/1" in log
    assert log.count(f"Key metric: {spec.key_metric} best value") == 2  # logged by rank 0 only, once per epoch
    state = torch.load(out / "models" / "model.pt", map_location="cpu")
    assert state and all(not k.startswith("module.") for k in state)
    assert (out / spec.checkpoint_dir / "checkpoint_epoch=2.pt").is_file()


def check_tracked_run(spec: BundleSpec, client, experiment: str) -> None:
    """The one finished run of ``experiment``: parameters, per-epoch validation metrics, artifacts."""
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None, f"experiment {experiment!r} not found"
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    params = run.data.params
    for name in (*spec.tracked_params, "learning_rate", "images_per_batch", "epochs", "seed", "num_parameters"):
        assert name in params, f"param {name} not logged"
    assert params["epochs"] == "1"
    history = client.get_metric_history(run.info.run_id, spec.key_metric)
    assert len(history) == 1 and 0 < history[0].value < 100
    assert {"train_loss", "lr_group_0", "val_ssim", "val_psnr"} <= set(run.data.metrics)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert spec.comparison_png in artifacts and any(a.startswith("config_") for a in artifacts)


def test_mlflow_default_local_sqlite_store(spec, tiny_dataset, tmp_path):
    from mlflow import MlflowClient

    out = tmp_path / "run"
    run_bundle(
        [*train_args(spec, tiny_dataset, out), "--tracking", str(spec.configs / "mlflow_tracking.json")],
        cwd=tmp_path,
        env={"MLFLOW_TRACKING_URI": None},
    )
    assert (out / "mlruns.db").is_file()
    check_tracked_run(spec, MlflowClient(f"sqlite:///{out / 'mlruns.db'}"), spec.experiment_name)

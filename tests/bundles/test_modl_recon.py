"""modl_recon through ``python -m monai.bundle``: tiny synthetic magnitude images (k-space simulated on
the fly) and users' k-space files of every supported format, a tiny MoDL of the shipped class."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import h5py
import nibabel as nib
import numpy as np
import pytest
import torch

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
    write_magnitude_dataset,
)

BUNDLE = BUNDLES / "modl_recon"
CONFIGS = BUNDLE / "configs"
TRAIN = str(CONFIGS / "train.json")
# tiny network and masks that fit 64 x 64 images (a 24^2 calibration square allows at most 7x)
TINY = ["--features", "4", "--layers", "3", "--cg_iterations", "3", "--masks", "[['poisson', 4.0], ['random', 4.0]]"]
SHAPE = (64, 64)


def overlay(*names: str) -> str:
    return "[" + ",".join(f"'{CONFIGS / n}'" for n in ("train.json", *names)) + "]"


@pytest.fixture(scope="module")
def magnitudes(tmp_path_factory) -> Path:
    """Seeded phantoms as magnitude images; validation/test items carry a fixed simulation seed."""
    return write_magnitude_dataset(tmp_path_factory.mktemp("mri"), shape=SHAPE)


def bundle_args(config_file: str, dataset: Path, out: Path, ckpt_dir: Path, *extra: str) -> list[str]:
    """``monai.bundle run`` arguments for a train/evaluate config on ``dataset``, writing under ``out``."""
    return bundle_command(
        "run",
        *extra,
        config_file=config_file,
        bundle_root=BUNDLE,
        dataset_dir=dataset,
        output_dir=out,
        ckpt_dir=ckpt_dir,
    )


def train_args(dataset: Path, out: Path, epochs: int = 1, extra=(), config_file: str = TRAIN) -> list[str]:
    return bundle_args(
        config_file, dataset, out, out / "models", "--epochs", str(epochs), "--val_interval", "1", *TINY, *extra
    )


def infer_args(ckpt: Path, dataset: Path, out: Path, extra=()) -> list[str]:
    return bundle_command(
        "run",
        *TINY[:6],
        *extra,
        config_file=CONFIGS / "inference.json",
        bundle_root=BUNDLE,
        ckpt_path=ckpt,
        dataset_dir=dataset,
        output_dir=out,
        iterations=2,
    )


@pytest.fixture(scope="module")
def trained(magnitudes, tmp_path_factory) -> Path:
    """Stage 1 (K = 1, train.json) then stage 2 (K = 2, train_unrolled.json) on the tiny data."""
    out = tmp_path_factory.mktemp("train")
    cwd = tmp_path_factory.mktemp("cwd")
    run_bundle(train_args(magnitudes, out, epochs=2), cwd=cwd)
    assert (out / "models" / "model_k1.pt").is_file()
    stage2 = train_args(
        magnitudes, out, epochs=1, extra=["--iterations", "2"], config_file=overlay("train_unrolled.json")
    )
    run_bundle(stage2, cwd=cwd)
    assert (out / "models" / "model.pt").is_file()
    return out


def kspace_files(folder: Path, with_target: bool = False) -> Path:
    """One user k-space input of every supported kind, simulated from a phantom (8 coils, 4x Poisson)."""
    from medrestore.data import random_ellipse_phantom
    from medrestore.data.mri import write_kspace_h5
    from medrestore.transforms import SimulateKSpaced

    folder.mkdir()
    sims = [
        SimulateKSpaced(masks=[("poisson", 4.0)])({"image": random_ellipse_phantom(SHAPE, seed=s)[None], "seed": s})
        for s in range(3)
    ]
    k = [s["kspace"].numpy() for s in sims]
    target = sims[0]["target"].numpy() if with_target else None
    write_kspace_h5(str(folder / "single.h5"), k[0], sims[0]["mask"].numpy(), sims[0]["coil_maps"].numpy(), target)
    with h5py.File(folder / "volume.h5", "w") as f:  # fastMRI layout: (slices, coils, H, W), no maps, 1D-less mask
        f.create_dataset("kspace", data=np.stack(k[:2]))
    np.save(folder / "array.npy", k[1])  # no mask: taken from the non-zero samples
    np.savez(folder / "bundle.npz", kspace=k[2], mask=sims[2]["mask"].numpy(), coil_maps=sims[2]["coil_maps"].numpy())
    nib.save(nib.Nifti1Image(np.moveaxis(k[2], 0, -1).astype(np.complex64), np.eye(4)), folder / "coils.nii.gz")
    return folder


# ---- metadata and configs


def test_verify_metadata(schema_path, tmp_path):
    proc = run_bundle(
        [
            "monai.bundle",
            "verify_metadata",
            "--meta_file",
            str(CONFIGS / "metadata.json"),
            "--filepath",
            schema_path,
        ],
        cwd=tmp_path,
    )
    assert "metadata is verified with no error" in proc.stdout + proc.stderr


def test_metadata_declares_the_extra_inputs():
    meta = load_json(CONFIGS / "metadata.json")
    assert meta["version"] in meta["changelog"] and meta["pytorch_version"] == torch.__version__.split("+")[0]
    assert set(meta["network_data_format"]["inputs"]) == {"image", "kspace", "mask", "coil_maps"}
    assert meta["network_data_format"]["outputs"]["pred"]["num_channels"] == 2


def test_configs_are_4_space_json():
    for path in CONFIGS.glob("*.json"):
        text = path.read_text()
        assert text == json.dumps(json.loads(text), indent=4) + "\n", f"{path.name} is not 4-space formatted"


@pytest.mark.parametrize("fast", [False, True], ids=["default", "fast"])
def test_fast_flag_selects_the_fast_weights_and_solver(fast):
    """``--fast true`` in inference.json and evaluate.json: ``model_fast.pt`` with the solver and noise-adaptive
    ``lambda`` it was trained with (train_unrolled_fast.json: K = 3, 5 warm-started CG iterations); default
    ``model.pt``, K = 5, 10 cold, one ``lambda``. Each weights file holds exactly the network's parameters."""
    from monai.bundle import ConfigParser

    trained_with = load_json(CONFIGS / "train_unrolled_fast.json")
    expected = (
        (
            "model_fast.pt",
            trained_with["iterations"],
            trained_with["cg_iterations"],
            trained_with["cg_warm_start"],
            trained_with["lambda_noise_adaptive"],
        )
        if fast
        else ("model.pt", 5, 10, False, False)
    )
    for configs, ckpt_key in (
        (["inference.json"], "ckpt_path"),
        (["train.json", "evaluate.json"], "validate#handlers#0#load_path"),
    ):
        parser = ConfigParser()
        parser.read_config([str(CONFIGS / c) for c in configs])
        parser["bundle_root"] = str(BUNDLE)
        parser["fast"] = fast
        net = parser.get_parsed_content("network_def")
        ckpt = Path(parser.get_parsed_content(ckpt_key))
        adaptive = net.lam_noise_slope is not None
        assert (ckpt.name, net.iterations, net.dc.max_iter, net.dc.warm_start, adaptive) == expected, configs
        shapes = {k: v.shape for k, v in torch.load(ckpt, map_location="cpu").items()}
        assert shapes == {k: v.shape for k, v in net.state_dict().items()}, configs


def test_each_stage_two_recipe_starts_from_a_stage_one_file_of_its_width():
    """``model.pt`` (train_unrolled.json) starts from ``model_k1.pt`` (train.json's width), ``model_fast.pt``
    (train_unrolled_fast.json) from ``model_k1_fast.pt`` (its own, smaller width); both files are shipped."""
    from monai.bundle import ConfigParser

    for overlays, k1_name in (
        (["train_unrolled.json"], "model_k1.pt"),
        (["train_unrolled.json", "train_unrolled_fast.json"], "model_k1_fast.pt"),
    ):
        parser = ConfigParser()
        parser.read_config([str(CONFIGS / c) for c in ["train.json", *overlays]])
        parser["bundle_root"] = str(BUNDLE)
        parser["ckpt_dir"] = str(BUNDLE / "models")
        init = Path(parser.get_parsed_content("init_checkpoint"))
        assert init.name == k1_name
        k1 = torch.load(init, map_location="cpu")
        assert k1["denoiser.noise.0.weight"].shape[0] == parser.get_parsed_content("features")


@pytest.mark.parametrize("config, kind", [("train.json", "train"), ("inference.json", "infer")])
def test_check_properties(config, kind, magnitudes, tmp_path):
    from monai.bundle import ConfigWorkflow

    dataset = magnitudes if kind == "train" else kspace_files(tmp_path / "kspace")  # inference checks its inputs
    workflow = ConfigWorkflow(
        config_file=str(CONFIGS / config),
        meta_file=str(CONFIGS / "metadata.json"),
        workflow_type=kind,
        bundle_root=str(BUNDLE),
        dataset_dir=str(dataset),
        output_dir=str(tmp_path / "out"),
        load_pretrain=False,
    )
    workflow.initialize()
    assert not workflow.check_properties()


def test_verify_net_in_out_with_extra_forward_args(tmp_path):
    """``verify_net_in_out`` with the k-space, mask and coil maps as ``extra_forward_args`` (tensors, so
    through the Python API: the command line cannot pass tensors)."""
    from monai.bundle import verify_net_in_out

    n, coils, (h, w) = 1, 8, SHAPE
    maps = torch.zeros(n, coils, h, w, 2)
    maps[..., 0] = coils**-0.5
    extra = {"kspace": torch.randn(n, coils, h, w, 2), "mask": torch.ones(n, 1, h, w), "coil_maps": maps}
    verify_net_in_out(
        net_id="network_def",
        meta_file=str(CONFIGS / "metadata.json"),
        config_file=str(CONFIGS / "inference.json"),
        bundle_root=str(BUNDLE),
        any=h,
        extra_forward_args=extra,
    )


# ---- training, evaluation, inference


def test_two_stage_training(trained):
    assert (trained / "checkpoints_k1" / "checkpoint_epoch=2.pt").is_file()
    assert (trained / "checkpoints_k2" / "checkpoint_epoch=1.pt").is_file()
    assert (trained / "validation_comparison_k1.png").is_file()
    k1 = torch.load(trained / "models" / "model_k1.pt", map_location="cpu")
    k2 = torch.load(trained / "models" / "model.pt", map_location="cpu")
    assert k1.keys() == k2.keys()  # one denoiser and one lambda (and its per-unroll offsets), whatever K


def test_stage_two_starts_from_the_k1_weights(trained, magnitudes, tmp_path):
    out = tmp_path / "stage2"
    args = train_args(
        magnitudes,
        out,
        extra=[
            "--iterations",
            "3",
            "--learning_rate",
            "0.0",
            "--lr_scheduler#end_lr",
            "0.0",
            "--init_checkpoint",
            str(trained / "models" / "model_k1.pt"),
        ],
        config_file=overlay("train_unrolled.json"),
    )
    run_bundle(args, cwd=tmp_path)
    k1 = torch.load(trained / "models" / "model_k1.pt", map_location="cpu")
    start = torch.load(out / "models" / "model.pt", map_location="cpu")
    # learning rate 0: the loaded weights, unchanged
    assert k1.keys() == start.keys() and all(torch.equal(k1[k], start[k]) for k in k1)


def fully_sampled_kspace(root: Path, undersampled: str | None = None) -> Path:
    """A user's k-space training set: fully sampled 4-coil fastMRI-style files (no coil maps: estimated)
    with a datalist; ``undersampled`` names one extra 4x-undersampled training file."""
    from medrestore.data import random_ellipse_phantom
    from medrestore.data.kspace import simulate_multicoil_kspace
    from medrestore.data.mri import write_kspace_h5
    from medrestore.transforms import sampling_mask

    datalist = {"training": [], "validation": []}
    for i in range(6):
        part = "training" if i < 4 else "validation"
        phantom = torch.as_tensor(random_ellipse_phantom(SHAPE, seed=100 + i), dtype=torch.float32)
        sim = simulate_multicoil_kspace(phantom, torch.ones(SHAPE), num_coils=4, noise_std=0.005, seed=i)
        write_kspace_h5(str(root / part / f"s{i}.h5"), sim["kspace"], sim["mask"])
        datalist[part].append({"kspace": f"{part}/s{i}.h5"})
    if undersampled:
        mask = sampling_mask("poisson", SHAPE, 4.0, 0)
        sim = simulate_multicoil_kspace(phantom, mask, num_coils=4, noise_std=0.005, seed=9)
        write_kspace_h5(str(root / "training" / undersampled), sim["kspace"], sim["mask"])
        datalist["training"].append({"kspace": f"training/{undersampled}"})
    (root / "datalist.json").write_text(json.dumps(datalist, indent=4))
    return root / "datalist.json"


def test_training_on_fully_sampled_kspace_files(tmp_path):
    """train_kspace.json: retrospective undersampling of the user's fully sampled k-space, with fixed
    validation masks; an undersampled file among them is rejected by name."""
    datalist = fully_sampled_kspace(tmp_path / "data")
    out = tmp_path / "out"
    args = bundle_args(
        overlay("train_kspace.json"), tmp_path / "data", out, out / "models", "--datalist", str(datalist)
    )
    proc = run_bundle([*args, "--epochs", "2", "--val_interval", "1", *TINY], cwd=tmp_path)
    assert (out / "models" / "model_k1.pt").is_file()
    psnr = [float(v) for v in re.findall(r"Metrics -- val_psnr: ([0-9.]+)", proc.stdout + proc.stderr)]
    assert len(psnr) == 2 and all(10 < p < 60 for p in psnr)  # one validation per epoch
    stage2 = bundle_args(
        overlay("train_kspace.json", "train_unrolled.json"),
        tmp_path / "data",
        out,
        out / "models",
        "--datalist",
        str(datalist),
    )
    run_bundle([*stage2, "--epochs", "1", "--val_interval", "1", "--iterations", "2", *TINY], cwd=tmp_path)
    assert (out / "models" / "model.pt").is_file()

    bad = fully_sampled_kspace(tmp_path / "bad", undersampled="partial.h5")
    args = bundle_args(
        overlay("train_kspace.json"), tmp_path / "bad", tmp_path / "o2", tmp_path / "o2", "--datalist", str(bad)
    )
    bundle_fails([*args, "--epochs", "1", *TINY], tmp_path, "partial.h5", "fully sampled")


def _evaluate(trained, dataset, out, cwd, extra=()):
    run_bundle(
        bundle_args(overlay("evaluate.json"), dataset, out, trained / "models", "--iterations", "2", *TINY, *extra),
        cwd=cwd,
    )
    return dict(line.split(",") for line in (out / "metrics.csv").read_text().split())


def test_evaluate_simulated_split_equals_evaluate_on_the_written_kspace_files(trained, magnitudes, tmp_path):
    """The same seeds give the same k-space whether simulated on the fly or read from fastMRI-style files."""
    from medrestore.data.mri import write_kspace_h5
    from medrestore.transforms import SimulateKSpaced

    simulated = _evaluate(trained, magnitudes, tmp_path / "sim", tmp_path, ["--masks", "[['poisson', 4.0]]"])
    assert {"val_psnr", "val_ssim", "val_nmse"} == set(simulated)
    assert 10 < float(simulated["val_psnr"]) < 60
    datalist = load_json(magnitudes / "datalist.json")
    files = tmp_path / "kspace"
    for item in datalist["test"]:
        img = nib.load(magnitudes / item["image"]).get_fdata()
        img = np.clip(img / np.percentile(img, 99.5), 0, 1)[None]  # train.json's percentile scaling
        sim = SimulateKSpaced(masks=[("poisson", 4.0)])({"image": img, "seed": item["seed"]})
        item["kspace"] = str(files / item["image"].replace(".nii.gz", ".h5"))
        write_kspace_h5(item["kspace"], sim["kspace"], sim["mask"], sim["coil_maps"], sim["target"])
    (tmp_path / "kspace_list.json").write_text(json.dumps(datalist))
    from_files = _evaluate(
        trained, magnitudes, tmp_path / "files", tmp_path, ["--kspace_datalist", str(tmp_path / "kspace_list.json")]
    )
    for name in simulated:
        assert float(from_files[name]) == pytest.approx(float(simulated[name]), rel=1e-4), name
    assert (tmp_path / "files" / "evaluation_comparison.png").is_file()


def test_evaluate_fully_sampled_files_retrospectively(trained, tmp_path):
    """--retrospective true undersamples fully sampled files with fixed masks: the same metrics as the
    same undersampling written to files with their reference."""
    from medrestore.data.mri import write_kspace_h5
    from medrestore.transforms import LoadKSpaced, UndersampleKSpaced

    datalist = fully_sampled_kspace(tmp_path / "data")
    retro = ["--eval_split", "validation", "--masks", "[['poisson', 4.0]]"]
    full = _evaluate(
        trained,
        tmp_path / "data",
        tmp_path / "retro",
        tmp_path,
        [*retro, "--kspace_datalist", str(datalist), "--retrospective", "true"],
    )
    assert 10 < float(full["val_psnr"]) < 60
    items = load_json(datalist)["validation"]
    for i, item in enumerate(items):
        d = LoadKSpaced()({"kspace": str(tmp_path / "data" / item["kspace"])})
        d = UndersampleKSpaced(masks=[("poisson", 4.0)])({**d, "seed": 5000 + i})
        item["kspace"] = str(tmp_path / "under" / f"{i}.h5")
        write_kspace_h5(item["kspace"], d["kspace"], d["mask"], d["coil_maps"], d["target"])
    (tmp_path / "under.json").write_text(json.dumps({"validation": items}))
    under = _evaluate(
        trained,
        tmp_path / "data",
        tmp_path / "under_out",
        tmp_path,
        [*retro, "--kspace_datalist", str(tmp_path / "under.json")],
    )
    for name in full:
        assert float(under[name]) == pytest.approx(float(full[name]), rel=1e-4), name


def test_inference_on_every_kspace_format(trained, tmp_path):
    inputs = kspace_files(tmp_path / "inputs")
    before = snapshot(inputs)
    out = tmp_path / "recon"
    run_bundle(infer_args(trained / "models" / "model.pt", inputs, out), cwd=tmp_path)
    assert snapshot(inputs) == before, "inputs were modified"
    names = ["array", "bundle", "coils", "single", "volume_slice000", "volume_slice001"]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}_recon.nii.gz" for n in names)
    for name in names:
        img = nib.load(out / f"{name}_recon.nii.gz")
        assert img.shape == SHAPE and img.get_data_dtype() == np.float32
        assert np.isfinite(img.get_fdata()).all() and img.get_fdata().max() > 0
    # the reconstruction is in the file's units: scaling the k-space scales the output
    scaled = tmp_path / "scaled"
    scaled.mkdir()
    np.save(scaled / "array.npy", np.load(inputs / "array.npy") * 1000)
    run_bundle(infer_args(trained / "models" / "model.pt", scaled, tmp_path / "recon2"), cwd=tmp_path)
    a = nib.load(out / "array_recon.nii.gz").get_fdata()
    b = nib.load(tmp_path / "recon2" / "array_recon.nii.gz").get_fdata()
    np.testing.assert_allclose(b, 1000 * a, rtol=1e-3, atol=1e-3 * b.max())


def test_inference_from_datalist(trained, tmp_path):
    inputs = kspace_files(tmp_path / "inputs")
    (tmp_path / "list.json").write_text(json.dumps({"test": [{"kspace": "single.h5"}, {"kspace": "array.npy"}]}))
    out = tmp_path / "recon"
    run_bundle(
        infer_args(trained / "models" / "model.pt", inputs, out, ["--datalist", str(tmp_path / "list.json")]),
        cwd=tmp_path,
    )
    assert sorted(p.name for p in out.iterdir()) == ["array_recon.nii.gz", "single_recon.nii.gz"]


# ---- TorchScript


HIDDEN_PACKAGE_RUN = """
import sys
sys.modules["medrestore"] = None  # the shared package is not importable here
import torch
net = torch.jit.load(sys.argv[1])
inputs = torch.load(sys.argv[2])
torch.save(net(inputs["image"], kspace=inputs["kspace"], mask=inputs["mask"], coil_maps=inputs["coil_maps"]), sys.argv[3])
"""


def _network_inputs(seed: int = 0) -> dict:
    from medrestore.data import random_ellipse_phantom
    from medrestore.transforms import ReconInputsd, SimulateKSpaced

    sim = SimulateKSpaced(masks=[("poisson", 4.0)])(
        {"image": random_ellipse_phantom(SHAPE, seed=seed)[None], "seed": seed}
    )
    d = ReconInputsd()(sim)
    return {k: torch.as_tensor(d[k]).as_subclass(torch.Tensor)[None] for k in ("image", "kspace", "mask", "coil_maps")}


def run_torchscript_without_shared_package(ts: Path, tmp_path: Path) -> tuple[dict, torch.Tensor]:
    inputs = _network_inputs()
    torch.save(inputs, tmp_path / "in.pt")
    proc = subprocess.run(
        [sys.executable, "-c", HIDDEN_PACKAGE_RUN, str(ts), str(tmp_path / "in.pt"), str(tmp_path / "out.pt")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return inputs, torch.load(tmp_path / "out.pt")


def test_ckpt_export_runs_without_shared_package(trained, tmp_path):
    from medrestore.networks import MoDL

    ts = tmp_path / "model.ts"
    ckpt_export(BUNDLE, trained / "models" / "model.pt", ts, tmp_path, ["--iterations", "2", *TINY[:6]])
    inputs, out = run_torchscript_without_shared_package(ts, tmp_path)
    net = MoDL(iterations=2, features=4, layers=3, cg_iterations=3, bias=False)  # the bundle default since 0.3.0
    net.load_state_dict(torch.load(trained / "models" / "model.pt", map_location="cpu"))
    with torch.no_grad():
        torch.testing.assert_close(net.eval()(**inputs), out, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fast", [False, True], ids=["model", "model_fast"])
def test_shipped_torchscript_matches_its_weights_without_shared_package(fast, tmp_path):
    """``model.ts`` is ``model.pt`` with the default solver, ``model_fast.ts`` is ``model_fast.pt`` with
    ``--fast true`` (K = 3, 5 warm-started CG iterations)."""
    from medrestore.packaging import load_bundle_network

    ts = BUNDLE / "models" / ("model_fast.ts" if fast else "model.ts")
    inputs, out = run_torchscript_without_shared_package(ts, tmp_path)
    net = load_bundle_network(str(BUNDLE), overrides={"fast": fast})
    assert (net.iterations, net.dc.max_iter, net.dc.warm_start) == ((3, 5, True) if fast else (5, 10, False))
    with torch.inference_mode():
        torch.testing.assert_close(net(**inputs), out, rtol=1e-4, atol=1e-5)


# ---- reproducibility and resumption


def test_seeded_runs_give_identical_weights(magnitudes, tmp_path):
    states = []
    for name in ("a", "b"):
        run_bundle(train_args(magnitudes, tmp_path / name), cwd=tmp_path)
        states.append(torch.load(tmp_path / name / "models" / "model_k1.pt", map_location="cpu"))
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_interrupted_training_resumes_from_last_checkpoint(magnitudes, tmp_path):
    out, epochs = tmp_path / "run", INTERRUPTED_EPOCHS
    args = train_args(magnitudes, out, epochs=epochs, extra=["--images_per_batch", "1"])
    folder = out / "checkpoints_k1"
    saved = kill_after_first_checkpoint(args, tmp_path, folder)
    assert saved and f"checkpoint_epoch={epochs}.pt" not in saved, f"the run was not interrupted mid-way: {saved}"
    epoch = int(saved[-1].split("=")[1].split(".")[0])
    log = run_bundle(args, cwd=tmp_path)
    text = log.stdout + log.stderr
    assert f"Resumed from {folder / saved[-1]} at epoch {epoch}" in text and f"Epoch: 1/{epochs}" not in text
    assert (folder / f"checkpoint_epoch={epochs}.pt").is_file()


# ---- bad input: a clear message naming the file; inputs untouched; nothing half-written


@pytest.mark.parametrize(
    "name, write, message",
    [
        ("real.npy", lambda p: np.save(p, np.ones((4, 16, 16), np.float32)), "k-space is real-valued (float32)"),
        (
            "nan.npy",
            lambda p: np.save(p, np.full((2, 16, 16), np.nan, np.complex64)),
            "k-space holds NaN or infinite samples",
        ),
        ("zeros.npy", lambda p: np.save(p, np.zeros((2, 16, 16), np.complex64)), "k-space is all zeros"),
        ("broken.h5", lambda p: Path(p).write_bytes(b"not an hdf5 file" * 8), "cannot be read"),
        ("nokspace.npz", lambda p: np.savez(p, data=np.ones(3)), "no 'kspace' array"),
    ],
)
def test_bad_kspace_file(trained, tmp_path, name, write, message):
    folder = tmp_path / "in"
    folder.mkdir()
    np.save(folder / "good.npy", np.ones((2, 16, 16), np.complex64))
    write(str(folder / name))
    before = snapshot(folder)
    out = tmp_path / "out"
    bundle_fails(infer_args(trained / "models" / "model.pt", folder, out), tmp_path, f"{folder / name}: {message}")
    assert snapshot(folder) == before
    assert not out.exists() or not [p for p in out.rglob("*") if p.name.startswith(".tmp")]


def test_mask_of_wrong_shape(trained, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    np.savez(folder / "k.npz", kspace=np.ones((2, 16, 16), np.complex64), mask=np.ones(7))
    bundle_fails(infer_args(trained / "models" / "model.pt", folder, tmp_path / "out"), tmp_path, "mask has shape (7,)")


def test_missing_and_empty_inputs(trained, tmp_path):
    ckpt = trained / "models" / "model.pt"
    bundle_fails(
        infer_args(ckpt, tmp_path / "nope", tmp_path / "out"),
        tmp_path,
        f"dataset_dir {tmp_path / 'nope'} does not exist",
    )
    (tmp_path / "empty").mkdir()
    bundle_fails(infer_args(ckpt, tmp_path / "empty", tmp_path / "out"), tmp_path, "lists no k-space files")


def test_wrong_checkpoint_and_existing_results(trained, tmp_path):
    from medrestore.networks import MoDL

    inputs = kspace_files(tmp_path / "inputs")
    wrong = tmp_path / "wrong.pt"
    torch.save(MoDL(features=6, layers=3).state_dict(), wrong)
    bundle_fails(infer_args(wrong, inputs, tmp_path / "out"), tmp_path, f"checkpoint {wrong} does not fit the network")
    out = tmp_path / "results"
    out.mkdir()
    (out / "single_recon.nii.gz").write_bytes(b"earlier result")
    bundle_fails(
        infer_args(trained / "models" / "model.pt", inputs, out), tmp_path, f"output_dir {out} already holds 1 result"
    )
    assert (out / "single_recon.nii.gz").read_bytes() == b"earlier result"


# ---- distributed training and experiment tracking


def test_two_process_gloo_training(magnitudes, tmp_path):
    out = tmp_path / "ddp"
    proc = run_bundle(
        ["torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=2", "-m"]
        + train_args(
            magnitudes, out, epochs=2, extra=["--images_per_batch", "3"], config_file=overlay("multi_gpu_train.json")
        ),
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    log = proc.stdout + proc.stderr
    assert "Epoch: 2/2, Iter: 1/1" in log  # 6 images, 2 ranks, 3 per batch
    assert log.count("Key metric: val_psnr best value") == 2
    state = torch.load(out / "models" / "model_k1.pt", map_location="cpu")
    assert state and all(not k.startswith("module.") for k in state)


def test_mlflow_default_local_sqlite_store(magnitudes, tmp_path):
    from mlflow import MlflowClient

    out = tmp_path / "run"
    run_bundle(
        [*train_args(magnitudes, out), "--tracking", str(CONFIGS / "mlflow_tracking.json")],
        cwd=tmp_path,
        env={"MLFLOW_TRACKING_URI": None},
    )
    client = MlflowClient(f"sqlite:///{out / 'mlruns.db'}")
    exp = client.get_experiment_by_name(load_json(CONFIGS / "metadata.json")["name"])
    (run,) = client.search_runs([exp.experiment_id])
    assert run.info.status == "FINISHED"
    for name in ("iterations", "features", "masks", "num_coils", "noise_std", "init_checkpoint", "epochs", "seed"):
        assert name in run.data.params, name
    assert {"train_loss", "val_psnr", "val_ssim"} <= set(run.data.metrics)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert "validation_comparison_k1.png" in artifacts and any(a.startswith("config_") for a in artifacts)

"""Training never touches the shipped weights, resumes only its own configuration, and the release
command is the one way to ship new weights, for every bundle."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import torch

from tests.conftest import BUNDLES, bundle_command, run_bundle, snapshot
from tests.reliability.conftest import last_line


def copy_bundle(name: str, dest: Path) -> Path:
    """A copy of a bundle (configs, models, docs, hashes) to train in, so a failing test cannot damage the repository's."""
    root = dest / name
    shutil.copytree(BUNDLES / name, root, ignore=shutil.ignore_patterns("eval", "__pycache__"))
    return root


def train_args(case, bundle: Path, dataset: Path, out: Path, *extra: str, tiny: bool = True) -> list[str]:
    return bundle_command(
        "run",
        *(case.tiny_net if tiny else ()),
        *case.data_args,
        *extra,
        config_file=bundle / "configs" / "train.json",
        bundle_root=bundle,
        dataset_dir=dataset,
        output_dir=out,
        epochs=1,
        val_interval=1,
    )


def trained_file(case) -> str:
    return "model_k1.pt" if case.name == "modl_recon" else "model.pt"


def test_training_leaves_the_shipped_weights_alone_and_release_ships_them(case, tmp_path):
    bundle = copy_bundle(case.name, tmp_path)
    shipped = snapshot(bundle / "models")
    hashes = (bundle / "large_files.yml").read_bytes()
    dataset = case.write_training_data(tmp_path / "data")
    out = tmp_path / "run"
    run_bundle(train_args(case, bundle, dataset, out, tiny=False), cwd=tmp_path)
    trained = out / "models" / trained_file(case)
    assert trained.is_file()
    assert snapshot(bundle / "models") == shipped and (bundle / "large_files.yml").read_bytes() == hashes

    run_bundle(["medrestore.packaging", "release", str(bundle), str(trained)], cwd=tmp_path)
    assert (bundle / "models" / "model.pt").read_bytes() == trained.read_bytes()
    weights = torch.load(trained, map_location="cpu")
    exported = torch.jit.load(str(bundle / "models" / "model.ts"), map_location="cpu").state_dict()
    for name, value in weights.items():  # the TorchScript file holds the released weights
        torch.testing.assert_close(exported[name], value)
    names = zipfile.ZipFile(bundle / "models" / "model.ts").namelist()
    assert "model/extra/inference.json" in names  # where MONAI Deploy looks for the embedded configs
    run_bundle(["medrestore.packaging", "verify", str(bundle)], cwd=tmp_path)


def test_resume_only_a_checkpoint_of_the_same_configuration(case, tmp_path):
    bundle = BUNDLES / case.name
    first = case.write_training_data(tmp_path / "first")
    other = case.write_training_data(tmp_path / "other")
    out = tmp_path / "run"
    run_bundle(train_args(case, bundle, first, out), cwd=tmp_path)

    longer = run_bundle(train_args(case, bundle, first, out, "--epochs", "2"), cwd=tmp_path)
    assert "Resumed from" in longer.stdout and "at epoch 1" in longer.stdout and "same configuration" in longer.stdout

    proc = run_bundle(train_args(case, bundle, other, out, "--epochs", "3"), cwd=tmp_path, check=False)
    assert proc.returncode != 0
    line = last_line(proc)
    assert "another configuration (different training_data)" in line and "--resume false" in line, line

    fresh = run_bundle(train_args(case, bundle, other, out, "--resume", "false"), cwd=tmp_path)
    assert "Resumed from" not in fresh.stdout and "old checkpoint(s) in" in fresh.stdout + fresh.stderr

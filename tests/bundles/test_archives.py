"""Shareable archives: ``medrestore-bundle archive <name>`` builds ``<name>.zip`` that runs after
unzipping with only the pinned packages and the shipped ``medrestore`` wheel; the weights are checked
against ``large_files.yml`` when they load."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medrestore.packaging import build_archive, verify_bundle
from tests.conftest import BUNDLES, bundle_inference, save_nifti

FINISHED = ("dran_denoise", "dae_denoise", "modl_recon", "cyclegan_translate")


@pytest.mark.parametrize("name", FINISHED)
def test_committed_weights_match_their_records(name):
    checked = verify_bundle(str(BUNDLES / name))
    assert {"models/model.pt", "models/model.ts"} <= set(checked)
    assert set(checked) == {str(p.relative_to(BUNDLES / name)) for p in (BUNDLES / name / "models").iterdir()}


def _sample_input(name: str, folder: Path, shape=(72, 68)) -> str:
    """One input for bundle ``name`` in ``folder`` (an image, or k-space for modl_recon); returns the
    file name its inference writes."""
    if name == "modl_recon":
        from tests.bundles.test_modl_recon import kspace_files

        kspace_files(folder)
        for other in folder.iterdir():
            if other.name != "single.h5":
                other.unlink()
        return "single_recon.nii.gz"
    save_nifti(folder / "a.nii.gz", (np.random.default_rng(0).random(shape) * 100).astype(np.float32))
    return "a_synthetic_t2.nii.gz" if name == "cyclegan_translate" else "a_restored.nii.gz"


@pytest.fixture(scope="module", params=FINISHED)
def unzipped(request, tmp_path_factory):
    """(bundle name, archive, unzipped bundle folder, PYTHONPATH holding only the archive's wheel)."""
    name = request.param
    dist = tmp_path_factory.mktemp("dist")
    archive = Path(build_archive(name, str(dist)))
    fresh = tmp_path_factory.mktemp("fresh")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(fresh)
    wheels = list((fresh / name / "wheels").glob("medrestore-*.whl"))
    assert len(wheels) == 1
    site = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheels[0])], check=True
    )
    return name, archive, fresh / name, str(site)


def test_archive_layout_and_load_bundle_config(unzipped):
    from monai.bundle import load_bundle_config

    name, archive, root, _ = unzipped
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
    for rel in (
        "configs/metadata.json",
        "configs/inference.json",
        "models/model.pt",
        "models/model.ts",
        "large_files.yml",
        "LICENSE",
        "docs/README.md",
    ):
        assert f"{name}/{rel}" in names
    assert not any("/eval/" in n or "__pycache__" in n for n in names)
    parser = load_bundle_config(str(archive), "inference.json")
    assert (
        parser["_meta_"]["version"] == json.loads((BUNDLES / name / "configs" / "metadata.json").read_text())["version"]
    )
    assert "network_def" in parser


def _infer(root: Path, site: str, images: Path, out: Path, check: bool = True):
    return bundle_inference(root, images, out, env={"PYTHONPATH": site}, check=check)


def test_unzipped_archive_runs_inference_with_its_own_wheel(unzipped, tmp_path):
    name, _, root, site = unzipped
    where = subprocess.run(
        [sys.executable, "-c", "import medrestore; print(medrestore.__file__)"],
        env={"PYTHONPATH": site},
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(site)  # the wheel shadows the repository's package
    images = tmp_path / "images"
    written = _sample_input(name, images)
    _infer(root, site, images, tmp_path / "out")
    restored = nib.load(tmp_path / "out" / written)
    assert restored.shape == ((64, 64) if name == "modl_recon" else (72, 68))
    assert restored.get_data_dtype() == np.float32


def test_tampered_weights_in_an_archive_fail_clearly(unzipped, tmp_path):
    name, _, root, site = unzipped
    copy = tmp_path / name
    subprocess.run(["cp", "-r", str(root), str(copy)], check=True)
    with open(copy / "models" / "model.pt", "ab") as f:
        f.write(b"\0")
    images = tmp_path / "images"
    written = _sample_input(name, images, (16, 16))
    proc = _infer(copy, site, images, tmp_path / "out", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"{copy / 'models' / 'model.pt'}: SHA-256" in text and "does not match" in text
    assert not (tmp_path / "out" / written).exists()

"""Shared fixtures: tiny synthetic data sets and a helper that runs bundle commands in a subprocess."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLES = REPO / "bundles"
REFERENCE = REPO.parent / "shared" / "reference"
SCHEMA = REFERENCE / "meta_schema_20240725.json"

# a network small enough for seconds-long CPU runs; same class and code path as the shipped one
TINY_NET = ["--network_def#channels", "8", "--network_def#num_blocks", "1", "--network_def#layers_per_block", "2"]


def bundle_command(command: str, *extra: str, **options) -> list[str]:
    """Arguments of ``python -m monai.bundle <command>``: each keyword becomes ``--key value``, then ``extra``."""
    args = ["monai.bundle", command]
    for key, value in options.items():
        args += [f"--{key}", str(value)]
    return [*args, *extra]


def run_bundle(
    args: list[str], cwd: str | os.PathLike, env: dict | None = None, timeout: int = 600, check: bool = True
):
    """Run ``python -m <args>`` in ``cwd``; return the CompletedProcess (output captured as text)."""
    full_env = dict(os.environ)
    full_env.setdefault("OMP_NUM_THREADS", "2")
    for key, value in (env or {}).items():  # a None value removes the variable
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    proc = subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"command failed ({proc.returncode}): {' '.join(args)}\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
        )
    return proc


# enough epochs that a tiny run cannot finish between two polls of the checkpoint folder, on any machine
INTERRUPTED_EPOCHS = 12


def kill_after_first_checkpoint(args: list[str], cwd: Path, folder: Path, timeout: float = 300) -> list[str]:
    """Start ``python -m <args>``, SIGKILL it as soon as ``folder`` holds a checkpoint; return the saved names.

    The run trains :data:`INTERRUPTED_EPOCHS` epochs; the folder is polled every 10 ms, so a kill lands
    mid-run unless an epoch takes under about a millisecond.
    """
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "2")
    proc = subprocess.Popen(
        [sys.executable, "-m", *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + timeout
    while not list(folder.glob("checkpoint_epoch=*.pt")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return sorted((p.name for p in folder.glob("checkpoint_epoch=*.pt")), key=lambda n: int(n.split("=")[1][:-3]))


def bundle_inference(
    bundle: str | Path,
    dataset: Path,
    out: Path,
    extra: list[str] | None = None,
    env: dict | None = None,
    check: bool = True,
):
    """``monai.bundle run`` of a bundle's inference.json (a name under ``bundles/``, or a bundle
    folder) with its own weights on ``dataset``, writing to ``out``."""
    root = bundle if isinstance(bundle, Path) else BUNDLES / bundle
    args = bundle_command(
        "run",
        *(extra or []),
        config_file=root / "configs" / "inference.json",
        bundle_root=root,
        dataset_dir=dataset,
        output_dir=out,
    )
    return run_bundle(args, cwd=out.parent, env=env, check=check)


def ckpt_export(bundle: Path, ckpt: Path, filepath: Path, cwd: Path, extra=()) -> None:
    """``monai.bundle ckpt_export`` of a bundle's ``network_def`` (inference.json) with ``ckpt`` to ``filepath``."""
    configs = bundle / "configs"
    run_bundle(
        bundle_command(
            "ckpt_export",
            *extra,
            net_id="network_def",
            filepath=filepath,
            ckpt_file=ckpt,
            meta_file=configs / "metadata.json",
            config_file=configs / "inference.json",
            bundle_root=bundle,
        ),
        cwd=cwd,
    )


def bundle_fails(args: list[str], cwd, *needles: str) -> str:
    """Run a bundle command that must fail; assert every ``needle`` is in its output; return the output."""
    proc = run_bundle(args, cwd=cwd, check=False)
    assert proc.returncode != 0, "the command succeeded"
    text = proc.stdout + proc.stderr
    for needle in needles:
        assert needle in text, f"expected {needle!r} in the error output:\n{text[-3000:]}"
    return text


def save_nifti(path: Path, array, affine=None) -> Path:
    """Write ``array`` as NIfTI (identity affine unless given); creates the folder."""
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(np.asarray(array), np.eye(4) if affine is None else affine), path)
    return path


@pytest.fixture(scope="session")
def colin27() -> str:
    """Colin27's templates folder (mricron-data); skips with the install command when missing (CI installs it)."""
    from medrestore.data.sources import find_colin27

    try:
        return find_colin27()
    except FileNotFoundError as err:
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def schema_path() -> str:
    if not SCHEMA.is_file():
        pytest.skip(
            f"{SCHEMA} not found: the metadata schema lives in ../shared/reference beside the repository (present in CI)"
        )
    return str(SCHEMA)


def write_tiny_dataset(root: Path, n_train: int = 6, n_val: int = 2, shape=(48, 40)) -> Path:
    """Seeded ellipse phantoms (scanner-like units 0..1000) as 2D NIfTI plus a MONAI datalist."""
    from medrestore.data import random_ellipse_phantom, write_datalist, write_slice

    items: dict[str, list] = {"training": [], "validation": [], "test": []}
    for i in range(n_train + n_val):
        name = f"img{i}.nii.gz"
        write_slice(str(root / name), random_ellipse_phantom(shape, seed=i) * 1000.0, (0.8, 0.8))
        if i < n_train:
            items["training"].append({"image": name, "modality": "MR"})
        else:
            items["validation"].append({"image": name, "modality": "MR", "noise_seed": 100 + i})
    items["test"] = copy.deepcopy(items["validation"])
    write_datalist(str(root / "datalist.json"), items)
    return root


def write_magnitude_dataset(root: Path, shape=(64, 64)) -> Path:
    """modl_recon's training data: :func:`write_tiny_dataset` magnitudes whose validation and test items
    carry a fixed k-space simulation ``seed`` (instead of a noise seed)."""
    write_tiny_dataset(root, shape=shape)
    datalist = load_json(root / "datalist.json")
    for part in ("validation", "test"):
        for item in datalist[part]:
            item["seed"] = item.pop("noise_seed")
    (root / "datalist.json").write_text(json.dumps(datalist, indent=4))
    return root


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    return write_tiny_dataset(tmp_path_factory.mktemp("tiny_data"))


def write_dicom_series(folder: Path, num_slices: int = 3) -> Path:
    """A small CT series (copies of pydicom's CT_small.dcm at 5 mm steps, one series UID)."""
    import pydicom
    import pydicom.data
    from pydicom.uid import generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    src = pydicom.dcmread(pydicom.data.get_testdata_file("CT_small.dcm"))
    series_uid = generate_uid()
    for i in range(num_slices):
        ds = copy.deepcopy(src)
        ds.SeriesInstanceUID, ds.SOPInstanceUID, ds.InstanceNumber = series_uid, generate_uid(), i + 1
        ds.ImagePositionPatient = [0.0, 0.0, 5.0 * i]
        ds.save_as(folder / f"slice{i:02d}.dcm")
    return folder


def environment_python(env_dir: str, variable: str, requirements: str) -> str:
    """Python of an optional environment (``<repo>/<env_dir>``, or ``$variable``) that holds a heavy
    integration (MONAI Deploy, MONAI Label); skips with the install command when it is missing
    (CI creates both)."""
    path = Path(os.environ.get(variable, REPO / env_dir / "bin" / "python"))
    if not path.is_file():
        pytest.skip(f"{path} not found: create it as the README says ({requirements}; CI does), or set {variable}")
    return str(path)


def run_python(
    python: str, args: list[str], cwd, check: bool = True, timeout: int = 300
) -> subprocess.CompletedProcess:
    """Run ``python args`` in ``cwd`` without this environment's PYTHONPATH/VIRTUAL_ENV."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run([python, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        )
    return proc


def load_json(path) -> dict:
    with open(path) as f:
        return json.load(f)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Bytes of every file under ``folder`` (to assert inputs are never modified)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)

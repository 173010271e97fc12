"""No silent data loss at inference, for every bundle: unique output names, no replaced files, no
stale temporaries, the input's geometry kept, no clipped intensities, every DICOM series accounted for."""

from __future__ import annotations

import json
import subprocess
import sys

import nibabel as nib
import numpy as np
import pytest

from tests.conftest import BUNDLES, bundle_command, bundle_inference, run_bundle, snapshot, write_dicom_series
from tests.reliability.conftest import last_line, results


def test_same_stem_inputs_stop_before_any_inference(case, tmp_path):
    data, out = tmp_path / "in", tmp_path / "out"
    first, second = (case.write_input(data / f"scan{suffix}", i) for i, suffix in enumerate(case.input_suffixes[:2]))
    proc = bundle_inference(case.name, data, out, check=False)
    assert proc.returncode != 0
    line = last_line(proc)
    assert line.startswith("error: OutputPlanError") and first.name in line and second.name in line, line
    assert results(out) == []


def test_patient_subfolders_keep_their_names(case, tmp_path):
    data, out = tmp_path / "in", tmp_path / "out"
    suffix = case.input_suffixes[0]
    for i, patient in enumerate(("p1", "p2")):
        case.write_input(data / patient / f"image{suffix}", i)
    key = "kspace" if case.name == "modl_recon" else "image"
    datalist = tmp_path / "list.json"
    datalist.write_text(json.dumps({"test": [{key: f"p{i}/image{suffix}"} for i in (1, 2)]}))
    bundle_inference(case.name, data, out, extra=["--datalist", str(datalist)])
    assert results(out) == [f"p1/image_{case.postfix}.nii.gz", f"p2/image_{case.postfix}.nii.gz"]
    a, b = (nib.load(out / p / f"image_{case.postfix}.nii.gz").get_fdata() for p in ("p1", "p2"))
    assert not np.allclose(a, b)  # two results, not one written twice


def test_two_runs_into_one_folder_never_replace_each_other(case, tmp_path):
    data, out = tmp_path / "in", tmp_path / "out"
    for i in range(2):
        case.write_input(data / f"img{i}{case.input_suffixes[0]}", i)
    args = bundle_command(
        "run",
        config_file=BUNDLES / case.name / "configs" / "inference.json",
        bundle_root=BUNDLES / case.name,
        dataset_dir=data,
        output_dir=out,
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    procs = [(run.wait(timeout=600), *run.communicate()) for run in runs]
    codes = sorted(code for code, _, _ in procs)
    assert codes[0] == 0 and codes[1] != 0, [p[2][-2000:] for p in procs]  # one wins, the other stops
    loser = next(err for code, _, err in procs if code != 0)
    assert "already holds" in loser or "created by something else during this run" in loser, loser[-2000:]
    assert results(out) == [f"img0_{case.postfix}.nii.gz", f"img1_{case.postfix}.nii.gz"]
    for name in results(out):
        assert np.isfinite(nib.load(out / name).get_fdata()).all()


def test_stale_temporaries_are_removed_and_never_counted(case, tmp_path):
    data, out = tmp_path / "in", tmp_path / "out"
    case.write_input(data / f"img{case.input_suffixes[0]}", 0)
    out.mkdir()
    stale = out / f".tmp-999999999-img_{case.postfix}.nii.gz"  # a killed run's leftover (no such process)
    stale.write_bytes(b"")
    bundle_inference(case.name, data, out)
    assert not stale.exists()
    assert results(out) == [f"img_{case.postfix}.nii.gz"]
    assert not [p for p in out.rglob(".tmp-*")]


def test_unwritable_output_folder_fails_before_inference(case, tmp_path):
    data = tmp_path / "in"
    case.write_input(data / f"img{case.input_suffixes[0]}", 0)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    args = bundle_command(
        "run",
        config_file=BUNDLES / case.name / "configs" / "inference.json",
        bundle_root=BUNDLES / case.name,
        dataset_dir=data,
        output_dir=blocker / "out",
    )
    proc = run_bundle(args, cwd=tmp_path, check=False)
    assert proc.returncode != 0
    assert last_line(proc).startswith("error: PermissionError: output_dir") and "not writable" in last_line(proc)
    assert "Epoch[1]" not in proc.stdout + proc.stderr  # stopped before the evaluator ran


# ---- geometry and intensities (image-to-image bundles)


@pytest.mark.parametrize(
    "name, array, affine",
    [
        ("wide.png", (np.arange(60 * 100).reshape(60, 100) % 251).astype(np.uint8), None),
        (
            "one_slice.nii.gz",
            np.linspace(0, 1000, 64 * 64).reshape(64, 64, 1).astype(np.float32),
            np.diag([0.7, 0.8, 3.0, 1.0]),
        ),
        ("tiny.nii.gz", np.full((1, 1), 500.0, np.float32), np.diag([2.0, 2.0, 1.0, 1.0])),
        ("rows.npy", np.linspace(0, 1, 30 * 50).reshape(30, 50).astype(np.float32), None),
    ],
)
def test_output_keeps_the_input_shape_and_geometry(image_case, name, array, affine, tmp_path):
    from PIL import Image

    data, out = tmp_path / "in", tmp_path / "out"
    data.mkdir()
    path = data / name
    if name.endswith(".png"):
        Image.fromarray(array).save(path)
    elif name.endswith(".npy"):
        np.save(path, array)
    else:
        nib.save(nib.Nifti1Image(array, affine), path)
    bundle_inference(image_case.name, data, out)
    stem = name.split(".")[0]
    restored = nib.load(out / f"{stem}_restored.nii.gz")
    assert restored.shape == array.shape
    assert restored.get_data_dtype() == np.float32
    if affine is not None:
        np.testing.assert_allclose(restored.affine, affine, atol=1e-6)
        assert restored.header.get_zooms() == nib.load(path).header.get_zooms()


def test_intensities_outside_the_window_are_passed_through(image_case, tmp_path):
    data, out = tmp_path / "in", tmp_path / "out"
    arr = np.random.default_rng(0).normal(500, 20, (48, 48)).astype(np.float32)
    arr[10, 10], arr[30, 5], arr[2, 40] = 4000.0, -900.0, 2500.0  # far outside the window [0, 1000]
    data.mkdir()
    nib.save(nib.Nifti1Image(arr, np.eye(4)), data / "img.nii.gz")
    bundle_inference(
        image_case.name, data, out, extra=["--intensity_window", "[0, 1000]", "--passthrough_out_of_window", "true"]
    )
    restored = nib.load(out / "img_restored.nii.gz").get_fdata()
    for idx in ((10, 10), (30, 5), (2, 40)):
        assert restored[idx] == pytest.approx(arr[idx], rel=1e-5), idx
    inside = np.ones_like(arr, bool)
    inside[10, 10] = inside[30, 5] = inside[2, 40] = False
    assert 0 <= restored[inside].min() and restored[inside].max() <= 1000  # restored inside the window
    assert restored[inside].std() < arr[inside].std()  # and denoised there


def test_dicom_folder_with_two_series_is_not_silently_reduced(image_case, tmp_path):
    import pydicom
    from pydicom.uid import generate_uid

    data, out = tmp_path / "in", tmp_path / "out"
    folder = write_dicom_series(data / "mixed", num_slices=2)
    second = pydicom.dcmread(folder / "slice01.dcm")
    second.SeriesInstanceUID, second.SeriesDescription = generate_uid(), "second series"
    second.save_as(folder / "slice01.dcm")
    before = snapshot(data)
    proc = bundle_inference(image_case.name, data, out, check=False)
    assert proc.returncode != 0
    line = last_line(proc)
    assert "mixed" in line and "2 DICOM series" in line and "second series" in line, line
    assert results(out) == [] and snapshot(data) == before

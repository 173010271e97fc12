"""medrestore.deploy.app end to end (subprocess, CPU): NIfTI and DICOM series in, float32 NIfTI and a
derived DICOM series out, equal to the bundle's own ``inference.json`` run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut

from medrestore.data import TASKS
from tests.conftest import BUNDLES, bundle_inference, run_python, save_nifti, write_dicom_series

FINISHED = {"dran_denoise": 1, "dae_denoise": 1, "srgan_sr": 2}  # bundle -> output size / input size


def _app(python: str, bundle: str, inputs: Path, out: Path, model: Path | None = None, check: bool = True):
    model = model or BUNDLES / bundle / "models" / "model.ts"
    return run_python(
        python,
        ["-m", "medrestore.deploy.app", "-i", str(inputs), "-o", str(out), "-m", str(model)],
        cwd=out.parent,
        check=check,
    )


def _sine_image(noise: float = 0.0) -> np.ndarray:
    """A 100 x 90 smooth test image around 400 (+ seeded Gaussian noise of std ``noise``), float32."""
    y, x = np.mgrid[:100, :90]
    arr = (400 + 300 * np.sin(x / 9.0) * np.cos(y / 13.0)).astype(np.float32)
    return arr + np.random.default_rng(0).normal(0, noise, arr.shape).astype(np.float32) if noise else arr


@pytest.mark.parametrize("bundle, scale", FINISHED.items())
def test_nifti_in_float32_nifti_out_equal_to_the_bundle(deploy_python, bundle, scale, tmp_path):
    inputs = tmp_path / "in"
    arr = _sine_image(noise=40.0)
    save_nifti(inputs / "a.nii.gz", arr, np.diag([0.8, 0.7, 1, 1]))
    _app(deploy_python, bundle, inputs / "a.nii.gz", tmp_path / "app")
    bundle_inference(bundle, inputs, tmp_path / "bundle")
    app, ref = nib.load(tmp_path / "app" / "a_restored.nii.gz"), nib.load(tmp_path / "bundle" / "a_restored.nii.gz")
    assert app.get_data_dtype() == np.float32 and app.shape == (100 * scale, 90 * scale)
    assert np.allclose(app.affine, ref.affine)
    assert np.allclose(np.diag(app.affine)[:2], [0.8 / scale, 0.7 / scale])
    # model.ts (app) vs model.pt (bundle): same weights, float32 rounding only
    np.testing.assert_allclose(app.get_fdata(), ref.get_fdata(), atol=1e-4 * np.ptp(arr))
    assert np.ptp(app.get_fdata()) > 100  # in the input's units, not a uint8 or [0, 1] image


@pytest.mark.parametrize("model, task", [("model.ts", "t1_t2"), ("model_t1_pd.ts", "t1_pd")])
def test_contrast_translation_writes_a_synthetic_image_equal_to_the_bundle(deploy_python, model, task, tmp_path):
    """cyclegan_translate's TorchScript files through the app: a synthetic contrast on [0, 1] named as the
    bundle names it (not "restored"), the input geometry, the same values as the bundle's inference.json."""
    target = TASKS[task][1].lower()
    inputs = tmp_path / "in"
    arr = _sine_image()
    save_nifti(inputs / "a.nii.gz", arr, np.diag([0.8, 0.7, 1, 1]))
    bundle = BUNDLES / "cyclegan_translate"
    _app(deploy_python, "cyclegan_translate", inputs / "a.nii.gz", tmp_path / "app", model=bundle / "models" / model)
    bundle_inference("cyclegan_translate", inputs, tmp_path / "bundle", extra=["--task", task, "--cycle", "false"])
    name = f"a_synthetic_{target}.nii.gz"
    assert sorted(p.name for p in (tmp_path / "app").glob("*.nii.gz")) == [name]
    app, ref = nib.load(tmp_path / "app" / name), nib.load(tmp_path / "bundle" / name)
    assert app.get_data_dtype() == np.float32 and app.shape == arr.shape and np.allclose(app.affine, ref.affine)
    np.testing.assert_allclose(app.get_fdata(), ref.get_fdata(), atol=1e-4)
    assert 0 <= app.get_fdata().min() and app.get_fdata().max() <= 1 and np.ptp(app.get_fdata()) > 0.1


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> Path:
    """Three CT slices with different content (+200 HU per slice), one series."""
    folder = write_dicom_series(tmp_path_factory.mktemp("dicom") / "ct_series", num_slices=3)
    for i, path in enumerate(sorted(folder.glob("*.dcm"))):
        ds = pydicom.dcmread(path)
        ds.PixelData = (ds.pixel_array.astype(np.int32) + 200 * i).astype(ds.pixel_array.dtype).tobytes()
        ds.save_as(path)
    return folder


def test_dicom_series_in_derived_series_out(deploy_python, series, tmp_path):
    before = {p.name: p.read_bytes() for p in series.iterdir()}
    _app(deploy_python, "dae_denoise", series, tmp_path / "app")
    assert {p.name: p.read_bytes() for p in series.iterdir()} == before, "the input series was modified"
    dataset = tmp_path / "ds"
    dataset.mkdir()
    shutil.copytree(series, dataset / "ct_series")
    bundle_inference("dae_denoise", dataset, tmp_path / "bundle")
    app = nib.load(tmp_path / "app" / "ct_series_restored.nii.gz").get_fdata()
    np.testing.assert_allclose(app, nib.load(tmp_path / "bundle" / "ct_series_restored.nii.gz").get_fdata(), atol=0.05)

    sources = sorted(series.glob("*.dcm"), key=lambda p: float(pydicom.dcmread(p).ImagePositionPatient[2]))
    written = sorted((tmp_path / "app" / "ct_series_restored_dicom").glob("*.dcm"))
    assert len(written) == 3
    version = json.loads((BUNDLES / "dae_denoise" / "configs" / "metadata.json").read_text())["version"]
    uids = set()
    for k, (out_path, src_path) in enumerate(zip(written, sources)):
        out, src = pydicom.dcmread(out_path), pydicom.dcmread(src_path)
        assert out.StudyInstanceUID == src.StudyInstanceUID and out.PatientID == src.PatientID
        assert out.SeriesInstanceUID != src.SeriesInstanceUID and out.SOPInstanceUID != src.SOPInstanceUID
        assert list(out.ImageType[:2]) == ["DERIVED", "SECONDARY"]
        assert out.SeriesDescription.startswith(f"restored by dae_denoise {version}")
        assert out.ImagePositionPatient == src.ImagePositionPatient
        hu = apply_modality_lut(out.pixel_array, out)
        np.testing.assert_allclose(hu, app[:, :, k].T, atol=0.5 * float(out.RescaleSlope) + 1e-3)  # integer storage
        uids.add(out.SeriesInstanceUID)
    assert len(uids) == 1
    # slice order kept: each restored slice follows its source's +200 HU step
    means = [apply_modality_lut(pydicom.dcmread(p).pixel_array, pydicom.dcmread(p)).mean() for p in written]
    assert means[0] < means[1] < means[2]


@pytest.mark.parametrize("model, scale", [("model.ts", 2), ("model_x4.ts", 4)])
def test_super_resolved_dicom_series_has_the_finer_grid_of_the_same_field_of_view(
    deploy_python, series, model, scale, tmp_path
):
    _app(deploy_python, "srgan_sr", series, tmp_path / "app", model=BUNDLES / "srgan_sr" / "models" / model)
    nifti = nib.load(tmp_path / "app" / "ct_series_restored.nii.gz")
    assert nifti.shape == (128 * scale, 128 * scale, 3)
    sources = sorted(series.glob("*.dcm"), key=lambda p: float(pydicom.dcmread(p).ImagePositionPatient[2]))
    written = sorted((tmp_path / "app" / "ct_series_restored_dicom").glob("*.dcm"))
    assert len(written) == 3
    for k, (out_path, src_path) in enumerate(zip(written, sources)):
        out, src = pydicom.dcmread(out_path), pydicom.dcmread(src_path)
        assert (out.Rows, out.Columns) == (scale * src.Rows, scale * src.Columns)
        assert [float(v) for v in out.PixelSpacing] == pytest.approx([float(v) / scale for v in src.PixelSpacing])
        half = [0.5 * float(v) for v in src.PixelSpacing]  # the corner of the first pixel stays in place
        corner_src = np.asarray(src.ImagePositionPatient, float) - [half[1], half[0], 0.0]
        half_out = [0.5 * float(v) for v in out.PixelSpacing]
        corner_out = np.asarray(out.ImagePositionPatient, float) - [half_out[1], half_out[0], 0.0]
        np.testing.assert_allclose(corner_out, corner_src, atol=1e-4)  # axial source: rows along y, columns along x
        hu = apply_modality_lut(out.pixel_array, out)
        np.testing.assert_allclose(hu, nifti.get_fdata()[:, :, k].T, atol=0.5 * float(out.RescaleSlope) + 1e-3)


def test_tampered_model_ts_is_refused(deploy_python, tmp_path):
    bundle = tmp_path / "dae_denoise"
    (bundle / "models").mkdir(parents=True)
    shutil.copy(BUNDLES / "dae_denoise" / "large_files.yml", bundle / "large_files.yml")
    data = bytearray((BUNDLES / "dae_denoise" / "models" / "model.ts").read_bytes())
    (bundle / "models" / "model.ts").write_bytes(bytes(data) + b"\0")
    inputs = tmp_path / "in"
    save_nifti(inputs / "a.nii.gz", np.ones((16, 16), np.float32))
    proc = _app(
        deploy_python, "dae_denoise", inputs, tmp_path / "out", model=bundle / "models" / "model.ts", check=False
    )
    assert proc.returncode != 0
    assert "model.ts: SHA-256" in proc.stdout + proc.stderr
    assert not (tmp_path / "out" / "a_restored.nii.gz").exists()


@pytest.mark.parametrize("model, fast", [("model.ts", "false"), ("model_fast.ts", "true")])
def test_kspace_in_magnitude_out_equal_to_the_bundle(deploy_python, model, fast, tmp_path):
    """modl_recon in the Deploy app: k-space files (HDF5 with a mask and maps, a two-slice HDF5 without
    maps, NumPy) -> one magnitude NIfTI per slice, equal to the bundle's own inference.json (``model_fast.ts``:
    equal to ``--fast true``)."""
    from tests.bundles.test_modl_recon import kspace_files

    inputs = kspace_files(tmp_path / "in")
    for name in ("bundle.npz", "coils.nii.gz"):
        (inputs / name).unlink()
    before = {p.name: p.read_bytes() for p in inputs.iterdir()}
    _app(deploy_python, "modl_recon", inputs, tmp_path / "app", model=BUNDLES / "modl_recon" / "models" / model)
    bundle_inference("modl_recon", inputs, tmp_path / "bundle", extra=["--fast", fast])
    names = sorted(p.name for p in (tmp_path / "bundle").iterdir())
    assert names == [
        "array_recon.nii.gz",
        "single_recon.nii.gz",
        "volume_slice000_recon.nii.gz",
        "volume_slice001_recon.nii.gz",
    ]
    assert sorted(p.name for p in (tmp_path / "app").iterdir()) == names
    for name in names:
        app, ref = nib.load(tmp_path / "app" / name), nib.load(tmp_path / "bundle" / name)
        assert app.get_data_dtype() == np.float32 and app.shape == ref.shape
        np.testing.assert_allclose(app.get_fdata(), ref.get_fdata(), atol=1e-4 * ref.get_fdata().max())
    assert {p.name: p.read_bytes() for p in inputs.iterdir()} == before

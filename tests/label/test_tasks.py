"""RestorationInferTask (MONAI Label) called on small images in the Label environment: the restored
float32 image with the input's geometry, equal to the bundle's own inference, no label fields."""

from __future__ import annotations

import json
import shutil

import nibabel as nib
import numpy as np
import pytest

from medrestore.transforms import upscaled_affine
from tests.conftest import BUNDLES, bundle_inference, run_python, save_nifti

CALL = """
import json, sys
from medrestore.label.tasks import RestorationInferTask
task = RestorationInferTask(sys.argv[1])
assert task.is_valid()
result_file, result = task({"image": sys.argv[2], "device": "cpu"})
print("RESULT", json.dumps({"file": result_file, "keys": sorted(result), "type": str(task.type)}))
"""


def _call(python: str, bundle, image, cwd, check: bool = True):
    proc = run_python(python, ["-c", CALL, str(bundle), str(image)], cwd=cwd, check=check)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    return proc, (json.loads(line[7:]) if line else None)


@pytest.mark.parametrize(
    "bundle, shape, scale",
    [
        ("dran_denoise", (70, 52), 1),
        ("dae_denoise", (70, 52), 1),
        ("dae_denoise", (40, 36, 3), 1),
        ("srgan_sr", (35, 26, 2), 2),  # super-resolution: a larger output, in-plane, slice by slice
    ],
)
def test_task_returns_the_restored_float_image(label_python, bundle, shape, scale, tmp_path):
    inputs = tmp_path / "in"
    arr = (np.random.default_rng(1).random(shape) * 300 + 100).astype(np.float32)
    affine = np.diag([0.9, 0.8, 2.5, 1.0])
    save_nifti(inputs / "a.nii.gz", arr, affine)
    _, result = _call(label_python, BUNDLES / bundle, inputs / "a.nii.gz", tmp_path)
    assert result["type"] == "restoration"
    assert not {"label_names", "centroids"} & set(result["keys"])
    restored = nib.load(result["file"])
    expected = (shape[0] * scale, shape[1] * scale, *shape[2:])
    assert restored.shape == expected and restored.get_data_dtype() == np.float32  # channel squeezed, float kept
    np.testing.assert_allclose(restored.affine, upscaled_affine(affine, [scale, scale, 1]), atol=1e-6)
    bundle_inference(bundle, inputs, tmp_path / "ref")
    reference = nib.load(tmp_path / "ref" / "a_restored.nii.gz").get_fdata()
    np.testing.assert_allclose(restored.get_fdata(), reference, atol=1e-4 * np.ptp(arr))  # model.ts vs model.pt


def test_tampered_model_ts_is_refused(label_python, tmp_path):
    bundle = tmp_path / "dae_denoise"
    shutil.copytree(BUNDLES / "dae_denoise", bundle, ignore=shutil.ignore_patterns("eval"))
    with open(bundle / "models" / "model.ts", "ab") as f:
        f.write(b"\0")
    save_nifti(tmp_path / "a.nii.gz", np.ones((16, 16), np.float32))
    proc, result = _call(label_python, bundle, tmp_path / "a.nii.gz", tmp_path, check=False)
    assert proc.returncode != 0 and result is None
    assert "model.ts: SHA-256" in proc.stderr


def test_label_environment_pins(label_python, tmp_path):
    """requirements-label.txt: pydicom 2 (pydicom-seg), our numpy and the CPU torch (--no-deps kept them)."""
    pins = run_python(
        label_python,
        ["-c", "import pydicom, numpy, torch; print(pydicom.__version__, numpy.__version__, torch.__version__)"],
        cwd=tmp_path,
    )
    assert pins.stdout.split() == ["2.4.4", "2.4.6", "2.13.0+cpu"]

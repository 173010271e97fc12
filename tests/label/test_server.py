"""A real MONAI Label server (``monailabel start_server`` with medrestore's app on 127.0.0.1) in the
Label environment: its REST inference endpoint returns, for every image-to-image bundle, the float
image the bundle's own inference writes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medrestore.label.bundles import available_bundles
from tests.conftest import BUNDLES, REPO, bundle_inference, save_nifti

IMAGE_BUNDLES = sorted(available_bundles())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(label_python, tmp_path_factory):
    """``monailabel start_server`` serving every image-to-image bundle; yields (url, studies folder)."""
    studies = tmp_path_factory.mktemp("studies")
    rng = np.random.default_rng(0)
    save_nifti(studies / "img.nii.gz", (rng.random((64, 52)) * 800 + 100).astype(np.float32), np.diag([0.8, 0.9, 1, 1]))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{Path(label_python).parent}{os.pathsep}{env.get('PATH', '')}"
    log = open(tmp_path_factory.mktemp("log") / "server.log", "w")  # noqa: SIM115 - closed below
    command = [
        label_python, "-m", "monailabel.main", "start_server", "--app", str(REPO / "shared" / "src" / "medrestore" / "label"),
        "--studies", str(studies), "--host", "127.0.0.1", "--port", str(port), "--conf", "bundles", ",".join(IMAGE_BUNDLES),
    ]  # fmt: skip
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=studies)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(180):
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{url}/info/", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail(f"MONAI Label server did not start in 180 s: {Path(log.name).read_text()[-3000:]}")
        assert proc.poll() is None, f"server exited: {Path(log.name).read_text()[-3000:]}"
        yield url, studies
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _infer(url: str, model: str, image: str) -> bytes:
    boundary = uuid.uuid4().hex
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="params"\r\n\r\n{{}}\r\n--{boundary}--\r\n'.encode()
    request = urllib.request.Request(
        f"{url}/infer/{model}?image={image}&output=image",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=300) as reply:
        assert reply.status == 200
        return reply.read()


@pytest.mark.parametrize("bundle", IMAGE_BUNDLES)
def test_rest_inference_returns_the_bundles_own_result(server, bundle, tmp_path):
    url, studies = server
    returned = tmp_path / "returned.nii.gz"
    returned.write_bytes(_infer(url, bundle, "img"))
    result = nib.load(returned)
    expected_dir = tmp_path / "bundle"
    bundle_inference(bundle, studies, expected_dir)
    (written,) = expected_dir.glob("img_*.nii.gz")  # img_restored, or img_synthetic_t2 for the translation
    expected = nib.load(written)
    scale = json.loads((BUNDLES / bundle / "configs" / "inference.json").read_text()).get("scale", 1)  # SR: larger
    assert result.get_data_dtype() == np.float32 and result.shape == expected.shape == (64 * scale, 52 * scale)
    np.testing.assert_allclose(result.affine, expected.affine, atol=1e-6)
    value_range = float(np.ptp(expected.get_fdata()))
    np.testing.assert_allclose(result.get_fdata(), expected.get_fdata(), atol=1e-4 * value_range)

"""MLflow tracking of dran_denoise with a real tracking server, and an unreachable server that fails
before training starts (the default local SQLite store is tested for every bundle in the suite)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.bundles.restoration_suite import check_tracked_run, train_args
from tests.bundles.test_dran_denoise import DRAN_SPEC as SPEC
from tests.conftest import run_bundle

TRACKING = str(SPEC.configs / "mlflow_tracking.json")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path):
    port = _free_port()
    store = tmp_path / "server"
    store.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{store / 'mlflow.db'}",
            "--artifacts-destination",
            str(store / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"},
    )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(uri + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("mlflow server did not start within 120 s")
    yield uri
    proc.terminate()
    proc.wait(timeout=30)


def test_tracking_server(tiny_dataset, tmp_path, mlflow_server):
    from mlflow import MlflowClient

    out = tmp_path / "run"
    run_bundle(
        [
            *train_args(SPEC, tiny_dataset, out),
            "--tracking",
            TRACKING,
            "--tracking_uri",
            mlflow_server,
            "--experiment_name",
            "server_test",
        ],
        cwd=tmp_path,
        env={"MLFLOW_TRACKING_URI": None},
    )
    assert not (out / "mlruns.db").exists()
    check_tracked_run(SPEC, MlflowClient(mlflow_server), "server_test")


def test_unreachable_server_fails_before_training(tiny_dataset, tmp_path):
    out = tmp_path / "run"
    uri = f"http://127.0.0.1:{_free_port()}"
    proc = run_bundle(
        [*train_args(SPEC, tiny_dataset, out), "--tracking", TRACKING, "--tracking_uri", uri],
        cwd=tmp_path,
        check=False,
        env={"MLFLOW_TRACKING_URI": None},
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"MLflow tracking server {uri} is unreachable" in text
    assert "Epoch: 1/1" not in text and not (out / "checkpoints").exists()

"""MLflow tracking of dran_denoise: the default local SQLite store, a real tracking server, and an
unreachable server that fails before training starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.bundles.test_dran_denoise import CONFIGS, train_args
from tests.conftest import run_bundle

TRACKING = str(CONFIGS / "mlflow_tracking.json")
EXPERIMENT = "DRAN denoising (CT, MR, X-ray)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check_run(client, experiment: str):
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None, f"experiment {experiment!r} not found"
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    params = run.data.params
    for name in (
        "channels",
        "num_blocks",
        "noise_sigma",
        "learning_rate",
        "images_per_batch",
        "patch_size",
        "epochs",
        "seed",
    ):
        assert name in params, f"param {name} not logged"
    assert params["channels"] == "8" and params["epochs"] == "1"
    history = client.get_metric_history(run.info.run_id, "val_psnr")
    assert len(history) == 1 and 0 < history[0].value < 100
    assert {"train_loss", "lr_group_0", "val_ssim"} <= set(run.data.metrics)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert "validation_comparison.png" in artifacts and any(a.startswith("config_") for a in artifacts)


def test_default_local_sqlite_store(tiny_dataset, tmp_path):
    from mlflow import MlflowClient

    out = tmp_path / "run"
    run_bundle(
        [*train_args(tiny_dataset, out), "--tracking", TRACKING], cwd=tmp_path, env={"MLFLOW_TRACKING_URI": None}
    )
    assert (out / "mlruns.db").is_file()
    _check_run(MlflowClient(f"sqlite:///{out / 'mlruns.db'}"), EXPERIMENT)


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
            *train_args(tiny_dataset, out),
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
    _check_run(MlflowClient(mlflow_server), "server_test")


def test_unreachable_server_fails_before_training(tiny_dataset, tmp_path):
    out = tmp_path / "run"
    uri = f"http://127.0.0.1:{_free_port()}"
    proc = run_bundle(
        [*train_args(tiny_dataset, out), "--tracking", TRACKING, "--tracking_uri", uri],
        cwd=tmp_path,
        check=False,
        env={"MLFLOW_TRACKING_URI": None},
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"MLflow tracking server {uri} is unreachable" in text
    assert "Epoch: 1/1" not in text and not (out / "checkpoints").exists()

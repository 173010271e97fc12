"""The MONAI Deploy App SDK lives in its own environment (requirements-deploy.txt); these tests run
it in subprocesses with that environment's Python."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

DEPLOY_PYTHON = Path(os.environ.get("MEDRESTORE_DEPLOY_PYTHON", REPO / ".venv-deploy" / "bin" / "python"))


@pytest.fixture(scope="session")
def deploy_python() -> str:
    if not DEPLOY_PYTHON.is_file():
        pytest.skip(
            f"{DEPLOY_PYTHON} not found: create the MONAI Deploy environment with `python3 -m venv .venv-deploy && "
            ".venv-deploy/bin/pip install -r requirements-deploy.txt` (CI does), or set MEDRESTORE_DEPLOY_PYTHON"
        )
    return str(DEPLOY_PYTHON)


def run_deploy(
    python: str, args: list[str], cwd, check: bool = True, timeout: int = 300
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run([python, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        )
    return proc

"""The MONAI Deploy App SDK lives in its own environment (requirements-deploy.txt); these tests run
it in subprocesses with that environment's Python."""

import pytest

from tests.conftest import environment_python


@pytest.fixture(scope="session")
def deploy_python() -> str:
    return environment_python(".venv-deploy", "MEDRESTORE_DEPLOY_PYTHON", "pip install -r requirements-deploy.txt")

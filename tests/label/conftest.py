"""MONAI Label lives in its own environment (requirements-label.txt, then monailabel with --no-deps);
these tests run it in subprocesses with that environment's Python."""

import pytest

from tests.conftest import environment_python


@pytest.fixture(scope="session")
def label_python() -> str:
    return environment_python(
        ".venv-label",
        "MEDRESTORE_LABEL_PYTHON",
        "pip install -r requirements-label.txt && pip install --no-deps -r requirements-label-nodeps.txt",
    )

"""Experiment tracking: an MLflow handler that checks the tracking server before training starts."""

from __future__ import annotations

import os
import urllib.error
import urllib.request

from monai.handlers import MLFlowHandler

__all__ = ["CheckedMLFlowHandler", "check_tracking_uri"]


def check_tracking_uri(tracking_uri: str | None, timeout: float = 5.0) -> str | None:
    """Fail fast on a tracking URI MLflow cannot use; returns the effective URI.

    ``MLFLOW_TRACKING_URI`` in the environment wins over the argument, as in MLflow. An ``http(s)``
    server must answer ``GET /health`` within ``timeout`` seconds; ``file://`` stores and plain
    paths are rejected (MLflow >= 3.13 no longer supports them); ``sqlite:///`` needs no check.

    Raises:
        ConnectionError: the server is unreachable.
        ValueError: the URI names a file store.
    """
    uri = os.environ.get("MLFLOW_TRACKING_URI") or tracking_uri
    if not uri:
        return uri
    if uri.startswith(("http://", "https://")):
        url = uri.rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - user-given tracking server
                if response.status != 200:
                    raise ConnectionError(f"answered HTTP {response.status}")
        except (OSError, urllib.error.URLError, ConnectionError) as err:
            raise ConnectionError(
                f"MLflow tracking server {uri} is unreachable ({err}); nothing was trained. Start it, e.g. "
                "`mlflow server --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000`, "
                "or leave --tracking_uri out to log to the local SQLite store under the bundle's eval/."
            ) from err
    elif uri.startswith("file:") or "://" not in uri:
        raise ValueError(
            f"tracking URI {uri!r} is a file store, which MLflow >= 3.13 rejects; use sqlite:///<path>/mlruns.db or a server URI."
        )
    return uri


class CheckedMLFlowHandler(MLFlowHandler):
    """``monai.handlers.MLFlowHandler`` that runs :func:`check_tracking_uri` when it is built, i.e.
    while the bundle assembles its trainer, before the first iteration."""

    def __init__(self, tracking_uri: str | None = None, **kwargs) -> None:
        check_tracking_uri(tracking_uri)
        super().__init__(tracking_uri=tracking_uri, **kwargs)

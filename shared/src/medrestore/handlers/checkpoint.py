"""Checkpoint loading that explains a wrong file instead of dumping a state-dict diff."""

from __future__ import annotations

import os

from ignite.engine import Engine
from monai.handlers import CheckpointLoader as MonaiCheckpointLoader

from medrestore.packaging import verify_file

__all__ = ["CheckpointLoader"]


class CheckpointLoader(MonaiCheckpointLoader):
    """``monai.handlers.CheckpointLoader`` with clear errors: a missing file, weights that do not
    fit the configured network (another architecture or size), or shipped weights whose SHA-256 does
    not match ``hashes_file`` (the bundle's ``large_files.yml``) name the file and the cause.

    Args:
        hashes_file: ``large_files.yml`` to check ``load_path`` against when it is listed there
            (a user's own checkpoint is not listed and is not checked). None: no check.
    """

    def __init__(self, load_path: str, load_dict: dict, hashes_file: str | None = None, **kwargs) -> None:
        self.hashes_file = hashes_file
        super().__init__(load_path, load_dict, **kwargs)

    def __call__(self, engine: Engine) -> None:
        # checked when loading, not when the config is parsed: --load_pretrain false needs no file
        if not os.path.isfile(self.load_path):
            raise FileNotFoundError(
                f"checkpoint {self.load_path} does not exist; train the bundle or point the config at a model.pt "
                "(--ckpt_path for inference, --ckpt_dir for evaluation)."
            )
        verify_file(self.load_path, self.hashes_file)
        try:
            super().__call__(engine)
        except (RuntimeError, KeyError) as err:
            lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
            detail = "; ".join(lines[1:4]) if len(lines) > 1 else (lines[0] if lines else type(err).__name__)
            raise RuntimeError(
                f"checkpoint {self.load_path} does not fit the network built from network_def "
                f"(was it trained with other channels/blocks/downscale?): {detail[:400]}"
            ) from err

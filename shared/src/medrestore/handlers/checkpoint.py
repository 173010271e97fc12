"""Checkpoint loading that explains a wrong file instead of dumping a state-dict diff."""

from __future__ import annotations

import os

from ignite.engine import Engine
from monai.handlers import CheckpointLoader as MonaiCheckpointLoader

__all__ = ["CheckpointLoader"]


class CheckpointLoader(MonaiCheckpointLoader):
    """``monai.handlers.CheckpointLoader`` with clear errors: a missing file, or weights that do not
    fit the configured network (another architecture or size), name the file and the cause."""

    def __init__(self, load_path: str, load_dict: dict, **kwargs) -> None:
        if not os.path.isfile(load_path):
            raise FileNotFoundError(
                f"checkpoint {load_path} does not exist; train the bundle or pass --ckpt_path <model.pt>."
            )
        super().__init__(load_path, load_dict, **kwargs)

    def __call__(self, engine: Engine) -> None:
        try:
            super().__call__(engine)
        except (RuntimeError, KeyError) as err:
            lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
            detail = "; ".join(lines[1:4]) if len(lines) > 1 else (lines[0] if lines else type(err).__name__)
            raise RuntimeError(
                f"checkpoint {self.load_path} does not fit the network built from network_def "
                f"(was it trained with other channels/blocks/downscale?): {detail[:400]}"
            ) from err

"""Save the full training state every epoch and resume an interrupted run from it."""

from __future__ import annotations

import glob
import logging
import os
import re

import torch
from ignite.engine import Engine, Events
from monai.handlers import CheckpointSaver

__all__ = ["ResumableCheckpoint", "latest_checkpoint"]

_EPOCH = re.compile(r"epoch=(\d+)")


def latest_checkpoint(folder: str) -> str | None:
    """Path of the ``*epoch=N.pt`` file with the largest ``N`` in ``folder``, or None."""
    found = []
    for path in glob.glob(os.path.join(folder, "*epoch=*.pt")):
        match = _EPOCH.search(os.path.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return max(found)[1] if found else None


class ResumableCheckpoint:
    """Interval checkpoints of the whole training state, and resumption from the newest one.

    On ``attach(trainer)`` the trainer itself is added to ``save_dict`` (so its epoch and iteration
    counters are saved; a config cannot reference the trainer from its own handler list), a
    ``monai.handlers.CheckpointSaver`` writes ``folder/checkpoint_epoch=N.pt`` every ``save_interval``
    epochs (keeping the newest only), and at ``STARTED`` the newest checkpoint, if any, is loaded
    into network, optimizer, scheduler and trainer, so the run continues from the saved epoch.

    Args:
        folder: checkpoint folder (e.g. ``eval/checkpoints``).
        save_dict: ``{"network": ..., "optimizer": ..., "lr_scheduler": ...}``.
        resume: load the newest checkpoint at start. False starts from scratch. Defaults to True.
        save_interval: epochs between checkpoints. Defaults to 1.
    """

    def __init__(self, folder: str, save_dict: dict, resume: bool = True, save_interval: int = 1) -> None:
        self.folder, self.save_dict = folder, dict(save_dict)
        self.resume, self.save_interval = resume, save_interval
        self.logger = logging.getLogger(__name__)

    def attach(self, engine: Engine) -> None:
        self.save_dict["trainer"] = engine
        # created on every DDP rank (ignite's DiskSaver sets up a process group); only rank 0 writes
        CheckpointSaver(self.folder, self.save_dict, save_interval=self.save_interval, n_saved=1).attach(engine)
        engine.add_event_handler(Events.STARTED, self.load)

    def load(self, engine: Engine) -> None:
        path = latest_checkpoint(self.folder) if self.resume else None
        if path is None:
            return
        from ignite.handlers import Checkpoint

        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        missing = sorted(set(self.save_dict) - set(checkpoint))
        if missing:
            raise KeyError(
                f"checkpoint {path} lacks {missing}; delete {self.folder} or pass --resume false to start over."
            )
        max_epochs = engine.state.max_epochs
        Checkpoint.load_objects(to_load=self.save_dict, checkpoint=checkpoint)
        if engine.state.epoch > max_epochs:
            raise ValueError(f"checkpoint {path} is at epoch {engine.state.epoch}, beyond --epochs {max_epochs}.")
        engine.state.max_epochs = max_epochs
        msg = f"Resumed from {path} at epoch {engine.state.epoch} (iteration {engine.state.iteration})."
        print(msg, flush=True)
        self.logger.info(msg)

"""Save the full training state every epoch and resume an interrupted run from it; every checkpoint
file is written whole or not at all (a run killed while saving leaves the previous checkpoint)."""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import re

import torch
import torch.distributed as dist
from ignite.engine import Engine, Events
from monai.handlers import CheckpointSaver

from medrestore.config import as_flag
from medrestore.io import atomic_path

__all__ = ["AtomicCheckpointSaver", "ResumableCheckpoint", "config_fingerprint", "latest_checkpoint"]

_EPOCH = re.compile(r"epoch=(\d+)")


def latest_checkpoint(folder: str) -> str | None:
    """Path of the ``*epoch=N.pt`` file with the largest ``N`` in ``folder``, or None."""
    found = []
    for path in glob.glob(os.path.join(folder, "*epoch=*.pt")):
        match = _EPOCH.search(os.path.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return max(found)[1] if found else None


def config_fingerprint(parts: dict) -> dict[str, str]:
    """Short SHA-256 of each part of a training configuration (``{"datalist": [...], "network": ...}``),
    serialised as sorted JSON (other objects by ``str``)."""
    return {
        str(name): hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]
        for name, value in parts.items()
    }


class _Fingerprint:
    """The fingerprint as a checkpoint entry (``state_dict``/``load_state_dict`` for ignite)."""

    def __init__(self, value: dict[str, str]) -> None:
        self.value, self.loaded = value, None

    def state_dict(self) -> dict:
        return dict(self.value)

    def load_state_dict(self, state: dict) -> None:
        self.loaded = dict(state)


class ResumableCheckpoint:
    """Interval checkpoints of the whole training state, and resumption from the newest one.

    On ``attach(trainer)`` the trainer itself is added to ``save_dict`` (so its epoch and iteration
    counters are saved; a config cannot reference the trainer from its own handler list), a
    ``folder/checkpoint_epoch=N.pt`` is written every ``save_interval`` epochs (to a hidden temporary
    file moved into place; the older checkpoint is removed only after that, so a kill at any moment
    leaves one complete checkpoint), and at ``STARTED`` the newest checkpoint, if any, is loaded
    into network, optimizer, scheduler and trainer, so the run continues from the saved epoch.

    Only a checkpoint of the same configuration is resumed: ``fingerprint`` (e.g. the training
    datalist, the network's parameter shapes, the recipe; not the epoch count, so a run can be
    extended) is stored in every checkpoint and compared before loading; a mismatch stops the run
    naming what differs, instead of silently continuing another run's training.

    Args:
        folder: checkpoint folder (e.g. ``eval/checkpoints``).
        save_dict: ``{"network": ..., "optimizer": ..., "lr_scheduler": ...}``.
        resume: load the newest checkpoint at start. False starts from scratch and removes the
            folder's old checkpoints (so a later resume cannot pick them up). Defaults to True.
        save_interval: epochs between checkpoints. Defaults to 1.
        fingerprint: ``{name: JSON-able value}`` describing the configuration (:func:`config_fingerprint`).
    """

    def __init__(
        self,
        folder: str,
        save_dict: dict,
        resume: bool = True,
        save_interval: int = 1,
        fingerprint: dict | None = None,
    ) -> None:
        self.folder, self.save_dict = folder, dict(save_dict)
        self.resume, self.save_interval = as_flag(resume, "resume"), save_interval
        self.fingerprint = _Fingerprint(config_fingerprint(fingerprint or {}))
        self.save_dict["fingerprint"] = self.fingerprint
        self.logger = logging.getLogger(__name__)

    def attach(self, engine: Engine) -> None:
        self.save_dict["trainer"] = engine
        engine.add_event_handler(Events.EPOCH_COMPLETED(every=self.save_interval), self.save)
        engine.add_event_handler(Events.STARTED, self.load)

    def save(self, engine: Engine) -> str | None:
        """Write ``checkpoint_epoch=<epoch>.pt`` whole (rank 0 only), then remove the older ones; the path."""
        if dist.is_initialized() and dist.get_rank() != 0:
            return None
        state = {}
        for name, obj in self.save_dict.items():
            obj = (
                obj.module
                if isinstance(obj, torch.nn.parallel.DistributedDataParallel | torch.nn.DataParallel)
                else obj
            )
            state[name] = obj.state_dict()
        path = os.path.join(self.folder, f"checkpoint_epoch={engine.state.epoch}.pt")
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
        for old in glob.glob(os.path.join(glob.escape(self.folder), "*epoch=*.pt")):
            if os.path.abspath(old) != os.path.abspath(path):
                os.remove(old)
        return path

    def load(self, engine: Engine) -> None:
        if not self.resume:
            stale = glob.glob(os.path.join(glob.escape(self.folder), "*epoch=*.pt"))
            if stale and (not dist.is_initialized() or dist.get_rank() == 0):
                for old in stale:
                    os.remove(old)
                self.logger.warning("--resume false: removed %d old checkpoint(s) in %s", len(stale), self.folder)
            return
        path = latest_checkpoint(self.folder)
        if path is None:
            return
        from ignite.handlers import Checkpoint

        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as err:  # noqa: BLE001 - re-raised naming the file and the way out
            raise RuntimeError(
                f"checkpoint {path} cannot be read ({type(err).__name__}: {err}); it was not written by this "
                "version's atomic saver or was damaged on disk. Choose another --output_dir, or pass --resume "
                "false to start over in this one (its checkpoints are removed)."
            ) from err
        missing = sorted(set(self.save_dict) - set(checkpoint))
        if missing:
            raise KeyError(
                f"checkpoint {path} lacks {missing} (written by an older version or another config); choose "
                "another --output_dir, or pass --resume false to start over in this one (its checkpoints are removed)."
            )
        stored = checkpoint["fingerprint"]
        differs = sorted(
            k for k in set(stored) | set(self.fingerprint.value) if stored.get(k) != self.fingerprint.value.get(k)
        )
        if differs:
            raise ValueError(
                f"checkpoint {path} was written by a training run with another configuration (different "
                f"{', '.join(differs)}); not resumed. Choose another --output_dir, or pass --resume false to start "
                "over in this one (its checkpoints are removed)."
            )
        max_epochs = engine.state.max_epochs
        Checkpoint.load_objects(to_load=self.save_dict, checkpoint=checkpoint)
        if engine.state.epoch > max_epochs:
            raise ValueError(f"checkpoint {path} is at epoch {engine.state.epoch}, beyond --epochs {max_epochs}.")
        engine.state.max_epochs = max_epochs
        msg = (
            f"Resumed from {path} at epoch {engine.state.epoch} (iteration {engine.state.iteration}): same "
            f"configuration ({', '.join(sorted(self.fingerprint.value))} match)."
        )
        print(msg, flush=True)
        self.logger.info(msg)


class AtomicCheckpointSaver(CheckpointSaver):
    """``monai.handlers.CheckpointSaver`` whose files are written whole or not at all.

    MONAI's saver writes straight onto the final name (ignite's ``DiskSaver(atomic=False)``) and, for a
    fixed ``key_metric_filename``/``final_filename``, deletes the previous file first: a run killed
    while saving left a truncated ``model.pt`` or none. Here every file goes to a temporary file that is
    moved into place (ignite's atomic mode; readable by group and others as before), and a fixed-name
    file is replaced by that move instead of being deleted first. Same arguments as the parent.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for checkpoint in (self._final_checkpoint, self._key_metric_checkpoint, self._interval_checkpoint):
            if checkpoint is None:
                continue
            handler = checkpoint.save_handler
            handler._atomic = True
            if getattr(handler, "filename", None) is not None:  # one fixed name: the move replaces it
                handler.remove = lambda filename: None

"""Multi-process training helpers (torch.distributed; nccl on CUDA, gloo on CPU)."""

from __future__ import annotations

import gc

import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

__all__ = ["release_ddp_modules", "shutdown_process_group"]

# DistributedDataParallel attributes that keep the process group (and the reducer's last
# communication work, with its tensors) alive after ``destroy_process_group``.
_DDP_COMMUNICATION_STATE = ("logger", "reducer", "process_group")


def release_ddp_modules() -> None:
    """Drop the communication state of every live ``DistributedDataParallel`` module.

    ``destroy_process_group`` only removes torch.distributed's own references to the group. Each DDP
    wrapper still holds it through its reducer (with the last bucket all-reduce work) and logger, and
    the trainer, evaluator and checkpoint handlers keep the wrapper alive until the interpreter shuts
    down. The group's worker threads are then torn down during interpreter finalisation, where a gloo
    rank can abort (``terminate called without an active exception``, SIGABRT) after a finished run.
    Released modules keep their parameters (``module``) but can no longer synchronise gradients.
    """
    for obj in gc.get_objects():
        if isinstance(obj, DistributedDataParallel):
            for name in _DDP_COMMUNICATION_STATE:
                obj.__dict__.pop(name, None)


def shutdown_process_group() -> None:
    """End multi-process training cleanly: barrier, release DDP modules, destroy the default group.

    Does nothing when no process group exists. The barrier matters on gloo: a rank that destroys its
    group while a peer is still finishing its last epoch (rank 0 writes the final checkpoints) tears
    down the peer's connections. Releasing the DDP modules and collecting garbage before returning
    makes the group's last owner go away here, while the interpreter is fully alive, instead of at
    exit (see ``release_ddp_modules``).
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        release_ddp_modules()
        dist.destroy_process_group()
        gc.collect()

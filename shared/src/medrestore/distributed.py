"""Multi-process training helpers (torch.distributed; nccl on CUDA, gloo on CPU)."""

from __future__ import annotations

import torch.distributed as dist

__all__ = ["shutdown_process_group"]


def shutdown_process_group() -> None:
    """Wait for every rank, then destroy the default process group; does nothing when none exists.

    The barrier matters on gloo: a rank that destroys its group while a peer is still finishing its
    last epoch (rank 0 writes the final checkpoints) tears down the peer's connections, and the peer
    can then abort at exit (``terminate called without an active exception``, SIGABRT), failing a
    run whose training had finished.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()

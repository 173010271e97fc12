"""What every benchmark writes besides its figures: the machine it ran on and whole result files."""

from __future__ import annotations

import json
import os
import platform

import torch

from medrestore.io import atomic_path

__all__ = ["machine", "write_json", "write_lines"]


def machine() -> str:
    """``"x86_64, 2 CPUs, torch 2.13.0+cpu, 2 threads"``: where a benchmark's seconds were measured."""
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{threads(torch.get_num_threads())}"
    )


def threads(n: int) -> str:
    """``"1 thread"``, ``"2 threads"``."""
    return f"{n} thread" + ("s" if n != 1 else "")


def write_json(path: str, result: dict) -> None:
    """``result`` as 4-space-indented JSON, written whole or not at all (creates the folder)."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        json.dump(result, f, indent=4)
        f.write("\n")


def write_lines(path: str, lines: list[str]) -> None:
    """Markdown (or any text) lines, joined by newlines, written whole or not at all."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        f.write("\n".join(lines))

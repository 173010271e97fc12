"""Output writing that never leaves half-written files and never overwrites results silently."""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Iterator

from monai.data import NibabelWriter

__all__ = ["AtomicNibabelWriter", "atomic_path", "check_output_dir"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a hidden temporary path beside ``path`` (same suffix, so writers pick the same format);
    rename it onto ``path`` when the block succeeds, delete it when it fails. Creates the folder."""
    folder, base = os.path.split(os.path.abspath(os.fspath(path)))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{base}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class AtomicNibabelWriter(NibabelWriter):
    """``monai.data.NibabelWriter`` that writes to a hidden temporary file in the destination folder
    and renames it into place, so an interrupted run never leaves a truncated NIfTI behind."""

    def write(self, filename, verbose: bool = False, **obj_kwargs):
        with atomic_path(filename) as tmp:
            super().write(tmp, verbose=verbose, **obj_kwargs)


def check_output_dir(output_dir: str, pattern: str = "*_restored.nii.gz", overwrite: bool = False) -> str:
    """Create ``output_dir``; refuse (FileExistsError naming the files) when it already holds results
    matching ``pattern``, unless ``overwrite``. Returns ``output_dir``."""
    existing = sorted(glob.glob(os.path.join(output_dir, "**", pattern), recursive=True))
    if existing and not overwrite:
        shown = ", ".join(os.path.basename(p) for p in existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise FileExistsError(
            f"output_dir {output_dir} already holds {len(existing)} result(s) ({shown}); "
            "choose another --output_dir or pass --overwrite true to replace them."
        )
    os.makedirs(output_dir, exist_ok=True)
    return output_dir

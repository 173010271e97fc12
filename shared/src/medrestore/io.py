"""Output writing that never leaves half-written files and never overwrites results silently."""

from __future__ import annotations

import glob
import os

from monai.data import NibabelWriter

__all__ = ["AtomicNibabelWriter", "check_output_dir"]


class AtomicNibabelWriter(NibabelWriter):
    """``monai.data.NibabelWriter`` that writes to a hidden temporary file in the destination folder
    and renames it into place, so an interrupted run never leaves a truncated NIfTI behind."""

    def write(self, filename, verbose: bool = False, **obj_kwargs):
        folder, base = os.path.split(os.fspath(filename))
        tmp = os.path.join(folder, f".tmp-{os.getpid()}-{base}")
        try:
            super().write(tmp, verbose=verbose, **obj_kwargs)
            os.replace(tmp, filename)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)


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

"""Output writing that never loses data: one planned, unique output per input, written to a hidden
temporary file and moved into place only if nothing else took the name meanwhile.

A bundle's ``initialize`` calls :func:`plan_outputs` on its items before any inference: it gives every
input its output path (keeping the input's sub-folder below ``dataset_dir``), stops on two inputs that
would write one file, on results already there (unless ``overwrite``) and on an unwritable folder, and
removes temporaries that killed runs of this tool left behind. :class:`SaveImageExclusived` then writes each
result to its planned path with :func:`atomic_path` (exclusive unless ``overwrite``), so two runs into
one folder never replace each other's files.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import logging
import os
import re
import tempfile
from collections.abc import Hashable, Iterator, Mapping

import nibabel as nib
import numpy as np
import torch
from monai.config import KeysCollection
from monai.data import NibabelWriter
from monai.data.utils import to_affine_nd
from monai.transforms import MapTransform

from medrestore.config import as_flag

__all__ = [
    "AtomicNibabelWriter",
    "OutputPlanError",
    "SaveImageExclusived",
    "atomic_path",
    "clean_stale_temporaries",
    "output_stem",
    "plan_outputs",
]

logger = logging.getLogger(__name__)

TMP_PREFIX = ".tmp-"
_TMP = re.compile(r"^\.tmp-(\d+)-")
# input suffixes removed from output names (longest first, so ".nii.gz" wins over ".gz")
INPUT_SUFFIXES = (".nii.gz", ".nii", ".dcm", ".png", ".npy", ".npz", ".h5", ".hdf5")


class OutputPlanError(ValueError):
    """The outputs of a run cannot be written as asked (name clash, existing results, unwritable folder)."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = True) -> Iterator[str]:
    """Yield a hidden temporary path beside ``path`` (same suffix, so writers pick the same format)
    and move it onto ``path`` when the block succeeds; delete it when it fails. Creates the folder.

    With ``overwrite=False`` the move is exclusive (a hard link, then the temporary is removed): if
    ``path`` exists by then, e.g. written by another run into the same folder, nothing is replaced
    and :class:`FileExistsError` names it.
    """
    folder, base = os.path.split(os.path.abspath(os.fspath(path)))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f"{TMP_PREFIX}{os.getpid()}-{base}")
    try:
        yield tmp
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise FileExistsError(
                    errno.EEXIST,
                    "created by something else during this run (another run writing into the same folder?); "
                    "not replaced, this run's result for it is discarded",
                    os.fspath(path),
                ) from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class AtomicNibabelWriter(NibabelWriter):
    """``monai.data.NibabelWriter`` that writes to a hidden temporary file in the destination folder
    and renames it into place, so an interrupted run never leaves a truncated NIfTI behind."""

    def write(self, filename, verbose: bool = False, **obj_kwargs):
        with atomic_path(filename) as tmp:
            super().write(tmp, verbose=verbose, **obj_kwargs)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def clean_stale_temporaries(folder: str) -> list[str]:
    """Remove the ``.tmp-<pid>-*`` files this tool's killed runs left under ``folder`` (their process
    is gone); files of running processes are kept. Returns the removed paths."""
    removed = []
    for path in glob.glob(os.path.join(glob.escape(folder), "**", f"{TMP_PREFIX}*"), recursive=True):
        match = _TMP.match(os.path.basename(path))
        if match and os.path.isfile(path) and not _pid_alive(int(match.group(1))):
            os.remove(path)
            removed.append(path)
    if removed:
        logger.warning("removed %d temporary file(s) left by interrupted runs in %s", len(removed), folder)
    return removed


def output_stem(source: str, dataset_dir: str | None = None) -> str:
    """Output name stem of an input: its path relative to ``dataset_dir`` (the sub-folders kept, so
    ``p1/image.nii.gz`` and ``p2/image.nii.gz`` stay apart) without its image suffix; the base name
    when the input lies outside ``dataset_dir``. A DICOM series folder keeps its folder name."""
    path = os.path.abspath(source)
    rel = os.path.basename(path.rstrip(os.sep))
    if dataset_dir:
        root = os.path.abspath(dataset_dir)
        with contextlib.suppress(ValueError):
            if os.path.commonpath([root, path]) == root and path != root:
                rel = os.path.relpath(path, root)
    lower = rel.lower()
    for suffix in INPUT_SUFFIXES:
        if lower.endswith(suffix) and not os.path.isdir(path):
            return rel[: -len(suffix)]
    return rel


def plan_outputs(
    items: list[dict],
    output_dir: str,
    dataset_dir: str | None = None,
    key: str = "image",
    postfix: str = "restored",
    ext: str = ".nii.gz",
    overwrite: bool = False,
    path_key: str = "output_path",
) -> list[dict]:
    """Give every item its output path ``output_dir/<stem>_<postfix><ext>`` (in place, under
    ``path_key``; items with a ``"slice"`` get ``_slice<NNN>`` in the stem) and check, before any
    inference, that the run can write them all:

    - two inputs mapping to one output (``scan.nii`` and ``scan.npy``) stop the run naming both;
    - outputs that already exist stop it unless ``overwrite``;
    - ``output_dir`` must be creatable and writable;
    - temporaries of killed runs under ``output_dir`` are removed (:func:`clean_stale_temporaries`).

    Raises :class:`OutputPlanError` (or ``PermissionError``) with the cause and what to do. Returns ``items``.
    """
    overwrite = as_flag(overwrite, "overwrite")
    owners: dict[str, str] = {}
    for item in items:
        source = str(item[key])
        stem = output_stem(source, dataset_dir)
        if item.get("slice") is not None:
            stem = f"{stem}_slice{int(item['slice']):03d}"
        path = os.path.join(output_dir, f"{stem}_{postfix}{ext}")
        label = source if item.get("slice") is None else f"{source} (slice {int(item['slice'])})"
        if path in owners:
            raise OutputPlanError(
                f"{owners[path]} and {label} would both be written to {path}; rename one of them or restore "
                "them in separate runs (outputs are named after the input without its suffix, sub-folders kept)."
            )
        owners[path] = label
        item[path_key] = path
    try:
        os.makedirs(output_dir, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=output_dir, prefix=f"{TMP_PREFIX}{os.getpid()}-probe"):
            pass
    except OSError as err:
        raise PermissionError(
            f"output_dir {output_dir} is not writable ({err.strerror or type(err).__name__}); "
            "choose another --output_dir."
        ) from err
    clean_stale_temporaries(output_dir)
    existing = [p for p in owners if os.path.lexists(p)]
    if existing and not overwrite:
        shown = ", ".join(os.path.relpath(p, output_dir) for p in existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise OutputPlanError(
            f"output_dir {output_dir} already holds {len(existing)} result(s) of this run's {len(owners)} "
            f"({shown}); choose another --output_dir or pass --overwrite true to replace them."
        )
    return items


class SaveImageExclusived(MapTransform):  # "SaveImage" in the name: MONAI Deploy drops it from in-memory pipelines
    """Write ``data[key]`` (channel-first MetaTensor ``(1, *spatial)``, its ``affine`` in the metadata)
    as NIfTI to the path :func:`plan_outputs` put in ``data[path_key]``: float32 by default, the
    channel dropped and exactly the input's spatial axes kept (``(H, W)`` stays 2D, a ``64 x 64 x 1``
    volume stays 3D with its slice spacing), the metadata's affine (RAS) as is, no resampling. Written through :func:`atomic_path`: exclusive unless ``overwrite``.

    Args:
        keys: keys of the images to write (usually ``"pred"``).
        path_key: item key holding the planned output path. Defaults to ``"output_path"``.
        output_dtype: stored data type. Defaults to float32.
        overwrite: replace an existing file (the user asked for it). Defaults to False.
    """

    def __init__(
        self,
        keys: KeysCollection,
        path_key: str = "output_path",
        output_dtype=np.float32,
        overwrite: bool = False,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.path_key, self.output_dtype, self.overwrite = path_key, output_dtype, as_flag(overwrite, "overwrite")

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            if self.path_key not in d:
                raise KeyError(f"item has no '{self.path_key}'; call medrestore.io.plan_outputs on the items first.")
            img = d[key]
            meta = dict(getattr(img, "meta", {}) or {})
            array = torch.as_tensor(img).detach().cpu()
            if array.shape[0] != 1:
                raise ValueError(f"{key}: expected one channel, got shape {tuple(array.shape)}.")
            affine = to_affine_nd(3, np.asarray(torch.as_tensor(meta.get("affine", torch.eye(4))), dtype=np.float64))
            nifti = nib.Nifti1Image(array[0].numpy().astype(self.output_dtype), affine)
            path = str(d[self.path_key])
            with atomic_path(path, overwrite=self.overwrite) as tmp:
                nib.save(nifti, tmp)
            d[f"{key}_path"] = path
        return d

"""Reading users' k-space: fastMRI-style HDF5, NumPy and complex NIfTI files.

Every reader returns complex64 arrays in the package's convention (centred orthonormal FFT of
:mod:`medrestore.physics.fft`, coils first): ``kspace`` ``(C, H, W)``, optional ``mask`` ``(H, W)``
(derived from the non-zero samples when the file has none; a stored mask may use any one non-zero value,
e.g. 0/255, and only its samples are used: k-space outside it is set to zero), optional ``coil_maps`` ``(C, H, W)`` and
optional ``target`` ``(H, W)`` (a reference image, for evaluation).

* ``.h5``: fastMRI layout, read by MONAI's ``FastMRIReader``: dataset ``kspace`` ``(S, C, H, W)``
  (multi-coil), ``(S, H, W)`` (single-coil, as fastMRI's single-coil files: a 3D ``kspace`` is slices,
  never coils) or ``(H, W)``; optional ``mask`` (``(W,)`` for 1D Cartesian masks, or ``(H, W)``),
  ``coil_maps`` (same shape as ``kspace``) and ``target`` or ``reconstruction_rss`` (``(S, H, W)``).
  Multi-slice files are read one slice at a time (``slice`` of the datalist item, see
  :func:`list_kspace_items`).
* ``.npy``: a complex k-space array, ``(C, H, W)`` or ``(H, W)``; ``.npz``: arrays named like the h5
  datasets above.
* ``.nii`` / ``.nii.gz``: complex64/complex128 NIfTI, ``(H, W)`` or ``(H, W, C)`` (coils last).

fastMRI stores k-space from a non-centred, non-orthonormal FFT of each coil; only the scale differs
(the bundles normalise every input), so the files are used as they are.
"""

from __future__ import annotations

import os

import numpy as np

from medrestore.data.datalist import read_datalist_json

__all__ = ["KSPACE_SUFFIXES", "KSpaceInputError", "list_kspace_items", "read_kspace"]

KSPACE_SUFFIXES = (".h5", ".npy", ".npz", ".nii.gz", ".nii")
EXPECTED = (
    "fastMRI-style HDF5 (.h5 with a 'kspace' dataset), NumPy (.npy complex (C, H, W) or (H, W); .npz with "
    "'kspace' and optional 'mask', 'coil_maps', 'target') or complex NIfTI ((H, W) or (H, W, coils))"
)


class KSpaceInputError(ValueError):
    """A k-space file cannot be used; the message names the file, the cause and what is expected."""


def _fail(path: str, cause: str) -> KSpaceInputError:
    return KSpaceInputError(f"{path}: {cause}. Expected {EXPECTED}.")


def _num_slices(path: str) -> int:
    import h5py

    try:
        f = h5py.File(path, "r")
    except Exception as err:  # noqa: BLE001 - re-raised with the file named
        raise _fail(path, f"cannot be read ({type(err).__name__}: {str(err).strip() or 'no detail'})") from err
    with f:
        if "kspace" not in f:
            raise _fail(path, f"no 'kspace' array (found {sorted(f.keys())})")
        return f["kspace"].shape[0] if f["kspace"].ndim in (3, 4) else 1  # fastMRI: (S, C, H, W) or (S, H, W)


def list_kspace_items(
    dataset_dir: str, datalist: str | None = None, key: str = "test", seed_start: int | None = None
) -> list[dict]:
    """Items ``{"kspace": path, "slice": i}`` to reconstruct: every k-space file in ``dataset_dir``, or the
    ``key`` section of a MONAI datalist (paths relative to ``dataset_dir``). Multi-slice HDF5 files give
    one item per slice. With ``seed_start``, items without a ``"seed"`` get ``seed_start + index`` (fixed
    undersampling masks for validation). Fails naming the folder, datalist or file when nothing is usable."""
    from monai.data import load_decathlon_datalist

    if datalist:
        if not os.path.isfile(datalist):
            raise FileNotFoundError(
                f"datalist {datalist} does not exist; expected a MONAI datalist JSON with a '{key}' list."
            )
        if key not in read_datalist_json(datalist):
            raise KeyError(f"datalist {datalist} has no '{key}' section.")
        items = load_decathlon_datalist(datalist, True, key, base_dir=dataset_dir)
        missing = [str(it.get("kspace")) for it in items if not os.path.isfile(str(it.get("kspace")))]
        if missing:
            raise FileNotFoundError(
                f"datalist {datalist} lists {len(missing)} missing k-space file(s): {', '.join(missing[:5])}."
            )
    else:
        if not os.path.isdir(dataset_dir):
            raise FileNotFoundError(
                f"dataset_dir {dataset_dir} does not exist; pass --dataset_dir <folder of k-space files> or --datalist <json>."
            )
        names = sorted(
            n for n in os.listdir(dataset_dir) if n.lower().endswith(KSPACE_SUFFIXES) and not n.startswith(".")
        )
        items = [{"kspace": os.path.join(dataset_dir, n)} for n in names]
    if not items:
        raise FileNotFoundError(f"{datalist or dataset_dir} lists no k-space files; expected {EXPECTED}.")
    out = []
    for item in items:
        path = str(item["kspace"])
        num_slices = _num_slices(path) if path.endswith(".h5") and "slice" not in item else 1
        if num_slices > 1:
            out += [{**item, "slice": s} for s in range(num_slices)]
        else:
            out.append(item)
    if seed_start is not None:
        out = [{"seed": seed_start + i, **item} for i, item in enumerate(out)]
    return out


def _read_arrays(path: str) -> dict[str, np.ndarray]:
    lower = path.lower()
    if lower.endswith(".h5"):
        from monai.apps.reconstruction.fastmri_reader import FastMRIReader

        data = FastMRIReader().read(path)
        if "target" not in data and "reconstruction_rss" in data:
            data["target"] = data["reconstruction_rss"]
        return data
    if lower.endswith(".npy"):
        return {"kspace": np.load(path, allow_pickle=False)}
    if lower.endswith(".npz"):
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    if lower.endswith((".nii", ".nii.gz")):
        import nibabel as nib

        arr = np.asarray(nib.load(path).dataobj)
        return {"kspace": np.moveaxis(arr, -1, 0) if arr.ndim == 3 else arr}
    raise _fail(path, "unsupported file type")


def read_kspace(path: str, slice_index: int | None = None) -> dict:
    """Read one 2D k-space slice (see the module docstring; ``num_slices`` tells how many the file
    holds); raises :class:`KSpaceInputError` naming the
    file for unreadable files, real-valued or non-finite k-space, wrong shapes or an empty mask."""
    try:
        data = _read_arrays(path)
    except KSpaceInputError:
        raise
    except Exception as err:  # noqa: BLE001 - re-raised with the file named
        raise _fail(path, f"cannot be read ({type(err).__name__}: {str(err).strip() or 'no detail'})") from err
    if "kspace" not in data:
        raise _fail(path, f"no 'kspace' array (found {sorted(k for k in data if isinstance(k, str))})")
    kspace = np.asarray(data["kspace"])
    if not np.iscomplexobj(kspace):
        raise _fail(path, f"k-space is real-valued ({kspace.dtype}); complex samples are needed")
    if path.lower().endswith(".h5") and kspace.ndim == 3:  # fastMRI single-coil: (slices, H, W)
        kspace = kspace[:, None]
    multi_slice = kspace.ndim == 4
    if multi_slice:
        s = 0 if slice_index is None else int(slice_index)
        if not 0 <= s < kspace.shape[0]:
            raise _fail(path, f"slice {s} requested, the file has {kspace.shape[0]}")
        kspace = kspace[s]
    if kspace.ndim == 2:
        kspace = kspace[None]
    if kspace.ndim != 3 or min(kspace.shape[-2:]) < 8:
        raise _fail(path, f"k-space has shape {tuple(np.asarray(data['kspace']).shape)}")
    if not np.isfinite(kspace).all():
        raise _fail(path, "k-space holds NaN or infinite samples")
    if not np.abs(kspace).any():
        raise _fail(path, "k-space is all zeros (nothing was measured)")
    out = {
        "kspace": kspace.astype(np.complex64),
        "num_slices": np.asarray(data["kspace"]).shape[0] if multi_slice else 1,
    }
    h, w = kspace.shape[-2:]
    if "mask" in data:
        mask = np.asarray(data["mask"], dtype=np.float32).squeeze()
        mask = np.broadcast_to(mask, (h, w)) if mask.ndim == 1 and mask.shape[0] == w else mask
        if mask.shape != (h, w):
            raise _fail(path, f"mask has shape {np.asarray(data['mask']).shape}, k-space slices are {(h, w)}")
        values = np.unique(mask)
        if not np.isfinite(values).all() or values.min() < 0 or len(values[values != 0]) > 1:
            raise _fail(path, f"mask must hold 0 and one sampled value (0/1, 0/255...), found {values[:6].tolist()}")
        mask = (mask > 0).astype(np.float32)
        out["kspace"] = out["kspace"] * mask  # only the mask's samples are used
    else:
        mask = (np.abs(kspace).sum(axis=0) > 0).astype(np.float32)
    if mask.sum() == 0:
        raise _fail(path, "no sampled k-space (the mask or the k-space is all zeros)")
    out["mask"] = np.ascontiguousarray(mask, dtype=np.float32)
    for name in ("coil_maps", "target"):
        if name in data:
            arr = np.asarray(data[name])
            arr = arr[0 if slice_index is None else int(slice_index)] if multi_slice else arr
            if name == "coil_maps":
                arr = arr[None] if arr.ndim == 2 else arr
                if arr.shape != kspace.shape:
                    raise _fail(path, f"coil_maps have shape {arr.shape}, k-space {kspace.shape}")
                arr = arr.astype(np.complex64)
            out[name] = arr
    return out

"""Input checks and loading that fail with one clear message naming the file and the cause."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import torch
from monai.config import KeysCollection
from monai.data import PILReader
from monai.transforms import LoadImaged, MapTransform

__all__ = ["ImageInputError", "LoadImageCheckedd", "ValidateImaged", "check_inputs", "source_name"]

SUPPORTED = "NIfTI (.nii, .nii.gz), DICOM (a .dcm file or a folder holding one series), PNG or NumPy (.npy)"


class ImageInputError(ValueError):
    """An input image cannot be used; the message names the file, the cause and what is expected."""


def source_name(data: Mapping, key: Hashable) -> str:
    """The file an item came from (``filename_or_obj`` of its metadata, else the datalist entry)."""
    img = data.get(key)
    meta = getattr(img, "meta", None) or {}
    name = meta.get("filename_or_obj")
    if name is None and isinstance(img, (str, bytes)):
        name = img
    return str(name) if name is not None else f"<item key '{key}'>"


class LoadImageCheckedd(LoadImaged):
    """``monai.transforms.LoadImaged`` that reports an unreadable file as :class:`ImageInputError`
    with the file name, the reader's reason and the supported formats (corrupt DICOM, wrong type...).

    PNG files are read as ``(H, W)`` arrays (MONAI's ``PILReader`` with ``reverse_indexing=False``;
    its default swaps the axes), so a restored PNG keeps the input's row/column shape, like NumPy input.
    """

    def __init__(self, keys: KeysCollection, reader=None, *args, **kwargs) -> None:
        super().__init__(keys, reader, *args, **kwargs)
        self._png = LoadImaged(keys, PILReader(reverse_indexing=False), *args, **kwargs) if reader is None else None

    def __call__(self, data, reader=None):
        names = [str(data.get(k)) for k in self.keys if k in data]
        use_png = self._png is not None and reader is None and names and all(n.lower().endswith(".png") for n in names)
        try:
            return self._png(data) if use_png else super().__call__(data, reader)
        except Exception as err:  # noqa: BLE001 - re-raised with the file named
            cause = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
            raise ImageInputError(
                f"cannot read {', '.join(names)}: {type(err).__name__}: {cause}. Expected {SUPPORTED}."
            ) from err


class ValidateImaged(MapTransform):
    """Reject images the denoisers cannot use, naming the file: non-finite values (NaN/Inf), a
    spatial dimensionality outside ``spatial_dims``, more than one channel, or an empty image.

    Expects channel-first images ``(C, H, W)`` or ``(C, H, W, D)``.
    """

    def __init__(
        self, keys: KeysCollection, spatial_dims: Sequence[int] = (2, 3), allow_missing_keys: bool = False
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.spatial_dims = tuple(spatial_dims)

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            img = d[key]
            name = source_name(d, key)
            shape = tuple(img.shape)
            if img.ndim - 1 not in self.spatial_dims:
                raise ImageInputError(
                    f"{name}: image has {img.ndim - 1} spatial dimensions (shape {shape[1:]}), expected "
                    f"{' or '.join(f'{n}D' for n in self.spatial_dims)}; split 4D series into 3D volumes first."
                )
            if shape[0] != 1:
                raise ImageInputError(
                    f"{name}: image has {shape[0]} channels or time points (channel-first shape {shape}); expected one "
                    "grayscale 2D image or 3D volume. Split 4D series into 3D volumes and colour images into channels first."
                )
            if min(shape[1:]) < 1 or img.numel() == 0:
                raise ImageInputError(f"{name}: image is empty (shape {shape}).")
            finite = torch.isfinite(torch.as_tensor(img))
            if not bool(finite.all()):
                bad = int((~finite).sum())
                raise ImageInputError(
                    f"{name}: {bad} of {img.numel()} voxels are NaN or infinite; expected finite intensities."
                )
        return d


def check_inputs(items: Sequence[Mapping], transform, key: str = "image") -> int:
    """Run ``transform`` (a bundle's loading and validation steps) on every item before any inference
    and stop, naming every unusable input at once, if any fails: a run either restores all its
    inputs or writes nothing. Returns the number of items checked.

    Raises:
        ImageInputError: ``"k of n inputs cannot be used, nothing was written: <file>: <cause>; ..."``.
    """
    from medrestore.errors import root_cause

    failures = []
    for item in items:
        try:
            transform(dict(item))
        except Exception as err:  # noqa: BLE001 - collected and reported together
            cause = root_cause(err)
            text = " ".join(str(cause).split())
            source = str(item.get(key))
            failures.append(text if source in text else f"{source}: {text}")
    if failures:
        raise ImageInputError(
            f"{len(failures)} of {len(items)} inputs cannot be used, nothing was written: " + "; ".join(failures)
        )
    return len(items)

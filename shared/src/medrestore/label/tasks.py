"""``RestorationInferTask``: MONAI Label's ``BundleInferTask`` for float-output restoration bundles."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import types
from collections.abc import Hashable, Mapping

import nibabel as nib
import numpy as np
from monai.transforms import MapTransform, SaveImaged

from medrestore.io import SaveImageExclusived
from medrestore.packaging import verify_file
from medrestore.transforms.translation import ApplyNetworkd


def _torchvision_stub() -> None:
    """MONAI Label imports ``torchvision.utils.make_grid``/``save_image`` at module level (DeepEdit
    visualisation only). torchvision has no build next to the pinned CPU torch, so when it cannot be
    imported, register a stub whose two functions raise if they are ever called."""
    try:
        import torchvision.utils  # noqa: F401
    except Exception:  # noqa: BLE001 - missing or ABI-incompatible torchvision

        def unavailable(*args, **kwargs):
            raise RuntimeError("torchvision is not installed: MONAI Label's image-grid helpers are unavailable.")

        utils = types.ModuleType("torchvision.utils")
        utils.make_grid = utils.save_image = unavailable
        package = types.ModuleType("torchvision")
        package.utils = utils
        sys.modules["torchvision"], sys.modules["torchvision.utils"] = package, utils


_torchvision_stub()

from monailabel.tasks.infer.bundle import BundleConstants, BundleInferTask  # noqa: E402

__all__ = ["RestorationInferTask", "SqueezeChanneld"]

LABEL_FIELDS = ("label_names", "centroids")  # segmentation fields that mean nothing for a restored image


class SqueezeChanneld(MapTransform):
    """Drop the channel axis of a single-channel image: ``(1, H, W[, D]) -> (H, W[, D])``, using the
    spatial rank of ``ref_key``'s metadata (already squeezed images are left alone)."""

    def __init__(self, keys, ref_key: str = "image") -> None:
        super().__init__(keys)
        self.ref_key = ref_key

    def __call__(self, data: Mapping[Hashable, np.ndarray]) -> dict:
        d = dict(data)
        meta = getattr(d.get(self.ref_key), "meta", {}) or {}
        for key in self.key_iterator(d):
            img = d[key]
            rank = len(np.asarray(meta.get("spatial_shape", img.shape[1:])).ravel())
            while img.ndim > rank and img.shape[0] == 1:
                img = img[0]
            d[key] = img
        return d


class _TorchScriptOnly(BundleConstants):
    """Load ``models/model.ts`` (configs embedded, no network rebuild), never ``model.pt``."""

    def model_pytorch(self) -> str:
        return "model.ts-only"  # a name that never exists, so BundleInferTask falls back to model.ts


class RestorationInferTask(BundleInferTask):
    """``BundleInferTask(bundle_dir, type="restoration")`` returning the restored float32 image.

    Uses the bundle's ``models/model.ts`` (checked against ``large_files.yml``), its preprocessing,
    inferer and postprocessing (its file writer and a translation's cycle check dropped), restores the input geometry, squeezes the
    channel, writes float32 NIfTI with the input's affine for NIfTI input, and removes the
    segmentation-only ``label_names``/``centroids`` from the result JSON.

    A bundle whose output grid is finer than its input's (super-resolution: the metadata's ``pred``
    spatial shape differs from ``image``'s) keeps its output size and geometry: MONAI Label's
    ``Restored`` would resample the result back to the input's size, so it is left out, and the file
    gets the output's own (upscaled) affine.
    """

    def __init__(self, bundle_dir: str, conf: dict | None = None, **kwargs) -> None:
        model = os.path.join(bundle_dir, "models", "model.ts")
        if not os.path.isfile(model):
            raise FileNotFoundError(f"{model} not found: export the bundle with `monai.bundle ckpt_export` first.")
        verify_file(model, os.path.join(bundle_dir, "large_files.yml"))
        # the task returns the image itself; the translation bundle's back-translation (cycle check) needs
        # its reverse generator's model.pt, which this TorchScript-only task does not load
        kwargs.setdefault("post_filter", [SaveImaged, SaveImageExclusived, ApplyNetworkd])
        super().__init__(bundle_dir, conf or {}, const=_TorchScriptOnly(), type="restoration", **kwargs)
        self._config.pop("model_filename", None)  # BundleInferTask offers models/*.pt, which would bypass model.ts
        with open(os.path.join(bundle_dir, "configs", "metadata.json")) as f:
            formats = json.load(f)["network_data_format"]
        self.upsamples = formats["outputs"]["pred"]["spatial_shape"] != formats["inputs"]["image"]["spatial_shape"]

    def post_transforms(self, data=None):
        transforms = super().post_transforms(data)
        if self.upsamples:  # keep the finer grid (Restored resamples to the input's size)
            transforms = [t for t in transforms if type(t).__name__ != "Restored"]
        return [*transforms, SqueezeChanneld(keys=self.key_pred, ref_key=self.key_image)]

    def writer(self, data, extension=None, dtype=None):
        """Write the restored image as float32 NIfTI with the input's affine (MONAI Label's writer
        drops the affine of 2D images on its ITK path); returns ``(file, result JSON)``."""
        pred = np.asarray(data[self.key_pred], dtype=np.float32)
        meta = data.get(f"{self.key_pred}_meta_dict") or {}
        affine = meta.get("affine")
        if affine is None and self.upsamples:
            affine = getattr(data.get(self.key_pred), "affine", None)  # the output's own, finer geometry
        if affine is None:
            affine = getattr(data.get(self.key_image), "affine", np.eye(4))
        path = tempfile.NamedTemporaryFile(suffix=".nii.gz", delete=False).name
        nib.save(nib.Nifti1Image(pred, np.asarray(affine, dtype=np.float64)), path)
        return path, data.get(self.output_json_key, {})

    def __call__(self, request, callbacks=None):
        result_file, result = super().__call__(request, callbacks)
        for field in LABEL_FIELDS:
            result.pop(field, None)
        return result_file, result

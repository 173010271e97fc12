"""MONAI Deploy operators for the restoration bundles (need ``pip install -r requirements-deploy.txt``).

* :class:`RestorationInputOperator` loads each input (NIfTI, PNG, NumPy, a DICOM file or a DICOM
  series folder) with the bundles' own checked loader and emits it channel-first with its metadata.
* :class:`FloatBundleInferenceOperator` is ``MonaiBundleInferenceOperator`` (the bundle's
  preprocessing, inferer and postprocessing from the configs inside ``model.ts``) emitting the
  restored image as float32: the stock operator casts every ``Image`` output to uint8, which turns a
  restored ``[0, 1]`` or HU image into zeros.
* :class:`KSpaceInputOperator` and :class:`ReconBundleInferenceOperator` do the same for
  reconstruction bundles (k-space files in, the network's extra inputs as keyword arguments).
* :class:`RestoredImageWriterOperator` writes ``<name>_restored.nii.gz`` (float32, the input's
  geometry, exactly as the bundle's ``SaveImaged``) and, for DICOM input, a new derived series.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.data import MetaTensor
from monai.deploy.core import Fragment, Image, Operator, OperatorSpec
from monai.deploy.operators.monai_bundle_inference_operator import MonaiBundleInferenceOperator

from medrestore.data.datalist import find_images
from medrestore.deploy.dicom import describe, read_series, write_derived_series
from medrestore.io import AtomicNibabelWriter
from medrestore.transforms import LoadImageCheckedd, ValidateImaged

__all__ = [
    "FloatBundleInferenceOperator",
    "KSpaceInputOperator",
    "ReconBundleInferenceOperator",
    "RestorationInputOperator",
    "RestoredImageWriterOperator",
    "bundle_preprocessing",
    "embedded_inference_config",
    "list_inputs",
    "output_naming",
]


def list_inputs(path: str) -> list[str]:
    """The images behind ``-i``: a file, a folder holding ``.dcm`` files (one DICOM series), or a
    folder of images and DICOM series sub-folders (:func:`medrestore.data.find_images`)."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise FileNotFoundError(f"input {path} does not exist; pass -i <image file or folder>.")
    if is_dicom(path):  # the folder itself is one series
        return [path]
    items = find_images(path)
    if not items:
        raise FileNotFoundError(f"input {path} holds no NIfTI, PNG, NumPy or DICOM images.")
    return items


def is_dicom(path: str) -> bool:
    return path.lower().endswith(".dcm") or (
        os.path.isdir(path) and any(n.lower().endswith(".dcm") for n in os.listdir(path))
    )


class RestorationInputOperator(Operator):
    """Emit ``image`` (SDK ``Image``: channel-first array + MONAI metadata) and ``source`` (its path),
    one input per call; give it ``CountCondition(fragment, len(paths))`` so that the graph stops."""

    def __init__(self, fragment: Fragment, *args, paths: list[str], **kwargs) -> None:
        self.paths = list(paths)
        self.index = 0
        self.loader = LoadImageCheckedd(keys="image", image_only=True, ensure_channel_first=True)
        self.check = ValidateImaged(keys="image", spatial_dims=(2, 3))
        super().__init__(fragment, *args, **kwargs)

    def setup(self, spec: OperatorSpec) -> None:
        spec.output("image")
        spec.output("source")

    def compute(self, op_input, op_output, context) -> None:
        path = self.paths[self.index]
        self.index += 1
        img = self.check(self.loader({"image": path}))["image"]
        meta = dict(img.meta)
        meta.setdefault("spacing", np.asarray(meta.get("pixdim", [1.0] * 4))[1 : img.ndim])
        meta["original_affine"] = np.asarray(meta.get("original_affine", meta.get("affine")))
        op_output.emit(Image(img.numpy().astype(np.float32), metadata=meta), "image")
        op_output.emit(path, "source")


class FloatBundleInferenceOperator(MonaiBundleInferenceOperator):
    """``MonaiBundleInferenceOperator`` that emits the restored image unchanged as float32.

    Emits ``Image(array, metadata)`` with the array ``(H, W)`` or ``(H, W, D)`` (batch and channel
    squeezed, no axis swap) and the MONAI metadata of the restored ``MetaTensor`` (affine, spacing,
    source file), instead of the stock ``astype(np.uint8)``.
    """

    def _send_output(self, value: Any, name: str, metadata: dict, op_output, context) -> None:
        meta = dict(value.meta) if isinstance(value, MetaTensor) else dict(metadata or {})
        array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
        spatial = int(np.asarray(meta.get("spatial_shape", array.shape[-2:])).size)
        array = array.reshape(array.shape[-spatial:]).astype(np.float32)  # drop batch and channel axes
        op_output.emit(Image(array, metadata=meta), name)


class RestoredImageWriterOperator(Operator):
    """Write each restored ``image`` as ``<output_dir>/<name>_<postfix>.nii.gz`` (float32, input
    geometry; ``postfix`` ``restored`` by default) and, when its ``source`` is DICOM, as
    ``<output_dir>/<name>_<postfix>_dicom/`` (a new derived series of the source study whose
    description starts with ``"<action> <bundle> <version>"``)."""

    def __init__(
        self,
        fragment: Fragment,
        *args,
        output_dir: str,
        bundle_name: str,
        bundle_version: str,
        postfix: str = "restored",
        action: str = "restored by",
        **kwargs,
    ) -> None:
        self.output_dir, self.postfix, self.action = output_dir, postfix, action
        self.bundle_name, self.bundle_version = bundle_name, bundle_version
        super().__init__(fragment, *args, **kwargs)

    def setup(self, spec: OperatorSpec) -> None:
        spec.input("image")
        spec.input("source")

    def compute(self, op_input, op_output, context) -> None:
        from monai.transforms import SaveImage

        image, source = op_input.receive("image"), op_input.receive("source")
        array, meta = image.asnumpy(), dict(image.metadata())
        saver = SaveImage(
            output_dir=self.output_dir,
            output_postfix=self.postfix,
            output_ext=".nii.gz",
            output_dtype=np.float32,
            resample=False,
            separate_folder=False,
            writer=AtomicNibabelWriter,
        )
        saver(MetaTensor(torch.from_numpy(array)[None], meta=meta))
        if is_dicom(source):
            name = Path(source).name.removesuffix(".dcm")
            original = getattr(read_series(source)[0], "SeriesDescription", None)
            description = describe(self.bundle_name, self.bundle_version, original, action=self.action)
            write_derived_series(
                array, source, os.path.join(self.output_dir, f"{name}_{self.postfix}_dicom"), description
            )


def embedded_inference_config(model_path: str):
    """A ``monai.bundle.ConfigParser`` of the ``inference.json`` embedded in a bundle's ``model.ts``."""
    import json
    import zipfile

    from monai.bundle import ConfigParser

    with zipfile.ZipFile(model_path) as zf:
        name = next(n for n in zf.namelist() if n.endswith("extra/inference.json"))
        return ConfigParser(json.loads(zf.read(name)))


def output_naming(model_path: str) -> tuple[str, str]:
    """``(file postfix, what the series description says was done)`` for a bundle's ``model.ts``:
    ``("synthetic_<contrast>", "synthetic <contrast> by")`` for a contrast translation (its embedded
    ``inference.json`` names a ``target_contrast``, e.g. cyclegan_translate: the output is a synthetic
    image, not the input restored), else ``("restored", "restored by")``."""
    parser = embedded_inference_config(model_path)
    if "target_contrast" in parser:
        contrast = str(parser.get_parsed_content("target_contrast"))
        return f"synthetic_{contrast.lower()}", f"synthetic {contrast} by"
    return "restored", "restored by"


# ---- reconstruction bundles (modl_recon): k-space in, magnitude image out


def bundle_preprocessing(model_path: str):
    """The ``preprocessing`` of the ``inference.json`` embedded in a bundle's ``model.ts``."""
    return embedded_inference_config(model_path).get_parsed_content("preprocessing")


class KSpaceInputOperator(Operator):
    """Read each k-space item (``{"kspace": path, "slice": i}``, :func:`medrestore.data.list_kspace_items`)
    with the bundle's own preprocessing (``LoadKSpaced`` -> ``ReconInputsd``) and emit the network
    inputs ``image``, ``kspace``, ``mask``, ``coil_maps`` (SDK ``Image``; ``image`` carries the intensity
    ``scale`` and the source name in its metadata) and ``source``. Give it ``CountCondition``."""

    NAMES = ("image", "kspace", "mask", "coil_maps")

    def __init__(self, fragment: Fragment, *args, items: list[dict], preprocessing, **kwargs) -> None:
        self.items, self.preprocessing, self.index = list(items), preprocessing, 0
        super().__init__(fragment, *args, **kwargs)

    def setup(self, spec: OperatorSpec) -> None:
        for name in (*self.NAMES, "source"):
            spec.output(name)

    def compute(self, op_input, op_output, context) -> None:
        item = self.items[self.index]
        self.index += 1
        d = self.preprocessing(dict(item))
        meta = dict(d["image"].meta)
        meta["scale"] = float(d["scale"])
        for name in self.NAMES:
            array = torch.as_tensor(d[name]).as_subclass(torch.Tensor).numpy().astype(np.float32)
            op_output.emit(Image(array, metadata=meta if name == "image" else {}), name)
        op_output.emit(str(meta["filename_or_obj"]), "source")


class ReconBundleInferenceOperator(FloatBundleInferenceOperator):
    """The bundle operator for reconstruction bundles: the inputs arrive preprocessed (by
    :class:`KSpaceInputOperator`, with the bundle's own transforms), the network gets ``kspace``,
    ``mask`` and ``coil_maps`` as keyword inputs, and the output is the magnitude of the complex
    reconstruction in the k-space file's units, float32."""

    def pre_process(self, data, *args, **kwargs):
        return data

    def post_process(self, data, *args, **kwargs):
        from medrestore.transforms import ReconMagnituded

        inputs = kwargs.get(self.kw_preprocessed_inputs, {})
        image = inputs["image"]
        pred = data[0] if data.ndim == 4 else data  # (2, H, W)
        d = ReconMagnituded(keys="pred", meta_key="image")({"pred": pred.cpu(), "image": image})
        return d["pred"] * float(image.meta["scale"])

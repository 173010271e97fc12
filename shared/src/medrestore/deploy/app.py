"""MONAI Deploy application that restores images with any medrestore bundle's ``model.ts``.

    python -m medrestore.deploy.app -i <image, DICOM series folder or folder> -o <output> \\
        -m bundles/dae_denoise/models/model.ts

(the SDK's ``-i``/``-o``/``-m`` options, or ``HOLOSCAN_INPUT_PATH``/``HOLOSCAN_OUTPUT_PATH``/
``HOLOSCAN_MODEL_PATH``). The bundle's metadata and ``inference.json`` are read from the
TorchScript file (``ckpt_export`` embeds them), so the app needs no bundle folder. Writes
``<name>_restored.nii.gz`` per input and, for DICOM input, ``<name>_restored_dicom/`` (new series);
a contrast translation (cyclegan_translate) writes ``<name>_synthetic_<contrast>`` instead, as the bundle does.
With a reconstruction bundle (``modl_recon``) ``-i`` is a k-space file or folder (fastMRI HDF5, NumPy,
complex NIfTI) and the app writes ``<name>_recon.nii.gz`` (magnitude, float32) per slice.
Needs ``pip install -r requirements-deploy.txt`` (MONAI Deploy App SDK); runs on CPU.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile

from monai.deploy.conditions import CountCondition
from monai.deploy.core import Application, Image, IOType
from monai.deploy.operators.monai_bundle_inference_operator import IOMapping

from medrestore.deploy.operators import (
    FloatBundleInferenceOperator,
    KSpaceInputOperator,
    ReconBundleInferenceOperator,
    RestorationInputOperator,
    RestoredImageWriterOperator,
    bundle_preprocessing,
    list_inputs,
    output_naming,
)
from medrestore.packaging import verify_file

__all__ = ["RestorationApp", "main", "torchscript_metadata"]


def torchscript_metadata(model_path: str) -> dict:
    """The bundle metadata embedded in a ``ckpt_export`` TorchScript file (``extra/metadata.json``)."""
    with zipfile.ZipFile(model_path) as zf:
        name = next((n for n in zf.namelist() if n.endswith("extra/metadata.json")), None)
        if name is None:
            raise ValueError(
                f"{model_path} has no embedded bundle metadata; export it with `monai.bundle ckpt_export`."
            )
        return json.loads(zf.read(name))


class RestorationApp(Application):
    """Loader -> bundle inference (float32) -> NIfTI/DICOM writer, for every input under ``-i``."""

    def compose(self) -> None:
        context = Application.init_app_context(self.argv)
        model_path = os.path.abspath(context.model_path)
        if not os.path.isfile(model_path):
            raise FileNotFoundError(f"model {model_path} not found; pass -m <bundle>/models/model.ts.")
        meta = torchscript_metadata(model_path)
        folder = os.path.dirname(os.path.dirname(model_path))  # <bundle>/models/model.ts -> the bundle's name
        bundle_name = (
            os.path.basename(folder) if os.path.basename(os.path.dirname(model_path)) == "models" else meta["name"]
        )
        verify_file(model_path, os.path.join(folder, "large_files.yml"))  # shipped weights: SHA-256 checked
        postfix, action = ("recon", "reconstructed by") if self.is_reconstruction(meta) else output_naming(model_path)
        writer = RestoredImageWriterOperator(
            self,
            output_dir=str(context.output_path),
            bundle_name=bundle_name,
            bundle_version=meta["version"],
            postfix=postfix,
            action=action,
            name="writer",
        )
        if self.is_reconstruction(meta):
            self.compose_reconstruction(context, model_path, meta, writer)
            return
        paths = list_inputs(str(context.input_path))
        logging.info(f"restoring {len(paths)} input(s) with {meta['name']} {meta['version']}")
        loader = RestorationInputOperator(self, CountCondition(self, len(paths)), paths=paths, name="loader")
        infer = FloatBundleInferenceOperator(
            self,
            app_context=context,
            bundle_path=model_path,
            input_mapping=[IOMapping("image", Image, IOType.IN_MEMORY)],
            output_mapping=[IOMapping("pred", Image, IOType.IN_MEMORY)],
            name="restore",
        )
        self.add_flow(loader, infer, {("image", "image")})
        self.add_flow(infer, writer, {("pred", "image")})
        self.add_flow(loader, writer, {("source", "source")})

    @staticmethod
    def is_reconstruction(meta: dict) -> bool:
        """Reconstruction bundles (modl_recon) take k-space as an extra network input."""
        return "kspace" in meta["network_data_format"]["inputs"]

    def compose_reconstruction(self, context, model_path: str, meta: dict, writer) -> None:
        """k-space files (a file or a folder; multi-slice HDF5: one item per slice) -> MoDL -> magnitude NIfTI."""
        from medrestore.data.kspace_io import list_kspace_items

        source = os.path.abspath(str(context.input_path))
        if os.path.isfile(source):
            items = [it for it in list_kspace_items(os.path.dirname(source)) if it["kspace"] == source]
        else:
            items = list_kspace_items(source)
        logging.info(f"reconstructing {len(items)} k-space slice(s) with {meta['name']} {meta['version']}")
        names = list(meta["network_data_format"]["inputs"])
        loader = KSpaceInputOperator(
            self,
            CountCondition(self, len(items)),
            items=items,
            preprocessing=bundle_preprocessing(model_path),
            name="loader",
        )
        infer = ReconBundleInferenceOperator(
            self,
            app_context=context,
            bundle_path=model_path,
            input_mapping=[IOMapping(n, Image, IOType.IN_MEMORY) for n in names],
            output_mapping=[IOMapping("pred", Image, IOType.IN_MEMORY)],
            name="reconstruct",
        )
        self.add_flow(loader, infer, {(n, n) for n in names})
        self.add_flow(infer, writer, {("pred", "image")})
        self.add_flow(loader, writer, {("source", "source")})


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    RestorationApp().run()


if __name__ == "__main__":
    main()

"""Super-resolution comparison per split and degradation (interim: PSNR only, printed, no docs yet).

    python -m medrestore.benchmarks.srgan_sr --scale 2 [--weights eval/models/model.pt]

Bicubic, Lanczos (Pillow), zero-filled k-space and, with ``--weights``, an SRResNet checkpoint (the
bundle's ``network_def``), on the validation, test and unseen-source splits of ``data/sr`` with every
degradation of :data:`medrestore.physics.resolution.DEGRADATIONS` (each item's seeded noise), PSNR in dB
on [0, 1] with a border of ``scale`` pixels excluded. The full benchmark of issue 12 (SSIM, LR
consistency, sharpness, timing, crops, SRGAN) is still to be written.
"""

from __future__ import annotations

import numpy as np
import torch
from monai.bundle import ConfigParser
from PIL import Image

from medrestore.evaluation import psnr_ssim
from medrestore.physics import resolution

__all__ = ["main", "run"]

BUNDLE = "bundles/srgan_sr"


def _psnr(x: torch.Tensor, ref: torch.Tensor, border: int) -> float:
    b = border
    return psnr_ssim(x.clamp(0, 1)[0, 0, b:-b, b:-b].numpy(), ref[0, 0, b:-b, b:-b].numpy())[0]


def _lanczos(lr: torch.Tensor, shape) -> torch.Tensor:
    out = Image.fromarray(lr[0, 0].numpy()).resize((shape[-1], shape[-2]), Image.LANCZOS)
    return torch.from_numpy(np.asarray(out, dtype=np.float32))[None, None]


def run(
    scale: int = 2,
    weights: str | None = None,
    bundle_root: str = BUNDLE,
    splits=("validation", "test", "unseen_source"),
) -> dict:
    """Mean PSNR per ``(split, degradation, method)``; printed as a table and returned."""
    parser = ConfigParser()
    parser.read_config(f"{bundle_root}/configs/train.json")
    parser.update({"bundle_root": bundle_root, "scale": int(scale)})
    net = None
    if weights:
        net = parser.get_parsed_content("network_def").eval()
        net.load_state_dict(torch.load(weights, map_location="cpu"))
    results: dict = {}
    for split in splits:
        parser["validate#datalist"] = (
            f"$monai.data.load_decathlon_datalist(@datalist, True, '{split}', base_dir=@dataset_dir)"
        )
        parser.parse()
        items, transform = (
            parser.get_parsed_content("validate#datalist"),
            parser.get_parsed_content("validate#preprocessing"),
        )
        for item in items:
            for kind in resolution.DEGRADATIONS:
                d = transform({**item, "degradation": kind})
                lr, hr = d["image"][None].float(), d["label"][None].float()
                outputs = {
                    "bicubic": resolution.bicubic_upsample(lr, scale),
                    "lanczos": _lanczos(lr, hr.shape),
                    "zero-filled k-space": resolution.kspace_zero_fill(lr, scale),
                }
                if net is not None:
                    with torch.no_grad():
                        outputs["srresnet"] = net(lr)
                for method, out in outputs.items():
                    results.setdefault(f"{split} | {kind} | {method}", []).append(_psnr(out, hr, int(scale)))
    table = {k: round(float(np.mean(v)), 2) for k, v in results.items()}
    for key, value in table.items():
        print(f"x{scale} | {key} | {value:.2f} dB")
    return table


def main() -> None:
    import fire

    fire.Fire(lambda **kwargs: run(**kwargs) and None)


if __name__ == "__main__":
    main()

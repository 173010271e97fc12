"""The main job: run every finished bundle on the bundled sample test data.

``medrestore-demo --output_dir outputs/demo`` builds the sample data if needed (see
:mod:`medrestore.data.builder`), degrades each test image with fixed-seed Gaussian noise
(``sigma`` on the ``[0, 1]`` window), writes the noisy images in their native units, restores them
with ``python -m monai.bundle run`` of each bundle's own ``inference.json`` (exactly the command a
user runs), and writes restored volumes, a metrics table and side-by-side PNGs under one folder::

    outputs/demo/<bundle>/noisy/*.nii.gz      degraded inputs (native units)
    outputs/demo/<bundle>/restored/*.nii.gz   restored images (native units, float32)
    outputs/demo/<bundle>/png/*.png           noisy | restored | clean | error maps
    outputs/demo/metrics.md, metrics.csv      PSNR / SSIM per image, noisy vs restored
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import nibabel as nib
import numpy as np

from medrestore.data.builder import write_datalist, write_slice
from medrestore.data.datalist import load_windowed_split
from medrestore.evaluation import psnr_ssim, summarize
from medrestore.visualize import comparison_grid, save_png

__all__ = ["DENOISING_BUNDLES", "run_demo", "main"]

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 4))
DENOISING_BUNDLES = ("dran_denoise", "dae_denoise")  # finished denoising bundles; others join here when they land


def run_demo(
    output_dir: str = "outputs/demo", data_dir: str | None = None, sigma: float = 0.1, bundles=DENOISING_BUNDLES
) -> str:
    """Degrade, restore and score the sample test images with every bundle; returns the metrics table path."""
    data_dir = data_dir or os.path.join(REPO, "data", "denoising")
    items = load_windowed_split(data_dir, "test")
    rows = []
    for bundle in bundles:
        root = os.path.join(output_dir, bundle)
        noisy_dir, restored_dir = os.path.join(root, "noisy"), os.path.join(root, "restored")
        entries, truth = [], {}
        for item in items:
            clean01, (low, high) = item["clean"], item["window"]
            noisy01 = clean01 + sigma * np.random.default_rng(item["noise_seed"]).standard_normal(clean01.shape)
            name = os.path.basename(item["image"])
            write_slice(os.path.join(noisy_dir, name), noisy01 * (high - low) + low, item["spacing"])
            entries.append({"image": name, "window": [low, high], "modality": item["modality"]})
            truth[name] = (clean01, noisy01, (low, high), item["modality"])
        write_datalist(os.path.join(noisy_dir, "datalist.json"), {"test": entries})
        cmd = [
            sys.executable,
            "-m",
            "monai.bundle",
            "run",
            "--config_file",
            os.path.join(REPO, "bundles", bundle, "configs", "inference.json"),
            "--bundle_root",
            os.path.join(REPO, "bundles", bundle),
            "--dataset_dir",
            noisy_dir,
            "--datalist",
            os.path.join(noisy_dir, "datalist.json"),
            "--output_dir",
            restored_dir,
            "--overwrite",
            "true",
        ]
        print(f"[{bundle}] restoring {len(entries)} images: {' '.join(cmd[2:4])} ...", flush=True)
        subprocess.run(cmd, check=True)
        panels = []
        for name, (clean01, noisy01, (low, high), modality) in truth.items():
            out = os.path.join(restored_dir, name.replace(".nii.gz", "_restored.nii.gz"))
            restored01 = (np.asarray(nib.load(out).get_fdata()) - low) / (high - low)
            p_in, s_in = psnr_ssim(np.clip(noisy01, 0, 1), clean01)
            p_out, s_out = psnr_ssim(restored01, clean01)
            rows.append(
                {
                    "bundle": bundle,
                    "image": name,
                    "modality": modality,
                    "sigma": sigma,
                    "psnr_noisy": p_in,
                    "psnr_restored": p_out,
                    "ssim_noisy": s_in,
                    "ssim_restored": s_out,
                }
            )
            grid = comparison_grid([{"noisy": noisy01, "restored": restored01, "clean": clean01}])
            save_png(os.path.join(root, "png", name.replace(".nii.gz", ".png")), grid)
            panels.append(name)
    csv_path = os.path.join(output_dir, "metrics.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        f"# Demo: Gaussian sigma = {sigma} on the [0, 1] window, sample test split",
        "",
        "| bundle | image | modality | PSNR noisy | PSNR restored | SSIM noisy | SSIM restored |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['bundle']} | {r['image']} | {r['modality']} | {r['psnr_noisy']:.2f} | {r['psnr_restored']:.2f} | {r['ssim_noisy']:.3f} | {r['ssim_restored']:.3f} |"
        )
    for bundle in bundles:
        mine = [r for r in rows if r["bundle"] == bundle]
        p, s = summarize(r["psnr_restored"] for r in mine), summarize(r["ssim_restored"] for r in mine)
        pn = summarize(r["psnr_noisy"] for r in mine)
        lines.append(
            f"| **{bundle} mean** | {p['n']} images | | {pn['mean']:.2f} | {p['mean']:.2f} ± {p['std']:.2f} | | {s['mean']:.3f} ± {s['std']:.3f} |"
        )
    md_path = os.path.join(output_dir, "metrics.md")
    with open(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwrote {md_path}, {csv_path} and PNGs under {output_dir}/<bundle>/png")
    return md_path


def main() -> None:
    import fire

    fire.Fire(lambda **kwargs: run_demo(**kwargs) and None)


if __name__ == "__main__":
    main()

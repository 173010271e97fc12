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

super-resolves bicubic x2 decimations of the super-resolution sample test split (``medrestore-data sr``)
with ``srgan_sr``::

    outputs/demo/srgan_sr/low_resolution/*.nii.gz   x2 decimated inputs (native units, twice the spacing)
    outputs/demo/srgan_sr/super_resolved/*.nii.gz   x2 outputs (native units, float32, input spacing / 2)
    outputs/demo/srgan_sr/png/*.png                 low resolution | bicubic | SRResNet | high resolution | errors
    outputs/demo/metrics.md                         a table: PSNR / SSIM, bicubic vs SRResNet

translates the contrast sample test pairs (``medrestore-data contrast``: simulated T1/T2/PD of held-out
Colin27 slices) with ``cyclegan_translate``, T1 -> T2 and T1 -> PD::

    outputs/demo/cyclegan_translate/<task>/*_synthetic_<contrast>.nii.gz   synthetic contrast on [0, 1]
    outputs/demo/cyclegan_translate/png/<task>_*.png                        input | translated | target | error
    outputs/demo/metrics.md                 a table: foreground PSNR / SSIM, input vs translated, and the
                                            unpaired structure metrics (foreground Dice, gradient NCC)

and reconstructs the sample undersampled k-space files (``medrestore-data mri``: 8 coils, 2D Poisson
4x) with ``modl_recon``::

    outputs/demo/modl_recon/recon/*.nii.gz    magnitude reconstructions (float32)
    outputs/demo/modl_recon/png/*.png         zero-filled | MoDL | reference | error maps
    outputs/demo/metrics.md                   a second table: PSNR / SSIM, zero-filled vs MoDL
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

__all__ = [
    "DENOISING_BUNDLES",
    "RECONSTRUCTION_BUNDLES",
    "SUPER_RESOLUTION_BUNDLES",
    "TRANSLATION_BUNDLES",
    "run_demo",
    "run_reconstruction_demo",
    "run_super_resolution_demo",
    "run_translation_demo",
    "main",
]

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 4))
DENOISING_BUNDLES = ("dran_denoise", "dae_denoise")  # finished denoising bundles; others join here when they land
RECONSTRUCTION_BUNDLES = ("modl_recon",)
SUPER_RESOLUTION_BUNDLES = ("srgan_sr",)
TRANSLATION_BUNDLES = ("cyclegan_translate",)


def bundle_command(bundle: str, dataset_dir: str, output_dir: str, *extra: str) -> list[str]:
    """``python -m monai.bundle run`` of a bundle's own inference.json (the command a user runs)."""
    return [
        sys.executable,
        "-m",
        "monai.bundle",
        "run",
        "--config_file",
        os.path.join(REPO, "bundles", bundle, "configs", "inference.json"),
        "--bundle_root",
        os.path.join(REPO, "bundles", bundle),
        "--dataset_dir",
        dataset_dir,
        "--output_dir",
        output_dir,
        "--overwrite",
        "true",
        *extra,
    ]


def infer_datalist(bundle: str, input_dir: str, output_dir: str, entries: list[dict], what: str) -> None:
    """Write ``entries`` as the ``test`` datalist of ``input_dir`` and run ``bundle``'s inference.json on it."""
    write_datalist(os.path.join(input_dir, "datalist.json"), {"test": entries})
    cmd = bundle_command(bundle, input_dir, output_dir, "--datalist", os.path.join(input_dir, "datalist.json"))
    print(f"[{bundle}] {what} {len(entries)} images: {' '.join(cmd[2:4])} ...", flush=True)
    subprocess.run(cmd, check=True)


def run_reconstruction_demo(
    output_dir: str = "outputs/demo", mri_dir: str | None = None, bundles=RECONSTRUCTION_BUNDLES
) -> list[str]:
    """Reconstruct the sample k-space files with every reconstruction bundle; returns markdown table lines."""
    import h5py

    from medrestore.transforms import LoadKSpaced, ReconInputsd

    mri_dir = mri_dir or os.path.join(REPO, "data", "mri")
    if not os.path.isfile(os.path.join(mri_dir, "datalist.json")):
        from medrestore.data.mri import build_mri_data

        build_mri_data(mri_dir)
    kspace_dir = os.path.join(mri_dir, "kspace")
    lines = [
        "",
        "# Demo: reconstruction of the sample k-space (8 coils, 2D Poisson 4x), test split",
        "",
        "| bundle | k-space file | PSNR zero-filled | PSNR reconstructed | SSIM zero-filled | SSIM reconstructed |",
        "|---|---|---|---|---|---|",
    ]
    for bundle in bundles:
        root = os.path.join(output_dir, bundle)
        cmd = bundle_command(bundle, kspace_dir, os.path.join(root, "recon"))
        print(f"[{bundle}] reconstructing the k-space files of {kspace_dir} ...", flush=True)
        subprocess.run(cmd, check=True)
        scores = []
        for name in sorted(n for n in os.listdir(kspace_dir) if n.endswith(".h5")):
            path = os.path.join(kspace_dir, name)
            with h5py.File(path) as f:
                reference = np.abs(f["target"][0])
            d = ReconInputsd()(LoadKSpaced()({"kspace": path, "slice": 0}))
            zero_filled = np.sqrt((np.asarray(d["image"]) ** 2).sum(0)) * float(d["scale"])
            recon = np.asarray(nib.load(os.path.join(root, "recon", name.replace(".h5", "_recon.nii.gz"))).get_fdata())
            peak = reference.max()
            zf, rec = psnr_ssim(zero_filled / peak, reference / peak), psnr_ssim(recon / peak, reference / peak)
            scores.append((zf, rec))
            lines.append(f"| {bundle} | {name} | {zf[0]:.2f} | {rec[0]:.2f} | {zf[1]:.3f} | {rec[1]:.3f} |")
            grid = comparison_grid(
                [{"zero-filled": zero_filled / peak, "MoDL": recon / peak, "reference": reference / peak}],
                reference="reference",
            )
            save_png(os.path.join(root, "png", name.replace(".h5", ".png")), grid)
        zf_mean = summarize(z[0] for z, _ in scores)["mean"]
        rec_p = summarize(r[0] for _, r in scores)
        lines.append(
            f"| **{bundle} mean** | {rec_p['n']} files | {zf_mean:.2f} | {rec_p['mean']:.2f} ± {rec_p['std']:.2f} | | |"
        )
    return lines


def run_super_resolution_demo(
    output_dir: str = "outputs/demo", sr_dir: str | None = None, bundles=SUPER_RESOLUTION_BUNDLES, scale: int = 2
) -> list[str]:
    """Super-resolve bicubic decimations of the SR sample test split; returns markdown table lines."""
    import torch

    from medrestore.data.super_resolution import build_sr_data
    from medrestore.physics import resolution

    sr_dir = sr_dir or os.path.join(REPO, "data", "sr")
    items = load_windowed_split(sr_dir, "test", builder=build_sr_data)
    lines = [
        "",
        f"# Demo: super-resolution x{scale} of bicubic decimations, sample SR test split",
        "",
        "| bundle | image | modality | PSNR bicubic | PSNR super-resolved | SSIM bicubic | SSIM super-resolved |",
        "|---|---|---|---|---|---|---|",
    ]
    b = scale
    for bundle in bundles:
        root = os.path.join(output_dir, bundle)
        lr_dir, out_dir = os.path.join(root, "low_resolution"), os.path.join(root, "super_resolved")
        entries, truth = [], {}
        for item in items:
            hr = resolution.crop_to_multiple(torch.as_tensor(item["clean"], dtype=torch.float32), scale)
            lr = resolution.bicubic_downsample(hr, scale)
            low, high = item["window"]
            name = os.path.basename(item["image"])
            write_slice(
                os.path.join(lr_dir, name), lr.numpy() * (high - low) + low, [scale * v for v in item["spacing"]]
            )
            entries.append({"image": name, "window": [low, high], "modality": item["modality"]})
            truth[name] = (hr.numpy(), lr, (low, high), item["modality"])
        infer_datalist(bundle, lr_dir, out_dir, entries, f"super-resolving (x{scale})")
        scores = []
        for name, (hr, lr, (low, high), modality) in truth.items():
            out = os.path.join(out_dir, name.replace(".nii.gz", "_restored.nii.gz"))
            sr01 = (np.asarray(nib.load(out).get_fdata()) - low) / (high - low)
            bicubic = resolution.bicubic_upsample(lr, scale).clamp(0, 1).numpy()
            crop = (slice(b, -b), slice(b, -b))
            p_in, s_in = psnr_ssim(bicubic[crop], hr[crop])
            p_out, s_out = psnr_ssim(np.clip(sr01, 0, 1)[crop], hr[crop])
            scores.append((p_in, p_out))
            lines.append(f"| {bundle} | {name} | {modality} | {p_in:.2f} | {p_out:.2f} | {s_in:.3f} | {s_out:.3f} |")
            shown = {
                "low resolution": np.kron(lr.numpy(), np.ones((scale, scale))),
                "bicubic": bicubic,
                "SRResNet": sr01,
                "high resolution": hr,
            }
            save_png(
                os.path.join(root, "png", name.replace(".nii.gz", ".png")),
                comparison_grid([shown], reference="high resolution"),
            )
        p_in, p_out = summarize(p for p, _ in scores), summarize(p for _, p in scores)
        lines.append(
            f"| **{bundle} mean** | {p_out['n']} images | | {p_in['mean']:.2f} | {p_out['mean']:.2f} ± {p_out['std']:.2f} | | |"
        )
    return lines


def run_translation_demo(
    output_dir: str = "outputs/demo",
    contrast_dir: str | None = None,
    bundles=TRANSLATION_BUNDLES,
    tasks=("t1_t2", "t1_pd"),
) -> list[str]:
    """Translate the contrast sample test pairs with every translation bundle; returns markdown table lines."""
    import torch

    from medrestore.benchmarks.cyclegan_translate import foreground_scores
    from medrestore.data import TASKS
    from medrestore.data.contrast import build_contrast_data
    from medrestore.data.datalist import read_datalist_json
    from medrestore.metrics import foreground_mask, structure_report
    from medrestore.transforms import window_bounds

    contrast_dir = contrast_dir or os.path.join(REPO, "data", "contrast")
    if not os.path.isfile(os.path.join(contrast_dir, "datalist.json")):
        build_contrast_data(contrast_dir)
    pairs = read_datalist_json(os.path.join(contrast_dir, "datalist.json"))["test"]
    lines = [
        "",
        "# Demo: MR contrast translation of the sample test pairs (simulated, held-out slices and settings)",
        "",
        "| bundle | task | image | PSNR input | PSNR translated | SSIM input | SSIM translated | Dice | gradient NCC |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def windowed(path: str) -> np.ndarray:
        x = torch.as_tensor(np.asarray(nib.load(path).get_fdata(), dtype=np.float32))
        low, high = window_bounds(x, (0.0, 99.5))
        return np.clip((x.numpy() - low) / (high - low), 0, 1)

    for bundle in bundles:
        root = os.path.join(output_dir, bundle)
        for task in tasks:
            mine = [p for p in pairs if p["task"] == task]
            out_dir = os.path.join(root, task)
            # the inputs' datalist goes beside the outputs: the sample data's own datalist.json stays as it is
            datalist = os.path.join(root, f"{task}_inputs.json")
            write_datalist(datalist, {"test": [{"image": os.path.join(contrast_dir, p["image"])} for p in mine]})
            test_dir = os.path.join(contrast_dir, "test")  # outputs named below it: <stem>_synthetic_<contrast>
            cmd = bundle_command(bundle, test_dir, out_dir, "--datalist", datalist, "--task", task)
            print(f"[{bundle}] translating ({task}) {len(mine)} images: {' '.join(cmd[2:4])} ...", flush=True)
            subprocess.run(cmd, check=True)
            scores = []
            for pair in mine:
                x = windowed(os.path.join(contrast_dir, pair["image"]))
                y = windowed(os.path.join(contrast_dir, pair["label"]))
                stem = os.path.basename(pair["image"]).replace(".nii.gz", "")
                out = np.asarray(
                    nib.load(os.path.join(out_dir, f"{stem}_synthetic_{TASKS[task][1].lower()}.nii.gz")).get_fdata(),
                    dtype=np.float32,
                )
                mask = foreground_mask(torch.from_numpy(y)).numpy()
                before, after = foreground_scores(x, y, mask), foreground_scores(out, y, mask)
                structure = structure_report(torch.from_numpy(out), torch.from_numpy(x))
                scores.append(after["ssim"])
                lines.append(
                    f"| {bundle} | {task} | {stem} | {before['psnr']:.2f} | {after['psnr']:.2f} | {before['ssim']:.3f} | "
                    f"{after['ssim']:.3f} | {structure['foreground_dice']:.3f} | {structure['gradient_ncc']:.3f} |"
                )
                grid = comparison_grid([{"input": x, "translated": out, "target": y}], reference="target")
                save_png(os.path.join(root, "png", f"{task}_{stem}.png"), grid)
            s = summarize(scores)
            lines.append(
                f"| **{bundle} {task} mean** | | {s['n']} images | | | | {s['mean']:.3f} ± {s['std']:.3f} | | |"
            )
    lines += ["", "PSNR / SSIM on the target's foreground (both windowed 0th-99.5th percentile to [0, 1])."]
    return lines


def run_demo(
    output_dir: str = "outputs/demo",
    data_dir: str | None = None,
    sigma: float = 0.1,
    bundles=DENOISING_BUNDLES,
    mri_dir: str | None = None,
    reconstruction_bundles=RECONSTRUCTION_BUNDLES,
    sr_dir: str | None = None,
    super_resolution_bundles=SUPER_RESOLUTION_BUNDLES,
    contrast_dir: str | None = None,
    translation_bundles=TRANSLATION_BUNDLES,
) -> str:
    """Degrade, restore and score the sample test images with every denoising bundle, reconstruct the
    sample k-space with every reconstruction bundle, super-resolve the SR sample test split with every
    super-resolution bundle, translate the contrast sample test pairs with every translation bundle;
    returns the metrics table path."""
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
        infer_datalist(bundle, noisy_dir, restored_dir, entries, "restoring")
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
    if super_resolution_bundles:
        lines += run_super_resolution_demo(output_dir, sr_dir, super_resolution_bundles)
    if translation_bundles:
        lines += run_translation_demo(output_dir, contrast_dir, translation_bundles)
    if reconstruction_bundles:
        lines += run_reconstruction_demo(output_dir, mri_dir, reconstruction_bundles)
    md_path = os.path.join(output_dir, "metrics.md")
    with open(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwrote {md_path}, {csv_path}, reconstructions and PNGs under {output_dir}/<bundle>/")
    return md_path


def main() -> None:
    import fire

    fire.Fire(lambda **kwargs: run_demo(**kwargs) and None)


if __name__ == "__main__":
    main()

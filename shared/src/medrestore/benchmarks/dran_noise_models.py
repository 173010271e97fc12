"""dran_denoise on the noise each modality really has, next to BM3D and NL-means, in one run.

    python -m medrestore.benchmarks.dran_noise_models --output_dir docs/benchmarks

The shipped weights were trained on additive white Gaussian noise only; this benchmark shows what that
costs on the noise of real acquisitions (``medrestore.noise``), on the test and unseen-source splits of
``medrestore-data denoising``, with fixed seeds:

- MR: Rician noise of magnitude images (complex Gaussian noise of standard deviation sigma, then the
  magnitude): biased upwards in dark regions, not zero-mean there;
- X-ray: Poisson-Gaussian detector noise (``peak`` photons at intensity 1, read-out std 0.01):
  signal-dependent;
- CT: low-dose filtered back-projection noise (Poisson counts of ``i0`` photons per detector bin on a
  parallel-beam sinogram, then FBP): spatially correlated streaks.

Methods: the noisy input; NL-means given the noise's global standard deviation (h = 0.8 x that);
BM3D given the same (the root mean square of ``noisy - clean``, an oracle level); DRAN blind (the
bundle's ``models/model.pt``); on MR also BM3D and DRAN followed by the Rician bias correction
(:func:`medrestore.noise.rician_bias_correct`, the bundle's ``--rician_correction true``) with the true
sigma, and DRAN with the correction's sigma estimated from the noisy image (the bundle's default).
``--weights "{'label': 'path/model.pt'}"`` adds other DRAN weight files as columns (for example a run of
``configs/train_noise_mixture.json``; on MR also with the correction), each with its margin to BM3D.
Every output is clipped to ``[0, 1]``. Not included: variance-stabilising transforms before BM3D
(generalised Anscombe for Poisson-Gaussian), which would make BM3D stronger on X-ray. Writes
``dran_noise_models.md``, ``.json`` and ``_crops.png``.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch

from medrestore.benchmarks.dran_denoise import SPLITS, load_dran, restore
from medrestore.benchmarks.dran_weights import load_weights
from medrestore.benchmarks.report import machine, write_json, write_lines
from medrestore.cli.demo import REPO
from medrestore.data.datalist import load_windowed_split
from medrestore.evaluation import psnr_ssim, summarize
from medrestore.noise import (
    AddPoissonGaussianNoised,
    AddRicianNoised,
    LowDoseCTNoised,
    estimate_rician_sigma,
    rician_bias_correct,
)
from medrestore.visualize import center_crop, comparison_grid, save_png

__all__ = ["NOISE_MODELS", "degrade", "run"]

RICIAN = "Rician correction"

# modality -> [(setting name, transform)]: two levels each, the lower one typical of a clinical scan
NOISE_MODELS = {
    "MR": [(f"Rician sigma={s:g}", AddRicianNoised("image", sigma=s)) for s in (0.05, 0.10)],
    "XR": [
        (f"Poisson-Gaussian peak={p:g}", AddPoissonGaussianNoised("image", peak=p, sigma=0.01)) for p in (1000, 200)
    ],
    "CT": [(f"low-dose FBP i0={i:.0e}", LowDoseCTNoised("image", i0=i)) for i in (5e4, 1e4)],
}


def degrade(item: dict, transform, setting_index: int) -> np.ndarray:
    """The item's clean ``(H, W)`` image through ``transform`` with a seed fixed by the item and setting."""
    seed = item["noise_seed"] * 1000 + 500 + setting_index
    image = torch.as_tensor(np.asarray(item["clean"], dtype=np.float32))[None]
    return transform({"image": image, "noise_seed": seed})["image"][0].numpy()


def methods(network) -> dict:
    from skimage.restoration import denoise_nl_means

    out = {
        "noisy": lambda y, level: y,
        "NL-means": lambda y, level: denoise_nl_means(
            y, h=0.8 * level, sigma=level, patch_size=5, patch_distance=6, fast_mode=True
        ),
    }
    try:
        import bm3d

        out["BM3D"] = lambda y, level: bm3d.bm3d(y, sigma_psd=level)
    except ImportError:
        print("bm3d is not installed (pip install -r requirements-benchmark.txt): BM3D is left out")
    out["DRAN"] = lambda y, level: restore(network, y)
    return out


def run(
    output_dir: str = "docs/benchmarks",
    data_dir: str | None = None,
    max_images: int | None = None,
    weights: dict | None = None,
) -> dict:
    """Run the benchmark and write its files; ``weights``: extra DRAN weight files, label -> path."""
    weights = weights or {}
    if not isinstance(weights, dict):
        raise ValueError(f"--weights must map labels to weight files, got {weights!r}.")
    data_dir = data_dir or os.path.join(REPO, "data", "denoising")
    algos = methods(load_dran())
    for label, path in weights.items():
        algos[label] = lambda y, level, net=load_weights(path): restore(net, y)
    learnt = ["DRAN", *weights]
    scores: dict = {}  # (split, modality, setting, method) -> [(psnr, ssim)]
    levels: dict = {}  # (split, modality, setting) -> [noise rms]
    crops = {}
    for split in SPLITS:
        for item in load_windowed_split(data_dir, split)[:max_images]:
            for index, (setting, transform) in enumerate(NOISE_MODELS[item["modality"]]):
                y = degrade(item, transform, index)
                level = float(np.sqrt(np.mean((y - item["clean"]) ** 2)))
                key = (split, item["modality"], setting)
                levels.setdefault(key, []).append(level)
                row = {"clean": item["clean"]}
                outputs = {name: fn(y, level) for name, fn in algos.items()}
                if item["modality"] == "MR":  # the bundle's --rician_correction true, given or estimating sigma
                    sigma = float(transform.sigma[0])
                    for name in [n for n in ("BM3D", *learnt) if n in outputs]:
                        outputs[f"{name} + {RICIAN}"] = rician_bias_correct(outputs[name], sigma)
                    outputs[f"DRAN + {RICIAN}, estimated sigma"] = rician_bias_correct(
                        outputs["DRAN"], estimate_rician_sigma(y)
                    )
                for name, out in outputs.items():
                    restored = np.clip(out, 0, 1)
                    scores.setdefault((*key, name), []).append(psnr_ssim(restored, item["clean"]))
                    row[name] = restored
                crops.setdefault(key, row)
                print(
                    f"{split} {setting} {item['image']}: rms {level:.3f}, "
                    + ", ".join(f"{n} {scores[(*key, n)][-1][0]:.2f}" for n in outputs),
                    flush=True,
                )
    table: dict = {}
    for (split, modality, setting, name), vals in scores.items():
        entry = table.setdefault(split, {}).setdefault(f"{modality} / {setting}", {})
        entry["noise_rms"] = summarize(levels[(split, modality, setting)])
        entry[name] = {"psnr": summarize(v[0] for v in vals), "ssim": summarize(v[1] for v in vals)}
    margins = {
        name: {
            f"{split}/{row}": res[name]["psnr"]["mean"] - res["BM3D"]["psnr"]["mean"]
            for split, rows in table.items()
            for row, res in rows.items()
            if "BM3D" in res
        }
        for name in learnt
    }
    command = f"python -m medrestore.benchmarks.dran_noise_models --output_dir {output_dir}"
    result = {
        "command": command + (f' --weights "{weights!r}"' if weights else ""),
        "machine": machine(),
        "weights": {"DRAN": "bundles/dran_denoise/models/model.pt", **weights},
        "scores": table,
        "minus_bm3d_psnr_db": margins,  # method -> {"split/modality / noise": PSNR difference}
    }
    os.makedirs(output_dir, exist_ok=True)
    stem = os.path.join(output_dir, "dran_noise_models")
    write_json(stem + ".json", result)
    shown = [row for key, row in crops.items() if key[0] == "unseen_source"]
    save_png(stem + "_crops.png", _grid(shown, ["noisy", "clean", *[n for n in algos if n != "noisy"]]))
    mr = [row for row in shown if f"DRAN + {RICIAN}" in row]
    if mr:
        columns = ["noisy", "clean", "DRAN", *[n for n in mr[0] if RICIAN in n]]
        save_png(stem + "_rician_crops.png", _grid(mr, columns))
    names = list(dict.fromkeys(name for (*_, name) in scores))
    write_markdown(stem + ".md", result, names, learnt)
    return result


def _grid(rows: list[dict], columns: list[str]):
    """128-pixel centre crops of ``columns`` of every row, error maps against ``clean`` (short labels)."""

    def label(name: str) -> str:
        return name.replace(f" + {RICIAN}", "+corr").replace(", estimated sigma", " est")

    return comparison_grid([{label(k): center_crop(row[k], 128) for k in columns} for row in rows], reference="clean")


def write_markdown(path: str, r: dict, names: list[str], learnt: list[str]) -> None:
    lines = [
        "# dran_denoise on each modality's own noise",
        "",
        f"Reproduce: `{r['command']}` (needs `pip install -r requirements-benchmark.txt`). Machine: {r['machine']}.",
        "MR: Rician; X-ray: Poisson-Gaussian (read-out std 0.01); CT: low-dose FBP (parallel beam, 180 angles), "
        "on the [0, 1] window of the test and unseen-source splits of `medrestore-data denoising`, fixed seeds. "
        "NL-means and BM3D are given the noise's root mean square (an oracle level; no variance-stabilising "
        "transform); DRAN (the shipped weights) is blind and was trained on Gaussian noise only. PSNR (dB) / SSIM, "
        "mean over the images (n); every output clipped to [0, 1].",
        "",
        *[f"- `{label}`: `{path}`" for label, path in r["weights"].items() if label != "DRAN"],
        "",
    ]
    for split, rows in r["scores"].items():
        lines += [
            f"## {split}",
            "",
            "| modality / noise | noise rms | " + " | ".join(names) + "".join(f" | {n} − BM3D" for n in learnt) + " |",
            "|---|---|" + "---|" * (len(names) + len(learnt)),
        ]
        for row, res in rows.items():
            cells = [
                f"{res[n]['psnr']['mean']:.2f} / {res[n]['ssim']['mean']:.3f} ({res[n]['psnr']['n']})"
                if n in res
                else "–"
                for n in names
            ]
            margins = [r["minus_bm3d_psnr_db"][n].get(f"{split}/{row}") for n in learnt]
            lines.append(
                f"| {row} | {res['noise_rms']['mean']:.3f} | "
                + " | ".join(cells)
                + "".join(f" | {m:+.2f} dB" if m is not None else " | –" for m in margins)
                + " |"
            )
        lines.append("")
    lines += [
        "![crops](dran_noise_models_crops.png)",
        "",
        "Unseen-source split, first image of each modality and setting, 128² centre crops; error maps |x − clean| × 4.",
        "",
        "MR with the Rician bias correction (+corr: the bundle's `--rician_correction true`, given sigma; est: "
        "estimating it):",
        "",
        "![Rician crops](dran_noise_models_rician_crops.png)",
        "",
    ]
    write_lines(path, lines)


def main() -> None:
    import fire

    fire.Fire(lambda **kwargs: print(json.dumps(run(**kwargs)["minus_bm3d_psnr_db"], indent=2)))


if __name__ == "__main__":
    main()

"""Compare DRAN weight files (training runs, fine-tunings) on every split, DRAN only.

The same images, sigmas and noise seeds as :mod:`medrestore.benchmarks.dran_denoise`, so its figures
for the shipped weights reappear here; no classical baselines (run that benchmark for them). Weights
are loaded into the ``inference.json`` network with the noise-level input on: blind files load with
zero weights on that channel, i.e. as the blind network they are. Writes ``dran_weights.md`` and
``.json`` (PSNR / SSIM, mean over the images of each modality).

    python -m medrestore.benchmarks.dran_weights --output_dir docs/benchmarks \\
        --weights "{'shipped': 'bundles/dran_denoise/models/model.pt', 'run': 'eval/dran_ft/models/model.pt'}"
"""

from __future__ import annotations

import os

import numpy as np

from medrestore.benchmarks.dran_denoise import BUNDLE, SIGMAS, noisy_version, restore
from medrestore.benchmarks.report import machine, write_json, write_lines
from medrestore.cli.demo import REPO
from medrestore.data.datalist import load_windowed_split
from medrestore.evaluation import psnr_ssim
from medrestore.packaging import load_bundle_network

SPLITS = ("validation", "test", "unseen_source")


def load_weights(path: str):
    """A DRAN weight file of the bundle's architecture, blind or with the noise-level input (blind files load
    with zero weights on that channel, i.e. as the network they are)."""
    return load_bundle_network(BUNDLE, path, {"noise_level_input": True})


def run(
    weights: dict, output_dir: str = "docs/benchmarks", data_dir: str | None = None, name: str = "dran_weights"
) -> dict:
    """Score every file of ``weights`` (label -> path) on the validation, test and unseen-source splits."""
    if not isinstance(weights, dict) or not weights:
        raise ValueError(f"--weights must map labels to weight files, got {weights!r}.")
    data_dir = data_dir or os.path.join(REPO, "data", "denoising")
    nets = {label: load_weights(path) for label, path in weights.items()}
    table: dict = {}
    for split in SPLITS:
        items = load_windowed_split(data_dir, split)
        for sigma in SIGMAS:
            for modality in sorted({it["modality"] for it in items}):
                chosen = [it for it in items if it["modality"] == modality]
                row = (
                    table.setdefault(split, {}).setdefault(f"{sigma:.2f}", {}).setdefault(modality, {"n": len(chosen)})
                )
                for label, net in nets.items():
                    scores = [
                        psnr_ssim(np.clip(restore(net, noisy_version(it, sigma)), 0, 1), it["clean"]) for it in chosen
                    ]
                    row[label] = {
                        "psnr": float(np.mean([s[0] for s in scores])),
                        "ssim": float(np.mean([s[1] for s in scores])),
                    }
                print(
                    f"{split} sigma {sigma:.2f} {modality}: " + ", ".join(f"{k} {row[k]['psnr']:.2f}" for k in nets),
                    flush=True,
                )
    labels = list(nets)
    result = {
        "command": f"python -m medrestore.benchmarks.dran_weights --output_dir {output_dir}"
        + (f" --name {name}" if name != "dran_weights" else "")
        + f' --weights "{weights!r}"',
        "machine": machine(),
        "weights": weights,
        "psnr_ssim": table,
    }
    lines = [
        "# DRAN weight files compared (DRAN only)",
        "",
        f"Command: `{result['command']}`  ",
        f"Machine: {result['machine']}. Additive Gaussian noise on the [0, 1] window, the seeds of "
        "`medrestore.benchmarks.dran_denoise`; PSNR (dB) / SSIM, mean over the images of each modality.",
        "",
        "| split | sigma | modality (n) | " + " | ".join(labels) + " |",
        "|---|---|---|" + "---|" * len(labels),
    ]
    for split, sigmas in table.items():
        for sigma, modalities in sigmas.items():
            for modality, row in modalities.items():
                cells = " | ".join(f"{row[k]['psnr']:.2f} / {row[k]['ssim']:.3f}" for k in labels)
                lines.append(f"| {split} | {sigma} | {modality} ({row['n']}) | {cells} |")
    write_json(os.path.join(output_dir, f"{name}.json"), result)
    write_lines(os.path.join(output_dir, f"{name}.md"), lines + [""])
    return result


def main() -> None:
    import fire

    fire.Fire(run)


if __name__ == "__main__":
    main()

"""What ``--consistency true`` costs when the assumed degradation is wrong (srgan_sr).

    python -m medrestore.benchmarks.srgan_sr_consistency --output_dir docs/benchmarks

Back-projection (:func:`medrestore.physics.resolution.back_project`) makes the SRResNet output consistent
with the low-resolution input under the degradation the user names with ``--degradation``. The main
benchmark (:mod:`medrestore.benchmarks.srgan_sr`) applies it with the true degradation; a user seldom
knows it. Here every true degradation of :data:`medrestore.physics.resolution.DEGRADATIONS` (the rows) is
back-projected under every assumed one (the columns), on the test and unseen-source splits of
``data/sr``, x2 and x4, with the shipped SRResNet weights; PSNR (peak 1, border of ``scale`` pixels
excluded) minus the network alone. Writes ``srgan_sr_consistency.md`` and ``.json``.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch
from monai.bundle import ConfigParser

from medrestore.benchmarks.report import machine, write_json, write_lines
from medrestore.benchmarks.srgan_sr import BUNDLE, SPLITS, _evaluation_items, _model_file, _network
from medrestore.evaluation import psnr_ssim
from medrestore.physics import resolution

__all__ = ["run"]


def run_scale(scale: int, models_dir: str) -> dict:
    """``{split: {true: {assumed or "none": [psnr per image]}}}`` at one scale."""
    parser = ConfigParser()
    parser.read_config(os.path.join(BUNDLE, "configs", "train.json"))
    parser.update({"bundle_root": BUNDLE, "scale": int(scale)})
    parser.parse()
    net = _network(parser, os.path.join(models_dir, _model_file("model", scale)))
    if net is None:
        raise FileNotFoundError(f"no SRResNet weights for x{scale} in {models_dir}.")
    b = int(scale)
    results: dict = {}
    for split in SPLITS:
        items, transform = _evaluation_items(parser, split)
        for item in items:
            for true in resolution.DEGRADATIONS:
                d = transform({**item, "degradation": true})
                lr, hr = d["image"][None].float(), d["label"][None].float()
                with torch.inference_mode():
                    sr = net(lr)
                outputs = {"none": sr}
                outputs.update(
                    {assumed: resolution.back_project(sr, lr, scale, assumed) for assumed in resolution.DEGRADATIONS}
                )
                row = results.setdefault(split, {}).setdefault(true, {})
                for name, out in outputs.items():
                    crop = out.clamp(0, 1)[0, 0, b:-b, b:-b].numpy()
                    row.setdefault(name, []).append(psnr_ssim(crop, hr[0, 0, b:-b, b:-b].numpy())[0])
    return results


def run(output_dir: str = "docs/benchmarks", models_dir: str | None = None, scales=(2, 4)) -> dict:
    """Run the benchmark and write its files."""
    models_dir = models_dir or os.path.join(BUNDLE, "models")
    table = {}
    for scale in scales:
        raw = run_scale(int(scale), models_dir)
        table[f"x{scale}"] = {
            split: {
                true: {
                    "network_alone_psnr": float(np.mean(methods["none"])),
                    "gain_db_by_assumed": {
                        assumed: float(np.mean(np.subtract(methods[assumed], methods["none"])))
                        for assumed in resolution.DEGRADATIONS
                    },
                    "images": len(methods["none"]),
                }
                for true, methods in by_true.items()
            }
            for split, by_true in raw.items()
        }
        print(json.dumps(table[f"x{scale}"]), flush=True)
    worst = min(
        gain
        for splits in table.values()
        for trues in splits.values()
        for true, res in trues.items()
        for assumed, gain in res["gain_db_by_assumed"].items()
        if assumed != true
    )
    result = {
        "command": "python -m medrestore.benchmarks.srgan_sr_consistency --output_dir docs/benchmarks",
        "machine": machine(),
        "psnr": table,
        "worst_gain_with_a_wrong_degradation_db": worst,
    }
    os.makedirs(output_dir, exist_ok=True)
    stem = os.path.join(output_dir, "srgan_sr_consistency")
    write_json(stem + ".json", result)
    write_markdown(stem + ".md", result)
    return result


def write_markdown(path: str, r: dict) -> None:
    kinds = list(resolution.DEGRADATIONS)
    lines = [
        "# srgan_sr: back-projection under a wrong degradation",
        "",
        f"Reproduce: `{r['command']}`. Machine: {r['machine']}.",
        "Shipped SRResNet weights; each row is the degradation that made the input (with each item's seeded mild "
        "noise, as in the bundle's validation), each column the degradation `--consistency true --degradation` "
        "assumes. Cells: PSNR gain (dB) of back-projection over the network alone, mean over the split's images; "
        "the diagonal is the right assumption.",
        "",
        f"Worst gain with a wrong assumption: {r['worst_gain_with_a_wrong_degradation_db']:+.2f} dB.",
        "",
    ]
    for scale, splits in r["psnr"].items():
        for split, trues in splits.items():
            lines += [
                f"## {scale}, {split}",
                "",
                "| true \\ assumed | network alone (dB) | " + " | ".join(kinds) + " |",
                "|---|---|" + "---|" * len(kinds),
            ]
            for true, res in trues.items():
                cells = [
                    (
                        f"**{res['gain_db_by_assumed'][k]:+.2f}**"
                        if k == true
                        else f"{res['gain_db_by_assumed'][k]:+.2f}"
                    )
                    for k in kinds
                ]
                lines.append(
                    f"| {true} ({res['images']}) | {res['network_alone_psnr']:.2f} | " + " | ".join(cells) + " |"
                )
            lines.append("")
    write_lines(path, lines)


def main() -> None:
    import fire

    fire.Fire(lambda **kwargs: print(run(**kwargs)["worst_gain_with_a_wrong_degradation_db"]))


if __name__ == "__main__":
    main()

"""modl_recon at other k-space noise levels than the main benchmark's 0.005.

    python -m medrestore.benchmarks.modl_noise_levels --output_dir docs/benchmarks \\
        --weights "{'0.4.0 model.pt': 'path/to/model.pt'}"

The training data hold complex k-space noise std 0.002 to 0.02 (log-uniform); the benchmark of
:mod:`medrestore.benchmarks.modl_recon` scores 0.005 only. This one scores std 0.002 and 0.02 (and 0.005
for the networks' rows) with the same splits, mask settings, 8 coils and coil maps given: zero-filled,
CG-SENSE and L1-wavelet (iterations and lambda tuned per setting and noise level on 4 validation slices),
the shipped ``model.pt`` and ``model_fast.pt`` and any other MoDL weights files (``weights``: name ->
path, built as each file was trained; a name containing "fast" runs ``inference.json``'s fast solver, others
its default one). It shows what a ``lambda`` that follows the noise (``--lambda_noise_adaptive``) buys
against one ``lambda`` for every noise level. With ``sweep_weights`` (a shared-``lambda`` file, such as
0.4.0's ``model_fast.pt``: ``git show a45d272:bundles/modl_recon/models/model_fast.pt``) it also
scores that network with its trained ``lambda`` multiplied by each of ``LAMBDA_SCALES`` on the first
validation slices at every noise level: the measurement that motivated the noise-adaptive ``lambda``.
Writes ``modl_noise_levels.md`` and ``.json``.
"""

from __future__ import annotations

import os
import shlex
import sys

import numpy as np

from medrestore.benchmarks.modl_recon import (
    BUNDLE,
    SETTINGS,
    SPLITS,
    TUNING_ITEMS,
    classical_methods,
    fastmri_metrics,
    file_architecture,
    load_split,
    magnitude,
    network_recon,
    score,
    setting_name,
    solver_name,
)
from medrestore.benchmarks.report import machine, write_json, write_lines
from medrestore.cli.demo import REPO

__all__ = ["run"]

NOISE_LEVELS = (0.002, 0.005, 0.02)
CLASSICAL_LEVELS = (0.002, 0.02)  # 0.005: the main benchmark's tables (docs/benchmarks/modl_recon.md)
LAMBDA_SCALES = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)
SWEEP_ITEMS = 6


def _networks(weights: dict[str, str] | None) -> dict:
    from medrestore.packaging import load_bundle_network

    nets = {
        "MoDL (shipped)": load_bundle_network(BUNDLE),
        "MoDL fast (shipped)": load_bundle_network(BUNDLE, overrides={"fast": True}),
    }
    for name, path in (weights or {}).items():
        overrides = {"fast": "fast" in name, **file_architecture(path)}
        nets[f"MoDL ({name})"] = load_bundle_network(BUNDLE, path, overrides)
    return nets


def lambda_sweep(data_dir: str, path: str, fast: bool, max_items: int | None = None) -> list[dict]:
    """Mean validation PSNR of the shared-``lambda`` network in ``path`` with ``lambda`` x each of
    :data:`LAMBDA_SCALES`, per noise level and setting (coil maps given)."""
    import math

    import torch

    from medrestore.packaging import load_bundle_network

    net = load_bundle_network(BUNDLE, path, {"fast": fast, **file_architecture(path)})
    if net.lam_noise_slope is not None:
        raise ValueError(f"{path}: the lambda sweep needs a shared-lambda weights file, this one is noise-adaptive.")
    trained = net.dc.lam.item()
    rows = []
    for noise in NOISE_LEVELS:
        for setting in SETTINGS:
            items = load_split(data_dir, "validation", setting, noise_std=noise)[: max_items or SWEEP_ITEMS]
            refs = [magnitude(it["label"]) * it["scale"] for it in items]
            psnr = {}
            for factor in LAMBDA_SCALES:
                net.dc.raw_lam.data = torch.tensor(math.log(math.expm1(trained * factor)))
                recons = [network_recon(net, it) * it["scale"] for it in items]
                psnr[f"{factor:g}"] = float(np.mean([fastmri_metrics(x, r)["psnr"] for x, r in zip(recons, refs)]))
            rows.append({"noise_std": noise, "setting": setting_name(setting), "n": len(items), "psnr": psnr})
            print(f"lambda sweep, noise {noise:g}, {setting_name(setting)}: {psnr}", flush=True)
    return rows


def run(
    data_dir: str,
    output_dir: str,
    weights: dict[str, str] | None = None,
    max_items: int | None = None,
    sweep_weights: str | None = None,
) -> dict:
    """Mean PSNR / SSIM per noise level, setting and split (coil maps given); the ``lambda`` sweep of
    ``sweep_weights`` (a fast-solver file when its name holds "fast") when given."""
    nets = _networks(weights)
    result = {
        "command": "python -m medrestore.benchmarks.modl_noise_levels " + shlex.join(sys.argv[1:]),
        "machine": machine(),
        "solvers": {name: solver_name(net) for name, net in nets.items()},
        "tables": [],
    }
    if sweep_weights:
        fast = "fast" in os.path.basename(sweep_weights)
        result["lambda_sweep"] = {
            "weights": sweep_weights,
            "rows": lambda_sweep(data_dir, sweep_weights, fast, max_items),
        }
    for noise in NOISE_LEVELS:
        for setting in SETTINGS:
            load = {
                split: load_split(data_dir, split, setting, noise_std=noise)[:max_items]
                for split in ("validation", *SPLITS)
            }
            refs = {split: [magnitude(it["label"]) * it["scale"] for it in items] for split, items in load.items()}
            methods = {}
            tuned = {}
            if noise in CLASSICAL_LEVELS:
                val, val_refs = load["validation"][:TUNING_ITEMS], refs["validation"][:TUNING_ITEMS]
                methods, tuned, _ = classical_methods(val, val_refs, "support")
            for name, net in nets.items():
                methods[name] = ("support", lambda it, net=net: network_recon(net, it))
            for split in SPLITS:
                entry = {
                    "noise_std": noise,
                    "setting": setting_name(setting),
                    "split": split,
                    "n": len(refs[split]),
                    "tuned": tuned,
                    "methods": score(methods, {"support": load[split]}, refs[split], None),
                }
                result["tables"].append(entry)
                print(
                    f"noise {noise:g}, {entry['setting']}, {split}: "
                    + ", ".join(f"{n} {v['psnr']['mean']:.2f}" for n, v in entry["methods"].items()),
                    flush=True,
                )
    os.makedirs(output_dir, exist_ok=True)
    stem = os.path.join(output_dir, "modl_noise_levels")
    write_json(stem + ".json", result)
    _markdown(stem + ".md", result)
    return result


def _short(name: str) -> str:
    """``CG-SENSE (20 it.)`` -> ``CG-SENSE``: one column per classical method whatever its tuned value."""
    return name.split(" (")[0] if name.startswith(("CG-SENSE", "L1-wavelet")) else name


def _markdown(path: str, r: dict) -> None:
    names = list(dict.fromkeys(_short(n) for t in r["tables"] for n in t["methods"]))
    lines = [
        "# modl_recon at other noise levels",
        "",
        f"Reproduce: `{r['command']}`. Machine: {r['machine']}.",
        "Complex k-space noise std 0.002 / 0.005 / 0.02 (the training range is 0.002-0.02), 8 coils, coil maps "
        "given, each item's seed; CG-SENSE iterations and the L1-wavelet lambda tuned per setting and noise level "
        "on 4 validation slices (at 0.005 the classical rows are in modl_recon.md). PSNR (dB) / SSIM, mean over the "
        "split's slices (n). Solvers: " + ", ".join(f"{n}: {s}" for n, s in r["solvers"].items()) + ".",
        "",
        "| noise std | setting | split | n | " + " | ".join(names) + " |",
        "|---|---|---|---|" + "---|" * len(names),
    ]
    for t in r["tables"]:
        by_short = {_short(n): v for n, v in t["methods"].items()}
        cells = [
            f"{by_short[n]['psnr']['mean']:.2f} / {by_short[n]['ssim']['mean']:.3f}" if n in by_short else "-"
            for n in names
        ]
        lines.append(f"| {t['noise_std']:g} | {t['setting']} | {t['split']} | {t['n']} | " + " | ".join(cells) + " |")
    lines.append("")
    if "lambda_sweep" in r:
        sweep = r["lambda_sweep"]
        lines += [
            f"## The trained lambda scaled (`{sweep['weights']}`, shared lambda, validation slices)",
            "",
            "Mean PSNR (dB) with the trained lambda multiplied by each factor; the best factor in bold.",
            "",
            "| noise std | setting | n | " + " | ".join(f"x {f:g}" for f in LAMBDA_SCALES) + " |",
            "|---|---|---|" + "---|" * len(LAMBDA_SCALES),
        ]
        for row in sweep["rows"]:
            best = max(row["psnr"], key=row["psnr"].get)
            cells = [f"**{v:.2f}**" if k == best else f"{v:.2f}" for k, v in row["psnr"].items()]
            lines.append(f"| {row['noise_std']:g} | {row['setting']} | {row['n']} | " + " | ".join(cells) + " |")
        lines.append("")
    write_lines(path, lines)


def main(
    data_dir: str = os.path.join(REPO, "data", "mri"),
    output_dir: str = os.path.join(REPO, "docs", "benchmarks"),
    weights: dict | None = None,
    max_items: int | None = None,
    sweep_weights: str | None = None,
) -> None:
    """Run on the MRI sample data (``medrestore-data mri --output_dir data/mri`` first). ``weights``:
    other MoDL weights files to score, ``{name: path}`` (a name with "fast" runs the fast solver);
    ``sweep_weights``: a shared-``lambda`` file to score with scaled ``lambda`` (see the module doc)."""
    run(data_dir, output_dir, weights, max_items, sweep_weights)


if __name__ == "__main__":
    import fire

    fire.Fire(main)

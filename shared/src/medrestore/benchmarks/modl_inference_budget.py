"""What the shipped MoDL gains or loses with other unrolls, CG iterations and CG starts than it was trained with.

    python -m medrestore.benchmarks.modl_inference_budget --output_dir docs/benchmarks

The reconstruction time of MoDL is about ``K x cg_iterations`` applications of the normal operator
(plus ``K`` denoiser passes). The shipped weights were trained with the ``iterations``, ``cg_iterations``
and ``cg_warm_start`` of ``inference.json``; this benchmark runs them with every ``(K, cg_iterations, start)``
of a grid (*cold*: CG from zero, *warm*: from the denoiser output), on the test
and unseen-source splits of the MRI sample data (``medrestore-data mri``), 8 coils, coil maps given,
at 2D Poisson 4x and 8x and 1D random 4x, with the benchmark's k-space (:mod:`medrestore.benchmarks.modl_recon`'s
``load_split``), and times each on one 256 x 256 slice. It answers whether the speed target can be bought at
inference alone. Writes ``modl_inference_budget.md``, ``.json`` and ``.png`` (PSNR against seconds).
"""

from __future__ import annotations

import os

import numpy as np

from medrestore.benchmarks.modl_recon import (
    BUNDLE,
    SETTINGS,
    SPLITS,
    fastmri_metrics,
    load_split,
    magnitude,
    network_recon,
    setting_name,
    timing_item,
)
from medrestore.benchmarks.report import machine, write_json, write_lines
from medrestore.benchmarks.timing import median_seconds
from medrestore.cli.demo import REPO

__all__ = ["run"]

GRID = (  # (K, CG iterations, warm start)
    (5, 10, False),
    (5, 10, True),
    (5, 5, True),
    (3, 10, False),
    (3, 5, False),
    (3, 5, True),
    (3, 3, True),
    (2, 5, True),
)


def _key(k: int, cg: int, warm: bool) -> str:
    return f"K={k}, CG {cg} {'warm' if warm else 'cold'}"


def run(data_dir: str, output_dir: str, max_items: int | None = None) -> dict:
    """Mean PSNR / SSIM of the shipped weights for every ``(K, cg_iterations, warm start)`` of :data:`GRID`."""
    from medrestore.packaging import load_bundle_network

    net = load_bundle_network(BUNDLE)
    trained = (net.iterations, net.dc.max_iter, net.dc.warm_start)
    rows = []
    for setting in SETTINGS:
        for split in SPLITS:
            items = load_split(data_dir, split, setting)[:max_items]
            refs = [magnitude(it["label"]) * it["scale"] for it in items]
            row = {"setting": setting_name(setting), "split": split, "n": len(items), "scores": {}}
            for k, cg, warm in GRID:
                net.iterations, net.dc.max_iter, net.dc.warm_start = k, cg, warm
                metrics = [fastmri_metrics(network_recon(net, it) * it["scale"], r) for it, r in zip(items, refs)]
                row["scores"][_key(k, cg, warm)] = {
                    m: float(np.mean([x[m] for x in metrics])) for m in ("psnr", "ssim")
                }
            rows.append(row)
            print(
                f"{row['setting']} {split}: " + ", ".join(f"{key} {v['psnr']:.2f}" for key, v in row["scores"].items()),
                flush=True,
            )
    item = timing_item(data_dir)
    seconds = {}
    for k, cg, warm in GRID:
        net.iterations, net.dc.max_iter, net.dc.warm_start = k, cg, warm
        seconds[_key(k, cg, warm)] = median_seconds(lambda: network_recon(net, item))
    net.iterations, net.dc.max_iter, net.dc.warm_start = trained
    result = {
        "command": f"python -m medrestore.benchmarks.modl_inference_budget --output_dir {output_dir}",
        "machine": machine(),
        "trained": _key(*trained),
        "rows": rows,
        "seconds_per_256_slice": seconds,
    }
    os.makedirs(output_dir, exist_ok=True)
    stem = os.path.join(output_dir, "modl_inference_budget")
    write_json(stem + ".json", result)
    _plot(stem + ".png", result)
    _markdown(stem + ".md", result)
    return result


def _plot(path: str, r: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(r["seconds_per_256_slice"])
    seconds = [r["seconds_per_256_slice"][key] for key in keys]
    fig, axes = plt.subplots(1, len(SPLITS), figsize=(5 * len(SPLITS), 3.5), dpi=120)
    for ax, split in zip(np.atleast_1d(axes), SPLITS):
        for row in [row for row in r["rows"] if row["split"] == split]:
            ax.plot(seconds, [row["scores"][key]["psnr"] for key in keys], "o", label=row["setting"])
            for x, key in zip(seconds, keys):
                ax.annotate(key, (x, row["scores"][key]["psnr"]), fontsize=6)
        ax.set_xlabel("seconds per 256 x 256 8-coil slice (label: K, CG iterations, start)")
        ax.set_ylabel("mean PSNR (dB)")
        ax.set_title(f"shipped MoDL, coil maps given, {split} split")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _markdown(path: str, r: dict) -> None:
    keys = list(r["seconds_per_256_slice"])
    lines = [
        "# modl_recon: unrolls and CG iterations at inference",
        "",
        f"Reproduce: `{r['command']}`. Machine: {r['machine']}.",
        f"The shipped weights (trained with {r['trained']}) run with other solver budgets (cold: CG from zero, "
        "warm: from the denoiser output); coil maps given, 8 coils, noise std 0.005, the modl_recon benchmark's k-space. PSNR (dB) / SSIM, mean over "
        "the split's slices (n); seconds per 256 x 256 slice (median).",
        "",
        "| setting | split | n | " + " | ".join(keys) + " |",
        "|---|---|---|" + "---|" * len(keys),
    ]
    for row in r["rows"]:
        cells = [f"{row['scores'][k]['psnr']:.2f} / {row['scores'][k]['ssim']:.3f}" for k in keys]
        lines.append(f"| {row['setting']} | {row['split']} | {row['n']} | " + " | ".join(cells) + " |")
    lines.append("| seconds per slice | | | " + " | ".join(f"{r['seconds_per_256_slice'][k]:.2f}" for k in keys) + " |")
    lines += ["", "![PSNR against time](modl_inference_budget.png)", ""]
    write_lines(path, lines)


def main(
    data_dir: str = os.path.join(REPO, "data", "mri"),
    output_dir: str = os.path.join(REPO, "docs", "benchmarks"),
    max_items: int | None = None,
) -> None:
    """Run the benchmark on the MRI sample data (``medrestore-data mri --output_dir data/mri`` first)."""
    run(data_dir, output_dir, max_items)


if __name__ == "__main__":
    import fire

    fire.Fire(main)

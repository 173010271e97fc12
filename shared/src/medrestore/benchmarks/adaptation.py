"""Self-supervised adaptation benchmark: shipped weights against the same weights fine-tuned on each
unseen source's own noisy images by the bundle's ``configs/adapt.json`` (recorrupted-to-recorrupted,
no clean targets), side by side with BM3D given the true sigma.

    python -m medrestore.benchmarks.adaptation --output_dir docs/benchmarks

For every source of the unseen-source split of ``medrestore-data denoising``: the source's images get
the bundle benchmark's fixed-seed Gaussian noise (:func:`medrestore.benchmarks.dran_denoise.noisy_version`),
are written in native units with their windows into a datalist, and ``adapt.json`` runs on them as a
user runs it (one ``python -m monai.bundle run`` process per source and budget, so the seconds include
start-up). The shipped and the adapted networks then restore the same noisy images; PSNR/SSIM against the
clean images. One source is one "volume". Networks that take any input size only (``dran_denoise``).
Writes ``adaptation_<bundle>.md``, ``.json`` and ``_crops.png``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from medrestore.benchmarks.dran_denoise import noisy_version, restore
from medrestore.benchmarks.report import machine, write_json, write_lines
from medrestore.cli.demo import REPO
from medrestore.data.builder import write_datalist, write_slice
from medrestore.data.datalist import load_windowed_split
from medrestore.evaluation import psnr_ssim, summarize
from medrestore.packaging import load_bundle_network
from medrestore.visualize import center_crop, comparison_grid, save_png

__all__ = ["adapt", "run"]


def adapt(bundle_root: str, items: list[dict], sigma: float, seconds: float, workdir: str) -> tuple[str, float]:
    """Write the noisy ``items`` under ``workdir`` and fine-tune the shipped weights on them for
    ``seconds`` with ``adapt.json``; returns the adapted weights' path and the command's wall time."""
    images = os.path.join(workdir, "noisy")
    entries = []
    for item in items:
        low, high = item["window"]
        name = os.path.basename(item["image"])
        write_slice(os.path.join(images, name), noisy_version(item, sigma) * (high - low) + low, item["spacing"])
        entries.append({"image": name, "window": [low, high]})
    datalist = os.path.join(workdir, "datalist.json")
    write_datalist(datalist, {"training": entries})
    configs = os.path.join(bundle_root, "configs")
    output_dir = os.path.join(workdir, "adapted")
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable, "-m", "monai.bundle", "run",
            "--config_file", str([os.path.join(configs, "train.json"), os.path.join(configs, "adapt.json")]),
            "--bundle_root", bundle_root, "--dataset_dir", images, "--datalist", datalist,
            "--output_dir", output_dir, "--time_budget_seconds", str(seconds),
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return os.path.join(output_dir, "models", "model.pt"), time.perf_counter() - start


def run(
    output_dir: str = "docs/benchmarks",
    bundle: str = "dran_denoise",
    data_dir: str | None = None,
    sigmas=(0.10,),
    budgets=(20, 60),
    use_bm3d: bool = True,
    max_sources: int | None = None,
) -> dict:
    """Run the benchmark and write its files; ``budgets`` are adaptation seconds per source."""
    bundle_root = os.path.join(REPO, "bundles", bundle)
    data_dir = data_dir or os.path.join(REPO, "data", "denoising")
    items = load_windowed_split(data_dir, "unseen_source")
    sources = sorted({it["source"] for it in items})[:max_sources]
    shipped = load_bundle_network(bundle_root)
    bm3d = None
    if use_bm3d:
        try:
            import bm3d
        except ImportError:
            print("bm3d is not installed (pip install -r requirements-benchmark.txt): BM3D is left out")
    rows, crops = [], []
    for sigma in sigmas:
        for source in sources:
            mine = [it for it in items if it["source"] == source]
            noisy = [noisy_version(it, sigma) for it in mine]
            row = {"source": source, "modality": mine[0]["modality"], "sigma": sigma, "images": len(mine)}
            outputs = {
                "noisy": [np.clip(y, 0, 1) for y in noisy],
                "shipped": [np.clip(restore(shipped, y), 0, 1) for y in noisy],
            }
            if bm3d is not None:
                outputs["BM3D"] = [np.clip(bm3d.bm3d(y, sigma_psd=sigma), 0, 1) for y in noisy]
            for seconds in budgets:
                with tempfile.TemporaryDirectory() as tmp:
                    weights, wall = adapt(bundle_root, mine, sigma, seconds, tmp)
                    adapted = load_bundle_network(bundle_root, weights)
                outputs[f"adapted {seconds:g} s"] = [np.clip(restore(adapted, y), 0, 1) for y in noisy]
                row[f"wall_seconds_{seconds:g}"] = wall
            for name, restored in outputs.items():
                scores = [psnr_ssim(x, it["clean"]) for x, it in zip(restored, mine)]
                row[name] = {"psnr": summarize(s[0] for s in scores), "ssim": summarize(s[1] for s in scores)}
            row["gain_db"] = {
                f"{seconds:g}": row[f"adapted {seconds:g} s"]["psnr"]["mean"] - row["shipped"]["psnr"]["mean"]
                for seconds in budgets
            }
            print(json.dumps({k: v for k, v in row.items() if k in ("source", "sigma", "gain_db")}), flush=True)
            rows.append(row)
            crops.append({"clean": mine[0]["clean"], **{k: v[0] for k, v in outputs.items()}})

    longest = f"{max(budgets):g}"
    result = {
        "command": f"python -m medrestore.benchmarks.adaptation --output_dir docs/benchmarks --bundle {bundle}",
        "machine": machine(),
        "budgets_seconds": list(budgets),
        "rows": rows,
        "targets": {
            f"mean_gain_db_{longest}_s": float(np.mean([r["gain_db"][longest] for r in rows])),
            f"mean_gain_over_shipped_within_{longest}_s": float(np.mean([r["gain_db"][longest] for r in rows])) > 0,
            f"no_source_below_shipped_by_0.01_db_{longest}_s": all(r["gain_db"][longest] >= -0.01 for r in rows),
            f"gain_over_shipped_within_{longest}_s_every_source": all(r["gain_db"][longest] > 0 for r in rows),
        },
    }
    os.makedirs(output_dir, exist_ok=True)
    stem = os.path.join(output_dir, f"adaptation_{bundle}")
    write_json(stem + ".json", result)
    save_png(stem + "_crops.png", comparison_grid([{k: center_crop(v, 128) for k, v in r.items()} for r in crops]))
    write_markdown(stem + ".md", result, bundle, [k for k in crops[0] if k != "clean"])
    return result


def write_markdown(path: str, r: dict, bundle: str, names: list[str]) -> None:
    t, longest = r["targets"], f"{max(r['budgets_seconds']):g}"
    met = lambda ok: "**met**" if ok else "**not met**"  # noqa: E731
    gains = [row["gain_db"][longest] for row in r["rows"]]
    lines = [
        f"# {bundle}: self-supervised adaptation to unseen sources",
        "",
        f"Reproduce: `{r['command']}`. Machine: {r['machine']}.",
        "Each unseen source of `medrestore-data denoising` is adapted on its own noisy images only "
        "(`configs/adapt.json`: recorrupted-to-recorrupted pairs from the image itself, noise level estimated "
        "from the image, MSE, Adam 1e-4, from the shipped weights), then restored; additive Gaussian noise on "
        "the [0, 1] window with the bundle benchmark's seeds; one block in five held out of the fitting, and the weights "
        "kept are the last ones significantly better than the kept ones on those blocks (paired test, 2 standard "
        "errors; the shipped weights when none is); PSNR (dB) / SSIM against the clean images, mean over "
        "the source's images. BM3D is given the true sigma. Wall seconds are the whole adaptation command.",
        "",
        f"- Target, a measurable gain over the shipped weights on the unseen split within {longest} s per source: "
        f"{met(t[f'mean_gain_over_shipped_within_{longest}_s'])} in the mean over sources "
        f"({t[f'mean_gain_db_{longest}_s']:+.2f} dB); a gain on {sum(g > 0.01 for g in gains)} of {len(gains)} "
        f"sources, on every source: {met(t[f'gain_over_shipped_within_{longest}_s_every_source'])}.",
        f"- No source below the shipped weights (by more than 0.01 dB): "
        f"{met(t[f'no_source_below_shipped_by_0.01_db_{longest}_s'])} (worst {min(gains):+.2f} dB).",
        "",
        "| sigma | source (n) | " + " | ".join(names) + " | gain (dB) | wall s |",
        "|---|---|" + "---|" * len(names) + "---|---|",
    ]
    for row in r["rows"]:
        cells = [f"{row[n]['psnr']['mean']:.2f} / {row[n]['ssim']['mean']:.3f}" for n in names]
        gains = ", ".join(f"{v:+.2f} ({k} s)" for k, v in row["gain_db"].items())
        walls = ", ".join(f"{row[f'wall_seconds_{s:g}']:.0f}" for s in r["budgets_seconds"])
        lines.append(
            f"| {row['sigma']:.2f} | {row['source']} ({row['images']}) | "
            + " | ".join(cells)
            + f" | {gains} | {walls} |"
        )
    lines += [
        "",
        f"![crops](adaptation_{bundle}_crops.png)",
        "",
        "One image per source; error maps |x − clean| × 4.",
        "",
    ]
    write_lines(path, lines)


def main() -> None:
    import fire

    fire.Fire(lambda **kwargs: print(json.dumps(run(**kwargs)["targets"], indent=2)))


if __name__ == "__main__":
    main()

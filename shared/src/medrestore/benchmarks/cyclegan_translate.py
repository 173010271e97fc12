"""Benchmark of cyclegan_translate against identity and histogram matching, side by side in one run.

    python -m medrestore.benchmarks.cyclegan_translate --output_dir docs/benchmarks [--models_dir bundles/cyclegan_translate/models]

For every task (T1 -> T2, T2 -> T1, T1 -> PD), on the held-out simulated pairs of ``data/contrast``
(``medrestore-data contrast``: the test split, other Colin27 slices with new random acquisitions, and
the unseen_source split, phantominator's MR Shepp-Logan maps with their own tissue table): the input
itself (identity), scikit-image's histogram matching of the input to the pooled intensities of the
training images of the target contrast (unpaired, like CycleGAN), the CycleGAN generator
(``translation_model_name``) and the pix2pix U-Net (``model_pix2pix*.pt``, trained on registered
pairs of the training slices: the supervised upper bound), each through the bundle's own windowing.

Paired metrics on the target's foreground (:func:`medrestore.metrics.foreground_mask` of the target):
MAE, PSNR (peak 1) and SSIM (data range 1, Gaussian window, averaged over the foreground). Unpaired
structure metrics of each output against its own input (:func:`medrestore.metrics.structure_report`:
mutual information, gradient NCC, MIND distance, foreground Dice; the cycle error for CycleGAN), and
milliseconds per 256 x 256 slice. Writes ``cyclegan_translate.md``, ``.json`` and ``_crops.png``.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import torch
from monai.bundle import ConfigParser

from medrestore.benchmarks.report import machine, write_json, write_lines
from medrestore.benchmarks.timing import median_seconds
from medrestore.cli.demo import REPO
from medrestore.data import TASKS, translation_model_name
from medrestore.evaluation import summarize
from medrestore.metrics import foreground_mask, foreground_ssim, structure_report
from medrestore.visualize import center_crop, comparison_grid, save_png

__all__ = ["apply_intensity_lut", "fit_intensity_lut", "foreground_scores", "main", "run"]

BUNDLE = os.path.join(REPO, "bundles", "cyclegan_translate")
SPLITS = ("test", "unseen_source")
TARGET_TASKS = ("t1_t2", "t1_pd")  # issue 13: "both tasks"
TARGET_SSIM, TARGET_OVER_HISTOGRAM, TARGET_DICE = 0.85, 0.10, 0.95
DOMAIN_SAMPLE = "domain-B sample (the truth's anatomy)"
LUT = "intensity map (paired)"
LUT_ORACLE = "intensity map, oracle"
STRUCTURE = ("mi", "gradient_ncc", "mind", "foreground_dice", "cycle_mae")


def foreground_scores(output: np.ndarray, target: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """MAE, PSNR (peak 1) and SSIM (:func:`medrestore.metrics.foreground_ssim`, the bundle's key validation
    metric) over ``mask``; ``(H, W)`` on ``[0, 1]``."""
    err = (output - target)[mask]
    mse = max(float(np.mean(err**2)), 1e-12)
    ssim = foreground_ssim(torch.from_numpy(output), torch.from_numpy(target), torch.from_numpy(mask))
    return {"mae": float(np.abs(err).mean()), "psnr": -10.0 * np.log10(mse), "ssim": float(ssim)}


def _parser(task: str, bundle_root: str, overlays: tuple[str, ...] = ()) -> ConfigParser:
    parser = ConfigParser()
    parser.read_config([os.path.join(bundle_root, "configs", f) for f in ("train.json", *overlays)])
    parser.update({"bundle_root": bundle_root, "task": task})
    parser.parse()
    return parser


def _network(parser: ConfigParser, key: str, path: str) -> torch.nn.Module | None:
    if not os.path.isfile(path):
        return None
    net = parser.get_parsed_content(key, lazy=False).eval()
    net.load_state_dict(torch.load(path, map_location="cpu"))
    return net


def _pix2pix(models_dir: str, task: str, bundle_root: str) -> torch.nn.Module | None:
    """The pix2pix generator as the bundle builds it (``train.json`` + ``train_pix2pix.json``: width,
    levels and the 128-pixel tiles it was trained for), with the weights of ``models_dir``."""
    parser = _parser(task, bundle_root, ("train_pix2pix.json",))
    return _network(parser, "network_def", os.path.join(models_dir, parser.get_parsed_content("model_name")))


def _items(parser: ConfigParser, part: str, task: str | None) -> list[dict]:
    from monai.data import load_decathlon_datalist

    items = load_decathlon_datalist(
        parser.get_parsed_content("datalist"), True, part, parser.get_parsed_content("dataset_dir")
    )
    return [i for i in items if task is None or i.get("task", task) == task]


def _histogram_reference(parser: ConfigParser, contrast: str, count: int = 24) -> np.ndarray:
    """Pooled windowed intensities of ``count`` training images of ``contrast`` (an unpaired reference)."""
    transform = parser.get_parsed_content("train#preprocessing").transforms[:4]
    items = [i for i in _items(parser, "training", None) if i.get("contrast") == contrast]
    step = max(len(items) // count, 1)
    images = []
    for item in items[::step][:count]:
        d = dict(item)
        for t in transform:
            d = t(d)
        images.append(np.asarray(d["image"][0], dtype=np.float32).ravel())
    return np.concatenate(images)[None]  # (1, N): 2D like the images


def fit_intensity_lut(pairs, bins: int = 64) -> np.ndarray:
    """Mean target intensity per input-intensity bin over registered ``(input, target)`` pairs of
    ``(H, W)`` images on ``[0, 1]``: the best pixel-wise intensity map in the least-squares sense
    (``(bins,)``; empty bins interpolated from their neighbours)."""
    total, count = np.zeros(bins), np.zeros(bins)
    for x, y in pairs:
        index = np.clip((np.asarray(x) * bins).astype(int), 0, bins - 1).ravel()
        np.add.at(total, index, np.asarray(y, dtype=np.float64).ravel())
        np.add.at(count, index, 1)
    filled = count > 0
    centres = (np.arange(bins) + 0.5) / bins
    return np.interp(centres, centres[filled], total[filled] / count[filled])


def apply_intensity_lut(lut: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` (``[0, 1]``) through :func:`fit_intensity_lut`'s map (each pixel gets its bin's value); float32."""
    return lut[np.clip((np.asarray(x) * len(lut)).astype(int), 0, len(lut) - 1)].astype(np.float32)


def run_task(task: str, models_dir: str, bundle_root: str = BUNDLE, crops: list | None = None) -> dict:
    """Per-image rows of every method: ``{"metrics": {split: {method: [row]}}, "ms_per_256_slice": {...}}``."""
    from skimage.exposure import match_histograms

    source, target = TASKS[task]
    parser = _parser(task, bundle_root)
    cyclegan = _network(parser, "network_def", os.path.join(models_dir, translation_model_name(source, target)))
    reverse = _network(parser, "reverse_network_def", os.path.join(models_dir, translation_model_name(target, source)))
    pix2pix = _pix2pix(models_dir, task, bundle_root)
    reference = _histogram_reference(parser, target)
    transform = parser.get_parsed_content("validate#preprocessing")

    def windowed(item: dict) -> tuple[np.ndarray, np.ndarray]:
        d = transform(item)
        return d["image"][0].numpy().astype(np.float32), d["label"][0].numpy().astype(np.float32)

    lut = fit_intensity_lut(windowed(i) for i in _items(parser, "training_pairs", task))
    results: dict = {}
    for split in SPLITS:
        for index, item in enumerate(_items(parser, split, task)):
            d = transform(item)
            x, y = d["image"][None].float().as_tensor(), d["label"][0].numpy().astype(np.float32)
            outputs = {
                "identity": x[0, 0].numpy(),
                "histogram matching": np.clip(match_histograms(x[0, 0].numpy(), reference), 0, 1).astype(np.float32),
                LUT: apply_intensity_lut(lut, x[0, 0].numpy()),
                LUT_ORACLE: apply_intensity_lut(fit_intensity_lut([(x[0, 0].numpy(), y)]), x[0, 0].numpy()),
            }
            cycles = {}
            with torch.inference_mode():
                if cyclegan is not None:
                    fake = cyclegan(x)
                    outputs["CycleGAN"] = fake[0, 0].numpy()
                    if reverse is not None:
                        cycles["CycleGAN"] = reverse(fake)[0, 0]
                if pix2pix is not None:
                    outputs["pix2pix"] = pix2pix(x)[0, 0].numpy()
            mask = foreground_mask(torch.from_numpy(y)).numpy()
            if item.get("domain_sample"):  # another member of domain B for this slice, with its anatomy
                outputs[DOMAIN_SAMPLE] = transform({**item, "image": item["domain_sample"]})["image"][0].numpy()
            outputs["target (a perfect translation)"] = y  # what the unpaired metrics give the truth
            for method, out in outputs.items():
                row = {"image": str(item["image"]), **foreground_scores(out, y, mask)}
                row.update(structure_report(torch.from_numpy(out), x[0, 0], cycles.get(method)))
                results.setdefault(split, {}).setdefault(method, []).append(row)
            if crops is not None and index == 0:
                side = min(160, *y.shape)
                shown = {
                    "input": x[0, 0].numpy(),
                    **{
                        k.split(" (")[0]: v
                        for k, v in outputs.items()
                        if k not in ("identity", LUT_ORACLE) and k[:6] != "target"
                    },
                }
                shown["target"] = y
                crops.append({k: center_crop(np.asarray(v), side) for k, v in shown.items()})
    timing = {}
    x = torch.rand(1, 1, 256, 256)
    timing["histogram matching"] = median_seconds(lambda: match_histograms(x[0, 0].numpy(), reference))
    with torch.inference_mode():
        for name, net in (("CycleGAN", cyclegan), ("pix2pix", pix2pix)):
            if net is not None:
                timing[name] = median_seconds(lambda net=net: net(x))
    return {"metrics": results, "seconds_per_256_slice": timing}


def _summary(rows: list[dict]) -> dict:
    return {key: summarize(r[key] for r in rows) for key in rows[0] if key != "image"}


def _targets(summary: dict) -> list[str]:
    lines = []
    for task in TARGET_TASKS:
        for split in SPLITS:
            by = summary.get(task, {}).get(split, {})
            if "CycleGAN" not in by:
                lines.append(f"{task}, {split}: no CycleGAN weights: **not met**")
                continue
            cg, hm = by["CycleGAN"]["ssim"]["mean"], by["histogram matching"]["ssim"]["mean"]
            ok = cg >= TARGET_SSIM and cg >= hm + TARGET_OVER_HISTOGRAM
            if DOMAIN_SAMPLE in by:
                # a domain-B sample has the truth's anatomy: a ceiling only for a model that recovers the
                # anatomy exactly from the input; the paired model measures how much of it the input gives
                ceiling = by[DOMAIN_SAMPLE]["ssim"]["mean"]
                line = (
                    f"{task}, {split}: a domain-B sample of the same slice (its anatomy known exactly) scores SSIM "
                    f"{ceiling:.3f}, the target {TARGET_SSIM} is {'below' if ceiling >= TARGET_SSIM else 'above'} it"
                )
                if "pix2pix" in by:
                    p2p = by["pix2pix"]["ssim"]["mean"]
                    line += (
                        f"; the supervised model (pix2pix, trained on registered pairs) reaches {p2p:.3f}, the "
                        f"target is {'below' if p2p >= TARGET_SSIM else 'above'} what paired training reached here"
                    )
                lines.append(line)
            lines.append(
                f"{task}, {split}: CycleGAN foreground SSIM {cg:.3f} (target >= {TARGET_SSIM} and >= histogram "
                f"matching {hm:.3f} + {TARGET_OVER_HISTOGRAM}): **{'met' if ok else 'not met'}**"
            )
            if "pix2pix" in by:
                p2p = by["pix2pix"]["ssim"]["mean"]
                lines.append(
                    f"{task}, {split}: pix2pix SSIM {p2p:.3f} >= CycleGAN {cg:.3f}: **{'met' if p2p >= cg else 'not met'}**"
                )
            dice = by["CycleGAN"]["foreground_dice"]["mean"]
            lines.append(
                f"{task}, {split}: CycleGAN foreground Dice (input vs output masks) {dice:.3f} (target >= "
                f"{TARGET_DICE}): **{'met' if dice >= TARGET_DICE else 'not met'}**"
            )
    return lines


def write_report(report: dict, output_dir: str) -> None:
    r = report
    lines = [
        "# cyclegan_translate benchmark",
        "",
        f"Reproduce: `{r['command']}` (needs `pip install -r requirements-benchmark.txt` and `medrestore-data "
        f"contrast`). Machine: {r['machine']}. Weights: `{r['models_dir']}`.",
        "",
        "Held-out simulated pairs of `medrestore-data contrast`: **test** (Colin27 slices not used in training, "
        "new random TR/TE/flip, field, bias, blur and noise) and **unseen_source** (phantominator's MR "
        "Shepp-Logan maps: another anatomy and another tissue table, never trained on). The target is the "
        "target contrast of the same slice and session at a fixed mid-range spin-echo setting, noise-free. "
        "Every method gets the bundle's windowed input (0th-99.5th percentile to [0, 1]); the target is "
        "windowed the same way. Paired metrics on the target's foreground: MAE, PSNR (peak 1), SSIM "
        "(data range 1, Gaussian window, mean over the foreground). Unpaired structure metrics of each output "
        "against its own input (no truth needed): MI (bits), gradient NCC, MIND distance (0 = same local "
        "structure), foreground Dice of the thresholded masks, cycle MAE (CycleGAN: |G_ba(G_ab(x)) - x|). "
        "Histogram matching maps the input's histogram to the pooled intensities of 24 training images of "
        "the target contrast (scikit-image `match_histograms`): an unpaired classical baseline. pix2pix is "
        "trained on registered pairs of the training slices (`training_pairs`): the supervised upper bound. "
        "The *intensity map (paired)* is its classical counterpart: each input intensity (64 bins) mapped to the "
        "mean target intensity of that bin over the same registered training pairs (the least-squares "
        "pixel-wise map, no spatial context). The *intensity map, oracle* is fitted on the scored pair itself: "
        "the best any pixel-wise intensity map can do on that image (a low value says the translation needs "
        "spatial context: the same input intensity is two tissues that differ in the target contrast). "
        "The row *target (a perfect translation)* scores the truth itself: the unpaired metrics of a "
        "perfect output, i.e. how far from the identity's 1.0 / 0.0 a faithful contrast change lands. "
        "The row *domain-B sample (the truth's anatomy)* scores another image of the target domain for the same "
        "slice and session (a random acquisition of the target contrast, with the session's noise and the "
        "training's tissue jitter, as domain B's training images are made): an unpaired model that outputs a "
        "perfect member of domain B scores about this, because nothing in unpaired data tells it the "
        "truth's TR/TE or that the truth is noise-free; it has the truth's anatomy, though, which a model "
        "must recover from a noisy, blurred input of another contrast, so it is a ceiling only for exact "
        "anatomy: the supervised pix2pix measures how much of it the input gives. "
        "Mean ± sample std (n).",
        "",
        "## Targets",
        "",
        *[f"- {t}" for t in _targets(r["summary"])],
        "",
        "## Milliseconds per 256 × 256 slice (median of 3)",
        "",
    ]
    for task, raw in r["raw"].items():
        lines.append(f"- {task}: " + ", ".join(f"{k} {1000 * v:.1f}" for k, v in raw["seconds_per_256_slice"].items()))
    for task, by_split in r["summary"].items():
        for split, by_method in by_split.items():
            lines += [
                "",
                f"## {task} ({' -> '.join(TASKS[task])}), {split}",
                "",
                "| method | MAE | PSNR (dB) | SSIM | MI | gradient NCC | MIND | Dice | cycle MAE |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
            for method, s in by_method.items():
                cells = [
                    f"{s['mae']['mean']:.3f}",
                    f"{s['psnr']['mean']:.2f} ± {s['psnr']['std']:.2f}",
                    f"{s['ssim']['mean']:.3f} ± {s['ssim']['std']:.3f}",
                    *(f"{s[k]['mean']:.3f}" if k in s else "-" for k in STRUCTURE),
                ]
                lines.append(f"| {method} ({s['mae']['n']}) | " + " | ".join(cells) + " |")
    lines += [
        "",
        "![crops](cyclegan_translate_crops.png)",
        "",
        "First image of each split, one row per task and split (t1_t2, t2_t1, t1_pd; test then unseen_source): "
        "input, histogram matching, intensity map (paired), CycleGAN, pix2pix (black where no paired model was "
        "trained: t2_t1), "
        "domain-B sample, target; error maps |x − target| × 4.",
        "",
    ]
    write_lines(os.path.join(output_dir, "cyclegan_translate.md"), lines)


def run(output_dir: str = "docs/benchmarks", models_dir: str | None = None, tasks=tuple(TASKS)) -> dict:
    models_dir = models_dir or os.path.join(BUNDLE, "models")
    os.makedirs(output_dir, exist_ok=True)
    crops: list = []
    raw = {}
    for task in tasks:
        print(f"{task}...", flush=True)
        raw[task] = run_task(task, models_dir, crops=crops)
    summary = {
        task: {split: {m: _summary(rows) for m, rows in by_m.items()} for split, by_m in v["metrics"].items()}
        for task, v in raw.items()
    }
    report = {
        "command": "python -m medrestore.benchmarks.cyclegan_translate " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "models_dir": os.path.relpath(models_dir, REPO),
        "summary": summary,
        "raw": raw,
    }
    write_json(os.path.join(output_dir, "cyclegan_translate.json"), report)
    write_report(report, output_dir)
    if crops:
        names = list(crops[0])
        crops = [{n: c.get(n, np.zeros_like(c["input"])) for n in names} for c in crops]
        save_png(os.path.join(output_dir, "cyclegan_translate_crops.png"), comparison_grid(crops, reference="target"))
    for line in _targets(summary):
        print(line.replace("**", ""))
    return report


def main() -> None:
    import fire

    fire.Fire(lambda **kwargs: run(**kwargs) and None)


if __name__ == "__main__":
    main()

"""Benchmark of dae_denoise against classical filters, side by side in one run.

    python -m medrestore.benchmarks.dae_denoise --output_dir docs/benchmarks

On the test split (the training sources, other regions) and the unseen-source split (whole sources
never trained on) of the small-sample data (``medrestore-data small_sample``, 64 x 64), and on the
same unseen sources at native resolution (the unseen-source split of ``medrestore-data denoising``:
whole slices and 256-pixel radiograph tiles through the bundle's 64 x 64 windows, as a user runs it), at every setting of
Gondara's noise grid (:data:`medrestore.noise.GONDARA_NOISE_GRID`), with the same noise (fixed
seeds) for every method: noisy input, 3 x 3 median filter, NL-means (scikit-image, fast mode, ``h``
tuned per setting on the validation split), the DAE trained on MR only, the DAE trained on the
CT/MR/X-ray mix (the bundle's shipped ``models/model.pt``), the same with the bundle's ``--tta true``
(geometric self-ensemble) and, at the one setting inside its
training range (Gaussian, std 0.1), the dran_denoise bundle. Every output is clipped to ``[0, 1]``.
Intensity bias on low-noise images (:data:`LOW_NOISE_STDS`, clean included): the mean of
``|restored - clean|`` over the background (clean intensity below :data:`BACKGROUND`), against the
noise std.

The MR-only model (the 100 MR images of the training list, as many iterations as the shipped model)
and the learning-curve models (the first 50, 100, 200 and 300 images of the balanced training list,
:data:`CURVE_ITERATIONS` iterations each, a smaller budget that fits the CPU time) are trained by
the bundle's own ``train.json`` (``--train_modalities``, ``--num_training_images``); they are cached
under ``--work_dir`` and resumed if interrupted. Writes ``dae_denoise.md``, ``dae_denoise.json``,
``dae_denoise_crops.png`` and ``dae_denoise_learning_curve.png``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from functools import partial

import numpy as np
import torch
from torch import nn

from medrestore.benchmarks.report import machine, write_json
from medrestore.benchmarks.timing import median_seconds
from medrestore.cli.demo import REPO
from medrestore.config import as_flag
from medrestore.data.datalist import load_windowed_split
from medrestore.data.small_sample import build_small_sample_data, select_items
from medrestore.evaluation import psnr_ssim, summarize
from medrestore.inferers import SliceOrImageInferer
from medrestore.noise import GONDARA_NOISE_GRID, AddScaledNoised, noise_setting_name
from medrestore.packaging import load_bundle_network
from medrestore.visualize import comparison_grid, save_png

BUNDLES = os.path.join(REPO, "bundles")
BUNDLE = os.path.join(BUNDLES, "dae_denoise")
NLM_H_FACTORS = (0.4, 0.6, 0.8, 1.0, 1.2)
LEARNING_CURVE = (50, 100, 200, 300)
CURVE_ITERATIONS = 2000  # training budget of every learning-curve model (the shipped model had 6000)
DRAN_SETTINGS = (0,)  # Gaussian std 0.1: inside DRAN's training range (sigma 0-0.2); the others are not
SPLITS = ("test", "unseen_source", "unseen_source_native")
LOW_NOISE_STDS = (0.0, 0.01, 0.03)  # Gaussian std of the intensity-bias check (0: the clean image itself)
BACKGROUND = 0.02  # clean intensity (on the [0, 1] window) below which a pixel counts as background
TARGET_SSIM_OVER_NLM = 0.02  # issue 14: DAE SSIM >= NL-means + 0.02 at every setting of the unseen split


def noise_std(setting) -> float:
    kind, p, value = setting
    return p * value if kind == "gaussian" else p * math.sqrt(value)


def noisy_version(item: dict, index: int) -> np.ndarray:
    """The test/validation image degraded by grid setting ``index`` (seeded by the item and the setting)."""
    t = AddScaledNoised("label", output_keys="image", setting=index)
    out = t(
        {
            "label": torch.as_tensor(item["clean"], dtype=torch.float32)[None],
            "noise_seed": item["noise_seed"] * 10 + index,
        }
    )
    return out["image"][0].numpy().astype(np.float64)


def bundle_inferer(bundle: str, tta: bool = False) -> SliceOrImageInferer:
    """The inferer of a bundle's inference.json (64 x 64 Gaussian-blended windows for the DAE), with its
    ``--tta`` option (the geometric self-ensemble over the 8 rotations and flips) when ``tta``."""
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config(os.path.join(bundle, "configs", "inference.json"))
    parser.update({"tta": bool(tta)})
    return parser.get_parsed_content("inferer")


def train_variant(
    work_dir: str, data_dir: str, name: str, modalities, count: int | None, iterations: int | None = None
) -> str:
    """Train (or resume) a DAE variant with the bundle's train.json for ``iterations`` (default: as
    many as the shipped model); returns its ``model.pt``."""
    with open(os.path.join(BUNDLE, "configs", "train.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(data_dir, "datalist.json")) as f:
        available = len(select_items(json.load(f)["training"], modalities, count))
    iterations = iterations or cfg["epochs"] * math.ceil(300 / cfg["images_per_batch"])
    epochs = math.ceil(iterations / math.ceil(available / cfg["images_per_batch"]))
    out = os.path.join(work_dir, name)
    ckpt = os.path.join(out, "models", "model.pt")
    if os.path.isfile(os.path.join(out, "checkpoints", f"checkpoint_epoch={epochs}.pt")) and os.path.isfile(ckpt):
        return ckpt
    cmd = [sys.executable, "-m", "monai.bundle", "run", "--config_file", os.path.join(BUNDLE, "configs", "train.json")]
    cmd += [
        "--bundle_root",
        BUNDLE,
        "--dataset_dir",
        data_dir,
        "--output_dir",
        out,
        "--ckpt_dir",
        os.path.dirname(ckpt),
    ]
    cmd += ["--epochs", str(epochs), "--val_interval", str(max(1, epochs // 20))]  # 20 validations, as the shipped run
    if modalities is not None:
        cmd += ["--train_modalities", json.dumps(list(modalities))]
    if count is not None:
        cmd += ["--num_training_images", str(count)]
    os.makedirs(out, exist_ok=True)
    print(
        f"training {name}: {available} images, {epochs} epochs ({iterations} iterations); log {out}/train.log",
        flush=True,
    )
    with open(os.path.join(out, "train.log"), "a") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    return ckpt


def tune_nlm(validation: list[dict]) -> dict[int, float]:
    """NL-means ``h`` factor (times the noise std) maximising mean validation SSIM, per setting."""
    from skimage.restoration import denoise_nl_means

    tuned = {}
    for index, setting in enumerate(GONDARA_NOISE_GRID):
        std = noise_std(setting)
        pairs = [(noisy_version(it, index), it["clean"]) for it in validation]

        def score(k, std=std, pairs=pairs) -> float:
            fn = partial(denoise_nl_means, h=k * std, sigma=std, patch_size=5, patch_distance=6, fast_mode=True)
            return float(np.mean([psnr_ssim(np.clip(fn(y), 0, 1), c)[1] for y, c in pairs]))

        tuned[index] = max(NLM_H_FACTORS, key=score)
    return tuned


def methods(nets: dict[str, tuple[nn.Module, object]], tuned: dict[int, float]) -> dict:
    """``name -> fn(noisy (H, W), setting index) -> restored (H, W)`` (None: not applicable).

    ``nets`` maps a name to ``(network, inferer)``: each bundle's network runs through its own inferer."""
    from scipy.ndimage import median_filter
    from skimage.restoration import denoise_nl_means

    def network(net, inferer, y, index):
        with torch.inference_mode():
            return inferer(torch.as_tensor(y, dtype=torch.float32)[None, None], net)[0, 0].numpy()

    def nl_means(y, index):
        std = noise_std(GONDARA_NOISE_GRID[index])
        return denoise_nl_means(y, h=tuned[index] * std, sigma=std, patch_size=5, patch_distance=6, fast_mode=True)

    out = {
        "noisy": lambda y, i: y,
        "median 3x3": lambda y, i: median_filter(y, size=3, mode="reflect"),
        "NL-means": nl_means,
    }
    for name, (net, inferer) in nets.items():
        if name == "DRAN":
            out[name] = lambda y, i, net=net, inf=inferer: network(net, inf, y, i) if i in DRAN_SETTINGS else None
        else:
            out[name] = partial(network, net, inferer)
    return out


def low_noise_bias(items: list[dict], nets: dict[str, tuple[nn.Module, object]]) -> dict[str, dict[str, float]]:
    """``{std: {method: mean |restored - clean| over the background pixels of all images}}`` (pooled, so an
    image with a few dark pixels weighs little) at each of
    :data:`LOW_NOISE_STDS` (seeded Gaussian noise), for NL-means (h = 0.8 std; the clean image itself
    at std 0) and every network of ``nets`` (name -> (DAE, its inferer))."""
    from skimage.restoration import denoise_nl_means

    out: dict[str, dict[str, float]] = {}
    rng = np.random.default_rng(20261206)
    for std in LOW_NOISE_STDS:
        errors: dict[str, list[np.ndarray]] = {}
        for item in items:
            clean = item["clean"]
            background = clean < BACKGROUND
            if not background.any():
                continue
            y = clean + std * rng.standard_normal(clean.shape)
            restored = {
                "NL-means": y if std == 0 else denoise_nl_means(y, h=0.8 * std, sigma=std, patch_size=5, fast_mode=True)
            }
            with torch.inference_mode():
                for name, (net, inferer) in nets.items():
                    restored[name] = inferer(torch.as_tensor(y, dtype=torch.float32)[None, None], net)[0, 0].numpy()
            for name, r in restored.items():
                errors.setdefault(name, []).append(np.abs(np.clip(r, 0, 1) - clean)[background])
        out[str(std)] = {name: float(np.concatenate(v).mean()) for name, v in errors.items()}
    return out


def _learning_curve_png(path: str, counts: list[int], ssim: list[dict], baselines: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from medrestore.io import atomic_path

    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=120)
    ax.errorbar(
        counts,
        [s["mean"] for s in ssim],
        yerr=[s["std"] / math.sqrt(s["n"]) for s in ssim],
        marker="o",
        label="DAE (CT/MR/X-ray mix)",
    )
    for (name, value), style in zip(baselines.items(), ("--", ":", "-.")):
        ax.axhline(value, linestyle=style, color="grey", label=name)
    ax.set_xlabel("training images")
    ax.set_ylabel("test SSIM (all noise settings)")
    ax.set_xticks(counts)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def run(
    output_dir: str = "docs/benchmarks",
    data_dir: str | None = None,
    native_dir: str | None = None,
    work_dir: str | None = None,
    max_images: int | None = None,
    learning_curve: bool = True,
    iterations: int | None = None,
    weights: dict | None = None,
) -> dict:
    """Run the benchmark and write its files. ``max_images``, ``learning_curve=False`` and a small
    ``iterations`` (training iterations of the extra models; default as many as the shipped model's)
    make a quick smoke run. ``weights`` (``{name: model.pt}``) adds a column ``DAE <name>`` per file
    (other weights of the bundle's network, e.g. a retraining, scored on the same inputs)."""
    torch.manual_seed(0)
    learning_curve = as_flag(learning_curve, "learning_curve")  # "--learning_curve false" arrives as a string
    data_dir = data_dir or os.path.join(REPO, "data", "small_sample")
    work_dir = work_dir or os.path.join(REPO, "eval", "dae_benchmark")
    native_dir = native_dir or os.path.join(REPO, "data", "denoising")
    splits = {split: load_windowed_split(data_dir, split, build_small_sample_data)[:max_images] for split in SPLITS[:2]}
    splits["unseen_source_native"] = load_windowed_split(native_dir, "unseen_source")[:max_images]
    test = splits["test"]
    validation = load_windowed_split(data_dir, "validation", build_small_sample_data)[:max_images]

    ckpts = {"DAE MR-only": train_variant(work_dir, data_dir, "mr_only", ["MR"], None, iterations)}
    curve_ckpts = {}
    if learning_curve:
        for n in LEARNING_CURVE:
            curve_ckpts[n] = train_variant(work_dir, data_dir, f"curve_{n}", None, n, iterations or CURVE_ITERATIONS)
    inferer, dran_bundle = bundle_inferer(BUNDLE), os.path.join(BUNDLES, "dran_denoise")
    shipped = load_bundle_network(BUNDLE)
    nets = {
        "DAE MR-only": (load_bundle_network(BUNDLE, ckpts["DAE MR-only"]), inferer),
        "DAE mix": (shipped, inferer),
        "DAE mix, TTA": (shipped, bundle_inferer(BUNDLE, tta=True)),
        **{f"DAE {name}": (load_bundle_network(BUNDLE, path), inferer) for name, path in (weights or {}).items()},
        "DRAN": (load_bundle_network(dran_bundle), bundle_inferer(dran_bundle)),
    }
    tuned = tune_nlm(validation)
    print("NL-means h factors tuned on validation:", tuned, flush=True)
    algos = methods(nets, tuned)
    shown = _first_of_each_modality(test)

    scores: dict = {}  # (split, setting index, method) -> list of (modality, psnr, ssim)
    crops: dict = {}
    for split, items in splits.items():
        for index, setting in enumerate(GONDARA_NOISE_GRID):
            for item in items:
                y = noisy_version(item, index)
                for name, fn in algos.items():
                    restored = fn(y, index)
                    if restored is None:
                        continue
                    restored = np.clip(restored, 0, 1)
                    p, s = psnr_ssim(restored, item["clean"])
                    scores.setdefault((split, index, name), []).append((item["modality"], p, s))
                    if split == "test" and index in (0, 1) and item is shown[item["modality"]]:
                        crops.setdefault((index, item["modality"]), {"clean": item["clean"]})[name] = restored
            print(
                f"{split}, {noise_setting_name(setting)}: "
                + ", ".join(
                    f"{n} SSIM {np.mean([v[2] for v in scores[(split, index, n)]]):.3f}"
                    for n in algos
                    if (split, index, n) in scores
                ),
                flush=True,
            )

    table: dict = {}
    for (split, index, name), vals in scores.items():
        key = noise_setting_name(GONDARA_NOISE_GRID[index])
        entry = {"psnr": summarize(v[1] for v in vals), "ssim": summarize(v[2] for v in vals)}
        for modality in sorted({v[0] for v in vals}):
            entry[modality] = {
                "psnr": summarize(v[1] for v in vals if v[0] == modality),
                "ssim": summarize(v[2] for v in vals if v[0] == modality),
            }
        table.setdefault(split, {}).setdefault(key, {})[name] = entry
    daes = {name: v for name, v in nets.items() if name.startswith("DAE")}
    bias = {split: low_noise_bias(items, daes) for split, items in splits.items()}

    curve = {}
    if learning_curve:
        for n, ckpt in sorted(curve_ckpts.items()):
            fn = methods({"DAE": (load_bundle_network(BUNDLE, ckpt), inferer)}, tuned)["DAE"]
            ssim = [
                psnr_ssim(np.clip(fn(noisy_version(it, i), i), 0, 1), it["clean"])[1]
                for i in range(len(GONDARA_NOISE_GRID))
                for it in test
            ]
            curve[n] = summarize(ssim)
            print(f"learning curve: {n} images -> test SSIM {curve[n]['mean']:.3f}", flush=True)

    seconds = {}
    rng = np.random.default_rng(0)
    for size in (64, 512):
        y = np.clip(rng.random((size, size)) * 0.5 + 0.25 + 0.1 * rng.standard_normal((size, size)), 0, 1)
        for name, fn in algos.items():
            if name != "noisy":
                seconds.setdefault(name, {})[f"{size}x{size}"] = median_seconds(
                    lambda fn=fn, y=y: fn(y, 0), 5 if size == 64 else 3
                )

    names = [n for n in algos]
    settings = [noise_setting_name(s) for s in GONDARA_NOISE_GRID]
    margins, tta_margins = (
        {
            split: {
                s: {
                    b: table[split][s][dae]["ssim"]["mean"] - table[split][s][b]["ssim"]["mean"]
                    for b in ("median 3x3", "NL-means")
                }
                for s in settings
            }
            for split in SPLITS
        }
        for dae in ("DAE mix", "DAE mix, TTA")
    )
    mr_margins = {
        s: table["test"][s]["DAE mix"]["MR"]["ssim"]["mean"] - table["test"][s]["DAE MR-only"]["MR"]["ssim"]["mean"]
        for s in settings
    }
    targets = {
        "dae_ssim_minus_baseline": margins,
        "dae_ssim_above_median_and_nlm_at_every_setting": {
            split: all(v > 0 for m in margins[split].values() for v in m.values()) for split in SPLITS
        },
        "dae_ssim_at_least_nlm_plus_0.02_at_every_setting": {
            split: all(m["NL-means"] >= TARGET_SSIM_OVER_NLM for m in margins[split].values()) for split in SPLITS
        },
        "dae_tta_ssim_minus_baseline": tta_margins,
        "dae_tta_ssim_at_least_nlm_plus_0.02_at_every_setting": {
            split: all(m["NL-means"] >= TARGET_SSIM_OVER_NLM for m in tta_margins[split].values()) for split in SPLITS
        },
        "dae_background_bias_below_noise_std": {
            split: all(b["DAE mix"] < std for std, b in ((float(k), v) for k, v in bias[split].items()) if std > 0)
            for split in SPLITS
        },
        "mix_minus_mr_only_ssim_on_mr": mr_margins,
        "mix_at_least_mr_only_on_mr_at_every_setting": all(v >= 0 for v in mr_margins.values()),
    }
    result = {
        "command": "python -m medrestore.benchmarks.dae_denoise --output_dir docs/benchmarks"
        + ("" if learning_curve else " --learning_curve false")
        + (f' --weights "{weights}"' if weights else ""),
        "machine": machine(),
        "images": {
            split: {m: sum(it["modality"] == m for it in items) for m in ("MR", "CT", "XR")}
            for split, items in splits.items()
        },
        "nlm_h_factor_per_setting": {settings[i]: k for i, k in tuned.items()},
        "scores": table,
        "background_bias": bias,
        "learning_curve_test_ssim": {str(n): v for n, v in curve.items()},
        "seconds_per_image": seconds,
        "targets": targets,
    }
    write_json(os.path.join(output_dir, "dae_denoise.json"), result)
    rows = []
    for _, row in sorted(crops.items(), key=lambda kv: (kv[0][1], kv[0][0])):  # by modality, then setting
        ordered = {
            "noisy": row["noisy"],
            "clean": row["clean"],
            **{n: row[n] for n in names if n not in ("noisy", "DRAN")},
        }
        rows.append({k: np.kron(v, np.ones((2, 2))) for k, v in ordered.items()})
    save_png(os.path.join(output_dir, "dae_denoise_crops.png"), comparison_grid(rows, reference="clean"))
    if curve:
        baselines = {  # mean over settings of the mean test SSIM: the same images and weights as the curve
            k: float(np.mean([per_method[k]["ssim"]["mean"] for per_method in table["test"].values()]))
            for k in ("median 3x3", "NL-means", "noisy")
        }
        _learning_curve_png(
            os.path.join(output_dir, "dae_denoise_learning_curve.png"), list(curve), list(curve.values()), baselines
        )
    write_markdown(os.path.join(output_dir, "dae_denoise.md"), result, names)
    return result


def _first_of_each_modality(items: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for it in items:
        out.setdefault(it["modality"], it)
    return out


def _table_head(title: str, columns: list[str]) -> list[str]:
    """Markdown lines of a section title and a table header."""
    return ["", f"## {title}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def write_markdown(path: str, r: dict, names: list[str]) -> None:
    t = r["targets"]
    met = lambda ok: "**met**" if ok else "**not met**"  # noqa: E731

    def fmt(e: dict, k: str) -> str:
        digits = 3 if k == "ssim" else 2
        return f"{e[k]['mean']:.{digits}f} ± {e[k]['std']:.{digits}f}"

    def margins(split: str, baseline: str, key: str = "dae_ssim_minus_baseline") -> str:
        return ", ".join(f"{s}: {m[baseline]:+.3f}" for s, m in t[key][split].items())

    lines = [
        "# dae_denoise benchmark",
        "",
        f"Reproduce: `{r['command']}` (needs `pip install -r requirements-benchmark.txt`; trains the MR-only "
        f"{'and learning-curve models' if r['learning_curve_test_ssim'] else 'model (and, without --learning_curve false, the learning-curve models)'} "
        f"with the bundle's train.json on first use). Machine: {r['machine']}.",
        f"Splits of `medrestore-data small_sample` (64 × 64): test = the training sources' held-out regions {r['images']['test']}; "
        f"unseen_source = whole sources never trained on (dipy T1 coronal, MR_small, dipy S0_10, CT_small, the radiograph's right part) "
        f"{r['images']['unseen_source']}; unseen_source_native = the same unseen sources at native resolution (`medrestore-data denoising`'s "
        f"unseen-source split: whole slices and 256-pixel radiograph tiles through the bundle's 64 × 64 windows) {r['images']['unseen_source_native']}. "
        "Each image is degraded at every setting of "
        "the noise grid with fixed seeds; noise std = p·σ on the [0, 1] window (Poisson: p·(N − λ), N ~ Poisson(λ)); "
        "inputs not clipped, every output clipped to [0, 1]. SSIM (data range 1, 11 × 11 Gaussian window) and PSNR "
        "(peak 1) from MONAI's metrics, mean ± sample std over the images.",
        f"NL-means h factor (× noise std) tuned per setting on the validation split: {r['nlm_h_factor_per_setting']}. "
        "DRAN (dran_denoise bundle, blind Gaussian σ ≤ 0.2) is reported only at Gaussian std 0.1, the one setting inside its training range.",
        "",
        "## Targets",
        "",
    ]
    for split in SPLITS:
        lines += [
            f"- {split}: DAE (mix) SSIM ≥ NL-means + {TARGET_SSIM_OVER_NLM} at every setting: "
            f"{met(t['dae_ssim_at_least_nlm_plus_0.02_at_every_setting'][split])} (DAE − NL-means: {margins(split, 'NL-means')}).",
            f"- {split}: the same with `--tta true` (8× the cost): "
            f"{met(t['dae_tta_ssim_at_least_nlm_plus_0.02_at_every_setting'][split])} "
            f"(DAE TTA − NL-means: {margins(split, 'NL-means', 'dae_tta_ssim_minus_baseline')}).",
            f"- {split}: DAE (mix) SSIM above median 3 × 3 and NL-means at every setting: "
            f"{met(t['dae_ssim_above_median_and_nlm_at_every_setting'][split])} (DAE − median: {margins(split, 'median 3x3')}).",
            f"- {split}: no intensity bias on low-noise images (mean |restored − clean| over the background, clean < "
            f"{BACKGROUND}, below the noise std): {met(t['dae_background_bias_below_noise_std'][split])}.",
        ]
    lines += [
        f"- Mixed-modality DAE at least as good as the MR-only DAE on the MR test images: {met(t['mix_at_least_mr_only_on_mr_at_every_setting'])} "
        "(mix − MR-only SSIM: "
        + ", ".join(f"{s}: {v:+.3f}" for s, v in t["mix_minus_mr_only_ssim_on_mr"].items())
        + ").",
    ]
    for split in SPLITS:
        for metric, title in (("ssim", "SSIM"), ("psnr", "PSNR (dB)")):
            lines += _table_head(f"{title}, {split}", ["setting", *names])
            for s, res in r["scores"][split].items():
                lines.append(f"| {s} | " + " | ".join(fmt(res[n], metric) if n in res else "—" for n in names) + " |")
        lines += _table_head(f"SSIM per modality, {split}", ["setting", "modality", *names])
        for s, res in r["scores"][split].items():
            for m in ("MR", "CT", "XR"):
                lines.append(
                    f"| {s} | {m} | "
                    + " | ".join(fmt(res[n][m], "ssim") if n in res and m in res[n] else "—" for n in names)
                    + " |"
                )
    methods_bias = list(next(iter(r["background_bias"]["test"].values())))
    lines += _table_head(
        f"Intensity bias on low-noise images: mean |restored − clean| over the background (clean < {BACKGROUND})",
        ["split", "Gaussian std", *methods_bias],
    )
    for split in SPLITS:
        for std, row in r["background_bias"][split].items():
            lines.append(f"| {split} | {std} | " + " | ".join(f"{row[m]:.4f}" for m in methods_bias) + " |")
    lines += ["", "NL-means at std 0 is the clean input itself (0 by construction)."]
    if r["learning_curve_test_ssim"]:
        lines += [
            "",
            f"## Learning curve (DAE trained on the first n images of the balanced training list, {CURVE_ITERATIONS} iterations each)",
            "",
            "| training images | " + " | ".join(r["learning_curve_test_ssim"]) + " |",
            "|---|" + "---|" * len(r["learning_curve_test_ssim"]),
            "| test SSIM, all settings | "
            + " | ".join(f"{v['mean']:.3f} ± {v['std']:.3f}" for v in r["learning_curve_test_ssim"].values())
            + " |",
            "",
            "![learning curve](dae_denoise_learning_curve.png)",
        ]
    sizes = list(next(iter(r["seconds_per_image"].values())))
    lines += [
        "",
        "## Seconds per image (median)",
        "",
        "| method | " + " | ".join(sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for name, secs in r["seconds_per_image"].items():
        lines.append(f"| {name} | " + " | ".join(f"{secs[k]:.4f}" for k in sizes) + " |")
    lines += [
        "",
        "DAE on images larger than 64 × 64: overlapping 64 × 64 windows (overlap 0.5, Gaussian blending), as in inference.json.",
        "",
        "![crops](dae_denoise_crops.png)",
        "",
        "One test image per modality at Gaussian std 0.1 and 0.5 (shown 2× enlarged); error maps |x − clean| × 4.",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main() -> None:
    import fire

    fire.Fire(lambda **kwargs: print(json.dumps(run(**kwargs)["targets"], indent=2)))


if __name__ == "__main__":
    main()

"""Benchmark of modl_recon against classical and learned reconstructions, side by side in one run.

    python -m medrestore.benchmarks.modl_recon --output_dir docs/benchmarks

On the test and unseen-source splits of the MRI sample data (``medrestore-data mri``), 8 coils, at 4x
and 8x 2D Poisson-disc and 4x 1D random Cartesian undersampling, with coil maps given (true maps, zero
outside the object support) and estimated (networks: the bundle's calibration estimate; classical
methods: ESPIRiT), with the same k-space (phase, noise and mask from each item's seed, through the
bundle's own ``validate`` pipeline) for every method:

* zero-filled ``A^H y``;
* CG-SENSE (conjugate gradient on ``A^H A x = A^H y``, the number of iterations, its regulariser,
  tuned per setting and condition on the validation split);
* L1-wavelet compressed sensing (sigpy ``L1WaveletRecon``, 100 iterations, ``lambda`` tuned per
  setting and condition on the validation split), its output set to zero outside the support of the
  maps it was given, as MoDL's is (wavelet shrinkage alone leaves a floor there: unmasked it scored
  2-5 dB lower on 4 test slices at 4x);
* MONAI's ``VariationalNetworkModel`` (5 cascades, the given maps, SENSE-combined output) trained by the bundle's
  ``train.json`` with ``varnet_baseline.json`` for the same wall-clock budget as MoDL's two stages
  (``eval/varnet_baseline/varnet.pt``);
* MoDL K = 1 (``models/model_k1.pt``), the shipped MoDL (``models/model.pt``, with the unrolls and CG
  iterations of ``inference.json``), labelled ``MoDL (shipped)``, and the shipped fast MoDL
  (``models/model_fast.pt``, ``inference.json --fast true``), labelled ``MoDL fast (shipped)``.

Metrics follow fastMRI on the magnitude: NMSE, PSNR and SSIM (7 x 7 window) with the reference's
maximum as data range. Also seconds per 256 x 256 8-coil slice, a PNG of crops with error maps and a
PSNR-vs-K curve (the shipped weights run with K = 1..10 unrolls). Writes ``modl_recon.md``,
``modl_recon.json``, ``modl_recon_crops.png`` and ``modl_recon_psnr_vs_k.png``.
"""

from __future__ import annotations

import os
import shlex
import sys

import numpy as np
import torch

from medrestore.benchmarks.report import machine, threads, write_json, write_lines
from medrestore.benchmarks.timing import median_seconds
from medrestore.cli.demo import REPO
from medrestore.evaluation import summarize
from medrestore.networks import VarNet
from medrestore.physics import MultiCoilMRI
from medrestore.solvers import conjugate_gradient
from medrestore.visualize import center_crop, comparison_grid, save_png

BUNDLE = os.path.join(REPO, "bundles", "modl_recon")
SETTINGS = (("poisson", 4.0), ("poisson", 8.0), ("random", 4.0))
TARGET_SETTING = 0  # 2D Poisson 4x: the setting of the timing and of the PSNR-vs-K curve
SPLITS = ("test", "unseen_source")
NUM_COILS, NOISE_STD = 8, 0.005
MAP_KINDS = ("support", "calibration", "espirit")
CONDITIONS = {  # condition -> (maps given to the networks, maps given to the classical methods)
    "coil maps given": ("support", "support"),
    "coil maps estimated": ("calibration", "espirit"),
}
TUNING_ITEMS = 4
CG_ITERATIONS = (3, 5, 10, 20, 40)
L1_LAMBDAS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
L1_ITERATIONS = 100
K_CURVE = tuple(range(1, 11))
SHIPPED = "MoDL (shipped)"
SHIPPED_FAST = "MoDL fast (shipped)"
SHIPPED_MODELS = (SHIPPED, SHIPPED_FAST)


def setting_name(setting) -> str:
    kind, acc = setting
    return f"{'2D Poisson' if kind == 'poisson' else '1D ' + kind} {acc:g}x"


def load_split(
    data_dir: str, split: str, setting, coil_maps: str = "support", noise_std: float = NOISE_STD
) -> list[dict]:
    """The bundle's validation pipeline (train.json) on ``split`` with one mask setting, 8 coils, complex
    k-space noise std ``noise_std`` and the maps ``coil_maps`` handed to the method: network inputs as
    tensors. The k-space of an item is the same for every ``coil_maps`` (same seed); ``scale`` converts
    back to common units."""
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config(os.path.join(BUNDLE, "configs", "train.json"))
    parser["bundle_root"] = BUNDLE
    parser["dataset_dir"] = data_dir
    parser["masks"] = [list(setting)]
    parser["num_coils"], parser["noise_std"], parser["coil_maps"] = NUM_COILS, noise_std, coil_maps
    parser["validate#datalist"] = (
        f"$monai.data.load_decathlon_datalist(@datalist, True, '{split}', base_dir=@dataset_dir)"
    )
    parser["validate#dataset"] = {
        "_target_": "Dataset",
        "data": "@validate#datalist",
        "transform": "@validate#preprocessing",
    }
    dataset = parser.get_parsed_content("validate#dataset")
    items = []
    for d in dataset:
        item = {
            k: torch.as_tensor(d[k]).as_subclass(torch.Tensor)[None]
            for k in ("image", "kspace", "mask", "coil_maps", "label")
        }
        item["scale"] = float(d["scale"])
        item["name"] = os.path.basename(str(d["image"].meta["filename_or_obj"])).replace(".nii.gz", "")
        items.append(item)
    return items


def magnitude(x: torch.Tensor) -> np.ndarray:
    """``(1, 2, H, W)`` -> ``(H, W)`` magnitude."""
    return x[0].pow(2).sum(0).sqrt().detach().numpy().astype(np.float64)


def fastmri_metrics(pred: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """fastMRI's NMSE, PSNR and SSIM (scikit-image, 7 x 7 window) with ``data_range = ref.max()``."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    peak = float(ref.max())
    return {
        "nmse": float(np.sum((ref - pred) ** 2) / np.sum(ref**2)),
        "psnr": float(peak_signal_noise_ratio(ref, pred, data_range=peak)),
        "ssim": float(structural_similarity(ref, pred, data_range=peak, win_size=7)),
    }


def _complex(x: torch.Tensor) -> torch.Tensor:
    return torch.view_as_complex(x.contiguous())


def operator(item: dict) -> MultiCoilMRI:
    return MultiCoilMRI(item["mask"], _complex(item["coil_maps"]))


def zero_filled(item: dict) -> np.ndarray:
    return magnitude(item["image"])


def cg_sense(item: dict, iterations: int) -> np.ndarray:
    op = operator(item)
    x = conjugate_gradient(
        op, torch.tensor(0.0), op.A_adjoint(_complex(item["kspace"])), max_iter=iterations, tol=1e-12
    )
    return np.abs(x[0].numpy()).astype(np.float64)


def l1_wavelet(item: dict, lam: float) -> np.ndarray:
    import sigpy.mri

    y = _complex(item["kspace"])[0].numpy()
    maps = _complex(item["coil_maps"])[0].numpy()
    mask = item["mask"][0, 0].numpy()
    app = sigpy.mri.app.L1WaveletRecon(y, maps, lam, weights=mask, max_iter=L1_ITERATIONS, show_pbar=False)
    support = (np.abs(maps) ** 2).sum(axis=0) > 0  # where A^H A = 0 nothing was measured
    return (np.abs(app.run()) * support).astype(np.float64)


def network_recon(net: torch.nn.Module, item: dict) -> np.ndarray:
    with torch.inference_mode():
        return magnitude(net(item["image"], kspace=item["kspace"], mask=item["mask"], coil_maps=item["coil_maps"]))


def check_sigpy_convention() -> None:
    """sigpy's SENSE operator must equal ours (centred orthonormal FFT, same coil and mask model)."""
    import sigpy.mri

    rng = np.random.default_rng(0)
    x = (rng.standard_normal((16, 12)) + 1j * rng.standard_normal((16, 12))).astype(np.complex64)
    maps = (rng.standard_normal((3, 16, 12)) + 1j * rng.standard_normal((3, 16, 12))).astype(np.complex64)
    mask = (rng.random((16, 12)) > 0.5).astype(np.float32)
    theirs = sigpy.mri.linop.Sense(maps, weights=mask) * x
    ours = (
        MultiCoilMRI(torch.from_numpy(mask)[None, None], torch.from_numpy(maps)[None])
        .A(torch.from_numpy(x)[None])[0]
        .numpy()
    )
    if not np.allclose(theirs * mask, ours, atol=1e-4):  # sigpy weights by sqrt(mask): equal for a binary mask
        raise RuntimeError("sigpy's SENSE operator differs from medrestore.physics.MultiCoilMRI")


def tune(items: list[dict], references: list[np.ndarray], method, grid) -> tuple[float, dict]:
    """The grid value with the best mean PSNR on ``items`` (scored against ``references``, common units);
    also every value's mean PSNR."""
    scores = {}
    for value in grid:
        scores[value] = float(
            np.mean(
                [fastmri_metrics(method(it, value) * it["scale"], ref)["psnr"] for it, ref in zip(items, references)]
            )
        )
    return max(scores, key=scores.get), scores


def classical_methods(val: list[dict], val_references: list[np.ndarray], maps: str) -> tuple[dict, dict, dict]:
    """Zero-filled, CG-SENSE and L1-wavelet with the iterations and ``lambda`` tuned on the validation
    items ``val`` (maps ``maps``): ``name -> (maps, fn)`` for :func:`score`, the tuned values and every
    grid value's validation PSNR."""
    iters, cg_scores = tune(val, val_references, cg_sense, CG_ITERATIONS)
    lam, l1_scores = tune(val, val_references, l1_wavelet, L1_LAMBDAS)
    methods = {
        "zero-filled": (maps, zero_filled),
        f"CG-SENSE ({iters} it.)": (maps, lambda it, n=iters: cg_sense(it, n)),
        f"L1-wavelet (lambda {lam:g})": (maps, lambda it, lam=lam: l1_wavelet(it, lam)),
    }
    tuning = {
        "cg_iterations": {str(k): v for k, v in cg_scores.items()},
        "l1_lambda": {f"{k:g}": v for k, v in l1_scores.items()},
    }
    return methods, {"cg_iterations": iters, "l1_lambda": lam}, tuning


def solver_name(net: torch.nn.Module) -> str:
    """``K=5, CG 10`` / ``K=3, CG 5 warm``: a MoDL's unrolls and data-consistency solver."""
    return f"K={net.iterations}, CG {net.dc.max_iter}" + (" warm" if net.dc.warm_start else "")


def file_architecture(path: str) -> dict[str, bool | int]:
    """``inference.json`` overrides that build the network a MoDL weights file was trained as: the
    denoiser's width (``features``), BatchNorm, biases and a noise-adaptive ``lambda`` (``lam_noise_slope``),
    as the file holds them (a file without the slope would otherwise load into a noise-adaptive network with
    the initial slope)."""
    state = torch.load(path, map_location="cpu")
    return {
        "features": int(state["denoiser.noise.0.weight"].shape[0]),
        "batch_norm": "denoiser.noise.1.running_mean" in state,
        "bias": any(k.startswith("denoiser.") and k.endswith(".bias") for k in state),
        "lambda_noise_adaptive": "lam_noise_slope" in state,
    }


def load_networks(
    varnet_path: str,
    candidate_weights: str | None = None,
    candidate_name: str = "candidate, not shipped",
    candidate_overrides: dict | None = None,
) -> dict[str, torch.nn.Module | None]:
    """MoDL K=1, the shipped MoDL (:data:`SHIPPED`) and fast MoDL (:data:`SHIPPED_FAST`, when the bundle has
    ``models/model_fast.pt``), VarNet when trained, and optionally ``candidate_weights``:
    a ``model.pt`` not shipped (a training run's, or an earlier release's; the bundle's network built as
    the file was trained (:func:`file_architecture`), and ``candidate_overrides`` of ``inference.json`` such as
    ``{"iterations": 5, "cg_iterations": 10, "cg_warm_start": False}`` for weights trained otherwise),
    scored alongside as ``MoDL <solver> (<candidate_name>)``."""
    from medrestore.packaging import load_bundle_network

    shipped = load_bundle_network(BUNDLE)
    k1_path = os.path.join(BUNDLE, "models", "model_k1.pt")
    k1 = load_bundle_network(BUNDLE, k1_path, file_architecture(k1_path))
    k1.iterations = 1
    fast_path = os.path.join(BUNDLE, "models", "model_fast.pt")
    fast = load_bundle_network(BUNDLE, overrides={"fast": True}) if os.path.isfile(fast_path) else None
    varnet = None
    if os.path.isfile(varnet_path):
        varnet = VarNet(num_cascades=5)
        varnet.load_state_dict(torch.load(varnet_path, map_location="cpu"))
        varnet.eval()
    nets = {"MoDL K=1": k1, SHIPPED: shipped, SHIPPED_FAST: fast, "VarNet": varnet}
    if candidate_weights:
        overrides = {**file_architecture(candidate_weights), **(candidate_overrides or {})}
        candidate = load_bundle_network(BUNDLE, candidate_weights, overrides)
        nets[f"MoDL {solver_name(candidate)} ({candidate_name})"] = candidate
    return nets


def timing_item(data_dir: str) -> dict:
    """One 256 x 256 8-coil 4x Poisson slice (a test image zero-padded to 256) for the timings."""
    import nibabel as nib

    from medrestore.data.mri import fit_slice
    from medrestore.transforms import ReconInputsd, SimulateKSpaced

    path = os.path.join(data_dir, "test", "mr_colin27_ax150.nii.gz")
    mag = fit_slice(np.asarray(nib.load(path).dataobj), (1.0, 1.0), 256)[None]
    d = ReconInputsd()(SimulateKSpaced(masks=[SETTINGS[TARGET_SETTING]])({"image": mag, "seed": 1}))
    return {
        k: torch.as_tensor(d[k]).as_subclass(torch.Tensor)[None]
        for k in ("image", "kspace", "mask", "coil_maps", "label")
    }


def score(methods: dict, items: dict[str, list[dict]], references: list[np.ndarray], crops: list | None) -> dict:
    """Mean ± std of each method (``name -> (map kind, fn)``) over the items; ``crops``: append the first item's row."""
    per_method = {name: [] for name in methods}
    for i, ref in enumerate(references):
        recons = {name: fn(items[kind][i]) * items[kind][i]["scale"] for name, (kind, fn) in methods.items()}
        for name, recon in recons.items():
            per_method[name].append(fastmri_metrics(recon, ref))
        if i == 0 and crops is not None:
            row = {n.split(" (")[0]: r / ref.max() for n, r in recons.items()}
            row["reference"] = ref / ref.max()
            crops.append({k: center_crop(v, 128) for k, v in row.items()})
    return {
        name: {m: summarize(r[m] for r in rows) for m in ("psnr", "ssim", "nmse")} for name, rows in per_method.items()
    }


def run(
    data_dir: str,
    output_dir: str,
    varnet_path: str,
    max_items: int | None = None,
    candidate_weights: str | None = None,
    candidate_name: str = "candidate, not shipped",
    candidate_overrides: dict | None = None,
) -> dict:
    check_sigpy_convention()
    nets = load_networks(varnet_path, candidate_weights, candidate_name, candidate_overrides)
    results: dict = {
        "command": "python -m medrestore.benchmarks.modl_recon " + shlex.join(sys.argv[1:]),
        "machine": machine(),
        "shipped_solver": solver_name(nets[SHIPPED]),
        "fast_solver": solver_name(nets[SHIPPED_FAST]) if nets[SHIPPED_FAST] is not None else None,
        "tables": [],
    }
    crops: list = []
    for setting in SETTINGS:
        load = {
            split: {kind: load_split(data_dir, split, setting, kind)[:max_items] for kind in MAP_KINDS}
            for split in ("validation", *SPLITS)
        }
        load["validation"] = {kind: items[:TUNING_ITEMS] for kind, items in load["validation"].items()}
        references = {split: [magnitude(it["label"]) * it["scale"] for it in load[split]["support"]] for split in load}
        fully_sampled = {  # upper bound: every k-space sample (noise included), the given maps
            split: [
                magnitude(it["image"]) * it["scale"] for it in load_split(data_dir, split, ("random", 1.0))[:max_items]
            ]
            for split in SPLITS
        }
        for condition, (net_maps, baseline_maps) in CONDITIONS.items():
            methods, tuned, tuning = classical_methods(
                load["validation"][baseline_maps], references["validation"], baseline_maps
            )
            for name, net in nets.items():
                if net is not None:
                    methods[name] = (net_maps, lambda it, net=net: network_recon(net, it))
            for split in SPLITS:
                keep_crop = split == "unseen_source" and condition == "coil maps given"
                entry = {
                    "setting": setting_name(setting),
                    "condition": condition,
                    "split": split,
                    "n": len(references[split]),
                    "tuned": tuned,
                    "tuning": tuning,
                    "methods": score(methods, load[split], references[split], crops if keep_crop else None),
                }
                if condition == "coil maps given":
                    entry["fully_sampled_psnr"] = float(
                        np.mean(
                            [fastmri_metrics(f, r)["psnr"] for f, r in zip(fully_sampled[split], references[split])]
                        )
                    )
                results["tables"].append(entry)
                print(
                    f"{entry['setting']}, {condition}, {split}: "
                    + ", ".join(f"{n} {v['psnr']['mean']:.2f} dB" for n, v in entry["methods"].items()),
                    flush=True,
                )

    # PSNR vs K (shipped weights, 4x Poisson, coil maps given)
    shipped = nets[SHIPPED]
    trained_k = shipped.iterations
    curve = {}
    for split in SPLITS:
        items = load_split(data_dir, split, SETTINGS[TARGET_SETTING])[:max_items]
        curve[split] = {}
        for k in K_CURVE:
            shipped.iterations = k
            curve[split][k] = float(
                np.mean([fastmri_metrics(network_recon(shipped, it), magnitude(it["label"]))["psnr"] for it in items])
            )
    shipped.iterations = trained_k
    results["psnr_vs_k"] = curve

    # seconds per 256 x 256 slice, with torch's default threads (the targets) and with one thread
    first = results["tables"][0]
    tuned = first["tuned"]["cg_iterations"], first["tuned"]["l1_lambda"]
    item = timing_item(data_dir)
    results["torch_threads"] = torch.get_num_threads()
    results["seconds_per_256_slice"] = time_methods(nets, item, *tuned)
    torch.set_num_threads(1)
    try:
        results["seconds_per_256_slice_one_thread"] = time_methods(nets, item, *tuned)
    finally:
        torch.set_num_threads(results["torch_threads"])
    results["targets"] = targets(results)

    os.makedirs(output_dir, exist_ok=True)
    save_png(os.path.join(output_dir, "modl_recon_crops.png"), comparison_grid(crops, reference="reference"))
    _curve_png(
        os.path.join(output_dir, "modl_recon_psnr_vs_k.png"), curve, results["tables"], results["shipped_solver"]
    )
    write_json(os.path.join(output_dir, "modl_recon.json"), results)
    write_markdown(os.path.join(output_dir, "modl_recon.md"), results)
    return results


def time_methods(nets: dict, item: dict, cg_iters: int, lam: float) -> dict[str, float]:
    """Median seconds per call of every method on the timing ``item`` (tuned CG iterations and lambda)."""
    timings = {
        "zero-filled": median_seconds(lambda: zero_filled(item)),
        "CG-SENSE": median_seconds(lambda: cg_sense(item, cg_iters)),
        "L1-wavelet": median_seconds(lambda: l1_wavelet(item, lam), repeats=2),
    }
    for name, net in nets.items():
        if net is not None:
            timings[name] = median_seconds(lambda net=net: network_recon(net, item))
    return timings


def targets(results: dict) -> list[dict]:
    """Per shipped MoDL (:data:`SHIPPED_MODELS` that ran) and table: MoDL - best classical (CG-SENSE,
    L1-wavelet) PSNR (target +1 dB), SSIM above every baseline (zero-filled, CG-SENSE, L1-wavelet, VarNet),
    and the L1-wavelet / MoDL time ratio (target 10x)."""
    rows = []
    seconds = results["seconds_per_256_slice"]
    for model in (model for model in SHIPPED_MODELS if model in seconds):
        rows += [_target_row(t, model, seconds["L1-wavelet"] / seconds[model]) for t in results["tables"]]
    return rows


def _target_row(t: dict, model: str, speed: float) -> dict:
    """One table's target figures for ``model`` (see :func:`targets`)."""
    m = t["methods"]
    modl = m[model]
    classical = max(v["psnr"]["mean"] for n, v in m.items() if n.startswith(("CG-SENSE", "L1-wavelet")))
    baselines_ssim = max(v["ssim"]["mean"] for n, v in m.items() if not n.startswith("MoDL"))
    return {
        "model": model,
        "setting": t["setting"],
        "condition": t["condition"],
        "split": t["split"],
        "psnr_over_best_classical_db": modl["psnr"]["mean"] - classical,
        "psnr_over_zero_filled_db": modl["psnr"]["mean"] - m["zero-filled"]["psnr"]["mean"],
        "ssim_over_best_baseline": modl["ssim"]["mean"] - baselines_ssim,
        "l1_wavelet_over_modl_time": speed,
    }


def _curve_png(path: str, curve: dict, tables: list[dict], shipped_solver: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curve), figsize=(5 * len(curve), 3.5), dpi=120)
    for ax, (split, values) in zip(np.atleast_1d(axes), curve.items()):
        ax.plot(list(values), list(values.values()), "o-", label=f"MoDL (shipped weights, trained at {shipped_solver})")
        methods = next(
            t["methods"]
            for t in tables
            if t["split"] == split
            and t["condition"] == "coil maps given"
            and t["setting"] == setting_name(SETTINGS[TARGET_SETTING])
        )
        for name, style in (("zero-filled", ":"), ("CG-SENSE", (0, (1, 3))), ("L1-wavelet", "--"), ("VarNet", "-.")):
            match = [v for n, v in methods.items() if n.startswith(name)]
            if match:
                ax.axhline(match[0]["psnr"]["mean"], linestyle=style, color="gray", label=name)
        ax.set_xlabel("unrolled iterations K at inference")
        ax.set_ylabel("mean PSNR (dB)")
        ax.set_title(f"2D Poisson 4x, 8 coils, {split} split")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_markdown(path: str, r: dict) -> None:
    lines = [
        "# modl_recon benchmark",
        "",
        f"Written by `{r.get('command', 'python -m medrestore.benchmarks.modl_recon')}` "
        f"({r['machine']}). Splits of `medrestore-data mri`: `test` (Colin27 slices of a region held out of "
        "training) and `unseen_source` (whole sources never seen in training: dipy `t1_coronal_slice`, `S0_10`, "
        "`test_piesno`, pydicom `MR_small`). k-space simulated with each item's seed: 8 birdcage coils, smooth "
        f"random phase, complex noise std {NOISE_STD}; the same k-space for every method. Reference: the magnitude "
        "of the object, zero outside its support (the support convention of `medrestore.physics.coils`). "
        "Conditions: **coil maps given** (every method gets the true maps, zero outside the object support) and "
        "**coil maps estimated** (the networks get the bundle's default calibration estimate, as `inference.json` "
        "computes for a file without maps; the classical methods get ESPIRiT maps). CG-SENSE iterations and the "
        f"L1-wavelet lambda are tuned per setting and condition on {TUNING_ITEMS} validation images. Metrics on the "
        "magnitude with the fastMRI definitions (data range = reference maximum, SSIM 7 x 7); mean ± std. "
        "*Fully sampled* is the SENSE combination of all k-space samples (noise included): the upper bound of "
        "a method that only removes aliasing. "
        f"*{SHIPPED}*: `models/model.pt` with the solver of `inference.json` ({r['shipped_solver']}: unrolls, "
        "conjugate-gradient iterations per data-consistency step, *warm*: started at the denoiser output)"
        + (
            f"; *{SHIPPED_FAST}*: `models/model_fast.pt` with `inference.json --fast true` ({r['fast_solver']})."
            if r.get("fast_solver")
            else "."
        ),
        "",
    ]
    for t in r["tables"]:
        lines += [f"## {t['setting']}, {t['condition']}, {t['split']} (n = {t['n']})", ""]
        if "fully_sampled_psnr" in t:
            lines += [f"Fully sampled: {t['fully_sampled_psnr']:.2f} dB.", ""]
        lines += ["| method | PSNR (dB) | SSIM | NMSE |", "|---|---|---|---|"]
        for name, m in t["methods"].items():
            lines.append(
                f"| {name} | {m['psnr']['mean']:.2f} ± {m['psnr']['std']:.2f} | {m['ssim']['mean']:.4f} | {m['nmse']['mean']:.5f} |"
            )
        lines.append("")
    lines += [
        "## Targets: each shipped MoDL >= best of CG-SENSE / L1-wavelet + 1 dB, SSIM above every baseline, "
        ">= 10x faster than L1-wavelet",
        "",
        "| model | setting | condition | split | PSNR vs best classical | met | SSIM vs best baseline | met | PSNR vs zero-filled |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in r["targets"]:
        lines.append(
            f"| {t['model']} | {t['setting']} | {t['condition']} | {t['split']} | {t['psnr_over_best_classical_db']:+.2f} dB | "
            f"{'met' if t['psnr_over_best_classical_db'] >= 1 else '**NOT met**'} | {t['ssim_over_best_baseline']:+.4f} | "
            f"{'met' if t['ssim_over_best_baseline'] > 0 else '**NOT met**'} | {t['psnr_over_zero_filled_db']:+.2f} dB |"
        )
    solvers = {SHIPPED: r["shipped_solver"], SHIPPED_FAST: r.get("fast_solver")}
    speeds = {t["model"]: t["l1_wavelet_over_modl_time"] for t in r["targets"]}
    lines += [""]
    one = r["seconds_per_256_slice_one_thread"]
    for model, speed in speeds.items():
        lines.append(
            f"Speed: L1-wavelet / {model} ({solvers[model]}) time per slice = {speed:.1f}x with "
            f"{threads(r['torch_threads'])} -> **{'met' if speed >= 10 else 'NOT met'}** "
            f"({one['L1-wavelet'] / one[model]:.1f}x with one thread).  "
        )
    lines += [
        "",
        "## Seconds per 256 x 256 8-coil slice (median of repeats, after a warm-up)",
        "",
        f"With torch's default {threads(r['torch_threads'])} (the speed target) and with one thread (sigpy's "
        "L1-wavelet runs on one core either way: numpy FFTs and PyWavelets).",
        "",
        f"| method | s ({threads(r['torch_threads'])}) | s (1 thread) |",
        "|---|---|---|",
        *[
            f"| {n} | {s:.3f} | {r['seconds_per_256_slice_one_thread'][n]:.3f} |"
            for n, s in r["seconds_per_256_slice"].items()
        ],
        "",
        "## PSNR vs K (shipped weights, 2D Poisson 4x, coil maps given)",
        "",
        "| split | " + " | ".join(f"K={k}" for k in next(iter(r["psnr_vs_k"].values()))) + " |",
        "|" + "---|" * (len(next(iter(r["psnr_vs_k"].values()))) + 1),
        *[f"| {split} | " + " | ".join(f"{v:.2f}" for v in c.values()) + " |" for split, c in r["psnr_vs_k"].items()],
        "",
        "Tuning on the validation split (mean PSNR per value) is in `modl_recon.json`. Crops with error maps: "
        "`modl_recon_crops.png` (first unseen-source image, coil maps given, one row per setting); curves: "
        "`modl_recon_psnr_vs_k.png`.",
        "",
    ]
    write_lines(path, lines)


def main(
    data_dir: str = os.path.join(REPO, "data", "mri"),
    output_dir: str = os.path.join(REPO, "docs", "benchmarks"),
    varnet_path: str = os.path.join(REPO, "eval", "varnet_baseline", "varnet.pt"),
    max_items: int | None = None,
    candidate_weights: str | None = None,
    candidate_name: str = "candidate, not shipped",
    candidate_overrides: dict | None = None,
) -> None:
    """Run the benchmark (builds the MRI sample data first when missing). ``candidate_weights``: a
    ``model.pt`` from a training run (for example ``eval/models/model.pt``) or an earlier release, scored alongside
    the shipped one and labelled ``candidate_name``; ``candidate_overrides``: its ``inference.json`` settings
    where they differ (e.g. ``"{'iterations': 5, 'cg_iterations': 10, 'cg_warm_start': False}"``)."""
    if not os.path.isfile(os.path.join(data_dir, "datalist.json")):
        from medrestore.data.mri import build_mri_data

        build_mri_data(data_dir)
    run(data_dir, output_dir, varnet_path, max_items, candidate_weights, candidate_name, candidate_overrides)


if __name__ == "__main__":
    import fire

    fire.Fire(main)

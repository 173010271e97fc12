"""Benchmark of modl_recon against classical and learned reconstructions, side by side in one run.

    python -m medrestore.benchmarks.modl_recon --output_dir docs/benchmarks

On the test split of the MRI sample data (``medrestore-data mri``), 8 coils, at 4x and 8x 2D
Poisson-disc and 4x 1D random Cartesian undersampling, with the same k-space (phase, noise and mask
from each item's seed, through the bundle's own ``validate`` pipeline) for every method:

* zero-filled ``A^H y``;
* CG-SENSE (conjugate gradient on ``A^H A x = A^H y``, the number of iterations, its regulariser,
  tuned per setting on the validation split);
* L1-wavelet compressed sensing (sigpy ``L1WaveletRecon``, 100 iterations, ``lambda`` tuned per
  setting on the validation split);
* MONAI's ``VariationalNetworkModel`` (5 cascades, known coil maps) trained by the bundle's
  ``train.json`` with ``varnet_baseline.json`` for the same wall-clock budget as MoDL's two stages
  (``eval/varnet_baseline/varnet.pt``);
* MoDL K = 1 (``models/model_k1.pt``) and the shipped MoDL K = 5 (``models/model.pt``).

Metrics follow fastMRI on the magnitude: NMSE, PSNR and SSIM (7 x 7 window) with the reference's
maximum as data range. Also seconds per 256 x 256 8-coil slice, a PNG of crops with error maps and a
PSNR-vs-K curve (the shipped weights run with K = 1..10 unrolls). Writes ``modl_recon.md``,
``modl_recon.json``, ``modl_recon_crops.png`` and ``modl_recon_psnr_vs_k.png``.
"""

from __future__ import annotations

import json
import os
import platform

import numpy as np
import torch

from medrestore.benchmarks.timing import median_seconds
from medrestore.cli.demo import REPO
from medrestore.evaluation import summarize
from medrestore.networks import MoDL, VarNet
from medrestore.physics import MultiCoilMRI
from medrestore.solvers import conjugate_gradient
from medrestore.visualize import center_crop, comparison_grid, save_png

BUNDLE = os.path.join(REPO, "bundles", "modl_recon")
SETTINGS = (("poisson", 4.0), ("poisson", 8.0), ("random", 4.0))
TARGET_SETTING = 0  # 2D Poisson 4x, 8 coils: the setting of the quality targets
CG_ITERATIONS = (3, 5, 10, 20, 40)
L1_LAMBDAS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
L1_ITERATIONS = 100
K_CURVE = tuple(range(1, 11))


def setting_name(setting) -> str:
    kind, acc = setting
    return f"{'2D Poisson' if kind == 'poisson' else '1D ' + kind} {acc:g}x"


def load_split(data_dir: str, split: str, setting) -> list[dict]:
    """The bundle's validation pipeline (train.json) on ``split`` with one mask setting: network inputs as tensors."""
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config(os.path.join(BUNDLE, "configs", "train.json"))
    parser["bundle_root"] = BUNDLE
    parser["dataset_dir"] = data_dir
    parser["masks"] = [list(setting)]
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
    return np.abs(app.run()).astype(np.float64)


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


def tune(items: list[dict], method, grid) -> tuple[float, dict]:
    """The grid value with the best mean PSNR on ``items``; also every value's mean PSNR."""
    scores = {}
    for value in grid:
        scores[value] = float(
            np.mean([fastmri_metrics(method(it, value), magnitude(it["label"]))["psnr"] for it in items])
        )
    return max(scores, key=scores.get), scores


def load_networks(varnet_path: str) -> dict[str, torch.nn.Module | None]:
    from medrestore.packaging import load_bundle_network

    shipped = load_bundle_network(BUNDLE)
    k1 = MoDL(
        iterations=1, features=shipped.denoiser.noise[0].out_channels, layers=len(shipped.denoiser.noise) // 2 + 1
    )
    k1.load_state_dict(torch.load(os.path.join(BUNDLE, "models", "model_k1.pt"), map_location="cpu"))
    varnet = None
    if os.path.isfile(varnet_path):
        varnet = VarNet(num_cascades=5)
        varnet.load_state_dict(torch.load(varnet_path, map_location="cpu"))
        varnet.eval()
    return {"MoDL K=1": k1.eval(), "MoDL K=5 (shipped)": shipped.eval(), "VarNet": varnet}


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


def run(data_dir: str, output_dir: str, varnet_path: str, max_items: int | None = None) -> dict:
    check_sigpy_convention()
    nets = load_networks(varnet_path)
    results: dict = {
        "settings": [],
        "machine": f"{platform.processor() or platform.machine()}, torch threads {torch.get_num_threads()}",
    }
    crops = []
    for setting in SETTINGS:
        validation = load_split(data_dir, "validation", setting)
        test = load_split(data_dir, "test", setting)[:max_items]
        best_iters, cg_scores = tune(validation, cg_sense, CG_ITERATIONS)
        best_lam, l1_scores = tune(validation, l1_wavelet, L1_LAMBDAS)
        methods = {
            "zero-filled": zero_filled,
            f"CG-SENSE ({best_iters} it.)": lambda it, n=best_iters: cg_sense(it, n),
            f"L1-wavelet (lambda {best_lam:g})": lambda it, lam=best_lam: l1_wavelet(it, lam),
        }
        for name, net in nets.items():
            if net is not None:
                methods[name] = lambda it, net=net: network_recon(net, it)
        per_method = {name: [] for name in methods}
        for i, item in enumerate(test):
            ref = magnitude(item["label"])
            recons = {name: fn(item) for name, fn in methods.items()}
            for name, recon in recons.items():
                per_method[name].append(fastmri_metrics(recon, ref))
            if i == 0:
                peak = ref.max()
                row = {"zero-filled": recons["zero-filled"] / peak}
                row.update({n.split(" (")[0]: recons[n] / peak for n in methods if n != "zero-filled"})
                row["reference"] = ref / peak
                crops.append({k: center_crop(v, 128) for k, v in row.items()})
        entry = {
            "setting": setting_name(setting),
            "n": len(test),
            "tuned": {"cg_iterations": best_iters, "l1_lambda": best_lam},
            "tuning": {
                "cg_iterations": {str(k): v for k, v in cg_scores.items()},
                "l1_lambda": {f"{k:g}": v for k, v in l1_scores.items()},
            },
            "methods": {
                name: {m: summarize(r[m] for r in rows) for m in ("psnr", "ssim", "nmse")}
                for name, rows in per_method.items()
            },
        }
        results["settings"].append(entry)
        print(
            f"{entry['setting']}: " + ", ".join(f"{n} {v['psnr']['mean']:.2f} dB" for n, v in entry["methods"].items()),
            flush=True,
        )

    # PSNR vs K (shipped weights, 4x Poisson test set)
    test = load_split(data_dir, "test", SETTINGS[TARGET_SETTING])[:max_items]
    shipped = nets["MoDL K=5 (shipped)"]
    curve = {}
    for k in K_CURVE:
        shipped.iterations = k
        curve[k] = float(
            np.mean([fastmri_metrics(network_recon(shipped, it), magnitude(it["label"]))["psnr"] for it in test])
        )
    shipped.iterations = 5
    results["psnr_vs_k"] = curve

    # seconds per 256 x 256 slice
    item = timing_item(data_dir)
    best = results["settings"][TARGET_SETTING]
    cg_iters, lam = best["tuned"]["cg_iterations"], best["tuned"]["l1_lambda"]
    timings = {
        "zero-filled": median_seconds(lambda: zero_filled(item)),
        "CG-SENSE": median_seconds(lambda: cg_sense(item, cg_iters)),
        "L1-wavelet": median_seconds(lambda: l1_wavelet(item, lam), repeats=2),
    }
    for name, net in nets.items():
        if net is not None:
            timings[name] = median_seconds(lambda net=net: network_recon(net, item))
    results["seconds_per_256_slice"] = timings

    target = best["methods"]
    modl = target["MoDL K=5 (shipped)"]["psnr"]["mean"]
    zf = target["zero-filled"]["psnr"]["mean"]
    l1 = next(v for n, v in target.items() if n.startswith("L1-wavelet"))["psnr"]["mean"]
    results["targets"] = {
        "modl_minus_zero_filled_db": modl - zf,
        "modl_minus_l1_wavelet_db": modl - l1,
        "l1_wavelet_over_modl_time": timings["L1-wavelet"] / timings["MoDL K=5 (shipped)"],
    }
    os.makedirs(output_dir, exist_ok=True)
    save_png(os.path.join(output_dir, "modl_recon_crops.png"), comparison_grid(crops, reference="reference"))
    _curve_png(os.path.join(output_dir, "modl_recon_psnr_vs_k.png"), curve, best["methods"])
    with open(os.path.join(output_dir, "modl_recon.json"), "w") as f:
        json.dump(results, f, indent=2)
    write_markdown(os.path.join(output_dir, "modl_recon.md"), results)
    return results


def _curve_png(path: str, curve: dict, methods: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=120)
    ax.plot(list(curve), list(curve.values()), "o-", label="MoDL (shipped weights, trained at K=5)")
    for name, style in (("zero-filled", ":"), ("L1-wavelet", "--"), ("VarNet", "-.")):
        match = [v for n, v in methods.items() if n.startswith(name)]
        if match:
            ax.axhline(match[0]["psnr"]["mean"], linestyle=style, color="gray", label=name)
    ax.set_xlabel("unrolled iterations K at inference")
    ax.set_ylabel("mean PSNR (dB)")
    ax.set_title("2D Poisson 4x, 8 coils, test split")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_markdown(path: str, r: dict) -> None:
    lines = [
        "# modl_recon benchmark",
        "",
        "Written by `python -m medrestore.benchmarks.modl_recon --output_dir docs/benchmarks` "
        f"({r['machine']}). Test split of `medrestore-data mri` (k-space simulated with each item's seed: "
        "8 birdcage coils, smooth random phase, complex noise std 0.005); metrics on the magnitude with the "
        "fastMRI definitions (data range = reference maximum, SSIM 7 x 7); mean ± std over the test images.",
        "",
    ]
    for entry in r["settings"]:
        lines += [
            f"## {entry['setting']} (n = {entry['n']})",
            "",
            "| method | PSNR (dB) | SSIM | NMSE |",
            "|---|---|---|---|",
        ]
        for name, m in entry["methods"].items():
            lines.append(
                f"| {name} | {m['psnr']['mean']:.2f} ± {m['psnr']['std']:.2f} | {m['ssim']['mean']:.4f} | {m['nmse']['mean']:.5f} |"
            )
        lines.append("")
    t = r["targets"]
    lines += [
        "## Targets (2D Poisson 4x, 8 coils)",
        "",
        f"- MoDL >= zero-filled + 8 dB: {t['modl_minus_zero_filled_db']:+.2f} dB -> **{'met' if t['modl_minus_zero_filled_db'] >= 8 else 'NOT met'}**",
        f"- MoDL >= L1-wavelet + 1 dB: {t['modl_minus_l1_wavelet_db']:+.2f} dB -> **{'met' if t['modl_minus_l1_wavelet_db'] >= 1 else 'NOT met'}**",
        f"- MoDL >= 10x faster than L1-wavelet per slice: {t['l1_wavelet_over_modl_time']:.1f}x -> **{'met' if t['l1_wavelet_over_modl_time'] >= 10 else 'NOT met'}**",
        "",
        "## Seconds per 256 x 256 8-coil slice (median of repeats, after a warm-up)",
        "",
        "| method | s |",
        "|---|---|",
        *[f"| {n} | {s:.3f} |" for n, s in r["seconds_per_256_slice"].items()],
        "",
        "## PSNR vs K (shipped weights, 2D Poisson 4x)",
        "",
        "| K | " + " | ".join(str(k) for k in r["psnr_vs_k"]) + " |",
        "|" + "---|" * (len(r["psnr_vs_k"]) + 1),
        "| PSNR (dB) | " + " | ".join(f"{v:.2f}" for v in r["psnr_vs_k"].values()) + " |",
        "",
        "Tuning on the validation split (mean PSNR per value) is in `modl_recon.json`. Crops with error maps: "
        "`modl_recon_crops.png` (first test image, one row per setting); curve: `modl_recon_psnr_vs_k.png`.",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main(
    data_dir: str = os.path.join(REPO, "data", "mri"),
    output_dir: str = os.path.join(REPO, "docs", "benchmarks"),
    varnet_path: str = os.path.join(REPO, "eval", "varnet_baseline", "varnet.pt"),
    max_items: int | None = None,
) -> None:
    """Run the benchmark (builds the MRI sample data first when missing)."""
    if not os.path.isfile(os.path.join(data_dir, "datalist.json")):
        from medrestore.data.mri import build_mri_data

        build_mri_data(data_dir)
    run(data_dir, output_dir, varnet_path, max_items)


if __name__ == "__main__":
    import fire

    fire.Fire(main)

"""Reliability sweep: every case of ``tests/reliability`` per bundle, plus a large CT-sized volume
through each image-to-image bundle (peak memory, time, equality with slice-by-slice processing).
Writes ``docs/reliability.md`` and ``docs/reliability.json``.

    python -m medrestore.benchmarks.reliability --output_dir docs [--depth 300] [--skip_tests] [--bundles "['dae_denoise']"]

Needs the repository checkout (the tests and the bundles); about 15-25 min on 2 CPU cores.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import nibabel as nib
import numpy as np

from medrestore.benchmarks.report import write_json, write_lines
from medrestore.cli.demo import REPO

IMAGE_BUNDLES = ("dran_denoise", "dae_denoise")
WINDOW = "[-1024, 2048]"  # a fixed CT window, so the volume and its single slices are windowed alike


def run_reliability_tests(workdir: str) -> list[dict]:
    """``pytest tests/reliability``; one row per (test, bundle) with its outcome."""
    xml = os.path.join(workdir, "reliability.xml")
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/reliability", "-p", "no:cacheprovider", f"--junitxml={xml}"],
        cwd=REPO,
        check=False,
    )
    return parse_junit(xml)


def parse_junit(xml: str) -> list[dict]:
    """Rows ``{bundle, case, outcome, seconds, command}`` of a pytest JUnit XML file."""
    rows = []
    for case in ET.parse(xml).getroot().iter("testcase"):
        name = case.get("name", "")
        match = re.match(r"(test_\w+?)\[(.+)\]$", name)
        test, param = (match.group(1), match.group(2)) if match else (name, "")
        bundle = next((b for b in ("dran_denoise", "dae_denoise", "modl_recon") if b in param), "all")
        outcome = "failed" if case.find("failure") is not None or case.find("error") is not None else "passed"
        outcome = "skipped" if case.find("skipped") is not None else outcome
        rows.append(
            {
                "bundle": bundle,
                "case": test.removeprefix("test_").replace("_", " ") + (f" [{param}]" if param != bundle else ""),
                "outcome": outcome,
                "seconds": round(float(case.get("time", 0.0)), 1),
                "command": f"python -m pytest tests/reliability -k '{test} and {bundle}'",
            }
        )
    return rows


def _peak_rss_mb(pid_status: str) -> float:
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", pid_status)
    return int(match.group(1)) / 1024 if match else float("nan")


def _infer(bundle: str, dataset: str, out: str, extra=()) -> tuple[float, float, str]:
    """Bundle inference under ``/usr/bin/time -v``: (seconds, peak RSS in MB, output text)."""
    root = os.path.join(REPO, "bundles", bundle)
    cmd = [
        "/usr/bin/time", "-v", sys.executable, "-m", "monai.bundle", "run",
        "--config_file", os.path.join(root, "configs", "inference.json"), "--bundle_root", root,
        "--dataset_dir", dataset, "--output_dir", out, "--intensity_window", WINDOW, *extra,
    ]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{bundle} inference failed:\n{proc.stderr[-3000:]}")
    return seconds, _peak_rss_mb(proc.stderr), proc.stdout


def large_volume(bundle: str, workdir: str, depth: int, size: int = 512) -> dict:
    """A ``size x size x depth`` CT-like volume (HU, 0.7 x 0.7 x 1 mm) through ``inference.json``:
    time, peak memory and progress lines, then three of its slices restored as separate 2D images
    compared with the same slices of the volume's result."""
    from medrestore.data import random_ellipse_phantom

    vol_dir, slice_dir = os.path.join(workdir, f"{bundle}_volume"), os.path.join(workdir, f"{bundle}_slices")
    os.makedirs(vol_dir)
    os.makedirs(slice_dir)
    rng = np.random.default_rng(0)
    base = random_ellipse_phantom((size, size), seed=1) * 1400.0 - 1000.0
    volume = np.empty((size, size, depth), np.float32)
    for z in range(depth):
        volume[..., z] = base * (0.9 + 0.2 * z / depth) + rng.normal(0, 20, (size, size))
    affine = np.diag([0.7, 0.7, 1.0, 1.0])
    nib.save(nib.Nifti1Image(volume, affine), os.path.join(vol_dir, "ct.nii.gz"))
    picks = (0, depth // 2, depth - 1)
    for z in picks:
        nib.save(nib.Nifti1Image(volume[..., z], affine), os.path.join(slice_dir, f"slice{z:03d}.nii.gz"))
    seconds, peak, text = _infer(bundle, vol_dir, os.path.join(workdir, f"{bundle}_volume_out"))
    _, _, _ = _infer(bundle, slice_dir, os.path.join(workdir, f"{bundle}_slices_out"))
    restored = nib.load(os.path.join(workdir, f"{bundle}_volume_out", "ct_restored.nii.gz"))
    diffs = []
    for z in picks:
        single = nib.load(os.path.join(workdir, f"{bundle}_slices_out", f"slice{z:03d}_restored.nii.gz")).get_fdata()
        diffs.append(float(np.abs(restored.dataobj[..., z] - single).max()))
    return {
        "bundle": bundle,
        "shape": [size, size, depth],
        "input_mb": round(volume.nbytes / 2**20, 1),
        "seconds": round(seconds, 1),
        "seconds_per_slice": round(seconds / depth, 3),
        "peak_rss_mb": round(peak, 0),
        "progress_lines": len(re.findall(r"^\[\d+/\d+\]", text, flags=re.M)),
        "geometry_kept": bool(restored.shape == volume.shape and np.allclose(restored.affine, affine)),
        "max_abs_diff_vs_single_slices_hu": round(max(diffs), 6),
        "command": f"python -m medrestore.benchmarks.reliability --output_dir docs --depth {depth}",
    }


def write_report(output_dir: str, tests: list[dict], volumes: list[dict], notes: tuple[str, ...] = ()) -> str:
    lines = [
        "# Reliability sweep",
        "",
        "Written by `python -m medrestore.benchmarks.reliability --output_dir docs` (2 CPU cores). Each case is a",
        "test of `tests/reliability/`, run for every bundle it applies to; the command reruns one case.",
        "",
        "## Cases per bundle",
        "",
        "| bundle | case | outcome | s | command |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r['bundle']} | {r['case']} | {r['outcome']} | {r['seconds']} | `{r['command']}` |" for r in tests]
    lines += [
        "",
        "## Large volume",
        "",
        f"A CT-sized float32 volume (0.7 x 0.7 x 1 mm, window {WINDOW} HU) through each image-to-image bundle's",
        "`inference.json`; peak resident memory of the whole `monai.bundle run` process (`/usr/bin/time -v`);",
        "three slices restored on their own as 2D images compared with the same slices of the volume's result.",
        "",
        "| bundle | shape | input MB | s | s/slice | peak RSS MB | progress lines | geometry kept | max diff vs single slices (HU) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {v['bundle']} | {'x'.join(map(str, v['shape']))} | {v['input_mb']} | {v['seconds']} | {v['seconds_per_slice']} | "
        f"{v['peak_rss_mb']:.0f} | {v['progress_lines']} | {v['geometry_kept']} | {v['max_abs_diff_vs_single_slices_hu']} |"
        for v in volumes
    ]
    lines += ["", *notes] if notes else []
    os.makedirs(output_dir, exist_ok=True)
    md = os.path.join(output_dir, "reliability.md")
    write_lines(md, [*lines, ""])
    write_json(os.path.join(output_dir, "reliability.json"), {"tests": tests, "large_volume": volumes})
    return md


def main(output_dir: str = "docs", depth: int = 300, skip_tests: bool = False, bundles=IMAGE_BUNDLES) -> str:
    with tempfile.TemporaryDirectory() as work:
        tests = [] if skip_tests else run_reliability_tests(work)
        volumes = []
        for bundle in bundles:
            print(f"large volume through {bundle} ...", flush=True)
            volumes.append(large_volume(bundle, work, depth))
            print(volumes[-1], flush=True)
    path = write_report(output_dir, tests, volumes)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    import fire

    fire.Fire(main)

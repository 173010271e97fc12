"""Contrast-translation sample data: T1-, T2- and PD-weighted MR slices simulated from real anatomy.

Command line: ``medrestore-data contrast --output_dir data/contrast``.

No allowed source holds one subject in several contrasts, so the contrasts are simulated
(:mod:`medrestore.physics.contrast`): Colin27 (1 mm T1 template) is segmented into tissue fractions
(CSF, grey and white matter inside the skull-stripped brain; bone, muscle/skin and fat outside it:
two 3-class Gaussian mixtures on intensity, whose posteriors serve as partial-volume fractions), and
each slice is rendered with random spin-echo / spoiled gradient-echo settings at 1.5 T or 3 T,
per-image tissue-parameter jitter, a receive-bias field, blur and Rician noise.

Splits:

* **training** (unpaired): Colin27 axial z < 118 and coronal sections cut at z < 118. Domain A (T1)
  is rendered from even-numbered slices, domains B (T2, PD) from odd-numbered ones, so no training
  image has its own counterpart in the other domain. Items: ``image``, ``contrast``, ``group``
  (the slice), ``source``, the acquisition.
* **validation** (pairs): Colin27 axial z = 120, 123 and coronal y = 105 at z >= 126.
* **test** (pairs, in distribution: other slices, new random settings): Colin27 axial z = 130, 140,
  150 and coronal y = 80, 130 at z >= 126.
* **training_pairs** (pairs of the training slices, for the paired pix2pix mode): Colin27 axial z = 30,
  33, ..., 117 and coronal y = 40, 50, ..., 180 cut at z < 118, with their own random settings.
* **unseen_source** (pairs, another anatomy and another tissue table): phantominator's MR
  Shepp-Logan parameter maps (PD, T1, T2) at five heights.

Paired items carry ``image`` (the input contrast at random settings, degraded), ``label`` (the
target contrast of the same slice and session at the mid-range spin-echo setting :data:`CANONICAL`:
same field strength, bias field and blur, no noise) and ``task`` (``t1_t2``, ``t2_t1``, ``t1_pd``).
A translation cannot know which TR/TE the user wanted, so the truth is a fixed, typical one.
``domain_sample`` is the target contrast of the same slice and session at a random acquisition of the
target domain, with the session's noise and the training's tissue jitter: an image an unpaired model
could output and still be a perfect member of domain B; its score against ``label`` is the ceiling of
unpaired translation on these data (the benchmark's *domain-B sample* row).
"""

from __future__ import annotations

import os
import zlib

import numpy as np
from scipy import ndimage

from medrestore.data import sources
from medrestore.data.builder import SplitWriter, write_slice
from medrestore.physics.contrast import TISSUES, Acquisition, bias_field, render, sample_acquisition, signal

__all__ = ["CANONICAL", "TASKS", "build_contrast_data", "colin27_tissue_fractions", "translation_model_name"]

TASKS = {"t1_t2": ("T1", "T2"), "t2_t1": ("T2", "T1"), "t1_pd": ("T1", "PD")}
# the paired targets' spin-echo (TR ms, TE ms): mid-range settings of each contrast, at the session's field
CANONICAL = {"T1": (550.0, 12.0), "T2": (4000.0, 100.0), "PD": (3000.0, 12.0)}


def translation_model_name(source: str, target: str) -> str:
    """The bundle's weights file of one direction: ``model.pt`` for T1 -> T2, else ``model_<src>_<tgt>.pt``."""
    source, target = str(source).lower(), str(target).lower()
    return "model.pt" if (source, target) == ("t1", "t2") else f"model_{source}_{target}.pt"


def _gaussian_mixture_posteriors(values: np.ndarray, num_classes: int = 3, iterations: int = 50) -> np.ndarray:
    """Posteriors ``(N, K)`` of a 1D K-class Gaussian mixture fitted by EM (classes sorted by mean)."""
    x = values.astype(np.float64)
    means = np.percentile(x, np.linspace(15, 85, num_classes))
    stds = np.full(num_classes, x.std() / num_classes)
    weights = np.full(num_classes, 1.0 / num_classes)
    for _ in range(iterations):
        log_p = -0.5 * ((x[:, None] - means) / stds) ** 2 - np.log(stds) + np.log(weights)
        log_p -= log_p.max(axis=1, keepdims=True)
        post = np.exp(log_p)
        post /= post.sum(axis=1, keepdims=True)
        n = post.sum(axis=0) + 1e-9
        means = (post * x[:, None]).sum(axis=0) / n
        stds = np.sqrt((post * (x[:, None] - means) ** 2).sum(axis=0) / n) + 1e-3
        weights = n / n.sum()
    return post[:, np.argsort(means)]


def colin27_tissue_fractions(templates_dir: str | None = None) -> dict[str, np.ndarray]:
    """Colin27 tissue fractions: tissue name -> float32 ``(181, 217, 181)`` map in ``[0, 1]``
    (their sum is 1 inside the head, 0 in the air around it)."""
    import nibabel as nib

    folder = sources.find_colin27(templates_dir)
    t1 = nib.load(os.path.join(folder, "ch2.nii.gz")).get_fdata()
    brain = nib.load(os.path.join(folder, "ch2bet.nii.gz")).get_fdata() > 0
    head = ndimage.binary_fill_holes(ndimage.binary_closing(t1 > 20, iterations=3))
    for z in range(head.shape[2]):  # sinuses and ear canals: fill each axial slice too
        head[:, :, z] = ndimage.binary_fill_holes(head[:, :, z])
    other = head & ~brain
    fractions = {name: np.zeros(t1.shape, np.float32) for name in TISSUES}
    for mask, names in ((brain, ("csf", "grey_matter", "white_matter")), (other, ("bone", "muscle_skin", "fat"))):
        post = _gaussian_mixture_posteriors(t1[mask])
        for k, name in enumerate(names):
            fractions[name][mask] = post[:, k]
    return fractions


def _phantominator_maps(shape=(192, 192), heights=(-0.2, -0.1, 0.0, 0.1, 0.2)):
    """phantominator's MR Shepp-Logan (PD, T1 ms, T2 ms) at several heights: a list of 2D triples."""
    from phantominator import shepp_logan

    pd, t1, t2 = shepp_logan((*shape, len(heights)), MR=True, zlims=(min(heights), max(heights)))
    return [(pd[..., k], 1000.0 * t1[..., k], 1000.0 * t2[..., k]) for k in range(len(heights))]


def _render_maps(pd, t1, t2, acq: Acquisition, bias, blur_sigma, noise, rng):
    """Render directly from parameter maps (the phantom has its own tissue table)."""
    image = np.where(pd > 0, signal(pd, np.maximum(t1, 1.0), np.maximum(t2, 1.0), acq), 0.0) * bias
    image = ndimage.gaussian_filter(image, blur_sigma)
    scale = noise * max(float(np.percentile(image, 99)), 1e-12)
    return np.hypot(image + scale * rng.standard_normal(image.shape), scale * rng.standard_normal(image.shape))


def _session(rng: np.random.Generator, shape) -> dict:
    """One simulated session: the bias field, blur and noise level shared by its contrasts."""
    return {
        "bias": bias_field(shape, rng, amplitude=rng.uniform(0.0, 0.15)),
        "blur_sigma": float(rng.uniform(0.3, 0.8)),
        "noise": float(rng.uniform(0.005, 0.03)),
    }


def build_contrast_data(
    output_dir: str = "data/contrast", renders_per_slice: int = 2, templates_dir: str | None = None, seed: int = 0
) -> str:
    """Write the contrast-translation sample data under ``output_dir``; returns the datalist path.

    Args:
        output_dir: destination folder.
        renders_per_slice: random acquisitions per training slice and contrast.
        templates_dir: folder with mricron-data's Colin27 (see :func:`sources.find_colin27`).
        seed: seed of every random setting (the same seed writes the same files).
    """
    rng = np.random.default_rng(seed)
    writer = SplitWriter(output_dir, parts=("training", "validation", "test", "unseen_source", "training_pairs"))
    fractions = colin27_tissue_fractions(templates_dir)

    def section(cut) -> dict[str, np.ndarray]:
        return {name: frac[cut] for name, frac in fractions.items()}

    def add_training(name: str, frac: dict, contrasts):
        for contrast in contrasts:
            for r in range(renders_per_slice):
                acq = sample_acquisition(contrast, rng)
                s = _session(rng, next(iter(frac.values())).shape)
                img = render(frac, acq, rng, s["bias"], s["blur_sigma"], s["noise"], tissue_jitter=0.05)
                writer.add(
                    "training", f"{name}_{contrast.lower()}_{r}", "MR", img, (1, 1),
                    contrast=contrast, group=name, source="colin27", acquisition=acq.describe(),
                )  # fmt: skip

    def add_pairs(part: str, name: str, frac=None, maps=None, source: str = "colin27"):
        shape = maps[0].shape if maps is not None else next(iter(frac.values())).shape
        s = _session(rng, shape)
        inputs = {c: sample_acquisition(c, rng) for c in ("T1", "T2", "PD")}
        field = inputs["T1"].field_strength
        targets = {c: Acquisition(c, "spin_echo", field, *CANONICAL[c]) for c in ("T1", "T2", "PD")}
        files = {}

        def write(kind: str, acq: Acquisition, noise: float, gen: np.random.Generator, jitter: float = 0.0):
            if maps is not None:
                img = _render_maps(*maps, acq, s["bias"], s["blur_sigma"], noise, gen)
            else:
                img = render(frac, acq, gen, s["bias"], s["blur_sigma"], noise, tissue_jitter=jitter)
            rel = os.path.join(part, f"mr_{name}_{acq.contrast.lower()}{kind}.nii.gz")
            write_slice(os.path.join(output_dir, rel), img, (1, 1))
            files[acq.contrast, kind] = rel

        for kind, acqs, noise in (("", inputs, s["noise"]), ("_target", targets, 0.0)):
            for acq in acqs.values():
                write(kind, acq, noise, rng)
        # a member of the target domain for the same slice and session (a random acquisition of that
        # contrast, noise and tissue jitter as in training): what a perfect unpaired model may output, so
        # its score against the label is the ceiling of unpaired translation. Its own generator, so that
        # every other file stays as it was.
        sample_rng = np.random.default_rng([seed, zlib.crc32(f"{part}/{name}".encode())])
        for contrast in ("T1", "T2", "PD"):
            drawn = sample_acquisition(contrast, sample_rng)
            acq = Acquisition(contrast, drawn.sequence, field, drawn.tr, drawn.te, drawn.flip)
            write("_domain_sample", acq, s["noise"], sample_rng, jitter=0.05)
        for task, (a, b) in TASKS.items():
            writer.split[part].append(
                {
                    "image": files[a, ""],
                    "label": files[b, "_target"],
                    "domain_sample": files[b, "_domain_sample"],
                    "task": task,
                    "group": name,
                    "source": source,
                    "modality": "MR",
                    "acquisition": inputs[a].describe(),
                    "target_acquisition": targets[b].describe(),
                }
            )

    for z in range(30, 118):
        add_training(
            f"colin27_ax{z:03d}", section((slice(None), slice(None), z)), ("T1",) if z % 2 == 0 else ("T2", "PD")
        )
    for y in range(40, 190, 5):
        cut = (slice(None), y, slice(0, 118))
        add_training(f"colin27_cor{y:03d}", section(cut), ("T1",) if y % 10 == 0 else ("T2", "PD"))
    for z in (120, 123):
        add_pairs("validation", f"colin27_ax{z:03d}", section((slice(None), slice(None), z)))
    add_pairs("validation", "colin27_cor105", section((slice(None), 105, slice(126, None))))
    for z in (130, 140, 150):
        add_pairs("test", f"colin27_ax{z:03d}", section((slice(None), slice(None), z)))
    for y in (80, 130):
        add_pairs("test", f"colin27_cor{y:03d}", section((slice(None), y, slice(126, None))))
    for k, maps in enumerate(_phantominator_maps()):
        add_pairs("unseen_source", f"shepp_logan_mr{k}", maps=maps, source="phantominator")
    # paired mode (pix2pix, the supervised upper bound): registered pairs of the training slices only
    for z in range(30, 118, 3):
        add_pairs("training_pairs", f"colin27_ax{z:03d}", section((slice(None), slice(None), z)))
    for y in range(40, 190, 10):
        add_pairs("training_pairs", f"colin27_cor{y:03d}", section((slice(None), y, slice(0, 118))))
    return writer.finish()

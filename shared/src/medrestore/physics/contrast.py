"""MR contrast simulation: tissue relaxation parameters and signal equations.

Images of one anatomy in several contrasts (T1-, T2-, proton-density-weighted) are rendered from
tissue *fractions* (partial volume: a voxel's signal is the fraction-weighted sum of its tissues'
signals) with the spin-echo and spoiled gradient-echo steady-state equations, then degraded like a
real acquisition: a smooth receive-bias field (shared by every contrast of one session), blur and
Rician noise. Times are in milliseconds, proton density relative to water (CSF = 1).

The relaxation times are rounded literature values for adult brain and head tissues at 1.5 T and 3 T
(e.g. Wansapura et al., JMRI 1999; Stanisz et al., MRM 2005; Gold et al., AJR 2004); they are
representative, not a measurement of any scanner. Cortical bone is modelled as almost no signal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = [
    "CONTRASTS",
    "TISSUES",
    "TISSUE_PARAMETERS",
    "Acquisition",
    "bias_field",
    "render",
    "sample_acquisition",
    "signal",
]

TISSUES = ("csf", "grey_matter", "white_matter", "fat", "muscle_skin", "bone")

# tissue: (PD, {field strength T: (T1 ms, T2 ms)})
TISSUE_PARAMETERS: Mapping[str, tuple[float, Mapping[float, tuple[float, float]]]] = {
    "csf": (1.00, {1.5: (4000.0, 2000.0), 3.0: (4200.0, 1800.0)}),
    "grey_matter": (0.80, {1.5: (1100.0, 95.0), 3.0: (1600.0, 85.0)}),
    "white_matter": (0.70, {1.5: (700.0, 80.0), 3.0: (1000.0, 70.0)}),
    "fat": (0.90, {1.5: (260.0, 85.0), 3.0: (380.0, 70.0)}),
    "muscle_skin": (0.75, {1.5: (900.0, 45.0), 3.0: (1400.0, 40.0)}),
    "bone": (0.05, {1.5: (250.0, 5.0), 3.0: (300.0, 5.0)}),
}

# contrast: {sequence: ranges of (TR ms, TE ms, flip degrees)}; spin echo ignores the flip angle
CONTRASTS: Mapping[str, Mapping[str, tuple[tuple[float, float], ...]]] = {
    "T1": {
        "spin_echo": ((400.0, 700.0), (8.0, 20.0), (90.0, 90.0)),
        "gradient_echo": ((8.0, 25.0), (2.0, 5.0), (15.0, 35.0)),
    },
    "T2": {"spin_echo": ((2500.0, 5000.0), (80.0, 120.0), (90.0, 90.0))},
    "PD": {"spin_echo": ((2000.0, 4000.0), (8.0, 20.0), (90.0, 90.0))},
}


@dataclass(frozen=True)
class Acquisition:
    """One simulated acquisition: contrast, sequence, field strength (T), TR / TE (ms), flip (deg)."""

    contrast: str
    sequence: str
    field_strength: float
    tr: float
    te: float
    flip: float = 90.0

    def describe(self) -> dict:
        return {
            "contrast": self.contrast,
            "sequence": self.sequence,
            "field_strength_T": self.field_strength,
            "TR_ms": round(self.tr, 1),
            "TE_ms": round(self.te, 1),
            "flip_deg": round(self.flip, 1),
        }


def signal(pd, t1, t2, acq: Acquisition):
    """Steady-state magnitude of one tissue (arrays broadcast).

    Spin echo: ``PD (1 - exp(-TR/T1)) exp(-TE/T2)``; spoiled gradient echo:
    ``PD sin(a) (1 - E1) / (1 - cos(a) E1) exp(-TE/T2)`` with ``E1 = exp(-TR/T1)`` (T2 stands in for T2*).
    """
    e1 = np.exp(-acq.tr / np.asarray(t1, dtype=np.float64))
    e2 = np.exp(-acq.te / np.asarray(t2, dtype=np.float64))
    if acq.sequence == "spin_echo":
        return pd * (1.0 - e1) * e2
    if acq.sequence == "gradient_echo":
        a = np.deg2rad(acq.flip)
        return pd * np.sin(a) * (1.0 - e1) / (1.0 - np.cos(a) * e1) * e2
    raise ValueError(f"sequence must be 'spin_echo' or 'gradient_echo', got {acq.sequence!r}.")


def sample_acquisition(contrast: str, rng: np.random.Generator) -> Acquisition:
    """A random acquisition of ``contrast`` (``"T1"``, ``"T2"`` or ``"PD"``): sequence, 1.5 or 3 T, TR/TE/flip."""
    if contrast not in CONTRASTS:
        raise ValueError(f"contrast must be one of {sorted(CONTRASTS)}, got {contrast!r}.")
    sequence = str(rng.choice(sorted(CONTRASTS[contrast])))
    (tr, te, flip) = (rng.uniform(*r) for r in CONTRASTS[contrast][sequence])
    return Acquisition(contrast, sequence, float(rng.choice([1.5, 3.0])), float(tr), float(te), float(flip))


def bias_field(shape: tuple[int, int], rng: np.random.Generator, amplitude: float = 0.1) -> np.ndarray:
    """A smooth multiplicative receive-bias field, ``1 + amplitude * p(x, y)`` with ``p`` a random
    second-order polynomial scaled to ``[-1, 1]``; shape ``(H, W)``."""
    y, x = np.meshgrid(np.linspace(-1, 1, shape[0]), np.linspace(-1, 1, shape[1]), indexing="ij")
    terms = np.stack([x, y, x * y, x**2, y**2])
    p = np.tensordot(rng.normal(size=5), terms, axes=1)
    p /= max(np.abs(p).max(), 1e-12)
    return 1.0 + amplitude * p


def render(
    fractions: Mapping[str, np.ndarray],
    acq: Acquisition,
    rng: np.random.Generator,
    bias: np.ndarray | None = None,
    blur_sigma: float = 0.0,
    noise: float = 0.0,
    tissue_jitter: float = 0.0,
) -> np.ndarray:
    """Render one 2D image of ``acq`` from tissue fractions.

    Args:
        fractions: tissue name (of :data:`TISSUES`) -> fraction map ``(H, W)`` in ``[0, 1]``.
        acq: the acquisition.
        rng: random generator (tissue jitter, noise).
        bias: multiplicative bias field ``(H, W)`` or None.
        blur_sigma: Gaussian blur (pixels) standing in for the acquisition's point-spread function.
        noise: Rician noise std relative to the image's 99th percentile (0: noise-free).
        tissue_jitter: relative std of per-image random changes of every tissue's PD, T1 and T2
            (subject-to-subject variation).

    Returns:
        float64 ``(H, W)`` magnitude image, arbitrary units (the maximum tissue signal is about 1).
    """
    image = 0.0
    for name, frac in fractions.items():
        pd, times = TISSUE_PARAMETERS[name]
        t1, t2 = times[acq.field_strength]
        j = 1.0 + tissue_jitter * rng.standard_normal(3) if tissue_jitter else np.ones(3)
        image = image + frac * signal(pd * j[0], t1 * j[1], t2 * j[2], acq)
    image = np.asarray(image, dtype=np.float64)
    if bias is not None:
        image = image * bias
    if blur_sigma > 0:
        image = ndimage.gaussian_filter(image, blur_sigma)
    if noise > 0:
        scale = noise * max(float(np.percentile(image, 99)), 1e-12)
        image = np.hypot(image + scale * rng.standard_normal(image.shape), scale * rng.standard_normal(image.shape))
    return image

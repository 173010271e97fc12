"""The bundles the reliability suite covers, and how to make inputs and training data for each.

Every bundle of the collection gets a :class:`Case` in :data:`CASES`; each test of this folder runs
for every case (or every image-to-image case), so a new bundle is covered by adding its case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from tests.conftest import write_magnitude_dataset, write_tiny_dataset

KSPACE_SHAPE = (64, 64)


def write_image(path: Path, seed: int = 0, shape=(48, 40)) -> Path:
    """A seeded ellipse phantom in scanner-like units (0..1000) as NIfTI (identity affine) or ``.npy``."""
    from medrestore.data import random_ellipse_phantom

    arr = (random_ellipse_phantom(shape, seed=seed) * 1000.0).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".npy"):
        np.save(path, arr)
    else:
        nib.save(nib.Nifti1Image(arr, np.eye(4)), path)
    return path


def write_kspace(path: Path, seed: int = 0) -> Path:
    """Simulated 8-coil k-space of a phantom, 4x Poisson, as ``.npy`` (complex ``(coils, H, W)``), ``.h5``
    (fastMRI layout with mask and maps) or complex NIfTI ``(H, W, coils)``."""
    from medrestore.data import random_ellipse_phantom
    from medrestore.data.mri import write_kspace_h5
    from medrestore.transforms import SimulateKSpaced

    sim = SimulateKSpaced(masks=[("poisson", 4.0)])(
        {"image": random_ellipse_phantom(KSPACE_SHAPE, seed=seed)[None], "seed": seed}
    )
    k = sim["kspace"].numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".npy"):
        np.save(path, k)
    elif path.name.endswith(".h5"):
        write_kspace_h5(str(path), k, sim["mask"].numpy(), sim["coil_maps"].numpy(), None)
    else:
        nib.save(nib.Nifti1Image(np.moveaxis(k, 0, -1).astype(np.complex64), np.eye(4)), path)
    return path


@dataclass(frozen=True)
class Case:
    """One bundle as the reliability suite sees it."""

    name: str
    postfix: str  # outputs are <stem>_<postfix>.nii.gz
    write_input: Callable[[Path, int], Path]  # one valid input file at that path (its suffix picks the format)
    input_suffixes: tuple[str, ...]  # suffixes write_input supports, first the default
    write_training_data: Callable[[Path], Path]  # a tiny training folder with datalist.json
    tiny_net: tuple[str, ...]  # overrides that make the network tiny (seconds-long training)
    data_args: tuple[str, ...]  # overrides every training run on the tiny data needs
    image_to_image: bool  # output has the input's grid (the geometry and intensity-window tests)
    input_key: str = "image"  # the datalist key of an input ("kspace" for reconstruction bundles)


CASES = {
    "dran_denoise": Case(
        "dran_denoise",
        "restored",
        write_image,
        (".nii.gz", ".npy"),
        write_tiny_dataset,
        ("--network_def#channels", "8", "--network_def#num_blocks", "1", "--network_def#layers_per_block", "2"),
        (),
        True,
    ),
    "dae_denoise": Case(
        "dae_denoise",
        "restored",
        write_image,
        (".nii.gz", ".npy"),
        write_tiny_dataset,
        ("--network_def#features", "8"),
        (),
        True,
    ),
    "modl_recon": Case(
        "modl_recon",
        "recon",
        write_kspace,
        (".npy", ".h5", ".nii.gz"),
        write_magnitude_dataset,
        ("--features", "4", "--layers", "3", "--cg_iterations", "3"),
        ("--masks", "[['poisson', 4.0]]"),  # a 24^2 calibration square allows at most 7x on 64 x 64
        False,
        "kspace",
    ),
    "srgan_sr": Case(
        "srgan_sr",
        "restored",
        write_image,
        (".nii.gz", ".npy"),
        write_tiny_dataset,
        ("--features", "8", "--num_blocks", "1"),
        ("--patch_size", "[32, 32]"),
        False,  # the output is twice the input's size
    ),
}
IMAGE_CASES = [name for name, case in CASES.items() if case.image_to_image]


@pytest.fixture(params=sorted(CASES))
def case(request) -> Case:
    return CASES[request.param]


@pytest.fixture(params=IMAGE_CASES)
def image_case(request) -> Case:
    return CASES[request.param]


def results(folder: Path) -> list[str]:
    """Result files under ``folder`` (relative, sorted), hidden temporaries excluded."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.nii.gz") if not p.name.startswith("."))


def last_line(proc) -> str:
    """Last non-empty line of a finished command's stderr (or stdout when stderr is empty)."""
    lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
    return lines[-1] if lines else ""

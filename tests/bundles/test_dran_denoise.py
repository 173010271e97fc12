"""dran_denoise through ``python -m monai.bundle``: the shared denoising-bundle tests
(:mod:`tests.bundles.restoration_suite`) with DRAN's tiny network."""

from __future__ import annotations

import pytest

from medrestore.networks import DRAN
from tests.bundles.restoration_suite import *  # noqa: F403 (the shared bundle tests)
from tests.bundles.restoration_suite import BundleSpec

DRAN_SPEC = BundleSpec(
    name="dran_denoise",
    tiny_net=("--network_def#channels", "8", "--network_def#num_blocks", "1", "--network_def#layers_per_block", "2"),
    tiny_network=lambda: DRAN(channels=8, num_blocks=1, layers_per_block=2, downscale=2),
    other_network=lambda: DRAN(channels=16, num_blocks=2, layers_per_block=1),
    key_metric="val_psnr",
    tracked_params=("channels", "num_blocks", "layers_per_block", "num_kernels", "noise_sigma", "patch_size"),
    verify_shape_args=("--any", "19"),
    image_shape=(37, 53),
    experiment_name="DRAN denoising (CT, MR, X-ray)",
)


@pytest.fixture(scope="module")
def spec() -> BundleSpec:
    return DRAN_SPEC

"""The shipped dran_denoise weights: they load, they actually denoise an image that was never in the training data."""

from __future__ import annotations

import numpy as np
import torch

from medrestore.data import shepp_logan
from medrestore.evaluation import psnr_ssim
from medrestore.packaging import load_bundle_network
from tests.bundles.test_dran_denoise import DRAN_SPEC


def _network():
    return load_bundle_network(str(DRAN_SPEC.bundle))  # strict: same architecture as the config


def test_shipped_weights_denoise_an_unseen_phantom():
    clean = shepp_logan((192, 160)).astype(np.float32)  # never in the training split (random ellipses are)
    net = _network()
    # shipped 0.1.0 measured +5.7, +7.4, +8.9 dB; the floors leave about 1.2 dB for retraining noise
    for sigma, min_gain in ((0.05, 4.5), (0.1, 6.0), (0.15, 7.5)):
        noisy = clean + sigma * np.random.default_rng(0).standard_normal(clean.shape).astype(np.float32)
        with torch.inference_mode():
            restored = net(torch.from_numpy(noisy)[None, None])[0, 0].numpy()
        gain = psnr_ssim(restored, clean)[0] - psnr_ssim(np.clip(noisy, 0, 1), clean)[0]
        assert gain >= min_gain, f"sigma {sigma}: only {gain:.1f} dB better than the noisy input"


def test_blind_to_noise_free_input():
    """sigma = 0 is inside the training range: a clean image must come back nearly unchanged."""
    clean = shepp_logan((128, 128)).astype(np.float32)
    with torch.inference_mode():
        restored = _network()(torch.from_numpy(clean)[None, None])[0, 0].numpy()
    assert psnr_ssim(restored, clean)[0] > 35.0

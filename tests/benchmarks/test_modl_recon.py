import pytest
import torch

from medrestore.benchmarks.modl_recon import BUNDLE, file_architecture
from medrestore.networks import MoDL
from medrestore.packaging import load_bundle_network


@pytest.mark.parametrize(
    "architecture",
    [
        {"features": 8, "batch_norm": False, "bias": False, "lambda_noise_adaptive": False},
        {"features": 16, "batch_norm": True, "bias": True, "lambda_noise_adaptive": True},
    ],
)
def test_file_architecture_rebuilds_the_network_a_weights_file_holds(architecture, tmp_path):
    path = tmp_path / "model.pt"
    torch.save(MoDL(iterations=2, **architecture).state_dict(), path)
    assert file_architecture(str(path)) == architecture
    # the bundle's network built with these overrides loads the file (load_bundle_network is strict)
    net = load_bundle_network(BUNDLE, str(path), file_architecture(str(path)))
    assert net.denoiser.noise[0].out_channels == architecture["features"]

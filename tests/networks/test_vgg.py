"""The optional VGG19 perceptual term, tested with a randomly initialised stand-in weights file
(torchvision's key layout; real weights are the user's own local file, never downloaded)."""

import pytest
import torch

from medrestore.losses import ContentLoss
from medrestore.networks import VGG19Features


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    torch.manual_seed(0)
    layers, channels = [], 3  # torchvision's vgg19 "features", randomly initialised
    for width in (
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        512,
        "M",
    ):
        if width == "M":
            layers.append(torch.nn.MaxPool2d(2))
        else:
            layers += [torch.nn.Conv2d(channels, width, 3, padding=1), torch.nn.ReLU()]
            channels = width
    state = {f"features.{k}": v for k, v in torch.nn.Sequential(*layers).state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(4096, 25088 // 64)  # ignored
    path = tmp_path_factory.mktemp("vgg") / "vgg19_standin.pth"
    torch.save(state, path)
    return path


def test_features_load_the_file_and_stay_frozen(standin):
    vgg = VGG19Features(str(standin), layer="relu2_2").train()
    assert not vgg.training and not any(p.requires_grad for p in vgg.parameters())
    out = vgg(torch.rand(2, 1, 32, 40))
    assert out.shape == (2, 128, 16, 20) and (out >= 0).all()


def test_perceptual_content_loss_is_zero_on_identical_images_and_differentiable(standin):
    loss = ContentLoss(vgg19_weights=str(standin), vgg_layer="relu3_4")
    hr = torch.rand(1, 1, 32, 32)
    assert float(loss(hr, hr)) < 1e-6
    sr = (hr + 0.1 * torch.randn_like(hr)).requires_grad_(True)
    value = loss(sr, hr)
    value.backward()
    assert float(value) > 0 and sr.grad is not None and float(sr.grad.abs().sum()) > 0
    assert float(((loss.vgg(sr) - loss.vgg(hr)) ** 2).mean()) > 0  # the VGG term sees the difference


def test_wrong_or_missing_weights_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        VGG19Features(str(tmp_path / "none.pth"))
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, tmp_path / "partial.pth")
    with pytest.raises(ValueError, match=r"partial.pth lack \d+ of the \d+ tensors"):
        VGG19Features(str(tmp_path / "partial.pth"))

"""Restoration networks."""

from .dae import ConvDenoisingAutoencoder
from .dran import DRAB, DRAN
from .modl import MoDL, ResidualDenoiser
from .srresnet import ResidualBlock, SRResNet
from .varnet import VarNet
from .vgg import VGG19Features

__all__ = [
    "DRAB",
    "DRAN",
    "ConvDenoisingAutoencoder",
    "MoDL",
    "ResidualBlock",
    "ResidualDenoiser",
    "SRResNet",
    "VGG19Features",
    "VarNet",
]

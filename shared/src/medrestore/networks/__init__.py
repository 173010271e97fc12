"""Restoration networks."""

from .dae import ConvDenoisingAutoencoder
from .dran import DRAB, DRAN
from .modl import MoDL, ResidualDenoiser
from .srresnet import ResidualBlock, SRResNet
from .translation import ResnetGenerator, UNetGenerator
from .varnet import VarNet
from .vgg import VGG19Features

__all__ = [
    "DRAB",
    "DRAN",
    "ConvDenoisingAutoencoder",
    "MoDL",
    "ResidualBlock",
    "ResidualDenoiser",
    "ResnetGenerator",
    "SRResNet",
    "UNetGenerator",
    "VGG19Features",
    "VarNet",
]

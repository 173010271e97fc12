"""Training engines (MONAI ``Trainer`` subclasses) the bundles share."""

from .adversarial import ImageToImageAdversarialTrainer
from .translation import CycleGANTrainer, CycleGenerators, DiscriminatorPair, ImagePool, Pix2PixTrainer

__all__ = [
    "CycleGANTrainer",
    "CycleGenerators",
    "DiscriminatorPair",
    "ImagePool",
    "ImageToImageAdversarialTrainer",
    "Pix2PixTrainer",
]

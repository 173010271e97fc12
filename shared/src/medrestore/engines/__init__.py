"""Training engines (MONAI ``Trainer`` subclasses) the bundles share."""

from .adversarial import ImageToImageAdversarialTrainer

__all__ = ["ImageToImageAdversarialTrainer"]

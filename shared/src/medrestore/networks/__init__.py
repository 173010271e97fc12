"""Restoration networks."""

from .dae import ConvDenoisingAutoencoder
from .dran import DRAB, DRAN

__all__ = ["DRAB", "DRAN", "ConvDenoisingAutoencoder"]

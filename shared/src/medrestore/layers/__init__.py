"""Building blocks shared by the restoration networks."""

from .dynamic_conv import DynamicConv2d
from .noise_gate import NoiseGate

__all__ = ["DynamicConv2d", "NoiseGate"]

"""Building blocks shared by the restoration networks."""

from .data_consistency import DataConsistency
from .dynamic_conv import DynamicConv2d
from .noise_gate import NoiseGate
from .noise_level import NoiseLevelMap, haar_mad_sigma

__all__ = ["DataConsistency", "DynamicConv2d", "NoiseGate", "NoiseLevelMap", "haar_mad_sigma"]

"""Ignite handlers the MONAI handler set lacks."""

from .checkpoint import CheckpointLoader
from .comparison import ComparisonPNGSaver
from .resume import ResumableCheckpoint, latest_checkpoint
from .temperature import TemperatureAnnealingHandler

__all__ = [
    "CheckpointLoader",
    "ComparisonPNGSaver",
    "ResumableCheckpoint",
    "TemperatureAnnealingHandler",
    "latest_checkpoint",
]

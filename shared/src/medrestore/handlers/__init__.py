"""Ignite handlers the MONAI handler set lacks."""

from .comparison import ComparisonPNGSaver
from .resume import ResumableCheckpoint, latest_checkpoint
from .temperature import TemperatureAnnealingHandler

__all__ = ["ComparisonPNGSaver", "ResumableCheckpoint", "TemperatureAnnealingHandler", "latest_checkpoint"]

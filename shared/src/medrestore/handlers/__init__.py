"""Ignite handlers the MONAI handler set lacks."""

from .checkpoint import CheckpointLoader
from .comparison import ComparisonPNGSaver
from .grouped_metrics import GroupedMetricsWriter, tag_filenames
from .holdout import HeldOutSelection
from .progress import ProgressHandler
from .resume import AtomicCheckpointSaver, ResumableCheckpoint, latest_checkpoint
from .temperature import TemperatureAnnealingHandler
from .time_budget import TimeBudget

__all__ = [
    "AtomicCheckpointSaver",
    "CheckpointLoader",
    "ComparisonPNGSaver",
    "GroupedMetricsWriter",
    "HeldOutSelection",
    "ProgressHandler",
    "ResumableCheckpoint",
    "TemperatureAnnealingHandler",
    "TimeBudget",
    "latest_checkpoint",
    "tag_filenames",
]

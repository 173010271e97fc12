"""Restoration networks."""

from .dran import DRAB, DRAN

__all__ = ["DRAB", "DRAN"]

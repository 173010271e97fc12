"""Inferers: 2D images directly, 3D volumes slice by slice."""

from .slice import SliceOrImageInferer

__all__ = ["SliceOrImageInferer"]

"""Imaging physics: forward operators of the degradations the bundles invert."""

from .ct import fbp, radon

__all__ = ["fbp", "radon"]

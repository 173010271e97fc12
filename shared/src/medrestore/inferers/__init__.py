"""Inferers: 2D images directly, 3D volumes slice by slice, thick-slice volumes through the plane."""

from .slice import SliceOrImageInferer, dihedral_ensemble, dihedral_outputs
from .through_plane import ThroughPlaneInferer, volume_planes

__all__ = ["SliceOrImageInferer", "dihedral_ensemble", "dihedral_outputs", "ThroughPlaneInferer", "volume_planes"]

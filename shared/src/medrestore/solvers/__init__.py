"""Numerical solvers shared by the reconstruction layers."""

from .cg import conjugate_gradient

__all__ = ["conjugate_gradient"]

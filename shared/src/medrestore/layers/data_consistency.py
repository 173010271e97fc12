"""MoDL data-consistency layer: ``x = (A^H A + lambda I)^{-1} (A^H y + lambda z)``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from medrestore.physics.fft import fft2c, ifft2c
from medrestore.physics.mri import MultiCoilMRI
from medrestore.solvers import conjugate_gradient

__all__ = ["DataConsistency"]


class DataConsistency(nn.Module):
    """Proximal data-consistency step of MoDL (Aggarwal et al., IEEE TMI 2019).

    Solves ``(A^H A + lambda I) x = A^H y + lambda z`` for the denoiser output ``z``. ``lambda`` is
    one trainable scalar kept positive by ``softplus``. Multi-coil data use batched conjugate
    gradient (:func:`medrestore.solvers.conjugate_gradient`, ``max_iter`` iterations, per-sample
    stopping); single-coil Cartesian data use the exact closed form
    ``x = ifft2c((M y + lambda fft2c(z)) / (M + lambda))``. Gradients flow by autograd through
    the CG iterations (or the closed form).

    Args:
        lam: initial ``lambda`` (> 0). Defaults to 0.05 (the published initial value).
        max_iter: CG iterations. Defaults to 10.
        tol: per-sample CG stopping threshold on the squared residual norm. Defaults to 1e-10.
        warm_start: start CG at the denoiser output ``z`` instead of zero (same solution; fewer
            iterations reach it, as ``z`` is already close). Defaults to False (the published solver).

    Shapes:
        ``z``: complex ``(B, H, W)``; ``y``: complex k-space ``(B, C, H, W)``; returns complex ``(B, H, W)``.
    """

    def __init__(self, lam: float = 0.05, max_iter: int = 10, tol: float = 1e-10, warm_start: bool = False) -> None:
        super().__init__()
        if lam <= 0:
            raise ValueError(f"lam must be > 0, got {lam}.")
        self.raw_lam = nn.Parameter(torch.tensor(math.log(math.expm1(lam))))  # softplus^-1
        self.max_iter, self.tol, self.warm_start = max_iter, tol, warm_start

    @property
    def lam(self) -> torch.Tensor:
        return F.softplus(self.raw_lam)

    def forward(
        self,
        z: torch.Tensor,
        y: torch.Tensor,
        physics: MultiCoilMRI,
        lam_offset: torch.Tensor | None = None,
        aty: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``lam_offset``: scalar, or ``(B, 1, 1)`` for one per item, added to the raw (pre-softplus)
        ``lambda`` for this call (a per-iteration or noise-adaptive ``lambda`` in
        :class:`medrestore.networks.MoDL`); None: the layer's own ``lambda``. ``aty``: ``A^H y``
        when the caller has it (an unrolled network computes it once, not once per step)."""
        lam = F.softplus(self.raw_lam if lam_offset is None else self.raw_lam + lam_offset)
        if physics.single_coil:
            mask = physics.mask.expand_as(y)[:, 0]
            return ifft2c((mask * y[:, 0] + lam * fft2c(z)) / (mask + lam))
        rhs = (physics.A_adjoint(y) if aty is None else aty) + lam * z
        x0 = z if self.warm_start else None
        return conjugate_gradient(physics, lam, rhs, x0=x0, max_iter=self.max_iter, tol=self.tol)

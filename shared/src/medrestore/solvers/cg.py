"""Batched conjugate gradient for the regularised normal equations of an MRI forward model."""

from __future__ import annotations

import torch

from medrestore.physics.mri import MultiCoilMRI

__all__ = ["conjugate_gradient"]


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Real part of the per-sample inner product ``<a, b> = sum conj(a) b``, shape ``(B,)``."""
    return (a.conj() * b).real.flatten(1).sum(dim=1)


def conjugate_gradient(
    physics: MultiCoilMRI,
    lam: torch.Tensor,
    b: torch.Tensor,
    x0: torch.Tensor | None = None,
    max_iter: int = 10,
    tol: float = 1e-10,
    eps: float = 1e-30,
) -> torch.Tensor:
    """Solve ``(A^H A + lam I) x = b`` for every sample of a complex batch ``(B, H, W)``.

    ``lam >= 0`` (a scalar tensor, or ``(B, 1, 1)`` for one per sample; ``lam = 0`` gives CG-SENSE).
    Inner products use the real part (exact for this Hermitian operator), denominators are guarded by
    ``eps``, and each sample stops updating once its squared residual falls below ``tol`` (others
    continue), so one easy sample never ends the solve for a hard one. Differentiable by autograd through the iterations (MoDL trains through it);
    TorchScript-compatible.
    """
    x = torch.zeros_like(b) if x0 is None else x0.clone()
    r = b.clone() if x0 is None else b - (physics.A_adjoint_A(x) + lam * x)
    p = r.clone()
    rs_old = _dot(r, r)
    shape = [-1] + [1] * (b.dim() - 1)
    for _ in range(max_iter):
        active = rs_old > tol
        if not bool(active.any()):
            break
        ap = physics.A_adjoint_A(p) + lam * p
        alpha = torch.where(active, rs_old / (_dot(p, ap) + eps), torch.zeros_like(rs_old)).view(shape)
        x = x + alpha * p
        r = r - alpha * ap
        rs_new = _dot(r, r)
        beta = torch.where(active, rs_new / (rs_old + eps), torch.zeros_like(rs_new)).view(shape)
        p = torch.where(active.view(shape), r + beta * p, p)
        rs_old = torch.where(active, rs_new, rs_old)
    return x

"""The one FFT convention of the package: centred, orthonormal 2D FFT over the last two axes.

``fft2c(x) = fftshift(fft2(ifftshift(x), norm="ortho"))``: the DC sample sits at index ``(H // 2, W // 2)``
of k-space and ``||fft2c(x)|| = ||x||`` (Parseval). Complex tensors are ``torch.complex64``/``complex128``
inside ``physics``; networks see two real channels ``(B, 2, H, W)`` (real, imaginary).
"""

from __future__ import annotations

import torch

__all__ = ["channels_to_complex", "complex_to_channels", "fft2c", "ifft2c"]


def fft2c(x: torch.Tensor) -> torch.Tensor:
    """Centred orthonormal 2D FFT of a complex tensor ``(..., H, W)``."""
    x = torch.fft.ifftshift(x, dim=(-2, -1))
    return torch.fft.fftshift(torch.fft.fft2(x, norm="ortho"), dim=(-2, -1))


def ifft2c(k: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`fft2c` (also its adjoint)."""
    k = torch.fft.ifftshift(k, dim=(-2, -1))
    return torch.fft.fftshift(torch.fft.ifft2(k, norm="ortho"), dim=(-2, -1))


def complex_to_channels(x: torch.Tensor) -> torch.Tensor:
    """``(B, H, W)`` complex -> ``(B, 2, H, W)`` real (real, imaginary)."""
    return torch.stack([x.real, x.imag], dim=1)


def channels_to_complex(x: torch.Tensor) -> torch.Tensor:
    """``(B, 2, H, W)`` real -> ``(B, H, W)`` complex."""
    if x.shape[1] != 2:
        raise ValueError(f"expected 2 channels (real, imaginary), got shape {x.shape}.")
    return torch.complex(x[:, 0], x[:, 1])

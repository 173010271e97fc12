"""MoDL: model-based deep learning for MRI reconstruction (Aggarwal, Mani, Jacob, IEEE TMI 2019)."""

from __future__ import annotations

import torch
from torch import nn

from medrestore.layers.data_consistency import DataConsistency
from medrestore.physics.fft import channels_to_complex, complex_to_channels
from medrestore.physics.mri import MultiCoilMRI

__all__ = ["MoDL", "ResidualDenoiser"]


class ResidualDenoiser(nn.Module):
    """The MoDL regulariser ``D(x) = x - N(x)``: ``N`` is ``layers`` 3x3 convolutions (``features``
    channels, ReLU, optional BatchNorm as published) ending in 2 channels, the estimated noise and
    aliasing. ``bias=False`` makes every convolution bias-free, so ``D(0) = 0`` and ``D`` is
    scale-equivariant (``D(a x) = a D(x)`` for ``a > 0``: the same denoiser for every intensity scale;
    Mohan et al., ICLR 2020). Shapes: ``(B, 2, H, W)`` (real, imaginary) -> same."""

    def __init__(self, features: int = 64, layers: int = 5, batch_norm: bool = False, bias: bool = True) -> None:
        super().__init__()
        modules: list[nn.Module] = []
        channels = 2
        for _ in range(layers - 1):
            modules += [nn.Conv2d(channels, features, 3, padding=1, bias=bias and not batch_norm)]
            modules += [nn.BatchNorm2d(features, affine=bias)] if batch_norm else []
            modules += [nn.ReLU(inplace=True)]
            channels = features
        modules.append(nn.Conv2d(channels, 2, 3, padding=1, bias=bias))
        self.noise = nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.noise(x)


class MoDL(nn.Module):
    """``K`` unrolled iterations ``x_{k+1} = DC(D(x_k))`` with one denoiser ``D`` shared across iterations
    and a data-consistency weight ``lambda_k = softplus(r + o_k)``; ``x_0`` is the zero-filled image ``A^H y``.
    ``r`` is :class:`medrestore.layers.DataConsistency`'s raw ``lambda``; the per-iteration offsets ``o_k``
    (``lam_offsets``, ``(K,)``) are zero and frozen unless ``lambda_per_iteration`` (then trained): one
    shared ``lambda`` as published by default. Weights without ``lam_offsets`` (a K = 1 stage, files up to
    0.3.x) load with zero offsets, so a per-iteration stage 2 starts exactly at its shared-``lambda`` init.

    The denoiser output is multiplied by the coil-map support (pixels where ``sum_c |S_c|^2 > 0``):
    there ``A^H A = 0``, so data consistency would return the denoiser's output unchanged, and a
    denoiser's biases would leave a floor in the background. The reconstruction is therefore exactly
    zero wherever the coil maps are zero (no effect with a single coil or full-field-of-view maps).

    Args:
        iterations: ``K`` (1 for the first training stage, then more, initialised from it).
        features, layers, batch_norm, bias: the denoiser (published: 64 features, 5 layers, BatchNorm,
            biases); ``bias=False``: bias-free, ``D(0) = 0`` (:class:`ResidualDenoiser`).
        lam, cg_iterations: :class:`medrestore.layers.DataConsistency`.
        lambda_per_iteration: train one ``lambda`` offset per iteration (the weights then hold them;
            inference needs no flag).

    Forward:
        ``image`` ``(B, 2, H, W)``: zero-filled coil-combined image (real, imaginary channels);
        ``kspace`` ``(B, C, H, W, 2)``: masked k-space (centred orthonormal FFT, real/imag last);
        ``mask`` ``(B, 1, H, W)`` or ``(B, H, W)``: 1 where sampled;
        ``coil_maps`` ``(B, C, H, W, 2)`` or None (single coil).
        Returns the reconstruction ``(B, 2, H, W)``.
    """

    def __init__(
        self,
        iterations: int = 5,
        features: int = 64,
        layers: int = 5,
        batch_norm: bool = False,
        bias: bool = True,
        lam: float = 0.05,
        cg_iterations: int = 10,
        lambda_per_iteration: bool = False,
    ) -> None:
        super().__init__()
        if iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {iterations}.")
        self.iterations = iterations
        self.denoiser = ResidualDenoiser(features, layers, batch_norm, bias)
        self.dc = DataConsistency(lam=lam, max_iter=cg_iterations)
        self.lam_offsets = nn.Parameter(torch.zeros(iterations), requires_grad=lambda_per_iteration)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        key = prefix + "lam_offsets"
        saved = state_dict.get(key)
        # a shared-lambda checkpoint (no offsets, or zero offsets of another K): zero offsets are the same network
        if saved is None or (saved.shape != self.lam_offsets.shape and not saved.any()):
            state_dict[key] = torch.zeros_like(self.lam_offsets)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(
        self, image: torch.Tensor, kspace: torch.Tensor, mask: torch.Tensor, coil_maps: torch.Tensor | None = None
    ) -> torch.Tensor:
        y = torch.view_as_complex(kspace.contiguous())
        maps = None if coil_maps is None else torch.view_as_complex(coil_maps.contiguous())
        physics = MultiCoilMRI(mask if mask.ndim == 4 else mask[:, None], maps)
        x = channels_to_complex(image)
        support = torch.ones_like(x.real) if maps is None else (maps.abs().pow(2).sum(dim=1) > 0).to(x.real.dtype)
        for k in range(self.iterations):
            z = channels_to_complex(self.denoiser(complex_to_channels(x))) * support
            # run with more unrolls than trained (``iterations`` raised after loading): the last offset repeats
            x = self.dc(z, y, physics, self.lam_offsets[min(k, self.lam_offsets.shape[0] - 1)])
        return complex_to_channels(x)

"""MoDL: model-based deep learning for MRI reconstruction (Aggarwal, Mani, Jacob, IEEE TMI 2019)."""

from __future__ import annotations

import torch
from torch import nn

from medrestore.layers.data_consistency import DataConsistency
from medrestore.physics.fft import channels_to_complex, complex_to_channels
from medrestore.physics.mri import MultiCoilMRI, kspace_noise_std

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
        # channels-last activations: oneDNN's 3x3 convolutions take about a third less CPU time per pass
        # (measured at 256 x 256, 32 features: 76 -> 51 ms on one thread); the result equals up to rounding
        noise = self.noise(x.contiguous(memory_format=torch.channels_last))
        return x - noise.contiguous()


class MoDL(nn.Module):
    """``K`` unrolled iterations ``x_{k+1} = DC(D(x_k))`` with one denoiser ``D`` shared across iterations
    and a data-consistency weight ``lambda_k = softplus(r + o_k)``; ``x_0`` is the zero-filled image ``A^H y``.
    ``r`` is :class:`medrestore.layers.DataConsistency`'s raw ``lambda``. By default one shared ``lambda``
    as published (``o_k = 0``: the network has no offsets and its weights files hold none, whatever ``K``).
    With ``lambda_per_iteration`` the offsets ``o_k`` are a trained parameter ``lam_offsets`` ``(K,)``; a
    shared-``lambda`` file loads into it with zero offsets, so such a stage 2 starts exactly at its init.
    (modl_recon 0.3.1 files hold all-zero ``lam_offsets`` in every network: a shared-``lambda`` network
    drops them on loading; non-zero offsets need ``lambda_per_iteration``.)

    With ``lambda_noise_adaptive`` ``lambda`` also follows the noise of each item's k-space:
    ``lambda_k = softplus(r + o_k + s log(clip(sigma / sigma_ref, 0.1, 10)))``, ``sigma`` the
    :func:`medrestore.physics.mri.kspace_noise_std` estimate of the network's (normalised) k-space input,
    ``sigma_ref = 0.01`` and the slope ``s`` a trained parameter ``lam_noise_slope`` starting at 2 (the
    MAP relation ``lambda ~ sigma^2``). Measured with the shared-``lambda`` fast weights (modl_recon 0.4.0,
    validation slices, 8 coils): the best ``lambda`` moved from below 1/8 of the trained one at noise std
    0.002 to above 4x at 0.02 (PSNR +1.5 to +2.4 dB at those ends), with the
    mask setting and the coil count it moved far less.

    The denoiser output is multiplied by the coil-map support (pixels where ``sum_c |S_c|^2 > 0``):
    there ``A^H A = 0``, so data consistency would return the denoiser's output unchanged, and a
    denoiser's biases would leave a floor in the background. The reconstruction is therefore exactly
    zero wherever the coil maps are zero (no effect with a single coil or full-field-of-view maps).

    Args:
        iterations: ``K`` (1 for the first training stage, then more, initialised from it).
        features, layers, batch_norm, bias: the denoiser (published: 64 features, 5 layers, BatchNorm,
            biases); ``bias=False``: bias-free, ``D(0) = 0`` (:class:`ResidualDenoiser`).
        lam, cg_iterations: :class:`medrestore.layers.DataConsistency`.
        cg_warm_start: each data-consistency solve starts at the denoiser output instead of zero
            (``DataConsistency(warm_start=True)``): 5 warm iterations come within 0.5 dB of 10 cold ones
            with weights trained cold, so the network can be trained with fewer (modl_recon 0.4.0).
        lambda_per_iteration: train one ``lambda`` offset per iteration (the weights then hold them).
        lambda_noise_adaptive: ``lambda`` scaled with the estimated k-space noise (the weights then hold
            ``lam_noise_slope``; a file without it loads with the initial slope 2).

    Forward:
        ``image`` ``(B, 2, H, W)``: zero-filled coil-combined image (real, imaginary channels);
        ``kspace`` ``(B, C, H, W, 2)``: masked k-space (centred orthonormal FFT, real/imag last);
        ``mask`` ``(B, 1, H, W)`` or ``(B, H, W)``: 1 where sampled;
        ``coil_maps`` ``(B, C, H, W, 2)`` or None (single coil).
        Returns the reconstruction ``(B, 2, H, W)``.
    """

    NOISE_REFERENCE = 0.01  # sigma_ref, in the units of the normalised k-space (99.5th percentile of |A^H y| = 1)
    NOISE_SLOPE_INIT = 2.0

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
        cg_warm_start: bool = False,
        lambda_noise_adaptive: bool = False,
    ) -> None:
        super().__init__()
        if iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {iterations}.")
        self.iterations = iterations
        self.denoiser = ResidualDenoiser(features, layers, batch_norm, bias)
        self.dc = DataConsistency(lam=lam, max_iter=cg_iterations, warm_start=cg_warm_start)
        self.register_parameter("lam_offsets", nn.Parameter(torch.zeros(iterations)) if lambda_per_iteration else None)
        slope = nn.Parameter(torch.tensor(self.NOISE_SLOPE_INIT)) if lambda_noise_adaptive else None
        self.register_parameter("lam_noise_slope", slope)
        self.noise_reference = self.NOISE_REFERENCE  # an instance attribute: TorchScript reads no class constants

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        key = prefix + "lam_offsets"
        saved = state_dict.get(key)
        zero = saved is not None and not saved.any()
        if self.lam_offsets is None and zero:
            del state_dict[key]  # a 0.3.1 file's zero offsets: the shared-lambda network itself
        elif self.lam_offsets is None and saved is not None:
            raise RuntimeError(
                f"The weights hold per-iteration lambda offsets ({key} = {saved.tolist()}): build the network "
                "with lambda_per_iteration=True (--lambda_per_iteration true) to load them."
            )
        elif self.lam_offsets is not None and (saved is None or (zero and saved.shape != self.lam_offsets.shape)):
            state_dict[key] = torch.zeros_like(self.lam_offsets)  # per-iteration offsets start at the shared lambda
        key = prefix + "lam_noise_slope"
        if self.lam_noise_slope is None and key in state_dict:
            raise RuntimeError(
                f"The weights hold a noise-adaptive lambda ({key}): build the network with "
                "lambda_noise_adaptive=True (--lambda_noise_adaptive true) to load them."
            )
        if self.lam_noise_slope is not None and key not in state_dict:
            state_dict[key] = torch.full_like(self.lam_noise_slope, self.NOISE_SLOPE_INIT)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(
        self, image: torch.Tensor, kspace: torch.Tensor, mask: torch.Tensor, coil_maps: torch.Tensor | None = None
    ) -> torch.Tensor:
        y = torch.view_as_complex(kspace.contiguous())
        maps = None if coil_maps is None else torch.view_as_complex(coil_maps.contiguous())
        physics = MultiCoilMRI(mask if mask.ndim == 4 else mask[:, None], maps)
        x = channels_to_complex(image)
        support = torch.ones_like(x.real) if maps is None else (maps.abs().pow(2).sum(dim=1) > 0).to(x.real.dtype)
        offsets = self.lam_offsets
        slope = self.lam_noise_slope
        noise_offset: torch.Tensor | None = None
        if slope is not None:  # (B, 1, 1): one lambda per item
            ratio = kspace_noise_std(y, physics.mask) / self.noise_reference
            noise_offset = (slope * torch.log(ratio.clamp(0.1, 10.0)))[:, None, None]
        aty = None if maps is None else physics.A_adjoint(y)  # the same for every data-consistency step
        for k in range(self.iterations):
            z = channels_to_complex(self.denoiser(complex_to_channels(x))) * support
            offset = noise_offset
            if offsets is not None:  # more unrolls than trained offsets (``iterations`` raised): the last repeats
                step = offsets[min(k, offsets.shape[0] - 1)]
                offset = step if offset is None else offset + step
            x = self.dc(z, y, physics, offset, aty=aty)
        return complex_to_channels(x)

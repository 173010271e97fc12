"""MONAI's end-to-end variational network with the interface of :class:`medrestore.networks.MoDL`.

Used as the learned peer in the MoDL benchmark: same inputs, same data pipeline, same configs.
"""

from __future__ import annotations

import torch
from monai.apps.reconstruction.networks.nets.coil_sensitivity_model import CoilSensitivityModel
from monai.apps.reconstruction.networks.nets.complex_unet import ComplexUnet
from monai.apps.reconstruction.networks.nets.utils import (
    complex_normalize,
    reshape_channel_complex_to_last_dim,
    reshape_complex_to_channel_dim,
)
from monai.apps.reconstruction.networks.nets.varnet import VariationalNetworkModel
from monai.networks.blocks.fft_utils_t import ifftn_centered_t
from torch import nn

__all__ = ["VarNet"]


class _Refinement(nn.Module):
    """MONAI's ``ComplexUnet`` without the mean it adds back: its output is ``U(normalised x) * std``,
    zero when the U-Net's last convolution is zero. Shapes: ``(B, C, H, W, 2)`` -> same."""

    def __init__(self, features) -> None:
        super().__init__()
        self.unet = ComplexUnet(spatial_dims=2, features=tuple(features))
        nn.init.zeros_(self.unet.unet.final_conv.weight)
        nn.init.zeros_(self.unet.unet.final_conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, mean, _ = complex_normalize(reshape_complex_to_channel_dim(x))
        return self.unet(x) - reshape_channel_complex_to_last_dim(mean.expand(-1, -1, *x.shape[2:-1]))


class VarNet(VariationalNetworkModel):
    """``monai.apps.reconstruction.networks.nets.VariationalNetworkModel`` (Sriram et al., MICCAI 2020)
    taking MoDL's inputs. MONAI's FFT convention (centred, orthonormal) is the package's, so k-space
    is passed unchanged. When ``coil_maps`` are given they replace the learned sensitivity model (which
    expects a 1D Cartesian mask). The output is the SENSE combination ``S^H F^-1 k`` of the final k-space
    with the same maps, the quantity MoDL reconstructs and the reference of the simulation (a
    root-sum-of-squares output would differ from it even on fully sampled data). Each cascade's last
    refinement convolution starts at zero, so the untrained network returns the zero-filled image.

    Args:
        num_cascades: unrolled cascades (published: 12).
        features: ``ComplexUnet`` features (published: (18, 36, 72, 144, 288, 18)).

    Forward: as :class:`medrestore.networks.MoDL`; returns the complex image ``(B, 2, H, W)`` (real, imaginary).
    """

    def __init__(self, num_cascades: int = 5, features=(8, 16, 32, 64, 128, 8)) -> None:
        super().__init__(
            coil_sensitivity_model=CoilSensitivityModel(spatial_dims=2, features=tuple(features)),
            refinement_model=_Refinement(features),
            num_cascades=num_cascades,
            spatial_dims=2,
        )

    def forward(  # type: ignore[override]
        self, image: torch.Tensor, kspace: torch.Tensor, mask: torch.Tensor, coil_maps: torch.Tensor | None = None
    ) -> torch.Tensor:
        mask5 = (mask if mask.ndim == 4 else mask[:, None])[..., None] > 0
        maps = self.coil_sensitivity_model(kspace, mask5) if coil_maps is None else coil_maps
        kspace_pred = kspace.clone()
        for cascade in self.cascades:
            kspace_pred = cascade(kspace_pred, kspace, mask5, maps)
        coils = torch.view_as_complex(ifftn_centered_t(kspace_pred, spatial_dims=2).contiguous())
        combined = (torch.view_as_complex(maps.contiguous()).conj() * coils).sum(dim=1)
        return torch.stack([combined.real, combined.imag], dim=1)

"""MONAI's end-to-end variational network with the interface of :class:`medrestore.networks.MoDL`.

Used as the learned peer in the MoDL benchmark: same inputs, same data pipeline, same configs.
"""

from __future__ import annotations

import torch
from monai.apps.reconstruction.complex_utils import complex_abs_t
from monai.apps.reconstruction.mri_utils import root_sum_of_squares_t
from monai.apps.reconstruction.networks.nets.coil_sensitivity_model import CoilSensitivityModel
from monai.apps.reconstruction.networks.nets.complex_unet import ComplexUnet
from monai.apps.reconstruction.networks.nets.varnet import VariationalNetworkModel
from monai.networks.blocks.fft_utils_t import ifftn_centered_t

__all__ = ["VarNet"]


class VarNet(VariationalNetworkModel):
    """``monai.apps.reconstruction.networks.nets.VariationalNetworkModel`` (Sriram et al., MICCAI 2020)
    taking MoDL's inputs. MONAI's FFT convention (centred, orthonormal) is the package's, so k-space
    is passed unchanged. When ``coil_maps`` are given they replace the learned sensitivity model (which
    expects a 1D Cartesian mask); the output is the root-sum-of-squares magnitude.

    Args:
        num_cascades: unrolled cascades (published: 12).
        features: ``ComplexUnet`` features (published: (18, 36, 72, 144, 288, 18)).

    Forward: as :class:`medrestore.networks.MoDL`; returns ``(B, 2, H, W)`` = (magnitude, 0), to be
    compared on the magnitude (``medrestore.losses.MagnitudeMSELoss``).
    """

    def __init__(self, num_cascades: int = 5, features=(8, 16, 32, 64, 128, 8)) -> None:
        super().__init__(
            coil_sensitivity_model=CoilSensitivityModel(spatial_dims=2, features=tuple(features)),
            refinement_model=ComplexUnet(spatial_dims=2, features=tuple(features)),
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
        magnitude = root_sum_of_squares_t(complex_abs_t(ifftn_centered_t(kspace_pred, spatial_dims=2)), spatial_dim=1)
        return torch.stack([magnitude, torch.zeros_like(magnitude)], dim=1)

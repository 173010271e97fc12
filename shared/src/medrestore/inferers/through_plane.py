"""Through-plane super-resolution of a thick-slice volume with a 2D network (the SMORE idea)."""

from __future__ import annotations

import torch
from monai.data import MetaTensor
from monai.inferers import Inferer
from monai.utils import optional_import

from medrestore.physics.resolution import upsample_axis

tqdm, has_tqdm = optional_import("tqdm", name="tqdm")

__all__ = ["ThroughPlaneInferer", "volume_planes"]


def volume_planes(volume: torch.Tensor, slice_axis: int, min_std: float = 1e-3) -> list[dict]:
    """The high-resolution in-plane images of a thick-slice volume as training items ``{"label": (C, A, B)}``:
    every plane perpendicular to ``slice_axis`` (spatial axis 0-2 of a ``(C, X, Y, Z)`` volume), nearly
    constant planes (intensity std below ``min_std``: background) left out."""
    planes = torch.as_tensor(volume).float().movedim(1 + int(slice_axis), 0)  # (n, C, A, B)
    return [{"label": p.clone()} for p in planes if float(p.std()) >= min_std]


class ThroughPlaneInferer(Inferer):
    """Super-resolve a ``(B, C, X, Y, Z)`` volume ``scale`` times along ``slice_axis`` (spatial axis 0-2).

    The volume is interpolated along the slice axis (bicubic, the pixel centres of
    :func:`medrestore.physics.resolution.slice_profile_downsample`); then, for each of the two other
    axes, every plane perpendicular to it (it contains the slice direction) goes through the network
    with the slice direction as rows (axis -2, as in :class:`medrestore.transforms.ThickSliceDegraded`
    training), ``sw_batch_size`` planes per pass; the two orientations are averaged.
    Output: ``(B, C, ...)`` with ``scale`` times the input's size along ``slice_axis``.
    """

    def __init__(self, scale: int, slice_axis: int, sw_batch_size: int = 8, progress: bool = True) -> None:
        super().__init__()
        self.scale, self.slice_axis = int(scale), int(slice_axis)
        self.sw_batch_size, self.progress = int(sw_batch_size), bool(progress)

    def __call__(self, inputs: torch.Tensor, network, *args, **kwargs) -> torch.Tensor:
        if inputs.ndim != 5:
            raise ValueError(
                f"through-plane super-resolution needs a (B, C, X, Y, Z) volume, got {tuple(inputs.shape)}."
            )
        source = inputs
        inputs = inputs.as_tensor() if isinstance(inputs, MetaTensor) else inputs  # planes carry no metadata
        s_axis = 2 + self.slice_axis
        others = [2 + a for a in range(3) if a != self.slice_axis]
        result = None
        for across in others:
            other = next(a for a in others if a != across)
            order = [0, across, 1, s_axis, other]  # (B, P, C, S, Q): planes of (S, Q), slice direction as rows
            v = inputs.permute(*order)
            b, n, c, rows, cols = v.shape
            planes = upsample_axis(v.reshape(b * n, c, rows, cols), self.scale, axis=-2)
            starts = range(0, planes.shape[0], self.sw_batch_size)
            if self.progress and has_tqdm:
                starts = tqdm(starts, desc=f"planes across axis {across - 2}")
            out = torch.cat([network(planes[i : i + self.sw_batch_size], *args, **kwargs) for i in starts])
            out = out.reshape(b, n, c, rows * self.scale, cols).permute(*torch.argsort(torch.tensor(order)).tolist())
            result = out if result is None else result + out
        result = result / len(others)
        if isinstance(source, MetaTensor):  # the input's metadata and transforms, for Invertd
            result = MetaTensor(result)
            result.copy_meta_from(source)
        return result

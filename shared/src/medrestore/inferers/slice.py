"""Run a 2D network on 2D images and, slice by slice, on 3D volumes; whole or by sliding windows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from monai.inferers import SliceInferer, SlidingWindowInferer

__all__ = ["SliceOrImageInferer", "dihedral_ensemble", "dihedral_outputs"]


def dihedral_outputs(network, inputs: torch.Tensor, *args: Any, **kwargs: Any) -> Iterator[torch.Tensor]:
    """``network`` over the 8 rotations and flips of a ``(B, C, H, W)`` batch, each output mapped back
    to the input's orientation (one at a time, so that only one extra output is held)."""
    for k in range(4):
        for flip in (False, True):
            x = torch.rot90(inputs, k, (-2, -1))
            y = network(x.flip(-1) if flip else x, *args, **kwargs)
            yield torch.rot90(y.flip(-1) if flip else y, -k, (-2, -1))


def dihedral_ensemble(network, inputs: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Geometric self-ensemble: the mean of :func:`dihedral_outputs`. For networks whose output keeps
    the input's orientation (denoisers, super-resolution); costs 8 forward passes."""
    total = None
    for y in dihedral_outputs(network, inputs, *args, **kwargs):
        total = y if total is None else total + y
    return total / 8


class SliceOrImageInferer(SliceInferer):
    """``monai.inferers.SliceInferer`` that also accepts 2D batches.

    ``(B, C, H, W)`` goes through the network whole (``roi_size=(-1, -1)``, the default) or by
    overlapping ``roi_size`` windows blended with ``mode`` weights (MONAI's sliding window,
    e.g. ``roi_size=(64, 64), overlap=0.5, mode="gaussian"`` for a network trained on 64 x 64
    images); ``(B, C, H, W, D)`` is restored slice by slice along ``spatial_dim`` (default 2: axial
    for RAS NIfTI) with the same 2D windows, ``sw_batch_size`` windows per forward pass, with a
    progress bar over the slices. Other keyword arguments (``overlap``, ``mode``, ``padding_mode``...) go to ``SlidingWindowInferer``.

    With ``passthrough_range=(low, high)`` (image-to-image networks of the same output size), input
    voxels outside that range, i.e. outside the intensity window the network restores, are copied to
    the output unchanged instead of being clamped to the window's edges; without it, the count of
    voxels outside ``[0, 1]`` is reported. Off by default in the bundles: noise pushes many voxels of a
    noisy image just past the window's edges, and copying those leaves them noisy.

    ``self_ensemble=True`` averages every 2D forward pass over the 8 rotations and flips
    (:func:`dihedral_ensemble`, 8 times the cost).
    """

    def __init__(
        self,
        spatial_dim: int = 2,
        roi_size=(-1, -1),
        sw_batch_size: int = 8,
        passthrough_range: Sequence[float] | None = None,
        self_ensemble: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(spatial_dim=spatial_dim, roi_size=roi_size, sw_batch_size=sw_batch_size, **kwargs)
        self.passthrough_range = None if passthrough_range is None else tuple(float(v) for v in passthrough_range)
        self.self_ensemble = bool(self_ensemble)

    def __call__(self, inputs: torch.Tensor, network, *args: Any, **kwargs: Any):
        if self.self_ensemble:
            plain = network
            network = lambda x, *a, **k: dihedral_ensemble(plain, x, *a, **k)  # noqa: E731
        out = self._restore(inputs, network, *args, **kwargs)
        if self.passthrough_range is None:
            if out.shape == inputs.shape:
                count = int(((inputs < 0) | (inputs > 1)).sum())
                if count:
                    print(
                        f"{count} of {inputs.numel()} voxels lie outside the intensity window; restored values are "
                        "clamped to it (--passthrough_out_of_window true copies them unrestored)",
                        flush=True,
                    )
            return out
        low, high = self.passthrough_range
        outside = (inputs < low) | (inputs > high)
        count = int(outside.sum())
        if count:
            print(
                f"{count} of {outside.numel()} voxels lie outside the intensity window: passed through unrestored",
                flush=True,
            )
        return torch.where(outside, inputs.to(out.dtype), out)

    def _restore(self, inputs: torch.Tensor, network, *args: Any, **kwargs: Any):
        if inputs.ndim == 4:
            if all(int(s) <= 0 for s in self.orig_roi_size):
                return network(inputs, *args, **kwargs)
            self.roi_size = self.orig_roi_size  # a 3D call leaves a 3D roi behind
            self.progress = False
            return SlidingWindowInferer.__call__(self, inputs, network, *args, **kwargs)
        self.progress = True  # a volume: a progress bar over its slices (batches of sw_batch_size)
        return super().__call__(inputs, network, *args, **kwargs)

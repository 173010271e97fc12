"""An uncertainty view for the PNGs next to each output (the clinical risk of learned SR is detail the
input does not determine)."""

from __future__ import annotations

import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform

from medrestore.evaluation import dihedral_spread

__all__ = ["DihedralSpreadd"]


class DihedralSpreadd(MapTransform):
    """Store ``gain`` x the spread of ``network``'s outputs over the 8 flips and 90-degree rotations of
    ``data[key]`` (:func:`medrestore.evaluation.dihedral_spread`) under ``output_key``: detail that
    changes with the orientation of the input is detail the input does not determine.

    ``data[key]`` is a 2D channel-first image ``(C, h, w)``; the result has the network's output shape
    ``(C, H, W)``. Costs 8 forward passes, without gradients, on the network's device, in eval mode.
    """

    def __init__(
        self, keys: KeysCollection, network: torch.nn.Module, output_key: str = "spread", gain: float = 32.0
    ) -> None:
        super().__init__(keys)
        self.network, self.output_key, self.gain = network, output_key, float(gain)

    def __call__(self, data):
        d = dict(data)
        image = torch.as_tensor(d[self.first_key(d)])
        if image.ndim != 3:
            raise ValueError(f"DihedralSpreadd expects a 2D image (C, H, W), got shape {tuple(image.shape)}.")
        device = next(self.network.parameters()).device
        was_training = self.network.training
        self.network.eval()
        spread = dihedral_spread(self.network, image[None].float().to(device))[0]
        self.network.train(was_training)
        d[self.output_key] = (self.gain * spread).to(image.device)
        return d

"""Write a PNG of degraded input | restored | ground truth | error maps after each evaluation."""

from __future__ import annotations

import numpy as np
import torch
from ignite.engine import Engine, Events

from medrestore.evaluation import dihedral_spread
from medrestore.visualize import center_crop, comparison_grid, save_png

__all__ = ["ComparisonPNGSaver"]


def _nearest_to(image, like):
    """Show a smaller input (super-resolution's low-resolution image) at ``like``'s size: nearest
    neighbour by the integer ratio of the last two axes, cropped to ``like``."""
    image, like = torch.as_tensor(image), torch.as_tensor(like)
    if image.shape[-2:] == like.shape[-2:] or image.ndim != like.ndim:
        return image
    fh, fw = -(-like.shape[-2] // image.shape[-2]), -(-like.shape[-1] // image.shape[-1])
    up = image.repeat_interleave(fh, dim=-2).repeat_interleave(fw, dim=-1)
    return up[..., : like.shape[-2], : like.shape[-1]]


class ComparisonPNGSaver:
    """Collect the first ``num_samples`` items of an evaluation and write one comparison PNG.

    Reads ``engine.state.output`` (a list of dicts after decollation, or a batch dict) keys
    ``image`` (degraded; a smaller low-resolution input is shown enlarged by nearest neighbour), ``pred`` and ``label``; writes ``filename`` at ``COMPLETED`` (each
    evaluation overwrites it), centre-cropping 2D images (or the middle slice of 3D ones) to ``crop``.

    Args:
        filename: output PNG path.
        num_samples: items shown, one row each. Defaults to 4.
        crop: side of the square crop shown. Defaults to 128.
        names: column titles of (image, pred, label). Defaults to ("noisy", "restored", "clean").
        uncertainty_network: when given, a column ``spread x<gain>`` shows ``uncertainty_gain`` x the
            spread of this network's outputs over the 8 flips and rotations of each shown input
            (:func:`medrestore.evaluation.dihedral_spread`; detail that changes with the orientation of the
            input is detail the input does not determine), without an error map. Computed for the shown
            rows only: 8 forward passes each, no gradients, in eval mode.
        uncertainty_gain: amplification of the spread map. Defaults to 32.
    """

    def __init__(
        self,
        filename: str,
        num_samples: int = 4,
        crop: int = 128,
        names=("noisy", "restored", "clean"),
        uncertainty_network: torch.nn.Module | None = None,
        uncertainty_gain: float = 32.0,
    ) -> None:
        self.filename, self.num_samples, self.crop = filename, num_samples, crop
        self.names = tuple(names)
        self.network, self.gain = uncertainty_network, float(uncertainty_gain)
        self.spread_name = f"spread x{self.gain:g}"
        self.rows: list[dict[str, np.ndarray]] = []

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.STARTED, lambda _: self.rows.clear())
        engine.add_event_handler(Events.ITERATION_COMPLETED, self.collect)
        engine.add_event_handler(Events.COMPLETED, self.write)

    def _plane(self, x) -> np.ndarray:
        arr = np.squeeze(torch.as_tensor(x).detach().float().cpu().numpy())
        if arr.ndim == 3:  # (H, W, D) volume: middle slice
            arr = arr[..., arr.shape[-1] // 2]
        return center_crop(arr, self.crop)

    def collect(self, engine: Engine) -> None:
        output = engine.state.output
        items = output if isinstance(output, list) else [output]
        for item in items:
            if len(self.rows) >= self.num_samples:
                return
            if all(k in item for k in ("image", "pred", "label")):
                image = _nearest_to(item["image"], item["pred"])
                planes = (self._plane(image), self._plane(item["pred"]), self._plane(item["label"]))
                row = dict(zip(self.names, planes))
                if self.network is not None:
                    row[self.spread_name] = self._plane(self._spread(torch.as_tensor(item["image"])))
                self.rows.append(row)

    def _spread(self, image: torch.Tensor) -> torch.Tensor:
        """``gain`` x the dihedral spread of the network on one ``(C, h, w)`` input."""
        was_training = self.network.training
        self.network.eval()
        device = next(self.network.parameters()).device
        spread = dihedral_spread(self.network, image[None].float().to(device))[0]
        self.network.train(was_training)
        return self.gain * spread

    def write(self, engine: Engine) -> None:
        if self.rows:
            no_error = (self.spread_name,) if self.network is not None else ()
            grid = comparison_grid(self.rows, reference=self.names[2], no_error=no_error)
            save_png(self.filename, grid)

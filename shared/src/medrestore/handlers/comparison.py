"""Write a PNG of degraded input | restored | ground truth | error maps after each evaluation."""

from __future__ import annotations

import numpy as np
import torch
from ignite.engine import Engine, Events

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
        extra: ``{column title: output key}`` of further maps shown as they are, without an error map
            (e.g. an uncertainty map from :class:`medrestore.transforms.DihedralSpreadd`).
    """

    def __init__(
        self,
        filename: str,
        num_samples: int = 4,
        crop: int = 128,
        names=("noisy", "restored", "clean"),
        extra: dict[str, str] | None = None,
    ) -> None:
        self.filename, self.num_samples, self.crop = filename, num_samples, crop
        self.names = tuple(names)
        self.extra = dict(extra or {})
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
            if all(k in item for k in ("image", "pred", "label", *self.extra.values())):
                image = _nearest_to(item["image"], item["pred"])
                planes = (self._plane(image), self._plane(item["pred"]), self._plane(item["label"]))
                row = dict(zip(self.names, planes))
                row.update({title: self._plane(item[key]) for title, key in self.extra.items()})
                self.rows.append(row)

    def write(self, engine: Engine) -> None:
        if self.rows:
            grid = comparison_grid(self.rows, reference=self.names[2], no_error=tuple(self.extra))
            save_png(self.filename, grid)

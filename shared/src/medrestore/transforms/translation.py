"""Transforms of the translation bundle: back-translation (cycle) and the unpaired structure report."""

from __future__ import annotations

import logging

import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform

from medrestore.metrics import structure_report

__all__ = ["ApplyNetworkd", "StructureReportd"]

logger = logging.getLogger(__name__)


def _slices(image: torch.Tensor, spatial_dim: int = 2) -> torch.Tensor:
    """``(C, H, W)`` -> ``(1, C, H, W)``; a volume ``(C, X, Y, Z)`` -> ``(N, C, ., .)``: its slices along
    spatial axis ``spatial_dim`` (2: the last) as a batch."""
    if image.ndim == 3:
        return image[None]
    return image.movedim(1 + spatial_dim, 0)


def _unslice(batch: torch.Tensor, ndim: int, spatial_dim: int = 2) -> torch.Tensor:
    return batch[0] if ndim == 3 else batch.movedim(0, 1 + spatial_dim)


class ApplyNetworkd(MapTransform):
    """Run ``network`` (2D, ``(B, C, H, W)``) on ``data[key]`` slice by slice and store the result under
    ``output_key`` (e.g. the reverse generator on a translated image: the cycle reconstruction).
    Channel-first ``(C, H, W)`` or ``(C, X, Y, Z)`` (slices along spatial axis ``spatial_dim``); no
    gradients; the network's device."""

    def __init__(
        self,
        keys: KeysCollection,
        network: torch.nn.Module,
        output_key: str = "cycle",
        batch_size: int = 8,
        spatial_dim: int = 2,
    ) -> None:
        super().__init__(keys)
        self.network, self.output_key, self.batch_size = network, output_key, batch_size
        self.spatial_dim = int(spatial_dim)

    def __call__(self, data):
        d = dict(data)
        key = self.first_key(d)
        image = torch.as_tensor(d[key])
        device = next(self.network.parameters()).device
        was_training = self.network.training
        self.network.eval()
        with torch.no_grad():
            batch = _slices(image, self.spatial_dim).float()
            out = torch.cat([self.network(b.to(device)).cpu() for b in batch.split(self.batch_size)])
        self.network.train(was_training)
        d[self.output_key] = _unslice(out, image.ndim, self.spatial_dim).to(image.device)
        return d


class StructureReportd(MapTransform):
    """Structure-preservation metrics of a translated image against its own input (no paired truth
    needed): mutual information, gradient NCC, MIND distance, foreground Dice and, when ``cycle_key``
    is present, the cycle error (see :func:`medrestore.metrics.structure_report`); for volumes the
    mean over slices and the slice-to-slice consistency, ``mean |out[k+1] - out[k]| / mean |in[k+1] - in[k]|``
    (about 1 when the output varies between slices as much as the input). Logs one line per image
    and stores the dict under ``report_key``. Images ``(1, H, W)`` or ``(1, X, Y, Z)`` in ``[0, 1]``."""

    def __init__(
        self,
        keys: KeysCollection,
        source_key: str = "image",
        cycle_key: str = "cycle",
        report_key: str = "structure",
        spatial_dim: int = 2,
    ) -> None:
        super().__init__(keys)
        self.source_key, self.cycle_key, self.report_key = source_key, cycle_key, report_key
        self.spatial_dim = int(spatial_dim)

    def __call__(self, data):
        d = dict(data)
        out = torch.as_tensor(d[self.first_key(d)]).detach().cpu().float()
        src = torch.as_tensor(d[self.source_key]).detach().cpu().float()
        cyc = torch.as_tensor(d[self.cycle_key]).detach().cpu().float() if self.cycle_key in d else None
        outs, srcs = _slices(out, self.spatial_dim)[:, 0], _slices(src, self.spatial_dim)[:, 0]
        cycs = _slices(cyc, self.spatial_dim)[:, 0] if cyc is not None else [None] * len(outs)
        reports = [structure_report(o, s, c) for o, s, c in zip(outs, srcs, cycs)]
        report = {k: sum(r[k] for r in reports) / len(reports) for k in reports[0]}
        if len(outs) > 1:
            step_out = (outs[1:] - outs[:-1]).abs().mean()
            step_in = (srcs[1:] - srcs[:-1]).abs().mean().clamp_min(1e-12)
            report["slice_consistency"] = float(step_out / step_in)
        d[self.report_key] = report
        name = getattr(d[self.source_key], "meta", {}).get("filename_or_obj", "image")
        logger.info("structure %s: %s", name, ", ".join(f"{k} {v:.3f}" for k, v in report.items()))
        return d

"""Summarise per-image metric reports by a group named in each row (e.g. the degradation)."""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from ignite.engine import Engine, Events

from medrestore.io import atomic_path

__all__ = ["GroupedMetricsWriter", "tag_filenames"]


def tag_filenames(batch, key: str = "image", group_key: str = "degradation", separator: str = "#") -> list[dict]:
    """``MetricsSaver(batch_transform=...)``: each item's file name tagged ``<file>#<group>`` so that the
    raw per-image reports say which group (degradation) a row belongs to."""
    return [
        {"filename_or_obj": f"{item[key].meta.get('filename_or_obj', '')}{separator}{item.get(group_key, '')}"}
        for item in batch
    ]


class GroupedMetricsWriter:
    """After ``MetricsSaver`` has written ``<save_dir>/<metric>_raw.csv`` (rows ``<file>#<group>``, see
    :func:`tag_filenames`), write ``<save_dir>/<filename>``: one row per group with the mean, standard
    deviation and count of every metric. Attach after the ``MetricsSaver`` (both run at ``COMPLETED``)."""

    def __init__(
        self, save_dir: str, metrics: Sequence[str], filename: str = "metrics_by_degradation.csv", separator: str = "#"
    ) -> None:
        self.save_dir, self.metrics, self.filename, self.separator = save_dir, list(metrics), filename, separator

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.COMPLETED, self)

    def __call__(self, engine: Engine) -> None:
        values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for metric in self.metrics:
            with open(os.path.join(self.save_dir, f"{metric}_raw.csv"), newline="") as f:
                for row in csv.DictReader(f):
                    group = row["filename"].rsplit(self.separator, 1)[-1]
                    values[group][metric].append(float(row["mean"]))
        with atomic_path(os.path.join(self.save_dir, self.filename)) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["group", *(f"{m}_{s}" for m in self.metrics for s in ("mean", "std")), "n"])
            for group in sorted(values):
                stats = []
                for m in self.metrics:
                    v = np.asarray(values[group][m], dtype=np.float64)
                    stats += [f"{v.mean():.4f}", f"{v.std(ddof=1) if v.size > 1 else 0.0:.4f}"]
                writer.writerow([group, *stats, len(values[group][self.metrics[0]])])

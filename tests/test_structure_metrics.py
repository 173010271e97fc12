"""Structure-preservation metrics (no paired truth): they reward kept anatomy in another contrast and
penalise moved, added or removed structure."""

from __future__ import annotations

import numpy as np
import torch

from medrestore.metrics import (
    StructureMetric,
    foreground_dice,
    gradient_ncc,
    mind_distance,
    mutual_information,
    structure_report,
)


def _pair():
    y, x = np.mgrid[:64, :64]
    head = ((y - 32) ** 2 + (x - 32) ** 2 < 26**2).astype(float)
    lesion = ((y - 28) ** 2 + (x - 38) ** 2 < 6**2).astype(float)
    t1 = torch.tensor(head * (0.8 - 0.6 * lesion), dtype=torch.float32)
    t2 = torch.tensor(head * (0.3 + 0.7 * lesion), dtype=torch.float32)  # another contrast, same anatomy
    return t1, t2, head, lesion


def test_same_anatomy_other_contrast_scores_better_than_moved_anatomy():
    t1, t2, head, lesion = _pair()
    moved = torch.roll(t2, shifts=(6, 6), dims=(0, 1))
    no_lesion = torch.tensor(head * 0.3, dtype=torch.float32)
    assert mutual_information(t2, t1) > mutual_information(no_lesion, t1)
    assert gradient_ncc(t2, t1) > 0.8 and gradient_ncc(t2, t1) > gradient_ncc(moved, t1) + 0.3
    assert mind_distance(t2, t1) < mind_distance(moved, t1)
    assert foreground_dice(t2, t1) > 0.95 > 0.85 > foreground_dice(moved, t1)


def test_report_and_metric_agree():
    t1, t2, _, _ = _pair()
    report = structure_report(t2, t1, cycle=t1 + 0.1)
    assert set(report) == {"mi", "gradient_ncc", "mind", "foreground_dice", "cycle_mae"}
    assert abs(report["cycle_mae"] - 0.1) < 1e-6
    metric = StructureMetric("gradient_ncc")
    value = metric(t2[None, None].repeat(2, 1, 1, 1), t1[None, None].repeat(2, 1, 1, 1))
    assert value.shape == (2, 1) and abs(float(value[0]) - report["gradient_ncc"]) < 1e-6

"""Structure-preservation metrics (no paired truth): they reward kept anatomy in another contrast and
penalise moved, added or removed structure."""

from __future__ import annotations

import numpy as np
import pytest
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


def test_foreground_ssim_is_one_for_the_truth_and_ignores_the_background():
    from medrestore.metrics import ForegroundSSIMMetric, foreground_ssim, ssim_map

    torch.manual_seed(0)
    target = torch.zeros(64, 64)
    target[16:48, 12:52] = 0.3 + 0.5 * torch.rand(32, 40)
    assert float(foreground_ssim(target, target)) == pytest.approx(1.0, abs=1e-6)
    noisy_background = target.clone()
    noisy_background[:4] = torch.rand(4, 64)  # far from the object: outside its mask and its windows
    assert float(foreground_ssim(noisy_background, target)) == pytest.approx(1.0, abs=1e-6)
    assert float(ssim_map(noisy_background, target).mean()) < 0.99  # a whole-image SSIM counts it
    noisy_object = (target + 0.1 * torch.randn(64, 64)).clamp(0, 1)
    score = float(foreground_ssim(noisy_object, target))
    assert 0.2 < score < 0.95
    metric = ForegroundSSIMMetric(reduction="none")
    batch = metric(noisy_object[None, None].repeat(2, 1, 1, 1), target[None, None].repeat(2, 1, 1, 1))
    assert batch.shape == (2, 1) and torch.allclose(batch, torch.tensor(score))


def test_ssim_map_follows_the_gaussian_ssim_formula_at_a_flat_patch():
    """Flat truth, noisy output: SSIM = luminance x C2 / (var_x + C2) (no structure term survives)."""
    from medrestore.metrics import ssim_map

    torch.manual_seed(1)
    target = torch.full((64, 64), 0.5)
    output = 0.5 + 0.03 * torch.randn(64, 64)
    s = float(ssim_map(output, target)[24:40, 24:40].mean())
    c2 = 0.03**2
    assert s == pytest.approx(c2 / (0.03**2 + c2), abs=0.08)

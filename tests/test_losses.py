import pytest
import torch

from medrestore.losses import MaskedMSELoss
from medrestore.metrics import MaskedMSEMetric


def test_masked_mse_counts_only_pixels_with_a_finite_target_and_passes_no_nan_gradient():
    pred = torch.zeros(2, 1, 4, 4, requires_grad=True)
    target = torch.full((2, 1, 4, 4), torch.nan)
    target[0, 0, 0, :2] = 1.0  # two pixels, error 1 each
    target[1, 0, 1, :1] = 3.0  # one pixel, error 9
    loss = MaskedMSELoss()(pred, target)
    assert loss.item() == pytest.approx((1 + 1 + 9) / 3)
    loss.backward()
    assert torch.isfinite(pred.grad).all() and (pred.grad != 0).sum() == 3
    per_sample = MaskedMSEMetric(reduction="none")(pred.detach(), target)
    torch.testing.assert_close(per_sample, torch.tensor([[1.0], [9.0]]))
    empty = MaskedMSEMetric(reduction="none")(pred.detach(), torch.full_like(target, torch.nan))
    assert torch.isnan(empty).all()  # no target: left out of the mean, not counted as a perfect 0
    assert MaskedMSELoss()(pred, torch.full_like(target, torch.nan)).item() == 0.0
    full = torch.rand(2, 1, 4, 4)
    assert MaskedMSELoss()(pred, full).item() == pytest.approx(torch.nn.functional.mse_loss(pred, full).item())

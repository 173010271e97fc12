import pytest
import torch

from medrestore.losses import ContentLoss, LogMSELoss, MaskedMSELoss, image_loss
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


def test_log_mse_is_minus_the_mean_psnr_and_weighs_every_image_by_its_relative_error():
    target = torch.zeros(2, 2, 4, 4)
    pred = torch.zeros(2, 2, 4, 4, requires_grad=True)
    with torch.no_grad():
        pred[0] += 0.1  # MSE 1e-2: PSNR 20 dB at peak 1
        pred[1] += 0.001  # MSE 1e-6: PSNR 60 dB
    loss = LogMSELoss()(pred, target)
    assert loss.item() == pytest.approx(-(20.0 + 60.0) / 2, abs=1e-3)
    loss.backward()
    # d/dx 10 log10(mse): the easy image's gradient per unit error is 1e4 times the hard one's, where one
    # MSE over the batch would weigh the two errors alike (and so be ruled by the hard image)
    ratio = (pred.grad[1].abs() / 0.001).mean() / (pred.grad[0].abs() / 0.1).mean()
    assert ratio.item() == pytest.approx(1e4, rel=1e-3)


def test_image_loss_builds_the_named_loss_and_names_the_choices_for_an_unknown_one():
    assert isinstance(image_loss("log_mse"), LogMSELoss)
    assert isinstance(image_loss("mse"), torch.nn.MSELoss)
    assert isinstance(image_loss("l1"), torch.nn.L1Loss)
    assert image_loss("log_mse").eps == 1e-10 and image_loss("log_mse", log_mse_eps=1e-5).eps == 1e-5
    with pytest.raises(ValueError, match="'l1', 'log_mse', 'mse'"):
        image_loss("logmse")


def test_mind_loss_ignores_an_intensity_map_and_penalises_moved_structure():
    from medrestore.losses import MINDLoss
    from medrestore.metrics import mind_descriptor, mind_distance

    g = torch.Generator().manual_seed(0)
    smooth = torch.nn.functional.avg_pool2d(torch.rand(2, 1, 40, 40, generator=g), 5, stride=1, padding=2)
    image = (smooth - smooth.amin()) / (smooth.amax() - smooth.amin())
    loss = MINDLoss()
    inverted = 0.9 - 0.7 * image  # a contrast inversion: same anatomy, other intensities
    moved = torch.roll(inverted, shifts=(3, 0), dims=(2, 3))
    assert loss(inverted, image) < 1e-4
    assert loss(moved, image) > 0.05
    # the batched descriptor is the metric's (H, W) one, per image
    torch.testing.assert_close(mind_descriptor(image)[1], mind_descriptor(image[1, 0]), atol=1e-5, rtol=0)
    torch.testing.assert_close(loss(moved[:1], image[:1]), mind_distance(moved[0, 0], image[0, 0]), atol=1e-5, rtol=0)
    out = inverted.clone().requires_grad_(True)
    loss(torch.roll(out, shifts=(3, 0), dims=(2, 3)), image).backward()
    assert torch.isfinite(out.grad).all() and out.grad.abs().sum() > 0
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\)"):
        mind_descriptor(torch.rand(2, 3, 8, 8))


def test_content_loss_mse_without_ssim_is_mse_and_the_ssim_term_adds_one_minus_ssim():
    torch.manual_seed(0)
    pred, target = torch.rand(3, 1, 32, 32, requires_grad=True), torch.rand(3, 1, 32, 32)
    mse = torch.nn.MSELoss()(pred, target)
    mse.backward()
    grad, pred.grad = pred.grad.clone(), None
    loss = ContentLoss(pixel_loss="mse", ssim_weight=0.0)(pred, target)
    loss.backward()
    assert loss.item() == mse.item() and torch.equal(pred.grad, grad)  # bit-identical: seeded runs unchanged
    l1 = ContentLoss(pixel_loss="l1", ssim_weight=0.0)(pred, target)
    assert l1.item() == pytest.approx((pred - target).abs().mean().item())
    from monai.losses import SSIMLoss

    one_minus_ssim = SSIMLoss(spatial_dims=2, data_range=1.0)(pred, target).item()
    assert 0.5 < one_minus_ssim < 1.5  # independent noise: SSIM near 0
    mixed = ContentLoss(pixel_loss="mse", pixel_weight=2.0, ssim_weight=0.5)(pred, target)
    assert mixed.item() == pytest.approx(2.0 * mse.item() + 0.5 * one_minus_ssim, rel=1e-6)
    with pytest.raises(ValueError, match="pixel_loss 'l2' is not known"):
        ContentLoss(pixel_loss="l2")

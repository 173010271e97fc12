"""Training losses the bundles share."""

from __future__ import annotations

import torch
from torch import nn

from medrestore.metrics import masked_squared_error, mind_distance

__all__ = [
    "ContentLoss",
    "DiscriminatorLoss",
    "GeneratorAdversarialLoss",
    "LogMSELoss",
    "MINDLoss",
    "MagnitudeMSELoss",
    "MaskedMSELoss",
    "image_loss",
]


class MagnitudeMSELoss(nn.Module):
    """Mean squared error of the magnitudes of two complex images given as ``(B, 2, H, W)`` (real,
    imaginary): for networks that output magnitude only (root-sum-of-squares), e.g. VarNet."""

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        def magnitude(x: torch.Tensor) -> torch.Tensor:
            return x.pow(2).sum(dim=1).clamp_min(1e-12).sqrt()

        return (magnitude(pred) - magnitude(target)).pow(2).mean()


class LogMSELoss(nn.Module):
    """Mean over the batch of ``10 log10(MSE_i + eps)``, each image's own mean squared error: minus the
    mean PSNR up to a constant. Every image counts by its relative error, so a mixture of easy and hard
    settings (4x and 1D undersampling, 16 coils and one) is not ruled by the hard ones' large errors as
    with one MSE over the batch. ``pred``, ``target``: ``(B, ...)``."""

    def __init__(self, eps: float = 1e-10) -> None:
        super().__init__()
        self.eps = float(eps)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        mse = (pred - target).pow(2).flatten(1).mean(dim=1)
        return 10.0 * torch.log10(mse + self.eps).mean()


class MINDLoss(nn.Module):
    """Structure-consistency loss of unpaired translation (Yang et al., DLMIA 2018: MR-to-CT CycleGAN):
    :func:`medrestore.metrics.mind_distance` (the unpaired structure metric) of an output and its own
    input, batched and differentiable. MIND does not change under an intensity map ``a x + b``, so the
    loss lets the contrast change and penalises anatomy that moves, appears or vanishes. ``output``, ``source``: ``(B, 1, H, W)``; 0 for identical structure."""

    def __init__(self, radius: int = 1) -> None:
        super().__init__()
        self.radius = int(radius)

    def forward(self, output: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        return mind_distance(output, source, self.radius)


def image_loss(name: str, log_mse_eps: float = 1e-10, option: str = "loss_name") -> nn.Module:
    """The loss a config names: ``"mse"`` (one mean squared error over the batch, ``torch.nn.MSELoss``),
    ``"l1"`` (one mean absolute error, ``torch.nn.L1Loss``) or ``"log_mse"`` (:class:`LogMSELoss` with
    ``eps=log_mse_eps``, each image by its own relative error). ``option``: the setting named in the error."""
    losses = {"mse": nn.MSELoss, "l1": nn.L1Loss, "log_mse": lambda: LogMSELoss(log_mse_eps)}
    if str(name) not in losses:
        raise ValueError(f"{option} {name!r} is not known: expected one of {sorted(losses)}.")
    return losses[str(name)]()


class MaskedMSELoss(nn.Module):
    """Mean squared error over the pixels whose target is finite: a NaN target marks a pixel without
    supervision (held out for validation, :class:`medrestore.noise.Recorrupted2Recorruptedd`). Zero
    when no pixel has a target."""

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        total, count = masked_squared_error(pred, target)
        return total.sum() / count.sum().clamp_min(1)


def _last(logits):
    """Discriminators such as MONAI's ``PatchDiscriminator`` return every layer's output; the last is the logits."""
    return logits[-1] if isinstance(logits, (list, tuple)) else logits


class GeneratorAdversarialLoss(nn.Module):
    """Generator's adversarial term ``weight * GAN(D(fake), real)`` (least-squares by default, MONAI's
    ``PatchAdversarialLoss``); ``fake_logits``: a tensor or a discriminator's list of layer outputs."""

    def __init__(self, weight: float = 1e-3, criterion: str = "least_squares") -> None:
        super().__init__()
        from monai.losses import PatchAdversarialLoss

        self.weight, self.gan = float(weight), PatchAdversarialLoss(criterion=criterion)

    def forward(self, fake_logits) -> torch.Tensor:
        return self.weight * self.gan(_last(fake_logits), target_is_real=True, for_discriminator=False)


class DiscriminatorLoss(nn.Module):
    """Discriminator loss ``(GAN(D(real), real) + GAN(D(fake), fake)) / 2`` (least-squares by default)."""

    def __init__(self, criterion: str = "least_squares") -> None:
        super().__init__()
        from monai.losses import PatchAdversarialLoss

        self.gan = PatchAdversarialLoss(criterion=criterion)

    def forward(self, real_logits, fake_logits) -> torch.Tensor:
        real = self.gan(_last(real_logits), target_is_real=True, for_discriminator=True)
        fake = self.gan(_last(fake_logits), target_is_real=False, for_discriminator=True)
        return 0.5 * (real + fake)


class ContentLoss(nn.Module):
    """Content loss ``pixel_weight * pixel + ssim_weight * (1 - SSIM)`` (MONAI's ``SSIMLoss``, data range 1;
    ``pixel_loss``: a name of :func:`image_loss`, e.g. ``"l1"`` or ``"mse"``, so that
    ``ContentLoss("mse", ssim_weight=0)`` is ``torch.nn.MSELoss``), plus, with ``vgg19_weights`` (a local
    torchvision vgg19 state dict; nothing is downloaded), ``vgg_weight * MSE`` of VGG19 ``vgg_layer``
    features scaled by 1/12.75 (SRGAN's VGG54 loss). ``(B, C, H, W)`` on ``[0, 1]``. Without the VGG file it
    needs no pretrained network."""

    def __init__(
        self,
        pixel_loss: str = "l1",
        pixel_weight: float = 1.0,
        ssim_weight: float = 0.1,
        vgg19_weights: str | None = None,
        vgg_weight: float = 1.0,
        vgg_layer: str = "relu5_4",
    ) -> None:
        super().__init__()
        from monai.losses import SSIMLoss

        self.pixel_loss = image_loss(pixel_loss, option="pixel_loss")
        self.pixel_weight, self.ssim_weight, self.vgg_weight = (
            float(pixel_weight),
            float(ssim_weight),
            float(vgg_weight),
        )
        self.ssim = SSIMLoss(spatial_dims=2, data_range=1.0)
        self.vgg = None
        if vgg19_weights:
            from medrestore.networks import VGG19Features

            self.vgg = VGG19Features(vgg19_weights, vgg_layer)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = self.pixel_weight * self.pixel_loss(pred, target)
        if self.ssim_weight:
            loss = loss + self.ssim_weight * self.ssim(pred, target)
        if self.vgg is not None:
            loss = loss + self.vgg_weight * ((self.vgg(pred) - self.vgg(target)) / 12.75).pow(2).mean()
        return loss

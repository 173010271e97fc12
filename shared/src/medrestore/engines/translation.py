"""Adversarial translation training (CycleGAN, pix2pix) as MONAI ``Trainer`` subclasses.

``monai.engines.AdversarialTrainer`` has one generator and one discriminator and treats its input as
the real images; CycleGAN needs two of each, an image pool and cycle/identity losses, pix2pix a
discriminator that sees (input, output) pairs. These trainers keep everything else MONAI's: ignite
handlers, MLflow, checkpoints (the four networks, both optimisers, schedulers), resume and DDP.

DDP note: each network pair is one module (:class:`CycleGenerators`, :class:`DiscriminatorPair`),
so that a DDP wrapper sees exactly one forward before each backward, although a CycleGAN generator
runs two or three times per iteration. The discriminators are not frozen during the generator step
(toggling ``requires_grad`` under DDP breaks gradient bucketing); their gradients from that step are
cleared before the discriminator step instead, which gives the same update.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from monai.engines import Trainer
from monai.losses import PatchAdversarialLoss
from monai.utils import CommonKeys as Keys
from torch import nn

from medrestore.losses import MINDLoss

__all__ = ["CycleGANTrainer", "CycleGenerators", "DiscriminatorPair", "ImagePool", "Pix2PixTrainer"]


def _logits(output) -> torch.Tensor:
    """The last output of a discriminator (MONAI's ``PatchDiscriminator`` returns every layer's)."""
    return output[-1] if isinstance(output, (list, tuple)) else output


class CycleGenerators(nn.Module):
    """The two CycleGAN generators, run together: ``forward(real_a, real_b, identity)`` returns
    ``fake_b = G_ab(a)``, ``rec_a = G_ba(fake_b)``, ``fake_a = G_ba(b)``, ``rec_b = G_ab(fake_a)`` and,
    when ``identity``, ``idt_b = G_ab(b)`` and ``idt_a = G_ba(a)``. Shapes ``(B, C, H, W)``."""

    def __init__(self, g_ab: nn.Module, g_ba: nn.Module) -> None:
        super().__init__()
        self.g_ab, self.g_ba = g_ab, g_ba

    def forward(self, real_a: torch.Tensor, real_b: torch.Tensor, identity: bool = True) -> dict[str, torch.Tensor]:
        n = real_a.shape[0]
        if identity and real_a.shape == real_b.shape:  # one pass per generator for the fake and identity images
            fake_b, idt_b = self.g_ab(torch.cat([real_a, real_b])).split(n)
            fake_a, idt_a = self.g_ba(torch.cat([real_b, real_a])).split(n)
        else:
            fake_b, fake_a = self.g_ab(real_a), self.g_ba(real_b)
            idt_b = self.g_ab(real_b) if identity else None
            idt_a = self.g_ba(real_a) if identity else None
        out = {"fake_b": fake_b, "fake_a": fake_a, "rec_a": self.g_ba(fake_b), "rec_b": self.g_ab(fake_a)}
        if identity:
            out.update(idt_a=idt_a, idt_b=idt_b)
        return out


class DiscriminatorPair(nn.Module):
    """``D_b`` (real vs generated domain-B images) and ``D_a``; ``forward(x_b, x_a)`` returns both logits."""

    def __init__(self, d_b: nn.Module, d_a: nn.Module) -> None:
        super().__init__()
        self.d_b, self.d_a = d_b, d_a

    def forward(self, x_b: torch.Tensor, x_a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return _logits(self.d_b(x_b)), _logits(self.d_a(x_a))


class ImagePool:
    """Shrivastava et al.'s history of generated images (CycleGAN: 50). ``query(images)`` returns, per
    image, the image itself while the pool fills, then with probability 0.5 a stored one (replaced by
    the new image). ``seed`` makes the choices reproducible. ``size=0`` disables the pool."""

    def __init__(self, size: int = 50, seed: int = 0) -> None:
        self.size, self.images = int(size), []
        self.generator = torch.Generator().manual_seed(int(seed))

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size <= 0:
            return images.detach()
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif torch.rand(1, generator=self.generator).item() < 0.5:
                k = int(torch.randint(len(self.images), (1,), generator=self.generator))
                out.append(self.images[k].clone())
                self.images[k] = image
            else:
                out.append(image)
        return torch.cat(out)


class _TranslationTrainer(Trainer):
    """Shared set-up of the two trainers: generator / discriminator modules and optimisers, the
    least-squares (or other) patch adversarial loss, batch preparation, counters-only state dict."""

    def __init__(
        self,
        device: str | torch.device,
        max_epochs: int,
        train_data_loader,
        generator: nn.Module,
        discriminator: nn.Module,
        g_optimizer: torch.optim.Optimizer,
        d_optimizer: torch.optim.Optimizer,
        gan_criterion: str = "least_squares",
        epoch_length: int | None = None,
        train_handlers: Sequence | None = None,
        postprocessing: Callable | None = None,
        non_blocking: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(
            device=torch.device(device),
            max_epochs=max_epochs,
            data_loader=train_data_loader,
            epoch_length=epoch_length,
            non_blocking=non_blocking,
            handlers=train_handlers,
            postprocessing=postprocessing,
            decollate=False,
            **kwargs,
        )
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.optimizer = g_optimizer  # what MONAI's handlers (MLflow's learning-rate log) read
        # least squares on the raw patch logits (LSGAN as published: no activation before the MSE)
        self.adversarial = PatchAdversarialLoss(criterion=gan_criterion, no_activation_leastsq=True)
        self.l1 = nn.L1Loss()
        # counters only in the engine's state dict: networks and optimisers go through the checkpoint's save_dict
        self._state_dict_user_keys.clear()

    def _to(self, batch: dict, key: str) -> torch.Tensor:
        if key not in batch:
            raise KeyError(f"the training batch has no '{key}' (keys: {sorted(batch)}).")
        value = batch[key].to(self.state.device, non_blocking=self.non_blocking)
        return value.as_tensor() if hasattr(value, "as_tensor") else value  # MetaTensor -> Tensor

    def _real(self, logits: torch.Tensor) -> torch.Tensor:
        return self.adversarial(logits, target_is_real=True, for_discriminator=False)

    def _discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """``0.5 * (loss(D(real), 1) + loss(D(fake), 0))`` from logits of real and generated inputs."""
        return 0.5 * (
            self.adversarial(real, target_is_real=True, for_discriminator=True)
            + self.adversarial(fake, target_is_real=False, for_discriminator=True)
        )

    def _step(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


class CycleGANTrainer(_TranslationTrainer):
    """CycleGAN (Zhu et al., ICCV 2017) on unpaired batches ``{"image": domain A, "target": domain B}``.

    Per iteration: the generator step minimises ``LSGAN(D_b(G_ab(a))) + LSGAN(D_a(G_ba(b)))
    + cycle_weight * (|G_ba(G_ab(a)) - a|_1 + |G_ab(G_ba(b)) - b|_1)
    + identity_weight * cycle_weight * (|G_ab(b) - b|_1 + |G_ba(a) - a|_1)
    + structure_weight * (MIND(G_ab(a), a) + MIND(G_ba(b), b))``; then each discriminator is trained
    on real images against generated ones drawn from an :class:`ImagePool`.
    Published: ``cycle_weight=10``, ``identity_weight=0.5``, ``pool_size=50``; the structure term
    (:class:`medrestore.losses.MINDLoss`, Yang et al. 2018) is off at ``structure_weight=0``.

    Args:
        generator: :class:`CycleGenerators` (or a DDP wrapper of it).
        discriminator: :class:`DiscriminatorPair` (or a DDP wrapper of it).
        g_optimizer, d_optimizer: optimisers of both generators and both discriminators.
        cycle_weight, identity_weight, structure_weight, pool_size, seed: as above (``seed`` seeds the pools).
        Other arguments: :class:`monai.engines.Trainer`.

    ``engine.state.output``: ``image``, ``target``, ``pred`` (= ``G_ab(image)``), ``loss`` (the generator
    loss), ``d_loss``, ``adversarial_loss``, ``cycle_loss``, ``identity_loss``, ``structure_loss`` (floats).
    """

    def __init__(
        self,
        *args,
        cycle_weight: float = 10.0,
        identity_weight: float = 0.5,
        structure_weight: float = 0.0,
        pool_size: int = 50,
        seed: int = 0,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.cycle_weight, self.identity_weight = float(cycle_weight), float(identity_weight)
        self.structure_weight = float(structure_weight)
        self.structure = MINDLoss()
        self.pools = (ImagePool(pool_size, seed), ImagePool(pool_size, seed + 1))

    def _iteration(self, engine, batchdata: dict) -> dict:
        real_a, real_b = self._to(batchdata, Keys.IMAGE), self._to(batchdata, "target")
        identity = self.identity_weight > 0
        self.generator.train()
        self.discriminator.train()
        out = self.generator(real_a, real_b, identity)
        logits_b, logits_a = self.discriminator(out["fake_b"], out["fake_a"])
        adversarial = self._real(logits_b) + self._real(logits_a)
        cycle = self.l1(out["rec_a"], real_a) + self.l1(out["rec_b"], real_b)
        loss = adversarial + self.cycle_weight * cycle
        idt = torch.zeros((), device=real_a.device)
        if identity:
            idt = self.l1(out["idt_b"], real_b) + self.l1(out["idt_a"], real_a)
            loss = loss + self.identity_weight * self.cycle_weight * idt
        structure = torch.zeros((), device=real_a.device)
        if self.structure_weight > 0:
            structure = self.structure(out["fake_b"], real_a) + self.structure(out["fake_a"], real_b)
            loss = loss + self.structure_weight * structure
        self._step(self.g_optimizer, loss)

        fake_b, fake_a = self.pools[0].query(out["fake_b"]), self.pools[1].query(out["fake_a"])
        logits_b, logits_a = self.discriminator(torch.cat([real_b, fake_b]), torch.cat([real_a, fake_a]))
        nb, na = real_b.shape[0], real_a.shape[0]
        d_loss = self._discriminator_loss(logits_b[:nb], logits_b[nb:]) + self._discriminator_loss(
            logits_a[:na], logits_a[na:]
        )
        self._step(self.d_optimizer, d_loss)
        return {
            Keys.IMAGE: real_a,
            "target": real_b,
            Keys.PRED: out["fake_b"].detach(),
            Keys.LOSS: loss.item(),
            "d_loss": d_loss.item(),
            "adversarial_loss": adversarial.item(),
            "cycle_loss": cycle.item(),
            "identity_loss": idt.item(),
            "structure_loss": structure.item(),
        }


class Pix2PixTrainer(_TranslationTrainer):
    """pix2pix (Isola et al., CVPR 2017) on registered pairs ``{"image": input, "label": target}``.

    The generator minimises ``LSGAN(D([a, G(a)])) + l1_weight * |G(a) - b|_1`` (published: 100, with the
    vanilla GAN loss); the conditional discriminator sees (input, output) pairs concatenated along the
    channels: ``[a, b]`` as real, ``[a, G(a)]`` as generated.

    ``engine.state.output``: ``image``, ``label``, ``pred``, ``loss``, ``d_loss``, ``adversarial_loss``, ``l1_loss``.
    """

    def __init__(self, *args, l1_weight: float = 100.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.l1_weight = float(l1_weight)

    def _iteration(self, engine, batchdata: dict) -> dict:
        real_a, real_b = self._to(batchdata, Keys.IMAGE), self._to(batchdata, Keys.LABEL)
        self.generator.train()
        self.discriminator.train()
        fake_b = self.generator(real_a)
        adversarial = self._real(_logits(self.discriminator(torch.cat([real_a, fake_b], dim=1))))
        l1 = self.l1(fake_b, real_b)
        loss = adversarial + self.l1_weight * l1
        self._step(self.g_optimizer, loss)

        pairs = torch.cat([torch.cat([real_a, real_b], dim=1), torch.cat([real_a, fake_b.detach()], dim=1)])
        logits = _logits(self.discriminator(pairs))
        n = real_a.shape[0]
        d_loss = self._discriminator_loss(logits[:n], logits[n:])
        self._step(self.d_optimizer, d_loss)
        return {
            Keys.IMAGE: real_a,
            Keys.LABEL: real_b,
            Keys.PRED: fake_b.detach(),
            Keys.LOSS: loss.item(),
            "d_loss": d_loss.item(),
            "adversarial_loss": adversarial.item(),
            "l1_loss": l1.item(),
        }

"""CycleGAN and pix2pix trainers: what the discriminators see as real, the image pool, the losses."""

from __future__ import annotations

import torch
from monai.networks.nets import PatchDiscriminator
from torch import nn

from medrestore.engines import CycleGANTrainer, CycleGenerators, DiscriminatorPair, ImagePool, Pix2PixTrainer
from medrestore.networks import ResnetGenerator, UNetGenerator


class Recording(nn.Module):
    """A discriminator that remembers every batch it was shown."""

    def __init__(self, in_channels: int = 1) -> None:
        super().__init__()
        self.net = PatchDiscriminator(
            spatial_dims=2, in_channels=in_channels, channels=4, num_layers_d=2, norm="INSTANCE"
        )
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return self.net(x)


def _batch(n=2, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {
        "image": torch.rand(n, 1, size, size, generator=g),
        "target": torch.rand(n, 1, size, size, generator=g) + 2.0,
    }


def test_cyclegan_discriminators_see_domain_images_as_real():
    torch.manual_seed(0)
    g = CycleGenerators(ResnetGenerator(features=4, num_blocks=1), ResnetGenerator(features=4, num_blocks=1))
    d_b, d_a = Recording(), Recording()
    d = DiscriminatorPair(d_b, d_a)
    batch = _batch()
    trainer = CycleGANTrainer(
        "cpu",
        1,
        [batch],
        g,
        d,
        torch.optim.Adam(g.parameters(), 2e-4),
        torch.optim.Adam(d.parameters(), 2e-4),
        pool_size=0,
    )
    trainer.run()
    # generator step: D_b judges G_ab(a); discriminator step: real B images first, then generated ones
    assert len(d_b.seen) == 2 and len(d_a.seen) == 2
    real_b, fake_b = d_b.seen[1][:2], d_b.seen[1][2:]
    torch.testing.assert_close(real_b, batch["target"])  # the domain-B batch, not the input batch
    torch.testing.assert_close(d_a.seen[1][:2], batch["image"])
    assert fake_b.max() <= 1 and not torch.equal(fake_b, batch["image"])
    out = trainer.state.output
    assert {"loss", "d_loss", "adversarial_loss", "cycle_loss", "identity_loss"} <= set(out)
    assert trainer.optimizer is trainer.g_optimizer  # MLflow logs the generators' learning rate


def test_cyclegan_step_changes_all_four_networks():
    torch.manual_seed(0)
    nets = [ResnetGenerator(features=4, num_blocks=1) for _ in range(2)]
    discs = [Recording() for _ in range(2)]
    g, d = CycleGenerators(*nets), DiscriminatorPair(*discs)
    before = [[p.detach().clone() for p in m.parameters()] for m in (*nets, *discs)]
    CycleGANTrainer(
        "cpu", 1, [_batch()], g, d, torch.optim.Adam(g.parameters(), 1e-3), torch.optim.Adam(d.parameters(), 1e-3)
    ).run()
    for old, module in zip(before, (*nets, *discs)):
        assert any(not torch.equal(a, b) for a, b in zip(old, module.parameters()))


def test_cyclegan_structure_term_is_off_by_default_and_adds_the_mind_loss_when_weighted():
    def step(weight):
        torch.manual_seed(0)
        g = CycleGenerators(ResnetGenerator(features=4, num_blocks=1), ResnetGenerator(features=4, num_blocks=1))
        d = DiscriminatorPair(Recording(), Recording())
        trainer = CycleGANTrainer(
            "cpu",
            1,
            [_batch()],
            g,
            d,
            torch.optim.Adam(g.parameters(), 2e-4),
            torch.optim.Adam(d.parameters(), 2e-4),
            pool_size=0,
            structure_weight=weight,
        )
        trainer.run()
        return trainer.state.output

    off, on = step(0.0), step(2.0)
    assert off["structure_loss"] == 0.0 and on["structure_loss"] > 0.0
    # the same first forward pass: the weighted term is the only difference in the generator loss
    assert abs(on["loss"] - off["loss"] - 2.0 * on["structure_loss"]) < 1e-4


def test_pix2pix_discriminator_is_conditioned_on_the_input():
    torch.manual_seed(0)
    g, d = UNetGenerator(features=4, levels=3), Recording(in_channels=2)
    a, b = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32) + 2.0
    trainer = Pix2PixTrainer(
        "cpu", 1, [{"image": a, "label": b}], g, d, torch.optim.Adam(g.parameters()), torch.optim.Adam(d.parameters())
    )
    trainer.run()
    real, fake = d.seen[1][:2], d.seen[1][2:]
    torch.testing.assert_close(real, torch.cat([a, b], dim=1))  # (input, target) is real
    torch.testing.assert_close(fake[:, :1], a)  # (input, output) is generated
    assert fake[:, 1:].max() <= 1
    assert trainer.state.output["l1_loss"] > 1.0  # the targets lie on [2, 3], the output on [0, 1]


def test_image_pool_fills_then_mixes_history_and_new_images():
    pool = ImagePool(size=3, seed=0)
    first = [pool.query(torch.full((1, 1, 2, 2), float(k))) for k in range(3)]
    assert [float(x.mean()) for x in first] == [0.0, 1.0, 2.0]  # returned as is while filling
    later = [float(pool.query(torch.full((1, 1, 2, 2), 10.0 + k)).mean()) for k in range(40)]
    new = [v for k, v in enumerate(later) if v == 10.0 + k]
    assert 8 < len(new) < 32  # about half are the new image, the rest come from the history
    x = torch.rand(2, 1, 2, 2, requires_grad=True)
    assert not ImagePool(size=0).query(x * 2).requires_grad

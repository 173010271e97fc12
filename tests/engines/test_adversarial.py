import torch
from monai.networks.nets import PatchDiscriminator
from monai.utils import AdversarialIterationEvents, AdversarialKeys

from medrestore.engines import ImageToImageAdversarialTrainer
from medrestore.losses import ContentLoss, DiscriminatorLoss, GeneratorAdversarialLoss
from medrestore.networks import SRResNet


def _trainer(seen):
    torch.manual_seed(0)
    g = SRResNet(scale=2, features=8, num_blocks=1)
    d = PatchDiscriminator(spatial_dims=2, num_layers_d=2, channels=8, in_channels=1, norm="INSTANCE")
    data = [{"image": torch.rand(2, 1, 12, 12), "label": torch.rand(2, 1, 24, 24)} for _ in range(2)]
    trainer = ImageToImageAdversarialTrainer(
        device="cpu",
        max_epochs=1,
        train_data_loader=data,
        g_network=g,
        g_optimizer=torch.optim.Adam(g.parameters(), 1e-3),
        g_loss_function=GeneratorAdversarialLoss(1e-3),
        recon_loss_function=ContentLoss(),
        d_network=d,
        d_optimizer=torch.optim.Adam(d.parameters(), 1e-3),
        d_loss_function=DiscriminatorLoss(),
    )

    @trainer.on(AdversarialIterationEvents.DISCRIMINATOR_REALS_FORWARD_COMPLETED)
    def record(engine):
        out = engine.state.output
        seen.append((out[AdversarialKeys.REALS].clone(), out["label"].clone(), out["image"].shape))

    return trainer, g, d


def test_discriminator_sees_high_resolution_targets_as_real():
    seen = []
    trainer, g, d = _trainer(seen)
    g0 = [p.detach().clone() for p in g.parameters()]
    d0 = [p.detach().clone() for p in d.parameters()]
    trainer.run()
    assert len(seen) == 2
    for reals, label, image_shape in seen:
        assert reals.shape == (2, 1, 24, 24) and torch.equal(reals, label)
        assert image_shape == (2, 1, 12, 12)
    assert any(not torch.equal(a, b) for a, b in zip(g0, g.parameters()))  # both networks were updated
    assert any(not torch.equal(a, b) for a, b in zip(d0, d.parameters()))
    out = trainer.state.output
    assert out[AdversarialKeys.DISCRIMINATOR_LOSS] > 0 and out[AdversarialKeys.GENERATOR_LOSS] > 0


def test_losses_take_a_discriminators_list_of_layer_outputs():
    logits = [torch.zeros(1, 8, 4, 4), torch.ones(1, 1, 3, 3)]
    assert float(GeneratorAdversarialLoss(1.0)(logits)) == 0.0  # D says "real" everywhere
    assert float(DiscriminatorLoss()(logits, [torch.zeros(1, 1, 3, 3)])) == 0.0
    x = torch.rand(1, 1, 16, 16)
    assert float(ContentLoss()(x, x)) < 1e-6

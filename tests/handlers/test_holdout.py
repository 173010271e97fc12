import pytest
import torch
from ignite.engine import Engine

from medrestore.handlers import HeldOutSelection


def _evaluator(network: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> Engine:
    """An evaluator over fixed (input, target) batches whose output is a list of decollated dicts, as MONAI's."""

    def step(engine, index):
        pred = network(inputs[index])
        return [{"pred": p, "label": t} for p, t in zip(pred, targets[index])]

    return Engine(step)


def _targets(n=4, size=64, sigma=0.1, seed=0):
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(n, 1, size, size, generator=g)
    noisy_target = clean + sigma * torch.randn(clean.shape, generator=g)
    noisy_target[..., ::2, :] = torch.nan  # half the pixels have no target
    return clean, noisy_target


class _ScaleAndOffset(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor(0.5))
        self.register_buffer("offset", torch.zeros(1, 64, 64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * x + self.offset


def test_keeps_the_first_weights_and_replaces_them_only_when_significantly_better(tmp_path):
    clean, targets = _targets()
    network = _ScaleAndOffset()
    path = tmp_path / "model.pt"
    selection = HeldOutSelection(network, str(path), z=2.0)
    evaluator = _evaluator(network, clean, targets)
    selection.attach(evaluator)

    def run_with(weight, jitter=0.0, seed=0):
        with torch.no_grad():
            network.weight.fill_(weight)
            network.offset.copy_(jitter * torch.randn(1, 64, 64, generator=torch.Generator().manual_seed(seed)))
        evaluator.run(range(len(clean)), max_epochs=1)
        return torch.load(path)["weight"].item()

    assert run_with(0.5) == 0.5  # the first run is kept: the starting weights
    assert run_with(0.1) == 0.5  # clearly worse: not kept
    for seed in range(5):  # changes that are noise, not an improvement: never kept
        assert run_with(0.5, jitter=0.002, seed=seed) == 0.5
    assert run_with(0.9) == pytest.approx(0.9)  # closer to the identity on the clean inputs: significantly better
    assert selection.kept.numel() == clean.numel() // 2


def test_an_empty_or_changing_held_out_set_is_an_error(tmp_path):
    clean, targets = _targets()
    network = torch.nn.Identity()
    selection = HeldOutSelection(network, str(tmp_path / "model.pt"))
    evaluator = _evaluator(network, clean, torch.full_like(targets, torch.nan))
    selection.attach(evaluator)
    with pytest.raises(ValueError, match="held-out mask is empty"):
        evaluator.run(range(len(clean)), max_epochs=1)
    selection = HeldOutSelection(network, str(tmp_path / "model.pt"))
    evaluator = _evaluator(network, clean, targets)
    selection.attach(evaluator)
    evaluator.run(range(len(clean)), max_epochs=1)
    with pytest.raises(ValueError, match="must be fixed"):
        evaluator.run(range(len(clean) - 1), max_epochs=1)

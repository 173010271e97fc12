"""Ignite handler that anneals the attention temperature of every dynamic convolution."""

from __future__ import annotations

from ignite.engine import Engine, Events
from torch import nn

from medrestore.layers import DynamicConv2d

__all__ = ["TemperatureAnnealingHandler"]


class TemperatureAnnealingHandler:
    """Linear annealing of ``DynamicConv2d`` temperatures at the start of every epoch.

    ``tau(epoch) = start + (end - start) * min(epoch - 1, epochs) / epochs``: from ``start``
    (near-uniform kernel attention, stable early training) to ``end`` (sharper, input-dependent
    kernels) over the first ``epochs`` epochs, as Chen et al. (2020) recommend and the official DRAN
    code intended but never called. The value follows the epoch counter, so a resumed run continues
    the schedule where it stopped.

    Args:
        network: the model (a DDP wrapper is fine).
        start: temperature of epoch 1. Defaults to 30.
        end: final temperature. Defaults to 1.
        epochs: epochs over which to anneal. Defaults to 10.
    """

    def __init__(self, network: nn.Module, start: float = 30.0, end: float = 1.0, epochs: int = 10) -> None:
        if start <= 0 or end <= 0 or epochs < 1:
            raise ValueError("start and end must be > 0 and epochs >= 1.")
        self.layers = [m for m in network.modules() if isinstance(m, DynamicConv2d)]
        self.start, self.end, self.epochs = start, end, epochs

    def temperature(self, epoch: int) -> float:
        frac = min(max(epoch - 1, 0), self.epochs) / self.epochs
        return self.start + (self.end - self.start) * frac

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.EPOCH_STARTED, self)

    def __call__(self, engine: Engine) -> None:
        tau = self.temperature(engine.state.epoch)
        for layer in self.layers:
            layer.set_temperature(tau)

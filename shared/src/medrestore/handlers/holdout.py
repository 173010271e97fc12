"""Keep the weights that are significantly better on held-out pixels (model selection without clean images)."""

from __future__ import annotations

import logging
import math

import torch
from ignite.engine import Engine, Events

from medrestore.io import atomic_path

__all__ = ["HeldOutSelection"]


class HeldOutSelection:
    """Save ``network``'s weights to ``filename`` when an evaluator run shows them significantly
    better than the weights kept so far, in a paired test on the same held-out pixels.

    Attach to an evaluator whose ``label`` is finite on the held-out pixels only (NaN elsewhere) and
    whose inputs and targets are the same at every run (fixed seeds): e.g. recorrupted pairs on the
    blocks of :class:`medrestore.transforms.HoldOutMaskd`. Each run gives the squared errors ``e`` of
    every held-out pixel; the first run's weights are kept (for adaptation: the shipped weights), and a
    later run replaces them when the mean of ``d = e - e_kept`` is below ``-z`` standard errors.

    Why a paired test and not the lowest mean: on a small image the held-out pixels' own noise is one
    fixed draw, so two networks' mean losses differ by chance by more than their true difference; the
    test asks for a margin that grows as the held-out set shrinks. Neighbouring pixels' differences
    are correlated, so the standard error comes from means of ``batch`` consecutive pixels (batch means).

    Args:
        network: the network being fitted.
        filename: where the kept weights go (written atomically: a whole file or none).
        z: significance in standard errors (2: about 2 % false replacements per run, one-sided).
        batch: pixels per batch mean.
    """

    def __init__(self, network: torch.nn.Module, filename: str, z: float = 2.0, batch: int = 64) -> None:
        self.network, self.filename, self.z, self.batch = network, filename, float(z), int(batch)
        self.kept: torch.Tensor | None = None
        self.kept_epoch: int | None = None
        self._errors: list[torch.Tensor] = []

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.EPOCH_STARTED, lambda _: self._errors.clear())
        engine.add_event_handler(Events.ITERATION_COMPLETED, self._collect)
        engine.add_event_handler(Events.EPOCH_COMPLETED, self._select)

    def _collect(self, engine: Engine) -> None:
        output = engine.state.output
        for item in output if isinstance(output, list) else [output]:
            pred, label = item["pred"].detach().float().cpu(), item["label"].detach().float().cpu()
            finite = torch.isfinite(label)
            self._errors.append((pred[finite] - label[finite]).pow(2))

    def _select(self, engine: Engine) -> None:
        errors = torch.cat(self._errors) if self._errors else torch.zeros(0)
        if errors.numel() == 0:
            raise ValueError("no held-out pixel in the evaluator's labels (all NaN): the held-out mask is empty.")
        log = logging.getLogger(__name__)
        if self.kept is not None and self.kept.shape != errors.shape:
            raise ValueError("the held-out pixels changed between evaluator runs; they must be fixed.")
        if self.kept is None:
            keep, message = True, f"held-out loss {errors.mean():.6f}: kept (first)"
        else:
            diff = errors - self.kept
            count = max(diff.numel() // self.batch, 1)
            means = diff[: count * self.batch].reshape(count, -1).mean(dim=1)
            stderr = means.std().item() / math.sqrt(count) if count > 1 else math.inf
            score = diff.mean().item() / stderr if stderr > 0 else -math.inf * (diff.mean().item() < 0)
            keep = score < -self.z
            message = (
                f"held-out loss {errors.mean():.6f} ({diff.mean().item():+.2e} against the weights of epoch "
                f"{self.kept_epoch}, {score:+.1f} standard errors): {'kept' if keep else 'not kept'}"
            )
        log.info(f"epoch {engine.state.epoch}: {message}")
        if keep:
            self.kept, self.kept_epoch = errors, engine.state.epoch
            with atomic_path(self.filename) as tmp:
                torch.save({k: v.detach().cpu() for k, v in self.network.state_dict().items()}, tmp)

"""Stop training when a wall-clock budget is spent (equal-budget comparisons, shared machines)."""

from __future__ import annotations

import logging
import time

from ignite.engine import Engine, Events

__all__ = ["TimeBudget"]


class TimeBudget:
    """Terminate the trainer at the first iteration that ends after ``seconds`` of this run.

    The current epoch stops there; checkpoints of completed epochs are kept, so a resumed run
    continues from the last one. ``seconds=None`` disables the budget.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.start = 0.0

    def attach(self, engine: Engine) -> None:
        if self.seconds is None:
            return
        engine.add_event_handler(Events.STARTED, self._start)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self._check)

    def _start(self, engine: Engine) -> None:
        self.start = time.monotonic()

    def _check(self, engine: Engine) -> None:
        if time.monotonic() - self.start > self.seconds:
            logging.getLogger(__name__).info(
                f"time budget of {self.seconds:.0f} s spent at epoch {engine.state.epoch}: stopping."
            )
            engine.terminate()

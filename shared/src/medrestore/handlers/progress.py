"""One progress line per restored file: index, source, output, shape and seconds."""

from __future__ import annotations

import time

from ignite.engine import Engine, Events

__all__ = ["ProgressHandler"]


class ProgressHandler:
    """Print ``[i/n] <source> -> <output> (<shape>, <s> s)`` after each inference iteration
    (batch size 1: one file, a 3D volume included), and the total at the end.

    Args:
        key: output key whose metadata names the source file; ``<key>_path`` holds the written
            file (:class:`medrestore.io.SaveImageExclusived`). Defaults to ``"pred"``.
    """

    def __init__(self, key: str = "pred") -> None:
        self.key = key
        self._start = self._begin = 0.0

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.STARTED, self._started)
        engine.add_event_handler(Events.ITERATION_STARTED, self._tick)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self._report)
        engine.add_event_handler(Events.COMPLETED, self._completed)

    def _started(self, engine: Engine) -> None:
        self._begin = time.perf_counter()

    def _tick(self, engine: Engine) -> None:
        self._start = time.perf_counter()

    def _report(self, engine: Engine) -> None:
        seconds = time.perf_counter() - self._start
        total = engine.state.epoch_length or "?"
        for item in engine.state.output or []:
            pred = item.get(self.key)
            meta = getattr(pred, "meta", {}) or {}
            source = meta.get("filename_or_obj", "?")
            shape = "x".join(str(int(s)) for s in tuple(getattr(pred, "shape", ()))[1:])
            print(
                f"[{engine.state.iteration}/{total}] {source} -> {item.get(f'{self.key}_path', '?')} ({shape}, {seconds:.2f} s)",
                flush=True,
            )

    def _completed(self, engine: Engine) -> None:
        print(f"restored {engine.state.iteration} file(s) in {time.perf_counter() - self._begin:.1f} s", flush=True)

"""Failed runs end with one line a person can act on; the tracebacks go to a log file.

``python -m monai.bundle run`` wraps every failure in MONAI's "Failed to evaluate/instantiate"
errors, so a bad input used to print hundreds of lines ending in a generic message. Each bundle's
``initialize`` calls :func:`report_failures` first: an uncaught exception then prints the full chain
to a log file only (or to the terminal with ``MEDRESTORE_DEBUG=1``), and the last line on stderr is
the cause itself, e.g. ``error: ImageInputError: /data/a.nii.gz: 12 of 4096 voxels are NaN...``.
"""

from __future__ import annotations

import datetime
import logging
import os
import sys
import tempfile
import traceback

__all__ = ["DEBUG_ENV", "report_failures", "root_cause"]

DEBUG_ENV = "MEDRESTORE_DEBUG"
# messages of MONAI's config wrappers: they hide the cause, never are it
_WRAPPERS = ("Failed to evaluate", "Failed to instantiate", "Component to instantiate must", "applying transform")


def root_cause(err: BaseException) -> BaseException:
    """The most informative exception of a chain: the outermost one that is not a MONAI config
    wrapper (the project's own errors re-raise library errors ``from`` them, so the outermost
    non-wrapper is the one naming the file and the cause); the innermost if all are wrappers."""
    chain, seen = [], set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        chain.append(err)
        err = err.__cause__ or err.__context__
    for candidate in chain:
        if not str(candidate).startswith(_WRAPPERS):
            return candidate
    return chain[-1]


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or "(no message)"
    if isinstance(err, KeyError) and text.startswith(("'", '"')):
        text = text[1:-1]
    return f"{type(err).__name__}: {text}"


def _debug() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def _append(path: str, text: str) -> bool:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a") as f:
            f.write(text if text.endswith("\n") else text + "\n")
    except OSError:
        return False
    return True


def _move_tracebacks_to(log_path: str) -> None:
    """Log records keep their message but their traceback (``exc_info``) goes to the log file, for
    every logger, also those created later (MONAI's ``StatsHandler`` logs each exception with its
    traceback before re-raising it): done in the record factory, so no handler needs a filter."""
    make_record = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = make_record(*args, **kwargs)
        if record.exc_info and not _debug():
            _append(log_path, logging.Formatter().formatException(record.exc_info))
            record.msg, record.args = f"{record.getMessage()} (traceback in {log_path})", ()
            record.exc_info = record.exc_text = None
        return record

    logging.setLogRecordFactory(factory)


def report_failures(name: str = "medrestore", log_dir: str | None = None) -> str:
    """Install a ``sys.excepthook`` for the rest of this process: an uncaught exception writes its
    full traceback to ``<log_dir>/<name>-error-<time>-<pid>.log`` (default: the system temporary
    folder) and prints two lines, where to find it and ``error: <cause>`` (:func:`root_cause`).
    Tracebacks that handlers log on the way (MONAI's ``StatsHandler``) go to the same file. With
    ``MEDRESTORE_DEBUG=1`` every traceback is printed as usual, too. Returns the log path."""
    folder = log_dir or tempfile.gettempdir()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_path = os.path.join(folder, f"{name}-error-{stamp}-{os.getpid()}.log")

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        if _debug():
            sys.stderr.write(text)
        if _append(log_path, text):
            where = f"full traceback in {log_path}; set {DEBUG_ENV}=1 to print it"
        else:
            where = f"set {DEBUG_ENV}=1 to print the traceback"
        sys.stderr.write(f"{name}: run failed ({where})\n")
        sys.stderr.write(f"error: {_one_line(root_cause(exc))}\n")
        sys.stderr.flush()

    sys.excepthook = hook
    _move_tracebacks_to(log_path)
    return log_path

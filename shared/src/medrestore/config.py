"""Values from the ``monai.bundle`` command line, where ``--overwrite false`` arrives as the string
``"false"`` (fire converts only ``True``/``False``), which Python would take as true."""

from __future__ import annotations

__all__ = ["as_flag"]

_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "none", "")


def as_flag(value, name: str = "flag") -> bool:
    """``value`` as a bool: a bool, an int 0/1, or one of ``true/false, yes/no, on/off, 1/0`` in any
    case. Anything else raises ``ValueError`` naming the option, instead of counting as true."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"--{name} must be true or false, got {value!r}.")

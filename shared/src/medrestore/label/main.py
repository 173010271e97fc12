"""Entry point that ``monailabel start_server --app <this folder>`` looks for (``main.py`` defining a
``MONAILabelApp`` subclass)."""

from medrestore.label.app import RestorationLabelApp

__all__ = ["RestorationLabelApp"]

"""Command-line entry points (``fire``)."""

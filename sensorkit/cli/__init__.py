"""Command-line entry points; see :mod:`.main`."""

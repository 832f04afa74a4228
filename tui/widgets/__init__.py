"""Widgets of the terminal app: bar charts, the hour strip, the live state panel."""

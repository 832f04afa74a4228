"""The app's stylesheets ship with it: every .tcss under tui/ is package data of a listed package.

Textual reads the .tcss files at run time, so one left out of ``[tool.setuptools.package-data]``
works from a checkout and fails only after ``pip install .`` (checked by hand in a fresh venv).
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_stylesheet_is_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    sheets = sorted((ROOT / "tui").rglob("*.tcss"))
    assert len(sheets) >= 4  # app, day, days, live
    for sheet in sheets:
        package = ".".join(["sensorkit", "tui", *sheet.parent.relative_to(ROOT / "tui").parts])
        assert package in config["packages"], sheet
        patterns = config["package-data"].get(package, [])
        assert any(fnmatch.fnmatch(sheet.name, p) for p in patterns), f"{sheet} is not package data"

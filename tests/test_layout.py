"""The packaging facts of ../shared/design/layout.md, pinned so a new folder cannot break them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)


def test_stdlib_signal_is_not_shadowed_from_the_root() -> None:
    result = run("import signal; signal.SIGINT", ROOT)
    assert result.returncode == 0, result.stderr


def test_no_init_at_the_three_namespace_tops() -> None:
    for top in ("sensorkit", "signal", "tui"):
        assert not (ROOT / top / "__init__.py").exists(), f"{top}/__init__.py breaks the layout"


def test_sensorkit_signal_imports_from_anywhere(tmp_path: Path) -> None:
    result = run("import sensorkit.signal, sensorkit.tui, sensorkit.store", tmp_path)
    assert result.returncode == 0, result.stderr


def test_pytest_runs_from_the_root_both_ways() -> None:
    for cmd in ([sys.executable, "-m", "pytest"], ["pytest"]):
        result = subprocess.run(
            [*cmd, "-q", "--co", "tests/test_layout.py"], cwd=ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_code_folder_is_a_declared_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    declared = set(config["packages"])
    mapping = {folder: name for name, folder in config["package-dir"].items()}
    found = set()
    for top, name in mapping.items():
        for py in (ROOT / top).rglob("*.py"):
            rel = py.parent.relative_to(ROOT / top)
            found.add(".".join([name, *rel.parts]))
    missing = {p for p in found if "__pycache__" not in p} - declared
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"

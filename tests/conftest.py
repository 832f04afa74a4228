"""Shared test fixtures: where the real recordings live, and the rule for when they are missing.

On a user's fresh machine ``../shared/data`` does not exist: tests that need it skip with the reason.
In CI (``CI`` set) it must exist, so a missing folder fails loudly rather than skipping silently.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SENSORKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real labelled recordings, or a skip (fail in CI) when it is absent."""
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    if os.environ.get("CI"):
        pytest.fail(f"CI must have the real recordings at {SHARED_DATA}")
    pytest.skip(f"real recordings not found at {SHARED_DATA} (they sit beside the checkout in CI)")


@pytest.fixture(scope="session")
def validation_script() -> Callable[[str], ModuleType]:
    """Load a script of validation/ by name, so a test runs a few trials of what is run there by hand."""
    loaded: dict[str, ModuleType] = {}

    def load(name: str) -> ModuleType:
        if name not in loaded:
            spec = importlib.util.spec_from_file_location(f"validation_{name}", ROOT / "validation" / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # its dataclasses look their module up there
            spec.loader.exec_module(module)
            loaded[name] = module
        return loaded[name]

    return load


@pytest.fixture(scope="session")
def patients_folder() -> Callable[[Path, dict[str, list[str]], int], None]:
    """Writes short simulated recordings into ``root/PATIENT/``, one per start time (UTC ISO), named by
    the start's first ``name_chars`` characters: a therapist's folder for the trends, --jobs and cohort tests."""
    from sensorkit.simulator import save_simulation, simulate

    def write(root: Path, starts: dict[str, list[str]], name_chars: int) -> None:
        seed = 0
        for patient, times in starts.items():
            (root / patient).mkdir()
            for start in times:
                seed += 1
                sim = simulate("demo", seed, duration_s=90, rate_hz=50)
                sim.meta = sim.meta.with_changes(start_time=start, patient_id=patient)
                save_simulation(sim, root / patient / f"{start[:name_chars].replace(':', '')}.skr")

    return write


@pytest.fixture(autouse=True)
def computer_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs on a computer set to UTC (``TZ``), so local days do not depend on the developer's
    zone; a test that wants another zone says so with ``--tz``, a profile or its own ``TZ``."""
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture(autouse=True)
def own_user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test has empty data and config folders of its own (platformdirs reads XDG_* on Linux), so a
    developer's default profile never changes a result and no test writes into their home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))

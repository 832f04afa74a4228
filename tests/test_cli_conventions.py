"""Command-line conventions (issue 16): --version, python -m sensorkit, global options anywhere, -v/-q,
and validation scripts that say in one line when the real recordings are missing."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from sensorkit.cli.main import build_parser, main
from sensorkit.errors import RecordingError


def test_version_is_the_installed_distributions(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"sensorkit {version('sensorkit')}"


def test_python_dash_m_sensorkit_is_the_sensorkit_command(tmp_path) -> None:
    # From another folder, so it is the installed package that runs (sensorkit/ is a namespace package).
    run = subprocess.run([sys.executable, "-m", "sensorkit", "--help"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("usage: sensorkit ")
    missing = tmp_path / "missing.skr"
    run = subprocess.run([sys.executable, "-m", "sensorkit", "info", str(missing)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and run.stderr == f"sensorkit: error: no recording at {missing}\n"


@pytest.mark.parametrize("argv", [["--debug", "info", "X"], ["info", "X", "--debug"], ["info", "--debug", "X"]])
def test_debug_is_accepted_before_or_after_the_command(argv, tmp_path, capsys) -> None:
    argv = [str(tmp_path / "missing.skr") if a == "X" else a for a in argv]
    with pytest.raises(RecordingError):  # --debug: the error itself, with its traceback
        main(argv)
    assert main([a for a in argv if a != "--debug"]) == 1  # without: one sentence
    assert capsys.readouterr().err.startswith("sensorkit: error: no recording at ")


def test_global_options_after_the_command_override_only_when_given() -> None:
    parser = build_parser()
    assert parser.parse_args(["--debug", "info", "r.skr"]).debug is True  # not reset by the command's copy
    assert parser.parse_args(["info", "r.skr"]).debug is False
    args = parser.parse_args(["-q", "info", "r.skr", "-vv"])
    assert args.quiet is True and args.verbose == 2
    assert parser.parse_args(["demo", "--quiet"]).quiet is True  # the demo's own --quiet is the global one


@pytest.mark.parametrize("flags,level", [([], logging.WARNING), (["-v"], logging.INFO), (["-vv"], logging.DEBUG),
                                          (["-q"], logging.ERROR)])
def test_verbosity_sets_the_log_level(flags, level, tmp_path, capsys) -> None:
    root = logging.getLogger()
    before = root.level
    try:
        main(["info", str(tmp_path / "missing.skr"), *flags])
        assert root.level == level
    finally:
        root.setLevel(before)


@pytest.mark.parametrize("script", ["posture.py", "wear.py", "gait.py", "import_real.py"])
def test_validation_scripts_without_the_real_recordings_say_so_in_one_line(script, tmp_path, monkeypatch) -> None:
    """A clone with no ../shared/data beside it: one sentence and status 1, not a traceback."""
    root = Path(__file__).resolve().parents[1]
    clone = tmp_path / "clone" / "validation"
    clone.mkdir(parents=True)
    shutil.copy(root / "validation" / script, clone / script)
    monkeypatch.delenv("SENSORKIT_SHARED_DATA", raising=False)
    run = subprocess.run([sys.executable, str(clone / script)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == (f"real recordings not found at {tmp_path / 'shared' / 'data'}: put the public datasets "
                          "there or set SENSORKIT_SHARED_DATA to their folder (see the README, Set up)\n")

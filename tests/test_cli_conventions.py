"""Command-line conventions (issue 16): --version, python -m sensorkit, global options anywhere, -v/-q,
and validation scripts that say in one line when the real recordings are missing."""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from sensorkit.cli.main import COMMANDS, build_parser, main
from sensorkit.errors import RecordingError


def test_version_is_the_installed_distributions(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"sensorkit {version('sensorkit')}"


def test_python_dash_m_sensorkit_is_the_sensorkit_command(tmp_path) -> None:
    # From another folder, so it is the installed package that runs (sensorkit/ is a namespace package).
    run = subprocess.run([sys.executable, "-m", "sensorkit", "--help"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0 and run.stdout.startswith("usage: sensorkit ")
    missing = tmp_path / "missing.skr"
    run = subprocess.run([sys.executable, "-m", "sensorkit", "info", str(missing)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
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
                         timeout=600)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == (f"real recordings not found at {tmp_path / 'shared' / 'data'}: put the public datasets "
                          "there or set SENSORKIT_SHARED_DATA to their folder (see the README, Set up)\n")


def _modules_loaded_by(argv: list[str]) -> set[str]:
    """Top-level packages, and SensorKit's command and signal-core modules, imported by running ``sensorkit ARGV``
    in a fresh interpreter."""
    code = ("import sys\nfrom sensorkit.cli.main import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n"
            "    pass\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules} | "
            "{m for m in sys.modules if m.startswith(('sensorkit.cli.', 'sensorkit.signal'))})))")
    run = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return set(run.stdout.split("\n")[-2].split())


def test_the_command_list_imports_no_command_and_no_heavy_package() -> None:
    loaded = _modules_loaded_by(["--help"])
    assert not loaded & {"numpy", "scipy", "pandas", "bumble", "textual", "bleak", "pyarrow"}
    assert not {m for m in loaded if m.startswith("sensorkit.cli.")} - {"sensorkit.cli.main"}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_commands_help_waits_for_no_heavy_package(command) -> None:
    """pandas, SciPy, Bumble, Textual, matplotlib and Dask are imported where used, not to describe the options."""
    heavy = {"scipy", "pandas", "bumble", "textual", "pyarrow", "matplotlib", "dask", "distributed"}
    assert not _modules_loaded_by([command, "--help"]) & heavy


def test_analyze_help_waits_for_no_signal_core() -> None:
    """The signal core (alignment, profile, saved analyses: a tenth of a second warm, a second cold) is imported
    when a recording is analysed, not to describe the options."""
    assert not {m for m in _modules_loaded_by(["analyze", "--help"]) if m.startswith("sensorkit.signal")}


def test_a_command_imports_only_its_own_module() -> None:
    loaded = _modules_loaded_by(["info", "--help"])
    assert {m for m in loaded if m.startswith("sensorkit.cli.")} == {"sensorkit.cli.main", "sensorkit.cli.info"}


def test_every_listed_command_is_registered_by_its_module_under_that_name(capsys) -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(commands.choices) == list(COMMANDS)
    assert {a.dest: a.help for a in commands._choices_actions} == {k: v[1] for k, v in COMMANDS.items()}
    with pytest.raises(SystemExit):
        main(["--help"])
    listing = capsys.readouterr().out
    assert all(f"    {name} " in listing for name in COMMANDS)


def test_an_unknown_command_is_a_usage_error_listing_the_commands(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["analyse", "x.skr"])
    assert exit_.value.code == 2
    assert "invalid choice: 'analyse' (choose from " in capsys.readouterr().err


def _sensorkit_without_bumble(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``sensorkit ARGV`` as installed without the emulation extra (Bumble cannot be imported)."""
    code = ("import sys\nsys.modules['bumble'] = None\nfrom sensorkit.cli.main import main\n"
            "status = main(sys.argv[1:])\nassert 'bumble' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]"
            "\nsys.exit(status)")
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("argv", [["demo", "-o", "d.skr"], ["record", "--emulate", "polar", "-o", "r.skr"],
                                  ["scan", "--emulate", "sensorkit"]])
def test_emulation_without_its_extra_is_one_sentence_naming_it(argv, tmp_path) -> None:
    run = _sensorkit_without_bumble(argv, tmp_path)
    assert run.returncode == 1 and run.stdout == "" and list(tmp_path.iterdir()) == []
    assert run.stderr == ("sensorkit: error: emulated sensors need Bumble, which is not installed: pip install "
                          "'sensorkit[emulation]' (or -e \".[emulation]\" in a clone)\n")


def test_without_the_emulation_extra_simulate_and_analyze_work(tmp_path) -> None:
    made = _sensorkit_without_bumble(["simulate", "--scenario", "office", "--duration", "120", "-o", "s.skr"],
                                     tmp_path)
    assert made.returncode == 0, made.stderr
    run = _sensorkit_without_bumble(["analyze", "--json", "--no-gait", "s.skr"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert '"samples":12000' in run.stdout


def test_without_the_emulation_extra_a_real_sensor_is_tried_without_bumble(tmp_path) -> None:
    """`record --device` goes to bleak's platform backend; here (no adapter, or no such sensor) it fails in one
    sentence, and Bumble was never imported (the helper asserts it)."""
    run = _sensorkit_without_bumble(["record", "--device", "NoSuchSensor-0000", "--duration", "1", "-o", "r.skr"],
                                    tmp_path)
    assert run.returncode == 1 and run.stderr.startswith("sensorkit: error: ") and run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr and not (tmp_path / "r.skr").exists()

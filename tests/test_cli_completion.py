"""Shell completion (issue 16): `sensorkit completion SHELL` prints a script that completes every command,
option and path, although `sensorkit` itself registers its commands lazily."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sensorkit.cli.main import COMMANDS

SENSORKIT = [sys.executable, "-m", "sensorkit"]


def script(shell: str) -> str:
    run = subprocess.run([*SENSORKIT, "completion", shell], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory) -> Path:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    path = tmp_path_factory.mktemp("completion") / "sensorkit.bash"
    path.write_text(script("bash"))
    return path


def complete_in_bash(bash_script: Path, line: str, cwd: Path) -> list[str]:
    """What bash offers for TAB at the end of ``line`` (a word may be empty: ``line`` ending in a space)."""
    words = line.split(" ")
    command = (f"source {bash_script}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
               f"COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; COMP_POINT={len(line)}; _shtab_sensorkit; "
               'printf "%s\\n" "${COMPREPLY[@]}"')
    run = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return sorted(filter(None, run.stdout.split("\n")))


def test_bash_completes_command_names_from_the_lazy_table(bash_script, tmp_path) -> None:
    assert complete_in_bash(bash_script, "sensorkit ", tmp_path) == sorted(COMMANDS)
    assert complete_in_bash(bash_script, "sensorkit an", tmp_path) == ["analyze"]


def test_bash_completes_a_commands_own_and_global_options(bash_script, tmp_path) -> None:
    assert complete_in_bash(bash_script, "sensorkit analyze --no-", tmp_path) == ["--no-gait"]
    assert complete_in_bash(bash_script, "sensorkit info --de", tmp_path) == ["--debug"]
    assert complete_in_bash(bash_script, "sensorkit completion z", tmp_path) == ["zsh"]


def test_bash_completes_recordings_and_folders_as_paths(bash_script, tmp_path) -> None:
    (tmp_path / "monday.skr").write_bytes(b"")
    (tmp_path / "patients").mkdir()
    assert complete_in_bash(bash_script, "sensorkit info mo", tmp_path) == ["monday.skr"]
    assert complete_in_bash(bash_script, "sensorkit analyze --profile mo", tmp_path) == ["monday.skr"]
    assert complete_in_bash(bash_script, "sensorkit trends pa", tmp_path) == ["patients"]
    assert complete_in_bash(bash_script, "sensorkit trends mo", tmp_path) == []  # a folder, not a file


def test_zsh_script_is_valid_and_lists_each_commands_summary() -> None:
    text = script("zsh")
    assert text.startswith("#compdef sensorkit")
    for name, (_, summary) in COMMANDS.items():  # quoted differently by shtab's versions: the first word
        assert re.search(rf"\b{name}:'?{re.escape(summary.split()[0])} ", text), name
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed: the script's syntax was not checked")
    run = subprocess.run(["zsh", "-n"], input=text, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr


def test_an_unknown_shell_is_a_usage_error() -> None:
    run = subprocess.run([*SENSORKIT, "completion", "cmd.exe"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 2 and "invalid choice: 'cmd.exe'" in run.stderr

"""The READMEs name only what exists (issue 16: 19 stale statements): every repository path, every test named,
and every option shown after `sensorkit COMMAND` is real. Figures are not checked here: each names its command."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from sensorkit.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
READMES = sorted(p.relative_to(ROOT) for p in ROOT.glob("**/README.md")
                 if not {".venv", ".pytest_cache", "node_modules"} & set(p.parts))
TOP_FOLDERS = r"(?:tests|validation|benchmarks|sensorkit|signal|tui|firmware-protocol|sample-data|\.ci)"
PATH = re.compile(rf"(?<![\w/~.-]){TOP_FOLDERS}/[\w./*-]*[\w*]")  # a * is a glob: it must match something
TEST_NAME = re.compile(r"(?<![\w/])(test_[a-z0-9_]+)(?![\w.])")
COMMAND = re.compile(r"sensorkit ([a-z]+)((?: [^`#|;]*)?)")
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def _options(parser: argparse.ArgumentParser) -> set[str]:
    found = {"-h", "--help"}
    for action in parser._actions:
        found |= set(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                found |= _options(command)
    return found


@pytest.fixture(scope="module")
def commands() -> dict[str, set[str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: _options(command) for name, command in sub.choices.items()}


@pytest.mark.parametrize("readme", READMES, ids=str)
def test_every_path_named_exists(readme: Path) -> None:
    text = (ROOT / readme).read_text(encoding="utf-8")
    missing = {p for p in PATH.findall(text) if not any(base.glob(p) for base in (ROOT, ROOT / readme.parent))}
    assert not missing, f"{readme} names paths that do not exist: {sorted(missing)}"


@pytest.mark.parametrize("readme", READMES, ids=str)
def test_every_test_named_exists(readme: Path) -> None:
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("**/*.py"))
    names = set(TEST_NAME.findall((ROOT / readme).read_text(encoding="utf-8")))
    missing = {n for n in names if f"def {n}(" not in tests and not (ROOT / "tests" / f"{n}.py").exists()}
    assert not missing, f"{readme} names tests that do not exist: {sorted(missing)}"


@pytest.mark.parametrize("readme", READMES, ids=str)
def test_every_option_shown_is_the_commands(readme: Path, commands: dict[str, set[str]]) -> None:
    wrong = []
    for line in (ROOT / readme).read_text(encoding="utf-8").splitlines():
        for name, rest in COMMAND.findall(line):
            if name in commands:
                wrong += [f"sensorkit {name} {o}" for o in OPTION.findall(rest) if o not in commands[name]]
    assert not wrong, f"{readme} shows options the commands do not have: {wrong}"

"""`--jobs N` (issue 13): analyze and trends in a process pool give what one process gives, in the same order."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from sensorkit.cli.main import main
from sensorkit.parallel import ProgressBar, map_in_order

STARTS = {"P1": ["2026-11-02T09:00:00Z", "2026-11-03T09:00:00Z", "2026-11-10T09:00:00Z"],
          "P2": ["2026-11-02T13:00:00Z", "2026-11-12T08:00:00Z"]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, patients_folder) -> Path:
    """Two patients' short recordings, a file that is not a recording and one that is corrupt."""
    root = tmp_path_factory.mktemp("jobs")
    patients_folder(root, STARTS, 10)
    (root / "P2" / "broken.skr").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    return root


def recordings(root: Path) -> list[str]:
    return sorted(str(p) for p in root.glob("*/*.skr"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_analyze_jobs_2_prints_what_jobs_1_prints_in_input_order(folder: Path, capsys) -> None:
    inputs = recordings(folder)
    one = run(capsys, "analyze", *inputs, "--json", "--jobs", "1")
    two = run(capsys, "analyze", *inputs, "--json", "--jobs", "2")
    assert one == two
    status, out, err = two
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["recording"]["path"] for d in docs] == inputs
    broken = [d for d in docs if "error" in d]
    assert [d["recording"]["path"] for d in broken] == [str(folder / "P2" / "broken.skr")]
    assert status == 1 and f"{folder / 'P2' / 'broken.skr'}:" in err  # the rest were analysed all the same
    assert sum(d["summary"]["total"]["bends"]["count"] for d in docs if "summary" in d) > 0


def test_analyze_readable_output_is_the_same_with_a_pool(folder: Path, capsys) -> None:
    inputs = recordings(folder)[:3]
    assert run(capsys, "analyze", *inputs, "--jobs", "1") == run(capsys, "analyze", *inputs, "-j", "3")


def test_trends_jobs_2_gives_the_same_document_and_reuses_saved_analyses(folder: Path, tmp_path: Path, capsys) -> None:
    one = run(capsys, "trends", str(folder), "--json", "--jobs", "1")
    two = run(capsys, "trends", str(folder), "--json", "--jobs", "2")
    assert one == two and one[0] == 0
    doc = json.loads(one[1])
    assert {f["source"] for f in doc["files"]} == {"analysed", "skipped"}
    assert sum(len(p["days"]) for p in doc["patients"]) == 5

    saved = tmp_path / "saved"  # a copy whose recordings hold a saved analysis
    for rec in recordings(folder):
        (saved / Path(rec).parent.name).mkdir(parents=True, exist_ok=True)
        (saved / Path(rec).parent.name / Path(rec).name).write_bytes(Path(rec).read_bytes())
    assert run(capsys, "analyze", *recordings(saved), "--save", "--jobs", "2")[0] == 1  # broken.skr cannot be
    reused = json.loads(run(capsys, "trends", str(saved), "--json", "--jobs", "2")[1])
    assert sorted(f["source"] for f in reused["files"]) == ["skipped"] + ["stored"] * 5
    assert reused["patients"] == doc["patients"]


def test_bad_jobs_is_a_usage_error(folder: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["trends", str(folder), "--jobs", "0"])
    assert exit_.value.code == 2 and "'0' is not a whole number of processes" in capsys.readouterr().err


def _pid(_: int) -> int:
    return os.getpid()


def _fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three")
    return n * n


def test_map_in_order_uses_other_processes_and_keeps_the_order() -> None:
    assert list(map_in_order(_fail_on_three, [5, 1, 4, 2], jobs=2)) == [25, 1, 16, 4]
    assert os.getpid() not in set(map_in_order(_pid, range(4), jobs=2))
    assert set(map_in_order(_pid, range(3), jobs=1)) == {os.getpid()}
    results = map_in_order(_fail_on_three, [1, 3, 2], jobs=2)
    assert next(results) == 1
    with pytest.raises(ValueError, match="three"):
        next(results)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only() -> None:
    seen: list[tuple[int, int]] = []
    list(map_in_order(_fail_on_three, [1, 2, 4, 5], jobs=2, progress=lambda done, total: seen.append((done, total))))
    assert seen[-1] == (4, 4) and [d for d, _ in seen] == sorted(d for d, _ in seen)

    screen, pipe = Terminal(), io.StringIO()
    for stream in (screen, pipe):
        bar = ProgressBar("trends", stream)
        bar(1, 4)
        bar(4, 4)
        bar.close()
    assert "trends [######------------------] 1/4 recordings" in screen.getvalue()
    assert "[########################] 4/4" in screen.getvalue() and screen.getvalue().endswith("\r\033[K")
    assert pipe.getvalue() == ""

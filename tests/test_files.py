"""files.replacing_folder: a folder written new then renamed, so a failure at any step keeps the old one whole."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sensorkit.errors import SensorKitError
from sensorkit.files import replacing_folder


def old_dataset(tmp_path: Path) -> Path:
    target = tmp_path / "days.parquet"
    (target / "patient=P1").mkdir(parents=True)
    (target / "patient=P1" / "part-0.parquet").write_text("old rows")
    return target


def beside(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir())


def test_the_new_folder_replaces_the_old_private_and_nothing_is_left_beside(tmp_path: Path) -> None:
    target = old_dataset(tmp_path)
    with replacing_folder(target, overwrite=True) as new:
        (new / "patient=P2").mkdir()
        (new / "patient=P2" / "part-0.parquet").write_text("new rows")
        assert (target / "patient=P1" / "part-0.parquet").read_text() == "old rows"  # old until the end
    assert [p.relative_to(target).as_posix() for p in sorted(target.rglob("*"))] == [
        "patient=P2", "patient=P2/part-0.parquet"]
    assert beside(target) == ["days.parquet"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert stat.S_IMODE((target / "patient=P2").stat().st_mode) == 0o700
    assert stat.S_IMODE((target / "patient=P2" / "part-0.parquet").stat().st_mode) == 0o600


def test_a_failure_while_writing_keeps_the_old_folder(tmp_path: Path) -> None:
    target = old_dataset(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with replacing_folder(target, overwrite=True) as new:
            (new / "half.parquet").write_text("half")
            raise KeyboardInterrupt
    assert (target / "patient=P1" / "part-0.parquet").read_text() == "old rows"
    assert beside(target) == ["days.parquet"]


def into_place_fails(src: str, target: Path) -> OSError | None:
    """The old folder moves aside, then the new one cannot take its place."""
    return OSError(28, "No space left on device", src) if Path(src).name.endswith(".part") else None


def aside_fails(src: str, target: Path) -> OSError | None:
    """The old folder cannot be moved aside (permissions)."""
    return OSError(13, "Permission denied", src) if Path(src) == target else None


@pytest.mark.parametrize("failure", [into_place_fails, aside_fails], ids=["into place", "aside"])
def test_a_failed_rename_keeps_the_old_folder_and_leaves_nothing_beside(tmp_path: Path, monkeypatch, failure) -> None:
    target = old_dataset(tmp_path)
    real_rename = os.rename

    def rename(src, dst):
        error = failure(src, target)
        if error:
            raise error
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError):
        with replacing_folder(target, overwrite=True) as new:
            (new / "part-0.parquet").write_text("new rows")
    assert (target / "patient=P1" / "part-0.parquet").read_text() == "old rows"
    assert beside(target) == ["days.parquet"]


def test_a_file_in_the_way_is_replaced_too(tmp_path: Path) -> None:
    target = tmp_path / "days.parquet"
    target.write_text("a single-file dataset")
    with replacing_folder(target, overwrite=True) as new:
        (new / "part-0.parquet").write_text("new rows")
    assert (target / "part-0.parquet").read_text() == "new rows" and beside(target) == ["days.parquet"]


def test_without_overwrite_an_existing_folder_is_refused_also_one_that_appears_meanwhile(tmp_path: Path) -> None:
    target = old_dataset(tmp_path)
    with pytest.raises(SensorKitError, match="already exists"):
        with replacing_folder(target, overwrite=False):
            pytest.fail("the block must not run")
    fresh = tmp_path / "fresh"
    with pytest.raises(SensorKitError, match="already exists"):
        with replacing_folder(fresh, overwrite=False) as new:
            (new / "part-0.parquet").write_text("new rows")
            (fresh / "theirs").mkdir(parents=True)
    assert [p.name for p in fresh.iterdir()] == ["theirs"]
    assert beside(target) == ["days.parquet", "fresh"]

"""Fault injection for the commands that replace files (issue 15, points 3, 4, 10, 12, 13).

kill -9 during import and export, a full disk (``ulimit -f`` in a child process, and a tiny tmpfs
where the tests may mount one), read-only folders (a read-only tmpfs where mounting is allowed, else
an injected EROFS), and the list of ordinary failures that must each give one actionable sentence
rather than "internal error".
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import resource
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pytest

from sensorkit.cli.main import main
from sensorkit.errors import SettingsError
from sensorkit.signal.profile import Profile, dumps_profile, load_profile
from sensorkit.store import RecordingReader
from sensorkit.store.catalog import scan

START = 1_764_900_000.0


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"time": START + np.arange(rows) / 100.0})
    for name in ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"):
        frame[name] = rng.normal(0, 0.5, rows)
    frame.to_csv(path, index=False, float_format="%.6f")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part") or "-wal" in p.name)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def old_recording(tmp_path: Path) -> Path:
    write_csv(tmp_path / "old.csv", 3000)
    assert main(["import", str(tmp_path / "old.csv"), "-o", str(tmp_path / "rec")]) == 0
    return tmp_path / "rec"


def sensorkit_limited(args: list[str], max_bytes: int, cwd: Path) -> subprocess.CompletedProcess:
    """Run sensorkit in a child whose files may not grow beyond ``max_bytes`` (``ulimit -f``).

    Python ignores SIGXFSZ, so a write past the limit fails with EFBIG, as a full disk fails a write.
    """
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "sensorkit.cli", *args], cwd=cwd, preexec_fn=limit,
                          capture_output=True, text=True, timeout=120, env=env)


# -- point 3: a failed re-import leaves the old recording whole ----------------------------------


def test_a_failing_reimport_leaves_the_old_recording_whole(old_recording: Path, tmp_path: Path) -> None:
    # before: the old 3,000-sample recording was deleted first and a 0-sample one was left
    before = digest(old_recording)
    (tmp_path / "bad.csv").write_text("time,acc_x,acc_y,acc_z\n0,zz,1,1\n0.01,1e30,0,1\n")
    assert main(["import", str(tmp_path / "bad.csv"), "-o", str(old_recording), "--force"]) == 1
    assert digest(old_recording) == before and leftovers(tmp_path) == []
    with RecordingReader(old_recording) as reader:
        assert reader.sample_count() == 3000


def test_reimport_replaces_whole_and_private(old_recording: Path, tmp_path: Path) -> None:
    assert mode(old_recording) == 0o600  # point 10: recordings are private
    os.chmod(old_recording, 0o644)
    write_csv(tmp_path / "new.csv", 5000, seed=2)
    assert main(["import", str(tmp_path / "new.csv"), "-o", str(old_recording)]) == 1  # no --force
    assert main(["import", str(tmp_path / "new.csv"), "-o", str(old_recording), "--force"]) == 0
    assert mode(old_recording) == 0o600 and leftovers(tmp_path) == []
    with RecordingReader(old_recording) as reader:
        assert reader.sample_count() == 5000


def test_import_force_will_not_replace_what_is_not_a_recording(tmp_path: Path, capsys) -> None:
    write_csv(tmp_path / "in.csv", 300)
    (tmp_path / "notes.txt").write_text("a patient's notes\n")
    assert main(["import", str(tmp_path / "in.csv"), "-o", str(tmp_path / "notes.txt"), "--force"]) == 1
    assert "will not be replaced" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "a patient's notes\n"


def test_import_force_will_not_replace_a_recording_in_progress(old_recording: Path, tmp_path: Path, capsys) -> None:
    import fcntl

    before = digest(old_recording)
    write_csv(tmp_path / "new.csv", 500, seed=2)
    fd = os.open(old_recording, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running recorder holds
    try:
        assert main(["import", str(tmp_path / "new.csv"), "-o", str(old_recording), "--force"]) == 1
    finally:
        os.close(fd)
    assert "being recorded right now" in capsys.readouterr().err
    assert digest(old_recording) == before and leftovers(tmp_path) == []


def test_import_force_holds_its_temporary_file_locked_from_its_creation_to_its_rename(
        old_recording: Path, tmp_path: Path, monkeypatch) -> None:
    """Another writer of the same name (import/record/simulate --force, analyze --save) first sweeps the
    temporary files killed writes left, taking every unlocked one for such a leftover. Before, the new
    recording's temporary file was unlocked from its creation until the writer opened it, and again from
    the writer's close until the rename: a sweep then deleted the finished import under the rename."""
    from sensorkit.store import replacement
    from sensorkit.store.lock import is_in_progress
    from sensorkit.store.recording import remove_stale_temporaries

    swept, locked_at_rename = [], []
    writer_class, real_replace = replacement.RecordingWriter, os.replace

    def writer(temp, *args, **kwargs):  # the moment after the temporary file is made: a sweep
        swept.extend(remove_stale_temporaries(old_recording))
        return writer_class(temp, *args, **kwargs)

    def replace(source, target):  # the moment before the rename: a sweep, and who holds both files
        if Path(target) == old_recording:
            swept.extend(remove_stale_temporaries(old_recording))
            locked_at_rename.append((is_in_progress(source), is_in_progress(target)))
        real_replace(source, target)

    monkeypatch.setattr(replacement, "RecordingWriter", writer)
    monkeypatch.setattr(os, "replace", replace)
    write_csv(tmp_path / "new.csv", 500, seed=2)
    assert main(["import", str(tmp_path / "new.csv"), "-o", str(old_recording), "--force"]) == 0
    assert swept == [] and locked_at_rename == [(True, True)] and leftovers(tmp_path) == []
    assert not is_in_progress(old_recording)  # released once in place
    with RecordingReader(old_recording) as reader:
        assert reader.sample_count() == 500


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names an open file through /proc (Linux)")
def test_a_temporary_file_removed_before_its_lock_is_taken_fails_the_import_and_keeps_the_old_recording(
        old_recording: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    """Creating a file and locking it are two steps; another writer's sweep between them removed the new,
    still unlocked temporary file, and the import then wrote the recording, by name, into a file it had
    not locked. The lock is kept only while the name still leads to the locked file."""
    import fcntl

    from sensorkit.store.recording import remove_stale_temporaries

    before, real_flock, swept = digest(old_recording), fcntl.flock, []

    def flock(fd, operation):  # a sweep of old_recording's temporaries just before the new one is locked
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".part") and not swept:
            monkeypatch.setattr(fcntl, "flock", real_flock)  # the sweep's own locks are real
            swept.extend(remove_stale_temporaries(old_recording))
        return real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock)
    write_csv(tmp_path / "new.csv", 500, seed=2)
    assert main(["import", str(tmp_path / "new.csv"), "-o", str(old_recording), "--force"]) == 1
    assert len(swept) == 1 and "was removed or replaced by another program" in capsys.readouterr().err
    assert digest(old_recording) == before and leftovers(tmp_path) == []


def test_full_disk_during_reimport_keeps_the_old_recording(old_recording: Path, tmp_path: Path) -> None:
    before = digest(old_recording)
    write_csv(tmp_path / "big.csv", 30_000, seed=2)
    result = sensorkit_limited(["import", "big.csv", "-o", "rec", "--force"], 200_000, tmp_path)
    assert result.returncode == 1, result.stderr
    assert "file-size limit" in result.stderr and "free some space" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert digest(old_recording) == before and leftovers(tmp_path) == []


# -- point 4: exports and profiles are replaced whole, and only when asked --------------------------


def test_export_needs_force_and_replaces_whole(old_recording: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.csv"
    out.write_text("someone else's file\n")
    assert main(["export", str(old_recording), "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err and out.read_text() == "someone else's file\n"
    assert main(["export", str(old_recording), "-o", str(out), "--force"]) == 0
    assert len(pd.read_csv(out)) == 3000 and mode(out) == 0o600 and leftovers(tmp_path) == []


def test_full_disk_during_export_keeps_the_old_export(old_recording: Path, tmp_path: Path) -> None:
    assert main(["export", str(old_recording), "-o", str(tmp_path / "out.csv")]) == 0
    before = digest(tmp_path / "out.csv")
    write_csv(tmp_path / "big.csv", 30_000, seed=2)
    assert main(["import", str(tmp_path / "big.csv"), "-o", str(tmp_path / "big.skr")]) == 0
    result = sensorkit_limited(["export", "big.skr", "-o", "out.csv", "--force"], 400_000, tmp_path)
    assert result.returncode == 1 and "file-size limit" in result.stderr, result.stderr
    assert digest(tmp_path / "out.csv") == before and leftovers(tmp_path) == []


def test_trends_output_needs_force(tmp_path: Path, old_recording: Path, capsys) -> None:
    out = tmp_path / "days.csv"
    out.write_text("keep me\n")
    assert main(["trends", str(tmp_path), "-o", str(out)]) == 1  # refused before any analysis
    assert "already exists" in capsys.readouterr().err and out.read_text() == "keep me\n"


def test_tui_export_picks_a_new_name(tmp_path: Path) -> None:
    from sensorkit.tui.screens.day import free_name

    first = tmp_path / "rec-events.csv"
    assert free_name(first) == first
    first.write_text("earlier export\n")
    (tmp_path / "rec-events-2.csv").write_text("another\n")
    assert free_name(first) == tmp_path / "rec-events-3.csv"


@pytest.fixture(scope="module")
def demo_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sensorkit.simulator import save_simulation, simulate

    path = tmp_path_factory.mktemp("demo") / "demo.skr"
    save_simulation(simulate("demo", seed=2, duration_s=120), path)
    return path


def test_full_disk_during_calibrate_keeps_the_profile(demo_recording: Path, tmp_path: Path) -> None:
    # before: the profile was truncated to 0 bytes and the next analyze silently used defaults
    profile = tmp_path / "p.toml"
    profile.write_text(dumps_profile(Profile(patient={"id": "P007", "height_m": 1.72})))
    before = profile.read_text()
    result = sensorkit_limited(["calibrate", str(demo_recording), "--upright", "1:10", "--profile", "p.toml"],
                               len(before) + 10, tmp_path)
    assert result.returncode == 1 and "file-size limit" in result.stderr, result.stderr
    assert profile.read_text() == before and leftovers(tmp_path) == []
    assert main(["calibrate", str(demo_recording), "--upright", "1:10", "--profile", str(profile)]) == 0
    saved = load_profile(profile)
    assert saved.patient == {"id": "P007", "height_m": 1.72} and saved.calibration is not None
    assert mode(profile) == 0o600


# -- kill -9 during import and export (the 20-trial run: validation/kill_trials.py) ------------------


def test_kill_9_during_import_and_export_loses_nothing(tmp_path: Path, validation_script) -> None:
    """Per command: one kill at a random moment and one while the new file is half written (retried if
    a busy machine polled too late to see the temporary file); the old file or the new one, whole."""
    kt = validation_script("kill_trials")
    rows, rng = 10_000, random.Random(15)
    paths = kt.prepare(tmp_path, rows)
    old_export = paths["old-export.csv"].read_bytes()
    rec, out = tmp_path / "target.skr", tmp_path / "target.csv"
    jobs = [
        (kt.sensorkit("import", str(paths["new.csv"]), "-o", str(rec), "--force"), rec,
         lambda: rec.write_bytes(paths["old.skr"].read_bytes()), lambda: kt.import_outcome(rec, rows)),
        (kt.sensorkit("export", str(paths["new.skr"]), "-o", str(out), "--force"), out,
         lambda: out.write_bytes(old_export), lambda: kt.export_outcome(out, old_export, rows)),
    ]
    for cmd, target, reset, outcome in jobs:
        reset()
        kt.run_and_kill(cmd, target, rng.uniform(0.0, 3.0), after_temp=False)
        assert outcome() in ("old", "new"), cmd
        for _ in range(3):
            reset()
            if kt.run_and_kill(cmd, target, 0.0, after_temp=True):
                break
        else:
            pytest.fail(f"no kill landed while {cmd[3]} was writing in 3 tries")
        assert outcome() == "old", cmd


# -- read-only folders and full disks on a real (tmpfs) filesystem, where mounting is allowed -------


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[callable]:
    mounts: list[Path] = []

    def mount(options: str) -> Path:
        point = Path(tempfile.mkdtemp(dir=tmp_path))
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root in a namespace that allows it): "
                        f"{result.stderr.decode().strip()}")
        mounts.append(point)
        return point

    yield mount
    for point in mounts:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_read_only_folder_gives_one_sentence(mounted, old_recording: Path, demo_recording: Path, capsys) -> None:
    ro = mounted("ro,size=1m")
    cases = [
        ["import", str(old_recording.with_name("old.csv")), "-o", str(ro / "rec")],
        ["export", str(old_recording), "-o", str(ro / "out.csv")],
        ["trends", str(old_recording.parent), "-o", str(ro / "days.csv")],
        ["calibrate", str(demo_recording), "--upright", "1:10", "--profile", str(ro / "p.toml")],
    ]
    for args in cases:
        assert main(args) == 1, args
        err = capsys.readouterr().err
        assert "read-only" in err and "internal error" not in err, (args, err)


def test_full_tmpfs_gives_one_sentence_and_keeps_nothing_half(mounted, tmp_path: Path, capsys) -> None:
    small = mounted("size=64k")
    write_csv(tmp_path / "big.csv", 20_000)
    assert main(["import", str(tmp_path / "big.csv"), "-o", str(small / "rec")]) == 1
    err = capsys.readouterr().err
    assert "disk is full" in err and "internal error" not in err, err
    assert list(small.iterdir()) == []


# -- point 12: ordinary failures, each one sentence that says what to do -----------------------------


@pytest.fixture
def scene(tmp_path: Path, old_recording: Path) -> Path:
    """A folder holding every kind of bad input the ordinary-failure cases below name."""
    import sqlite3

    (tmp_path / "a-folder").mkdir()
    os.mkfifo(tmp_path / "fifo.toml")
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "typo.toml").write_text("[patient]\nheight = 1.72\n")
    (tmp_path / "bad.toml").write_text("[thresholds\n")
    (tmp_path / "notes.txt").write_text("not a recording\n")
    for name, value in (("badmeta.skr", '{"rate_hz": 100}'), ("badjson.skr", "{oops")):
        (tmp_path / name).write_bytes(old_recording.read_bytes())
        with sqlite3.connect(tmp_path / name) as db:
            db.execute("UPDATE meta SET value=? WHERE key='recording'", (value,))
    (tmp_path / "empty.csv").write_text("")
    return tmp_path


ORDINARY_FAILURES = [
    # (arguments, words the one-sentence error must contain); {d} is the scene folder
    (["import", "{d}/old.csv", "-o", "{d}/missing/rec"], "does not exist"),
    (["import", "{d}/old.csv", "-o", "{d}/rec"], "already exists"),
    (["import", "{d}/old.csv", "-o", "{d}/notes.txt", "--force"], "will not be replaced"),
    (["import", "{d}/old.csv", "-o", "{d}/a-folder", "--force"], "not a regular file"),
    (["import", "{d}/fifo.csv", "-o", "{d}/r2"], "not a regular file"),
    (["import", "{d}/empty.csv", "-o", "{d}/r2"], "empty"),
    (["import", "{d}/nothing.csv", "-o", "{d}/r2"], "no CSV or Parquet file"),
    (["import", "{d}/old.csv", "-o", "{d}/r2", "--start", "yesterday"], "ISO 8601"),
    (["export", "{d}/rec", "-o", "{d}/missing/out.csv"], "does not exist"),
    (["export", "{d}/rec", "-o", "{d}/out.txt"], "use a .csv or .parquet name"),
    (["export", "{d}/a-folder", "-o", "{d}/out.csv"], "is a folder"),
    (["export", "{d}/rec", "-o", "{d}/old.csv"], "already exists"),
    (["info", "{d}/badmeta.skr"], "damaged metadata"),
    (["info", "{d}/badjson.skr"], "damaged metadata"),
    (["info", "{d}/notes.txt"], "not a SensorKit recording"),
    (["analyze", "{d}/rec", "--profile", "{d}/a-folder"], "is a folder, not a profile"),
    (["analyze", "{d}/rec", "--profile", "{d}/fifo.toml"], "not a regular file"),
    (["analyze", "{d}/rec", "--profile", "{d}/typo.toml"], "did you mean 'height_m'"),
    (["analyze", "{d}/rec", "--profile", "{d}/bad.toml"], "not valid TOML"),
    (["analyze", "{d}/rec", "--profile", "{d}/none.toml"], "does not exist"),
    (["analyze", "{d}/fifo.csv"], "not a regular file"),
    (["calibrate", "{d}/rec", "--upright", "1:2", "--profile", "{d}/a-folder"], "is a folder, not a profile"),
    (["calibrate", "{d}/rec", "--upright", "1:2", "--profile", "{d}/missing/p.toml"], "does not exist"),
    (["trends", "{d}", "-o", "{d}/missing/days.csv"], "does not exist"),
    (["trends", "{d}/none"], "no folder"),
]


@pytest.mark.parametrize("args, words", ORDINARY_FAILURES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in ORDINARY_FAILURES])
def test_ordinary_failures_get_one_actionable_sentence(scene: Path, args: list[str], words: str, capsys) -> None:
    assert main([a.format(d=scene) for a in args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("sensorkit: error: ") and words in err, err
    assert "internal error" not in err and "Traceback" not in err and "\n" not in err


@pytest.mark.parametrize("rate", ["-5", "0", "nan", "1e9", "fast"])
def test_impossible_rate_is_a_usage_error(tmp_path: Path, rate: str, capsys) -> None:
    write_csv(tmp_path / "in.csv", 100)
    with pytest.raises(SystemExit) as exit_:
        main(["import", str(tmp_path / "in.csv"), "-o", str(tmp_path / "r"), "--rate", rate])
    assert exit_.value.code == 2 and "sampling rate in Hz" in capsys.readouterr().err


@pytest.mark.parametrize("error, words", [
    (OSError(errno.EROFS, "Read-only file system"), "read-only disk"),
    (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
    (OSError(errno.EACCES, "Permission denied"), "permission denied"),
])
def test_os_errors_while_writing_are_mapped(tmp_path: Path, old_recording: Path, monkeypatch, capsys,
                                            error: OSError, words: str) -> None:
    """Where no read-only or full filesystem can be mounted, the mapping is checked with the error injected."""
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(tempfile, "mkstemp", fail)
    assert main(["export", str(old_recording), "-o", str(tmp_path / "out.csv")]) == 1
    err = capsys.readouterr().err
    assert words in err and "internal error" not in err
    assert not (tmp_path / "out.csv").exists()


def test_os_error_escaping_a_command_is_one_sentence(monkeypatch, capsys) -> None:
    import sensorkit.cli.info as info

    def fail(args):
        raise OSError(errno.EIO, "Input/output error", "/data/rec")

    monkeypatch.setattr(info, "run", fail)
    assert main(["info", "x"]) == 1  # main builds the parser per call, so it binds the patched run
    err = capsys.readouterr().err
    assert "input/output error" in err and "/data/rec" in err and "internal error" not in err


# -- point 13: profile keys, FIFOs, symlinks out of a folder ----------------------------------------


@pytest.mark.parametrize("text, words", [
    ("[patient]\nheight = 1.72\n", "unknown key 'height' in [patient]; did you mean 'height_m'?"),
    ("[patient]\npatient_id = 'P1'\n", "in [patient]"),
    ("[calibration]\nrotaton = [[1,0,0],[0,1,0],[0,0,1]]\n", "did you mean 'rotation'?"),
    ("[thresholds]\nslouch_delay = 20\n", "did you mean 'slouch_delay_s'?"),
    ("patient = 'P1'\n", "must be a [patient] section"),
])
def test_unknown_profile_keys_are_refused_with_a_suggestion(tmp_path: Path, text: str, words: str) -> None:
    (tmp_path / "p.toml").write_text(text)
    with pytest.raises(SettingsError) as exc:
        load_profile(tmp_path / "p.toml")
    assert words in str(exc.value)


def test_a_fifo_profile_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.toml")
    write_csv(tmp_path / "in.csv", 300)
    result = subprocess.run([sys.executable, "-m", "sensorkit.cli", "analyze", str(tmp_path / "in.csv"),
                             "--profile", str(tmp_path / "p.toml")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "not a regular file" in result.stderr


def test_folder_listing_does_not_follow_links_out_of_the_folder(tmp_path: Path, old_recording: Path) -> None:
    # before: `trends` read the first bytes of every file under /etc through a link
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "elsewhere.skr").write_bytes(old_recording.read_bytes())
    folder = tmp_path / "patients"
    (folder / "p1").mkdir(parents=True)
    (folder / "p1" / "day1.skr").write_bytes(old_recording.read_bytes())
    (folder / "p1" / "same-day.skr").symlink_to(folder / "p1" / "day1.skr")  # inside: followed
    (folder / "etc").symlink_to("/etc")
    (folder / "p1" / "other.skr").symlink_to(outside / "elsewhere.skr")
    (folder / "p2").symlink_to(outside)
    (folder / "dangling.skr").symlink_to(tmp_path / "gone")
    entries = {e.name: e for e in scan(folder)}
    assert set(entries) == {"p1/day1.skr", "p1/same-day.skr", "etc", "p1/other.skr", "p2", "dangling.skr"}
    assert entries["p1/day1.skr"].readable and entries["p1/same-day.skr"].readable
    for name in ("etc", "p1/other.skr", "p2", "dangling.skr"):
        assert not entries[name].readable and "not followed" in entries[name].error

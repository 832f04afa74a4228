"""kill -9 of `sensorkit record` and of `analyze --save` (issue 15): a few trials of validation/store_faults.py.

The 20-trial run is by hand: ``python validation/store_faults.py --trials 20`` (figures in the README,
"Reliability"). Here one kill of each kind, at the moments that matter most: a recorder killed while
it writes (its file copied alone afterwards), a save killed right as it opens the recording, and a
recording that ends while another process holds it open.
"""

from __future__ import annotations

from pathlib import Path

import pytest



@pytest.fixture(scope="module")
def harness(validation_script):
    return validation_script("store_faults")


@pytest.mark.slow
def test_a_recorder_killed_while_writing_leaves_a_whole_file_alone(harness, tmp_path: Path) -> None:
    outcome = harness.record_trial(tmp_path, kill_after_s=2.5, after_file=True)
    assert outcome.problem == "", outcome.line()
    assert outcome.state == "recording" and outcome.samples > 0
    assert outcome.copy_missing <= 100 and outcome.lag_s <= 1.5


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_s", [0.0, 0.002])
def test_a_save_killed_as_it_writes_keeps_every_sample_and_one_whole_analysis(
    harness, tmp_path: Path, kill_after_s: float
) -> None:
    template = tmp_path / "template.skr"
    samples = harness.make_saved_recording(template)
    (tmp_path / "trial").mkdir()
    outcome = harness.save_trial(tmp_path / "trial", template, samples, kill_after_s, in_save=True)
    assert outcome.problem == "", outcome.line()
    assert outcome.samples == samples and outcome.copy_missing == 0
    # each file holds one whole analysis, old or new ("mid-save": killed inside the save); the copy
    # alone may still hold the old one when the kill came between the commit and its copy into the file
    assert set(outcome.state.replace(" mid-save", "").replace("/copy ", " ").split()) <= {"old", "new"}


@pytest.mark.slow
def test_a_recording_ends_cleanly_while_another_program_holds_it_open(harness, tmp_path: Path) -> None:
    outcome = harness.reader_trial(tmp_path, hold=True)
    assert outcome.problem == "", outcome.line()
    assert outcome.samples == 500

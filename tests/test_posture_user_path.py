"""Issue 9: posture and bending through the user's path (`analyze FILE.csv`: no mounting, sensor frame
as recorded), on subjects held out from the tuning, and on simulated days worn any way round.

Figures for every target are in validation/posture.md (`python validation/posture.py`); these pin them.
"""

from __future__ import annotations

import numpy as np
import pytest

from sensorkit.signal.evaluate import (evaluate_hapt, evaluate_simulation, evaluate_sisfall, evaluate_umafall,
                                       tuning_half)
from sensorkit.signal.forward import Cue, combine


def held_out(number: int) -> bool:
    return not tuning_half(number)


def no_confidently_wrong(checks: list) -> None:
    wrong = [(c.name, round(c.error_deg)) for c in checks if c.confidently_wrong]
    assert not wrong, f"forward claimed known but more than 45 deg off: {wrong}"


@pytest.fixture(scope="module")
def sisfall_held_out(shared_data):
    return evaluate_sisfall(shared_data / "sisfall_waist", codes=("D16", "D15", "D12"), mounting=False,
                            subjects=held_out)


def test_lying_found_in_sit_lie_sit_without_mounting(sisfall_held_out):
    """Forward unknown, a deep lean held 3 s is lying when the trunk turned on the way down
    (``posture.turned_into_lying``), or, judged once the getting-up is over, when the tilt direction
    strayed over the whole excursion or the pelvis accelerated across the plane of the tilt
    (``posture.lay_and_got_up``); all set on the odd subjects (64 / 65 there): measured 57 / 60
    held out (56 / 60 without the across-the-plane cue, 42 / 60 with the first rule alone, 0 / 60
    before issue 9)."""
    lying = sisfall_held_out.lying_s["D12"]
    assert sum(s > 1.0 for s in lying) >= 57
    assert sum(s > 1.0 for s in lying) / len(lying) >= 0.95


@pytest.mark.parametrize("name, relabelled", [(None, False), ("D12_SA03_R03.txt.gz", True), ("D12_SE05_R01.txt.gz", True)])
def test_turned_lying_is_decided_alike_whatever_the_chunking(shared_data, name, relabelled):
    """The lying decisions look back from the moment they are due, never ahead: a sit-lie-sit trial
    fed in small or odd chunks gives the events of one block, lying included. The second and third
    trials' lies are found only when judged whole after the getting-up (the third by the acceleration
    across the plane of the tilt alone): their bends are then never reported."""
    from sensorkit.datasets import sisfall
    from sensorkit.signal.alignment import alignment_for
    from sensorkit.signal.evaluate import as_imported
    from sensorkit.signal.pipeline import Pipeline

    def run(block, meta, alignment, step):
        pipe = Pipeline(meta.rate_hz, alignment, gait=False)
        events = [e for a in range(0, len(block), step) for e in pipe.update(block.slice(a, a + step))]
        return sorted((e.to_json() for e in events + pipe.finish()),
                      key=lambda d: (d["start"], d["type"], d["end"]))

    trials = sisfall.list_trials(shared_data / "sisfall_waist", ("D12",))
    trial = trials[0] if name is None else next(t for t in trials if t.path.name == name)
    block, meta = sisfall.load_trial(trial)
    meta = as_imported(block, meta)
    alignment = alignment_for(block, meta)
    whole = run(block, meta, alignment, len(block))
    assert not alignment.forward_known
    assert any(e["type"] == "posture" and e["posture"] == "lying" for e in whole)
    if relabelled:
        assert not any(e["type"] == "bend" for e in whole)
        assert [e["kind"] for e in whole if e["type"] == "transition"][-2:] == ["stand_to_lie", "lie_to_sit"]
    for step in (37, 200, 1013):
        assert run(block, meta, alignment, step) == whole, step


def test_lying_down_without_forward_raises_no_bend_alert_while_it_lasts(shared_data):
    """Forward unknown, a lean past the lying angle may be lying down: it is judged when final, so a
    severe-bend alert never comes while the trunk is still down (before: at once, on every lie-down)."""
    from sensorkit.datasets import sisfall
    from sensorkit.signal.evaluate import as_imported
    from sensorkit.signal.pipeline import analyze

    for trial in sisfall.list_trials(shared_data / "sisfall_waist", ("D12",))[:10]:
        block, meta = sisfall.load_trial(trial)
        result = analyze(block, as_imported(block, meta), gait=False)
        assert not result.alignment.forward_known
        bends = [e for e in result.events if e.type == "bend"]
        for alert in (e for e in result.events if e.type == "alert"):
            bend = min(bends, key=lambda b: abs(b.start - alert.fields["bend_start"]))
            assert alert.start >= bend.end, trial.path.name


def test_stoops_found_without_mounting(sisfall_held_out):
    """Measured 59 / 60 held out: the two stoops the lying rules took for lying (the turned-lying
    rule, 57 / 60) went past horizontal, head below the hips, where no lie settles
    (``posture.settled_like_lying``); the one miss tilts under the bend start."""
    assert sisfall_held_out.with_bend["D16"] >= 59
    assert sisfall_held_out.with_bend["D16"] / sisfall_held_out.trials["D16"] >= 0.95


def test_a_lean_past_horizontal_is_not_lying():
    """Forward unknown, lying settles near horizontal; a deep lean beyond LYING_MAX_DEG (hips above
    the head) or short of TURNED_LYING_DEG is not lying, whatever the tilt direction did."""
    from sensorkit.signal.posture import LYING_MAX_DEG, TURNED_LYING_DEG, settled_like_lying

    assert settled_like_lying(np.full(50, 85.0))
    assert settled_like_lying(np.array([TURNED_LYING_DEG, LYING_MAX_DEG, 80.0]))
    assert not settled_like_lying(np.full(50, 120.0))
    assert not settled_like_lying(np.full(50, TURNED_LYING_DEG - 1.0))
    assert not settled_like_lying(np.zeros(0))


def test_stoop_and_squat_told_apart_on_held_out_subjects(sisfall_held_out):
    """The swing of the vertical acceleration (a squat's hips travel 0.3-0.5 m), not its double
    integral (offset drift): measured stoops 52 / 59 as stoops, squats 41 / 54 as squats (before:
    13 / 59 and 29 / 55); thresholds set on the simulator and the odd-numbered subjects."""
    assert sisfall_held_out.style_share("D16", "stoop") >= 0.85
    assert sisfall_held_out.style_share("D15", "squat") >= 0.7


def test_short_trials_never_claim_a_wrong_forward(sisfall_held_out, shared_data):
    no_confidently_wrong(sisfall_held_out.forward)
    uma = evaluate_umafall(shared_data / "umafall_bending", mounting=False)
    no_confidently_wrong(uma.forward)
    assert uma.with_bend == 23  # subject 10's two upright lifts found from the pelvis (squat lifts)


def test_umafall_bends_found_without_mounting(shared_data):
    """13 / 13 held out (11 before the squat-lift detector: subject 10 lifts with the knees, the trunk
    within 17 deg; the pelvis's dip finds them, signal/squat_lift.py, validation/squat_lift.py)."""
    uma = evaluate_umafall(shared_data / "umafall_bending", mounting=False, subjects=held_out)
    assert uma.with_bend / uma.trials >= 0.95


def test_umafall_upright_lifts_are_found_as_squats_not_bends_of_the_trunk(shared_data, validation_script):
    """The UMAFall trials whose trunk stays within 12 deg of its upright start on 1 s means of the raw
    samples (subject 10: 11.2 and 7.4 deg; every other trial tilts 24 deg or more but subject 10's first,
    11.5 deg) have a bend all the same, a squat (the two that never pass the bend start found from the
pelvis: tests/test_squat_lift.py). The bend
    start stays 15 deg: 12 deg already turned UCI HAPT's 158 bends (no bending instructed) into 429
    (validation/posture.md)."""
    from sensorkit.datasets import umafall
    from sensorkit.signal.evaluate import as_imported
    from sensorkit.signal.pipeline import analyze

    upright_tilt = validation_script("posture").upright_tilt
    for trial in umafall.list_trials(shared_data / "umafall_bending"):
        block, meta = umafall.load_trial(trial)
        tilt = upright_tilt(block)
        bends = [e for e in analyze(block, as_imported(block, meta), gait=False).events if e.type == "bend"]
        assert bends, trial.path.name
        if tilt < 12.0:
            assert all(b.fields["style"] == "squat" for b in bends), trial.path.name
        assert tilt < 12.0 or tilt > 24.0 or trial.subject == 10, trial.path.name


def test_hapt_sit_stand_without_mounting(shared_data):
    hapt = evaluate_hapt(shared_data / "uci_hapt", mounting=False, users=held_out)
    no_confidently_wrong(hapt.forward)
    # of 20: walking shows forward; sitting's recline confirms it where walking alone is weak (17 without)
    assert sum(c.known for c in hapt.forward) >= 19
    # measured 0.916 on the held-out users (0.907 on the tuning ones; 0.876 with the vertical from the
    # first still second and no sitting cue, 0.69-0.77 before issue 9)
    assert hapt.sit_stand >= 0.90


@pytest.mark.parametrize("scenario, seeds, duration", [("demo", range(2), None), ("warehouse", range(1), 1200.0)])
def test_simulated_day_worn_any_way_round(scenario, seeds, duration):
    kwargs = {} if duration is None else {"duration_s": duration}
    nominal = evaluate_simulation(scenario, seeds, **kwargs)
    turned = evaluate_simulation(scenario, seeds, rotation_deg=180.0, **kwargs)
    assert all(c.known for c in turned.forward)
    no_confidently_wrong(turned.forward)
    for what in ("bends", "slouches", "transitions"):
        assert getattr(turned, what).f1 >= getattr(nominal, what).f1 - 0.02, what


def test_no_walking_no_bends_means_forward_unknown_unless_sitting_confirms():
    """Sitting and slouching, no walking: the two leans of sitting down and standing up (bends, 1.4)
    are not enough alone (seed 1); seed 0 also reclines when sitting, which confirms them (known,
    and right); never a confident wrong forward."""
    turned = evaluate_simulation("slouch", range(2), rotation_deg=180.0)
    assert [c.known for c in turned.forward] == [True, False]
    no_confidently_wrong(turned.forward)


def test_vertical_without_walking_skips_the_sensor_being_handled():
    """No walking: the vertical comes from the first posture held a few seconds, not the first still
    second (the phone being put on, UCI HAPT experiment 20), nor pulled towards later sitting."""
    from sensorkit.signal.alignment import _still_up

    def tilted(deg: float) -> np.ndarray:
        return 9.81 * np.array([np.sin(np.radians(deg)), 0.0, np.cos(np.radians(deg))])

    means = np.array([tilted(55), tilted(50)] + [tilted(0)] * 5 + [tilted(30)] + [tilted(8)] * 20)
    stds = np.array([0.1] * 7 + [1.0] + [0.1] * 20)
    assert np.degrees(np.arccos(_still_up(means, stds, None)[2])) < 0.5
    # a short recording holding nothing that long uses the posture it holds longest
    assert np.degrees(np.arccos(_still_up(means[:3], stds[:3], None) @ tilted(50) / 9.81)) < 3


def _cue(name: str, deg: float, weight: float) -> Cue:
    return Cue(name, np.array([np.cos(np.radians(deg)), np.sin(np.radians(deg)), 0.0]), weight)


def test_cues_must_agree():
    assert combine([_cue("walking", 0, 3.0), _cue("bends", 20, 1.5)]).known
    split = combine([_cue("walking", 0, 3.0), _cue("bends", 120, 1.5)])
    assert not split.known and "disagree" in split.reason
    assert not combine([_cue("bends", 0, 1.5)]).known  # one bend cue alone: not enough
    assert combine([_cue("walking", 0, 2.5)]).known  # long clear walking alone is
    # lying says only "not prone": a side (90 deg) agrees, the back (180 deg) vetoes a weak cue...
    assert combine([_cue("walking", 0, 1.5), _cue("lying", 90, 0.8)]).known
    assert not combine([_cue("walking", 0, 1.5), _cue("lying", 180, 0.8)]).known
    # ... but not a strong one (lying has a quarter of walking's weight or less)
    assert combine([_cue("walking", 0, 8.0), _cue("lying", 180, 0.8)]).known
    assert combine([]).reason == "no walking, bends or lying to show it"
    # sitting (reclined) only confirms: it makes weak walking known when it agrees, never vetoes,
    # never sets the direction, and alone is never enough
    assert combine([_cue("walking", 0, 1.5), _cue("sitting", 30, 1.5)]).known
    assert not combine([_cue("walking", 0, 1.5)]).known
    told = combine([_cue("walking", 0, 3.0), _cue("sitting", 170, 3.0)])
    assert told.known and told.direction[0] > 0.99 and [c.name for c in told.cues] == ["walking"]
    assert not combine([_cue("sitting", 0, 3.0)]).known


def test_analyze_file_csv_says_forward_unknown_and_mounting_fixes_it(shared_data, tmp_path, capsys):
    """The issue's own path: a SisFall sit-lie-sit trial exported to CSV and analysed as a new user
    would. Without a mounting: forward unknown, said in words; with --mounting up=-y,forward=+z (how
    the SisFall board was worn) the lie is found, with its side (SisFall's D12 lies are on a side)."""
    import json

    import pandas as pd

    from sensorkit.cli.main import main
    from sensorkit.datasets import sisfall
    from sensorkit.samples import STANDARD_GRAVITY

    trial = sisfall.list_trials(shared_data / "sisfall_waist", ("D12",))[0]
    block, _ = sisfall.load_trial(trial)
    frame = pd.DataFrame({"time": block.t})
    for i, axis in enumerate("xyz"):
        frame[f"acc_{axis}"] = block.acc[:, i] / STANDARD_GRAVITY
        frame[f"gyr_{axis}"] = np.degrees(block.gyr[:, i])
    path = tmp_path / "d12.csv"
    frame.to_csv(path, index=False)

    assert main(["analyze", "--json", "--no-gait", str(path)]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["analysis"]["alignment"]["forward_known"] is False
    assert any("could not be told from the movements" in w and "--mounting" in w for w in plain["analysis"]["warnings"])

    assert main(["analyze", "--json", "--no-gait", str(path), "--mounting", "up=-y,forward=+z"]) == 0
    told = json.loads(capsys.readouterr().out)
    assert told["analysis"]["alignment"]["forward_known"] is True
    lying = [e for e in told["events"] if e["type"] == "posture" and e["posture"] == "lying"]
    assert lying and all(e["lying_side"] in ("left", "right") for e in lying)


def test_deep_lifts_with_forward_withheld_are_never_read_as_lying(validation_script):
    """Forward unknown, every deep lean meets the lying rules that need no forward; a warehouse
    day of deep and twisted lifts (and the bends scenario) holds no lying, and every bend stays one
    (validation/posture.py: 0 lying periods, 237 / 237 bends over 2 warehouse hours and 5 bend days)."""
    lies, found, truth = validation_script("posture").deep_bends_forward_unknown(range(1))
    assert lies == 0
    assert truth > 50 and found == truth


def test_lies_back_to_back_are_each_judged_whole_whatever_the_chunking(shared_data):
    """Two sit-lie-sit excursions 0.8 s apart (a SisFall D12 trial whose lie is found only when judged
    whole, its lie repeated): both are lying, neither is a bend, and chunks give the events of one block."""
    from sensorkit.datasets import sisfall
    from sensorkit.samples import SampleBlock
    from sensorkit.signal.alignment import alignment_for
    from sensorkit.signal.evaluate import as_imported
    from sensorkit.signal.pipeline import Pipeline

    trial = next(t for t in sisfall.list_trials(shared_data / "sisfall_waist", ("D12",))
                 if t.path.name == "D12_SA03_R03.txt.gz")
    block, meta = sisfall.load_trial(trial)

    def run(samples, step):
        m = as_imported(samples, meta)
        pipe = Pipeline(m.rate_hz, alignment_for(samples, m), gait=False)
        events = [e for a in range(0, len(samples), step) for e in pipe.update(samples.slice(a, a + step))]
        return sorted((e.to_json() for e in events + pipe.finish()), key=lambda d: (d["start"], d["type"], d["end"]))

    lie = next(e for e in run(block, len(block)) if e["type"] == "posture" and e["posture"] == "lying")
    first = block.between(block.t[0], lie["end"] + 0.8)
    again = block.between(lie["start"] - 1.0, np.inf)
    t = again.t - again.t[0] + first.t[-1] + float(np.median(np.diff(block.t)))
    both = SampleBlock(np.concatenate([first.t, t]), np.concatenate([first.acc, again.acc]),
                       np.concatenate([first.gyr, again.gyr]))
    whole = run(both, len(both))
    assert sum(e["type"] == "posture" and e["posture"] == "lying" for e in whole) == 2
    assert not any(e["type"] == "bend" for e in whole)
    for step in (37, 1013):
        assert run(both, step) == whole, step


def test_forward_withheld_streaming_equals_batch_on_a_simulated_day():
    """With the forward unknown every deep lean is judged again after it ends (4 judgements on this
    day, lying down included): fed in random chunks, the events equal those of one block."""
    from sensorkit.signal.alignment import alignment_for
    from sensorkit.signal.pipeline import Pipeline
    from sensorkit.simulator import simulate

    sim = simulate("demo", seed=1)
    alignment = alignment_for(sim.block, sim.meta)
    alignment.forward_known = False

    def run(sizes):
        pipe = Pipeline(sim.meta.rate_hz, alignment, gait=False, start_time=sim.meta.start_time)
        events, i = [], 0
        for n in sizes:
            events += pipe.update(sim.block.slice(i, i + n))
            i += n
        return sorted((e.to_json() for e in events + pipe.finish()), key=lambda d: (d["start"], d["type"], d["end"], str(d)))

    sizes = np.random.default_rng(1).integers(1, 3000, len(sim.block))
    whole = run([len(sim.block)])
    assert any(e["type"] == "posture" and e["posture"] == "lying" for e in whole)
    assert run(sizes[: int(np.searchsorted(np.cumsum(sizes), len(sim.block))) + 1]) == whole

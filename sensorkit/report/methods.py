"""The report's methods footnote: how the figures are made, and how far that was validated.

The validation figures are the README's "Figures at a glance" (each reproduced by the command named
there); tests/test_report.py checks that every figure quoted here is still in the README, so the
report does not go on quoting a figure the README has replaced.
"""

from __future__ import annotations

METHOD = (
    "Postures, bends, slouching, sitting bouts, non-wear, steps and walking bouts are found by SensorKit's signal "
    "core from one motion sensor on the lower back (the same analysis as `sensorkit analyze`). Trunk flexion bands "
    "follow ISO 11226 / EN 1005-4 (0-20, 20-60, over 60 degrees, upright time only). A bend is severe (high) when it "
    "passes the band's upper limit, is held beyond 20 degrees too long or is twisted; slouching is sitting flexed "
    "beyond the patient's sitting neutral for longer than the slouch delay. Days are local calendar days; a day's "
    "figures count the events that start in it. Trends are least-squares slopes of the daily values per week "
    "(at least 3 days over 2 weeks); weeks compare the mean per recorded day."
)

# (what was measured, the figure, on which data) -- quoted from the README's "Figures at a glance"
VALIDATION = (
    ("sit / stand balanced accuracy, mounting known; not given", "0.912; 0.916 held-out users", "real: UCI HAPT"),
    ("lying found", "100 % of lying time", "real: UCI HAPT, 41 recordings"),
    ("stoop trials with a bend event, mounting known", "124 / 125", "real: SisFall D16"),
    ("non-wear found; worn still sitting/lying called non-wear", "99.98 %; 0.00 %", "simulated"),
    ("worn recordings called non-wear", "0.00 %", "real: UCI HAPT, SisFall, UMAFall, Voisard, mobgap"),
    ("step count / cadence error", "2.9 % / 1.9 steps/min", "real: Voisard L5, 70 trials"),
    ("walking time precision / recall", "0.959 / 0.994", "real: UCI HAPT"),
    ("bend F1 / peak error; slouch F1", "1.000 / 0.84 deg RMS; 1.000", "simulated"),
    ("trunk flexion error, static / moving", "0.66 / 2.27 deg RMS", "simulated"),
)

SIMULATION_ONLY = (
    "Validated only in simulation: slouch episodes, bend severity and peak angles, trunk-flexion band times, "
    "non-wear during long still periods, and alerts. No public recording labels these, so their figures come "
    "from the simulator's ground truth; real-data checks cover sitting, standing, lying, stoop bends, steps and "
    "walking time."
)

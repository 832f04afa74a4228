"""The therapist's report: one patient's days and trends as a self-contained HTML file or an A4 PDF.

:func:`write_report` is what ``sensorkit report`` runs, and what the terminal app calls to write the
report of the day or the period on screen. The figures are the signal core's (see :mod:`.gather`);
the charts are drawn with matplotlib (the ``report`` extra).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable, Sequence

from sensorkit.errors import SensorKitError, SettingsError

FORMATS = (".html", ".htm", ".pdf")


def write_report(source: str | Path | Sequence[str | Path], out: str | Path, *, patient: str | None = None,
                 first: date | None = None, last: date | None = None, profile: str | None = None,
                 tz: str | None = None, overwrite: bool = True, jobs: int | None = 1,
                 progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the report of ``source`` (a recording, a folder of recordings, or a list of recordings) to ``out``.

    The format follows ``out``'s suffix: ``.html`` (one file, charts inline, nothing fetched) or
    ``.pdf`` (A4 pages). ``patient`` picks one patient of a folder; ``first``/``last`` keep local days
    in that range; ``profile`` is a profile file (thresholds, calibration); ``tz`` reads every day in
    that zone; ``jobs`` recordings are analysed at a time (None: the machine's cores) and ``progress``
    is told (done, in all) after each. The file is written new and renamed over ``out`` (0600); ``overwrite=False`` refuses an
    existing ``out``. Raises a SensorKitError subclass, in one sentence, for anything a person can fix.
    """
    from .charts import require_matplotlib

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise SettingsError(f"{out}: the report is written as .html or .pdf, not {suffix or 'a file without a suffix'}")
    require_matplotlib()
    if not overwrite and (out.exists() or out.is_symlink()):  # before minutes of analysis, not after
        raise SensorKitError(f"{out} already exists (choose another name or pass --force)")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise SensorKitError(f"folder {folder} does not exist (create it first or choose another path)")
    from sensorkit.files import write_bytes, write_text

    from .gather import gather

    data = gather(source, patient, first, last, profile, tz, jobs, progress)
    if suffix == ".pdf":
        from .pdf import render_pdf

        write_bytes(out, render_pdf(data), overwrite=overwrite)
    else:
        from .html import render

        write_text(out, render(data), overwrite=overwrite)
    return out

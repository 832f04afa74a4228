"""The `r` key of the day and trends screens: the therapist's report of what is on screen, as HTML.

The report is :func:`sensorkit.report.write_report`'s (what `sensorkit report` writes), made in a
worker thread (charts take a few seconds) and written beside what it reports on under a name that
never replaces an earlier one (``REC-report.html``, ``REC-report-2.html``...). The screen says where
it went, or in one sentence why it could not be written (matplotlib missing: the ``report`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.worker import Worker, WorkerState

from .format import error_text

GROUP = "report"


def free_name(path: Path) -> Path:
    """``path``, or ``NAME-2.ext``, ``NAME-3.ext``... the first that does not exist yet."""
    candidate, n = path, 2
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


class WritesReport:
    """Mixed into a Screen: ``action_report`` writes ``report_request()``'s report in a worker."""

    def report_request(self) -> tuple[Path, Path, str | None] | None:
        """(source, output, patient) of the report to write now, or None (a notice says why)."""
        raise NotImplementedError

    def action_report(self) -> None:
        request = self.report_request()
        if request is not None:
            self.notify(f"writing the report to {request[1]}...")  # type: ignore[attr-defined]
            self.write_report(*request)

    @work(thread=True, group=GROUP, exit_on_error=False)
    def write_report(self, source: Path, out: Path, patient: str | None) -> Path:
        from sensorkit.report import write_report

        return write_report(source, out, patient=patient, profile=self.profile_path, tz=self.tz,  # type: ignore[attr-defined]
                            overwrite=False)

    def report_done(self, worker: Worker[Any]) -> bool:
        """Tell the user about a finished report worker; False for any other worker."""
        if worker.group != GROUP:
            return False
        if worker.state == WorkerState.SUCCESS:
            self.notify(f"wrote the report to {worker.result}")  # type: ignore[attr-defined]
        elif worker.state == WorkerState.ERROR:
            self.notify(f"the report was not written: {error_text(worker.error)}", severity="error")  # type: ignore[attr-defined]
        return True

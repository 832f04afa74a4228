"""A cohort on a Dask cluster: every recording's days, per patient and local day, as a Parquet dataset.

The unit of work is `sensorkit trends`' own (:func:`sensorkit.trends.file_days`: a recording's saved
analysis when its provenance matches, else the analysis run again), mapped over the workers of a
Dask distributed cluster instead of a local process pool; the per-day rows are then added up by the
same code as `trends` (:func:`sensorkit.trends.entries_trends`), so a cohort's rows are the rows
``trends --json`` prints. Listing the files (reading each recording's header) is mapped over the
cluster too, in batches, so a cohort of millions of files does not wait on one process.

Why Dask distributed rather than Ray: the job is an embarrassingly parallel map of CPU-bound Python
functions (about a second each) with kilobyte results, which both run well. Dask is pure Python
wheels (no C++ runtime to match to the Python version), starts a local cluster of processes with no
daemon, reaches the schedulers research groups already have (dask-jobqueue on SLURM/PBS,
dask-kubernetes, a plain ``dask scheduler`` address) and its own DataFrame reads the dataset back;
Ray's strengths (actors, GPUs, ML pipelines, an object store for large shared arrays) are not used
here, and its install is several times larger.

A failure is one recording's: :func:`~sensorkit.trends.file_days` turns a bad file into a reason,
and a task the cluster itself loses (a worker killed, out of memory, an unexpected exception) is
reported with its path and reason too; the run goes on.
"""

from __future__ import annotations

import glob
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from .errors import RecordingError, SensorKitError, SettingsError
from .files import describe_os_error, replacing_folder
from .parallel import Progress, machine_cores
from .store.catalog import Entry, candidate_files, describe, in_listing_order
from .trends import FileResult, FolderTrends, days_frame, entries_trends, with_folder_patient

EXTRA = "cohort"  # the optional dependency group that installs Dask
LISTING_BATCH = 256  # files whose headers one task reads: a task per file would cost more than the reading
IN_FLIGHT_PER_WORKER = 8  # tasks handed to the cluster ahead of the results: bounds the scheduler's memory
ACCOUNT_NAME = "_recordings.json"  # inside the dataset; readers skip names starting with "_"


@dataclass
class CohortResult:
    """What a run made: the trends (days per patient) and every file with where its days came from."""

    trends: FolderTrends
    output: Path
    rows: int

    @property
    def failures(self) -> list[FileResult]:
        return [f for f in self.trends.files if f.source == "skipped"]


def import_dask() -> Any:
    """``dask.distributed``, or one sentence naming the extra to install."""
    try:
        import dask.distributed
    except ImportError:
        raise SettingsError(f"sensorkit cohort needs Dask: pip install 'sensorkit[{EXTRA}]'") from None
    return dask.distributed


def connect(scheduler: str | None, jobs: int | None) -> Any:
    """A Dask client: of the scheduler at ``scheduler``, else of a new local cluster of ``jobs`` processes."""
    distributed = import_dask()
    quiet = logging.ERROR if logging.getLogger().level >= logging.WARNING else logging.getLogger().level
    logging.getLogger("distributed").setLevel(quiet)  # its start/stop chatter, unless -v asked for more
    if scheduler:
        try:
            return distributed.Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SensorKitError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
    cluster = distributed.LocalCluster(n_workers=jobs or machine_cores(), threads_per_worker=1, processes=True,
                                       silence_logs=quiet, dashboard_address=":0", scheduler_kwargs={"dashboard": False})
    return distributed.Client(cluster)


def close(client: Any) -> None:
    """Close the client, and the local cluster when it started one (a real scheduler stays up)."""
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()


def cluster_mapper(client: Any, progress: Progress | None = None,
                   failed: Callable[[Any, BaseException], Any] | None = None) -> Callable[..., Iterator[Any]]:
    """A mapper for :func:`sensorkit.trends.entries_trends` that runs each task on the cluster.

    Results come back in task order; at most a few tasks per worker are outstanding at once, so the
    scheduler holds a window of the cohort, not all of it. ``failed(item, exc)`` stands in for a
    task the cluster could not finish (without it the exception is raised).
    """
    distributed = import_dask()

    def run(func: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
        window = IN_FLIGHT_PER_WORKER * max(1, len(client.scheduler_info().get("workers", {})))
        done: dict[int, Any] = {}
        index: dict[str, int] = {}  # task key -> item
        running = distributed.as_completed()
        submitted = next_out = 0
        while next_out < len(items):
            while submitted < len(items) and submitted - next_out < window:
                future = client.submit(func, items[submitted], pure=False)
                index[future.key] = submitted
                running.add(future)
                submitted += 1
            if next_out in done:
                yield done.pop(next_out)
                next_out += 1
                continue
            future = next(running)
            i = index.pop(future.key)
            done[i] = _outcome(future, items[i], failed)
            future.release()
            if progress is not None:
                progress(next_out + len(done), len(items))

    return run


def _outcome(future: Any, item: Any, failed: Callable[[Any, BaseException], Any] | None) -> Any:
    try:
        return future.result()
    except Exception as exc:  # the cluster lost the task: a killed worker, an unexpected error in it
        if failed is None:
            raise
        return failed(item, exc)


def lost_days(task: Any, exc: BaseException) -> tuple[str, str, str, str]:
    """:func:`~sensorkit.trends.file_days`' answer for a task the cluster could not finish."""
    return "skipped", f"failed on the cluster ({type(exc).__name__}: {exc})", "", ""


def lost_listing(batch: tuple[list[Path], Path], exc: BaseException) -> list[Entry]:
    paths, base = batch
    return [Entry(p, str(p.relative_to(base)), error=f"could not be listed on the cluster ({type(exc).__name__}: {exc})")
            for p in paths]


def input_files(source: str) -> tuple[Path, list[Path]]:
    """The base folder and the candidate files of ``source``: a folder (and one sub-folder down) or a glob."""
    path = Path(source)
    if path.is_dir():
        return path, candidate_files(path)
    if not glob.has_magic(source):
        raise RecordingError(f"no folder at {source} (give a folder of recordings or a quoted glob, e.g. 'data/*/*.skr')")
    files = sorted(Path(p) for p in glob.glob(source, recursive=True) if Path(p).is_file())
    if not files:
        raise RecordingError(f"no file matches {source}")
    return _glob_base(source), files


def _glob_base(pattern: str) -> Path:
    """The folder part of a glob before its first wildcard: names inside the cohort are relative to it."""
    parts = Path(pattern).parts
    fixed = [p for p in parts[:next(i for i, p in enumerate(parts) if glob.has_magic(p))]]
    return Path(*fixed) if fixed else Path(".")


def describe_batch(batch: tuple[list[Path], Path]) -> list[Entry]:
    """The catalog entries of a batch of files (each file's header only), the patient as `trends` names it."""
    paths, base = batch
    return [with_folder_patient(describe(path, base), base) for path in paths]


def cohort(source: str, output: str | Path, profile: Any = None, tz: str | None = None,
           scheduler: str | None = None, jobs: int | None = None, overwrite: bool = False,
           progress: Progress | None = None) -> CohortResult:
    """Per patient and local day the metrics of `trends`, for every recording of ``source``, into ``output``.

    ``source`` is a folder (files there and one sub-folder down, as `trends` reads it) or a glob.
    The work runs on the Dask scheduler at ``scheduler``, else on a local cluster of ``jobs``
    processes (default: the machine's cores). The dataset replaces ``output`` whole, only with
    ``overwrite``.
    """
    output = Path(output)
    if output.exists() and not overwrite:
        raise SettingsError(f"{output} already exists; add --force to replace it")
    if not output.absolute().parent.is_dir():  # said now, not after hours of analysis
        raise SettingsError(f"no folder {output.absolute().parent} to write {output.name} in")
    import_dask()  # before the listing: the missing extra is the first thing said
    base, files = input_files(source)
    client = connect(scheduler, jobs)
    try:
        batches = [(files[i:i + LISTING_BATCH], base) for i in range(0, len(files), LISTING_BATCH)]
        listed = cluster_mapper(client, failed=lost_listing)(describe_batch, batches)
        entries = in_listing_order(e for batch in listed for e in batch)
        result = entries_trends(base, entries, profile, None, tz, cluster_mapper(client, progress, lost_days))
    finally:
        close(client)
    rows = write_dataset(result, output, overwrite)
    return CohortResult(result, output, rows)


def write_dataset(result: FolderTrends, output: Path, overwrite: bool) -> int:
    """The per-day rows as a Parquet dataset partitioned by patient (``patient=ID/part-0.parquet``).

    Written into a private folder beside ``output``, then renamed onto it (an old dataset is moved
    aside first and removed once the new one is in place), so a failed run leaves the old dataset whole.
    Beside the parts, ``_recordings.json`` accounts for every file: its source or why it failed.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    table = pa.Table.from_pandas(days_frame(result), preserve_index=False)
    table = table.set_column(table.schema.get_field_index("date"), "date", table["date"].cast(pa.date32()))
    table = table.replace_schema_metadata(None)  # pandas' own notes would turn the dates back into text
    if output.exists() and not output.is_dir() and output.suffix.lower() != ".parquet":
        raise SettingsError(f"{output} is not a Parquet dataset; it is left alone")
    try:
        with replacing_folder(output, overwrite=overwrite) as dataset_dir:
            ds.write_dataset(table, dataset_dir, format="parquet", basename_template="part-{i}.parquet",
                             partitioning=ds.partitioning(pa.schema([("patient", pa.string())]), flavor="hive"),
                             max_partitions=max(1024, len(result.patients) + 1), existing_data_behavior="error")
            (dataset_dir / ACCOUNT_NAME).write_text(json.dumps({"files": [f.to_json() for f in result.files]}, indent=1))
    except OSError as exc:
        raise SensorKitError(describe_os_error(exc, f"write the dataset {output}")) from exc
    return table.num_rows

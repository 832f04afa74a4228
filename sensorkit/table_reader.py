"""Delimited text and Parquet files read a chunk at a time, with typed columns and line numbers.

Reading every cell of a 24 h CSV as a string took 4 GB and most of a minute; here each chunk of
about 4 MB of lines is parsed by pandas' C reader straight into float64 columns, so memory stays
constant whatever the file's length. A chunk the fast reader cannot take
(a cell that is not a number, a row two fields too wide, stray carriage returns) is read again
line by line, so one bad cell costs one row and the line numbers stay right.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Iterator

import numpy as np

from .errors import ImportFormatError

if TYPE_CHECKING:  # pandas is imported where it is used: it costs a third of a second at start-up
    import pandas as pd

CHUNK_BYTES = 4 << 20  # bytes of lines read per chunk: ~55,000 rows of a 6-axis CSV (8 MB: faster, 50 MB more)
PARQUET_BATCH_ROWS = 100_000
EXTRA_FIELDS = "\0extra"  # column marking rows with more fields than the header

Progress = Callable[[int, int], None]  # (done, total), bytes of the file or rows of a Parquet file


@dataclass
class Chunk:
    """Rows of a table: numbers (NaN where unreadable), text columns, and each row's line number."""

    lines: np.ndarray  # int64, the line number a user sees (the header is line 1)
    numbers: dict[str, np.ndarray]
    texts: dict[str, np.ndarray]
    extra: np.ndarray  # bool: the row had more fields than the header
    blank: np.ndarray  # bool: nothing in the columns read

    def __len__(self) -> int:
        return int(self.lines.shape[0])


@dataclass(frozen=True)
class TextLayout:
    """How a delimited text file is written."""

    sep: str = ","
    decimal: str = "."
    header_line: int = 1  # lines before it (a device's preamble) are skipped
    encoding: str = "utf-8"


def open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


def read_header(path: Path, layout: TextLayout) -> list[str]:
    """The column names, stripped, with a spreadsheet's UTF-8 byte-order mark dropped."""
    try:
        with open_binary(path) as f:
            raw = b""
            for _ in range(layout.header_line):
                raw = f.readline()
        text = raw.decode(layout.encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path} is not a text CSV file") from exc
    except (EOFError, gzip.BadGzipFile) as exc:
        raise ImportFormatError(f"{path} is not a readable CSV file ({exc})") from exc
    if not text.strip():
        raise ImportFormatError(f"{path} is empty")
    try:
        row = next(csv.reader([text.rstrip("\r\n")], delimiter=layout.sep, skipinitialspace=True))
    except csv.Error as exc:
        raise ImportFormatError(f"{path} is not a text CSV file") from exc
    return [name.strip() for name in row]


def text_chunks(path: Path, header: list[str], numbers: list[str], texts: list[str], layout: TextLayout,
                progress: Progress | None = None) -> Iterator[Chunk]:
    """Chunks of the rows after the header; ``numbers`` and ``texts`` are names in ``header``."""
    total = path.stat().st_size
    with path.open("rb") as raw:
        f: IO[bytes] = gzip.open(raw, "rb") if path.suffix.lower() == ".gz" else raw
        for _ in range(layout.header_line):
            f.readline()
        line = layout.header_line + 1
        rest = b""
        while True:
            try:
                data = rest + f.read(CHUNK_BYTES)
            except (EOFError, gzip.BadGzipFile, OSError) as exc:
                raise ImportFormatError(f"{path} is not a readable CSV file ({exc})") from exc
            if len(data) == len(rest):  # the end of the file
                if not data:
                    return
                cut = len(data)
            else:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # one line longer than a chunk: read on
                    rest = data
                    continue
            data, rest = data[:cut], data[cut:]
            count = data.count(b"\n") + (not data.endswith(b"\n"))
            chunk = _parse_lines(data, count, header, numbers, texts, layout, path)
            chunk.lines += line
            line += count
            if progress is not None:
                progress(raw.tell(), total)
            yield chunk


def _parse_lines(data: bytes, count: int, header: list[str], numbers: list[str], texts: list[str],
                 layout: TextLayout, path: Path) -> Chunk:
    """``count`` lines of text, fast when they are clean."""
    import pandas as pd

    names = header + [EXTRA_FIELDS]
    try:
        frame = pd.read_csv(
            io.BytesIO(data), sep=layout.sep, decimal=layout.decimal, header=None, names=names,
            dtype={**{n: np.float64 for n in numbers}, **{t: str for t in texts},
                                   EXTRA_FIELDS: object},
            skip_blank_lines=False, skipinitialspace=True, index_col=False, encoding=layout.encoding,
            engine="c")
        if len(frame) != count:
            raise ValueError("rows and lines differ")
    except (ValueError, pd.errors.ParserError):
        lines = data.split(b"\n")[:count]
        frame = _parse_slowly(lines, header, numbers, texts, layout, path)
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path} is not a text CSV file") from exc
    return _chunk_of(frame, numbers, texts)


def _parse_slowly(lines: list[bytes], header: list[str], numbers: list[str], texts: list[str],
                  layout: TextLayout, path: Path) -> pd.DataFrame:
    """One row per line, whatever is in it: bad cells become NaN, extra fields are flagged."""
    import pandas as pd

    try:
        decoded = [line.decode(layout.encoding).rstrip("\r\n").replace("\r", "") for line in lines]
        rows = [next(csv.reader([text], delimiter=layout.sep, skipinitialspace=True), []) for text in decoded]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportFormatError(f"{path} is not a text CSV file") from exc
    width = len(header)
    index = {name: i for i, name in enumerate(header)}
    columns: dict[str, object] = {}
    for name in numbers + texts:
        cells = pd.Series([row[index[name]].strip() if index[name] < len(row) else "" for row in rows], dtype=object)
        cells = cells.replace("", None)
        if name in numbers:
            if layout.decimal != ".":
                cells = cells.str.replace(layout.decimal, ".", regex=False)
            columns[name] = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64)
        else:
            columns[name] = cells
    columns[EXTRA_FIELDS] = pd.Series(["x" if len(row) > width else None for row in rows], dtype=object)
    return pd.DataFrame(columns)


def _chunk_of(frame: pd.DataFrame, numbers: list[str], texts: list[str]) -> Chunk:
    n = len(frame)
    number_arrays = {name: frame[name].to_numpy(dtype=np.float64) for name in numbers}
    text_arrays = {name: frame[name].to_numpy(dtype=object) for name in texts}
    blank = np.ones(n, dtype=bool)
    for values in number_arrays.values():
        blank &= np.isnan(values)
    for name in texts:
        blank &= frame[name].isna().to_numpy()
    extra = frame[EXTRA_FIELDS].notna().to_numpy() if EXTRA_FIELDS in frame else np.zeros(n, dtype=bool)
    return Chunk(np.arange(n, dtype=np.int64), number_arrays, text_arrays, extra, blank & ~extra)


def parquet_header(path: Path) -> list[str]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportFormatError("reading Parquet needs pyarrow: pip install pyarrow") from exc
    try:
        return [str(name) for name in pq.ParquetFile(path).schema_arrow.names]
    except Exception as exc:
        raise ImportFormatError(f"{path} is not a readable Parquet file ({exc})") from exc


def _parquet_batches(path: Path, columns: list[str]) -> Iterator[object]:
    """Record batches, one row group read at a time: memory bounded by a row group (``iter_batches``
    kept growing with the file: 452 MB peak for a 24 h import against 267 MB from CSV)."""
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    for group in range(file.num_row_groups):
        yield from file.read_row_group(group, columns=columns).to_batches(max_chunksize=PARQUET_BATCH_ROWS)


def parquet_chunks(path: Path, numbers: list[str], texts: list[str],
                   progress: Progress | None = None) -> Iterator[Chunk]:
    """Row batches of a Parquet file; a row's 'line' is its number + 2, as if it were a CSV."""
    import pandas as pd
    import pyarrow.parquet as pq

    try:
        total, done = pq.ParquetFile(path).metadata.num_rows, 0
        for batch in _parquet_batches(path, numbers + texts):
            frame = batch.to_pandas()
            for name in numbers:
                frame[name] = pd.to_numeric(frame[name], errors="coerce")
            for name in texts:
                frame[name] = frame[name].astype(str).where(frame[name].notna(), None)
            chunk = _chunk_of(frame, numbers, texts)
            chunk.lines += done + 2
            done += len(frame)
            if progress is not None:
                progress(done, total)
            yield chunk
    except Exception as exc:
        if isinstance(exc, ImportFormatError):
            raise
        raise ImportFormatError(f"{path} is not a readable Parquet file ({exc})") from exc

"""Where a record sits in its file: physical line numbers and raw text of rejected records.

Rejects carry the physical line where their record starts (header and blank lines counted) and
the record's raw text. A file whose records take one line each maps records to lines by counting
(:class:`LineMap`); a delimited file whose quoted fields may span lines is read again with
Python's :mod:`csv` (:class:`RecordWalk`), only as far as its last rejected record. Parquet and
Excel rows are located by their row number and shown as JSON.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from typing import Any

from crmlytics.ingest.encoding import UTF8, read_lines
from crmlytics.ingest.formats import PARQUET, XLSX, Source, text_records
from crmlytics.ingest.parsing import quote_ident, quote_literal


def expected_records(source: Source, reader_lines: int) -> int | None:
    """Records DuckDB should have read as rows from a text file, counted from its lines (the
    rows of a Parquet file from its metadata, of an Excel sheet as read).

    Physical lines (the last one counts without a newline) less the header lines, blank lines
    and the ``reader_lines`` DuckDB's reader rejected. An upper bound on the rows read (a quoted
    field spanning lines only lowers it); None when a lone carriage return could make DuckDB
    see more lines than newlines.
    """
    if source.kind == XLSX:  # one record per row of the sheet read, and no reader rejects
        return source.frame.height
    if source.kind == PARQUET:  # one record per row, and no reader rejects
        import pyarrow.parquet as pq

        return pq.ParquetFile(source.path).metadata.num_rows
    scan = source.text_scan()
    if scan is None or scan.bare_cr:
        return None
    blank = sum(1 for line in scan.blank_lines if line > source.header_lines)
    physical = scan.lines + scan.unterminated
    return physical - source.header_lines - blank - reader_lines


class LineMap:
    """Record position in the file (1-based) → physical line number, by counting lines.

    For files whose records take one line each (:meth:`Source.multiline_records` is false).
    Records skip the header lines, blank lines and the lines DuckDB's reader rejected; ``g[j]``
    counts the records before the j-th skipped line, so record k sits after every skipped line
    with ``g[j] < k``.
    """

    def __init__(self, con: Any, source: Source, reader_lines: list[int]) -> None:
        self.con = con
        self.source = source
        self.offset = source.header_lines
        skipped: set[int] = set(reader_lines)
        scan = source.text_scan() if source.kind not in (PARQUET, XLSX) else None
        if scan is not None:
            skipped.update(scan.blank_lines)
        data = sorted(line - self.offset for line in skipped if line > self.offset)
        self.g = [e - j for j, e in enumerate(data, start=1)]

    def physical(self, record: int) -> int:
        return self.offset + record + bisect_left(self.g, record)

    def locate(self, records: list[int]) -> dict[int, tuple[int, str | None]]:
        """Physical line and raw text of each of ``records``."""
        physical = [self.physical(r) for r in records]
        raw = raw_lines(self.con, self.source, physical)
        return {r: (line, raw.get(line)) for r, line in zip(records, physical, strict=True)}

    def reader_lines(self, positions: list[int]) -> dict[int, tuple[int, str]]:
        """Nothing to correct: DuckDB's reject lines are physical when records take one line."""
        return {}


class RecordWalk:
    """Record position (1-based) → first physical line and raw text, by reading the file with
    Python's :mod:`csv` (:func:`text_records`), once, only as far as the records asked for.

    For delimited files whose records may span lines, where counting lines is wrong and
    DuckDB's reject ``line`` counts records, not lines. Records DuckDB's reader rejected are
    not rows: each is recognised by DuckDB's ``line_byte_position`` (1-based; it may point at
    the line end just before the record) and passed over, its line and text kept for
    :meth:`reader_lines`. :meth:`locate` must be asked for ascending records.
    """

    def __init__(self, source: Source, reader_positions: list[int]) -> None:
        self.records = text_records(source)
        self.pending = sorted(set(reader_positions))
        self.next_pending = 0
        self.rows = 0  # records passed that DuckDB read as rows
        self.reader: dict[int, tuple[int, str]] = {}

    def _step(self) -> tuple[int, str] | None:
        """The next row's line and text; None for a reader reject. StopIteration at the end."""
        offset, line, raw = next(self.records)
        rejected = False
        while self.next_pending < len(self.pending) and self.pending[self.next_pending] <= (
            offset + 1
        ):
            self.reader[self.pending[self.next_pending]] = (line, raw)
            self.next_pending += 1
            rejected = True
        if rejected:
            return None
        self.rows += 1
        return line, raw

    def locate(self, records: list[int]) -> dict[int, tuple[int, str | None]]:
        """First physical line and raw text of each of ``records`` (rows, 1-based)."""
        wanted = set(records)
        found: dict[int, tuple[int, str | None]] = {}
        last = max(records, default=0)
        while self.rows < last:
            try:
                row = self._step()
            except StopIteration:
                break
            if row is not None and self.rows in wanted:
                found[self.rows] = row
        return found

    def reader_lines(self, positions: list[int]) -> dict[int, tuple[int, str]]:
        """First physical line and raw text of the reader rejects at DuckDB's ``positions``."""
        wanted = max(positions, default=0)
        while self.next_pending < len(self.pending) and self.pending[self.next_pending] <= wanted:
            try:
                self._step()
            except StopIteration:
                break
        return self.reader


Locator = LineMap | RecordWalk


def locator(con: Any, source: Source, reader: list[tuple[int, int]]) -> Locator:
    """How to find the lines of rejected records: count lines, or read quoted records.

    ``reader`` holds DuckDB's line and byte position of each record its reader rejected.
    """
    if source.multiline_records():
        return RecordWalk(source, [pos for _, pos in reader])
    return LineMap(con, source, [line for line, _ in reader])


def raw_lines(con: Any, source: Source, lines: list[int]) -> dict[int, str]:
    """The raw text of ``lines``: the file's line, or the row as JSON for Parquet / Excel."""
    if source.kind == XLSX:
        frame = source.frame
        out = {}
        for line in lines:
            values = frame.row(line - source.header_lines - 1)
            out[line] = json.dumps(
                dict(zip(frame.columns, values, strict=True)), ensure_ascii=False
            )
        return out
    if source.kind == PARQUET:
        cols = ", ".join(f"{quote_literal(h)}, {quote_ident(h)}" for h in source.headers)
        wanted = ", ".join(str(n - 1) for n in lines)
        rows = con.execute(
            f"SELECT file_row_number + 1, CAST(json_object({cols}) AS VARCHAR) FROM "
            f"read_parquet({quote_literal(str(source.path))}, file_row_number=true) "
            f"WHERE file_row_number IN ({wanted})"
        ).fetchall()
        return dict(rows)
    encoding = source.encoding or UTF8
    return read_lines(source.path, encoding, sorted(set(lines)))

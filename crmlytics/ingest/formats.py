"""Reading source files: what each format looks like to DuckDB, as text columns.

Every format becomes one SQL relation whose columns are the source columns as text (VARCHAR), in
file order, so that the same typed conversion serves all formats:

- CSV / TSV / other delimited text (``.csv``, ``.tsv``, ``.txt``, ``.dat`` or anything else):
  DuckDB's ``read_csv`` with ``all_varchar``. The delimiter is the most frequent of ``, \\t ; |`` in
  the first line (tab for ``.tsv``) unless the mapping names it; the quote and escape are ``"``
  (RFC 4180) unless the mapping names others, never sniffed, so that one stray quote cannot
  turn quoting off for the whole file; DuckDB's sniffer only says whether the first line is a
  header. The dialect used is recorded in ``load_log``. Lines with the wrong number of fields
  go to DuckDB's reject table.
- whitespace-separated text (a first line with none of those delimiters but several fields
  separated by spaces, e.g. CDNOW's `` 00004 0001 19970101  2   29.33``): runs of spaces become
  one tab in a temporary copy, then as above.
- JSON lines (``.jsonl``, ``.ndjson``): one object per line; keys are the columns.
- Parquet (``.parquet``, ``.pq``); Excel (``.xlsx``, the sheet with data, first row is the
  header; read with polars/fastexcel). A workbook with several sheets holding data needs
  ``sheet``.

Headers. The first line is a header when DuckDB's sniffer says so. Two things override it: a
mapping whose sources are all positional (``column1``, ``column2``, ... 1-based) means the file
has no header; a first line containing a mapped source header or a canonical column name is a
header. The sniffer can only tell a header when the data below it has other types (numbers,
dates), so an all-text headerless file needs a positional mapping.

Line numbers. ``line_no`` in ``rejects`` is the physical line of the file (header counted, blank
lines counted) where the record starts for text formats, the spreadsheet row for Excel (header is
row 1) and the row number for Parquet; ``raw_line`` is the record's text, its physical lines
joined with ``\\n`` when a quoted field spans several. A file without its quote character maps
records to lines by counting; any other delimited file is read again with Python's :mod:`csv`
(:func:`text_records`), only as far as its last rejected record.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmlytics.ingest.encoding import (
    GB18030,
    QUOTE_CHARS,
    SAMPLE_BYTES,
    UTF8,
    UTF8_BOM,
    Progress,
    TextScan,
    detect_encoding,
    file_sha256,
    scan_text,
)
from crmlytics.ingest.errors import FileReadError
from crmlytics.ingest.mapping import ColumnMap, positional_only
from crmlytics.ingest.parsing import quote_ident, quote_literal

TEXT = "text"
JSONL = "jsonl"
PARQUET = "parquet"
XLSX = "xlsx"

_KINDS = {
    ".jsonl": JSONL,
    ".ndjson": JSONL,
    ".parquet": PARQUET,
    ".pq": PARQUET,
    ".xlsx": XLSX,
    ".xlsm": XLSX,
}
_DELIMITERS = (",", "\t", ";", "|")
_JSON_SAMPLE_LINES = 1000
_FIELD_LIMIT = 2**31 - 1  # csv's default of 128 KiB is below DuckDB's 2 MB line limit
TEMP_PREFIX = ".crmlytics-ingest-"
"""Name prefix of the temporary directories of transcoded copies (next to the warehouse)."""


@dataclass
class Source:
    """A file opened for staging: its text columns as a DuckDB relation, and how to find lines."""

    path: Path
    kind: str
    headers: list[str]
    relation: str = ""
    read_path: Path | None = None
    encoding: str | None = None
    header_lines: int = 0
    skip_lines: int = 0
    delimiter: str = ""
    quote: str = ""
    escape: str = ""
    reader_rejects: bool = False
    whitespace: bool = False
    frame: Any = None
    sheet: str = ""
    scan: Future[TextScan] | TextScan | None = None
    temp_dir: tempfile.TemporaryDirectory[str] | None = None
    pool: ThreadPoolExecutor | None = None
    _sha256: str | None = field(default=None, repr=False)

    def text_scan(self) -> TextScan | None:
        """The finished pass over a text file (hash, encoding check, blank lines)."""
        if isinstance(self.scan, Future):
            self.scan = self.scan.result()
        return self.scan

    @property
    def sha256(self) -> str:
        scan = self.text_scan()
        if scan is not None:
            return scan.sha256
        if self._sha256 is None:
            self._sha256 = file_sha256(self.path)
        return self._sha256

    def dialect(self) -> str:
        """How the file was read, for ``load_log``: format, encoding, delimiter and quoting."""
        parts = [f"format={self.kind}"]
        if self.encoding:
            parts.append(f"encoding={self.encoding}")
        if self.kind == TEXT:
            parts += [
                f"delimiter={json.dumps(self.delimiter)}",
                f"quote={json.dumps(self.quote)}",
                f"escape={json.dumps(self.escape)}",
                f"header={'yes' if self.header_lines > self.skip_lines else 'no'}",
            ]
        if self.sheet:
            parts.append(f"sheet={json.dumps(self.sheet, ensure_ascii=False)}")
        return " ".join(parts)

    def multiline_records(self) -> bool:
        """Whether a record may span several physical lines: a delimited text file (not
        whitespace-separated, not JSON lines) in which its quote character occurs."""
        if self.kind != TEXT or self.whitespace or not self.quote:
            return False
        scan = self.text_scan()
        return scan is None or self.quote not in QUOTE_CHARS or self.quote in scan.quotes

    def close(self) -> None:
        if isinstance(self.scan, Future):
            self.scan.cancel()
            with contextlib.suppress(Exception):  # the load already failed or finished
                self.scan.result()
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        if self.temp_dir is not None:
            self.temp_dir.cleanup()


@dataclass(frozen=True)
class Dialect:
    """How a delimited text file is written; None = detected (delimiter) or the default."""

    delimiter: str | None = None
    quote: str | None = None
    escape: str | None = None


DEFAULT_QUOTE = '"'
"""Quote and escape of delimited text unless the mapping says otherwise (RFC 4180: ``""``)."""


def open_source(
    con: Any,
    path: Path,
    colmaps: dict[str, ColumnMap],
    canonical: list[str],
    *,
    rejects: str,
    encoding: str | None = None,
    progress: Progress | None = None,
    dialect: Dialect = Dialect(),
    sheet: str | None = None,
    temp_root: Path | None = None,
    sha256: str | None = None,
) -> Source:
    """Open ``path`` for reading as text columns; ``rejects`` names DuckDB's reject tables.

    ``temp_root`` is where a transcoded copy is written (next to the warehouse, see
    :func:`crmlytics.ingest.tempfiles.temp_root`); ``sheet`` picks an Excel sheet; ``sha256``
    is the file's hash when the caller has it already.
    """
    kind = _KINDS.get(path.suffix.lower(), TEXT)
    if kind == PARQUET:
        source = _parquet(con, path)
    elif kind == XLSX:
        source = _xlsx(con, path, sheet)
    else:
        source = _text(
            con,
            path,
            kind,
            colmaps,
            canonical,
            rejects,
            encoding,
            progress,
            dialect,
            temp_root,
            sha256,
        )
    source._sha256 = source._sha256 or sha256
    _check_headers(source)
    return source


def _check_headers(source: Source) -> None:
    """Two headers that differ only in case (or surrounding spaces) cannot both be kept."""
    seen: dict[str, str] = {}
    for header in source.headers:
        folded = header.strip().casefold()
        if folded in seen:
            source.close()
            raise FileReadError(
                f"{source.path.name}: headers {seen[folded]!r} and {header!r} differ only in "
                "case; rename one of them (or map one and drop the other in the mapping file)"
            )
        seen[folded] = header


def _parquet(con: Any, path: Path) -> Source:
    import pyarrow.parquet as pq

    try:
        declared = pq.read_schema(path).names  # DuckDB would rename a case-only duplicate
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds
        raise FileReadError(f"{path.name}: cannot be loaded as Parquet: {exc}") from None
    _check_headers(Source(path, PARQUET, list(declared)))
    names = [
        row[0]
        for row in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({quote_literal(str(path))})"
        ).fetchall()
    ]
    cols = ", ".join(f"CAST({quote_ident(n)} AS VARCHAR) AS {quote_ident(n)}" for n in names)
    relation = f"(SELECT {cols} FROM read_parquet({quote_literal(str(path))}))"
    return Source(path, PARQUET, names, relation)


def _xlsx(con: Any, path: Path, sheet: str | None) -> Source:
    """One sheet of a workbook: ``sheet``, else the only non-empty one (several are an error)."""
    import polars as pl

    try:
        frames = pl.read_excel(path, sheet_id=0, infer_schema_length=0, raise_if_empty=False)
    except Exception as exc:  # fastexcel raises its own types
        raise FileReadError(f"{path.name}: cannot read as Excel: {exc}") from None
    if sheet is not None:
        if sheet not in frames:
            raise FileReadError(
                f"{path.name}: no sheet {sheet!r}; its sheets are {', '.join(map(repr, frames))}"
            )
        name = sheet
    else:
        filled = [n for n, f in frames.items() if f.height or f.width]
        if len(filled) > 1:
            raise FileReadError(
                f"{path.name}: {len(filled)} sheets hold data ({', '.join(map(repr, filled))}); "
                "choose one with --sheet NAME (sheet= in the API)"
            )
        name = filled[0] if filled else next(iter(frames))
    frame = frames[name]
    view = f"__crm_xlsx_{abs(hash(str(path)))}"
    con.register(view, frame.to_arrow())
    relation = f"(SELECT * FROM {quote_ident(view)})"
    return Source(
        path, XLSX, list(frame.columns), relation, header_lines=1, frame=frame, sheet=name
    )


def _text(
    con: Any,
    path: Path,
    kind: str,
    colmaps: dict[str, ColumnMap],
    canonical: list[str],
    rejects: str,
    encoding: str | None,
    progress: Progress | None,
    dialect: Dialect,
    temp_root: Path | None,
    sha256: str | None = None,
) -> Source:
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    encoding = encoding or detect_encoding(path, sample)
    first = _first_line(sample, encoding)
    source = Source(path, kind, [], encoding=encoding, pool=ThreadPoolExecutor(1))
    delim = dialect.delimiter or ("\t" if path.suffix.lower() == ".tsv" else _delimiter(first))
    source.whitespace = kind == TEXT and delim is None and len(first.split()) > 1
    needs_copy = encoding == GB18030 or source.whitespace
    read_path = path
    if needs_copy:
        source.temp_dir = tempfile.TemporaryDirectory(
            prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=temp_root
        )
        read_path = Path(source.temp_dir.name) / (path.stem + ".utf8" + path.suffix)
        # the copy must exist before DuckDB reads it
        source.scan = scan_text(
            path,
            encoding,
            out=read_path,
            whitespace=source.whitespace,
            progress=progress,
            sha256=sha256,
        )
    else:
        source.scan = source.pool.submit(
            scan_text, path, encoding, progress=progress, sha256=sha256
        )
    source.read_path = read_path
    if kind == JSONL:
        _jsonl(source, read_path, rejects)
        return source
    if source.whitespace:
        delim, quote, escape, skip = "\t", "", "", 0
        sniffed_header = _sniff(con, read_path, delim)[3]
        first = "\t".join(first.split())
    else:
        delim = delim or ","
        skip, sniffed_header = _sniff(con, read_path, delim)[2:]
        # the dialect is fixed, never sniffed: one stray quote must not turn quoting off
        quote = DEFAULT_QUOTE if dialect.quote is None else dialect.quote
        escape = quote if dialect.escape is None else dialect.escape
    fields = _split(first, delim, quote)
    header = _has_header(fields, colmaps, canonical, sniffed_header)
    if header:
        headers = _unique([f.strip() or f"column{i}" for i, f in enumerate(fields, 1)])
    else:
        headers = [f"column{i}" for i in range(1, len(fields) + 1)]
    columns = "{" + ", ".join(f"{quote_literal(h)}: 'VARCHAR'" for h in headers) + "}"
    options = [
        f"delim={quote_literal(delim)}",
        f"quote={quote_literal(quote)}",
        f"escape={quote_literal(escape)}",
        f"header={'true' if header else 'false'}",
        f"skip={skip}",
        f"columns={columns}",
        "auto_detect=false",
        "comment=''",
        "null_padding=false",
        "strict_mode=true",
        "store_rejects=true",
        f"rejects_table={quote_literal(rejects)}",
        f"rejects_scan={quote_literal(rejects + '_scan')}",
    ]
    source.relation = f"read_csv({quote_literal(str(read_path))}, {', '.join(options)})"
    source.headers = headers
    source.header_lines = skip + (1 if header else 0)
    source.skip_lines = skip
    source.delimiter, source.quote, source.escape = delim, quote, escape
    source.reader_rejects = True
    return source


def text_records(source: Source) -> Iterator[tuple[int, int, str]]:
    """The records of a delimited text file after its header, parsed with Python's :mod:`csv`.

    Yields ``(offset, line, raw)`` per record in file order: the byte offset of its first line
    in the file DuckDB reads (``source.read_path``, BOM included), its first physical line
    (1-based) and its text, the record's physical lines joined with ``\\n`` (line ends dropped).
    Blank lines are not records. Quoting follows DuckDB's reader: the sniffed delimiter, quote
    and escape, and spaces before an opening quote are skipped.
    """
    escape = source.escape if source.escape and source.escape != source.quote else None
    with open(source.read_path or source.path, encoding=UTF8, errors="replace", newline="") as fh:
        lines = _Lines(fh)
        for _ in range(source.skip_lines):
            if next(lines, None) is None:
                return
        lines.take()
        reader = csv.reader(
            lines,
            delimiter=source.delimiter,
            quotechar=source.quote,
            escapechar=escape,
            doublequote=escape is None,
            skipinitialspace=True,
            strict=False,
        )
        headers = source.header_lines - source.skip_lines
        while True:
            limit = csv.field_size_limit(_FIELD_LIMIT)
            try:
                row = next(reader, None)
            finally:
                csv.field_size_limit(limit)
            if row is None:
                return
            (offset, line), text = lines.start, lines.take()
            if not row:  # a blank line
                continue
            if headers:
                headers -= 1
                continue
            yield offset, line, text


class _Lines:
    """The physical lines of an open text file, noting where the record being parsed starts.

    A BOM is dropped from the first line but counted in the byte offsets.
    """

    def __init__(self, fh: io.TextIOBase) -> None:
        self.fh = fh
        self.offset = 0
        self.number = 0
        self.start = (0, 1)
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        text = next(self.fh)
        if not self.taken:
            self.start = (self.offset, self.number + 1)
        self.number += 1
        self.offset += len(text) if text.isascii() else len(text.encode(UTF8))
        if self.number == 1:
            text = text.removeprefix("\ufeff")
        self.taken.append(text)
        return text

    def take(self) -> str:
        """The lines taken since the last call, joined with ``\\n`` without their line ends."""
        text = "\n".join(t.rstrip("\r\n") for t in self.taken)
        self.taken.clear()
        return text


def _jsonl(source: Source, read_path: Path, rejects: str) -> None:
    keys: dict[str, None] = {}
    with open(read_path, encoding=UTF8_BOM) as fh:
        for number, line in enumerate(fh):
            if number >= _JSON_SAMPLE_LINES:
                break
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(obj))
    if not keys:
        raise FileReadError(f"{source.path.name}: no JSON objects in the first lines")
    lines = (
        f"read_csv({quote_literal(str(read_path))}, columns={{'j': 'VARCHAR'}}, delim='\\x01', "
        "quote='', escape='', header=false, auto_detect=false, comment='', strict_mode=false, "
        f"store_rejects=true, rejects_table={quote_literal(rejects)}, "
        f"rejects_scan={quote_literal(rejects + '_scan')})"
    )
    ok = "(json_valid(j) AND starts_with(ltrim(j), '{'))"  # a valid JSON text opening with {
    cols = ", ".join(
        f"json_extract_string(coalesce(j, '{{}}'), {quote_literal('$.' + json.dumps(k))}) "
        f"AS {quote_ident(k)}"
        for k in keys
    )
    checked = (
        f"(SELECT CASE WHEN {ok} THEN j END AS j, "
        f"CASE WHEN NOT {ok} THEN 'not a JSON object' END AS __rowerr "
        f"FROM {lines} WHERE j IS NOT NULL)"
    )
    source.relation = f"(SELECT {cols}, __rowerr FROM {checked})"
    source.headers = list(keys)
    source.reader_rejects = True


def _first_line(sample: bytes, encoding: str) -> str:
    codec = UTF8_BOM if encoding == UTF8_BOM else encoding
    text = sample.decode(codec, errors="ignore")
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _delimiter(first: str) -> str | None:
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def _sniff(con: Any, path: Path, delim: str) -> tuple[str, str, int, bool | None]:
    try:
        row = con.execute(
            "SELECT Quote, Escape, SkipRows, HasHeader FROM sniff_csv(?, delim=?, "
            "ignore_errors=true)",
            [str(path), delim],
        ).fetchone()
    except Exception:  # noqa: BLE001 - fall back to plain CSV quoting
        return '"', '"', 0, None
    quote, escape, skip, header = row
    quote = "" if quote == "(empty)" else quote
    escape = "" if escape == "(empty)" else escape
    if quote and not escape:
        escape = quote
    return quote, escape, int(skip or 0), bool(header)


def _split(line: str, delim: str, quote: str) -> list[str]:
    if not quote:
        return line.split(delim)
    return next(csv.reader(io.StringIO(line), delimiter=delim, quotechar=quote), [])


def _has_header(
    fields: list[str],
    colmaps: dict[str, ColumnMap],
    canonical: list[str],
    sniffed: bool | None,
) -> bool:
    folded = {f.strip().casefold() for f in fields}
    named = {s.casefold() for m in colmaps.values() for s in m.sources} | {
        c.casefold() for c in canonical
    }
    if folded & named and not positional_only(colmaps):
        return True
    if positional_only(colmaps):
        return False
    return bool(sniffed) if sniffed is not None else True


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            out.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out

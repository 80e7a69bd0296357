"""Writing result tables to files: the format follows the extension."""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from crmlytics.errors import DataError

FORMATS = (".csv", ".parquet", ".xlsx", ".json")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A CSV cell starting with one of these is run as a formula by Excel and other spreadsheets
(CSV injection); :func:`neutralise_formulas` prefixes such text with an apostrophe."""
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells starting with ``= + - @``, a tab or a carriage
    return carry a leading apostrophe (``'=HYPERLINK(...)``), so that a spreadsheet opening
    the CSV shows them as text instead of running them. Numbers, dates and booleans are
    unchanged (a negative amount stays a number). Vectorised: one ``str.startswith`` per text
    column."""
    out = frame.copy()
    for name in out.columns:
        series = out[name]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if pd.api.types.is_datetime64_any_dtype(series):
            continue
        try:
            starts = series.str.startswith(FORMULA_STARTS)
        except AttributeError:  # a column holding no text (dates, decimals, ...)
            continue
        mask = starts.fillna(False).astype(bool).to_numpy()
        if mask.any():
            column = series.astype(object)
            column[mask] = "'" + series[mask].astype(str)
            out[name] = column if series.dtype == object else column.astype(series.dtype)
    return out


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame | None:
    """``frame`` with every column that polars would write differently from pandas' ``to_csv``
    turned into pandas' text (booleans ``True``/``False``, date-times as pandas prints them,
    floats in exponent notation as ``repr``, empty text as an empty field), or None when a
    column holds values whose text only pandas knows, or a carriage return (which polars would
    not quote): then pandas writes the file."""
    out = {}
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_bool_dtype(series):
            text = series.map({True: "True", False: "False"})
            out[name] = text.astype(object).where(series.notna(), None)
        elif pd.api.types.is_datetime64_any_dtype(series):
            out[name] = series.astype(str).astype(object).where(series.notna(), None)
        elif pd.api.types.is_float_dtype(series):
            values = series.to_numpy(dtype="float64", na_value=float("nan"))
            finite = values[np.isfinite(values) & (values != 0)]
            if len(finite) and ((np.abs(finite) < 1e-4).any() or (np.abs(finite) >= 1e16).any()):
                out[name] = series.map(repr).astype(object).where(series.notna(), None)
            else:
                out[name] = series
        elif pd.api.types.is_numeric_dtype(series):
            out[name] = series
        else:
            kind = pd.api.types.infer_dtype(series, skipna=True)
            if kind not in ("string", "empty"):
                return None
            if series.str.contains("\r", regex=False).fillna(False).astype(bool).any():
                return None  # polars leaves a lone carriage return unquoted
            empty = series.eq("").fillna(False).astype(bool).to_numpy()
            out[name] = series.mask(empty) if empty.any() else series
    return pd.DataFrame(out, index=frame.index, copy=False)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV in UTF-8 with BOM, the same text as pandas' ``to_csv(index=False)``, written by
    polars (about ten times faster) when every column allows it."""
    import polars as pl

    ready = _csv_ready(frame)
    if ready is None or len(set(map(str, frame.columns))) < len(frame.columns):
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        return
    ready.columns = [str(c) for c in frame.columns]
    with open(path, "wb") as fh:
        fh.write("\ufeff".encode())
        pl.from_pandas(ready).write_csv(fh, null_value="")


def write_frame(
    frame: pd.DataFrame,
    out: str | Path,
    *,
    sheet_name: str = "data",
    csv_formula_guard: bool = True,
) -> Path:
    """Write ``frame`` to ``out`` as CSV (UTF-8 with BOM, so Excel shows Chinese), Parquet,
    Excel or JSON records, chosen by the file extension. Returns the path written.

    The file appears under its real name only once complete. Excel cells holding text are
    written as text, never as formulas or links: a name like ``=HYPERLINK(...)`` stays inert,
    and a phone number keeps its leading ``+`` or zero. CSV has no cell types, so with
    ``csv_formula_guard`` (the default) text starting with ``= + - @``, a tab or a carriage
    return is written with a leading apostrophe (:func:`neutralise_formulas`); machine
    consumers that need the raw text turn it off (``export.csv_formula_guard: false`` in
    ``crmlytics.yaml``). Parquet and JSON are always written raw.
    """
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataError(
            f"cannot write {path}: unknown extension {suffix or '(none)'!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    if suffix == ".xlsx" and len(frame) > XLSX_MAX_ROWS:
        raise DataError(
            f"{len(frame):,} rows do not fit in one Excel sheet ({XLSX_MAX_ROWS:,} at most); "
            "write .csv or .parquet instead"
        )
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            _write_csv(neutralise_formulas(frame) if csv_formula_guard else frame, tmp)
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif suffix == ".xlsx":
            _write_xlsx(frame, tmp, sheet_name)
        else:
            frame.to_json(tmp, orient="records", force_ascii=False, date_format="iso", indent=1)
        tmp.replace(path)  # atomic: a failed write never leaves half a file under the real name
    except OSError as exc:
        raise unwritable(path, exc) from None
    except Exception as exc:  # xlsxwriter wraps the OSError of an unwritable file
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
        if cause is None:
            raise
        raise unwritable(path, cause) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return path


def unwritable(path: Path, exc: OSError) -> DataError:
    """The one-line error for an output file that cannot be written."""
    reason = exc.strerror or type(exc).__name__
    return DataError(f"cannot write {path}: {reason.lower()}")


def _write_xlsx(frame: pd.DataFrame, path: Path, sheet_name: str) -> None:
    """Write ``frame`` as one sheet: column by column (:func:`crmlytics.xlsx.write_sheet`),
    or, for values that writer leaves alone, with xlsxwriter's constant-memory mode, cell by
    cell."""
    from crmlytics.xlsx import write_sheet

    if write_sheet(frame, path, sheet_name):
        return
    import xlsxwriter

    with xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False}
    ) as workbook:
        sheet = workbook.add_worksheet(sheet_name)
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        time_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for c, name in enumerate(frame.columns):
            sheet.write_string(0, c, str(name))
        sheet.freeze_panes(1, 0)

        def write_any(r: int, c: int, v: object) -> None:
            if isinstance(v, bool):
                sheet.write_boolean(r, c, v)
            elif isinstance(v, int | float):
                if math.isfinite(v):
                    sheet.write_number(r, c, v)
            elif isinstance(v, _dt.datetime):
                sheet.write_datetime(r, c, v.replace(tzinfo=None), time_format)
            elif isinstance(v, _dt.date):
                sheet.write_datetime(r, c, v, date_format)
            else:
                sheet.write_string(r, c, str(v))

        columns, writers = [], []
        for name in frame.columns:
            series = frame[name]
            values = series.astype(object).where(series.notna(), None)
            if pd.api.types.is_bool_dtype(series):
                writer = sheet.write_boolean
            elif pd.api.types.is_numeric_dtype(series):
                finite = pd.Series(
                    [v is None or math.isfinite(v) for v in values], index=series.index
                )
                values = values.where(finite, None)
                writer = sheet.write_number
            elif (
                pd.api.types.is_string_dtype(series)
                and values.map(lambda v: v is None or isinstance(v, str)).all()
            ):
                writer = sheet.write_string
            else:
                writer = write_any
            columns.append(values.tolist())
            writers.append(writer)
        for r, row in enumerate(zip(*columns, strict=True), start=1):
            for c, value in enumerate(row):
                if value is not None:
                    writers[c](r, c, value)

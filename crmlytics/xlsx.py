# ruff: noqa: E501  (the fixed XML parts of a workbook read best one per line)
"""A fast writer of one-sheet Excel workbooks: the sheet's XML is built column by column and
streamed into the zip, instead of cell by cell through a general-purpose library.

Text is always text (an inline string: never a formula, a link or a number), numbers are
numbers, booleans booleans, date-times dates with a date format, empty values empty cells;
the header row is frozen. :func:`write_sheet` returns False, writing nothing, for a frame it
does not handle exactly (text with characters XML 1.0 forbids, text longer than a cell holds
or that Excel would read as an escape, columns of mixed Python objects): the caller then uses
xlsxwriter.
"""

from __future__ import annotations

import datetime as _dt
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

CELL_MAX_CHARS = 32_767
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")  # Excel's day 0 (1900 date system)
_DATE, _DATETIME = 1, 2  # style indices in STYLES

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft"/></sheetView></sheetViews><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def column_letter(index: int) -> str:
    """Excel's name of the 0-based column ``index`` (0 → A, 26 → AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _text_cells(values: list[object], ref: list[str]) -> list[str] | None:
    out = []
    for r, v in zip(ref, values, strict=True):
        if v is None:
            out.append("")
        elif isinstance(v, str):
            if len(v) > CELL_MAX_CHARS or _UNSAFE.search(v):
                return None
            out.append(
                f'<c r="{r}" t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c>'
            )
        else:
            return None
    return out


def _cells(series: pd.Series, letter: str, rows: list[str]) -> list[str] | None:
    """The XML of one column's cells (``''`` for an empty one), or None if not handled."""
    ref = [letter + r for r in rows]
    present = series.notna().to_numpy()
    if pd.api.types.is_bool_dtype(series):
        bits = ["1" if v else "0" for v in series.fillna(False).astype(bool)]
        return [
            f'<c r="{r}" t="b"><v>{b}</v></c>' if p else ""
            for r, b, p in zip(ref, bits, present, strict=True)
        ]
    if pd.api.types.is_datetime64_any_dtype(series):
        naive = series.dt.tz_localize(None) if series.dt.tz is not None else series
        days = (naive.to_numpy("datetime64[us]") - _EPOCH) / np.timedelta64(1, "D")
        return [
            f'<c r="{r}" s="{_DATETIME}"><v>{d!r}</v></c>' if p else ""
            for r, d, p in zip(ref, days.tolist(), present, strict=True)
        ]
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(values)
        if pd.api.types.is_integer_dtype(series):
            text = series.astype("Int64").astype(str).tolist()
        else:
            text = [repr(v) for v in values.tolist()]
        return [
            f'<c r="{r}"><v>{t}</v></c>' if f else ""
            for r, t, f in zip(ref, text, finite, strict=True)
        ]
    values = series.astype(object).where(series.notna(), None).tolist()
    given = [v for v in values if v is not None]
    if given and all(isinstance(v, bool | np.bool_) for v in given):
        return [
            "" if v is None else f'<c r="{r}" t="b"><v>{int(bool(v))}</v></c>'
            for r, v in zip(ref, values, strict=True)
        ]
    dates = given
    if dates and all(isinstance(v, _dt.date) and not isinstance(v, _dt.datetime) for v in dates):
        days = [None if v is None else (v - _dt.date(1899, 12, 30)).days for v in values]
        return [
            f'<c r="{r}" s="{_DATE}"><v>{d}</v></c>' if d is not None else ""
            for r, d in zip(ref, days, strict=True)
        ]
    return _text_cells(values, ref)


def write_sheet(frame: pd.DataFrame, path: Path, sheet_name: str) -> bool:
    """Write ``frame`` as the one sheet ``sheet_name`` of workbook ``path``; False (nothing
    written) when the frame holds values this writer does not handle exactly."""
    rows = [str(i) for i in range(2, len(frame) + 2)]
    letters = [column_letter(j) for j in range(len(frame.columns))]
    header = [str(c) for c in frame.columns]
    head_cells = _text_cells(list(header), [f"{letter}1" for letter in letters])
    if head_cells is None or _UNSAFE.search(sheet_name) or len(sheet_name) > 31:
        return False
    columns = []
    for j in range(len(frame.columns)):
        cells = _cells(frame.iloc[:, j], letters[j], rows)
        if cells is None:
            return False
        columns.append(cells)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK.format(name=escape(sheet_name, {'"': "&quot;"})))
        book.writestr("xl/styles.xml", STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(SHEET_HEAD.encode())
            sheet.write(f'<row r="1">{"".join(head_cells)}</row>'.encode())
            chunk = 20_000
            for start in range(0, len(rows), chunk):
                block = zip(
                    rows[start : start + chunk],
                    *(c[start : start + chunk] for c in columns),
                    strict=True,
                )
                text = "".join(f'<row r="{r}">{"".join(cells)}</row>' for r, *cells in block)
                sheet.write(text.encode())
            sheet.write(SHEET_TAIL.encode())
    return True

"""Result tables written by extension; Excel output is safe and keeps Chinese text and dates."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

import crmlytics.io as crm_io
from crmlytics.io import write_frame


def test_xlsx_keeps_text_as_text_and_dates_as_dates(tmp_path):
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "name": ["王伟", '=HYPERLINK("http://x")'],
            "phone": ["+8613800000000", None],
            "first_purchase_date": pd.to_datetime(["2024-01-05", None]),
            "net_revenue": [1234.5, float("nan")],
        }
    )
    path = write_frame(frame, tmp_path / "facts.xlsx")
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0] == tuple(frame.columns)
    assert rows[1] == ("C1", "王伟", "+8613800000000", dt.datetime(2024, 1, 5), 1234.5)
    assert rows[2] == ("C2", '=HYPERLINK("http://x")', None, None, None)  # inert text


def test_too_many_rows_for_excel_is_refused_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(crm_io, "XLSX_MAX_ROWS", 2)
    with pytest.raises(ValueError, match="do not fit in one Excel sheet"):
        write_frame(pd.DataFrame({"a": [1, 2, 3]}), tmp_path / "big.xlsx")
    assert not list(tmp_path.iterdir())


def test_unknown_extension_names_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match=r"\.csv, \.parquet, \.xlsx, \.json"):
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "out.txt")


def test_csv_text_is_exactly_what_pandas_writes(tmp_path):
    # the fast writer (polars) must not change a byte: booleans, date-times, exponent floats,
    # nullable integers, empty and quoted text, Chinese, line breaks
    frame = pd.DataFrame(
        {
            "f": [0.1, 1e20, 1e-7, 123456789.123, np.nan, 2.0, -0.0, 1 / 3],
            "g": [0.1, 1.5, 2.25, 99.99, np.nan, 2.0, -0.0, -3.5],
            "i": pd.array([1, None, 3, 4, 5, 6, 7, 8], dtype="Int64"),
            "b": [True, False, None, True, True, True, True, False],
            "s": ["a,b", 'x"y', None, "line\nbreak", " sp", "", "z", "中文"],
            "o": pd.Series(["a", "", None, "b", "c", "d", "e", "f"], dtype=object),
            "t": pd.to_datetime(["2024-01-01 10:11:12"] * 7 + [None]),
            "d": pd.to_datetime(["2024-01-01"] * 7 + [None]),
        }
    )
    out = write_frame(frame, tmp_path / "a.csv", csv_formula_guard=False)
    frame.to_csv(tmp_path / "b.csv", index=False, encoding="utf-8-sig")
    assert out.read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_csv_formula_guard_prefixes_only_text_that_starts_a_formula(tmp_path):
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("x")', "+86 138", "-x", "@sum", "\tx", "\rx", "ok", None],
            "amount": [-1.5, 2, 3, 4, 5, 6, 7, 8],
            "mixed": pd.Series([1, "=1", None, "a", 2.5, "-", "", "x"], dtype=object),
        }
    )
    guarded = crm_io.neutralise_formulas(frame)
    assert guarded["name"].tolist()[:7] == [
        "'=HYPERLINK(\"x\")", "'+86 138", "'-x", "'@sum", "'\tx", "'\rx", "ok"
    ]  # fmt: skip
    assert guarded["name"].isna().tolist()[7]
    assert guarded["amount"].tolist() == frame["amount"].tolist()  # numbers stay numbers
    assert guarded["mixed"].tolist()[:2] == [1, "'=1"] and guarded["mixed"].tolist()[5] == "'-"
    # the file holds the guarded text (the carriage return row aside: pandas writes it as is)
    text = write_frame(frame.drop(index=5), tmp_path / "g.csv").read_text(encoding="utf-8-sig")
    back = pd.read_csv(io.StringIO(text), keep_default_na=False, dtype=str)
    assert back["name"].tolist() == [
        '\'=HYPERLINK("x")',
        "'+86 138",
        "'-x",
        "'@sum",
        "'\tx",
        "ok",
        "",
    ]
    assert back["mixed"].tolist() == ["1", "'=1", "", "a", "2.5", "", "x"]


def _xlsx_values(path):
    return list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))


def test_the_fast_xlsx_writer_gives_the_cells_xlsxwriter_gives(tmp_path, monkeypatch):
    from crmlytics import xlsx

    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "name": ["王伟", '=HYPERLINK("http://x")', ' a<b>&"c '],
            "phone": ["+8613800000000", None, "0123"],
            "ts": pd.to_datetime(["2024-01-05 00:00:00", None, "2024-02-03 10:11:12"]),
            "day": [dt.date(2024, 1, 2), None, dt.date(1999, 12, 31)],
            "x": [1234.5, float("nan"), float("inf")],
            "i": [1, 2, 3],
            "ii": pd.array([1, None, -3], dtype="Int64"),
            "b": [True, False, None],
            "bb": [True, False, True],
        }
    )
    fast = write_frame(frame, tmp_path / "fast.xlsx")
    monkeypatch.setattr(xlsx, "write_sheet", lambda *a: False)  # xlsxwriter, cell by cell
    slow = write_frame(frame, tmp_path / "slow.xlsx")
    assert _xlsx_values(fast) == _xlsx_values(slow)
    assert _xlsx_values(fast)[3] == (
        "C3", ' a<b>&"c ', "0123", dt.datetime(2024, 2, 3, 10, 11, 12),
        dt.datetime(1999, 12, 31), None, 3, -3, None, True,
    )  # fmt: skip
    sheet = openpyxl.load_workbook(fast).active
    assert sheet.freeze_panes == "A2" and sheet.title == "data"
    assert sheet["B3"].data_type == "s"  # the formula-looking name is text


def test_text_the_fast_xlsx_writer_cannot_keep_exactly_goes_to_xlsxwriter(tmp_path, monkeypatch):
    from crmlytics import xlsx

    used = []
    write_sheet = xlsx.write_sheet
    monkeypatch.setattr(xlsx, "write_sheet", lambda *a: used.append(write_sheet(*a)) or used[-1])
    frame = pd.DataFrame({"note": ["bell \x07 here", "_x0041_ is A to Excel"]})
    path = write_frame(frame, tmp_path / "odd.xlsx")
    assert used == [False]
    values = [r[0] for r in _xlsx_values(path)][1:]
    assert values[1].endswith("x0041_ is A to Excel")  # escaped by xlsxwriter, so Excel shows it
    assert values[0].startswith("bell ") and values[0].endswith(" here")

"""Result tables written by extension; Excel output is safe and keeps Chinese text and dates."""

from __future__ import annotations

import datetime as dt

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

# ruff: noqa: E501  (inline data rows read best one per line)
"""Ingest: formats, encodings, mappings, rejects with physical line numbers, dedup, atomicity.

Every file is written inline to tmp_path so each expected number can be checked by hand.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from crmlytics.ingest import IngestError, ingest
from crmlytics.ingest import lines as ingest_lines
from crmlytics.ingest import loading as ingest_loading
from crmlytics.workspace import Workspace

TX_HEADER = "order_id,line_no,kind,customer_id,order_ts,amount\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rows(ws, sql):
    return ws.duckdb.execute(sql).fetchall()


def tx(ws):
    return rows(
        ws, "SELECT order_id, line_no, kind, customer_id, amount FROM transactions ORDER BY ALL"
    )


def assert_counts_add_up(result):
    assert result.rows_loaded + result.rows_rejected + result.rows_duplicate == result.rows_read


# -- bad rows -------------------------------------------------------------------------------
def test_every_bad_row_kind_goes_to_rejects_with_physical_line_and_reason(ws, tmp_path):
    path = write(
        tmp_path,
        "tx.csv",
        TX_HEADER
        + "o1,1,sale,c1,2024-03-05T14:02:00,10\n"  # line 2: good
        + "o2,1,sale,c1,2024-13-45,10\n"  # line 3: not a date
        + "\n"  # line 4: blank, not a record
        + "o3,1,sale,c2,2024-03-05,abc\n"  # line 5: not a number
        + "o4,1,sale,,2024-03-05,10\n"  # line 6: customer missing
        + "o5,1,sale,c2,2024-03-05\n"  # line 7: wrong field count
        + "o6,1,refund,c2,2024-03-05,10\n"  # line 8: unknown kind
        + "o7,x,sale,c2,2024-03-05,10\n"  # line 9: line_no not a whole number
        + "o8,1,sale,c3,2024/3/5 14:02,¥1,234.50\n",  # line 10: wrong field count (unquoted ,)
    )
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (8, 1, 7)
    assert_counts_add_up(result)
    assert rows(ws, "SELECT order_id FROM transactions") == [("o1",)]
    rejects = rows(
        ws, "SELECT line_no, column_name, raw_line, reason, file FROM rejects ORDER BY line_no"
    )
    date_hint = "from 1900-01-01 to 2100-12-31 (expected e.g. 2024-03-05, 2024/3/5 14:02, 20240305)"
    assert rejects == [
        (3, "order_ts", "o2,1,sale,c1,2024-13-45,10", f"order_ts: '2024-13-45' is not a date {date_hint}", str(path)),
        (5, "amount", "o3,1,sale,c2,2024-03-05,abc", "amount: 'abc' is not a number (expected e.g. 1234.50, 1,234.50, ¥1,234.50, (12.50))", str(path)),
        (6, "customer_id", "o4,1,sale,,2024-03-05,10", "customer_id: required value is missing", str(path)),
        (7, None, "o5,1,sale,c2,2024-03-05", "wrong field count: expected 6 fields, found 5", str(path)),
        (8, "kind", "o6,1,refund,c2,2024-03-05,10", "kind: 'refund' is not sale or return (map values in the mapping file)", str(path)),
        (9, "line_no", "o7,x,sale,c2,2024-03-05,10", "line_no: 'x' is not a whole number (expected e.g. 3, 1,200)", str(path)),
        (10, None, "o8,1,sale,c3,2024/3/5 14:02,¥1,234.50", "wrong field count: expected 6 fields, found 7", str(path)),
    ]  # fmt: skip
    [log] = rows(
        ws, "SELECT rows_read, rows_loaded, rows_rejected, rows_duplicate, status FROM load_log"
    )
    assert log == (8, 1, 7, 0, "loaded_with_rejects")


def test_reject_line_number_is_physical_deep_in_a_large_file(ws, tmp_path):
    # 60,000 records: DuckDB reads this in parallel; line numbers must still be physical.
    lines = [f"o{i},1,sale,c{i % 97},2024-01-01 10:00:00,{i % 50 + 1}" for i in range(60_000)]
    lines[41_234] = "o41234,1,sale,c1,2024-02-30,5"  # physical line 41,236 (header is 1)
    lines[10_000] = "o10000,1,sale,c1"  # wrong field count at physical line 10,002
    path = write(tmp_path, "big.csv", TX_HEADER + "\n".join(lines) + "\n")
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (60_000, 59_998, 2)
    assert rows(ws, "SELECT line_no, raw_line FROM rejects ORDER BY line_no") == [
        (10_002, "o10000,1,sale,c1"),
        (41_236, "o41234,1,sale,c1,2024-02-30,5"),
    ]


def test_crlf_file_with_blank_lines_keeps_physical_line_numbers(ws, tmp_path):
    text = (
        TX_HEADER
        + "\n"
        + "o1,1,sale,c1,2024-03-05,10\n\n\no2,1,sale,c1,nope,1\no3,1,sale,c1,2024-03-05,1\n"
    )
    path = write(tmp_path, "tx.csv", text.replace("\n", "\r\n"))  # blank lines 2, 4 and 5
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(ws, "SELECT line_no, raw_line FROM rejects") == [(6, "o2,1,sale,c1,nope,1")]


def test_strict_rejects_whole_file_naming_first_bad_line_and_column(ws, tmp_path):
    path = write(
        tmp_path,
        "tx.csv",
        TX_HEADER + "o1,1,sale,c1,2024-03-05,10\no2,1,sale,c1,2024-03-05,ten\no3,1,sale,c1,bad,1\n",
    )
    with pytest.raises(IngestError, match=r"tx.csv: line 3, column amount: amount: 'ten'"):
        ingest(ws, "transactions", path, strict=True)
    assert rows(ws, "SELECT count(*) FROM transactions") == [(0,)]
    assert rows(ws, "SELECT count(*) FROM rejects") == [(0,)]
    assert rows(ws, "SELECT count(*) FROM load_log") == [(0,)]


def test_strict_mode_reports_wrong_field_count_line(ws, tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEADER + "o1,1,sale,c1,2024-03-05,10\n\no2,1\n")
    with pytest.raises(IngestError, match=r"line 4: wrong field count: expected 6 fields, found 2"):
        ingest(ws, "transactions", path, strict=True)


# -- quoted fields spanning lines -------------------------------------------------------------
COMPLAINTS_HEADER = "complaint_id,customer_id,opened_at,description\n"


def test_reject_after_a_multi_line_quoted_field_has_its_physical_line_and_text(ws, tmp_path):
    path = write(
        tmp_path,
        "comp.csv",
        COMPLAINTS_HEADER
        + 'K1,C1,2024-01-01,"line one\nline two"\n'  # lines 2-3: one record
        + "K2,C2,2024-13-01,bad date\n"  # line 4: not a date
        + 'K3,C3,2024-01-03,"ok"\n',  # line 5
    )
    [result] = ingest(ws, "complaints", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(ws, "SELECT line_no, column_name, raw_line FROM rejects") == [
        (4, "opened_at", "K2,C2,2024-13-01,bad date")
    ]
    assert rows(ws, "SELECT complaint_id, description FROM complaints ORDER BY 1") == [
        ("K1", "line one\nline two"),
        ("K3", "ok"),
    ]


def test_multi_line_reject_has_its_first_line_and_all_its_lines_as_raw_text(ws, tmp_path):
    path = write(
        tmp_path,
        "comp.csv",
        COMPLAINTS_HEADER
        + "K1,C1,2024-01-01,plain\n"  # line 2
        + 'K2,C2,someday,"first\nsecond"\n'  # lines 3-4: not a date
        + 'K3,C3,2024-01-03,"a\nb"\n'  # lines 5-6
        + "K4,C4,2024-02-30,x\n",  # line 7: not a date
    )
    [result] = ingest(ws, "complaints", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert rows(ws, "SELECT line_no, raw_line FROM rejects ORDER BY line_no") == [
        (3, 'K2,C2,someday,"first\nsecond"'),
        (7, "K4,C4,2024-02-30,x"),
    ]


def test_crlf_blank_lines_and_a_multi_line_wrong_field_count_keep_physical_lines(ws, tmp_path):
    text = (
        COMPLAINTS_HEADER
        + "\n"  # line 2: blank
        + 'K1,C1,2024-01-01,"one\n\nthree"\n'  # lines 3-5, a blank line inside the quotes
        + 'K2,C2,2024-01-02,"x\ny",extra\n'  # lines 6-7: five fields, DuckDB's reader rejects
        + "\n"  # line 8: blank
        + "K3,C3,2024-13-13,z\n"  # line 9: not a date
        + "K4,C4,2024-01-04,w\n"  # line 10
    )
    path = write(tmp_path, "comp.csv", text.replace("\n", "\r\n"))
    [result] = ingest(ws, "complaints", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert rows(ws, "SELECT line_no, column_name, raw_line, reason FROM rejects ORDER BY line_no") == [
        (6, None, 'K2,C2,2024-01-02,"x\ny",extra', "wrong field count: expected 4 fields, found 5"),
        (9, "opened_at", "K3,C3,2024-13-13,z", "opened_at: '2024-13-13' is not a date from 1900-01-01 to 2100-12-31 (expected e.g. 2024-03-05, 2024/3/5 14:02, 20240305)"),
    ]  # fmt: skip
    assert rows(ws, "SELECT description FROM complaints WHERE complaint_id = 'K1'") == [
        ("one\r\n\r\nthree",)
    ]


def test_strict_mode_names_the_physical_line_after_a_multi_line_field(ws, tmp_path):
    path = write(
        tmp_path,
        "comp.csv",
        COMPLAINTS_HEADER + 'K1,C1,2024-01-01,"a\nb\nc"\nK2,C2,2024-01-02,x\nK3,C3,nope,y\n',
    )
    with pytest.raises(IngestError, match=r"comp.csv: line 6, column opened_at: opened_at: 'nope'"):
        ingest(ws, "complaints", path, strict=True)


def test_clean_file_with_multi_line_fields_counts_records_not_lines(ws, tmp_path):
    # 7 physical lines, 3 records: counted from lines the file would seem to have 6 records,
    # so the direct path must not keep its insert as if 3 of them had failed
    path = write(
        tmp_path,
        "comp.csv",
        COMPLAINTS_HEADER
        + 'K1,C1,2024-01-01,"a\nb"\n'
        + 'K2,C2,2024-01-02,"c\nd\ne"\n'
        + 'K3,C3,2024-01-03,"f"\n',
    )
    [result] = ingest(ws, "complaints", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 3, 0)
    assert rows(ws, "SELECT rows_read, rows_loaded, rows_rejected, status FROM load_log") == [(3, 3, 0, "loaded")]  # fmt: skip
    assert rows(ws, "SELECT complaint_id, description FROM complaints ORDER BY 1") == [
        ("K1", "a\nb"),
        ("K2", "c\nd\ne"),
        ("K3", "f"),
    ]


def test_gb18030_file_with_a_multi_line_chinese_description_and_a_later_bad_row(ws, tmp_path):
    path = write(
        tmp_path,
        "投诉.csv",
        "投诉编号,客户,受理时间,描述\n"
        + 'K1,张三,2024/3/5 09:00,"收到的商品有破损,\n要求退货"\n'  # lines 2-3
        + "K2,李四,2024年3月6日,无\n"  # line 4
        + "K3,王五,2024年13月6日,日期错误\n",  # line 5: not a date
        encoding="gb18030",
    )
    mapping = {"complaint_id": "投诉编号", "customer_id": "客户", "opened_at": "受理时间", "description": "描述"}  # fmt: skip
    [result] = ingest(ws, "complaints", path, mapping=mapping)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(ws, "SELECT line_no, column_name, raw_line FROM rejects") == [
        (5, "opened_at", "K3,王五,2024年13月6日,日期错误")
    ]
    assert rows(ws, "SELECT description FROM complaints WHERE complaint_id = 'K1'") == [
        ("收到的商品有破损,\n要求退货",)
    ]


def test_file_without_quote_characters_maps_lines_without_parsing_records(
    ws, tmp_path, monkeypatch
):
    def no_parse(source):
        raise AssertionError("records were parsed again")

    monkeypatch.setattr(ingest_lines, "text_records", no_parse)
    path = write(
        tmp_path,
        "comp.csv",
        COMPLAINTS_HEADER + "K1,C1,2024-01-01,a\n\nK2,C2,bad,b\nK3,C3\nK4,C4,2024-01-04,d\n",
    )
    [result] = ingest(ws, "complaints", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert rows(ws, "SELECT line_no, raw_line FROM rejects ORDER BY line_no") == [
        (4, "K2,C2,bad,b"),
        (5, "K3,C3"),
    ]


# -- values ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05T14:02:00", dt.datetime(2024, 3, 5, 14, 2)),
        ("2024/3/5 14:02", dt.datetime(2024, 3, 5, 14, 2)),
        ("20240305", dt.datetime(2024, 3, 5)),
        ("2024-03-05", dt.datetime(2024, 3, 5)),
        ("2024/03/05", dt.datetime(2024, 3, 5)),
        ("2024-03-05 14:02:07", dt.datetime(2024, 3, 5, 14, 2, 7)),
        ("2024年3月5日", dt.datetime(2024, 3, 5)),
    ],
)
def test_date_formats_are_read(ws, tmp_path, text, expected):
    path = write(tmp_path, "tx.csv", TX_HEADER + f'o1,1,sale,c1,"{text}",1\n')
    ingest(ws, "transactions", path)
    assert rows(ws, "SELECT order_ts FROM transactions") == [(expected,)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", 1234.5),
        ("¥1,234.50", 1234.5),
        ("￥12", 12.0),
        ("$7.25", 7.25),
        ("-12.5", -12.5),
        ("(12.50)", -12.5),
        (" 3 ", 3.0),
    ],
)
def test_amount_formats_are_read(ws, tmp_path, text, expected):
    path = write(tmp_path, "tx.csv", TX_HEADER + f'o1,1,sale,c1,2024-03-05,"{text}"\n')
    ingest(ws, "transactions", path)
    assert rows(ws, "SELECT amount FROM transactions") == [(expected,)]


def test_missing_kind_is_sale_and_positive_return_is_stored_negative(ws, tmp_path):
    path = write(
        tmp_path,
        "tx.csv",
        "order_id,line_no,kind,customer_id,order_ts,amount\n"
        "o1,1,,c1,2024-03-05,100\n"
        "o1,1,return,c1,2024-03-06,40\n"
        "o1,2,RETURN,c1,2024-03-06,-5\n",
    )
    ingest(ws, "transactions", path)
    assert tx(ws) == [("o1", 1, "return", "c1", -40.0), ("o1", 1, "sale", "c1", 100.0), ("o1", 2, "return", "c1", -5.0)]  # fmt: skip


def test_missing_line_no_is_numbered_within_order_in_file_order(ws, tmp_path):
    path = write(
        tmp_path,
        "tx.csv",
        "order_id,customer_id,order_ts,amount\n"
        "o1,c1,2024-03-05,10\no2,c2,2024-03-05,20\no1,c1,2024-03-05,30\no1,c1,2024-03-05,40\n",
    )
    ingest(ws, "transactions", path)
    assert rows(ws, "SELECT order_id, line_no, amount FROM transactions ORDER BY 1, 2") == [
        ("o1", 1, 10.0),
        ("o1", 2, 30.0),
        ("o1", 3, 40.0),
        ("o2", 1, 20.0),
    ]


# -- dedup and replacement ------------------------------------------------------------------
def test_reingesting_the_same_file_is_skipped_and_forced_doubles_nothing(ws, tmp_path):
    path = write(
        tmp_path,
        "tx.csv",
        TX_HEADER
        + "o1,1,sale,c1,2024-03-05,10\no1,2,sale,c1,2024-03-05,5\no2,1,sale,c2,2024-03-06,7\n",
    )
    [first] = ingest(ws, "transactions", path)
    before = tx(ws)
    [skipped] = ingest(ws, "transactions", path)
    assert (skipped.status, skipped.rows_read, skipped.load_id) == ("skipped", 0, first.load_id)
    assert f"load {first.load_id}" in skipped.message and "--force" in skipped.message
    assert rows(ws, "SELECT count(*) FROM load_log") == [(1,)]
    [second] = ingest(ws, "transactions", path, force=True)
    assert (first.rows_loaded, first.rows_duplicate) == (3, 0)
    assert (second.rows_read, second.rows_loaded, second.rows_duplicate) == (3, 0, 3)
    assert tx(ws) == before
    assert first.sha256 == second.sha256
    assert rows(ws, "SELECT count(*) FROM load_log") == [(2,)]


def test_exact_duplicate_rows_within_a_file_are_counted_once(ws, tmp_path):
    line = "o1,1,sale,c1,2024-03-05,10\n"
    path = write(tmp_path, "tx.csv", TX_HEADER + line + line + line + "o2,1,sale,c1,2024-03-05,3\n")
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate) == (4, 2, 2)
    assert rows(ws, "SELECT count(*) FROM transactions") == [(2,)]


def test_changed_row_is_updated_and_conflicting_repeats_in_a_file_are_rejected(ws, tmp_path):
    first = write(
        tmp_path,
        "a.csv",
        TX_HEADER
        + "o1,1,sale,c1,2024-03-05,10\no2,1,sale,c2,2024-03-05,20\no4,1,sale,c4,2024-03-05,40\n",
    )
    second = write(
        tmp_path,
        "b.csv",
        TX_HEADER
        + "o1,1,sale,c1,2024-03-05,10\n"  # line 2: identical to the table: duplicate
        + "o2,1,sale,c2,2024-03-05,25\n"  # line 3: o2 twice with different amounts:
        + "o2,1,sale,c2,2024-03-05,26\n"  # line 4: which is right cannot be told, both rejected
        + "o3,1,sale,c3,2024-03-05,1\n"  # line 5: new
        + "o4,1,sale,c4,2024-03-05,41\n",  # line 6: changed: replaces 40 (updated)
    )
    ingest(ws, "transactions", first)
    [result] = ingest(ws, "transactions", second)
    counts = (result.rows_read, result.rows_loaded, result.rows_updated, result.rows_rejected, result.rows_duplicate)  # fmt: skip
    assert counts == (5, 1, 1, 2, 1)
    assert tx(ws) == [("o1", 1, "sale", "c1", 10.0), ("o2", 1, "sale", "c2", 20.0), ("o3", 1, "sale", "c3", 1.0), ("o4", 1, "sale", "c4", 41.0)]  # fmt: skip
    rejects = rows(ws, "SELECT line_no, reason FROM rejects ORDER BY line_no")
    assert [line for line, _ in rejects] == [3, 4]
    assert rejects[0][1].startswith("order_id, line_no, kind ('o2', 1, 'sale') also on line 4 with other values")  # fmt: skip
    assert rejects[1][1].startswith("order_id, line_no, kind ('o2', 1, 'sale') also on line 3 with other values")  # fmt: skip
    assert rows(ws, "SELECT rows_read, rows_loaded, rows_updated, rows_rejected, rows_duplicate FROM load_log WHERE file = ?".replace("?", repr(str(second)))) == [(5, 1, 1, 2, 1)]  # fmt: skip


# -- atomicity ------------------------------------------------------------------------------
@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_failure_mid_file_leaves_table_and_load_log_unchanged(ws, tmp_path, monkeypatch, error):
    ingest(ws, "transactions", write(tmp_path, "a.csv", TX_HEADER + "o1,1,sale,c1,2024-03-05,10\n"))
    before = (tx(ws), rows(ws, "SELECT load_id FROM load_log"), rows(ws, "SELECT * FROM rejects"))
    upsert = ingest_loading._Load._upsert

    def upsert_then_die(self, stage):
        upsert(self, stage)  # rows are deleted/inserted and rejects written ...
        assert rows(ws, "SELECT count(*) FROM transactions")[0][0] == 3  # ... inside the txn
        raise error

    monkeypatch.setattr(ingest_loading._Load, "_upsert", upsert_then_die)
    path = write(
        tmp_path,
        "b.csv",
        TX_HEADER
        + "o1,1,sale,c1,2024-03-05,99\no2,1,sale,c1,2024-03-05,1\no3,1,sale,c1,bad,1\no4,1,sale,c1,2024-03-05,1\n",
    )
    with pytest.raises(type(error)):
        ingest(ws, "transactions", path)
    after = (tx(ws), rows(ws, "SELECT load_id FROM load_log"), rows(ws, "SELECT * FROM rejects"))
    assert after == before
    assert not [
        t for (t,) in rows(ws, "SELECT table_name FROM duckdb_tables()") if t.startswith("__crm")
    ]


# -- the direct path (no staged copy) and its fallback ---------------------------------------
def no_staging(self, *args):
    raise AssertionError("the file was staged")


def test_clean_file_into_empty_table_loads_without_a_staged_copy(ws, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_loading._Load, "stage", no_staging)
    path = write(
        tmp_path,
        "tx.csv",
        TX_HEADER
        + "o1,1,sale,c1,2024-03-05,10\n"  # line 2
        + "\n"  # line 3: blank
        + "o1,2\n"  # line 4: wrong field count, rejected by DuckDB's reader
        + "o2,1,return,c2,2024-03-06,4",  # line 5, no newline at the end
    )
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected, result.rows_duplicate) == (
        3,
        2,
        1,
        0,
    )
    assert tx(ws) == [("o1", 1, "sale", "c1", 10.0), ("o2", 1, "return", "c2", -4.0)]
    assert rows(ws, "SELECT line_no, raw_line FROM rejects") == [(4, "o1,2")]
    assert rows(ws, "SELECT rows_read, rows_loaded, rows_rejected, status FROM load_log") == [(3, 2, 1, "loaded_with_rejects")]  # fmt: skip


def test_file_of_new_keys_into_a_loaded_table_is_appended_without_a_staged_copy(
    ws, tmp_path, monkeypatch
):
    ingest(ws, "transactions", write(tmp_path, "a.csv", TX_HEADER + "o1,1,sale,c1,2024-03-05,10\n"))
    monkeypatch.setattr(ingest_loading._Load, "stage", no_staging)
    # o1 again, but line 2 and the return of line 1 are new keys
    path = write(
        tmp_path, "b.csv", TX_HEADER + "o1,2,sale,c1,2024-03-05,5\no1,1,return,c1,2024-03-09,10\n"
    )
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate) == (2, 2, 0)
    assert tx(ws) == [("o1", 1, "return", "c1", -10.0), ("o1", 1, "sale", "c1", 10.0), ("o1", 2, "sale", "c1", 5.0)]  # fmt: skip


def test_a_key_already_in_the_table_sends_the_file_to_the_staged_path(ws, tmp_path, monkeypatch):
    ingest(ws, "transactions", write(tmp_path, "a.csv", TX_HEADER + "o1,1,sale,c1,2024-03-05,10\n"))
    staged = []
    stage = ingest_loading._Load.stage
    monkeypatch.setattr(
        ingest_loading._Load, "stage", lambda self, *a: staged.append(1) or stage(self, *a)
    )
    path = write(
        tmp_path, "b.csv", TX_HEADER + "o2,1,sale,c1,2024-03-05,5\no1,1,sale,c1,2024-03-05,12\n"
    )
    [result] = ingest(ws, "transactions", path)
    assert staged == [1]
    counts = (result.rows_read, result.rows_loaded, result.rows_updated, result.rows_duplicate)
    assert counts == (2, 1, 1, 0)
    assert tx(ws) == [("o1", 1, "sale", "c1", 12.0), ("o2", 1, "sale", "c1", 5.0)]


def test_bad_last_line_without_newline_is_rejected_not_lost(ws, tmp_path):
    # the unterminated last line is a record: without counting it, 2 rows inserted would equal
    # 2 "records" and the bad row would vanish
    path = write(
        tmp_path,
        "tx.csv",
        TX_HEADER + "o1,1,sale,c1,2024-03-05,10\no2,1,sale,c1,2024-03-05,10\no3,1,sale,c1,bad,1",
    )
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(ws, "SELECT line_no, column_name FROM rejects") == [(4, "order_ts")]


def test_carriage_return_line_ends_take_the_staged_path_and_lose_nothing(ws, tmp_path):
    text = TX_HEADER + "o1,1,sale,c1,2024-03-05,10\no2,1,sale,c1,bad,1\no3,1,sale,c1,2024-03-05,2\n"
    path = write(tmp_path, "tx.csv", text.replace("\n", "\r"))
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(ws, "SELECT order_id FROM transactions ORDER BY 1") == [("o1",), ("o3",)]


def test_missing_line_no_in_a_file_with_line_numbers_is_numbered_within_its_order(ws, tmp_path):
    path = write(
        tmp_path,
        "tx.csv",
        TX_HEADER
        + "o1,1,sale,c1,2024-03-05,10\no1,,sale,c1,2024-03-05,20\no2,,sale,c1,2024-03-05,30\n",
    )
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded) == (3, 3)
    # the record's position within its order, in file order, as without a line_no column
    assert rows(ws, "SELECT order_id, line_no, amount FROM transactions ORDER BY 1, 2") == [
        ("o1", 1, 10.0),
        ("o1", 2, 20.0),
        ("o2", 1, 30.0),
    ]


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_failure_after_the_direct_insert_leaves_nothing(ws, tmp_path, monkeypatch, error):
    monkeypatch.setattr(ingest_loading._Load, "stage", no_staging)

    def die(self, result):
        assert rows(ws, "SELECT count(*) FROM transactions")[0][0] == 2  # inserted, in the txn
        raise error

    monkeypatch.setattr(ingest_loading._Load, "_log", die)
    path = write(
        tmp_path,
        "tx.csv",
        TX_HEADER + "o1,1,sale,c1,2024-03-05,10\no1\no2,1,sale,c1,2024-03-05,1\n",
    )
    with pytest.raises(type(error)):
        ingest(ws, "transactions", path)
    assert rows(ws, "SELECT (SELECT count(*) FROM transactions), (SELECT count(*) FROM rejects), (SELECT count(*) FROM load_log)") == [(0, 0, 0)]  # fmt: skip
    assert not [
        t for (t,) in rows(ws, "SELECT table_name FROM duckdb_tables()") if t.startswith("__crm")
    ]


# -- encodings and formats ------------------------------------------------------------------
MAPPING_YAML = """\
order_id: 订单编号
customer_id: 客户编号
order_ts: 下单时间
amount: 金额
kind: {source: 单据类型, values: {销售: sale, 退货: return}}
"""


def test_gb18030_file_with_chinese_headers_and_value_map(ws, tmp_path):
    path = write(
        tmp_path,
        "订单.csv",
        "订单编号,客户编号,下单时间,金额,单据类型,备注\n"
        'D001,张三,2024/3/5 14:02,"¥1,234.50",销售,首单\n'
        "D002,李四,20240306,88,销售,\n"
        "D001,张三,2024-03-07,200,退货,质量问题\n",
        encoding="gb18030",
    )
    mapping = write(tmp_path, "map.yaml", MAPPING_YAML)
    [result] = ingest(ws, "transactions", path, mapping=mapping)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 3, 0)
    got = rows(ws, "SELECT order_id, line_no, kind, customer_id, order_ts, amount, attributes FROM transactions ORDER BY order_id, kind")  # fmt: skip
    assert got == [
        # no line_no column: lines are numbered within the order in file order
        ("D001", 2, "return", "张三", dt.datetime(2024, 3, 7), -200.0, '{"备注":"质量问题"}'),
        ("D001", 1, "sale", "张三", dt.datetime(2024, 3, 5, 14, 2), 1234.5, '{"备注":"首单"}'),
        ("D002", 1, "sale", "李四", dt.datetime(2024, 3, 6), 88.0, '{"备注":null}'),
    ]


def test_gbk_bytes_after_a_long_ascii_start_are_still_detected(ws, tmp_path):
    ascii_part = "".join(f"o{i},1,sale,c{i},2024-03-05,1\n" for i in range(3000))  # > 64 KiB
    path = write(
        tmp_path, "late.csv", TX_HEADER + ascii_part + "o9999,1,sale,王五,2024-03-05,1\n", "gbk"
    )
    [result] = ingest(ws, "transactions", path)
    assert result.rows_loaded == 3001
    assert rows(ws, "SELECT customer_id FROM transactions WHERE order_id = 'o9999'") == [("王五",)]


def test_utf8_with_bom_header_is_recognised(ws, tmp_path):
    path = write(tmp_path, "bom.csv", "\ufeff" + TX_HEADER + "o1,1,sale,c1,2024-03-05,10\n")
    [result] = ingest(ws, "transactions", path)
    assert result.rows_loaded == 1
    assert tx(ws) == [("o1", 1, "sale", "c1", 10.0)]


def test_tsv_file(ws, tmp_path):
    path = write(
        tmp_path, "tx.tsv", TX_HEADER.replace(",", "\t") + "o1\t1\tsale\tc1\t2024-03-05\t1,234.50\n"
    )
    ingest(ws, "transactions", path)
    assert tx(ws) == [("o1", 1, "sale", "c1", 1234.5)]


def test_whitespace_separated_headerless_cdnow_lines_with_positional_mapping(ws, tmp_path):
    path = write(
        tmp_path,
        "cdnow.txt",
        " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n"
        " 00021 0002 19970101  3   63.34\n 00021 0002 1997013x  1   11.77\n",
    )
    mapping = {"customer_id": "column2", "order_ts": "column3", "quantity": "column4", "amount": "column5", "order_id": "column1"}  # fmt: skip
    [result] = ingest(ws, "transactions", path, mapping=mapping)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 3, 1)
    assert rows(ws, "SELECT order_id, line_no, customer_id, order_ts, quantity, amount FROM transactions ORDER BY ALL") == [
        ("00004", 1, "0001", dt.datetime(1997, 1, 1), 2.0, 29.33),
        ("00004", 2, "0001", dt.datetime(1997, 1, 18), 2.0, 29.73),
        ("00021", 1, "0002", dt.datetime(1997, 1, 1), 3.0, 63.34),
    ]  # fmt: skip
    assert rows(ws, "SELECT line_no, raw_line FROM rejects") == [
        (4, " 00021 0002 1997013x  1   11.77")
    ]


def test_cdnow_sample_untouched_with_customer_day_composite_order_key(ws):
    # the file inside the lifetimes package, as shipped: no order id, so one order is one
    # customer on one day (columns 1 and 3 joined); the date also feeds order_ts
    path = Path(str(importlib.resources.files("lifetimes.datasets") / "CDNOW_sample.txt"))
    reference = pd.read_csv(path, sep=r"\s+", header=None, dtype=str)  # independent reader
    mapping = {"order_id": ["column1", "column3"], "customer_id": "column1", "order_ts": "column3", "quantity": "column4", "amount": "column5"}  # fmt: skip
    [result] = ingest(ws, "transactions", path, mapping=mapping)
    assert result.rows_read == result.rows_loaded == len(reference) == 6919
    [(customers, orders, total)] = rows(
        ws,
        "SELECT count(DISTINCT customer_id), count(DISTINCT order_id), sum(amount) FROM transactions",
    )
    assert customers == reference[0].nunique() == 2357
    assert orders == len(reference.drop_duplicates([0, 2]))  # distinct customer-days
    assert total == pytest.approx(reference[4].astype(float).sum())
    assert rows(ws, "SELECT order_id, line_no, order_ts FROM transactions WHERE customer_id = '00004' ORDER BY 1") == [
        ("00004-19970101", 1, dt.datetime(1997, 1, 1)),
        ("00004-19970118", 1, dt.datetime(1997, 1, 18)),
        ("00004-19970802", 1, dt.datetime(1997, 8, 2)),
        ("00004-19971212", 1, dt.datetime(1997, 12, 12)),
    ]  # fmt: skip


# -- composite sources and dropped columns --------------------------------------------------
CDNOW_LIKE = {"order_id": ["column1", "column3"], "customer_id": "column1", "order_ts": "column3", "quantity": "column4", "amount": "column5"}  # fmt: skip


def test_composite_order_key_groups_a_customers_lines_of_one_day_into_one_order(ws, tmp_path):
    first = write(
        tmp_path,
        "a.txt",
        " 00004 0001 19970101  2   29.33\n"  # order 00004-19970101, line 1
        " 00004 0001 19970101  1   10.00\n"  # same customer, same day: same order, line 2
        " 00004 0001 19970118  2   29.73\n"  # another day: order 00004-19970118
        " 00021 0002 19970101  3   63.34\n",  # another customer, same day: order 00021-19970101
    )
    [result] = ingest(ws, "transactions", first, mapping=CDNOW_LIKE)
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate) == (4, 4, 0)
    assert rows(ws, "SELECT order_id, line_no, customer_id, amount FROM transactions ORDER BY 1, 2") == [
        ("00004-19970101", 1, "00004", 29.33),
        ("00004-19970101", 2, "00004", 10.0),
        ("00004-19970118", 1, "00004", 29.73),
        ("00021-19970101", 1, "00021", 63.34),
    ]  # fmt: skip
    # the same lines again plus one other line of a known order and one new day: without line
    # numbers a line is known by its content, so the two identical lines are duplicates and
    # the other line is a third line of its order (a correction cannot be told from an addition)
    second = write(
        tmp_path,
        "b.txt",
        " 00004 0001 19970101  2   29.33\n"
        " 00004 0001 19970101  1   12.00\n"  # not a known line: line 3 of its order
        " 00004 0001 19970118  2   29.73\n"
        " 00021 0002 19970102  1    5.00\n",  # new order 00021-19970102
    )
    [again] = ingest(ws, "transactions", second, mapping=CDNOW_LIKE)
    assert (again.rows_read, again.rows_loaded, again.rows_duplicate) == (4, 2, 2)
    assert rows(ws, "SELECT order_id, line_no, amount FROM transactions ORDER BY 1, 2") == [
        ("00004-19970101", 1, 29.33),
        ("00004-19970101", 2, 10.0),
        ("00004-19970101", 3, 12.0),
        ("00004-19970118", 1, 29.73),
        ("00021-19970101", 1, 63.34),
        ("00021-19970102", 1, 5.0),
    ]


def test_composite_with_an_empty_part_is_a_missing_required_value(ws, tmp_path):
    path = write(
        tmp_path,
        "tx.csv",
        "store,ticket,customer_id,order_ts,amount\n"
        "S1,0001,c1,2024-03-05,10\n"
        " S1 , 0002 ,c2,2024-03-05,20\n"  # parts are trimmed before joining
        "S2,,c3,2024-03-05,30\n",  # no ticket: no order id
    )
    mapping = {"order_id": {"source": ["store", "ticket"]}}  # the long form takes a list too
    [result] = ingest(ws, "transactions", path, mapping=mapping)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(ws, "SELECT order_id, customer_id FROM transactions ORDER BY 1") == [
        ("S1-0001", "c1"),
        ("S1-0002", "c2"),
    ]
    assert rows(ws, "SELECT line_no, column_name, reason FROM rejects") == [
        (4, "order_id", "order_id: required value is missing")
    ]


def test_value_map_on_a_composite_source_is_an_error(ws, tmp_path):
    path = write(tmp_path, "tx.csv", "a,b,customer_id,order_ts,amount\nx,y,c1,2024-03-05,1\n")
    mapping = write(tmp_path, "m.yaml", "order_id: {source: [a, b], values: {x-y: o1}}\n")
    with pytest.raises(
        ValueError,
        match=r"order_id joins several source columns \(a, b\); a value map needs a single source column",
    ):
        ingest(ws, "transactions", path, mapping=mapping)
    assert rows(ws, "SELECT count(*) FROM load_log") == [(0,)]


def test_yaml_list_form_of_composite_and_drop(ws, tmp_path):
    path = write(
        tmp_path,
        "tx.csv",
        "门店,单号,客户,日期,金额,备注,操作员,内部码\nS1,7,c1,2024-03-05,10,gift,王,x1\n",
    )
    mapping = write(
        tmp_path,
        "m.yaml",
        "order_id: [门店, 单号]\ncustomer_id: 客户\norder_ts: 日期\namount: 金额\n"
        "drop: [操作员, 内部码]\n",
    )
    [result] = ingest(ws, "transactions", path, mapping=mapping)
    assert result.rows_loaded == 1
    assert rows(ws, "SELECT order_id, amount, attributes FROM transactions") == [
        ("S1-7", 10.0, '{"备注":"gift"}')  # 操作员 and 内部码 dropped, 备注 kept
    ]


def test_dropping_every_extra_column_leaves_attributes_empty(ws, tmp_path):
    path = write(
        tmp_path, "tx.csv", TX_HEADER.rstrip("\n") + ",note\no1,1,sale,c1,2024-03-05,10,hi\n"
    )
    ingest(ws, "transactions", path, mapping={"drop": "note"})  # a single header is fine too
    assert rows(ws, "SELECT order_id, attributes FROM transactions") == [("o1", None)]


def test_dropped_header_missing_from_file_is_an_error_naming_headers_found(ws, tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEADER + "o1,1,sale,c1,2024-03-05,10\n")
    with pytest.raises(ValueError) as excinfo:
        ingest(ws, "transactions", path, mapping={"drop": ["note"]})
    assert str(excinfo.value) == (
        "tx.csv: dropped header 'note' is not in the file; "
        "headers found: order_id, line_no, kind, customer_id, order_ts, amount"
    )


def test_dropped_header_is_not_taken_as_its_canonical_column(ws, tmp_path):
    path = write(
        tmp_path, "tx.csv", TX_HEADER.rstrip("\n") + ",channel\no1,1,sale,c1,2024-03-05,10,web\n"
    )
    ingest(ws, "transactions", path, mapping={"drop": ["channel"]})
    assert rows(ws, "SELECT channel, attributes FROM transactions") == [(None, None)]


def test_a_header_both_mapped_and_dropped_is_an_error(ws, tmp_path):
    path = write(tmp_path, "tx.csv", "id,customer_id,order_ts,amount\no1,c1,2024-03-05,10\n")
    with pytest.raises(
        ValueError, match="header 'id' is both mapped \\(for order_id\\) and dropped"
    ):
        ingest(ws, "transactions", path, mapping={"order_id": "id", "drop": ["id"]})


def test_readme_cdnow_mapping_loads_the_sample_with_the_dropped_id_left_out(ws, tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    [block] = [b for b in readme.split("```yaml\n")[1:] if "[column1, column3]" in b]
    mapping = write(tmp_path, "cdnow.yaml", block.split("```")[0])
    path = Path(str(importlib.resources.files("lifetimes.datasets") / "CDNOW_sample.txt"))
    [result] = ingest(ws, "transactions", path, mapping=mapping)
    assert result.rows_loaded == 6919
    # 6,696 distinct customer-days, as counted independently in the test above
    assert rows(ws, "SELECT count(DISTINCT order_id), count(attributes) FROM transactions") == [(6696, 0)]  # fmt: skip


def test_no_canonical_table_has_a_column_named_drop():
    from crmlytics.ingest.mapping import DROP
    from crmlytics.schema import CANONICAL

    assert all(DROP not in table.names for table in CANONICAL.values())


def test_drop_must_be_a_header_or_a_list_of_headers(ws, tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEADER + "o1,1,sale,c1,2024-03-05,10\n")
    with pytest.raises(ValueError, match="drop must be a header or a list of headers"):
        ingest(ws, "transactions", path, mapping={"drop": {"note": "x"}})


def test_xlsx_file(ws, tmp_path):
    path = tmp_path / "tx.xlsx"
    pl.DataFrame(
        {
            "order_id": ["o1", "o2", "o3"],
            "customer_id": ["c1", "c2", "c3"],
            "order_ts": [dt.datetime(2024, 3, 5, 14, 2), dt.datetime(2024, 3, 6), None],
            "amount": [12.5, 3.0, 1.0],
            "note": ["gift", None, "x"],
        }
    ).write_excel(path)
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(
        ws, "SELECT order_id, order_ts, amount, attributes FROM transactions ORDER BY 1"
    ) == [
        ("o1", dt.datetime(2024, 3, 5, 14, 2), 12.5, '{"note":"gift"}'),
        ("o2", dt.datetime(2024, 3, 6), 3.0, '{"note":null}'),
    ]
    [(line, column, raw)] = rows(ws, "SELECT line_no, column_name, raw_line FROM rejects")
    assert (line, column) == (4, "order_ts")  # spreadsheet row 4: header is row 1
    assert json.loads(raw)["order_id"] == "o3"


def test_parquet_file(ws, tmp_path):
    path = tmp_path / "tx.parquet"
    pl.DataFrame(
        {
            "order_id": ["o1", "o2"],
            "line_no": [1, 1],
            "customer_id": ["c1", None],
            "order_ts": [dt.datetime(2024, 3, 5, 14, 2), dt.datetime(2024, 3, 6)],
            "amount": [12.5, 3.0],
        }
    ).write_parquet(path)
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    assert tx(ws) == [("o1", 1, "sale", "c1", 12.5)]
    assert rows(ws, "SELECT line_no, column_name FROM rejects") == [(2, "customer_id")]


def test_json_lines_file(ws, tmp_path):
    path = write(
        tmp_path,
        "tx.jsonl",
        '{"order_id": "o1", "customer_id": "c1", "order_ts": "2024-03-05 10:00", "amount": 5, "tags": ["a"]}\n'
        "\n"
        "not json\n"
        '{"order_id": "o2", "customer_id": "c2", "order_ts": "20240306", "amount": "¥7"}\n',
    )
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(ws, "SELECT order_id, amount, attributes FROM transactions ORDER BY 1") == [
        ("o1", 5.0, '{"tags":"[\\"a\\"]"}'),
        ("o2", 7.0, '{"tags":null}'),
    ]
    assert rows(ws, "SELECT line_no, raw_line, reason FROM rejects") == [
        (3, "not json", "not a JSON object")
    ]


# -- other tables ---------------------------------------------------------------------------
def test_customers_with_chinese_yes_no_value_map_and_dates(ws, tmp_path):
    path = write(
        tmp_path,
        "客户.csv",
        "客户编号,姓名,注册日期,免打扰,授信额度,等级\n"
        'c1,张三,2023/6/1,是,"¥50,000",金\n'
        "c2,李四,20230715,否,,银\n"
        "c3,王五,2023-07-16,也许,1,铜\n",
        encoding="gb18030",
    )
    mapping = {
        "customer_id": "客户编号",
        "name": "姓名",
        "signup_date": "注册日期",
        "do_not_contact": {"source": "免打扰", "values": {"是": "true", "否": "false"}},
        "credit_limit": "授信额度",
    }
    [result] = ingest(ws, "customers", path, mapping=mapping)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(ws, "SELECT customer_id, name, signup_date, do_not_contact, credit_limit, attributes FROM customers ORDER BY 1") == [
        ("c1", "张三", dt.date(2023, 6, 1), True, 50000.0, '{"等级":"金"}'),
        ("c2", "李四", dt.date(2023, 7, 15), False, None, '{"等级":"银"}'),
    ]  # fmt: skip
    assert rows(ws, "SELECT line_no, reason FROM rejects") == [
        (
            4,
            "do_not_contact: '也许' is not a yes/no value (expected true/false, 1/0, yes/no, y/n, 是/否)",
        )
    ]


def test_complaints_with_severity_value_map_and_handling_timestamps(ws, tmp_path):
    path = write(
        tmp_path,
        "complaints.csv",
        "投诉编号,客户,受理时间,处理完成,严重程度\n"
        "k1,c1,2024-03-05 09:00,2024-03-06 17:30,高\n"
        "k2,c2,2024/3/7 10:00,,低\n",
    )
    mapping = write(
        tmp_path,
        "complaints.yaml",
        "complaint_id: 投诉编号\ncustomer_id: 客户\nopened_at: 受理时间\nresolved_at: 处理完成\n"
        "severity: {source: 严重程度, values: {高: 3, 中: 2, 低: 1}}\n",
    )
    [result] = ingest(ws, "complaints", path, mapping=mapping)
    assert result.rows_loaded == 2
    assert rows(ws, "SELECT complaint_id, opened_at, resolved_at, severity FROM complaints ORDER BY 1") == [
        ("k1", dt.datetime(2024, 3, 5, 9), dt.datetime(2024, 3, 6, 17, 30), 3),
        ("k2", dt.datetime(2024, 3, 7, 10), None, 1),
    ]  # fmt: skip


# -- mapping errors -------------------------------------------------------------------------
def test_unknown_canonical_names_in_mapping_are_named(ws, tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEADER + "o1,1,sale,c1,2024-03-05,10\n")
    mapping = write(tmp_path, "m.yaml", "order_id: order_id\nordr_date: x\nprice: y\n")
    with pytest.raises(ValueError, match=r"transactions has no column\(s\) ordr_date, price"):
        ingest(ws, "transactions", path, mapping=mapping)


def test_mapped_header_missing_from_file_names_file_header_and_headers_found(ws, tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEADER + "o1,1,sale,c1,2024-03-05,10\n")
    with pytest.raises(ValueError) as excinfo:
        ingest(ws, "transactions", path, mapping={"amount": "金额"})
    assert str(excinfo.value) == (
        "tx.csv: mapped header '金额' (for amount) is not in the file; "
        "headers found: order_id, line_no, kind, customer_id, order_ts, amount"
    )


def test_required_column_without_source_is_an_error(ws, tmp_path):
    path = write(tmp_path, "tx.csv", "order_id,customer_id,amount\no1,c1,1\n")
    with pytest.raises(ValueError, match="no column for required transactions column.s. order_ts"):
        ingest(ws, "transactions", path)


def test_headerless_file_is_detected_by_the_sniffer_and_columns_are_numbered(ws, tmp_path):
    path = write(tmp_path, "nohead.csv", "o1,1,c1,2024-03-05,10.5\no2,2,c2,2024-03-06,3.25\n")
    with pytest.raises(
        ValueError, match="headers found: column1, column2, column3, column4, column5"
    ):
        ingest(ws, "transactions", path)


def test_unreadable_file_is_a_one_line_ingest_error(ws, tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(IngestError, match="broken.parquet: cannot be loaded"):
        ingest(ws, "transactions", path)


def test_ingest_into_attached_workspace_is_refused(tmp_path):
    import ibis

    attached = Workspace.attach(ibis.duckdb.connect())
    with pytest.raises(TypeError, match="attached"):
        ingest(attached, "transactions", write(tmp_path, "tx.csv", TX_HEADER))


# -- CLI ------------------------------------------------------------------------------------
def test_cli_prints_counts_and_exit_codes(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from crmlytics.cli import app

    monkeypatch.chdir(tmp_path)
    path = write(
        tmp_path, "tx.csv", TX_HEADER + "o1,1,sale,c1,2024-03-05,10\no2,1,sale,c1,nope,1\n"
    )
    db = tmp_path / "w.duckdb"
    runner = CliRunner()
    ok = runner.invoke(app, ["ingest", "transactions", path.name, "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    [row] = [line for line in ok.output.splitlines() if "tx.csv" in line]
    assert row.split()[-6:-1] == ["2", "1", "0", "1", "0"]  # read, loaded, updated, rejected, dup
    assert "│" not in ok.output  # no box drawing when output is not a terminal
    strict = runner.invoke(
        app, ["ingest", "transactions", path.name, "--db", str(db), "--strict", "--force"]
    )
    assert strict.exit_code == 3  # bad input data
    assert "line 3, column order_ts" in strict.output


# -- table rules declared in the schema -------------------------------------------------------
def test_allowed_outcome_declared_in_the_schema_rejects_other_words_with_line_and_reason(
    ws, tmp_path
):
    path = write(
        tmp_path,
        "opps.csv",
        "opportunity_id,created_at,outcome,expected_value\n"
        "p1,2024-03-05,WON,100\n"  # line 2: case-insensitive, stored as won
        "p2,2024-03-05,maybe,100\n"  # line 3: not an allowed outcome
        "p3,2024-03-05,,100\n"  # line 4: no outcome is allowed (not required)
        "p4,2024-03-05,open,-5\n",  # line 5: expected_value below its minimum 0
    )
    [result] = ingest(ws, "opportunities", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert rows(ws, "SELECT opportunity_id, outcome FROM opportunities ORDER BY 1") == [
        ("p1", "won"),
        ("p3", None),
    ]
    assert rows(ws, "SELECT line_no, column_name, reason FROM rejects ORDER BY line_no") == [
        (
            3,
            "outcome",
            "outcome: 'maybe' is not won, lost or open (map values in the mapping file)",
        ),
        (5, "expected_value", "expected_value: '-5' is not at least 0"),
    ]


def test_complaint_satisfaction_and_severity_ranges_from_the_schema(ws, tmp_path):
    path = write(
        tmp_path,
        "complaints.csv",
        "complaint_id,customer_id,opened_at,severity,satisfaction\n"
        "k1,c1,2024-03-05,3,5\n"  # line 2: good
        "k2,c1,2024-03-05,1,6\n"  # line 3: satisfaction above 5
        "k3,c1,2024-03-05,0,1\n"  # line 4: severity below 1
        "k4,c1,2024-03-05,2,x\n",  # line 5: not a whole number at all
    )
    [result] = ingest(ws, "complaints", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 1, 3)
    assert rows(ws, "SELECT line_no, column_name, reason FROM rejects ORDER BY line_no") == [
        (3, "satisfaction", "satisfaction: '6' is not between 1 and 5"),
        (4, "severity", "severity: '0' is not between 1 and 3"),
        (5, "satisfaction", "satisfaction: 'x' is not a whole number (expected e.g. 3, 1,200)"),
    ]


def test_strict_mode_names_the_line_of_a_broken_schema_rule(ws, tmp_path):
    path = write(
        tmp_path, "products.csv", "product_id,price\nsku1,10\nsku2,(3.50)\n"
    )  # accounting negative price on line 3
    with pytest.raises(
        IngestError, match=r"line 3, column price: price: '\(3.50\)' is not at least 0"
    ):
        ingest(ws, "products", path, strict=True)
    assert rows(ws, "SELECT count(*) FROM products") == [(0,)]


def test_a_new_table_declared_in_the_schema_is_loaded_with_its_rules_default_and_sign(
    tmp_path, monkeypatch
):
    # a table the loader has never heard of: its rules come only from its TableSpec
    from crmlytics import schema

    notes = schema.TableSpec(
        "credit_notes",
        (
            schema.Column("note_id", "string", True),
            schema.Column("status", "string", allowed=("issued", "credit"), default="issued"),
            schema.Column("total", "float64", True, negative_when=("status", "credit")),
            schema.Column("items", "int64", minimum=0),
        ),
        key=("note_id",),
    )
    monkeypatch.setitem(schema.CANONICAL, "credit_notes", notes)
    ws = Workspace.memory()
    path = write(
        tmp_path,
        "inv.csv",
        "note_id,status,total,items\n"
        "i1,,100,2\n"  # default status issued, total as written
        "i2,Credit,30,1\n"  # a credit note: stored negative
        "i3,issued,5,-1\n"  # line 4: items below 0
        "i4,void,5,1\n",  # line 5: status not allowed
    )
    [result] = ingest(ws, "credit_notes", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert rows(ws, "SELECT note_id, status, total, items FROM credit_notes ORDER BY 1") == [
        ("i1", "issued", 100.0, 2),
        ("i2", "credit", -30.0, 1),
    ]
    assert rows(ws, "SELECT line_no, column_name, reason FROM rejects ORDER BY line_no") == [
        (4, "items", "items: '-1' is not at least 0"),
        (5, "status", "status: 'void' is not issued or credit (map values in the mapping file)"),
    ]

# ruff: noqa: E501  (inline data rows read best one per line)
"""Ingest never changes a value silently (issue 8): each case ends as a correct value, a counted
reject with its line, or a clear error.

Every file is a few hand-written lines, so each expected value and count can be checked by eye.
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmlytics.errors import DataError
from crmlytics.ingest import IngestError, ingest
from crmlytics.ingest.config import IngestConfig
from crmlytics.ingest.formats import TEMP_PREFIX
from crmlytics.io import neutralise_formulas, write_frame
from crmlytics.workspace import Workspace

TX_HEADER = "order_id,line_no,kind,customer_id,order_ts,amount\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def rows(ws, sql, params=None):
    return ws.duckdb.execute(sql, params).fetchall()


def log(ws, file):
    return rows(
        ws,
        "SELECT rows_read, rows_loaded, rows_updated, rows_rejected, rows_duplicate, status "
        "FROM load_log WHERE file = ?",
        [str(file)],
    )


def counts(result):
    return (
        result.rows_read,
        result.rows_loaded,
        result.rows_updated,
        result.rows_rejected,
        result.rows_duplicate,
    )


def rejects(ws):
    return rows(ws, "SELECT line_no, column_name, reason FROM rejects ORDER BY line_no")


# -- 1. decimal commas ------------------------------------------------------------------------
def test_a_comma_is_a_thousands_separator_only_between_groups_of_three_digits(ws, tmp_path):
    path = write(
        tmp_path,
        "tx.csv",
        "order_id,line_no,customer_id,order_ts,amount,quantity\n"
        'o1,1,c1,2024-03-05,"1,234.50",1\n'  # line 2: 1234.5
        'o2,1,c1,2024-03-05,"33,70",1\n'  # line 3: not 3370
        'o3,1,c1,2024-03-05,"0,99",1\n'  # line 4: not 99
        'o4,1,c1,2024-03-05,"1.234,50",1\n'  # line 5: not 1.2345
        'o5,1,c1,2024-03-05,"1,2,3",1\n'  # line 6: not 123
        'o6,1,c1,2024-03-05,5,"1,5"\n'  # line 7: quantity not 15
        'o7,1,c1,2024-03-05,"1,234,567",2\n',  # line 8: 1234567
    )
    [result] = ingest(ws, "transactions", path)
    assert counts(result) == (7, 2, 0, 5, 0)
    assert rows(ws, "SELECT order_id, amount, quantity FROM transactions ORDER BY 1") == [
        ("o1", 1234.5, 1.0),
        ("o7", 1234567.0, 2.0),
    ]
    number = "is not a number (expected e.g. 1234.50, 1,234.50, ¥1,234.50, (12.50))"
    assert rejects(ws) == [
        (3, "amount", f"amount: '33,70' {number}"),
        (4, "amount", f"amount: '0,99' {number}"),
        (5, "amount", f"amount: '1.234,50' {number}"),
        (6, "amount", f"amount: '1,2,3' {number}"),
        (7, "quantity", f"quantity: '1,5' {number}"),
    ]
    assert log(ws, path) == [(7, 2, 0, 5, 0, "loaded_with_rejects")]


def test_a_mapping_declares_decimal_commas_for_european_exports(ws, tmp_path):
    path = write(
        tmp_path,
        "eu.csv",
        "order_id;line_no;customer_id;order_ts;amount\n"
        "o1;1;c1;2024-03-05;1.234,50\n"  # 1234.5
        "o2;1;c1;2024-03-05;0,99\n"  # 0.99
        "o3;1;c1;2024-03-05;33,70\n"  # 33.7
        "o4;1;c1;2024-03-05;1.5\n",  # line 5: a dot between 1 and 5 is no thousands group
    )
    [result] = ingest(ws, "transactions", path, mapping={"decimal": ","})
    assert counts(result) == (4, 3, 0, 1, 0)
    assert rows(ws, "SELECT order_id, amount FROM transactions ORDER BY 1") == [
        ("o1", 1234.5),
        ("o2", 0.99),
        ("o3", 33.7),
    ]
    assert [(line, col) for line, col, _ in rejects(ws)] == [(5, "amount")]
    # the config's default applies when the mapping says nothing
    other = write(
        tmp_path,
        "eu2.csv",
        "order_id;line_no;customer_id;order_ts;amount\no9;1;c1;2024-03-05;2,50\n",
    )
    ingest(ws, "transactions", other, config=IngestConfig(decimal=","))
    assert rows(ws, "SELECT amount FROM transactions WHERE order_id = 'o9'") == [(2.5,)]


# -- 2. quotes ----------------------------------------------------------------------------------
def test_one_stray_quote_does_not_turn_quoting_off_and_is_a_reject_with_its_line(ws, tmp_path):
    path = write(
        tmp_path,
        "customers.csv",
        "customer_id,name,region\n"
        'c1,"Acme, Inc.",north\n'  # line 2: one field with a comma inside quotes
        'c2,Bo"b,south\n'  # line 3: a stray quote in an unquoted field
        "c3,Carl,east\n"  # line 4
        'c4,"Dana ""D"" Lee",west\n'  # line 5: a doubled quote inside a quoted field
        'c5,"Unclosed,north\n',  # line 6: a quote never closed
    )
    [result] = ingest(ws, "customers", path)
    assert counts(result) == (5, 3, 0, 2, 0)
    assert rows(ws, "SELECT customer_id, name, region FROM customers ORDER BY 1") == [
        ("c1", "Acme, Inc.", "north"),
        ("c3", "Carl", "east"),
        ("c4", 'Dana "D" Lee', "west"),
    ]
    found = rejects(ws)
    assert [(line, col) for line, col, _ in found] == [(3, None), (6, None)]
    assert found[0][2].startswith('stray quote (") in field 2')
    assert found[1][2].startswith("unbalanced quote: a quoted field opened on line 6")
    [(dialect,)] = rows(ws, "SELECT dialect FROM load_log")
    assert dialect == 'format=text encoding=utf-8 delimiter="," quote="\\"" escape="\\"" header=yes'


def test_a_stray_quote_in_an_otherwise_unquoted_file_is_a_reject_not_part_of_an_id(ws, tmp_path):
    path = write(tmp_path, "c.csv", 'customer_id,region\nc1,north\nc"2,south\nc3,east\n')
    [result] = ingest(ws, "customers", path)
    assert counts(result) == (3, 2, 0, 1, 0)
    assert rows(ws, "SELECT customer_id FROM customers ORDER BY 1") == [("c1",), ("c3",)]
    assert [(line, reason.split(":")[0]) for line, _, reason in rejects(ws)] == [
        (3, 'stray quote (") in field 1')
    ]


def test_a_mapping_fixes_the_dialect(ws, tmp_path):
    # single quotes as the quote character, declared in the mapping and recorded in load_log
    path = write(tmp_path, "c.csv", "customer_id|name\nc1|'Acme | Co'\nc2|Bob\n")
    ingest(ws, "customers", path, mapping={"delimiter": "|", "quote": "'", "escape": "'"})
    assert rows(ws, "SELECT customer_id, name FROM customers ORDER BY 1") == [
        ("c1", "Acme | Co"),
        ("c2", "Bob"),
    ]
    [(dialect,)] = rows(ws, "SELECT dialect FROM load_log")
    assert 'delimiter="|" quote="\'" escape="\'"' in dialect


# -- 3. transactions without line_no ------------------------------------------------------------
def test_a_line_without_line_no_keeps_its_identity_across_files(ws, tmp_path):
    header = "order_id,customer_id,order_ts,amount\n"
    day1 = write(tmp_path, "day1.csv", header + "o1,c1,2024-03-05,10\no1,c1,2024-03-05,20\n")
    day2 = write(
        tmp_path,
        "day2.csv",
        header
        + "o1,c1,2024-03-05,10\n"  # known line 1
        + "o1,c1,2024-03-05,20\n"  # known line 2
        + "o1,c1,2024-03-05,30\n"  # one more line of the order: added as line 3
        + "o2,c2,2024-03-06,5\no2,c2,2024-03-06,5\n",  # two identical lines: two lines
    )
    ingest(ws, "transactions", day1)
    [second] = ingest(ws, "transactions", day2)
    assert counts(second) == (5, 3, 0, 0, 2)
    table = "SELECT order_id, line_no, amount FROM transactions ORDER BY 1, 2"
    expected = [("o1", 1, 10.0), ("o1", 2, 20.0), ("o1", 3, 30.0), ("o2", 1, 5.0), ("o2", 2, 5.0)]
    assert rows(ws, table) == expected
    [again] = ingest(ws, "transactions", day2, force=True)  # re-loading doubles nothing
    assert counts(again) == (5, 0, 0, 0, 5)
    assert rows(ws, table) == expected


# -- 4. reloading an older file -----------------------------------------------------------------
def test_reloading_an_older_file_is_skipped_and_a_forced_one_lists_the_opt_out_it_undoes(
    ws, tmp_path
):
    header = "customer_id,email,do_not_contact\n"
    day1 = write(tmp_path, "day1.csv", header + "c1,a@x.cn,false\nc2,b@x.cn,false\n")
    day2 = write(tmp_path, "day2.csv", header + "c1,a@x.cn,true\nc2,b2@x.cn,false\n")
    [first] = ingest(ws, "customers", day1)
    [second] = ingest(ws, "customers", day2)
    assert counts(second) == (2, 0, 2, 0, 0)
    [skipped] = ingest(ws, "customers", day1)
    assert skipped.status == "skipped"
    assert f"load {first.load_id}" in skipped.message and str(day1) in skipped.message
    table = "SELECT customer_id, email, do_not_contact FROM customers ORDER BY 1"
    assert rows(ws, table) == [("c1", "a@x.cn", True), ("c2", "b2@x.cn", False)]
    [forced] = ingest(ws, "customers", day1, force=True)
    assert counts(forced) == (2, 0, 2, 0, 0)
    assert forced.guard_undone == ("customer_id 'c1': do_not_contact true -> false",)
    assert "opt-out undone" in forced.message
    assert rows(ws, "SELECT rows_updated, rows_guard_undone FROM load_log WHERE load_id = ?", [forced.load_id]) == [(2, 1)]  # fmt: skip
    assert rows(ws, table) == [("c1", "a@x.cn", False), ("c2", "b@x.cn", False)]


# -- 5. the counting identity -------------------------------------------------------------------
def test_read_equals_loaded_updated_rejected_duplicate_and_the_table_holds_what_was_reported(
    ws, tmp_path
):
    path = write(
        tmp_path,
        "customers.csv",
        "customer_id,name,signup_date\n"
        "c1,Ann,2024-01-01\nc1,Ann,2024-01-01\nc1,Ann,2024-01-01\n"  # lines 2-4: identical
        "c2,Bob,2024-01-02\nc2,Rob,2024-01-02\n"  # lines 5-6: one key, two names
        "c3,Cy,2024-01-03\nc4,Di,2024-01-04\n"  # lines 7-8
        "c5,Ed,someday\n"  # line 9: not a date
        "c6,Flo,2024-01-06\n",  # line 10
    )
    [result] = ingest(ws, "customers", path)
    assert counts(result) == (9, 4, 0, 3, 2)
    assert rows(ws, "SELECT customer_id, name FROM customers ORDER BY 1") == [
        ("c1", "Ann"),
        ("c3", "Cy"),
        ("c4", "Di"),
        ("c6", "Flo"),
    ]
    found = rejects(ws)
    assert [line for line, _, _ in found] == [5, 6, 9]
    assert "customer_id 'c2' also on line 6 with other values" in found[0][2]
    assert "customer_id 'c2' also on line 5 with other values" in found[1][2]
    assert log(ws, path) == [(9, 4, 0, 3, 2, "loaded_with_rejects")]


def test_an_empty_file_says_it_is_empty(ws, tmp_path):
    header_only = write(tmp_path, "header.csv", "customer_id,name\n")
    [result] = ingest(ws, "customers", header_only)
    assert (result.status, counts(result)) == ("empty", (0, 0, 0, 0, 0))
    assert result.message == "header.csv: the file is empty: no records"
    assert log(ws, header_only) == [(0, 0, 0, 0, 0, "empty")]
    nothing = write(tmp_path, "zero.csv", "")
    with pytest.raises(IngestError, match=r"zero.csv: the file is empty \(0 bytes\)"):
        ingest(ws, "customers", nothing)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2), st.booleans()), max_size=8),
    second=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2), st.booleans()), max_size=8),
)
def test_property_counts_add_up_and_the_table_equals_the_good_rows(tmp_path, first, second):
    """Random mixes of good rows, bad rows (an unreadable date), identical and conflicting
    repeats, loaded in two files: each file's read = loaded + updated + rejected + duplicate,
    and the table equals what a plain model of the rules expects."""
    ws = Workspace.memory()
    expected: dict[str, str] = {}
    for n, spec in enumerate((first, second)):
        lines = [
            f"c{key},name{value},{'bad-date' if bad else '2024-01-01'}" for key, value, bad in spec
        ]
        path = tmp_path / f"f{n}_{abs(hash((tuple(first), tuple(second))))}.csv"
        path.write_text("customer_id,name,signup_date\n" + "".join(line + "\n" for line in lines))
        # the model: good rows by key; a key with two different values in the file is rejected
        good: dict[str, list[str]] = {}
        for key, value, bad in spec:
            if not bad:
                good.setdefault(f"c{key}", []).append(f"name{value}")
        model = {
            "loaded": 0,
            "updated": 0,
            "rejected": sum(bad for _, _, bad in spec),
            "duplicate": 0,
        }
        for key, values in good.items():
            if len(set(values)) > 1:
                model["rejected"] += len(values)
                continue
            model["duplicate"] += len(values) - 1
            if key not in expected:
                model["loaded"] += 1
            elif expected[key] != values[0]:
                model["updated"] += 1
            else:
                model["duplicate"] += 1
            expected[key] = values[0]
        [result] = ingest(ws, "customers", path, force=True)
        assert result.rows_read == len(spec)
        assert (
            result.rows_read
            == result.rows_loaded
            + result.rows_updated
            + result.rows_rejected
            + result.rows_duplicate
        )
        assert (
            result.rows_loaded,
            result.rows_updated,
            result.rows_rejected,
            result.rows_duplicate,
        ) == (
            model["loaded"],
            model["updated"],
            model["rejected"],
            model["duplicate"],
        )
        assert dict(rows(ws, "SELECT customer_id, name FROM customers")) == expected
    ws.close()


# -- 6. encodings -------------------------------------------------------------------------------
def test_a_utf8_line_in_a_gbk_file_is_a_reject_not_mojibake(ws, tmp_path):
    data = (
        "customer_id,name,region\n".encode("gbk")
        + "c1,张三,华北\n".encode("gbk")
        + "c2,李四,华北\n".encode()  # line 3: UTF-8 (would load as 鍗庡寳)
        + "c3,王五,华东\n".encode("gbk")
    )
    path = write(tmp_path, "gbk.csv", data)
    [result] = ingest(ws, "customers", path)
    assert counts(result) == (3, 2, 0, 1, 0)
    assert rows(ws, "SELECT customer_id, name, region FROM customers ORDER BY 1") == [
        ("c1", "张三", "华北"),
        ("c3", "王五", "华东"),
    ]
    assert rows(ws, "SELECT line_no, raw_line, reason FROM rejects") == [
        (3, "c2,李四,华北", "line 3 is UTF-8 in a gb18030 file: re-save the file in one encoding")
    ]


def test_a_gbk_line_deep_in_a_utf8_file_is_a_reject_with_its_true_line(ws, tmp_path):
    lines = [f"c{i},客户{i},华北 region with some padding text\n".encode() for i in range(1, 3000)]
    lines[1499] = "c1500,客户1500,华南\n".encode("gbk")  # physical line 1501 (header is 1)
    path = write(tmp_path, "utf8.csv", b"customer_id,name,region\n" + b"".join(lines))
    assert path.stat().st_size > 65536  # beyond the sample used to detect the encoding
    [result] = ingest(ws, "customers", path)
    assert counts(result) == (2999, 2998, 0, 1, 0)
    assert rows(ws, "SELECT line_no, reason FROM rejects") == [
        (
            1501,
            "line 1501 is not valid UTF-8 (the rest of the file is): re-save the file in one encoding",
        )
    ]
    assert rows(ws, "SELECT name, region FROM customers WHERE customer_id = 'c1501'") == [
        ("客户1501", "华北 region with some padding text")
    ]


# -- 7. time zones ------------------------------------------------------------------------------
def test_offsets_are_converted_into_the_warehouse_time_zone_for_csv_and_parquet(tmp_path):
    ws = Workspace.open(tmp_path / "w.duckdb", timezone="Asia/Shanghai")
    assert rows(ws, "SELECT current_setting('TimeZone')") == [("Asia/Shanghai",)]
    config = IngestConfig(timezone="Asia/Shanghai")
    # one event, 2024-03-05 14:02 in Shanghai, written five ways
    csv = write(
        tmp_path,
        "events.csv",
        "interaction_id,customer_id,ts\n"
        "i1,c1,2024-03-05 14:02+08:00\n"
        "i2,c1,2024-03-05T06:02Z\n"
        "i3,c1,2024-03-05 01:02-05:00\n"
        "i4,c1,2024-03-05 14:02\n"  # naive: already in the warehouse zone
        "i5,c1,2024-03-05 14:02:00+0800\n",
    )
    ingest(ws, "interactions", csv, config=config)
    aware = pd.DataFrame(
        {
            "interaction_id": ["p1"],
            "customer_id": ["c1"],
            "ts": pd.to_datetime(["2024-03-05 06:02"]).tz_localize("UTC"),
        }
    )
    naive = pd.DataFrame(
        {
            "interaction_id": ["p2"],
            "customer_id": ["c1"],
            "ts": pd.to_datetime(["2024-03-05 14:02"]),
        }
    )
    aware.to_parquet(tmp_path / "aware.parquet")
    naive.to_parquet(tmp_path / "naive.parquet")
    ingest(
        ws, "interactions", [tmp_path / "aware.parquet", tmp_path / "naive.parquet"], config=config
    )
    stored = rows(ws, "SELECT interaction_id, ts FROM interactions ORDER BY 1")
    assert stored == [
        (i, dt.datetime(2024, 3, 5, 14, 2)) for i in ("i1", "i2", "i3", "i4", "i5", "p1", "p2")
    ]
    ws.close()


def test_the_same_offset_lands_on_another_day_in_another_warehouse_zone(ws, tmp_path):
    path = write(tmp_path, "e.csv", "interaction_id,customer_id,ts\ni1,c1,2024-03-05 23:30+08:00\n")
    ingest(ws, "interactions", path, config=IngestConfig(timezone="UTC"))
    assert rows(ws, "SELECT ts FROM interactions") == [(dt.datetime(2024, 3, 5, 15, 30),)]


def test_an_unknown_time_zone_is_a_config_error():
    from crmlytics.config import Config
    from crmlytics.errors import ConfigError

    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        Config.model_validate({"ingest": {"timezone": "Mars/Olympus"}})
    assert issubclass(ConfigError, ValueError)


# -- 8. dates -----------------------------------------------------------------------------------
def test_words_two_digit_years_and_dates_outside_the_plausible_range_are_rejects(ws, tmp_path):
    bad = ["infinity", "-infinity", "epoch", "24-03-05", "0001-01-01", "12345-01-01"]
    path = write(
        tmp_path,
        "c.csv",
        "customer_id,signup_date\n"
        + "".join(f"b{i},{t}\n" for i, t in enumerate(bad))
        + "ok,1999-12-31\n",
    )
    [result] = ingest(ws, "customers", path)
    assert counts(result) == (7, 1, 0, 6, 0)
    assert rows(ws, "SELECT customer_id, signup_date FROM customers") == [
        ("ok", dt.date(1999, 12, 31))
    ]
    found = rejects(ws)
    assert [line for line, _, _ in found] == [2, 3, 4, 5, 6, 7]
    assert (
        found[2][2]
        == "signup_date: 'epoch' is not a date from 1900-01-01 to 2100-12-31 (expected e.g. 2024-03-05, 2024/3/5 14:02, 20240305)"
    )
    narrow = write(tmp_path, "d.csv", "customer_id,signup_date\nx,1999-12-31\n")
    [result] = ingest(ws, "customers", narrow, config=IngestConfig(min_date=dt.date(2000, 1, 1)))
    assert counts(result) == (1, 0, 0, 1, 0)


# -- 9. workbooks -------------------------------------------------------------------------------
def _workbook(path):
    import xlsxwriter

    with xlsxwriter.Workbook(str(path)) as book:
        for name, ids in (("north", ["n1", "n2"]), ("south", ["s1", "s2", "s3"]), ("empty", [])):
            sheet = book.add_worksheet(name)
            if ids:
                sheet.write_row(0, 0, ["customer_id", "region"])
                for r, cid in enumerate(ids, start=1):
                    sheet.write_row(r, 0, [cid, name])
    return path


def test_a_workbook_with_several_filled_sheets_needs_sheet(ws, tmp_path):
    path = _workbook(tmp_path / "book.xlsx")
    with pytest.raises(
        DataError,
        match=r"book.xlsx: 2 sheets hold data \('north', 'south'\); choose one with --sheet",
    ):
        ingest(ws, "customers", path)
    assert rows(ws, "SELECT count(*) FROM customers") == [(0,)]
    [result] = ingest(ws, "customers", path, sheet="south")
    assert counts(result) == (3, 3, 0, 0, 0)
    assert 'sheet="south"' in result.dialect
    with pytest.raises(
        DataError, match=r"no sheet 'west'; its sheets are 'north', 'south', 'empty'"
    ):
        ingest(ws, "customers", path, sheet="west", force=True)


def test_cli_sheet_and_force_options(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from crmlytics.cli import app

    monkeypatch.chdir(tmp_path)
    path = _workbook(tmp_path / "book.xlsx")
    db = str(tmp_path / "w.duckdb")
    runner = CliRunner()
    ok = runner.invoke(app, ["ingest", "customers", path.name, "--sheet", "north", "--db", db])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, ["ingest", "customers", path.name, "--sheet", "north", "--db", db])
    assert again.exit_code == 0 and "already loaded" in again.output
    forced = runner.invoke(
        app, ["ingest", "customers", path.name, "--sheet", "north", "--force", "--db", db]
    )
    assert forced.exit_code == 0
    [row] = [line for line in forced.output.splitlines() if "book.xlsx" in line]
    cells = row.split()
    assert cells[-6:] == [
        "2",
        "0",
        "0",
        "0",
        "2",
        "loaded",
    ]  # read loaded updated rejected duplicate


# -- 10. leftovers and partial batches ---------------------------------------------------------
def test_temporary_copies_live_beside_the_warehouse_and_stale_ones_are_cleaned(tmp_path):
    ws = Workspace.open(tmp_path / "w.duckdb")
    stale = tmp_path / f"{TEMP_PREFIX}999999999-abc"  # a process id that does not run
    stale.mkdir()
    (stale / "big.utf8.csv").write_text("left by a killed ingest")
    live = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-xyz"  # this process: still running
    live.mkdir()
    path = write(tmp_path, "gb.csv", "customer_id,region\nc1,华北\n", encoding="gb18030")
    ingest(ws, "customers", path)
    assert not stale.exists()
    assert live.exists()
    assert sorted(p.name for p in tmp_path.glob(f"{TEMP_PREFIX}*")) == [
        live.name
    ]  # its own copy is gone
    assert rows(ws, "SELECT region FROM customers") == [("华北",)]
    ws.close()


def test_a_failing_file_in_a_batch_names_what_was_committed_and_what_was_not_tried(ws, tmp_path):
    a = write(tmp_path, "a.csv", "customer_id\nc1\n")
    b = write(tmp_path, "b.csv", "customer_id,name,Name\nc2,x,y\n")
    c = write(tmp_path, "c.csv", "customer_id\nc3\n")
    with pytest.raises(IngestError) as caught:
        ingest(ws, "customers", [a, b, c])
    message = str(caught.value)
    assert "headers 'name' and 'Name' differ only in case" in message
    assert "committed before it: a.csv; nothing of b.csv was loaded; not tried: c.csv" in message
    assert rows(ws, "SELECT customer_id FROM customers") == [("c1",)]


# -- 11. exports that Excel would execute ------------------------------------------------------
def test_csv_text_that_a_spreadsheet_would_run_is_neutralised_with_a_switch(tmp_path):
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tTab", "Ann"],
            "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 6.0],
        }
    )
    guarded = write_frame(frame, tmp_path / "list.csv")
    back = pd.read_csv(guarded, encoding="utf-8-sig", keep_default_na=False)
    assert back["name"].tolist() == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tTab",
        "Ann",
    ]
    assert back["amount"].tolist() == [-5.0, 1.0, 2.0, 3.0, 4.0, 6.0]
    assert neutralise_formulas(pd.DataFrame({"x": ["\rCr", "a-b"]}))["x"].tolist() == [
        "'\rCr",
        "a-b",
    ]
    raw = write_frame(frame, tmp_path / "raw.csv", csv_formula_guard=False)
    back = pd.read_csv(raw, encoding="utf-8-sig", keep_default_na=False)
    assert back["name"].tolist()[:4] == ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)"]


# -- 12. NUL bytes and headers differing only in case ----------------------------------------
def test_a_nul_byte_in_a_value_is_a_reject(ws, tmp_path):
    path = write(tmp_path, "c.csv", b"customer_id,name\nc1,A\x00nn\nc2,Bob\n")
    [result] = ingest(ws, "customers", path)
    assert counts(result) == (2, 1, 0, 1, 0)
    assert rows(ws, "SELECT customer_id FROM customers") == [("c2",)]
    assert rows(ws, "SELECT line_no, reason FROM rejects") == [
        (2, "a value holds a NUL byte (\\x00): not text; fix the export and load it again")
    ]


def test_headers_differing_only_in_case_are_a_clear_error(ws, tmp_path):
    path = write(tmp_path, "c.csv", "customer_id,name,Name\nc1,a,b\n")
    with pytest.raises(
        DataError, match=r"c.csv: headers 'name' and 'Name' differ only in case; rename one"
    ):
        ingest(ws, "customers", path)
    frame = pl.DataFrame({"customer_id": ["c1"], "Region": ["n"], "region": ["s"]})
    frame.write_parquet(tmp_path / "p.parquet")
    with pytest.raises(DataError, match="headers 'Region' and 'region' differ only in case"):
        ingest(ws, "customers", tmp_path / "p.parquet")

# ruff: noqa: E501  (inline data rows read best one per line)
"""Every fast (direct) path of ingest gives exactly what the staged path gives on the same files.

Each test loads the same small files, with planted bad rows, twice: into a warehouse where the
direct path is switched off (everything staged) and into one where it is not. The two must hold
the same rows, the same rejects (line, raw text, column, reason) and the same ``load_log``
counts. Where a file can stay on the direct path (its bad rows are ones DuckDB's reader refuses,
e.g. a wrong field count) the test also checks that it did, i.e. that the file was not staged;
where it cannot (a value that fails conversion), the fallback must still give the staged result.
"""

from __future__ import annotations

import pytest

from crmlytics.ingest import ingest
from crmlytics.ingest import loading as ingest_loading
from crmlytics.workspace import Workspace


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot(ws):
    """Everything a load leaves behind that a user can see (ids and times aside)."""
    q = ws.duckdb.execute
    return {
        "rows": q(
            "SELECT * EXCLUDE (load_id) FROM transactions ORDER BY ALL"
            if "load_id" in [d[0] for d in q("SELECT * FROM transactions LIMIT 0").description]
            else "SELECT * FROM transactions ORDER BY ALL"
        ).fetchall(),
        "rejects": q(
            "SELECT regexp_replace(file, '.*/', ''), line_no, raw_line, column_name, reason "
            "FROM rejects ORDER BY ALL"
        ).fetchall(),
        "log": q(
            "SELECT regexp_replace(file, '.*/', ''), rows_read, rows_loaded, rows_updated, "
            "rows_rejected, rows_duplicate, status FROM load_log ORDER BY started_at"
        ).fetchall(),
    }


def load_both(monkeypatch, files, mapping=None):
    """Load ``files`` in order staged-only and with the direct path; (staged, fast, staged_calls).

    ``staged_calls`` counts, per file, how often the fast run staged it (0 = it stayed direct).
    """
    staged_ws, fast_ws = Workspace.memory(), Workspace.memory()
    try:
        with monkeypatch.context() as m:
            m.setattr(ingest_loading._Load, "direct_possible", lambda self, *a: False)
            for f in files:
                ingest(staged_ws, "transactions", f, mapping=mapping)
        calls = []
        stage = ingest_loading._Load.stage
        with monkeypatch.context() as m:
            m.setattr(
                ingest_loading._Load,
                "stage",
                lambda self, *a: calls.append(self.path.name) or stage(self, *a),
            )
            for f in files:
                ingest(fast_ws, "transactions", f, mapping=mapping)
        return snapshot(staged_ws), snapshot(fast_ws), calls
    finally:
        staged_ws.close()
        fast_ws.close()


FIVE = "customer_id,order_id,order_ts,product_id,amount\n"


def test_five_columns_without_line_no_or_kind_into_an_empty_table(monkeypatch, tmp_path):
    path = write(
        tmp_path,
        "five.csv",
        FIVE
        + "c1,o1,2024-03-05 10:00:00,p1,10\n"  # line 2: o1 line 1
        + "c2,o2,2024-03-05 11:00:00,p1,5\n"  # line 3: o2 line 1
        + "c1,o1,2024-03-05 10:00:00,p2,7.5\n"  # line 4: o1 line 2
        + "c1,o1,2024-03-05 10:00:00,p1,10\n"  # line 5: same as line 2: o1 line 3, not a duplicate
        + "c3,o3\n"  # line 6: wrong field count (reader reject)
        + "\n"  # line 7: blank
        + "c2,o2,2024-03-05 11:00:00,p3,-2\n",  # line 8: o2 line 2 (a negative sale line)
    )
    staged, fast, calls = load_both(monkeypatch, [path])
    assert calls == []  # stayed on the direct path
    assert fast == staged
    # (order_id, line_no, kind, product_id, amount): numbered within the order in file order
    assert [(r[0], r[1], r[2], r[5], r[8]) for r in fast["rows"]] == [
        ("o1", 1, "sale", "p1", 10.0),
        ("o1", 2, "sale", "p2", 7.5),
        ("o1", 3, "sale", "p1", 10.0),
        ("o2", 1, "sale", "p1", 5.0),
        ("o2", 2, "sale", "p3", -2.0),
    ]
    assert fast["rejects"] == [("five.csv", 6, "c3,o3", None, staged["rejects"][0][4])]
    assert fast["log"] == [("five.csv", 6, 5, 0, 1, 0, "loaded_with_rejects")]


def test_lines_are_numbered_in_file_order_within_their_order(monkeypatch, tmp_path):
    path = write(
        tmp_path,
        "five.csv",
        FIVE + "".join(f"c1,o{i % 3},2024-03-05,p{i},{i}\n" for i in range(1, 31)),
    )
    staged, fast, calls = load_both(monkeypatch, [path])
    assert calls == [] and fast == staged
    ws = Workspace.memory()
    ingest(ws, "transactions", path)
    got = ws.duckdb.execute(
        "SELECT order_id, line_no, amount FROM transactions ORDER BY order_id, line_no"
    ).fetchall()
    ws.close()
    # amount i is on file line i + 1, in order o{i % 3}: its k-th line (k = ceil(i / 3))
    assert got == sorted((f"o{i % 3}", (i + 2) // 3, float(i)) for i in range(1, 31))


def test_a_value_that_fails_conversion_falls_back_to_the_staged_result(monkeypatch, tmp_path):
    path = write(
        tmp_path,
        "five.csv",
        FIVE
        + "c1,o1,2024-03-05,p1,10\n"
        + "c1,o1,2024-13-45,p2,10\n"  # line 3: not a date: staged, rejected, not numbered
        + "c1,o1,2024-03-05,p3,abc\n"  # line 4: not a number
        + "c1,o1,2024-03-05,p4,4\n",  # line 5: o1 line 2 (bad lines take no number)
    )
    staged, fast, calls = load_both(monkeypatch, [path])
    assert calls == ["five.csv"]
    assert fast == staged
    assert [r[2] for r in fast["rejects"]] == ["c1,o1,2024-13-45,p2,10", "c1,o1,2024-03-05,p3,abc"]
    assert fast["log"] == [("five.csv", 4, 2, 0, 2, 0, "loaded_with_rejects")]


def test_second_file_without_line_no_into_a_loaded_table(monkeypatch, tmp_path):
    first = write(tmp_path, "day1.csv", FIVE + "c1,o1,2024-03-05,p1,10\nc1,o1,2024-03-05,p2,3\n")
    # new orders only: direct; the numbering needs nothing from the table
    second = write(
        tmp_path, "day2.csv", FIVE + "c2,o2,2024-03-06,p1,1\nc2,o2,2024-03-06,p1,1\nbad\n"
    )
    # o1 again, with one more line and a repeat of line 1: staged (lines matched to the table's)
    third = write(
        tmp_path,
        "day3.csv",
        FIVE + "c1,o1,2024-03-05,p1,10\nc1,o1,2024-03-05,p9,8\nc3,o3,2024-03-07,p1,2\n",
    )
    staged, fast, calls = load_both(monkeypatch, [first, second, third])
    assert calls == ["day3.csv"]
    assert fast == staged
    assert [row[1:] for row in fast["log"]] == [
        (2, 2, 0, 0, 0, "loaded"),
        (3, 2, 0, 1, 0, "loaded_with_rejects"),
        (3, 2, 0, 0, 1, "loaded"),  # line 1 of o1 is known: a duplicate; p9 is o1 line 3
    ]


def test_orders_written_together_are_numbered_along_their_lines(monkeypatch, tmp_path):
    path = write(
        tmp_path,
        "five.csv",
        FIVE
        + "c1,o1,2024-03-05,p1,10\n"  # line 2: o1 line 1
        + "c1,o1,2024-03-05,p2,20\n"  # line 3: o1 line 2
        + "c1,o1\n"  # line 4: wrong field count: rejected, takes no number
        + "c1,o1,2024-03-05,p3,30\n"  # line 5: o1 line 3
        + "\n"  # line 6: blank
        + "c2,o2,2024-03-06,p1,1\n"  # line 7: o2 line 1
        + "c3,o3,2024-03-07,p1,2\n"  # line 8: o3 line 1
        + "c3,o3,2024-03-07,p1,2\n",  # line 9: o3 line 2 (same content: a line of its own)
    )
    staged, fast, calls = load_both(monkeypatch, [path])
    assert calls == []
    assert fast == staged
    assert [(r[0], r[1], r[5], r[8]) for r in fast["rows"]] == [
        ("o1", 1, "p1", 10.0),
        ("o1", 2, "p2", 20.0),
        ("o1", 3, "p3", 30.0),
        ("o2", 1, "p1", 1.0),
        ("o3", 1, "p1", 2.0),
        ("o3", 2, "p1", 2.0),
    ]
    assert [r[1] for r in fast["rejects"]] == [4]
    assert fast["log"] == [("five.csv", 7, 6, 0, 1, 0, "loaded_with_rejects")]


def test_an_order_split_across_the_file_is_ranked_in_file_order(monkeypatch, tmp_path):
    path = write(
        tmp_path,
        "five.csv",
        FIVE
        + "c1,o1,2024-03-05,p1,1\n"  # o1 line 1
        + "c1,o1,2024-03-05,p2,2\n"  # o1 line 2
        + "c2,o2,2024-03-05,p1,3\n"  # o2 line 1
        + "c2,o2\n"  # rejected
        + "c1,o1,2024-03-05,p3,4\n"  # o1 again, after o2: line 3
        + "c2,o2,2024-03-05,p2,5\n",  # o2 line 2
    )
    staged, fast, calls = load_both(monkeypatch, [path])
    assert calls == []
    assert fast == staged
    assert [(r[0], r[1], r[8]) for r in fast["rows"]] == [
        ("o1", 1, 1.0),
        ("o1", 2, 2.0),
        ("o1", 3, 4.0),
        ("o2", 1, 3.0),
        ("o2", 2, 5.0),
    ]


def test_a_second_file_of_new_orders_numbers_only_its_own_lines(monkeypatch, tmp_path):
    first = write(tmp_path, "day1.csv", FIVE + "c1,o1,2024-03-05,p1,10\nc1,o1,2024-03-05,p2,3\n")
    second = write(
        tmp_path,
        "day2.csv",
        FIVE + "c2,o2,2024-03-06,p1,1\nc2,o2,2024-03-06,p2,2\nc3,o3,2024-03-06,p1,7\n",
    )
    staged, fast, calls = load_both(monkeypatch, [first, second])
    assert calls == []
    assert fast == staged
    assert [(r[0], r[1], r[8]) for r in fast["rows"]] == [
        ("o1", 1, 10.0),
        ("o1", 2, 3.0),
        ("o2", 1, 1.0),
        ("o2", 2, 2.0),
        ("o3", 1, 7.0),
    ]


@pytest.mark.parametrize("split", [False, True])
def test_a_file_read_in_parallel_is_numbered_in_file_order(tmp_path, split):
    # big enough for DuckDB to read it in several chunks on several threads: the lines must
    # still be numbered in file order. Order i has i % 4 + 1 lines; its k-th line carries
    # product p<k>. With ``split`` every order's last line comes again at the end of the
    # file, as line i % 4 + 2, in order of i.
    # (long customer ids: about 24 MB, several of DuckDB's 8 MB scan ranges, in few lines)
    orders = 90_000
    pad = "x" * 80
    lines = [
        f"c{i % 997}{pad},o{i},2024-03-05,p{k},{k}\n"
        for i in range(orders)
        for k in range(1, i % 4 + 2)
    ]
    if split:
        lines += [f"c{i % 997}{pad},o{i},2024-03-05,p{i % 4 + 2},1\n" for i in range(orders)]
    path = write(tmp_path, "big.csv", FIVE + "".join(lines))
    ws = Workspace.open(tmp_path / "w.duckdb")
    ws.duckdb.execute("SET threads = 4")
    [result] = ingest(ws, "transactions", path)
    assert result.rows_loaded == len(lines)
    wrong, n = ws.duckdb.execute(
        "SELECT count_if(product_id <> 'p' || line_no), count(DISTINCT (order_id, line_no)) "
        "FROM transactions"
    ).fetchone()
    ws.close()
    assert (wrong, n) == (0, len(lines))


FULL = (
    "order_id,line_no,kind,customer_id,order_ts,product_id,category,quantity,amount,cost,channel\n"
)


def test_all_canonical_columns_with_a_second_file_checked_against_the_table(monkeypatch, tmp_path):
    first = write(
        tmp_path,
        "a.csv",
        FULL
        + "o1,1,sale,c1,2024-03-05 10:00:00,p1,tea,2,10,6,web\n"
        + "o1,2,sale,c1,2024-03-05 10:00:00,p2,cups,1,5,3,web\n"
        + "o1,1,return,c1,2024-03-09 10:00:00,p1,tea,2,10,6,web\n"  # a return: amount negative
        + "o2,1,sale,c2,2024-03-06\n",  # wrong field count
    )
    second_new = write(tmp_path, "b.csv", FULL + "o3,1,sale,c3,2024-03-07,p1,tea,1,4,2,app\n")
    second_known = write(
        tmp_path,
        "c.csv",
        FULL
        + "o1,1,sale,c1,2024-03-05 10:00:00,p1,tea,2,10,6,web\n"  # duplicate
        + "o1,2,sale,c1,2024-03-05 10:00:00,p2,cups,1,6,3,web\n"  # updated
        + "o4,1,sale,c4,2024-03-08,p1,tea,1,4,2,app\n",
    )
    staged, fast, calls = load_both(monkeypatch, [first, second_new, second_known])
    assert calls == ["c.csv"]  # keys already in the table: staged
    assert fast == staged
    assert [row[1:] for row in fast["log"]] == [
        (4, 3, 0, 1, 0, "loaded_with_rejects"),
        (1, 1, 0, 0, 0, "loaded"),
        (3, 1, 1, 0, 1, "loaded"),
    ]


def test_without_kind_every_line_is_a_sale(monkeypatch, tmp_path):
    path = write(
        tmp_path,
        "nokind.csv",
        "order_id,line_no,customer_id,order_ts,amount\n"
        "o1,1,c1,2024-03-05,10\no1,2,c1,2024-03-05,-3\no2,1,c2\no2,1,c2,2024-03-06,1\n",
    )
    staged, fast, calls = load_both(monkeypatch, [path])
    assert calls == [] and fast == staged
    assert [(r[0], r[1], r[2], r[8]) for r in fast["rows"]] == [
        ("o1", 1, "sale", 10.0),
        ("o1", 2, "sale", -3.0),
        ("o2", 1, "sale", 1.0),
    ]
    assert fast["log"] == [("nokind.csv", 4, 3, 0, 1, 0, "loaded_with_rejects")]


MAPPING = """\
order_id: [门店, 单号]
customer_id: 客户编号
order_ts: 下单时间
amount: 金额
kind: {source: 单据类型, values: {销售: sale, 退货: return}}
channel: {source: 渠道, values: {门店: store, 网店: web}}
drop: [备注]
"""


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_mapping_with_renamed_headers_value_maps_and_a_composite_key(
    monkeypatch, tmp_path, encoding
):
    path = write(
        tmp_path,
        f"订单_{encoding}.csv",
        "门店,单号,客户编号,下单时间,金额,单据类型,渠道,备注,会员等级\n"
        "S1,D001,张三,2024-03-05 14:02,100,销售,门店,首单,金卡\n"  # line 2: S1-D001 line 1
        "S1,D001,张三,2024-03-05 14:02,20,销售,门店,,金卡\n"  # line 3: S1-D001 line 2
        "S2,D001,李四,2024-03-06,88,销售,网店,,银卡\n"  # line 4: S2-D001 (another store) line 1
        "S1,D001,张三,2024-03-07,100,退货,门店,质量问题,金卡\n"  # line 5: S1-D001 line 3, a return
        "S3,D9,王五,2024-03-08\n",  # line 6: wrong field count
        encoding=encoding,
    )
    mapping = write(tmp_path, "map.yaml", MAPPING)
    staged, fast, calls = load_both(monkeypatch, [path], mapping=mapping)
    assert calls == [] and fast == staged
    assert fast["log"][0][1:] == (5, 4, 0, 1, 0, "loaded_with_rejects")
    assert fast["rejects"][0][1:3] == (6, "S3,D9,王五,2024-03-08")


def test_mapping_with_a_value_outside_the_map_falls_back_to_the_staged_result(
    monkeypatch, tmp_path
):
    path = write(
        tmp_path,
        "订单.csv",
        "门店,单号,客户编号,下单时间,金额,单据类型,渠道,备注,会员等级\n"
        "S1,D001,张三,2024-03-05,100,销售,门店,,金卡\n"
        "S1,D002,张三,2024-03-05,100,换货,门店,,金卡\n",  # line 3: 换货 is in no map
        encoding="gb18030",
    )
    mapping = write(tmp_path, "map.yaml", MAPPING)
    staged, fast, calls = load_both(monkeypatch, [path], mapping=mapping)
    assert len(calls) == 1 and fast == staged
    assert [(r[1], r[3]) for r in fast["rejects"]] == [(3, "kind")]


def test_the_memory_limit_comes_from_the_ingest_section_and_is_restored(tmp_path):
    from crmlytics.ingest.config import IngestConfig

    ws = Workspace.memory()
    ws.duckdb.execute("SET memory_limit = '2GiB'")
    seen = []

    def progress(file, step, fraction):  # "done": the file committed, no query running
        if step == "done":
            seen.append(ws.duckdb.execute("SELECT current_setting('memory_limit')").fetchone()[0])

    path = write(tmp_path, "five.csv", FIVE + "c1,o1,2024-03-05,p1,10\n")
    ingest(ws, "transactions", path, progress=progress, config=IngestConfig(memory_limit="512MiB"))
    assert seen and set(seen) == {"512.0 MiB"}
    assert ws.duckdb.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "2.0 GiB"
    ws.close()


def test_optimizers_switched_off_for_the_insert_are_switched_on_again(tmp_path):
    # the direct insert keeps its filter above the conversions (filter_pushdown off), then
    # restores what the user had set
    ws = Workspace.memory()
    ws.duckdb.execute("SET disabled_optimizers = 'top_n'")
    path = write(tmp_path, "five.csv", FIVE + "c1,o1,2024-03-05,p1,10\nc1,o1,2024-03-05,p2,5\n")
    [result] = ingest(ws, "transactions", path)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    setting = ws.duckdb.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    assert setting == "top_n"
    ws.close()


def parquet(tmp_path, name, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ["customer_id", "order_id", "order_ts", "product_id", "amount"]
    path = tmp_path / name
    pq.write_table(pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)}), path)
    return path


def test_parquet_without_line_no_stays_direct_and_a_bad_value_falls_back(monkeypatch, tmp_path):
    clean = parquet(
        tmp_path,
        "day1.parquet",
        [
            ("c1", "o1", "2024-03-05 10:00:00", "p1", "10"),  # row 1: o1 line 1
            ("c2", "o2", "2024-03-05 11:00:00", "p1", "5"),  # row 2: o2 line 1
            ("c1", "o1", "2024-03-05 10:00:00", "p2", "7.5"),  # row 3: o1 line 2
        ],
    )
    bad = parquet(
        tmp_path,
        "day2.parquet",
        [
            ("c3", "o3", "2024-03-06", "p1", "1"),
            ("c3", "o3", "2024-03-06", "p2", "one"),  # row 2: not a number -> staged
            ("c4", "o4\x00", "2024-03-06", "p1", "2"),  # row 3: a NUL byte -> staged
        ],
    )
    staged, fast, calls = load_both(monkeypatch, [clean, bad])
    assert calls == ["day2.parquet"]  # the clean file stayed on the direct path
    assert fast == staged
    assert [(r[0], r[1], r[5], r[8]) for r in fast["rows"]] == [
        ("o1", 1, "p1", 10.0),
        ("o1", 2, "p2", 7.5),
        ("o2", 1, "p1", 5.0),
        ("o3", 1, "p1", 1.0),
    ]
    # rows of a Parquet file are located by row number and shown as JSON
    assert [(r[1], r[3], r[4][:22]) for r in fast["rejects"]] == [
        (2, "amount", "amount: 'one' is not a"),
        (3, None, "a value holds a NUL by"),
    ]
    assert '"amount":"one"' in fast["rejects"][0][2]
    assert [row[1:] for row in fast["log"]] == [
        (3, 3, 0, 0, 0, "loaded"),
        (3, 1, 0, 2, 0, "loaded_with_rejects"),
    ]


def test_excel_without_line_no_stays_direct_and_a_bad_value_falls_back(monkeypatch, tmp_path):
    import polars as pl

    names = ["customer_id", "order_id", "order_ts", "product_id", "amount"]
    clean, bad = tmp_path / "day1.xlsx", tmp_path / "day2.xlsx"
    pl.DataFrame(
        [("c1", "o1", "2024-03-05", "p1", "10"), ("c1", "o1", "2024-03-05", "p2", "7.5")],
        schema=names,
        orient="row",
    ).write_excel(clean)
    pl.DataFrame(
        [("c2", "o2", "2024-03-06", "p1", "1"), ("c2", "o2", "2024-03-06", "p2", "one")],
        schema=names,
        orient="row",
    ).write_excel(bad)
    staged, fast, calls = load_both(monkeypatch, [clean, bad])
    assert calls == ["day2.xlsx"]  # the clean workbook stayed on the direct path
    assert fast == staged
    assert [(r[0], r[1], r[5], r[8]) for r in fast["rows"]] == [
        ("o1", 1, "p1", 10.0),
        ("o1", 2, "p2", 7.5),
        ("o2", 1, "p1", 1.0),
    ]
    # spreadsheet row 3 (the header is row 1)
    assert [(r[1], r[3]) for r in fast["rejects"]] == [(3, "amount")]
    assert [row[1:] for row in fast["log"]] == [
        (2, 2, 0, 0, 0, "loaded"),
        (2, 1, 0, 1, 0, "loaded_with_rejects"),
    ]


def test_the_hash_in_load_log_is_the_file_hash_with_and_without_force(tmp_path):
    import hashlib

    path = write(tmp_path, "five.csv", FIVE + "c1,o1,2024-03-05,p1,10\n")
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    ws = Workspace.memory()
    [first] = ingest(ws, "transactions", path)  # hashed once, before the load, and reused
    [again] = ingest(ws, "transactions", path, force=True)  # hashed while the file is read
    logged = ws.duckdb.execute("SELECT file_sha256 FROM load_log ORDER BY started_at").fetchall()
    assert (first.sha256, again.sha256) == (expected, expected)
    assert logged == [(expected,), (expected,)]
    ws.close()

"""Segment lists for marketing: membership, filter, opt-out suppression, columns, files."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib

import ibis
import openpyxl
import pandas as pd
import polars as pl
import pytest
from typer.testing import CliRunner

from crmlytics.cli import app
from crmlytics.config import Config
from crmlytics.errors import ConfigError
from crmlytics.export import (
    WhereError,
    candidate_counts,
    export_segment,
    list_columns,
    segment_candidates,
    suppressed,
    write_list,
)
from crmlytics.export.lists import check_format
from crmlytics.workspace import Workspace

LIST_HEAD = [
    "customer_id",
    "name",
    "email",
    "phone",
    "region",
    "channel",
    "customer_type",
    "rfm_segment",
    "rfm_segment_label",
    "value_tier",
    "lifecycle",
]

# -- the list expression on a hand-made score table ----------------------------------------------

CUSTOMERS = [
    dict(customer_id="g1", name="张三", email="Zhang@Example.com", phone="13812345678",
         region="华东", channel="web", customer_type="individual", do_not_contact=False),
    dict(customer_id="g2", name="李四", email="li@example.com", phone="13900000000",
         region="华北", channel="store", customer_type="company", do_not_contact=True),
    dict(customer_id="g3", name="王五", email=None, phone=None,
         region="华南", channel="web", customer_type="individual", do_not_contact=None),
    dict(customer_id="s1", name="赵六", email="zhao@example.com", phone="13700000000",
         region="华东", channel="web", customer_type="individual", do_not_contact=True),
]  # fmt: skip

SCORES = pd.DataFrame(
    {
        "customer_id": ["g1", "g2", "g3", "s1", "g4"],  # g4 bought but is not in customers
        "r_score": [5, 4, 2, 5, 4],
        "rfm_segment": ["champions", "loyal", "at_risk", "champions", "loyal"],
        "value_tier": ["gold", "gold", "gold", "silver", "gold"],
        "lifecycle": ["loyal", "repeat", "dormant", "repeat", "first_time"],
        "net_revenue": [900.0, 800.0, 700.0, 300.0, 650.0],
        "clv": [1200.0, 50.0, 400.0, 900.0, None],
    }
)


@pytest.fixture
def list_ws(ws):
    ws.insert("customers", CUSTOMERS)
    return ws


def build(ws, *, segment="gold", column="value_tier", where=None, labels=None):
    return segment_candidates(
        ws.table("customers"),
        ibis.memtable(SCORES),
        column=column,
        segment=segment,
        where=where,
        rfm_labels=labels,
    )


def test_opted_out_customers_are_suppressed_and_counted(list_ws):
    candidates = build(list_ws)
    counts = candidate_counts(candidates).to_pandas().iloc[0]
    # gold: g1, g2, g3, g4; only g2 has do_not_contact = true (g3's null is not an opt-out)
    assert (int(counts["matched"]), int(counts["opted_out"])) == (4, 1)
    kept = suppressed(candidates).to_pandas()
    assert kept["customer_id"].tolist() == ["g1", "g3", "g4"]
    everyone = suppressed(candidates, include_opted_out=True).to_pandas()
    assert everyone["customer_id"].tolist() == ["g1", "g2", "g3", "g4"]


def test_where_filters_the_segment_before_suppression_counts(list_ws):
    candidates = build(list_ws, where="clv > 100 and r_score >= 4")
    counts = candidate_counts(candidates).to_pandas().iloc[0]
    # gold with clv > 100 and r >= 4: g1 only (g2 clv 50, g3 r 2, g4 clv null); s1 is silver
    assert (int(counts["matched"]), int(counts["opted_out"])) == (1, 0)
    assert suppressed(candidates).to_pandas()["customer_id"].tolist() == ["g1"]


def test_a_bad_where_is_refused_before_anything_runs(list_ws):
    with pytest.raises(WhereError, match="unknown column 'region'"):
        build(list_ws, where="region == '华东'")  # contact columns are not score columns


def test_columns_come_in_the_stable_order_with_scores_last(list_ws):
    frame = suppressed(build(list_ws)).to_pandas()
    assert list(frame.columns) == [*LIST_HEAD, "r_score", "net_revenue", "clv"]
    assert list_columns(ibis.memtable(SCORES), hashed="sha256")[:4] == [
        "customer_id",  # no name in a hashed list
        "email_sha256",
        "phone_sha256",
        "region",
    ]


def test_customer_missing_from_customers_is_listed_with_empty_contact(list_ws):
    frame = suppressed(build(list_ws)).to_pandas().set_index("customer_id")
    assert frame.loc["g4", "name"] is None or pd.isna(frame.loc["g4", "name"])
    assert frame.loc["g1", "name"] == "张三"
    assert frame.loc["g1", "region"] == "华东"


def test_rfm_segment_label_follows_the_locale_labels(list_ws):
    labels = {"champions": "冠军客户", "loyal": "忠诚客户"}
    frame = suppressed(build(list_ws, labels=labels)).to_pandas().set_index("customer_id")
    assert frame["rfm_segment_label"].to_dict() == {
        "g1": "冠军客户",
        "g3": "at_risk",  # no label given: the key is shown
        "g4": "忠诚客户",
    }


def test_segment_filter_uses_the_named_column(list_ws):
    frame = suppressed(build(list_ws, column="rfm_segment", segment="champions")).to_pandas()
    assert frame["customer_id"].tolist() == ["g1"]  # s1 is a champion but opted out


def test_score_table_without_segment_columns_is_refused(list_ws):
    with pytest.raises(ValueError, match="lacks column"):
        segment_candidates(
            list_ws.table("customers"),
            ibis.memtable(SCORES.drop(columns=["lifecycle"])),
            column="value_tier",
            segment="gold",
        )


# -- files ---------------------------------------------------------------------------------------

FRAME = pd.DataFrame(
    {
        "customer_id": ["c1", "c2", "c3"],
        "name": ["张三", '=HYPERLINK("http://x")', "O'Brien 李"],
        "phone": ["+8613812345678", "013812345678", None],
        "region": ["华东", None, "华南"],
        "r_score": [5, 4, 3],
        "clv": [1234.5, None, 0.25],
        "signup": [dt.date(2024, 1, 2), None, dt.date(2023, 12, 31)],
    }
)


def test_xlsx_keeps_chinese_text_and_writes_formula_like_text_as_text(tmp_path):
    path = write_list(FRAME, tmp_path / "list.xlsx", "xlsx")
    sheet = openpyxl.load_workbook(path).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == list(FRAME.columns)
    assert rows[1][:6] == ["c1", "张三", "+8613812345678", "华东", 5, 1234.5]
    assert rows[2][1] == '=HYPERLINK("http://x")'  # stored as a string, not a formula
    assert sheet.cell(row=3, column=2).data_type == "s"
    assert rows[2][2] == "013812345678"  # leading zero kept
    assert rows[2][3] is None and rows[2][5] is None
    assert rows[3][1] == "O'Brien 李"
    assert rows[1][6].date() == dt.date(2024, 1, 2)
    back = pl.read_excel(path)
    assert back["name"].to_list()[0] == "张三"


def test_csv_is_utf8_with_bom_and_keeps_chinese(tmp_path):
    path = write_list(FRAME, tmp_path / "list.csv", "csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(FRAME.columns)
    assert rows[1][1] == "张三" and rows[3][1] == "O'Brien 李"


def test_parquet_round_trips(tmp_path):
    path = write_list(FRAME, tmp_path / "list.parquet", "parquet")
    back = pd.read_parquet(path)
    assert back["name"].tolist() == FRAME["name"].tolist()


@pytest.mark.parametrize(
    ("out", "fmt", "message"),
    [
        ("list.csv", "xlsx", "does not match the extension"),
        ("list", "csv", "does not match the extension"),
        ("list.json", "json", "unknown export format"),
        ("list.xls", None, "unknown export format"),
    ],
)
def test_format_must_agree_with_the_file_extension(tmp_path, out, fmt, message):
    with pytest.raises(ValueError, match=message):
        check_format(tmp_path / out, fmt)


def test_format_defaults_to_the_extension(tmp_path):
    assert check_format(tmp_path / "x.XLSX")[1] == "xlsx"


# -- end to end on a warehouse -------------------------------------------------------------------


def _warehouse(ws: Workspace) -> Workspace:
    """Ten buyers c01..c10, one purchase each of 100 x k (c10 spends 1000). Gold = top 20% of
    buyers = c10, c09; silver = next 30% = c08, c07, c06. c09 has opted out."""
    ws.insert(
        "transactions",
        [
            dict(
                order_id=f"o{k}",
                line_no=1,
                kind="sale",
                customer_id=f"c{k:02d}",
                order_ts=pd.Timestamp(2024, 1, k, 12),
                amount=100.0 * k,
            )
            for k in range(1, 11)
        ],
    )
    ws.insert(
        "customers",
        [
            dict(
                customer_id=f"c{k:02d}",
                name=f"客户{k}",
                email=f" User{k}@Example.COM",
                phone=f"138 0000 00{k:02d}",
                region="华东",
                signup_date=dt.date(2023, 1, 1),
                do_not_contact=(k == 9),
            )
            for k in range(1, 11)
        ],
    )
    return ws


@pytest.mark.parametrize("segment", ["gold", "value_tier:gold"])
def test_export_of_gold_writes_the_top_fifth_without_the_opted_out(ws, tmp_path, segment):
    result = export_segment(
        _warehouse(ws), segment, as_of="2024-01-31", format="csv", out=tmp_path / "gold.csv"
    )
    assert (result.rows, result.excluded_opted_out, result.matched) == (1, 1, 2)
    frame = pd.read_csv(result.path, encoding="utf-8-sig")
    assert frame["customer_id"].tolist() == ["c10"]
    assert list(frame.columns[: len(LIST_HEAD)]) == LIST_HEAD
    assert frame["value_tier"].tolist() == ["gold"]


def test_export_with_opted_out_included_writes_both_gold_customers(ws, tmp_path):
    result = export_segment(
        _warehouse(ws),
        "gold",
        as_of="2024-01-31",
        format="parquet",
        out=tmp_path / "gold.parquet",
        include_opted_out=True,
    )
    assert (result.rows, result.excluded_opted_out, result.opted_out) == (2, 0, 1)
    assert pd.read_parquet(result.path)["customer_id"].tolist() == ["c09", "c10"]


def test_export_hashes_email_and_phone_when_asked(ws, tmp_path):
    result = export_segment(
        _warehouse(ws),
        "silver",
        as_of="2024-01-31",
        where="net_revenue >= 700",
        format="xlsx",
        out=tmp_path / "silver.xlsx",
        hash_pii="sha256",
    )
    frame = pl.read_excel(result.path).to_pandas()
    assert frame["customer_id"].tolist() == ["c07", "c08"]  # c06 spent 600
    assert "email" not in frame.columns and "phone" not in frame.columns
    assert frame["email_sha256"].tolist() == [
        hashlib.sha256(b"user7@example.com").hexdigest(),
        hashlib.sha256(b"user8@example.com").hexdigest(),
    ]
    assert frame["phone_sha256"].iloc[0] == hashlib.sha256(b"+8613800000007").hexdigest()
    assert "name" not in frame.columns  # dropped, not hashed: customer_id identifies the row
    assert frame.columns[:3].tolist() == ["customer_id", "email_sha256", "phone_sha256"]


def test_export_default_country_code_comes_from_config(ws, tmp_path):
    config = Config.model_validate({"export": {"default_country_code": "852"}})
    result = export_segment(
        _warehouse(ws),
        "gold",
        as_of="2024-01-31",
        format="csv",
        out=tmp_path / "gold.csv",
        hash_pii="sha256",
        config=config,
    )
    frame = pd.read_csv(result.path, encoding="utf-8-sig")
    # 13800000010 is read as a national number of Hong Kong (852), not China
    assert frame["phone_sha256"].iloc[0] == hashlib.sha256(b"+85213800000010").hexdigest()


def test_export_refuses_unknown_segment_and_hash(ws, tmp_path):
    with pytest.raises(ConfigError, match="unknown segment key 'platinum'"):
        export_segment(ws, "platinum", format="csv", out=tmp_path / "x.csv")
    with pytest.raises(ValueError, match="unknown --hash-pii 'md5'"):
        export_segment(ws, "gold", format="csv", out=tmp_path / "x.csv", hash_pii="md5")


def test_cli_export_prints_written_and_excluded_counts(tmp_path):
    db = tmp_path / "crm.duckdb"
    with Workspace.open(db) as ws:
        _warehouse(ws)
    out = tmp_path / "gold.xlsx"
    runner = CliRunner()
    args = ["export", "--segment", "gold", "--as-of", "2024-01-31", "--format", "xlsx"]
    result = runner.invoke(app, [*args, "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "wrote 1 customers" in result.output
    assert "excluded 1 opted-out" in result.output
    assert openpyxl.load_workbook(out).active["A2"].value == "c10"

    both = runner.invoke(app, [*args, "--out", str(out), "--db", str(db), "--include-opted-out"])
    assert both.exit_code == 0, both.output
    assert "wrote 2 customers" in both.output
    assert "included 1 opted-out" in both.output

    bad = runner.invoke(
        app, [*args, "--out", str(out), "--db", str(db), "--where", "__import__('os')"]
    )
    assert bad.exit_code == 2  # an invalid option
    assert "function calls are not allowed" in bad.output


def test_clv_from_a_score_run_of_the_same_date_is_filterable_and_written_last(ws, tmp_path):
    from crmlytics.runs import record_scores

    warehouse = _warehouse(ws)
    clv = pd.DataFrame({"customer_id": ["c06", "c07", "c08"], "clv": [900.0, 100.0, 700.0]})
    record_scores(warehouse, clv, as_of="2024-01-31")
    result = export_segment(
        warehouse,
        "silver",
        as_of="2024-01-31",
        where="clv > 500",
        format="csv",
        out=tmp_path / "silver.csv",
    )
    frame = pd.read_csv(result.path, encoding="utf-8-sig")
    assert frame["customer_id"].tolist() == ["c06", "c08"]  # c07's clv is 100
    assert frame.columns[-1] == "clv"
    assert frame["clv"].tolist() == [900.0, 700.0]


def test_where_on_clv_without_a_score_run_says_where_clv_comes_from(ws, tmp_path):
    with pytest.raises(WhereError, match="unknown column 'clv'.*score run"):
        export_segment(
            _warehouse(ws),
            "gold",
            as_of="2024-01-31",
            where="clv > 100",
            format="csv",
            out=tmp_path / "x.csv",
        )


def test_empty_list_still_writes_the_header(ws, tmp_path):
    result = export_segment(
        _warehouse(ws),
        "gold",
        as_of="2024-01-31",
        where="net_revenue > 1000000",
        format="xlsx",
        out=tmp_path / "none.xlsx",
    )
    assert (result.rows, result.excluded_opted_out, result.matched) == (0, 0, 0)
    rows = list(openpyxl.load_workbook(result.path).active.iter_rows(values_only=True))
    assert len(rows) == 1 and list(rows[0][: len(LIST_HEAD)]) == LIST_HEAD


# -- the list the nightly run decided ------------------------------------------------------------

AS_OF = "2024-01-31"
#: A changed configuration: half the buyers gold (5 of 10, c06-c10, instead of c09-c10), three RFM
#: levels instead of five, so segments computed with it differ from the run's.
CHANGED = Config.model_validate(
    {"segments": {"value": {"gold": 0.5, "silver": 0.3}, "rfm": {"bins": 3}}}
)


def _score_run(ws: Workspace) -> tuple[str, pd.DataFrame]:
    """Record the segments of the default configuration as the score run of AS_OF (what
    ``crmlytics score`` records, less the CLV columns) and return its id and rows."""
    from crmlytics.runs import record_scores
    from crmlytics.segments import customer_segments

    recorded = customer_segments(ws, AS_OF).order_by("customer_id").to_pandas()
    return record_scores(ws, recorded, as_of=AS_OF), recorded.set_index("customer_id")


def test_a_config_change_after_the_score_run_does_not_change_the_list(ws, tmp_path):
    from crmlytics.segments import customer_segments

    warehouse = _warehouse(ws)
    run_id, recorded = _score_run(warehouse)
    # the changed configuration really makes other segments: gold = c06..c10 (floor(0.5 x 10))
    now = customer_segments(warehouse, AS_OF, CHANGED).to_pandas().set_index("customer_id")
    assert sorted(now.index[now.value_tier == "gold"]) == ["c06", "c07", "c08", "c09", "c10"]
    assert (now.rfm_segment != recorded.rfm_segment.reindex(now.index)).any()

    result = export_segment(
        warehouse,
        "gold",
        as_of=AS_OF,
        out=tmp_path / "gold.csv",
        include_opted_out=True,
        config=CHANGED,
    )
    assert (result.source, result.run_id) == (run_id, run_id)
    frame = pd.read_csv(result.path, encoding="utf-8-sig").set_index("customer_id")
    assert frame.index.tolist() == ["c09", "c10"]  # the run's gold: top 20% of ten buyers
    for column in ("rfm_segment", "value_tier", "lifecycle", "r_score", "f_score", "m_score"):
        assert frame[column].tolist() == recorded.loc[frame.index, column].tolist(), column

    # every RFM segment of the run is listed as the run has it, whatever the new bins say
    for key in recorded.rfm_segment.unique():
        listed = export_segment(
            warehouse, f"rfm_segment:{key}", as_of=AS_OF, out=tmp_path / f"{key}.parquet",
            include_opted_out=True, config=CHANGED,
        )  # fmt: skip
        written = pd.read_parquet(listed.path)
        assert set(written.customer_id) == set(recorded.index[recorded.rfm_segment == key]), key


def test_without_a_score_run_the_export_computes_the_segments_and_says_so(ws, tmp_path):
    result = export_segment(
        _warehouse(ws), "gold", as_of=AS_OF, out=tmp_path / "gold.csv", config=CHANGED
    )
    assert (result.source, result.run_id) == ("computed", None)
    # computed with the configuration given: gold = c06..c10, c09 opted out
    frame = pd.read_csv(result.path, encoding="utf-8-sig")
    assert frame["customer_id"].tolist() == ["c06", "c07", "c08", "c10"]


def test_a_run_of_another_date_or_without_segments_is_not_the_source(ws, tmp_path):
    from crmlytics.runs import record_scores

    warehouse = _warehouse(ws)
    _score_run(warehouse)  # as of 2024-01-31
    other = export_segment(warehouse, "gold", as_of="2024-01-30", out=tmp_path / "a.csv")
    assert (other.source, other.run_id) == ("computed", None)
    clv_only = record_scores(
        warehouse, pd.DataFrame({"customer_id": ["c10"], "clv": [5.0]}), as_of="2024-01-29"
    )
    borrowed = export_segment(warehouse, "gold", as_of="2024-01-29", out=tmp_path / "b.csv")
    assert (borrowed.source, borrowed.run_id) == ("computed", clv_only)


def test_cli_export_says_where_the_segments_come_from(tmp_path):
    db = tmp_path / "crm.duckdb"
    with Workspace.open(db) as ws:
        _warehouse(ws)
    runner = CliRunner()
    args = ["export", "--segment", "gold", "--as-of", AS_OF, "--db", str(db)]
    computed = runner.invoke(app, [*args, "--out", str(tmp_path / "a.csv")])
    assert computed.exit_code == 0, computed.output
    assert "segments computed now" in computed.output
    assert "no score run as of 2024-01-31" in computed.output

    with Workspace.open(db) as ws:
        run_id, _ = _score_run(ws)
    from_run = runner.invoke(app, [*args, "--out", str(tmp_path / "b.csv")])
    assert from_run.exit_code == 0, from_run.output
    assert f"segments and scores from score run {run_id} (as of 2024-01-31)" in from_run.output


def _pii(ws: Workspace) -> set[str]:
    """Every clear-text name, email and phone of ``customers``, raw and normalised."""
    from crmlytics.export import normalize_email, normalize_phone

    people = ws.table("customers").select("name", "email", "phone").to_pandas()
    values = set()
    for name, email, phone in people.itertuples(index=False):
        values |= {v for v in (name, email, phone) if isinstance(v, str)}
        values |= {v.strip() for v in (name, email, phone) if isinstance(v, str)}
        values |= {normalize_email(email), normalize_phone(phone)} - {None}
        if phone:
            values.add(phone.replace(" ", ""))
    return values


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_a_hashed_export_holds_no_clear_text_pii_in_any_cell(ws, tmp_path, suffix):
    warehouse = _warehouse(ws)
    pii = _pii(warehouse)
    assert {"客户7", " User7@Example.COM", "138 0000 0007", "+8613800000007"} <= pii
    result = export_segment(
        warehouse, "bronze", as_of=AS_OF, out=tmp_path / f"list{suffix}",
        hash_pii="sha256", include_opted_out=True,
    )  # fmt: skip
    assert result.rows == 5  # c01..c05
    if suffix == ".csv":
        frame = pd.read_csv(result.path, encoding="utf-8-sig", dtype=str)
    elif suffix == ".xlsx":
        frame = pl.read_excel(result.path).to_pandas()
    else:
        frame = pd.read_parquet(result.path)
    cells = [str(v) for v in frame.to_numpy().ravel() if v is not None and not pd.isna(v)]
    assert len(cells) > 5 * 4
    leaked = {cell for cell in cells for value in pii if value == cell or value in cell}
    assert not leaked
    assert not set(frame.columns) & {"name", "email", "phone"}


def test_the_format_follows_the_extension_of_out(ws, tmp_path):
    result = export_segment(_warehouse(ws), "gold", as_of=AS_OF, out=tmp_path / "gold.PARQUET")
    assert pd.read_parquet(result.path)["customer_id"].tolist() == ["c10"]
    assert check_format(tmp_path / "x.xlsx") == (tmp_path / "x.xlsx", "xlsx")
    with pytest.raises(ValueError, match=r"extension \.txt; name the file \.csv, \.xlsx"):
        check_format(tmp_path / "list.txt")


def test_cli_refuses_an_unknown_extension_before_opening_the_warehouse(tmp_path):
    missing = tmp_path / "no-such.duckdb"
    result = CliRunner().invoke(
        app, ["export", "--segment", "gold", "--out", str(tmp_path / "l.txt"), "--db", str(missing)]
    )
    assert result.exit_code == 2  # a bad option, found before the (missing) warehouse
    assert "extension .txt" in result.output
    assert not missing.exists()

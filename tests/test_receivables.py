"""Receivables: ingest rules of invoices and payments, open balances with partial and
over-payments, ageing buckets at their exact edges, DSO, credit limits and the dunning list.

Every expected number is worked out by hand in the comments next to the data.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics.cli import app
from crmlytics.ingest import IngestError, ingest
from crmlytics.receivables import (
    ageing,
    customer_balances,
    days_sales_outstanding,
    dunning,
    export_dunning,
    invoice_balances,
    over_credit_limit,
    unmatched_payments,
)
from crmlytics.receivables.balances import BUCKET_KEYS
from crmlytics.workspace import Workspace

T = pd.Timestamp


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(ws, sql):
    return ws.duckdb.execute(sql).fetchall()


# -- ingest -------------------------------------------------------------------------------------
INVOICES_CSV = (
    "invoice_id,customer_id,order_id,issued_at,due_at,amount\n"
    "i1,a,o1,2024-01-01,2024-01-31,100\n"
    "i2,a,,2024-02-01,2024-01-15,50\n"  # line 3: due before issued
    "i3,b,,2024-02-01,2024-02-01,0\n"  # due on the day of issue, a zero invoice: both fine
    "i4,b,,2024-02-01,2024-03-01,-5\n"  # line 5: negative amount
)


def test_an_invoice_due_before_it_is_issued_or_negative_is_rejected_with_its_line(ws, tmp_path):
    [result] = ingest(ws, "invoices", write(tmp_path, "inv.csv", INVOICES_CSV))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert rows(ws, "SELECT invoice_id FROM invoices ORDER BY 1") == [("i1",), ("i3",)]
    assert rows(ws, "SELECT line_no, column_name, reason FROM rejects ORDER BY line_no") == [
        (3, "due_at", "due_at: '2024-01-15' is before issued_at of the same row"),
        (5, "amount", "amount: '-5' is not at least 0"),
    ]


def test_an_invoice_due_as_a_date_on_its_day_of_issue_is_not_before_it(ws, tmp_path):
    text = (
        "invoice_id,customer_id,order_id,issued_at,due_at,amount\n"
        "i5,b,,2024-02-01 14:00:00,2024-02-01,10\n"  # same day: due midnight, issued 14:00
        "i6,b,,2024-02-01 14:00:00,2024-01-31 23:00:00,10\n"  # line 3: the day before
    )
    [result] = ingest(ws, "invoices", write(tmp_path, "inv.csv", text))
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert rows(ws, "SELECT invoice_id FROM invoices") == [("i5",)]
    assert rows(ws, "SELECT line_no, column_name FROM rejects") == [(3, "due_at")]


def test_a_payment_for_an_unknown_invoice_is_rejected_with_its_line_never_dropped(ws, tmp_path):
    ingest(ws, "invoices", write(tmp_path, "inv.csv", INVOICES_CSV))
    payments = write(
        tmp_path,
        "pay.csv",
        "payment_id,invoice_id,paid_at,amount\n"
        "p1,i1,2024-01-20,60\n"
        "p2,i9,2024-01-21,10\n"  # line 3: no invoice i9
        "p3,i2,2024-01-22,10\n"  # line 4: i2 was rejected, so it is unknown too
        "p4,i1,2024-02-20,40\n",
    )
    [result] = ingest(ws, "payments", payments)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert rows(ws, "SELECT payment_id FROM payments ORDER BY 1") == [("p1",), ("p4",)]
    rejected = rows(
        ws,
        "SELECT line_no, column_name, reason, raw_line FROM rejects "
        "WHERE table_name = 'payments' ORDER BY line_no",
    )
    assert [r[:2] for r in rejected] == [(3, "invoice_id"), (4, "invoice_id")]
    assert rejected[0][2] == (
        "invoice_id: 'i9' is not in invoices.invoice_id (no such row loaded; load invoices "
        "before this table)"
    )
    assert rejected[0][3] == "p2,i9,2024-01-21,10"


def test_strict_load_of_payments_names_the_line_of_the_unknown_invoice(ws, tmp_path):
    payments = write(
        tmp_path, "pay.csv", "payment_id,invoice_id,paid_at,amount\np1,i1,2024-01-20,5\n"
    )
    with pytest.raises(IngestError, match=r"line 2, column invoice_id: invoice_id: 'i1' is not"):
        ingest(ws, "payments", payments, strict=True)
    assert rows(ws, "SELECT count(*) FROM payments") == [(0,)]


def test_payments_load_once_their_invoices_are_loaded(ws, tmp_path):
    # payments first: every row is a reject; after the invoices, the same rows load
    text = "payment_id,invoice_id,paid_at,amount\np1,i1,2024-01-20,60\n"
    [first] = ingest(ws, "payments", write(tmp_path, "pay.csv", text))
    assert (first.rows_loaded, first.rows_rejected) == (0, 1)
    ingest(ws, "invoices", write(tmp_path, "inv.csv", INVOICES_CSV))
    [second] = ingest(ws, "payments", write(tmp_path, "pay.csv", text), force=True)
    assert (second.rows_loaded, second.rows_rejected) == (1, 0)


# -- balances -----------------------------------------------------------------------------------
@pytest.fixture
def ledger(ws):
    """Hand-made invoices and payments; the balances are worked out in the tests."""
    ws.insert(
        "invoices",
        [
            # a: 100 due 31 Jan, paid 30 on 10 Jan and 50 on 15 Feb (partial payments)
            dict(invoice_id="i1", customer_id="a", issued_at=T("2024-01-01 09:00"),
                 due_at=T("2024-01-31"), amount=100.0),
            # b: 50 due 20 Jan paid 55 (over-payment), and 40 due 10 Mar still open
            dict(invoice_id="i2", customer_id="b", issued_at=T("2024-01-05"),
                 due_at=T("2024-01-20"), amount=50.0),
            dict(invoice_id="i3", customer_id="b", issued_at=T("2024-02-09"),
                 due_at=T("2024-03-10"), amount=40.0),
            # c: 80 issued 1 Mar, paid in advance on 25 Feb (a prepayment as of 28 Feb)
            dict(invoice_id="i4", customer_id="c", issued_at=T("2024-03-01"),
                 due_at=T("2024-03-31"), amount=80.0),
        ],
    )  # fmt: skip
    ws.insert(
        "payments",
        [
            dict(payment_id="p1", invoice_id="i1", paid_at=T("2024-01-10"), amount=30.0),
            dict(payment_id="p2", invoice_id="i1", paid_at=T("2024-02-15"), amount=50.0),
            dict(payment_id="p3", invoice_id="i2", paid_at=T("2024-01-19"), amount=55.0),
            dict(payment_id="p4", invoice_id="i4", paid_at=T("2024-02-25"), amount=80.0),
            # no invoice i9: an attached warehouse may hold such a payment (no ingest there)
            dict(payment_id="p9", invoice_id="i9", paid_at=T("2024-01-12"), amount=7.0),
        ],
    )
    ws.insert(
        "customers",
        [
            dict(customer_id="a", credit_limit=50.0),
            dict(customer_id="b", credit_limit=35.0),
            dict(customer_id="c"),
        ],
    )
    return ws


def by_id(frame, key):
    return frame.set_index(key).sort_index()


def test_partial_payments_reduce_the_open_amount_as_they_are_paid(ledger):
    # as of 1 Feb: 100 - 30 = 70 open, 1 day overdue; as of 20 Feb: 100 - 80 = 20, 20 days
    first = by_id(invoice_balances(ledger, "2024-02-01").to_pandas(), "invoice_id").loc["i1"]
    assert (first.paid_amount, first.open_amount, first.days_overdue) == (30.0, 70.0, 1)
    assert first.ageing_bucket == "overdue_1_30"
    later = by_id(invoice_balances(ledger, "2024-02-20").to_pandas(), "invoice_id").loc["i1"]
    assert (later.paid_amount, later.open_amount, later.days_overdue) == (80.0, 20.0, 20)


def test_an_over_payment_is_a_credit_a_negative_open_balance_in_no_ageing_bucket(ledger):
    # as of 20 Feb: b's i2 is paid 55 of 50 (open -5), i3 40 is current (due 10 Mar):
    # open balance 90 - 55 = 35 = current 40 + credit -5
    inv = by_id(invoice_balances(ledger, "2024-02-20").to_pandas(), "invoice_id")
    assert inv.loc["i2", "open_amount"] == -5.0
    assert pd.isna(inv.loc["i2", "ageing_bucket"])
    assert inv.loc["i3", "ageing_bucket"] == "current"
    b = by_id(customer_balances(ledger, "2024-02-20").to_pandas(), "customer_id").loc["b"]
    assert (b.invoiced_amount, b.paid_amount, b.open_balance) == (90.0, 55.0, 35.0)
    assert (b.current_amount, b.overdue_amount, b.credit_amount) == (40.0, 0.0, -5.0)
    assert (b.open_invoices, pd.isna(b.max_days_overdue)) == (1, True)


def test_a_payment_before_its_invoice_is_issued_is_a_credit_of_the_customer(ledger):
    # as of 28 Feb c has paid 80 for an invoice issued on 1 Mar: balance -80; as of 1 Mar, 0
    before = by_id(customer_balances(ledger, "2024-02-28").to_pandas(), "customer_id").loc["c"]
    assert (before.invoiced_amount, before.paid_amount, before.open_balance) == (0.0, 80.0, -80.0)
    assert before.credit_amount == -80.0
    after = by_id(customer_balances(ledger, "2024-03-01").to_pandas(), "customer_id").loc["c"]
    assert (after.open_balance, after.credit_amount) == (0.0, 0.0)


def test_payments_after_the_as_of_date_are_not_seen(ledger):
    # as of 14 Feb p2 (15 Feb) is in the future: a owes 100 - 30 = 70, 14 days overdue
    a = by_id(customer_balances(ledger, "2024-02-14").to_pandas(), "customer_id").loc["a"]
    assert (a.open_balance, a.overdue_1_30_amount, a.max_days_overdue) == (70.0, 70.0, 14)


def test_a_payment_for_an_unknown_invoice_is_listed_and_in_no_balance(ledger):
    listed = unmatched_payments(ledger, "2024-03-31").to_pandas()
    assert listed[["payment_id", "invoice_id", "amount"]].values.tolist() == [["p9", "i9", 7.0]]
    balances = customer_balances(ledger, "2024-03-31").to_pandas()
    assert balances["paid_amount"].sum() == 30 + 50 + 55 + 80  # p9's 7 in no balance


def test_days_sales_outstanding_is_receivables_over_credit_sales_times_the_window(ledger):
    # as of 28 Feb, 30 days (30 Jan .. 28 Feb): credit sales = i3 40; receivables = a 20 +
    # b 35 + c -80 (its prepayment) = -25 -> DSO = -25 / 40 * 30 = -18.75
    row = days_sales_outstanding(ledger, "2024-02-28", 30).to_pandas().iloc[0]
    assert (row.receivables, row.credit_sales, row.window_days) == (-25.0, 40.0, 30)
    assert row.days_sales_outstanding == pytest.approx(-18.75)
    # as of 31 Mar, 90 days (2 Jan .. 31 Mar): sales 50 + 40 + 80 = 170 (i1 on 1 Jan is out);
    # receivables a 20 + b 35 + c 0 = 55 -> 55 / 170 * 90
    row = days_sales_outstanding(ledger, "2024-03-31", 90).to_pandas().iloc[0]
    assert (row.receivables, row.credit_sales) == (55.0, 170.0)
    assert row.days_sales_outstanding == pytest.approx(55 / 170 * 90)


def test_nothing_invoiced_in_the_window_gives_no_dso(ledger):
    row = days_sales_outstanding(ledger, "2024-06-30", 30).to_pandas().iloc[0]
    assert row.credit_sales == 0.0 and pd.isna(row.days_sales_outstanding)


def test_customers_over_their_credit_limit(ledger):
    # as of 1 Feb: a owes 70 > 50 (over by 20); b owes 50 - 55 + 0 = -5 (i3 not issued) < 35;
    # as of 20 Feb: a owes 20 (< 50), b owes 35 = its limit 35: not over it
    over = over_credit_limit(ledger, "2024-02-01").to_pandas()
    assert over.values.tolist() == [["a", 50.0, 70.0, 70.0, 20.0]]
    assert over_credit_limit(ledger, "2024-02-20").to_pandas().empty


# -- ageing edges -------------------------------------------------------------------------------
AS_OF = dt.date(2024, 6, 30)
#: days overdue as of 30 Jun 2024 -> amount (powers of two, so every bucket sum says which
#: invoices it holds)
EDGES = {-5: 256.0, 0: 1.0, 1: 2.0, 30: 4.0, 31: 8.0, 60: 16.0, 61: 32.0, 90: 64.0, 91: 128.0}


@pytest.fixture
def edges(ws):
    ws.insert(
        "invoices",
        [
            dict(
                invoice_id=f"e{days}",
                customer_id="a" if days % 2 else "b",
                issued_at=T("2024-01-01"),
                # a due time of day does not matter: the due date counts
                due_at=T(AS_OF - dt.timedelta(days=days)) + pd.Timedelta(hours=17),
                amount=amount,
            )
            for days, amount in EDGES.items()
        ],
    )
    return ws


def test_days_overdue_is_the_as_of_date_minus_the_due_date_in_whole_days(edges):
    got = invoice_balances(edges, AS_OF).to_pandas().set_index("invoice_id")
    assert {int(k[1:]): v for k, v in got["days_overdue"].items()} == {d: d for d in EDGES}


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, "current"),
        (0, "current"),
        (1, "overdue_1_30"),
        (30, "overdue_1_30"),
        (31, "overdue_31_60"),
        (60, "overdue_31_60"),
        (61, "overdue_61_90"),
        (90, "overdue_61_90"),
        (91, "overdue_90_plus"),
    ],
)
def test_each_edge_of_the_ageing_buckets(edges, days, bucket):
    got = invoice_balances(edges, AS_OF).to_pandas().set_index("invoice_id")
    assert got.loc[f"e{days}", "ageing_bucket"] == bucket


def test_the_ageing_table_sums_each_bucket_and_keeps_empty_buckets(edges):
    table = ageing(edges, AS_OF).to_pandas()
    assert table["ageing_bucket"].tolist() == list(BUCKET_KEYS)
    assert table["bucket_order"].tolist() == [1, 2, 3, 4, 5]
    # current 256 + 1; 1-30: 2 + 4; 31-60: 8 + 16; 61-90: 32 + 64; over 90: 128
    assert table["open_amount"].tolist() == [257.0, 6.0, 24.0, 96.0, 128.0]
    assert table["invoices"].tolist() == [2, 2, 2, 2, 1]
    assert table["share_of_open"].tolist() == pytest.approx(
        [257 / 511, 6 / 511, 24 / 511, 96 / 511, 128 / 511]
    )
    # with nothing open, every bucket is still there, at zero
    empty = ageing(edges, "2023-12-31").to_pandas()
    assert empty["open_amount"].tolist() == [0.0] * 5 and empty["share_of_open"].isna().all()


def test_customer_buckets_add_up_to_the_open_balance(edges):
    # a holds the odd days (-5, 1, 31, 61, 91): 256 + 2 + 8 + 32 + 128; b the even ones
    got = by_id(customer_balances(edges, AS_OF).to_pandas(), "customer_id")
    a = got.loc["a"]
    assert [a[f"{k}_amount"] for k in BUCKET_KEYS] == [256.0, 2.0, 8.0, 32.0, 128.0]
    assert (a.open_balance, a.overdue_amount, a.max_days_overdue) == (426.0, 170.0, 91)
    b = got.loc["b"]
    assert [b[f"{k}_amount"] for k in BUCKET_KEYS] == [1.0, 4.0, 16.0, 64.0, 0.0]


# -- dunning ------------------------------------------------------------------------------------
@pytest.fixture
def dunned(ws):
    """As of 30 Jun 2024; every invoice 100, due 1 Jun (29 days overdue) unless said."""
    due = T("2024-06-01")
    ws.insert(
        "invoices",
        [
            dict(invoice_id="n1", customer_id="never", issued_at=T("2024-05-01"), due_at=due,
                 amount=100.0),
            dict(invoice_id="b1", customer_id="before", issued_at=T("2024-05-01"), due_at=due,
                 amount=100.0),
            dict(invoice_id="o1", customer_id="on_due", issued_at=T("2024-05-01"), due_at=due,
                 amount=100.0),
            dict(invoice_id="l1", customer_id="later", issued_at=T("2024-05-01"), due_at=due,
                 amount=100.0),
            dict(invoice_id="t1", customer_id="today", issued_at=T("2024-05-01"),
                 due_at=T("2024-06-30"), amount=100.0),  # due on the as-of date: not overdue
            dict(invoice_id="p1", customer_id="paid", issued_at=T("2024-05-01"), due_at=due,
                 amount=100.0),
            # two overdue invoices, one partly paid, and one current: dun 60 + 30
            dict(invoice_id="m1", customer_id="many", issued_at=T("2024-03-01"),
                 due_at=T("2024-04-01"), amount=100.0),
            dict(invoice_id="m2", customer_id="many", issued_at=T("2024-05-01"), due_at=due,
                 amount=30.0),
            dict(invoice_id="m3", customer_id="many", issued_at=T("2024-06-20"),
                 due_at=T("2024-07-20"), amount=500.0),
        ],
    )  # fmt: skip
    ws.insert(
        "payments",
        [
            dict(payment_id="q1", invoice_id="p1", paid_at=T("2024-05-30"), amount=100.0),
            dict(payment_id="q2", invoice_id="m1", paid_at=T("2024-04-15"), amount=40.0),
        ],
    )
    ws.insert(
        "interactions",
        [
            dict(interaction_id="x1", customer_id="before", ts=T("2024-05-31 18:00")),
            dict(interaction_id="x2", customer_id="on_due", ts=T("2024-06-01 09:00")),
            dict(interaction_id="x3", customer_id="later", ts=T("2024-07-02 09:00")),  # future
            dict(interaction_id="x4", customer_id="many", ts=T("2024-03-20")),
        ],
    )
    return ws


def test_dunning_lists_overdue_invoices_without_contact_since_their_due_date(dunned):
    got = by_id(dunning(dunned, AS_OF).to_pandas(), "customer_id")
    # on_due was contacted on the due date; today is not overdue; paid owes nothing
    assert sorted(got.index) == ["before", "later", "many", "never"]
    assert got.loc["never", "dunning_amount"] == 100.0
    assert pd.isna(got.loc["never", "last_contact_at"])
    assert got.loc["before", "last_contact_at"] == T("2024-05-31 18:00")
    assert pd.isna(got.loc["later", "last_contact_at"])  # the July contact is not seen yet
    many = got.loc["many"]
    # m1: 100 - 40 = 60, 90 days overdue; m2: 30, 29 days; m3 (500) is current
    assert (many.dunning_amount, many.dunning_invoices, many.max_days_overdue) == (90.0, 2, 90)
    assert (many.oldest_due_at, many.open_balance) == (T("2024-04-01"), 590.0)


def test_dunning_thresholds_come_from_the_config(dunned):
    from crmlytics.receivables.config import ReceivablesConfig

    conf = ReceivablesConfig(dunning_min_days_overdue=30, dunning_min_amount=50.0)
    got = dunning(dunned, AS_OF, conf).to_pandas()
    # only many's m1 (60 open, 90 days) is 30+ days overdue and above 50
    assert got[["customer_id", "dunning_amount", "dunning_invoices"]].values.tolist() == [
        ["many", 60.0, 1]
    ]


def test_the_dunning_list_is_written_like_a_segment_list_without_opted_out(dunned, tmp_path):
    dunned.insert(
        "customers",
        [
            dict(customer_id=c, do_not_contact=(c == "before"), email=f"{c}@example.com")
            for c in ("never", "before", "on_due", "later", "today", "paid", "many")
        ],
    )
    dunned.insert(  # a purchase, so the segment columns exist
        "transactions",
        [dict(order_id="o", customer_id="many", order_ts=T("2024-03-01"), amount=1.0)],
    )
    result = export_dunning(dunned, AS_OF, out=tmp_path / "dun.csv")
    assert (result.rows, result.matched, result.excluded_opted_out) == (3, 4, 1)
    frame = pd.read_csv(tmp_path / "dun.csv", encoding="utf-8-sig")
    # most days overdue first: many (90), then never and later (29 each, by customer_id)
    assert frame["customer_id"].tolist() == ["many", "later", "never"]
    assert set(frame["list_name"]) == {"dunning"}
    assert frame.columns[:3].tolist() == ["customer_id", "name", "email"]
    assert frame["dunning_amount"].tolist() == [90.0, 100.0, 100.0]


# -- chart and CLI ------------------------------------------------------------------------------
def test_ageing_bars_show_every_bucket_with_its_amount_in_both_locales(edges):
    from crmlytics.receivables.charts import ageing_bars

    table = ageing(edges, AS_OF).to_pandas()
    fig = ageing_bars(table, locale="zh")
    bar = fig.data[0]
    assert list(bar.x) == ["未到期", "逾期1-30天", "逾期31-60天", "逾期61-90天", "逾期90天以上"]
    assert list(bar.y) == [257.0, 6.0, 24.0, 96.0, 128.0]
    assert ageing_bars(table).data[0].x[-1] == "Over 90 days overdue"


@pytest.fixture
def db(tmp_path, dunned):
    path = tmp_path / "crm.duckdb"
    target = Workspace.open(path)
    for table in ("invoices", "payments", "interactions"):
        target.insert(table, dunned.table(table).to_pandas().drop(columns="attributes"))
    target.insert("customers", [dict(customer_id="never"), dict(customer_id="many")])
    target.close()
    return path


def test_receivables_ageing_command_writes_the_buckets_and_says_the_dso(db, tmp_path):
    out = tmp_path / "ageing.csv"
    result = CliRunner().invoke(
        app,
        ["receivables", "ageing", "--as-of", "2024-06-30", "--db", str(db), "--out", str(out),
         "--report", str(tmp_path / "ageing.html")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    # open: current 100 (t1) + 500 (m3); 1-30: 100 x 4 (n1 b1 o1 l1) + 30 (m2); 61-90: 60 (m1)
    assert table["open_amount"].tolist() == [600.0, 430.0, 0.0, 60.0, 0.0]
    # 90 days to 30 Jun (2 Apr .. 30 Jun): every invoice but m1 = 100 x 6 + 30 + 500 = 1130;
    # receivables 1090 -> 1090 / 1130 x 90 = 86.8
    assert "days sales outstanding: 86.8 days" in result.output
    page = (tmp_path / "ageing.html").read_text(encoding="utf-8")
    assert "Over 90 days overdue" in page and "days sales outstanding: 86.8 days" in page


def test_receivables_dunning_command_refuses_an_out_that_is_not_a_list_format(db, tmp_path):
    result = CliRunner().invoke(
        app,
        ["receivables", "dunning", "--as-of", "2024-06-30", "--db", str(db),
         "--out", str(tmp_path / "d.json")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "unknown export format" in result.output

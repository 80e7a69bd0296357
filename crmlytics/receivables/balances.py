"""Receivables as of a date: open balances, ageing, days sales outstanding, credit limits.

Everything here is an Ibis expression over ``invoices``, ``payments`` and ``customers`` (runs on
DuckDB and Spark). As of ``D`` (a date means the end of that day, :mod:`crmlytics.asof`):

- an invoice counts once it is issued (``issued_at`` visible), a payment once it is paid
  (``paid_at`` visible), whatever the invoice's issue date;
- an invoice's **open amount** is its amount less its payments so far, rounded to cents: a
  partial payment leaves the rest open, an over-payment makes it negative (a credit the customer
  holds). A customer's **open balance** is everything invoiced less everything paid, so
  over-payments and payments for invoices not issued yet (prepayments) show as a negative
  balance: money owed *to* the customer;
- **days overdue** of an invoice = the as-of date minus its due date (``due_at``'s day), in
  whole days; 0 or less is *current*. Only invoices with a positive open amount are aged, in
  :data:`BUCKETS`: current (≤ 0 days), 1-30, 31-60, 61-90, over 90 days overdue;
- **days sales outstanding** = receivables / credit sales × N, with receivables the open balance
  of all customers as of D and credit sales the amount invoiced in the N days ending on D
  (``receivables.dso_window_days``, default 90); null when nothing was invoiced in them.

Payments for an invoice that is not in ``invoices`` are rejected at ingest (their line is in
``rejects``); on an attached warehouse, which has no ingest, :func:`unmatched_payments` lists
them. They are in no balance.
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.receivables.config import ReceivablesConfig
from crmlytics.workspace import Workspace

AsOfLike = str | _dt.date | _dt.datetime | AsOf | None

#: Ageing buckets in order: key, first and last day overdue (None: open-ended).
BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),
    ("overdue_1_30", 1, 30),
    ("overdue_31_60", 31, 60),
    ("overdue_61_90", 61, 90),
    ("overdue_90_plus", 91, None),
)
BUCKET_KEYS: tuple[str, ...] = tuple(k for k, _, _ in BUCKETS)
OVERDUE_KEYS: tuple[str, ...] = BUCKET_KEYS[1:]


def _cents(value: ir.NumericValue) -> ir.FloatingValue:
    return value.cast("float64").round(2)


def ageing_bucket(days_overdue: ir.IntegerValue) -> ir.StringValue:
    """The bucket key (:data:`BUCKETS`) of ``days_overdue`` whole days overdue."""
    cases = [(days_overdue <= hi, key) for key, _, hi in BUCKETS if hi is not None]
    return ibis.cases(*cases, else_=BUCKETS[-1][0])


def days_overdue(point: AsOf, due_at: ir.TimestampValue) -> ir.IntegerValue:
    """Whole days from the due date (``due_at``'s day) to the as-of date; ≤ 0 is not overdue."""
    return ibis.literal(point.date).delta(due_at.date(), unit="day").cast("int64")


def _invoices_paid(ws: Workspace, point: AsOf) -> ir.Table:
    """Every invoice (issued by ``point`` or not: ``issued``) with its payments so far and
    the columns of :func:`invoice_balances`; one join of the payments summed per invoice."""
    inv = ws.table("invoices")
    pay = ws.table("payments")
    pay = pay.filter(point.visible(pay.paid_at))
    paid = pay.group_by(p_invoice_id=pay.invoice_id).aggregate(paid_amount=pay.amount.sum())
    joined = inv.left_join(paid, inv.invoice_id == paid.p_invoice_id)
    paid_amount = _cents(joined.paid_amount.fill_null(0.0))
    open_amount = _cents(joined.amount - paid_amount)
    overdue = days_overdue(point, joined.due_at)
    issued = point.visible(joined.issued_at)
    return joined.select(
        "invoice_id",
        "customer_id",
        "order_id",
        "issued_at",
        "due_at",
        "amount",
        paid_amount=paid_amount,
        open_amount=open_amount,
        days_overdue=overdue,
        ageing_bucket=ibis.ifelse(
            issued & (open_amount > 0), ageing_bucket(overdue), ibis.null("string")
        ),
        issued=issued,
    )


def invoice_balances(ws: Workspace, as_of: AsOfLike = None) -> ir.Table:
    """One row per invoice issued at or before ``as_of``.

    Returns ``invoice_id, customer_id, order_id, issued_at, due_at, amount, paid_amount``
    (payments so far, currency), ``open_amount`` (amount - paid, cents; negative when
    over-paid), ``days_overdue`` (whole days, as-of date minus due date) and ``ageing_bucket``
    (:data:`BUCKETS`; null unless the open amount is positive).
    """
    rows = _invoices_paid(ws, resolve_as_of(as_of))
    return rows.filter(rows.issued).drop("issued")


def customer_balances(ws: Workspace, as_of: AsOfLike = None) -> ir.Table:
    """One row per customer with an invoice issued or a payment made by ``as_of``.

    Returns ``customer_id, invoiced_amount, paid_amount, open_balance`` (invoiced - paid;
    negative = credit held by the customer), the positive open amounts by bucket
    ``current_amount, overdue_1_30_amount, overdue_31_60_amount, overdue_61_90_amount,
    overdue_90_plus_amount``, ``overdue_amount`` (their overdue part), ``credit_amount``
    (over-payments and prepayments, ≤ 0; open_balance = the bucket amounts + credit_amount),
    ``open_invoices`` (positive open amount) and ``max_days_overdue`` (of those; null if none).
    All money in cents.
    """
    rows = _invoices_paid(ws, resolve_as_of(as_of))
    rows = rows.filter(rows.issued | (rows.paid_amount != 0))
    aged = rows.ageing_bucket.notnull()
    per = rows.group_by("customer_id").aggregate(
        invoiced_amount=_cents(rows.amount.sum(where=rows.issued).fill_null(0.0)),
        paid_amount=_cents(rows.paid_amount.sum()),
        **{
            f"{key}_amount": _cents(
                rows.open_amount.sum(where=rows.ageing_bucket == key).fill_null(0.0)
            )
            for key in BUCKET_KEYS
        },
        open_invoices=rows.invoice_id.count(where=aged),
        max_days_overdue=rows.days_overdue.max(where=aged & (rows.days_overdue > 0)),
    )
    zero = ibis.literal(0.0)
    open_balance = _cents(per.invoiced_amount - per.paid_amount)
    overdue = _cents(sum((per[f"{k}_amount"] for k in OVERDUE_KEYS), zero))
    in_buckets = _cents(sum((per[f"{k}_amount"] for k in BUCKET_KEYS), zero))
    return per.select(
        "customer_id",
        "invoiced_amount",
        "paid_amount",
        open_balance=open_balance,
        **{f"{k}_amount": per[f"{k}_amount"] for k in BUCKET_KEYS},
        overdue_amount=overdue,
        credit_amount=_cents(open_balance - in_buckets),
        open_invoices=per.open_invoices,
        max_days_overdue=per.max_days_overdue,
    )


def ageing(ws: Workspace, as_of: AsOfLike = None) -> ir.Table:
    """The ageing table as of ``as_of``: one row per bucket of :data:`BUCKETS`, in order, even
    when empty.

    Returns ``ageing_bucket, bucket_order`` (1 = current ... 5 = over 90 days),
    ``invoices`` and ``customers`` with a positive open amount in the bucket, ``open_amount``
    (their open amounts, cents) and ``share_of_open`` (of all positive open amounts; null when
    nothing is open). Credits (negative open amounts) are in no bucket.
    """
    inv = invoice_balances(ws, as_of)
    inv = inv.filter(inv.ageing_bucket.notnull())
    per = inv.group_by(b_bucket=inv.ageing_bucket).aggregate(
        invoices=inv.count(),
        customers=inv.customer_id.nunique(),
        open_amount=inv.open_amount.sum(),
    )
    frame = ibis.memtable(
        {"ageing_bucket": list(BUCKET_KEYS), "bucket_order": list(range(1, len(BUCKETS) + 1))},
        schema={"ageing_bucket": "string", "bucket_order": "int64"},
    )
    joined = frame.left_join(per, frame.ageing_bucket == per.b_bucket)
    amount = _cents(joined.open_amount.fill_null(0.0))
    total = amount.sum().over(ibis.window())
    return joined.select(
        "ageing_bucket",
        "bucket_order",
        invoices=joined.invoices.fill_null(0),
        customers=joined.customers.fill_null(0),
        open_amount=amount,
        share_of_open=amount / total.nullif(0.0),
    ).order_by("bucket_order")


def days_sales_outstanding(
    ws: Workspace, as_of: AsOfLike = None, window_days: int | None = None
) -> ir.Table:
    """Days sales outstanding as of ``as_of``, one row.

    Returns ``receivables`` (open balance of all customers, cents), ``credit_sales`` (amount
    invoiced in the ``window_days`` days ending on the as-of date, default
    ``receivables.dso_window_days`` = 90), ``window_days`` and ``days_sales_outstanding`` =
    receivables / credit_sales × window_days (days; null when credit_sales is 0).
    """
    point = resolve_as_of(as_of)
    days = window_days or ReceivablesConfig().dso_window_days
    start = ibis.timestamp(point.window_start(days))
    balances = customer_balances(ws, point)
    receivables = balances.aggregate(receivables=_cents(balances.open_balance.sum()))
    inv = ws.table("invoices")
    inv = inv.filter(point.visible(inv.issued_at) & (inv.issued_at >= start))
    sales = inv.aggregate(credit_sales=_cents(inv.amount.sum()))
    both = receivables.cross_join(sales)
    owed = both.receivables.fill_null(0.0)
    sold = both.credit_sales.fill_null(0.0)
    return both.select(
        receivables=owed,
        credit_sales=sold,
        window_days=ibis.literal(days, "int64"),
        days_sales_outstanding=owed / sold.nullif(0.0) * days,
    )


def over_credit_limit(ws: Workspace, as_of: AsOfLike = None) -> ir.Table:
    """Customers whose open balance as of ``as_of`` exceeds their ``credit_limit`` (customers
    without a limit are never over it): ``customer_id, credit_limit, open_balance,
    overdue_amount, over_limit_amount`` (open_balance - credit_limit, cents)."""
    balances = customer_balances(ws, as_of)
    customers = ws.table("customers")
    limits = customers.filter(customers.credit_limit.notnull()).select(
        c_customer_id="customer_id", credit_limit=_cents(customers.credit_limit)
    )
    joined = balances.join(limits, balances.customer_id == limits.c_customer_id)
    joined = joined.filter(joined.open_balance > joined.credit_limit)
    return joined.select(
        "customer_id",
        "credit_limit",
        "open_balance",
        "overdue_amount",
        over_limit_amount=_cents(joined.open_balance - joined.credit_limit),
    )


def unmatched_payments(ws: Workspace, as_of: AsOfLike = None) -> ir.Table:
    """Payments paid by ``as_of`` whose ``invoice_id`` is not in ``invoices`` (in no balance):
    ``payment_id, invoice_id, paid_at, amount``. Ingest rejects them; this finds them in an
    attached warehouse."""
    point = resolve_as_of(as_of)
    p = ws.table("payments")
    p = p.filter(point.visible(p.paid_at))
    inv = ws.table("invoices").select(i_invoice_id="invoice_id")
    missing = p.anti_join(inv, p.invoice_id == inv.i_invoice_id)
    return missing.select("payment_id", "invoice_id", "paid_at", "amount")


def dunning(
    ws: Workspace, as_of: AsOfLike = None, config: ReceivablesConfig | None = None
) -> ir.Table:
    """Customers to chase for money as of ``as_of`` (催款提醒), one row per customer.

    An invoice is *to dun* when its open amount is above ``dunning_min_amount``, it is at least
    ``dunning_min_days_overdue`` days overdue (default 1), and the customer has had no contact
    (an ``interactions`` row visible as of) on or after its due date. Returns ``customer_id,
    dunning_amount`` (open amount of those invoices, cents), ``dunning_invoices``,
    ``oldest_due_at``, ``max_days_overdue``, ``last_contact_at`` (null: never contacted) and
    ``open_balance`` (all invoices).
    """
    conf = config or ReceivablesConfig()
    point = resolve_as_of(as_of)
    rows = _invoices_paid(ws, point)
    contacts = ws.table("interactions")
    contacts = contacts.filter(point.visible(contacts.ts))
    last = contacts.group_by(c_customer_id=contacts.customer_id).aggregate(
        last_contact_at=contacts.ts.max()
    )
    joined = rows.left_join(last, rows.customer_id == last.c_customer_id)
    to_dun = (
        joined.issued
        & (joined.open_amount > conf.dunning_min_amount)
        & (joined.days_overdue >= conf.dunning_min_days_overdue)
        & (joined.last_contact_at.isnull() | (joined.last_contact_at.date() < joined.due_at.date()))
    )
    owed = joined.amount.sum(where=joined.issued).fill_null(0.0) - joined.paid_amount.sum()
    per = joined.group_by("customer_id").aggregate(
        dunning_amount=_cents(joined.open_amount.sum(where=to_dun)),
        dunning_invoices=joined.count(where=to_dun),
        oldest_due_at=joined.due_at.min(where=to_dun),
        max_days_overdue=joined.days_overdue.max(where=to_dun),
        last_contact_at=joined.last_contact_at.max(),
        open_balance=_cents(owed),
    )
    return per.filter(per.dunning_invoices > 0).select(
        "customer_id",
        "dunning_amount",
        "dunning_invoices",
        "oldest_due_at",
        "max_days_overdue",
        "last_contact_at",
        "open_balance",
    )

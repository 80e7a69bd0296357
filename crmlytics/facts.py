"""Customer facts as of a date: the per-customer numbers every later analysis starts from."""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.workspace import Workspace

FACT_COLUMNS = (
    "customer_id",
    "first_purchase_date",
    "last_purchase_date",
    "orders",
    "purchase_days",
    "frequency",
    "recency_days",
    "tenure_days",
    "days_since_last_purchase",
    "gross_revenue",
    "returns",
    "net_revenue",
    "profit",
    "avg_order_value",
    "categories",
    "complaints",
    "contacts",
)


def order_lines(ws: Workspace, as_of: AsOf, window_days: int | None = None) -> ir.Table:
    """Transaction lines visible as of ``as_of`` (and inside the look-back window, if given),
    with ``kind`` defaulted to ``sale`` and ``category`` filled from ``products``."""
    tx = ws.table("transactions")
    keep = as_of.visible(tx.order_ts)
    if window_days is not None:
        keep &= tx.order_ts >= ibis.timestamp(as_of.window_start(window_days))
    tx = tx.filter(keep)
    products = ws.table("products").select(
        product_id=ibis._.product_id, product_category=ibis._.category
    )
    joined = tx.left_join(products, tx.product_id == products.product_id)
    return joined.select(
        order_id=joined.order_id,
        customer_id=joined.customer_id,
        order_ts=joined.order_ts,
        kind=joined.kind.fill_null("sale").lower(),
        category=joined.category.fill_null(joined.product_category),
        amount=joined.amount,
        cost=joined.cost,
    )


def orders(lines: ir.Table) -> ir.Table:
    """One row per (customer, order): its net amount and the day it was placed.

    The order's day is that of its first sale line (of any line, if it has no sale line); its
    net is the sum of all its lines, returns included, so a fully returned order nets to zero.
    """
    is_sale = lines.kind == "sale"
    return lines.group_by(["customer_id", "order_id"]).aggregate(
        order_day=ibis.coalesce(
            is_sale.ifelse(lines.order_ts, ibis.null()).min(), lines.order_ts.min()
        ).date(),
        order_net=lines.amount.sum(),
    )


def customer_facts(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    *,
    window_days: int | None = None,
) -> ir.Table:
    """Customer facts as of ``as_of``, one row per known customer, as an Ibis expression.

    Only rows at or before the as-of point are seen (a date means the end of that day). Customers
    are those in ``customers`` who signed up by the as-of date, plus anyone with a visible
    transaction; prospects have null purchase facts and zero counts.

    Columns (money in source currency units, durations in whole days from the as-of date):

    - ``first_purchase_date`` / ``last_purchase_date``: days of the first and last purchase;
      a purchase is an order whose net (sales minus returns on that order) is positive.
    - ``orders``: distinct purchases; ``purchase_days``: distinct days with a purchase;
      ``frequency``: BTYD repeat frequency, ``purchase_days - 1``.
    - ``recency_days``: BTYD recency, last minus first purchase day; ``tenure_days`` (BTYD T):
      as-of date minus first purchase day; ``days_since_last_purchase``.
    - ``gross_revenue``: sum of sale lines; ``returns``: sum of return lines (``kind = 'return'``
      or a negative amount) as a positive number; ``net_revenue``: gross minus returns.
    - ``profit``: sum over lines of ``amount - sign(amount) * |cost|`` where cost is known
      (a return gives its cost back); null when no line has a cost.
    - ``avg_order_value``: net revenue per purchase; ``categories``: distinct categories bought.
    - ``complaints`` / ``contacts``: complaints opened and interactions up to the as-of point.

    ``window_days`` restricts transactions (not complaints or contacts) to the last N days.
    """
    point = resolve_as_of(as_of)
    lines = order_lines(ws, point, window_days)
    per_order = orders(lines)
    purchases = per_order.filter(per_order.order_net > 0)

    purchase_facts = purchases.group_by("customer_id").aggregate(
        first_purchase_date=purchases.order_day.min(),
        last_purchase_date=purchases.order_day.max(),
        orders=purchases.order_id.nunique(),
        purchase_days=purchases.order_day.nunique(),
    )

    is_sale = (lines.kind != "return") & (lines.amount >= 0)
    cost_known = lines.cost.notnull()
    line_profit = lines.amount - lines.amount.sign() * lines.cost.abs()
    money = lines.group_by("customer_id").aggregate(
        gross_revenue=is_sale.ifelse(lines.amount, 0.0).sum(),
        returns=(~is_sale).ifelse(lines.amount.abs(), 0.0).sum(),
        profit=cost_known.ifelse(line_profit, ibis.null()).sum(),
        categories=(is_sale & lines.category.notnull())
        .ifelse(lines.category, ibis.null())
        .nunique(),
    )

    complaints = ws.table("complaints")
    complaints = (
        complaints.filter(point.visible(complaints.opened_at))
        .group_by("customer_id")
        .aggregate(complaints=ibis._.count())
    )
    interactions = ws.table("interactions")
    contacts = (
        interactions.filter(point.visible(interactions.ts))
        .group_by("customer_id")
        .aggregate(contacts=ibis._.count())
    )

    customers = ws.table("customers")
    signed_up = customers.signup_date.isnull() | (customers.signup_date <= point.date)
    known = customers.filter(signed_up).select("customer_id")
    ids = known.union(lines.select("customer_id")).distinct()

    as_of_day = ibis.date(point.date)
    t = ids
    for part in (purchase_facts, money, complaints, contacts):
        part = part.rename(part_customer_id="customer_id")
        t = t.left_join(part, t.customer_id == part.part_customer_id).drop("part_customer_id")

    return t.select(
        customer_id=t.customer_id,
        first_purchase_date=t.first_purchase_date,
        last_purchase_date=t.last_purchase_date,
        orders=t.orders.fill_null(0).cast("int64"),
        purchase_days=t.purchase_days.fill_null(0).cast("int64"),
        frequency=(t.purchase_days - 1).cast("int64"),
        recency_days=t.last_purchase_date.delta(t.first_purchase_date, unit="day").cast("int64"),
        tenure_days=as_of_day.delta(t.first_purchase_date, unit="day").cast("int64"),
        days_since_last_purchase=as_of_day.delta(t.last_purchase_date, unit="day").cast("int64"),
        gross_revenue=t.gross_revenue.fill_null(0.0),
        returns=t.returns.fill_null(0.0),
        net_revenue=(t.gross_revenue.fill_null(0.0) - t.returns.fill_null(0.0)),
        profit=t.profit,
        avg_order_value=(t.gross_revenue - t.returns) / t.orders.nullif(0),
        categories=t.categories.fill_null(0).cast("int64"),
        complaints=t.complaints.fill_null(0).cast("int64"),
        contacts=t.contacts.fill_null(0).cast("int64"),
    )


def facts(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    *,
    window_days: int | None = None,
) -> pd.DataFrame:
    """:func:`customer_facts` materialised as a pandas frame sorted by ``customer_id``."""
    expr = customer_facts(ws, as_of, window_days=window_days).order_by("customer_id")
    return expr.to_pandas()


def facts_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Headline figures of a facts frame: customers, buyers, repeat buyers, revenue, returns."""
    buyers = frame["orders"] > 0
    rows = [
        ("customers", len(frame)),
        ("buyers (≥1 purchase)", int(buyers.sum())),
        ("repeat buyers (≥2 purchase days)", int((frame["purchase_days"] >= 2).sum())),
        ("prospects (no purchase)", int((~buyers).sum())),
        ("gross revenue", round(float(frame["gross_revenue"].sum()), 2)),
        ("returns", round(float(frame["returns"].sum()), 2)),
        ("net revenue", round(float(frame["net_revenue"].sum()), 2)),
        ("avg order value", round(float(frame.loc[buyers, "avg_order_value"].mean()), 2)),
        ("complaints", int(frame["complaints"].sum())),
        ("contacts", int(frame["contacts"].sum())),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"])

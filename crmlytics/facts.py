"""Customer facts as of a date: the per-customer numbers every later analysis starts from."""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlytics.asof import AsOf, check_window_days
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.joins import with_customer_columns
from crmlytics.workspace import Workspace

FACT_COLUMNS = (
    "customer_id",
    "first_purchase_date",
    "last_purchase_date",
    "orders",
    "purchase_days",
    "purchase_span_days",
    "days_since_first_purchase",
    "days_since_last_purchase",
    "gross_revenue",
    "returned_revenue",
    "net_revenue",
    "profit",
    "avg_order_value",
    "categories_bought",
    "complaints",
    "contacts",
)


def _visible(ws: Workspace, as_of: AsOf, window_days: int | None) -> ir.Table:
    tx = ws.table("transactions")
    keep = as_of.visible(tx.order_ts)
    if window_days is not None:
        keep &= tx.order_ts >= ibis.timestamp(as_of.window_start(window_days))
    return tx.filter(keep)


def visible_lines(ws: Workspace, as_of: AsOf, window_days: int | None = None) -> ir.Table:
    """Transaction lines visible as of ``as_of`` (and inside the look-back window, if given):
    order_id, customer_id, order_ts, kind (defaulted to ``sale``, lower case), amount, cost."""
    tx = _visible(ws, as_of, window_days)
    return tx.select(
        "order_id",
        "customer_id",
        "order_ts",
        "amount",
        "cost",
        kind=tx.kind.fill_null("sale").lower(),
    )


def _with_category(tx: ir.Table, ws: Workspace) -> ir.Table:
    products = ws.optional_table("products").select(
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


def order_lines(ws: Workspace, as_of: AsOf, window_days: int | None = None) -> ir.Table:
    """:func:`visible_lines` plus ``category``, filled from ``products`` where the line has
    none."""
    return _with_category(_visible(ws, as_of, window_days), ws)


def sold_categories(ws: Workspace, as_of: AsOf, window_days: int | None = None) -> ir.Table:
    """Distinct categories of the sale lines (no returns) each customer bought as of ``as_of``:
    one row per customer with ``categories_bought`` (count)."""
    return categories_bought(order_lines(ws, as_of, window_days))


def categories_bought(lines: ir.Table) -> ir.Table:
    """``categories_bought`` per customer: distinct categories of the sale lines of
    :func:`order_lines` (returns and lines without a category left out)."""
    sold = lines.filter(~is_return(lines) & lines.category.notnull())
    pairs = sold.select("customer_id", "category").distinct()
    return pairs.group_by("customer_id").aggregate(categories_bought=pairs.count())


NET_DECIMALS = 6
"""Order nets are rounded to this many decimals: floating-point sums depend on the order an
engine adds lines in, and a fully returned order must net to exactly zero on every engine."""


def is_return(lines: ir.Table) -> ir.BooleanValue:
    """A return or refund line: ``kind = 'return'`` or a negative amount."""
    return (lines.kind == "return") | (lines.amount < 0)


def orders(lines: ir.Table) -> ir.Table:
    """One row per (customer, order), in one pass over the lines.

    - ``order_day``: day of the order's first sale line (of any line, if it has none);
    - ``order_net``: sum of all its lines, returns included, rounded to ``NET_DECIMALS``
      (a fully returned order nets to exactly zero);
    - ``gross_revenue`` (sale lines), ``returned_revenue`` (return lines, positive), ``profit`` (see
      :func:`customer_facts`; null when no line has a cost), ``return_lines`` (count).
    """
    returned = is_return(lines)
    line_profit = lines.amount - lines.amount.sign() * lines.cost.abs()
    return lines.group_by(["customer_id", "order_id"]).aggregate(
        order_day=ibis.coalesce(
            lines.order_ts.min(where=lines.kind == "sale"), lines.order_ts.min()
        ).date(),
        order_net=lines.amount.sum().round(NET_DECIMALS),
        gross_revenue=lines.amount.sum(where=~returned).fill_null(0.0),
        returned_revenue=lines.amount.abs().sum(where=returned).fill_null(0.0),
        profit=line_profit.sum(where=lines.cost.notnull()),
        return_lines=lines.order_id.count(where=returned),
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
    transaction; prospects have null purchase facts and zero counts. A *purchase* is defined once,
    in ``docs/glossary.md`` ("A purchase"); here it is an order whose rounded net is positive.

    Columns (money in source currency units, durations in whole days; every column is defined in
    ``docs/glossary.md``):

    - ``first_purchase_date`` / ``last_purchase_date``: days of the first and last purchase.
    - ``orders``: distinct purchases; ``purchase_days``: distinct days with a purchase.
    - ``purchase_span_days``: last minus first purchase day;
      ``days_since_first_purchase``: as-of date minus first purchase day;
      ``days_since_last_purchase``: as-of date minus last purchase day.
    - ``gross_revenue``: sum of sale lines; ``returned_revenue``: sum of return lines
      (``kind = 'return'`` or a negative amount) as a positive number; ``net_revenue``: gross
      minus returned revenue.
    - ``profit``: sum over lines of ``amount - sign(amount) * |cost|`` where cost is known
      (a return gives its cost back); null when no line has a cost.
    - ``avg_order_value``: net revenue per purchase; ``categories_bought``: distinct categories
      of the sale lines.
    - ``complaints`` / ``contacts``: complaints opened and interactions up to the as-of point.

    ``window_days`` restricts transactions (not complaints or contacts) to the last N days.
    """
    check_window_days(window_days)
    point = resolve_as_of(as_of)
    # the money needs no category: only the categories' sale lines meet products
    lines = order_lines(ws, point, window_days)
    per_order = orders(visible_lines(ws, point, window_days))
    purchase = per_order.order_net > 0
    money = per_order.group_by("customer_id").aggregate(
        first_purchase_date=per_order.order_day.min(where=purchase),
        last_purchase_date=per_order.order_day.max(where=purchase),
        orders=per_order.order_id.count(where=purchase),
        purchase_days=per_order.order_day.nunique(where=purchase),
        gross_revenue=per_order.gross_revenue.sum(),
        returned_revenue=per_order.returned_revenue.sum(),
        profit=per_order.profit.sum(),
    )
    categories = categories_bought(lines)

    complaints = ws.optional_table("complaints")
    complaints = (
        complaints.filter(point.visible(complaints.opened_at))
        .group_by("customer_id")
        .aggregate(complaints=ibis._.count())
    )
    interactions = ws.optional_table("interactions")
    contacts = (
        interactions.filter(point.visible(interactions.ts))
        .group_by("customer_id")
        .aggregate(contacts=ibis._.count())
    )

    customers = ws.optional_table("customers")
    signed_up = customers.signup_date.isnull() | (customers.signup_date <= point.date)
    known = customers.filter(signed_up).select("customer_id").distinct()
    buyers = with_customer_columns(money, categories).rename(buyer_id="customer_id")
    everyone = known.outer_join(buyers, known.customer_id == buyers.buyer_id)
    everyone = everyone.mutate(customer_id=ibis.coalesce(everyone.customer_id, everyone.buyer_id))
    t = with_customer_columns(
        with_customer_columns(everyone.drop("buyer_id"), complaints), contacts
    )
    as_of_day = ibis.date(point.date)

    return t.select(
        customer_id=t.customer_id,
        first_purchase_date=t.first_purchase_date,
        last_purchase_date=t.last_purchase_date,
        orders=t.orders.fill_null(0).cast("int64"),
        purchase_days=t.purchase_days.fill_null(0).cast("int64"),
        purchase_span_days=t.last_purchase_date.delta(t.first_purchase_date, unit="day").cast(
            "int64"
        ),
        days_since_first_purchase=as_of_day.delta(t.first_purchase_date, unit="day").cast("int64"),
        days_since_last_purchase=as_of_day.delta(t.last_purchase_date, unit="day").cast("int64"),
        gross_revenue=t.gross_revenue.fill_null(0.0),
        returned_revenue=t.returned_revenue.fill_null(0.0),
        net_revenue=(t.gross_revenue.fill_null(0.0) - t.returned_revenue.fill_null(0.0)),
        profit=t.profit,
        avg_order_value=(t.gross_revenue - t.returned_revenue) / t.orders.nullif(0),
        categories_bought=t.categories_bought.fill_null(0).cast("int64"),
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
    """Headline figures of a facts frame: customers, buyers, repeat buyers, revenue, returned
    revenue."""
    buyers = frame["orders"] > 0
    rows = [
        ("customers", len(frame)),
        ("buyers (≥1 purchase)", int(buyers.sum())),
        ("repeat buyers (≥2 purchase days)", int((frame["purchase_days"] >= 2).sum())),
        ("prospects (no purchase)", int((~buyers).sum())),
        ("gross revenue", round(float(frame["gross_revenue"].sum()), 2)),
        ("returned revenue", round(float(frame["returned_revenue"].sum()), 2)),
        ("net revenue", round(float(frame["net_revenue"].sum()), 2)),
        ("avg order value", round(float(frame.loc[buyers, "avg_order_value"].mean()), 2)),
        ("complaints", int(frame["complaints"].sum())),
        ("contacts", int(frame["contacts"].sum())),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"])

"""The sale and return lines every sales view starts from, and the period arithmetic.

A line is visible as of D when its ``order_ts`` is at or before the as-of point
(:meth:`~crmlytics.asof.AsOf.visible`). A line is a *return* when ``kind = 'return'`` or its
amount is negative (:func:`crmlytics.facts.is_return`); a return counts in the period of its own
timestamp (when the money went back), not in the period of the sale it reverses. A *purchase* is
an order whose net is positive (``docs/glossary.md``, "A purchase"), dated by its first sale line.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.errors import ConfigError
from crmlytics.facts import NET_DECIMALS, is_return
from crmlytics.workspace import Workspace

PERIODS: tuple[str, ...] = ("day", "week", "month", "quarter")
_UNIT = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}
_STEP = {
    "day": dict(days=1),
    "week": dict(days=7),
    "month": dict(months=1),
    "quarter": dict(months=3),
}
#: Periods back to the same period a year earlier: 12 months, 4 quarters, 52 weeks (364 days,
#: so a week is compared with the same ISO weekday span), 364 days (the same weekday).
YEAR_LAG = {"day": 364, "week": 52, "month": 12, "quarter": 4}

#: Dimensions of a line: its category (else its product's), product, channel (else the
#: customer's); and of its customer.
LINE_DIMS: tuple[str, ...] = ("category", "product_id", "channel")
CUSTOMER_DIMS: tuple[str, ...] = ("region", "customer_type")
DIMENSIONS: tuple[str, ...] = LINE_DIMS + CUSTOMER_DIMS
#: The value a missing dimension shows as (a line without category, a customer without region).
NONE = "(none)"


def check_period(period: str, option: str = "period") -> str:
    """``period`` if it is one of :data:`PERIODS`, else a ConfigError naming them."""
    if period not in PERIODS:
        raise ConfigError(f"{option} must be one of {', '.join(PERIODS)}, not {period!r}")
    return period


def check_dims(by: str | Sequence[str] | None, allowed: Sequence[str] = DIMENSIONS) -> list[str]:
    """``by`` as a list of known dimensions (ConfigError naming the known ones)."""
    dims = [by] if isinstance(by, str) else list(by or [])
    unknown = [d for d in dims if d not in allowed]
    if unknown:
        raise ConfigError(
            f"unknown sales dimension {', '.join(map(repr, unknown))}; use {', '.join(allowed)}"
        )
    if len(set(dims)) != len(dims):
        raise ConfigError(f"dimension given twice in {dims}")
    return dims


def period_start(ts: ir.TimestampValue, period: str) -> ir.DateValue:
    """First day of the ``period`` (day, week from Monday, month, quarter) holding ``ts``."""
    return ts.truncate(_UNIT[check_period(period)]).date()


def step(period: str) -> ir.IntervalScalar:
    """One ``period`` as an interval."""
    return ibis.interval(**_STEP[check_period(period)])


def sales_lines(
    ws: Workspace, point: AsOf, dims: Sequence[str] = (), *, orders: bool = True
) -> ir.Table:
    """Transaction lines visible as of ``point``: ``order_id``, ``customer_id``, ``order_ts``,
    ``kind`` (lower case, default ``sale``), ``amount``, ``quantity``, ``returned`` (bool) and the
    dimensions ``dims`` (missing values as :data:`NONE`). Joins ``products`` only for
    ``category``, ``customers`` only for the customer dimensions and ``channel``.

    With ``orders=False`` only ``order_ts``, ``kind``, ``amount``, ``returned`` and ``dims``:
    the money of the lines, read on its own (a separate scan reading fewer columns, so that
    an engine does not store all lines to share them between two aggregations)."""
    tx = ws.table("transactions")
    if not orders:
        keep = ["order_ts", "kind", "amount", *(d for d in dims if d in LINE_DIMS)]
        if "category" in dims:
            keep.append("product_id")
        if any(d in CUSTOMER_DIMS or d == "channel" for d in dims):
            keep += ["customer_id", "channel"]
        tx = tx.select(*dict.fromkeys(keep))
    tx = tx.filter(point.visible(tx.order_ts))
    kind = tx.kind.fill_null("sale").lower()
    tx = tx.mutate(kind=kind)
    tx = tx.mutate(returned=is_return(tx))
    if "category" in dims:
        products = ws.optional_table("products").select(
            _pid=ibis._.product_id, _pcat=ibis._.category
        )
        tx = tx.left_join(products, tx.product_id == products._pid)
        tx = tx.mutate(category=tx.category.fill_null(tx._pcat)).drop("_pid", "_pcat")
    wanted_customer = [d for d in dims if d in CUSTOMER_DIMS or d == "channel"]
    if wanted_customer:
        customers = ws.table("customers")
        right = customers.select(
            _cid=customers.customer_id,
            _cchannel=customers.channel,
            **{d: customers[d] for d in dims if d in CUSTOMER_DIMS},
        )
        tx = tx.left_join(right, tx.customer_id == right._cid)
        tx = tx.mutate(channel=tx.channel.fill_null(tx._cchannel)).drop("_cid", "_cchannel")
    ids = ("order_id", "customer_id") if orders else ()
    return tx.select(
        *ids,
        "order_ts",
        "kind",
        "amount",
        *(("quantity",) if orders else ()),
        "returned",
        **{d: tx[d].cast("string").fill_null(NONE) for d in dims},
    )


def order_nets(lines: ir.Table) -> ir.Table:
    """One row per (customer, order): ``order_day`` (day of its first sale line, of any line
    without one) and ``order_net`` (all its lines, returns included, rounded to
    :data:`crmlytics.facts.NET_DECIMALS`): the same orders and nets as customer facts."""
    return lines.group_by(["customer_id", "order_id"]).aggregate(
        order_day=ibis.coalesce(
            lines.order_ts.min(where=lines.kind == "sale"), lines.order_ts.min()
        ).date(),
        order_net=lines.amount.sum().round(NET_DECIMALS),
    )


def to_timestamp(day: _dt.date | ir.DateValue) -> ir.TimestampValue:
    """Midnight at the start of ``day``."""
    if isinstance(day, _dt.date):
        return ibis.timestamp(_dt.datetime.combine(day, _dt.time()))
    return day.cast("timestamp")

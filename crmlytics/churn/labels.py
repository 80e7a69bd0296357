"""Churn labels: who, among the customers at a cutoff, is gone within the horizon after it.

Two definitions (design: Churn), both over the ``horizon_days`` that follow the cutoff as
:meth:`crmlytics.asof.AsOf.after` defines them (for a date cutoff ``D``: the days ``D + 1`` to
``D + horizon_days``, both whole):

- ``purchase`` (non-contractual): churned when the customer makes no purchase in the horizon.
  A purchase is an order whose first sale line falls in the horizon and whose net (its lines
  up to the end of the horizon, returns included) is positive, as in the customer facts.
  The population is every customer with a purchase at or before the cutoff, and with
  ``active_days`` given, a purchase in the ``active_days`` days up to the cutoff date (a
  customer silent for longer is lost already, not at risk).
- ``contract`` (contractual): churned when ``customers.closed_at`` falls in the horizon. The
  population is every customer signed up by the cutoff.

Under both definitions a customer whose account was already closed at the cutoff (``closed_at``
at or before it) is lost already and is left out.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError
from crmlytics.facts import NET_DECIMALS
from crmlytics.workspace import Workspace

Definition = Literal["purchase", "contract"]
AsOfLike = str | _dt.date | _dt.datetime | AsOf | None


def horizon_end(point: AsOf, horizon_days: int) -> AsOf:
    """The as-of point ``horizon_days`` after ``point`` (same date / datetime semantics)."""
    if point.inclusive:
        return resolve_as_of(point.cutoff + _dt.timedelta(days=horizon_days))
    return resolve_as_of(point.date + _dt.timedelta(days=horizon_days))


def open_accounts(ws: Workspace, point: AsOf) -> ir.Table:
    """``customer_id, closed_at`` of customers signed up by ``point`` whose account was not
    closed at or before it (a null ``closed_at`` is open)."""
    c = ws.table("customers")
    signed_up = c.signup_date.isnull() | (c.signup_date <= point.date)
    closed = c.closed_at.notnull() & point.visible(c.closed_at)
    return c.filter(signed_up & ~closed).select("customer_id", "closed_at")


def purchases_in_horizon(ws: Workspace, point: AsOf, horizon_days: int) -> ir.Table:
    """``customer_id, horizon_purchases``: purchases whose first sale line falls in the
    horizon after ``point`` (orders netted over their lines up to the end of the horizon)."""
    end = horizon_end(point, horizon_days)
    tx = ws.table("transactions")
    lines = tx.filter(end.visible(tx.order_ts))
    sale = lines.kind.fill_null("sale").lower() == "sale"
    per_order = lines.group_by(["customer_id", "order_id"]).aggregate(
        first_ts=ibis.coalesce(lines.order_ts.min(where=sale), lines.order_ts.min()),
        order_net=lines.amount.sum().round(NET_DECIMALS),
    )
    bought = per_order.filter(point.after(per_order.first_ts, horizon_days))
    bought = bought.filter(bought.order_net > 0)
    return bought.group_by("customer_id").aggregate(horizon_purchases=bought.order_id.count())


def buyers_at(ws: Workspace, point: AsOf, active_days: int | None = None) -> ir.Table:
    """``customer_id`` of every customer with a purchase (positive order net) by ``point``;
    with ``active_days``, a purchase whose first sale line falls in the ``active_days`` days
    up to the cutoff date."""
    tx = ws.table("transactions")
    lines = tx.filter(point.visible(tx.order_ts))
    sale = lines.kind.fill_null("sale").lower() == "sale"
    per_order = lines.group_by(["customer_id", "order_id"]).aggregate(
        first_ts=ibis.coalesce(lines.order_ts.min(where=sale), lines.order_ts.min()),
        order_net=lines.amount.sum().round(NET_DECIMALS),
    )
    keep = per_order.order_net > 0
    if active_days is not None:
        keep &= per_order.first_ts >= ibis.timestamp(point.window_start(active_days))
    return per_order.filter(keep).select("customer_id").distinct()


def churn_population(
    ws: Workspace,
    point: AsOf,
    definition: Definition = "purchase",
    active_days: int | None = None,
    *,
    purchases: ir.Table | None = None,
) -> ir.Table:
    """``customer_id, closed_at`` of the customers a cutoff labels (see the module doc).

    ``purchases``: per customer ``orders`` and ``last_purchase_date`` as of ``point`` (e.g.
    :func:`crmlytics.churn.features.customer_purchases`), so that a caller which has them
    already does not aggregate the transactions again; by default :func:`buyers_at`.
    """
    _check_definition(definition)
    accounts = open_accounts(ws, point)
    if definition == "contract":
        return accounts
    if purchases is None:
        buyers = buyers_at(ws, point, active_days)
    else:
        keep = purchases.orders > 0
        if active_days is not None:
            start = ibis.date(point.window_start(active_days).date())
            keep &= purchases.last_purchase_date >= start
        buyers = purchases.filter(keep).select("customer_id")
    buyers = buyers.rename(buyer_id="customer_id")
    # buyers missing from ``customers`` are customers too (as in the facts), never closed
    c = ws.table("customers")
    closed = c.filter(c.closed_at.notnull() & point.visible(c.closed_at))
    closed = closed.select(closed_id=closed.customer_id).distinct()
    keep = buyers.anti_join(closed, buyers.buyer_id == closed.closed_id)
    joined = keep.left_join(accounts, keep.buyer_id == accounts.customer_id)
    return joined.select(customer_id=joined.buyer_id, closed_at=joined.closed_at)


def churn_labels(
    ws: Workspace,
    cutoff: AsOfLike,
    *,
    horizon_days: int = 90,
    definition: Definition = "purchase",
    active_days: int | None = None,
) -> ir.Table:
    """Churn label of every customer in the population at ``cutoff``, as an Ibis expression.

    Parameters
    ----------
    cutoff
        The as-of point the label looks forward from (a date means the end of that day).
    horizon_days
        Length of the horizon in whole days after the cutoff (default 90).
    definition
        ``purchase`` (no purchase in the horizon) or ``contract`` (``closed_at`` in it).

    Returns
    -------
    ibis.Table
        ``customer_id, churned`` (int64: 1 churned, 0 stayed), one row per customer of
        :func:`churn_population`.
    """
    point = resolve_as_of(cutoff)
    if horizon_days < 1:
        raise ConfigError(f"horizon_days must be at least 1, got {horizon_days}")
    population = churn_population(ws, point, definition, active_days)
    if definition == "contract":
        churned = population.closed_at.notnull() & point.after(population.closed_at, horizon_days)
        return population.select("customer_id", churned=churned.cast("int64"))
    bought = purchases_in_horizon(ws, point, horizon_days).rename(bought_id="customer_id")
    joined = population.left_join(bought, population.customer_id == bought.bought_id)
    return joined.select(
        customer_id=joined.customer_id,
        churned=joined.horizon_purchases.isnull().cast("int64"),
    )


def _check_definition(definition: str) -> None:
    if definition not in ("purchase", "contract"):
        raise ConfigError(f"churn definition must be 'purchase' or 'contract', not {definition!r}")

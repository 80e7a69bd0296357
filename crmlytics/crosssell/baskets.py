"""Baskets: which items each basket holds as of a date, returns netted out.

A basket is one order (``scope="basket"``) or everything a customer has bought
(``scope="customer"``); an item is a product or a product category (``level``). A line counts
as bought when the net amount of its (order, item) -- sales less returns visible as of the
as-of -- is positive: a fully returned line is not bought.
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.crosssell.config import Level, Scope
from crmlytics.errors import ConfigError
from crmlytics.facts import NET_DECIMALS
from crmlytics.workspace import Workspace

LEVELS: tuple[str, ...] = ("product", "category")
SCOPES: tuple[str, ...] = ("basket", "customer")


def check_level_scope(level: str, scope: str) -> None:
    """Raise :class:`ConfigError` for an unknown ``level`` or ``scope``."""
    if level not in LEVELS:
        raise ConfigError(f"unknown --level {level!r}; use one of {', '.join(LEVELS)}")
    if scope not in SCOPES:
        raise ConfigError(f"unknown --scope {scope!r}; use one of {', '.join(SCOPES)}")


def _item_lines(ws: Workspace, point: AsOf, level: Level) -> ir.Table:
    """Transaction lines visible as of ``point`` with their ``item`` (lines without one left
    out)."""
    tx = ws.table("transactions")
    tx = tx.filter(point.visible(tx.order_ts))
    if level == "product":
        lines = tx.mutate(item=tx.product_id)
    else:
        products = ws.table("products").select(p_id=ibis._.product_id, p_category=ibis._.category)
        joined = tx.left_join(products, tx.product_id == products.p_id)
        lines = joined.mutate(item=joined.category.fill_null(joined.p_category))
    return lines.filter(lines.item.notnull())


def bought_lines(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    level: Level = "product",
) -> ir.Table:
    """One row per (customer, order, item) bought as of ``as_of``.

    Columns: ``customer_id``, ``order_id``, ``item`` (product id or category), ``order_ts``
    (first sale line of the item in the order) and ``net_amount`` (sales less returns of
    the item in the order, currency, positive). Lines without an item are left out.
    """
    check_level_scope(level, "basket")
    lines = _item_lines(ws, resolve_as_of(as_of), level)
    sale = (lines.kind.fill_null("sale").lower() != "return") & (lines.amount >= 0)
    per_item = lines.group_by(["customer_id", "order_id", "item"]).aggregate(
        order_ts=ibis.coalesce(lines.order_ts.min(where=sale), lines.order_ts.min()),
        net_amount=lines.amount.sum().round(NET_DECIMALS),
    )
    return per_item.filter(per_item.net_amount > 0)


def basket_items(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    *,
    level: Level = "product",
    scope: Scope = "basket",
) -> ir.Table:
    """Distinct (basket, item) pairs as of ``as_of``: ``basket_id``, ``customer_id``, ``item``.

    ``basket_id`` is the order id (``scope="basket"``) or the customer id
    (``scope="customer"``). Baskets that are orders come from one aggregation of the lines by
    (order, item), the net of the (order, item) deciding, and the order's customer (the least
    id, should an order carry several); pairs are distinct by construction.
    """
    check_level_scope(level, scope)
    if scope == "customer":
        return baskets_of(bought_lines(ws, as_of, level), scope)
    lines = _item_lines(ws, resolve_as_of(as_of), level)
    per_item = lines.group_by(basket_id=lines.order_id, item=lines.item).aggregate(
        customer_id=lines.customer_id.min(),
        net_amount=lines.amount.sum().round(NET_DECIMALS),
    )
    per_item = per_item.filter(per_item.net_amount > 0)
    return per_item.select("basket_id", "customer_id", "item")


def baskets_of(lines: ir.Table, scope: Scope = "basket") -> ir.Table:
    """(basket, item) pairs of :func:`bought_lines`-shaped ``lines`` (distinct)."""
    check_level_scope("product", scope)
    basket = lines.order_id if scope == "basket" else lines.customer_id
    return lines.select(basket_id=basket, customer_id=lines.customer_id, item=lines.item).distinct()


def holdings(lines: ir.Table) -> ir.Table:
    """What each customer owns: distinct (``customer_id``, ``item``) of ``lines``."""
    return lines.select("customer_id", "item").distinct()

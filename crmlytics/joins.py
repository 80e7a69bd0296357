"""The one join the relational layer keeps making: customer-grain columns onto a customer table."""

from __future__ import annotations

import ibis.expr.types as ir


def with_customer_columns(left: ir.Table, right: ir.Table) -> ir.Table:
    """``left`` with the columns of ``right`` (one row per ``customer_id``) left-joined on
    ``customer_id``; customers missing from ``right`` get nulls. ``right``'s key is renamed
    first, since equal key names collide in an Ibis join."""
    right = right.rename(right_customer_id="customer_id")
    joined = left.left_join(right, left.customer_id == right.right_customer_id)
    return joined.drop("right_customer_id")

"""Service contacts (``interactions``): volume by channel and kind, contacts per customer, and
valuable customers nobody has contacted lately (the "regular revisit" rule).

As of D only interactions stamped at or before D count.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf, check_window_days
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.complaints.config import complaints_config
from crmlytics.complaints.customers import _tiers
from crmlytics.errors import ConfigError
from crmlytics.workspace import Workspace

CONTACT_DIMENSIONS: tuple[str, ...] = ("channel", "kind", "staff_id", "outcome")


def contact_volume(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: str | Sequence[str] | None = ("channel", "kind"),
    window_days: int | None = None,
) -> ir.Table:
    """Interactions per group: ``by``..., ``contacts``, ``customers`` (distinct) and
    ``contacts_per_customer``, over interactions at or before ``as_of`` (in the last
    ``window_days`` days, if given)."""
    keys = [by] if isinstance(by, str) else list(by or [])
    for key in keys:
        if key not in CONTACT_DIMENSIONS:
            raise ConfigError(f"--by {key!r} is not one of {', '.join(CONTACT_DIMENSIONS)}")
    check_window_days(window_days)
    point = resolve_as_of(as_of)
    t = ws.table("interactions")
    keep = point.visible(t.ts)
    if window_days is not None:
        keep &= t.ts >= ibis.timestamp(point.window_start(window_days))
    t = t.filter(keep)
    out = (t.group_by(keys) if keys else t).aggregate(
        contacts=t.count(), customers=t.customer_id.nunique()
    )
    return out.mutate(contacts_per_customer=out.contacts.cast("float64") / out.customers)


def revisit_due(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    days: int | None = None,
    tiers: Sequence[str] = ("gold",),
    config: object | None = None,
) -> ir.Table:
    """Customers of ``tiers`` (value tier as of the date) with no interaction in the last
    ``days`` days (default ``complaints.revisit_days``, 30) up to ``as_of``.

    Columns: ``customer_id``, ``value_tier``, ``last_contact_at`` (null: never contacted),
    ``days_since_contact`` (whole days to the as-of date; null when never), most overdue first.
    """
    n = days if days is not None else complaints_config(config).revisit_days
    check_window_days(n, "days")
    point = resolve_as_of(as_of)
    t = ws.table("interactions")
    t = t.filter(point.visible(t.ts))
    last = t.group_by(_cid=t.customer_id).aggregate(last_contact_at=t.ts.max())
    tiered = _tiers(ws, point, config)
    tiered = tiered.filter(tiered.value_tier.isin(list(tiers)))
    j = tiered.left_join(last, tiered._tid == last._cid)
    since = ibis.literal(point.date).delta(j.last_contact_at.date(), unit="day").cast("int64")
    out = j.select(
        customer_id=j._tid,
        value_tier=j.value_tier,
        last_contact_at=j.last_contact_at,
        days_since_contact=since,
    )
    out = out.filter(out.days_since_contact.isnull() | (out.days_since_contact >= n))
    return out.order_by(
        [out.days_since_contact.isnull().desc(), ibis.desc("days_since_contact"), "customer_id"]
    )

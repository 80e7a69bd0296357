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


def last_contacts(ws: Workspace, point: AsOf) -> ir.Table:
    """``customer_id, last_contact_at``: each customer's latest interaction visible as of
    ``point``."""
    t = ws.table("interactions")
    t = t.filter(point.visible(t.ts))
    return t.group_by("customer_id").aggregate(last_contact_at=t.ts.max())


def valuable_not_contacted(
    ws: Workspace,
    point: AsOf,
    tiers: Sequence[str],
    days: int,
    config: object | None = None,
) -> ir.Table:
    """Customers of value ``tiers`` (as of ``point``:
    :func:`crmlytics.segments.value.value_tiers_as_of`) whose last interaction is ``days`` or
    more whole days before the as-of date, or who were never contacted: the one "no contact
    since" rule behind the complaint revisit list and the care list ``valuable-no-contact``.

    Returns ``customer_id, value_tier, last_contact_at`` (null: never contacted) and
    ``days_since_last_contact`` (as-of date − day of the last contact; null: never).
    """
    from crmlytics.segments.value import value_tiers_as_of

    check_window_days(days, "days")
    tiered = value_tiers_as_of(ws, point, config)
    tiered = tiered.filter(tiered.value_tier.isin(list(tiers)))
    last = last_contacts(ws, point).rename(_cid="customer_id")
    j = tiered.left_join(last, tiered.customer_id == last._cid)
    since = ibis.literal(point.date).delta(j.last_contact_at.date(), unit="day").cast("int64")
    j = j.filter(j.last_contact_at.isnull() | (since >= days))
    return j.select(
        "customer_id",
        "value_tier",
        "last_contact_at",
        days_since_last_contact=since,
    )


def revisit_due(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    days: int | None = None,
    tiers: Sequence[str] = ("gold",),
    config: object | None = None,
) -> ir.Table:
    """Customers of ``tiers`` (value tier as of the date) with no interaction in the last
    ``days`` days (default ``complaints.revisit_days``, 30) up to ``as_of``
    (:func:`valuable_not_contacted`).

    Columns: ``customer_id``, ``value_tier``, ``last_contact_at`` (null: never contacted),
    ``days_since_last_contact`` (whole days to the as-of date; null when never), never
    contacted first, then most overdue.
    """
    n = days if days is not None else complaints_config(config).revisit_days
    out = valuable_not_contacted(ws, resolve_as_of(as_of), tiers, n, config)
    return out.order_by(
        [
            out.days_since_last_contact.isnull().desc(),
            ibis.desc("days_since_last_contact"),
            "customer_id",
        ]
    )

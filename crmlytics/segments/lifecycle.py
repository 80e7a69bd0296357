"""Lifecycle classes: prospect, first-time, repeat, loyal, advocate, dormant (沉寂), lost.

Computed from all-history customer facts as of a date plus referrals (``customers.referred_by``).
Precedence, first that holds wins:

1. ``prospect``   no purchase at all (even if they referred someone).
2. ``lost``       no purchase for more than ``lost_days`` (default 365).
3. ``dormant``    days since the last purchase > ``max(min_dormant_days, k x gap)``, where for a
   customer with >= 2 purchase days ``gap`` is their own average gap between purchase days
   (``purchase_span_days / (purchase_days - 1)``) and ``k = dormant_gap_multiple`` (default 3);
   for a one-day buyer the threshold is ``one_off_dormant_days`` if set, else ``k`` times the
   mean average gap of all repeat buyers (one-off buyers are never dormant if there is no
   repeat buyer).
4. ``advocate``   referred at least one customer who signed up by the as-of date.
5. ``loyal``      >= ``loyal_min_purchase_days`` purchase days (4) and a purchase within
   ``loyal_recent_days`` (90).
6. ``repeat``     >= 2 purchase days.
7. ``first_time`` one purchase day.

Two coarser views come with it: ``stage`` (``future`` = no purchase yet, ``new`` = first purchase
within ``new_days``, ``established``) and ``activity`` (``prospect``, ``active`` = purchase within
``active_days``, ``lapsed``).
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.facts import customer_facts
from crmlytics.joins import with_customer_columns
from crmlytics.segments.config import LifecycleConfig
from crmlytics.workspace import Workspace

LIFECYCLE_PRECEDENCE = ("prospect", "lost", "dormant", "advocate", "loyal", "repeat", "first_time")


def referrals(ws: Workspace, as_of: AsOf) -> ir.Table:
    """``customer_id, referrals``: customers named in ``referred_by`` by someone signed up by
    the as-of date (a referral with no signup date counts)."""
    c = ws.table("customers")
    seen = c.signup_date.isnull() | (c.signup_date <= as_of.date)
    referred = c.filter(seen & c.referred_by.notnull() & (c.referred_by != c.customer_id))
    return referred.group_by(customer_id=referred.referred_by).aggregate(
        referrals=referred.customer_id.nunique()
    )


def lifecycle_from_facts(
    facts_expr: ir.Table, referral_counts: ir.Table, config: LifecycleConfig | None = None
) -> ir.Table:
    """Lifecycle classes of all-history facts joined with referral counts (see module doc)."""
    c = config or LifecycleConfig()
    k = float(c.dormant_gap_multiple)
    t = with_customer_columns(facts_expr, referral_counts)
    t = t.select(
        customer_id=t.customer_id,
        purchase_days=t.purchase_days,
        days_since=t.days_since_last_purchase,
        days_since_first=t.days_since_first_purchase,
        referrals=t.referrals.fill_null(0).cast("int64"),
        own_gap=(t.purchase_days >= 2).ifelse(
            t.purchase_span_days.cast("float64") / (t.purchase_days - 1).nullif(0),
            ibis.null("float64"),
        ),
    )
    if c.one_off_dormant_days is not None:
        one_off_limit = ibis.literal(float(c.one_off_dormant_days))
    else:
        # a one-row aggregate joined on, not a window over all customers (docs/patterns.md)
        t = t.cross_join(t.aggregate(_mean_gap=t.own_gap.mean()))
        one_off_limit = t._mean_gap * k
    gap_limit = (t.purchase_days >= 2).ifelse(t.own_gap * k, one_off_limit)
    # no threshold (one-off buyer, no repeat buyer to learn a gap from) stays no threshold
    limit = gap_limit.notnull().ifelse(
        ibis.greatest(gap_limit, float(c.min_dormant_days)), ibis.null("float64")
    )
    bought = t.purchase_days > 0
    lifecycle = ibis.cases(
        (~bought, "prospect"),
        (t.days_since > c.lost_days, "lost"),
        (limit.notnull() & (t.days_since > limit), "dormant"),
        (t.referrals >= 1, "advocate"),
        (
            (t.purchase_days >= c.loyal_min_purchase_days) & (t.days_since <= c.loyal_recent_days),
            "loyal",
        ),
        (t.purchase_days >= 2, "repeat"),
        else_="first_time",
    )
    stage = ibis.cases(
        (~bought, "future"), (t.days_since_first <= c.new_days, "new"), else_="established"
    )
    activity = ibis.cases(
        (~bought, "prospect"), (t.days_since <= c.active_days, "active"), else_="lapsed"
    )
    return t.select(
        "customer_id",
        "referrals",
        average_gap_days=t.own_gap,
        dormant_after_days=bought.ifelse(limit, ibis.null("float64")),
        lifecycle=lifecycle,
        stage=stage,
        activity=activity,
    )


def lifecycle(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: LifecycleConfig | None = None,
) -> ir.Table:
    """Lifecycle class of every customer as of a date, as an Ibis expression.

    Uses all purchases at or before ``as_of`` (a date means the end of that day) and referrals
    by customers signed up by then. Thresholds come from ``config`` (days are whole days before
    the as-of date); the classes and their precedence are in the module docstring.

    Returns
    -------
    ibis.Table
        ``customer_id, referrals, average_gap_days`` (own mean days between purchase days, null
        below two), ``dormant_after_days`` (the threshold applied), ``lifecycle``, ``stage``
        (future / new / established), ``activity`` (active / lapsed / prospect).
    """
    point = resolve_as_of(as_of)
    return lifecycle_from_facts(customer_facts(ws, point), referrals(ws, point), config)

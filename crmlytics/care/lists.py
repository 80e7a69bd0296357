"""Care and follow-up lists (关怀建议, 回访对象挖掘): whom to call, as of a date.

Each list is an Ibis expression with one row per customer (runs on DuckDB and Spark) and the
columns that say why the customer is on it; :func:`care_list` / :func:`export_care_list` write
it like a segment list, opted-out customers removed (:mod:`crmlytics.export.action_lists`).
Durations are whole days to the as-of date; a contact is an ``interactions`` row.

- ``valuable-no-contact``: customers in a valuable value tier (``care.valuable_tiers``, default
  gold; :func:`crmlytics.segments.value.value_tiers_as_of`, the segments settings) whose last
  contact is ``care.no_contact_days`` (90) or more days before the as-of date, or who were never
  contacted: the same rule as the complaint revisit list
  (:func:`crmlytics.complaints.contacts.valuable_not_contacted`), with the care thresholds.
- ``cycle-overdue``: customers with at least ``care.cycle_min_purchase_days`` (3) purchase days
  whose ``overdue_ratio`` (days since the last purchase over their own mean gap between purchase
  days, the churn feature of :mod:`crmlytics.churn.features`) is at least
  ``care.cycle_overdue_ratio`` (1.5), and who are not lost yet (last purchase at most
  ``segments.lifecycle.lost_days``, 365, days ago: the lifecycle's lost customers are a
  win-back list, not a reminder).
- ``complaint-follow-up``: customers with complaints resolved but never followed up (日后追踪)
  ``complaints.follow_up_due_days`` or more days after resolution
  (:func:`crmlytics.complaints.unfollowed`).
- ``birthdays``: customers whose next birthday (from ``customers.birth_date``) falls from the
  as-of date to ``care.important_date_days`` (14) days after it, both included. A birthday on
  29 February is kept on 28 February in years without one; a window across the new year reaches
  into January. It reads no transactions, so any as-of date is valid, a future one included
  (:data:`FORWARD_LISTS`: the CLI does not check such an as-of against the transactions).
"""

from __future__ import annotations

import calendar
import datetime as _dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError, DataError
from crmlytics.export.action_lists import ActionList, action_list, write_action_list
from crmlytics.workspace import Workspace

if TYPE_CHECKING:
    from crmlytics.config import Config
    from crmlytics.export.lists import ExportResult

AsOfLike = str | _dt.date | _dt.datetime | AsOf | None


def _config(config: Config | None) -> Config:
    from crmlytics.config import Config

    return config or Config()


def valuable_no_contact(
    ws: Workspace, as_of: AsOfLike = None, config: Config | None = None
) -> ir.Table:
    """Valuable customers not contacted for ``care.no_contact_days`` days (see module doc):
    ``customer_id, value_tier, last_contact_at`` (null: never), ``days_since_last_contact``
    (null: never). The rule is the complaint revisit rule
    (:func:`crmlytics.complaints.contacts.valuable_not_contacted`) with the care settings."""
    from crmlytics.complaints.contacts import valuable_not_contacted

    conf = _config(config)
    care = conf.care
    return valuable_not_contacted(
        ws, resolve_as_of(as_of), care.valuable_tiers, care.no_contact_days, conf
    )


def cycle_overdue(ws: Workspace, as_of: AsOfLike = None, config: Config | None = None) -> ir.Table:
    """Customers whose own purchase cycle is overdue (see module doc): ``customer_id,
    purchase_days, mean_gap_days, days_since_last_purchase, overdue_ratio``.

    One pass over the order history: every column comes from the shared per-customer purchase
    aggregate :func:`crmlytics.churn.features.customer_purchases` (the same purchase days,
    last purchase day and gaps as the customer facts and the churn features)."""
    from crmlytics.churn.features import customer_purchases

    conf = _config(config)
    point = resolve_as_of(as_of)
    t = customer_purchases(ws, point)
    t = t.filter(t.orders > 0)
    t = t.select(
        "customer_id",
        "purchase_days",
        mean_gap_days=t.mean_gap_days,
        days_since_last_purchase=ibis.literal(point.date)
        .delta(t.last_purchase_date, unit="day")
        .cast("int64"),
    )
    t = t.mutate(
        overdue_ratio=t.days_since_last_purchase.cast("float64") / t.mean_gap_days.nullif(0.0)
    )
    return t.filter(
        (t.purchase_days >= conf.care.cycle_min_purchase_days)
        & (t.overdue_ratio >= conf.care.cycle_overdue_ratio)
        & (t.days_since_last_purchase <= conf.segments.lifecycle.lost_days)
    )


def complaint_follow_up(
    ws: Workspace, as_of: AsOfLike = None, config: Config | None = None
) -> ir.Table:
    """Customers with resolved complaints never followed up (see module doc): ``customer_id,
    unfollowed_complaints, first_resolved_at`` (the earliest such resolution) and
    ``days_since_resolved`` (of that one)."""
    from crmlytics.complaints import unfollowed

    conf = _config(config)
    point = resolve_as_of(as_of)
    u = unfollowed(ws, point, conf)
    return u.group_by("customer_id").aggregate(
        unfollowed_complaints=u.count(),
        first_resolved_at=u.resolved_at.min(),
        days_since_resolved=u.days_since_resolved.max(),
    )


def _birthday_in(year: int, month: ir.IntegerValue, day: ir.IntegerValue) -> ir.DateValue:
    """The birthday of (month, day) in ``year``; 29 February is 28 February in other years."""
    if not calendar.isleap(year):
        day = ibis.ifelse((month == 2) & (day == 29), 28, day)
    return ibis.date(ibis.literal(year), month, day)


def birthdays(ws: Workspace, as_of: AsOfLike = None, config: Config | None = None) -> ir.Table:
    """Customers with a birthday from the as-of date to ``care.important_date_days`` days after
    it (see module doc): ``customer_id, birth_date, next_birthday, days_until_birthday``
    (0 = on the as-of date) and ``age_on_birthday`` (years).

    Raises :class:`~crmlytics.errors.DataError` when ``customers`` has no ``birth_date``
    column (a warehouse created before it existed, or an attached table without it).
    """
    conf = _config(config)
    point = resolve_as_of(as_of)
    customers = ws.table("customers")
    if "birth_date" not in customers.columns:
        raise DataError(
            "customers has no birth_date column: load customers with a birth_date column "
            "into a new warehouse, or map one when attaching"
        )
    c = customers.filter(
        customers.birth_date.notnull() & (customers.birth_date <= ibis.literal(point.date))
    )
    month, day = c.birth_date.month(), c.birth_date.day()
    this_year = _birthday_in(point.date.year, month, day)
    next_year = _birthday_in(point.date.year + 1, month, day)
    today = ibis.literal(point.date)
    upcoming = ibis.ifelse(this_year >= today, this_year, next_year)
    c = c.mutate(next_birthday=upcoming)
    c = c.mutate(days_until_birthday=c.next_birthday.delta(today, unit="day").cast("int64"))
    c = c.filter(c.days_until_birthday <= conf.care.important_date_days)
    return c.select(
        "customer_id",
        "birth_date",
        "next_birthday",
        "days_until_birthday",
        age_on_birthday=(c.next_birthday.year() - c.birth_date.year()).cast("int64"),
    )


#: Every care list: name -> (members function, sort order of the written list).
CARE_LISTS: dict[
    str, tuple[Callable[[Workspace, AsOf, Config | None], ir.Table], list[tuple[str, bool]]]
] = {
    "valuable-no-contact": (valuable_no_contact, [("days_since_last_contact", False)]),
    "cycle-overdue": (cycle_overdue, [("overdue_ratio", False)]),
    "complaint-follow-up": (complaint_follow_up, [("days_since_resolved", False)]),
    "birthdays": (birthdays, [("days_until_birthday", True)]),
}


#: Lists that look forward from the as-of date and read no history: any as-of date is valid,
#: with or without transactions (``care birthdays`` for next month works today).
FORWARD_LISTS: frozenset[str] = frozenset({"birthdays"})


def check_list_name(name: str) -> str:
    """``name`` as a care list key (``_`` read as ``-``, any case); ConfigError otherwise."""
    key = name.strip().lower().replace("_", "-")
    if key not in CARE_LISTS:
        raise ConfigError(f"unknown care list {name!r}; lists are {', '.join(CARE_LISTS)}")
    return key


def care_members(
    ws: Workspace, name: str, as_of: AsOfLike = None, config: Config | None = None
) -> ir.Table:
    """The members of care list ``name`` as of ``as_of`` (an Ibis table, one row per
    customer; see the module doc for each list)."""
    members, _ = CARE_LISTS[check_list_name(name)]
    return members(ws, resolve_as_of(as_of), config)


def care_list(
    ws: Workspace,
    name: str,
    as_of: AsOfLike = None,
    *,
    include_opted_out: bool = False,
    locale: Literal["en", "zh"] = "en",
    config: Config | None = None,
) -> ActionList:
    """Care list ``name`` as of ``as_of`` as a segment-list frame: contact and segment
    columns, ``list_name``, the list's own columns; opted-out customers removed unless
    ``include_opted_out``; ordered most urgent first."""
    key = check_list_name(name)
    members, order = CARE_LISTS[key]
    conf = _config(config)
    point = resolve_as_of(as_of)
    return action_list(
        ws,
        members(ws, point, conf),
        key,
        as_of=point,
        include_opted_out=include_opted_out,
        sort_by=order,
        locale=locale,
        config=conf,
    )


def export_care_list(
    ws: Workspace,
    name: str,
    as_of: AsOfLike = None,
    *,
    out: str | Path,
    include_opted_out: bool = False,
    hash_pii: str | None = None,
    locale: Literal["en", "zh"] | None = None,
    config: Config | None = None,
) -> ExportResult:
    """Write care list ``name`` as of ``as_of`` to ``out`` (.csv / .xlsx / .parquet) like a
    segment list; returns rows written and opted-out customers left out."""
    from crmlytics.export.lists import check_format, check_hash_method
    from crmlytics.labels import check_locale

    conf = _config(config)
    check_list_name(name)
    check_format(out, None)
    check_hash_method(hash_pii)
    chosen = check_locale(locale or conf.locale)
    listed = care_list(
        ws, name, as_of, include_opted_out=include_opted_out, locale=chosen, config=conf
    )
    return write_action_list(listed, out, hash_pii=hash_pii, locale=chosen, config=conf)

"""As-of semantics: which rows a computation "as of D" may see.

A date ``D`` means the whole of that day: rows stamped before midnight at the end of ``D`` are
visible. A datetime ``t`` means rows stamped at or before ``t``. Durations measured "as of" are in
whole days from the as-of *date*.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from crmlytics.errors import ConfigError, DataError

#: Longest look-back window accepted, in days (about 1,000 years): beyond it dates overflow.
MAX_WINDOW_DAYS = 366_000


@dataclass(frozen=True)
class AsOf:
    """A resolved as-of point: ``date`` for day counts, ``cutoff`` for row visibility."""

    date: _dt.date
    cutoff: _dt.datetime
    inclusive: bool

    def visible(self, ts: ir.TimestampValue) -> ir.BooleanValue:
        """True for rows whose timestamp ``ts`` is at or before the as-of point."""
        bound = ibis.timestamp(self.cutoff)
        return ts <= bound if self.inclusive else ts < bound

    def after(self, ts: ir.TimestampValue, days: int) -> ir.BooleanValue:
        """True for rows in the ``days`` days that follow the as-of point."""
        end = self.cutoff + _dt.timedelta(days=days)
        lo, hi = ibis.timestamp(self.cutoff), ibis.timestamp(end)
        return (ts > lo) & (ts <= hi) if self.inclusive else (ts >= lo) & (ts < hi)

    def window_start(self, days: int) -> _dt.datetime:
        """Start of a look-back window of ``days`` whole days ending at the as-of date.

        Raises :class:`~crmlytics.errors.ConfigError` unless ``1 <= days`` and the window
        starts after year 1.
        """
        check_window_days(days)
        start = _dt.datetime.combine(self.date, _dt.time())
        try:
            return start - _dt.timedelta(days=days - 1)
        except OverflowError:
            raise ConfigError(
                f"window_days {days:,} reaches before year 1 from {self.date}"
            ) from None

    def __str__(self) -> str:
        return self.date.isoformat() if not self.inclusive else self.cutoff.isoformat()


def as_of(value: str | _dt.date | _dt.datetime | AsOf | None = None) -> AsOf:
    """Resolve ``value`` (ISO date or datetime, or ``None`` for today) to an :class:`AsOf`."""
    if isinstance(value, AsOf):
        return value
    if value is None:
        value = _dt.date.today()
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (
                _dt.datetime.fromisoformat(text)
                if ("T" in text or " " in text)
                else _dt.date.fromisoformat(text)
            )
        except ValueError:
            raise ConfigError(
                f"as-of {value!r} is not a date: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"
            ) from None
    if isinstance(value, _dt.datetime):
        return AsOf(value.date(), value.replace(tzinfo=None), inclusive=True)
    if isinstance(value, _dt.date):
        if value >= _dt.date.max:
            raise ConfigError(f"as-of {value} is out of range: the last possible day is 9999-12-30")
        end = _dt.datetime.combine(value, _dt.time()) + _dt.timedelta(days=1)
        return AsOf(value, end, inclusive=False)
    raise ConfigError(f"as-of must be a date, datetime or ISO string, not {type(value).__name__}")


def check_window_days(days: int | None, option: str = "window_days") -> None:
    """Raise :class:`~crmlytics.errors.ConfigError` unless ``days`` is None or a whole number
    of days from 1 to :data:`MAX_WINDOW_DAYS`."""
    if days is None:
        return
    if isinstance(days, bool) or not isinstance(days, int):
        raise ConfigError(f"{option} must be a whole number of days, not {days!r}")
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise ConfigError(f"{option} must be between 1 and {MAX_WINDOW_DAYS:,} days, not {days:,}")


@dataclass(frozen=True)
class DataSpan:
    """First and last transaction day in the warehouse (None when it has none)."""

    first: _dt.date | None
    last: _dt.date | None


def data_span(ws: Any, events: tuple[str, str] = ("transactions", "order_ts")) -> DataSpan:
    """The days of the first and last event in workspace ``ws``: ``events`` names the table and
    its timestamp column (default the transaction lines)."""
    table, column = events
    t = ws.table(table)
    ts = t[column]
    row = t.aggregate(first=ts.min(), last=ts.max()).to_pandas().iloc[0]

    def day(value: Any) -> _dt.date | None:
        return None if value is None or value != value else value.date()  # NaT != NaT

    return DataSpan(day(row["first"]), day(row["last"]))


def checked_as_of(
    ws: Any,
    value: str | _dt.date | _dt.datetime | AsOf | None,
    *,
    stale_after_days: int = 30,
    what: str = "as-of",
    events: tuple[str, str] = ("transactions", "order_ts"),
) -> tuple[AsOf, list[str]]:
    """Resolve ``value`` against the data in ``ws``; say out loud when it cannot be trusted.

    Returns the :class:`AsOf` and warnings to show. Raises :class:`~crmlytics.errors.DataError`
    when there are no transactions, when the as-of point is before the first one (nothing would
    be visible), and when no as-of was given (today) but the data ends more than
    ``stale_after_days`` earlier (every buyer would look lapsed). An explicit as-of more than
    ``stale_after_days`` after the last transaction is a warning. ``events`` names the table and
    timestamp column whose span counts (default the transactions; a funnel uses its stage events).
    """
    point = as_of(value)
    span = data_span(ws, events)
    if span.last is None:
        raise DataError(
            f"the {events[0]} table is empty: load it with `crmlytics ingest {events[0]} FILE`"
        )
    if point.date < span.first:
        raise DataError(
            f"{what} {point} is before the first transaction ({span.first}): nothing is visible; "
            f"the data covers {span.first} to {span.last}"
        )
    gap = (point.date - span.last).days
    today = _dt.date.today()
    if point.date > max(today, span.last):
        raise DataError(
            f"{what} {point} is in the future and after the last transaction ({span.last}): "
            "nothing can be known as of that date yet"
        )
    if gap <= stale_after_days:
        return point, []
    if value is None:
        raise DataError(
            f"no --as-of given, and the data ends on {span.last}, {gap:,} days before today: "
            f"every buyer would look lapsed. Give --as-of {span.last} (the last day with data), "
            "or load newer data"
        )
    return point, [
        f"{what} {point} is {gap:,} days after the last transaction ({span.last}): "
        "recency counts from the as-of date, so recent buyers look lapsed"
    ]

"""As-of semantics: which rows a computation "as of D" may see.

A date ``D`` means the whole of that day: rows stamped before midnight at the end of ``D`` are
visible. A datetime ``t`` means rows stamped at or before ``t``. Durations measured "as of" are in
whole days from the as-of *date*.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir


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
        """Start of a look-back window of ``days`` whole days ending at the as-of date."""
        return _dt.datetime.combine(self.date, _dt.time()) - _dt.timedelta(days=days - 1)

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
            raise ValueError(
                f"as-of {value!r} is not a date: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"
            ) from None
    if isinstance(value, _dt.datetime):
        return AsOf(value.date(), value.replace(tzinfo=None), inclusive=True)
    if isinstance(value, _dt.date):
        end = _dt.datetime.combine(value, _dt.time()) + _dt.timedelta(days=1)
        return AsOf(value, end, inclusive=False)
    raise TypeError(f"as-of must be a date, datetime or ISO string, not {type(value).__name__}")

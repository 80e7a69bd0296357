"""Staff performance (员工业绩分析): per owner and period, deals won and lost, win rate, cycle
time, activities, customers covered, and attainment of the owner's target.

Deal outcomes come from the opportunity funnel (:func:`crmlytics.funnel.deals`: stage history,
outcome and closing time as of the as-of date, under the funnel's rules); a deal counts in the
period it closed in. Activities are interactions whose ``staff_id`` is the owner, in the period
of their ``ts``. Targets come from the canonical table ``sales_targets`` (owner, period,
target_amount) when it has rows; its ``period`` is a label of a month (``2024-06``), a quarter
(``2024-Q2``) or a year (``2024``). Targets that nest in the requested grain are summed into it
(months into quarters and years, quarters into years); targets of a coarser grain (a quarter's
target, staff by month) cannot be split and are a ConfigError, as is nothing else: see
:func:`check_targets`.

One row per (owner, period) that has a closed deal, an activity, an opportunity created or a
target, up to the period of the as-of date (targets of later periods are not shown).
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError, DataError
from crmlytics.percentiles import nearest_rank
from crmlytics.sales.config import sales_config
from crmlytics.workspace import Workspace

AsOfLike = str | _dt.date | _dt.datetime | AsOf | None
GRAINS: tuple[str, ...] = ("month", "quarter", "year")
DAY_SECONDS = 86_400.0
#: The ``owner`` of a customer in its ``attributes`` JSON text (a string value, no escaped
#: quotes inside).
OWNER_PATTERN = r'"owner"\s*:\s*"([^"]*)"'

#: Columns of :func:`staff_performance` after ``owner`` and ``period``.
STAFF_COLUMNS: tuple[str, ...] = (
    "deals_won",
    "deals_lost",
    "win_rate",
    "won_value",
    "median_cycle_days",
    "deals_created",
    "activities",
    "customers_covered",
    "customers_assigned",
    "target_amount",
    "attainment",
)


def period_label(ts: ir.TimestampValue, grain: str) -> ir.StringValue:
    """The label of the ``grain`` period holding ``ts``: ``2024-06``, ``2024-Q2`` or ``2024``."""
    year = ts.year().cast("string")
    if grain == "year":
        return year
    if grain == "quarter":
        return year.concat("-Q", ts.quarter().cast("string"))
    if grain == "month":
        return year.concat("-", _two(ts.month()))
    raise ConfigError(f"staff period must be one of {', '.join(GRAINS)}, not {grain!r}")


def _two(value: ir.IntegerValue) -> ir.StringValue:
    return ibis.ifelse(value < 10, "0", "").concat(value.cast("string"))


def python_label(day: _dt.date, grain: str) -> str:
    """:func:`period_label` of a Python date."""
    if grain == "year":
        return f"{day.year}"
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


#: The grains from finest to coarsest: a target nests in every grain at or after its own.
_ORDER = {"month": 0, "quarter": 1, "year": 2}
_PATTERNS = {
    "month": r"^[0-9]{4}-(0[1-9]|1[0-2])$",
    "quarter": r"^[0-9]{4}-Q[1-4]$",
    "year": r"^[0-9]{4}$",
}
_QUARTER_OF = {f"{m:02d}": str((m - 1) // 3 + 1) for m in range(1, 13)}


def label_grain(label: ir.StringValue) -> ir.StringValue:
    """``month``, ``quarter`` or ``year``: the grain of a period label (null if it is none)."""
    return ibis.cases(*((label.re_search(p), g) for g, p in _PATTERNS.items()), else_=None)


def rolled_label(label: ir.StringValue, source: ir.StringValue, grain: str) -> ir.StringValue:
    """The ``grain`` period holding the period ``label`` of grain ``source`` (which nests in
    ``grain``): ``2024-05`` is in ``2024-Q2`` and ``2024``; ``2024-Q2`` in ``2024``."""
    year = label.substr(0, 4)
    if grain == "year":
        return year
    if grain == "quarter":
        month = label.substr(5, 2)
        quarter = ibis.cases(*((month == m, q) for m, q in _QUARTER_OF.items()), else_=None)
        return ibis.ifelse(source == "month", year.concat("-Q", quarter), label)
    return label


def _target_rows(ws: Workspace) -> ir.Table:
    """``owner, label, source`` (its grain) and ``target_amount`` of the sales_targets rows
    with an owner and a period (trimmed)."""
    raw = ws.table("sales_targets")
    raw = raw.filter(raw.owner.notnull() & raw.period.notnull())
    raw = raw.select(owner=raw.owner.strip(), label=raw.period.strip(), target=raw.target_amount)
    return raw.mutate(source=label_grain(raw.label))


def staff_targets(ws: Workspace, grain: str) -> ir.Table:
    """``owner, period, target_amount``: the sales targets at ``grain``, those of finer grains
    summed into the ``grain`` period holding them (coarser ones left out: see
    :func:`check_targets`)."""
    rows = _target_rows(ws)
    nested = [g for g, rank in _ORDER.items() if rank <= _ORDER[grain]]
    rows = rows.filter(rows.source.isin(nested))
    rows = rows.mutate(period=rolled_label(rows.label, rows.source, grain))
    return rows.group_by(["owner", "period"]).aggregate(target_amount=rows.target.sum())


def check_targets(ws: Workspace, grain: str) -> None:
    """Refuse sales targets that staff performance by ``grain`` cannot use (runs one small query
    over ``sales_targets``).

    Raises
    ------
    DataError
        A period that is no month, quarter or year label; or an owner whose targets for one
        ``grain`` period are given at two grains (the months and the quarter: summing both
        would count the target twice).
    ConfigError
        Targets of a coarser grain than ``grain`` (a quarter's target does not split into
        months): ask for their grain or a coarser one.
    """
    rows = _target_rows(ws)
    nests = rows.source.isin([g for g, rank in _ORDER.items() if rank <= _ORDER[grain]])
    rows = rows.mutate(
        period=ibis.ifelse(nests, rolled_label(rows.label, rows.source, grain), None)
    )
    grains = rows.group_by(["owner", "period"]).aggregate(
        sources=rows.source.nunique(), first=rows.label.min(), last=rows.label.max()
    )
    grains = grains.filter(grains.period.notnull() & (grains.sources > 1))
    unreadable = rows.filter(rows.source.isnull()).select("owner", "label").limit(3).to_pandas()
    if len(unreadable):
        shown = ", ".join(f"{r.label!r} ({r.owner})" for r in unreadable.itertuples())
        raise DataError(
            f"sales_targets.period {shown} is not a month (2024-06), quarter (2024-Q2) or "
            "year (2024) label"
        )
    coarse = rows.filter(rows.source.notnull() & ~nests).select("owner", "label", "source")
    coarse = coarse.limit(3).to_pandas()
    if len(coarse):
        shown = ", ".join(f"{r.label} ({r.owner})" for r in coarse.itertuples())
        kinds = sorted(set(coarse["source"]), key=_ORDER.__getitem__)
        allowed = [g for g in GRAINS if _ORDER[g] >= max(_ORDER[k] for k in kinds)]
        raise ConfigError(
            f"sales_targets has targets by {' and '.join(kinds)} ({shown}), which do not split "
            f"into {grain}s: measure staff by {' or '.join(allowed)} (--period, "
            f"sales.staff_period), or load targets by {grain}"
        )
    mixed = grains.limit(3).to_pandas()
    if len(mixed):
        shown = "; ".join(
            f"{r.owner} for {r.period} ({r.first} .. {r.last})" for r in mixed.itertuples()
        )
        raise DataError(
            f"sales_targets gives targets at two grains for the same {grain}: {shown}; summing "
            "them would count the target twice: keep one grain per owner and period"
        )


def has_targets(ws: Workspace) -> bool:
    """Whether the warehouse has a ``sales_targets`` table (older warehouses opened read-only
    may not; attached ones need it mapped)."""
    if ws.attached:
        return "sales_targets" in ws.mapping or "sales_targets" in ws.backend.list_tables()
    return "sales_targets" in ws.backend.list_tables()


def staff_performance(
    ws: Workspace,
    as_of: AsOfLike = None,
    grain: str | None = None,
    preset: str | None = None,
    config: object | None = None,
) -> ir.Table:
    """Per owner and period: deals, win rate, cycle time, activities, customers, attainment.

    Parameters
    ----------
    ws : the warehouse.
    as_of : deal events, interactions and opportunities at or before this point count.
    grain : ``month``, ``quarter`` or ``year`` (default ``sales.staff_period``).
    preset : the opportunity funnel preset (default ``sales.staff_preset``, else the funnel's
        default preset).
    config : the whole configuration (funnel presets, sales section).

    Returns
    -------
    Ibis table: ``owner``, ``period`` (label), :data:`STAFF_COLUMNS`.
    ``win_rate`` = won / (won + lost) of deals closed in the period; ``won_value``: expected value
    of deals won in the period (currency); ``median_cycle_days``: nearest-rank median of days from
    creation to close of the deals won in the period; ``deals_created``: opportunities the owner
    opened in the period; ``activities``: interactions by the owner (``staff_id``);
    ``customers_covered``: distinct customers of those interactions and of the owner's deals
    created or closed in the period; ``customers_assigned``: customers whose ``owner`` attribute
    (an extra source column kept in ``customers.attributes``) names the owner, null when no
    customer carries one; ``target_amount`` from ``sales_targets`` (null without one);
    ``attainment`` = won_value / target_amount.

    Raises
    ------
    ConfigError, DataError
        Targets that cannot be used at ``grain`` (:func:`check_targets`; the one query this
        function runs).
    """
    from crmlytics.funnel import deals
    from crmlytics.funnel.config import opportunity_preset

    settings = sales_config(getattr(config, "sales", None) if config is not None else None)
    grain = grain or settings.staff_period
    if grain not in GRAINS:
        raise ConfigError(f"staff period must be one of {', '.join(GRAINS)}, not {grain!r}")
    point = resolve_as_of(as_of)
    chosen = opportunity_preset(preset or settings.staff_preset, config, "staff performance")
    table = deals(ws, chosen, point, config)
    table = table.filter(table.owner.notnull())

    closed = table.filter(table.outcome != "open")
    closed = closed.mutate(
        period=period_label(closed.closed_at, grain),
        cycle_days=(closed.closed_at.epoch_seconds() - closed.created_at.epoch_seconds()).cast(
            "float64"
        )
        / DAY_SECONDS,
        won=closed.outcome == "won",
    )
    closed = closed.mutate(won_cycle_days=ibis.ifelse(closed.won, closed.cycle_days, None))
    ranked, metrics = nearest_rank(
        closed,
        ["owner", "period"],
        "won_cycle_days",
        {"median_cycle_days": 0.5},
        duckdb=ws.is_duckdb,
    )
    outcomes = ranked.group_by(["owner", "period"]).aggregate(
        deals_won=ranked.won.cast("int64").sum(),
        deals_lost=(~ranked.won).cast("int64").sum(),
        won_value=ranked.expected_value.sum(where=ranked.won),
        **metrics,
    )
    created = table.mutate(period=period_label(table.created_at, grain))
    opened = created.group_by(["owner", "period"]).aggregate(deals_created=created.count())

    inter = ws.table("interactions")
    inter = inter.filter(point.visible(inter.ts) & inter.staff_id.notnull())
    inter = inter.select(
        owner=inter.staff_id, period=period_label(inter.ts, grain), customer_id=inter.customer_id
    )
    activity = inter.group_by(["owner", "period"]).aggregate(activities=inter.count())
    touched = ibis.union(
        inter.select("owner", "period", "customer_id"),
        created.select("owner", "period", "customer_id"),
        closed.select("owner", "period", "customer_id"),
        distinct=True,
    )
    touched = touched.filter(touched.customer_id.notnull())
    covered = touched.group_by(["owner", "period"]).aggregate(
        customers_covered=touched.customer_id.nunique()
    )

    customers = ws.table("customers")
    # a plain pattern, not a JSON function: Spark has none that Ibis compiles without a UDF
    owner_of = customers.attributes.re_extract(OWNER_PATTERN, 1).nullif("")
    assigned = (
        customers.select(owner=owner_of, customer_id=customers.customer_id)
        .filter(ibis._.owner.notnull())
        .group_by("owner")
        .aggregate(customers_assigned=ibis._.customer_id.nunique())
    )

    current = python_label(point.date, grain)
    parts = [
        outcomes.select("owner", "period"),
        opened.select("owner", "period"),
        activity.select("owner", "period"),
    ]
    targets = None
    if has_targets(ws):
        check_targets(ws, grain)
        targets = staff_targets(ws, grain)
        parts.append(targets.select("owner", "period"))
    keys = ibis.union(*parts, distinct=True)
    keys = keys.filter(keys.period <= current)
    out = keys
    for part in (outcomes, opened, activity, covered):
        out = out.left_join(part, ["owner", "period"])
    out = out.left_join(assigned, "owner")
    if targets is not None:
        out = out.left_join(targets, ["owner", "period"])
        target = out.target_amount
    else:
        target = ibis.null("float64")
    won = out.deals_won.fill_null(0).cast("int64")
    lost = out.deals_lost.fill_null(0).cast("int64")
    won_value = out.won_value.fill_null(0.0)
    return out.select(
        "owner",
        "period",
        deals_won=won,
        deals_lost=lost,
        win_rate=won.cast("float64") / (won + lost).cast("float64").nullif(0.0),
        won_value=won_value,
        median_cycle_days=out.median_cycle_days.cast("float64"),
        deals_created=out.deals_created.fill_null(0).cast("int64"),
        activities=out.activities.fill_null(0).cast("int64"),
        customers_covered=out.customers_covered.fill_null(0).cast("int64"),
        customers_assigned=out.customers_assigned.cast("int64"),
        target_amount=target.cast("float64"),
        attainment=won_value / target.cast("float64").nullif(0.0),
    )

"""CLI commands of sales: ``crmlytics sales trend|mix|cycle|staff``."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Annotated

import typer

from crmlytics.cli.common import (
    MARKUP_MODE,
    AsOfOption,
    ConfigOption,
    DbOption,
    FailOnEmptyOption,
    LocaleOption,
    OutOption,
    check_not_empty,
    checked_as_of,
    command,
    emit,
    locale_of,
    say,
    settings,
    step,
    warehouse,
    warn,
)

sales_app = typer.Typer(
    help="Sales: revenue over time, composition and mix shift, purchase cycles, staff.",
    no_args_is_help=True,
    rich_markup_mode=MARKUP_MODE,
)

ReportOption = Annotated[
    Path | None, typer.Option("--report", help="write an HTML report with a chart (offline)")
]
LevelOption = Annotated[
    str, typer.Option("--level", help="category (line category, else product's) or product_id")
]


def register(app: typer.Typer) -> None:
    app.add_typer(sales_app, name="sales")


def _day(value: str | None, option: str) -> _dt.date | None:
    from crmlytics.errors import ConfigError

    if value is None:
        return None
    try:
        return _dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{option} {value!r} is not a date: expected YYYY-MM-DD") from None


@sales_app.command("trend")
@command
def trend_command(
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="a period (day, week, month, quarter; default sales.period) and/or dimensions "
            "(region, channel, customer_type, category, product_id); repeat for several",
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="first period shown (the period of this day)")
    ] = None,
    report: ReportOption = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Revenue (gross, returns, net), orders, customers, average order value, new and returning
    customers per period, with period-over-period and year-over-year change; a period without
    sales is a row of zeros."""
    import crmlytics.sales.headers  # noqa: F401 (Chinese headers)
    from crmlytics.sales.config import sales_config
    from crmlytics.sales.lines import PERIODS, check_dims
    from crmlytics.sales.trend import sales_trend

    conf = settings(config)
    chosen = locale_of(locale, conf)
    given = list(by or [])
    periods = [b for b in given if b in PERIODS]
    if len(periods) > 1:
        from crmlytics.errors import ConfigError

        raise ConfigError(f"--by takes one period, not {', '.join(periods)}")
    period = periods[0] if periods else sales_config(conf).period
    dims = check_dims([b for b in given if b not in PERIODS])
    first = _day(start, "--from")
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("trend", f"adding up sales per {period}") as s:
            frame = sales_trend(ws, point, period, dims, first).to_pandas()
            frame = frame.sort_values(["period", *dims], kind="stable").reset_index(drop=True)
            s.rows = len(frame)
    check_not_empty(len(frame), "the sales trend", fail_on_empty)
    emit(frame, out, title=f"sales per {period} as of {point}", locale=chosen)
    if report is not None:
        from crmlytics.reports import write_report
        from crmlytics.sales.charts import category_mix_chart, revenue_trend_chart

        if dims == ["category"]:
            chart = category_mix_chart(frame, period=period, locale=chosen)
        elif dims:
            warn("--report draws the trend without --by dimensions, or the category mix")
            chart = None
        else:
            chart = revenue_trend_chart(frame, period=period, locale=chosen)
        blocks = [chart] if chart is not None else []
        say(f"wrote report to {write_report(report, f'sales as of {point}', [*blocks, frame])}")


@sales_app.command("mix")
@command
def mix_command(
    level: LevelOption = "category",
    window_days: Annotated[
        int | None,
        typer.Option(
            "--window-days", help="current window: the last N days (sales.mix_window_days)"
        ),
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="current window's first day")] = None,
    end: Annotated[str | None, typer.Option("--to", help="current window's last day")] = None,
    base_start: Annotated[
        str | None, typer.Option("--base-from", help="base window's first day")
    ] = None,
    base_end: Annotated[
        str | None, typer.Option("--base-to", help="base window's last day")
    ] = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Each category's (or product's) net revenue and share in the current window, and the mix
    shift against the base window (default: the same number of days just before)."""
    import crmlytics.sales.headers  # noqa: F401 (Chinese headers)
    from crmlytics.asof import check_window_days
    from crmlytics.sales.config import sales_config
    from crmlytics.sales.mix import sales_mix

    conf = settings(config)
    chosen = locale_of(locale, conf)
    days = window_days if window_days is not None else sales_config(conf).mix_window_days
    check_window_days(days, "--window-days")
    bounds = [_day(v, o) for v, o in ((start, "--from"), (end, "--to"))]
    base = [_day(v, o) for v, o in ((base_start, "--base-from"), (base_end, "--base-to"))]
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("mix", f"sharing net revenue by {level}") as s:
            frame = sales_mix(ws, point, level, days, *bounds, *base).to_pandas()
            frame = frame.sort_values(
                ["net_revenue", level], ascending=[False, True], kind="stable"
            ).reset_index(drop=True)
            s.rows = len(frame)
    check_not_empty(len(frame), "the sales mix", fail_on_empty)
    emit(frame, out, title=f"sales mix by {level} as of {point}", locale=chosen)


@sales_app.command("cycle")
@command
def cycle_command(
    level: LevelOption = "category",
    window_days: Annotated[
        int | None, typer.Option("--window-days", help="only purchases in the last N days")
    ] = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Purchase cycle: median (and quartiles) of the days between one customer's repeat
    purchases of the same category or product."""
    import crmlytics.sales.headers  # noqa: F401 (Chinese headers)
    from crmlytics.asof import check_window_days
    from crmlytics.sales.cycle import purchase_cycle

    conf = settings(config)
    chosen = locale_of(locale, conf)
    check_window_days(window_days, "--window-days")
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("cycle", f"measuring gaps between purchases per {level}") as s:
            frame = purchase_cycle(ws, point, level, window_days).to_pandas()
            frame = frame.sort_values(
                ["repeat_buyers", level], ascending=[False, True], kind="stable"
            ).reset_index(drop=True)
            s.rows = len(frame)
    check_not_empty(len(frame), "the purchase cycle", fail_on_empty)
    emit(frame, out, title=f"purchase cycle by {level} as of {point}", locale=chosen)


@sales_app.command("staff")
@command
def staff_command(
    period: Annotated[
        str | None,
        typer.Option("--period", help="month, quarter or year (default sales.staff_period)"),
    ] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", help="opportunity funnel preset (default: config)")
    ] = None,
    report: ReportOption = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Per owner and period: deals won and lost, win rate, won value, cycle time, activities,
    customers covered, and attainment of the sales_targets."""
    import crmlytics.sales.headers  # noqa: F401 (Chinese headers)
    from crmlytics.sales.staff import has_targets, staff_performance

    conf = settings(config)
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf, events=("opportunities", "created_at"))
        with step("staff", "measuring owners") as s:
            frame = staff_performance(ws, point, period, preset, conf).to_pandas()
            frame = frame.sort_values(
                ["period", "won_value", "owner"], ascending=[True, False, True]
            )
            frame = frame.reset_index(drop=True)
            s.rows = len(frame)
        targets = has_targets(ws) and int(ws.table("sales_targets").count().execute()) > 0
    if not targets:
        warn(
            "no sales_targets loaded: target_amount and attainment are empty "
            "(load them with `crmlytics ingest sales_targets FILE`)"
        )
    check_not_empty(len(frame), "the staff table", fail_on_empty)
    emit(frame, out, title=f"staff performance as of {point}", locale=chosen)
    if report is not None:
        from crmlytics.reports import write_report
        from crmlytics.sales.charts import owner_leaderboard_chart

        chart = owner_leaderboard_chart(frame, locale=chosen)
        say(f"wrote report to {write_report(report, f'staff as of {point}', [chart, frame])}")

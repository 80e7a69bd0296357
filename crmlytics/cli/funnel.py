"""CLI commands of the funnels: ``funnel`` and ``pipeline forecast|stale|winloss|collisions``."""

from __future__ import annotations

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
    settings,
    show_table,
    step,
    warehouse,
    warn,
)

pipeline_app = typer.Typer(
    help="The sales pipeline: forecast, stale deals, win/loss, collisions (撞单).",
    no_args_is_help=True,
    rich_markup_mode=MARKUP_MODE,
)

PresetOption = Annotated[
    str | None,
    typer.Option("--preset", help="funnel preset: sales, pipeline, campaign or one from config"),
]


#: The events whose span an opportunity view's --as-of is checked against.
STAGE_EVENTS = ("opportunity_stages", "entered_at")


def register(app: typer.Typer) -> None:
    app.command("funnel")(funnel_command)
    app.add_typer(pipeline_app, name="pipeline")


def _warn_unknown(ws, preset, point, conf) -> None:
    from crmlytics.funnel import unknown_stages

    unknown = unknown_stages(ws, preset, point, conf).to_pandas()
    for row in unknown.itertuples(index=False):
        warn(
            f"stage {row.stage_name!r} is not a stage of the funnel ({row.events:,} events, "
            f"{row.deals:,} deals): it does not move those deals"
        )


@command
def funnel_command(
    preset: PresetOption = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="group by a dimension (repeatable): source, owner, cohort, ..."),
    ] = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Stage conversion (entered, advanced, lost, open, conversion with Wilson interval, time in
    stage) of a funnel, one row per stage and group."""
    from crmlytics.funnel import funnel

    conf = settings(config)
    chosen = locale_of(locale, conf)
    name = preset or conf.funnel.default_preset
    chosen_preset = conf.funnel.preset(name)
    events = (
        ("campaign_touches", "sent_at")
        if chosen_preset.source == "campaign_touches"
        else STAGE_EVENTS
    )
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf, events=events)
        _warn_unknown(ws, name, point, conf)
        with step("funnel", f"computing the {name} funnel") as s:
            frame = funnel(ws, name, point, by or None, conf, locale=chosen)
            s.rows = len(frame)
    check_not_empty(len(frame), f"the {name} funnel", fail_on_empty)
    emit(frame, out, title=f"{name} funnel as of {point}")


@pipeline_app.command("forecast")
@command
def forecast_command(
    preset: PresetOption = None,
    by_month: Annotated[
        bool, typer.Option("--by-month", help="sum per expected close month")
    ] = False,
    backtest: Annotated[
        bool,
        typer.Option("--backtest", help="forecast as of --as-of against what closed after it"),
    ] = False,
    horizon_days: Annotated[
        int | None,
        typer.Option(
            "--horizon-days", help="backtest horizon (default funnel.forecast_horizon_days)"
        ),
    ] = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Open pipeline weighted by the win probability of each deal's stage (learned from closed
    deals), with expected close month; --backtest checks a past forecast."""
    from crmlytics.asof import check_window_days
    from crmlytics.funnel import forecast, forecast_backtest, forecast_by_month

    conf = settings(config)
    check_window_days(horizon_days, "--horizon-days")

    def compute(ws, point):
        if backtest:
            expr = forecast_backtest(ws, preset, point, horizon_days, conf)
            return expr.to_pandas().sort_values("stage_index")
        if by_month:
            frame = forecast_by_month(ws, preset, point, conf).to_pandas()
            return frame.sort_values("expected_close_month")
        frame = forecast(ws, preset, point, conf).to_pandas()
        return frame.sort_values(["expected_close_date", "opportunity_id"])

    show_table(
        conf,
        db,
        as_of,
        compute,
        doing=("forecast", "forecasting the pipeline"),
        what="the forecast",
        title="pipeline forecast",
        out=out,
        fail_on_empty=fail_on_empty,
        events=STAGE_EVENTS,
    )


@pipeline_app.command("stale")
@command
def stale_command(
    preset: PresetOption = None,
    stale_days: Annotated[
        int | None, typer.Option("--stale-days", help="days without action (default config: 30)")
    ] = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Open deals with no stage change and no customer interaction for more than stale_days."""
    from crmlytics.funnel import stale_deals

    conf = settings(config)

    def compute(ws, point):
        frame = stale_deals(ws, preset, point, stale_days, conf).to_pandas()
        return frame.sort_values(["days_since_activity", "opportunity_id"], ascending=[False, True])

    show_table(
        conf,
        db,
        as_of,
        compute,
        doing=("stale", "finding stale deals"),
        what="the stale deal list",
        title="stale deals",
        out=out,
        fail_on_empty=fail_on_empty,
        events=STAGE_EVENTS,
    )


@pipeline_app.command("winloss")
@command
def winloss_command(
    preset: PresetOption = None,
    by: Annotated[
        str,
        typer.Option("--by", help="competitor (default), lost_reason, or any funnel dimension"),
    ] = "competitor",
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Win rate by competitor (or another dimension) with Wilson intervals; with --by
    lost_reason, lost deals by reason and the stage they were lost at."""
    from crmlytics.funnel import dimension_segments, lost_reasons, stage_label, win_loss

    conf = settings(config)
    chosen = locale_of(locale, conf)

    def compute(ws, point):
        if by != "lost_reason":
            with dimension_segments(ws, point, by, conf) as segments:
                frame = win_loss(ws, preset, point, by, conf, segments=segments).to_pandas()
            return frame.sort_values(["won", "lost"], ascending=False)
        frame = lost_reasons(ws, preset, point, conf).to_pandas()
        frame = frame.sort_values(["lost", "stage_index"], ascending=[False, True])
        labels = frame["stage"].map(lambda k: stage_label(k, chosen))
        frame.insert(frame.columns.get_loc("stage") + 1, "stage_label", labels)
        return frame

    show_table(
        conf,
        db,
        as_of,
        compute,
        doing=("winloss", f"win/loss by {by}"),
        what="the win/loss table",
        title=f"win/loss by {by}",
        out=out,
        fail_on_empty=fail_on_empty,
        events=STAGE_EVENTS,
    )


@pipeline_app.command("collisions")
@command
def collisions_command(
    preset: PresetOption = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Open opportunities of one customer (same record, phone or email) held by different
    owners (撞单), one row per pair."""
    from crmlytics.funnel import collisions

    conf = settings(config)

    def compute(ws, point):
        frame = collisions(ws, preset, point, conf).to_pandas()
        return frame.sort_values(["opportunity_id", "other_opportunity_id"])

    show_table(
        conf,
        db,
        as_of,
        compute,
        doing=("collisions", "pairing open deals by customer"),
        what="the collision list",
        title="collisions",
        out=out,
        fail_on_empty=fail_on_empty,
        events=STAGE_EVENTS,
    )

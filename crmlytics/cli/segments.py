"""CLI commands of customer segmentation: rfm, segments."""

from __future__ import annotations

from typing import Annotated

import typer

from crmlytics.cli.common import (
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
    step,
    warehouse,
)


def register(app: typer.Typer) -> None:
    app.command("rfm")(rfm_command)
    app.command("segments")(segments_command)


@command
def rfm_command(
    as_of: AsOfOption = None,
    window_days: Annotated[
        int | None,
        typer.Option("--window-days", help="score only the last N days (default: config)"),
    ] = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """RFM scores (1-5 by quintile), cell and segment of every customer as of a date.

    Ties follow the R rfm package's scorer: tied values share the lowest score of their tie, so
    a score level can be empty (F = 2 is empty when 43% of buyers bought once: they all get
    F = 1 and the next value starts at 3); a warning names each empty level. The default
    segment map uses the R package's segment names with crmlytics' own ranges; set
    segments.rfm.segment_map: r_rfm in crmlytics.yaml for the R package's own table (cells it
    leaves unnamed are "others"). Ranges and columns: docs/glossary.md.
    """
    from crmlytics.asof import check_window_days
    from crmlytics.segments import rfm_report

    conf = settings(config)
    check_window_days(window_days, "--window-days")
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("rfm", "computing RFM") as s:
            frame = rfm_report(ws, point, window_days=window_days, config=conf)
            s.rows = len(frame)
    check_not_empty(len(frame), "the RFM table", fail_on_empty)
    emit(
        frame,
        out,
        title=f"RFM as of {point}",
        locale=chosen,
        machine_formats=conf.locale_machine_formats,
    )


@command
def segments_command(
    by: Annotated[
        str,
        typer.Option("--by", help="segmentation: rfm_segment, value_tier or lifecycle"),
    ] = "rfm_segment",
    as_of: AsOfOption = None,
    locale: LocaleOption = None,
    out: OutOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Profiles of a segmentation: size, share of customers and revenue, mean facts."""
    from crmlytics.segments import segment_profiles

    conf = settings(config)
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("segments", f"profiling {by}") as s:
            frame = segment_profiles(ws, point, by, conf, locale=chosen)
            s.rows = len(frame)
    check_not_empty(len(frame), f"the {by} profile", fail_on_empty)
    emit(
        frame,
        out,
        title=f"{by} profiles as of {point}",
        locale=chosen,
        domains={"segment": (by, "profile")},
        machine_formats=conf.locale_machine_formats,
    )

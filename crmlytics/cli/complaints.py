"""CLI commands of complaints: ``crmlytics complaints volume|sla|backlog|quality|customers|
impact|topics|contacts``."""

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
    say,
    settings,
    show_table,
    step,
    warehouse,
)

complaints_app = typer.Typer(
    help="Complaints: volume and rates, handling times and SLA, backlog, customers, cost, topics.",
    no_args_is_help=True,
    rich_markup_mode=MARKUP_MODE,
)

#: The events whose span a complaint view's --as-of is checked against.
EVENTS = ("complaints", "opened_at")
#: Label columns of complaint outputs (``category`` holds complaint category keys here).
DOMAINS = {"category": "complaint_category"}

ByOption = Annotated[
    str | None,
    typer.Option("--by", help="category, severity, channel, product_id or month"),
]
WindowOption = Annotated[
    int | None, typer.Option("--window-days", help="only the last N days up to --as-of")
]


def register(app: typer.Typer) -> None:
    app.add_typer(complaints_app, name="complaints")


@complaints_app.command("volume")
@command
def volume_command(
    by: ByOption = "category",
    window_days: WindowOption = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Complaints per group with rates per 1,000 orders and per 1,000 active customers; with
    --by month, months well above the usual level are flagged."""
    from crmlytics.asof import check_window_days
    from crmlytics.complaints import complaint_volume, monthly_trend

    conf = settings(config)
    check_window_days(window_days, "--window-days")

    def compute(ws, point):
        if by == "month":
            return monthly_trend(ws, point, window_days, conf)
        frame = complaint_volume(ws, point, by, window_days).to_pandas()
        return frame.sort_values("complaints", ascending=False, kind="stable")

    show_table(
        conf,
        db,
        as_of,
        compute,
        doing=("volume", f"counting complaints by {by or 'all'}"),
        what="the complaint volume",
        title="complaints",
        out=out,
        locale=locale_of(locale, conf),
        fail_on_empty=fail_on_empty,
        events=EVENTS,
        domains=DOMAINS,
    )


@complaints_app.command("sla")
@command
def sla_command(
    by: ByOption = "category",
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Handling-step hours (median, p90) and first-response SLA compliance, one row per group
    (by category unless --by says otherwise)."""
    from crmlytics.complaints import handling_times

    conf = settings(config)

    def compute(ws, point):
        frame = handling_times(ws, point, by, conf).to_pandas()
        return frame.sort_values(by, kind="stable") if by else frame

    show_table(
        conf,
        db,
        as_of,
        compute,
        doing=("sla", "measuring handling times"),
        what="the SLA table",
        title="complaint handling",
        out=out,
        locale=locale_of(locale, conf),
        fail_on_empty=fail_on_empty,
        events=EVENTS,
        domains=DOMAINS,
    )


@complaints_app.command("backlog")
@command
def backlog_command(
    by: ByOption = None,
    unfollowed: Annotated[
        bool,
        typer.Option("--unfollowed", help="list complaints resolved but never followed up"),
    ] = False,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Complaints not resolved as of --as-of by age bucket; --unfollowed lists the resolved
    ones never followed up (日后追踪) within complaints.follow_up_due_days."""
    from crmlytics.complaints import backlog
    from crmlytics.complaints import unfollowed as unfollowed_list

    conf = settings(config)

    def compute(ws, point):
        if unfollowed:
            frame = unfollowed_list(ws, point, conf).to_pandas()
            return frame.sort_values(
                ["days_since_resolved", "complaint_id"], ascending=[False, True]
            )
        frame = backlog(ws, point, by, conf).to_pandas()
        return frame.sort_values([*([by] if by else []), "bucket_index"])

    show_table(
        conf,
        db,
        as_of,
        compute,
        doing=("backlog", "ageing the open complaints"),
        what="the backlog",
        title="complaint backlog",
        out=out,
        locale=locale_of(locale, conf),
        fail_on_empty=fail_on_empty,
        events=EVENTS,
        domains=DOMAINS,
    )


@complaints_app.command("quality")
@command
def quality_command(
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Data-quality findings: a handling step missing while a later one is recorded, or a step
    time earlier than the step before (such complaints are left out of durations and SLA)."""
    from crmlytics.complaints import quality_findings

    conf = settings(config)
    show_table(
        conf,
        db,
        as_of,
        lambda ws, point: quality_findings(ws, point, conf).to_pandas().sort_values("complaint_id"),
        doing=("quality", "checking the handling steps"),
        what="the findings",
        title="complaint data quality",
        out=out,
        locale=locale_of(locale, conf),
        fail_on_empty=fail_on_empty,
        events=EVENTS,
    )


@complaints_app.command("customers")
@command
def customers_command(
    view: Annotated[
        str,
        typer.Option(
            "--view",
            help="repeat (repeat complainers), open (open complaints) or "
            "satisfaction (against resolution time)",
        ),
    ] = "repeat",
    min_complaints: Annotated[int, typer.Option("--min-complaints")] = 2,
    window_days: WindowOption = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Repeat complainers or open complaints, gold-tier customers first; or satisfaction
    against resolution time."""
    from crmlytics.complaints import (
        open_complaints_by_tier,
        repeat_complainers,
        satisfaction_by_resolution,
    )
    from crmlytics.errors import ConfigError

    conf = settings(config)
    if view not in ("repeat", "open", "satisfaction"):
        raise ConfigError(f"--view must be repeat, open or satisfaction, not {view!r}")

    def compute(ws, point):
        if view == "repeat":
            return repeat_complainers(ws, point, min_complaints, window_days, conf).to_pandas()
        if view == "open":
            return open_complaints_by_tier(ws, point, conf).to_pandas()
        return satisfaction_by_resolution(ws, point, config=conf).order_by("band_index").to_pandas()

    show_table(
        conf,
        db,
        as_of,
        compute,
        doing=("customers", f"complaints by customer ({view})"),
        what=f"the {view} list",
        title="complaining customers",
        out=out,
        locale=locale_of(locale, conf),
        fail_on_empty=fail_on_empty,
        events=EVENTS,
        domains={**DOMAINS, "value_tier": "value_tier"},
    )


@complaints_app.command("impact")
@command
def impact_command(
    horizon_days: Annotated[
        int | None,
        typer.Option("--horizon-days", help="days after the complaint (default config: 90)"),
    ] = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """What complaints cost: purchasing after a complaint against matched non-complainers, fast
    against slow resolution, revenue at risk. Observational, not an experiment."""
    from crmlytics.asof import check_window_days
    from crmlytics.complaints import complaint_impact

    conf = settings(config)
    chosen = locale_of(locale, conf)
    check_window_days(horizon_days, "--horizon-days")
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf, events=EVENTS)
        with step("impact", "comparing complainers with matched customers") as s:
            result = complaint_impact(ws, point, horizon_days, conf)
            s.rows = len(result.panel)
    say(result.note)
    emit(
        result.summary,
        out,
        title=f"cost of complaints as of {point} ({result.horizon_days} days after)",
        locale=chosen,
    )


@complaints_app.command("topics")
@command
def topics_command(
    view: Annotated[
        str,
        typer.Option(
            "--view",
            help="terms (per category, or per month with --by month), topics, rising or suggest",
        ),
    ] = "terms",
    by: Annotated[str, typer.Option("--by", help="terms per category or month")] = "category",
    n_topics: Annotated[int, typer.Option("--topics", help="number of topics")] = 8,
    top: Annotated[int, typer.Option("--top", help="terms per group")] = 10,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Keywords and topics of complaint descriptions (Chinese and English): top terms per
    category or month, NMF topics with their match to the categories, rising terms, and a
    suggested category for complaints without one."""
    from crmlytics.complaints import (
        category_terms,
        complaint_texts,
        fit_topics,
        rising_terms,
        suggest_categories,
        topic_alignment,
    )
    from crmlytics.errors import ConfigError

    conf = settings(config)
    chosen = locale_of(locale, conf)
    if view not in ("terms", "topics", "rising", "suggest"):
        raise ConfigError(f"--view must be terms, topics, rising or suggest, not {view!r}")
    if by not in ("category", "month"):
        raise ConfigError(f"--by must be category or month, not {by!r}")
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf, events=EVENTS)
        with step("texts", "reading complaint descriptions") as s:
            texts = complaint_texts(ws, point).to_pandas().sort_values("complaint_id")
            s.rows = len(texts)
    words = conf.complaints.topic_words
    with step("topics", f"analysing descriptions ({view})") as s:
        if view == "terms":
            frame = category_terms(
                texts["description"], texts[by].astype("string"), top, words=words
            )
        elif view == "topics":
            model = fit_topics(texts["description"], n_topics, top, words=words)
            align = topic_alignment(model.topic_of, texts["category"])
            listed = model.terms.groupby("topic")["term"].agg(" ".join).rename("terms")
            frame = align.join(listed, on="topic")
        elif view == "rising":
            frame = rising_terms(texts["description"], texts["month"], top, words=words)
        else:
            found = suggest_categories(texts["description"], texts["category"], words=words)
            ids = texts["complaint_id"].to_numpy()[found["position"]]
            frame = found.drop(columns="position").assign(complaint_id=ids)
            frame = frame[["complaint_id", "suggested_category", "similarity"]]
        s.rows = len(frame)
    check_not_empty(len(frame), f"the {view} table", fail_on_empty)
    emit(
        frame.reset_index(drop=True),
        out,
        title=f"complaint {view} as of {point}",
        locale=chosen,
        domains=DOMAINS,
    )


@complaints_app.command("contacts")
@command
def contacts_command(
    revisit: Annotated[
        bool,
        typer.Option("--revisit", help="gold-tier customers with no contact in the last --days"),
    ] = False,
    days: Annotated[
        int | None, typer.Option("--days", help="revisit rule in days (default config: 30)")
    ] = None,
    window_days: WindowOption = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Service contacts by channel and kind with contacts per customer; --revisit lists the
    valuable (gold-tier) customers nobody has contacted lately, to export like a segment list."""
    from crmlytics.complaints import contact_volume, revisit_due

    conf = settings(config)

    def compute(ws, point):
        if revisit:
            return revisit_due(ws, point, days, config=conf).to_pandas()
        frame = contact_volume(ws, point, window_days=window_days).to_pandas()
        return frame.sort_values("contacts", ascending=False, kind="stable")

    show_table(
        conf,
        db,
        as_of,
        compute,
        doing=("contacts", "counting service contacts"),
        what="the contact list",
        title="service contacts",
        out=out,
        locale=locale_of(locale, conf),
        fail_on_empty=fail_on_empty,
        events=("interactions", "ts"),
        domains={"value_tier": "value_tier"},
    )

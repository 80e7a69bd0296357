"""CLI command ``crmlytics export``: a segment list for marketing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crmlytics.cli.common import (
    AsOfOption,
    ConfigOption,
    DbOption,
    FailOnEmptyOption,
    LocaleOption,
    check_not_empty,
    checked_as_of,
    command,
    locale_of,
    say,
    settings,
    step,
    warehouse,
)


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)


@command
def export_command(
    segment: Annotated[
        str,
        typer.Option(
            "--segment",
            help="segment by key, English or Chinese label: champions, Gold, 沉寂客户, ...; "
            "a name two segmentations share must be qualified: lifecycle:lost, rfm_segment:lost "
            "(stage:new, activity:active reach the stage and activity views)",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="file to write; its extension (.csv, .xlsx, .parquet) is the format"
        ),
    ],
    format: Annotated[
        str | None,
        typer.Option(
            "--format", help="csv, xlsx or parquet; optional, must agree with --out's extension"
        ),
    ] = None,
    as_of: AsOfOption = None,
    where: Annotated[
        str | None,
        typer.Option("--where", help='filter on score columns, e.g. "clv > 100 and r_score >= 4"'),
    ] = None,
    include_opted_out: Annotated[
        bool,
        typer.Option("--include-opted-out", help="keep customers with do_not_contact"),
    ] = False,
    hash_pii: Annotated[
        str | None,
        typer.Option(
            "--hash-pii",
            help="sha256: write hashed, normalised email and phone (email_sha256, phone_sha256) "
            "and leave the name out (customer_id stays): no clear-text PII in the file",
        ),
    ] = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the customers of a segment to a file, opted-out customers removed.

    Segments and scores come from the score run of the as-of date (crmlytics score) when there
    is one, as recorded, so a configuration changed since does not change the list; without a
    run they are computed now with the current configuration, and the command says so.
    """
    from crmlytics.export import export_segment
    from crmlytics.export.lists import check_format

    check_format(out, format)  # before any work: the file name decides the format
    conf = settings(config)
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("export", f"building the {segment} list") as s:
            result = export_segment(
                ws,
                segment,
                as_of=point,
                where=where,
                format=format,
                out=out,
                include_opted_out=include_opted_out,
                hash_pii=hash_pii,
                locale=chosen,
                config=conf,
            )
            s.rows = result.rows
    day = point.date.isoformat()
    if result.source == result.run_id:
        say(f"segments and scores from score run {result.run_id} (as of {day})")
    elif result.run_id is not None:
        say(
            f"segments computed now with the current configuration: score run {result.run_id} "
            f"(as of {day}) holds no segments; its other scores were used"
        )
    else:
        say(
            f"segments computed now with the current configuration: no score run as of {day} "
            f"(record one with `crmlytics score --as-of {day}`)"
        )
    say(f"wrote {result.rows:,} customers to {result.path}")
    if include_opted_out:
        say(f"included {result.opted_out:,} opted-out (do_not_contact) on request")
    else:
        say(f"excluded {result.excluded_opted_out:,} opted-out (do_not_contact)")
    check_not_empty(result.rows, f"the {segment} list", fail_on_empty)

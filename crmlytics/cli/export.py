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
    out: Annotated[Path, typer.Option("--out", help="file to write (.csv, .xlsx, .parquet)")],
    format: Annotated[
        str | None,
        typer.Option("--format", help="csv, xlsx or parquet (default: from --out's extension)"),
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
        typer.Option("--hash-pii", help="sha256: write hashed, normalised email and phone"),
    ] = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the customers of a segment to a file, opted-out customers removed."""
    from crmlytics.export import export_segment

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
    say(f"wrote {result.rows:,} customers to {result.path}")
    if include_opted_out:
        say(f"included {result.opted_out:,} opted-out (do_not_contact) on request")
    else:
        say(f"excluded {result.excluded_opted_out:,} opted-out (do_not_contact)")
    check_not_empty(result.rows, f"the {segment} list", fail_on_empty)

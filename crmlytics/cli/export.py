"""CLI command ``crmlytics export``: a segment list for marketing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crmlytics.cli.common import (
    AsOfOption,
    ConfigOption,
    DbOption,
    console,
    fails_cleanly,
    working,
)


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)


@fails_cleanly
def export_command(
    segment: Annotated[
        str,
        typer.Option(
            "--segment", help="segment key: champions, gold, dormant, ... (or lifecycle:lost)"
        ),
    ],
    format: Annotated[
        str, typer.Option("--format", help="csv, xlsx or parquet (must match --out's extension)")
    ],
    out: Annotated[Path, typer.Option("--out", help="file to write")],
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
    locale: Annotated[
        str | None, typer.Option("--locale", help="en or zh labels (default: config locale)")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the customers of a segment to a file, opted-out customers removed."""
    from crmlytics.config import load_config
    from crmlytics.export import export_segment
    from crmlytics.workspace import Workspace

    settings = load_config(config)
    with Workspace.open(db, read_only=True) as ws, working(f"building the {segment} list"):
        result = export_segment(
            ws,
            segment,
            as_of=as_of,
            where=where,
            format=format,
            out=out,
            include_opted_out=include_opted_out,
            hash_pii=hash_pii,
            locale=locale,
            config=settings,
        )
    console.print(f"wrote {result.rows:,} customers to {result.path}")
    if include_opted_out:
        console.print(f"included {result.opted_out:,} opted-out (do_not_contact) on request")
    else:
        console.print(f"excluded {result.excluded_opted_out:,} opted-out (do_not_contact)")

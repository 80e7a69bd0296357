"""The ``crmlytics`` command line: a thin skin over the library (see ``crmlytics --help``)."""

from __future__ import annotations

from typing import Annotated

import typer

from crmlytics import __version__
from crmlytics.cli import (
    care,
    churn,
    clv,
    complaints,
    core,
    crosssell,
    customers,
    demo,
    export,
    funnel,
    ingest,
    receivables,
    sales,
    segments,
)
from crmlytics.cli.common import MARKUP_MODE

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 2 invalid option or setting; 3 bad input data or file, or an as-of "
    "outside the data; 4 no warehouse, or a table a guarantee needs is missing or empty; "
    "5 warehouse locked by another process; 6 model not fitted or not matching the data; "
    "7 the data cannot support the model; 8 empty result with --fail-on-empty; "
    "1 anything else (a bug prints its traceback)."
)

app = typer.Typer(
    name="crmlytics",
    help="Analytical CRM toolkit: ingest, customer facts, segments, CLV on DuckDB or Spark.",
    epilog=EXIT_CODES_HELP,
    rich_markup_mode=MARKUP_MODE,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crmlytics {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """crmlytics: customer analytics from the warehouse."""


for module in (
    core,
    export,
    segments,
    clv,
    churn,
    funnel,
    complaints,
    crosssell,
    sales,
    customers,
    receivables,
    care,
    demo,
    ingest,
):
    module.register(app)


def main() -> None:
    app()

"""The ``crmlytics`` command line: a thin skin over the library (see ``crmlytics --help``)."""

from __future__ import annotations

from typing import Annotated

import typer

from crmlytics import __version__
from crmlytics.cli import churn, clv, core, demo, export, ingest, segments

app = typer.Typer(
    name="crmlytics",
    help="Analytical CRM toolkit: ingest, customer facts, segments, CLV on DuckDB or Spark.",
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


for module in (core, export, segments, clv, churn, demo, ingest):
    module.register(app)


def main() -> None:
    app()

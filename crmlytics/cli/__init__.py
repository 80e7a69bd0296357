"""The ``crmlytics`` command line: a thin skin over the library (see ``crmlytics --help``).

Command modules load on demand: :data:`COMMANDS` names every top-level command, the module under
``crmlytics.cli`` whose ``register(app)`` adds it, and its one-line help, so ``crmlytics --help``
and ``--version`` import none of them (start-up well under half a second). A new command or group
is one line in :data:`COMMANDS` plus ``register`` in its module; a test checks the table against
what the modules register.
"""

from __future__ import annotations

import importlib
from difflib import get_close_matches
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from crmlytics import __version__
from crmlytics.cli.common import MARKUP_MODE

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 2 invalid option or setting; 3 bad input data or file, or an as-of "
    "outside the data; 4 no warehouse, or a table a guarantee needs is missing or empty; "
    "5 warehouse locked by another process; 6 model not fitted or not matching the data; "
    "7 the data cannot support the model; 8 empty result with --fail-on-empty; "
    "1 anything else (a bug prints its traceback)."
)

#: Every top-level command, in the order ``--help`` lists them:
#: name -> (module under ``crmlytics.cli`` whose ``register(app)`` adds it, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "facts": (
        "core",
        "Customer facts as of a date: one row per customer (money in source currency, days).",
    ),
    "quickstart": (
        "core",
        "Demo data → ingest → customer facts summary, on the embedded warehouse.",
    ),
    "score": (
        "core",
        "Nightly scoring: segments and CLV of every customer, recorded as one score run.",
    ),
    "export": (
        "export",
        "Write the customers of a segment to a file, opted-out customers removed.",
    ),
    "rfm": (
        "segments",
        "RFM scores (1-5 by quintile), cell and segment of every customer as of a date.",
    ),
    "segments": (
        "segments",
        "Profiles of a segmentation: size, share of customers and revenue, mean facts.",
    ),
    "funnel": (
        "funnel",
        "Stage conversion (entered, advanced, lost, open, conversion with Wilson interval, "
        "time in stage) of a funnel, one row per stage and group.",
    ),
    "demo": (
        "demo",
        "Write a realistic demo data set (every canonical table as CSV) and its planted truth.",
    ),
    "ingest": (
        "ingest",
        "Load files into TABLE: bad rows to `rejects`, duplicates skipped, one transaction a file.",
    ),
    "clv": (
        "clv",
        "Customer lifetime value: BG/NBD-family + Gamma-Gamma on the BTYD summary "
        "(btyd_frequency, btyd_recency_<unit>, btyd_age_<unit>, btyd_monetary_value).",
    ),
    "churn": ("churn", "Churn: who is slipping away, how sure we are, and why."),
    "pipeline": (
        "funnel",
        "The sales pipeline: forecast, stale deals, win/loss, collisions (撞单).",
    ),
    "complaints": (
        "complaints",
        "Complaints: volume and rates, handling times and SLA, backlog, customers, cost, topics.",
    ),
    "crosssell": (
        "crosssell",
        "Cross-sell: association rules, next best products, target lists, evaluation.",
    ),
    "sales": (
        "sales",
        "Sales: revenue over time, composition and mix shift, purchase cycles, staff.",
    ),
    "customers": (
        "customers",
        "Customer master quality: likely duplicates, reversible merges, incomplete records.",
    ),
    "receivables": (
        "receivables",
        "Receivables: open balances, ageing, days sales outstanding, dunning, credit limits.",
    ),
    "care": ("care", "Care and follow-up lists: whom to call (关怀建议, 回访对象)."),
}

_LISTING = "crmlytics.listing"


class LazyGroup(TyperGroup):
    """The root group: lists :data:`COMMANDS` from the table and imports a command's module
    only when that command is run (or its own help is asked for)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            if ctx.meta.get(_LISTING):  # the help listing: name and one line, no import
                summary = COMMANDS[cmd_name][1]
                return TyperCommand(cmd_name, help=summary)
            self._load(COMMANDS[cmd_name][0])
        return self.commands.get(cmd_name)

    def _load(self, module_name: str) -> None:
        """Import ``crmlytics.cli.<module_name>`` and add the commands its ``register`` adds."""
        module = importlib.import_module(f"crmlytics.cli.{module_name}")
        holder = typer.Typer(rich_markup_mode=MARKUP_MODE, add_completion=False)
        module.register(holder)
        for name, cmd in typer.main.get_group(holder).commands.items():
            self.commands.setdefault(name, cmd)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        ctx.meta[_LISTING] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx.meta.pop(_LISTING, None)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        unknown = name not in COMMANDS and name not in self.commands
        if unknown and name and not name.startswith("-") and not ctx.resilient_parsing:
            matches = get_close_matches(name, self.list_commands(ctx))  # loaded or not
            hint = f" Did you mean {', '.join(repr(m) for m in matches)}?" if matches else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="crmlytics",
    cls=LazyGroup,
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


def main() -> None:
    app()

"""CLI commands of receivables: ``crmlytics receivables ageing|dunning|over-limit``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crmlytics.cli.common import (
    MARKUP_MODE,
    AsOfOption,
    ConfigOption,
    DbOption,
    FailOnEmptyOption,
    LocaleOption,
    OutOption,
    check_list_output,
    check_not_empty,
    checked_as_of,
    command,
    emit,
    emit_action_list,
    locale_of,
    say,
    settings,
    step,
    warehouse,
    warn,
)

receivables_app = typer.Typer(
    help="Receivables: open balances, ageing, days sales outstanding, dunning, credit limits.",
    no_args_is_help=True,
    rich_markup_mode=MARKUP_MODE,
)

#: The events whose span a receivables --as-of is checked against.
EVENTS = ("invoices", "issued_at")

ListOutOption = Annotated[
    Path | None,
    typer.Option("--out", help="write the list like a segment list: .csv, .xlsx or .parquet"),
]
IncludeOptedOutOption = Annotated[
    bool, typer.Option("--include-opted-out", help="keep customers with do_not_contact")
]
HashPiiOption = Annotated[
    str | None, typer.Option("--hash-pii", help="sha256: hash email and phone, drop name")
]


def register(app: typer.Typer) -> None:
    app.add_typer(receivables_app, name="receivables")


@receivables_app.command("ageing")
@command
def ageing_command(
    by: Annotated[
        str, typer.Option("--by", help="bucket (one row per ageing bucket) or customer")
    ] = "bucket",
    report: Annotated[
        Path | None,
        typer.Option("--report", help="write the ageing bars and table (HTML, works offline)"),
    ] = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Open amounts by ageing bucket (current, 1-30, 31-60, 61-90, over 90 days overdue) as of
    --as-of, or per customer with --by customer; days sales outstanding is said below."""
    from crmlytics.errors import ConfigError
    from crmlytics.receivables import (
        ageing,
        customer_balances,
        days_sales_outstanding,
        unmatched_payments,
    )

    if by not in ("bucket", "customer"):
        raise ConfigError(f"--by {by!r} is not bucket or customer")
    conf = settings(config)
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf, events=EVENTS)
        with step("ageing", "ageing the open invoices") as s:
            table = ageing(ws, point).to_pandas()
            frame = table
            if by == "customer":
                frame = customer_balances(ws, point).to_pandas()
                frame = frame.sort_values(
                    ["overdue_amount", "customer_id"], ascending=[False, True], kind="stable"
                ).reset_index(drop=True)
            s.rows = len(frame)
        dso = days_sales_outstanding(ws, point, conf.receivables.dso_window_days).to_pandas()
        unmatched = int(unmatched_payments(ws, point).count().to_pyarrow().as_py())
    if by == "customer":
        check_not_empty(len(frame), "the customer balances", fail_on_empty)
    else:
        check_not_empty(int(table["invoices"].sum()), "the ageing table", fail_on_empty)
    emit(frame, out, title=f"receivables ageing as of {point}", locale=chosen)
    say(_dso_line(dso.iloc[0]))
    if unmatched:
        warn(
            f"{unmatched:,} payments name an invoice that is not in invoices: they are in no "
            "balance (crmlytics.receivables.unmatched_payments lists them)"
        )
    if report is not None:
        say(f"wrote report to {_write_report(table, dso.iloc[0], report, point, chosen)}")


def _dso_line(row: Any) -> str:
    days = row["days_sales_outstanding"]
    dso = "n/a (nothing invoiced in the window)" if days != days else f"{days:,.1f} days"
    return (
        f"days sales outstanding: {dso} = receivables {row['receivables']:,.2f} / credit sales "
        f"{row['credit_sales']:,.2f} over the last {int(row['window_days'])} days x "
        f"{int(row['window_days'])}"
    )


def _write_report(table: Any, dso: Any, path: Path, point: Any, locale: str) -> Path:
    from crmlytics.receivables.charts import ageing_bars
    from crmlytics.reports import write_report

    return write_report(
        path,
        f"Receivables ageing as of {point}",
        [ageing_bars(table, locale=locale), table, _dso_line(dso)],  # type: ignore[arg-type]
    )


@receivables_app.command("dunning")
@command
def dunning_command(
    out: ListOutOption = None,
    include_opted_out: IncludeOptedOutOption = False,
    hash_pii: HashPiiOption = None,
    as_of: AsOfOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Customers to chase for money (催款提醒): invoices overdue and no contact since their due
    date, with amounts; written like a segment list with --out (opted-out customers left out
    unless --include-opted-out), else printed."""
    from crmlytics.receivables import dunning_list

    check_list_output(out, hash_pii)
    conf = settings(config)
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf, events=EVENTS)
        with step("dunning", "finding overdue invoices without contact") as s:
            listed = dunning_list(
                ws,
                point,
                include_opted_out=include_opted_out,
                locale=chosen,  # type: ignore[arg-type]
                config=conf,
            )
            s.rows = len(listed.frame)
        emit_action_list(
            listed,
            out=out,
            hash_pii=hash_pii,
            locale=chosen,
            config=conf,
            what="the dunning list",
            title=f"dunning list as of {point}",
            columns=[
                "customer_id",
                "name",
                "phone",
                "dunning_amount",
                "dunning_invoices",
                "max_days_overdue",
                "last_contact_at",
                "open_balance",
            ],
            fail_on_empty=fail_on_empty,
        )


@receivables_app.command("over-limit")
@command
def over_limit_command(
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Customers whose open balance exceeds their credit_limit, largest excess first."""
    from crmlytics.receivables import over_credit_limit

    conf = settings(config)
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf, events=EVENTS)
        with step("over-limit", "comparing balances with credit limits") as s:
            frame = over_credit_limit(ws, point).to_pandas()
            frame = frame.sort_values(
                ["over_limit_amount", "customer_id"], ascending=[False, True], kind="stable"
            ).reset_index(drop=True)
            s.rows = len(frame)
    check_not_empty(len(frame), "the customers over their credit limit", fail_on_empty)
    emit(frame, out, title=f"customers over their credit limit as of {point}", locale=chosen)

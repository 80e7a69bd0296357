"""CLI commands of customer master quality (客户合并): ``crmlytics customers
duplicates|merge|incomplete``."""

from __future__ import annotations

from pathlib import Path
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
    WaitOption,
    check_not_empty,
    checked_as_of,
    command,
    emit,
    locale_of,
    say,
    settings,
    step,
    warehouse,
)

customers_app = typer.Typer(
    help="Customer master quality: likely duplicates, reversible merges, incomplete records.",
    no_args_is_help=True,
    rich_markup_mode=MARKUP_MODE,
)


def register(app: typer.Typer) -> None:
    app.add_typer(customers_app, name="customers")


@customers_app.command("duplicates")
@command
def duplicates_command(
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Likely duplicate customer records (same phone or email after normalising, or the same
    name in the same region), one row per record to drop, with the survivor, the evidence and
    why it survives. Nothing is changed: apply with `customers merge --from FILE`."""
    import crmlytics.sales.headers  # noqa: F401 (Chinese headers)
    from crmlytics.customers.duplicates import duplicate_customers

    conf = settings(config)
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("duplicates", "matching customer records") as s:
            frame = duplicate_customers(ws, point, conf)
            s.rows = len(frame)
    check_not_empty(len(frame), "the duplicate list", fail_on_empty)
    emit(frame, out, title=f"likely duplicate customers as of {point}", locale=chosen)


@customers_app.command("merge")
@command
def merge_command(
    keep: Annotated[str | None, typer.Option("--keep", help="customer_id that survives")] = None,
    drop: Annotated[
        str | None, typer.Option("--drop", help="customer_id merged into --keep")
    ] = None,
    suggestions: Annotated[
        Path | None,
        typer.Option("--from", help="apply every row (keep_id, drop_id) of a duplicates file"),
    ] = None,
    undo: Annotated[
        str | None,
        typer.Option("--undo", help="undo an applied merge: its merge_id or dropped customer"),
    ] = None,
    log: Annotated[bool, typer.Option("--log", help="list the merges recorded")] = False,
    as_of: AsOfOption = None,
    out: OutOption = None,
    wait: WaitOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Merge --drop into --keep (or every suggestion of --from FILE, all or none): the dropped
    record's transactions, contacts, complaints, deals and touches count for the kept one from
    then on; recorded in customer_merges and reversible with --undo. --as-of is not used (a
    merge is about records, not time) and is accepted for symmetry."""
    from crmlytics.customers.merge import (
        merge_customers,
        merge_log,
        merge_suggestions,
        undo_merge,
    )
    from crmlytics.errors import ConfigError

    del as_of
    conf = settings(config)
    modes = sum(
        x
        for x in (
            keep is not None or drop is not None,
            suggestions is not None,
            undo is not None,
            log,
        )
    )
    if modes != 1:
        raise ConfigError("give one of: --keep and --drop, --from FILE, --undo MERGE, --log")
    if log:
        with warehouse(db, conf) as ws:
            frame = merge_log(ws)
        emit(frame, out, title="customer merges")
        return
    with warehouse(db, conf, read_only=False, wait=wait) as ws:
        if undo is not None:
            with step("undo", f"undoing merge {undo}") as s:
                result = undo_merge(ws, undo)
                s.rows = sum(result.rows.values())
            say(
                f"undid merge {result.merge_id}: {result.dropped_id} is separate from "
                f"{result.kept_id} again ({sum(result.rows.values()):,} rows restored)"
            )
            return
        if suggestions is not None:
            from crmlytics.customers.merge import read_suggestions

            frame = read_suggestions(suggestions)
            with step("merge", f"merging the suggestions of {suggestions}") as s:
                results = merge_suggestions(ws, frame, "suggested")
                s.rows = len(results)
        else:
            if not keep or not drop:
                raise ConfigError("--keep and --drop are both needed")
            with step("merge", f"merging {drop} into {keep}") as s:
                results = [merge_customers(ws, keep, drop)]
                s.rows = 1
    for r in results:
        say(
            f"merged {r.dropped_id} into {r.kept_id} (merge {r.merge_id}, "
            f"{r.rows_moved:,} rows moved); undo with --undo {r.merge_id}"
        )


@customers_app.command("incomplete")
@command
def incomplete_command(
    fields: Annotated[
        list[str] | None,
        typer.Option(
            "--field", help="a field lists need (repeat; default customers.required_fields)"
        ),
    ] = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Customers missing a field the lists need (email, phone, region by default). --as-of is
    accepted for symmetry: the customer master has no history."""
    import crmlytics.sales.headers  # noqa: F401 (Chinese headers)
    from crmlytics.customers.duplicates import incomplete_customers

    del as_of
    conf = settings(config)
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws, step("incomplete", "checking customer fields") as s:
        frame = incomplete_customers(ws, fields, conf).to_pandas()
        frame = frame.sort_values("customer_id").reset_index(drop=True)
        s.rows = len(frame)
    check_not_empty(len(frame), "the incomplete list", fail_on_empty)
    emit(frame, out, title="customers missing fields", locale=chosen)

"""CLI command of the care lists: ``crmlytics care LIST``."""

from __future__ import annotations

from typing import Annotated

import typer

from crmlytics.cli.common import (
    AsOfOption,
    ConfigOption,
    DbOption,
    FailOnEmptyOption,
    LocaleOption,
    check_list_output,
    checked_as_of,
    command,
    emit_action_list,
    locale_of,
    settings,
    step,
    warehouse,
)
from crmlytics.cli.receivables import HashPiiOption, IncludeOptedOutOption, ListOutOption

#: The care lists (names of :data:`crmlytics.care.lists.CARE_LISTS`, kept here so that the
#: CLI starts without importing the analysis).
LISTS = ("valuable-no-contact", "cycle-overdue", "complaint-follow-up", "birthdays")


def register(app: typer.Typer) -> None:
    app.command("care")(care_command)


@command
def care_command(
    name: Annotated[str, typer.Argument(metavar="LIST", help=f"one of {', '.join(LISTS)}")],
    out: ListOutOption = None,
    include_opted_out: IncludeOptedOutOption = False,
    hash_pii: HashPiiOption = None,
    as_of: AsOfOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Care and follow-up lists: whom to call (关怀建议, 回访对象).

    LIST is valuable-no-contact (valuable customers not contacted for care.no_contact_days),
    cycle-overdue (past their own purchase cycle),
    complaint-follow-up (resolved complaints never followed up), birthdays (in the next
    care.important_date_days). Written like a segment list with --out (opted-out customers
    left out unless --include-opted-out), else printed."""
    from crmlytics.asof import as_of as resolve_as_of
    from crmlytics.care.lists import FORWARD_LISTS, care_list, check_list_name

    key = check_list_name(name)
    check_list_output(out, hash_pii)
    conf = settings(config)
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        # a list that looks forward from the date has no history to check the date against
        forward = key in FORWARD_LISTS
        point = resolve_as_of(as_of) if forward else checked_as_of(ws, as_of, conf)
        with step("care", f"building the {key} list") as s:
            listed = care_list(
                ws,
                key,
                point,
                include_opted_out=include_opted_out,
                locale=chosen,  # type: ignore[arg-type]
                config=conf,
            )
            s.rows = len(listed.frame)
        own = list(listed.frame.columns[listed.frame.columns.get_loc("list_name") + 1 :])
        emit_action_list(
            listed,
            out=out,
            hash_pii=hash_pii,
            locale=chosen,
            config=conf,
            what=f"the {key} list",
            title=f"{key} as of {point}",
            columns=[
                "customer_id",
                "name",
                "phone",
                "value_tier",
                "days_since_last_purchase",
                *own,
            ],
            fail_on_empty=fail_on_empty,
        )

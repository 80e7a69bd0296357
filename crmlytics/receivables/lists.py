"""The dunning list written like a segment list: contact and segment columns, ``list_name``
(``dunning``), then the columns of :func:`crmlytics.receivables.balances.dunning`; opted-out
customers removed and counted (:mod:`crmlytics.export.action_lists`). Ordered by most days
overdue, then largest amount, then ``customer_id``.

Opting out of marketing (``do_not_contact``) is not a reason not to be asked for money owed;
but the list is cut the way every list is, so ``include_opted_out`` keeps them on purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from crmlytics.asof import as_of as resolve_as_of
from crmlytics.export.action_lists import ActionList, action_list, write_action_list
from crmlytics.receivables.balances import AsOfLike, dunning

if TYPE_CHECKING:
    from crmlytics.config import Config
    from crmlytics.export.lists import ExportResult
    from crmlytics.workspace import Workspace

DUNNING = "dunning"


def dunning_list(
    ws: Workspace,
    as_of: AsOfLike = None,
    *,
    include_opted_out: bool = False,
    locale: Literal["en", "zh"] = "en",
    config: Config | None = None,
) -> ActionList:
    """The dunning list as of ``as_of`` (see :func:`crmlytics.receivables.balances.dunning`
    for who is on it) as a segment-list frame, opt-outs removed unless ``include_opted_out``."""
    from crmlytics.config import Config

    config = config or Config()
    point = resolve_as_of(as_of)
    return action_list(
        ws,
        dunning(ws, point, config.receivables),
        DUNNING,
        as_of=point,
        include_opted_out=include_opted_out,
        sort_by=[("max_days_overdue", False), ("dunning_amount", False)],
        locale=locale,
        config=config,
    )


def export_dunning(
    ws: Workspace,
    as_of: AsOfLike = None,
    *,
    out: str | Path,
    include_opted_out: bool = False,
    hash_pii: str | None = None,
    locale: Literal["en", "zh"] | None = None,
    config: Config | None = None,
) -> ExportResult:
    """Write the dunning list as of ``as_of`` to ``out`` (.csv / .xlsx / .parquet) like a
    segment list; returns rows written and opted-out customers left out."""
    from crmlytics.config import Config
    from crmlytics.export.lists import check_format, check_hash_method
    from crmlytics.labels import check_locale

    config = config or Config()
    check_format(out, None)
    check_hash_method(hash_pii)
    chosen = check_locale(locale or config.locale)
    listed = dunning_list(
        ws, as_of, include_opted_out=include_opted_out, locale=chosen, config=config
    )
    return write_action_list(listed, out, hash_pii=hash_pii, locale=chosen, config=config)

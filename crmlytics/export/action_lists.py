"""Action lists (whom to call, whom to chase for money) written exactly like a segment list.

A domain (receivables' dunning list, the care lists) decides *who* is on a list and *why*: an
Ibis table with one row per ``customer_id`` and the columns that explain it. This module turns
it into the same file a segment list is (:mod:`crmlytics.export.lists`): contact columns,
segment columns, then ``list_name`` and the list's own columns; opted-out customers
(``customers.do_not_contact``) removed and counted unless asked; ``hash_pii`` and the locale
honoured; written with the formula guard. Opt-outs are applied as they stand now, whatever the
as-of date (as for segment lists).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of

if TYPE_CHECKING:
    from crmlytics.config import Config
    from crmlytics.export.lists import ExportResult
    from crmlytics.workspace import Workspace

#: The column naming the list each row comes from (constant within a list).
LIST_NAME = "list_name"


@dataclass(frozen=True)
class ActionList:
    """A list as it would be written: the frame, the columns of its score table and the
    suppression counts."""

    frame: pd.DataFrame
    score_columns: tuple[str, ...]
    matched: int
    opted_out: int
    include_opted_out: bool
    source: str
    run_id: str | None


def action_list(
    ws: Workspace,
    members: ir.Table,
    name: str,
    *,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    include_opted_out: bool = False,
    sort_by: list[tuple[str, bool]] | None = None,
    locale: Literal["en", "zh"] = "en",
    config: Config | None = None,
) -> ActionList:
    """The customers of ``members`` (one row per ``customer_id``) as a segment-list frame.

    Columns: the contact and segment columns of a segment list
    (:func:`crmlytics.export.lists.list_columns`), ``list_name`` (= ``name``), then the
    columns of ``members`` in their order (a column the score table already has, e.g.
    ``value_tier``, comes from the score table). Customers of ``members`` missing from
    ``customers`` are left out (a list is for people who can be contacted). Rows are ordered
    by ``sort_by`` (``(column, ascending)`` pairs), then ``customer_id``.
    """
    named = members.select(
        "customer_id",
        ibis.literal(name).name(LIST_NAME),
        *[c for c in members.columns if c not in ("customer_id", LIST_NAME)],
    )
    return member_list(
        ws,
        named,
        LIST_NAME,
        name,
        as_of=as_of,
        include_opted_out=include_opted_out,
        sort_by=sort_by,
        locale=locale,
        config=config,
    )


def member_list(
    ws: Workspace,
    members: ir.Table,
    column: str,
    key: str,
    *,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    include_opted_out: bool = False,
    sort_by: list[tuple[str, bool]] | None = None,
    locale: Literal["en", "zh"] = "en",
    config: Config | None = None,
) -> ActionList:
    """The customers of ``members`` whose ``column`` is ``key``, as a segment-list frame.

    ``members`` has one row per ``customer_id`` and the columns that explain the list, among
    them ``column`` (e.g. a cross-sell list's ``target_item``); see :func:`action_list` for
    the columns, the customers left out and the order. The candidates are computed once for
    both the suppression counts and the rows.
    """
    from crmlytics.config import Config
    from crmlytics.export.lists import (
        candidate_counts,
        list_scores,
        require_customers,
        segment_candidates,
        suppressed,
    )
    from crmlytics.labels import labels

    config = config or Config()
    require_customers(ws)
    point = resolve_as_of(as_of)
    with list_scores(ws, point, config) as chosen:
        own = [c for c in members.columns if c != "customer_id" and c not in chosen.table.columns]
        extra = members.select(m_customer_id=members.customer_id, **{c: members[c] for c in own})
        joined = chosen.table.join(extra, chosen.table.customer_id == extra.m_customer_id)
        scores = joined.drop("m_customer_id")
        candidates = segment_candidates(
            ws.table("customers"),
            scores,
            column=column,
            segment=key,
            rfm_labels=labels("rfm_segment", locale),
        )
        with ws.cached(candidates) as computed:
            counts = candidate_counts(computed).to_pandas().iloc[0]
            frame = suppressed(computed, include_opted_out=include_opted_out).to_pandas()
    keys = [*(sort_by or []), ("customer_id", True)]
    frame = frame.sort_values(
        [k for k, _ in keys], ascending=[a for _, a in keys], kind="stable"
    ).reset_index(drop=True)
    return ActionList(
        frame=frame,
        score_columns=tuple(scores.columns),
        matched=int(counts["matched"]),
        opted_out=int(counts["opted_out"]),
        include_opted_out=include_opted_out,
        source=chosen.source,
        run_id=chosen.run_id,
    )


def write_action_list(
    listed: ActionList,
    out: str | Path,
    *,
    hash_pii: str | None = None,
    locale: Literal["en", "zh"] = "en",
    config: Config | None = None,
) -> ExportResult:
    """Write ``listed`` to ``out`` (.csv / .xlsx / .parquet) like a segment list
    (:func:`crmlytics.export.lists.finish_list`) and say what was written."""
    from crmlytics.config import Config
    from crmlytics.export.lists import ExportResult, check_format, check_hash_method, finish_list

    config = config or Config()
    path, fmt = check_format(out, None)
    check_hash_method(hash_pii)
    frame, written = finish_list(
        listed.frame,
        listed.score_columns,
        path,
        fmt,
        hash_pii=hash_pii,
        locale=locale,
        config=config,
    )
    return ExportResult(
        path=written,
        rows=len(frame),
        excluded_opted_out=0 if listed.include_opted_out else listed.opted_out,
        matched=listed.matched,
        opted_out=listed.opted_out,
        source=listed.source,
        run_id=listed.run_id,
    )

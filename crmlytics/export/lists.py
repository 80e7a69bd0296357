"""Segment lists for marketing: who is in a segment, filtered, opt-outs removed, written to a file.

The list is built as one Ibis expression over the score table and ``customers`` (so it runs on
DuckDB and Spark) and comes into pandas only at customer grain, at the end, for PII hashing and
writing.

Where the segments come from (:func:`list_scores`): when a successful score run exists for the
as-of date (``crmlytics score``, :mod:`crmlytics.runs`), the segments and scores are that run's,
as recorded, so the list is the one the nightly run decided: a configuration changed since (RFM
bins, value cut-offs, ...) does not change it. Without such a run they are computed now with the
current configuration (:func:`crmlytics.segments.customer_segments`), and the result says so
(:attr:`ExportResult.source` is the run id or ``"computed"``).

Columns, always in this order (:func:`list_columns`): ``customer_id, name, email, phone, region,
channel, customer_type`` (with ``hash_pii``: ``email_sha256, phone_sha256`` in place of ``email,
phone`` and no ``name``: see :mod:`crmlytics.export.pii`), then the segment columns
``rfm_segment, rfm_segment_label, value_tier, lifecycle``, then every other column of the score
table in its own order (``clv`` included when the score table has it). Rows are ordered by
``customer_id``.

Suppression: customers whose ``customers.do_not_contact`` is true are left out unless
``include_opted_out``; null counts as "no opt-out recorded". Opt-outs are applied as they stand
in ``customers`` now, whatever the as-of date of the scores: a customer who opted out after the
as-of date must not be contacted from a list computed as of an earlier date.

Locale: with ``zh``, CSV and Excel lists have Chinese headers and Chinese labels in every label
column (:func:`crmlytics.labels.localise`); Parquet keeps column names and English keys unless
``config.locale_machine_formats``.

Formats: ``csv`` (UTF-8 with BOM, so Excel shows Chinese), ``xlsx``, ``parquet``, taken from the
extension of ``out``. A format given as well must agree with it (``--format xlsx --out list.csv``
is an error, not a silently renamed file: a scheduled job that reads ``list.csv`` afterwards must
find it).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import ibis.expr.types as ir
import pandas as pd

from crmlytics.errors import ConfigError, DataError, WarehouseError
from crmlytics.export.pii import DROPPED_WHEN_HASHED, HASH_METHODS, hash_contact_columns
from crmlytics.export.where import WhereError, parse_where
from crmlytics.io import write_frame

if TYPE_CHECKING:
    from crmlytics.asof import AsOf
    from crmlytics.config import Config
    from crmlytics.workspace import Workspace

ExportFormat = Literal["csv", "xlsx", "parquet"]
EXPORT_FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet")
CONTACT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "name",
    "email",
    "phone",
    "region",
    "channel",
    "customer_type",
)
SEGMENT_COLUMNS: tuple[str, ...] = ("rfm_segment", "rfm_segment_label", "value_tier", "lifecycle")
_OPT_OUT = "do_not_contact"
#: :attr:`ExportResult.source` when the segments were computed at export time (no score run).
COMPUTED = "computed"
#: Columns a score run must hold, filled for every customer, for a list to be cut from it alone.
RUN_SEGMENT_COLUMNS: tuple[str, ...] = ("rfm_segment", "lifecycle")


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_segment` wrote.

    Attributes
    ----------
    path : Path
        The file written.
    rows : int
        Customers written.
    excluded_opted_out : int
        Customers in the segment (after ``where``) left out because ``do_not_contact`` is true;
        0 when opted-out customers were included.
    matched : int
        Customers in the segment matching ``where``, before suppression.
    opted_out : int
        How many of the matched customers have ``do_not_contact`` (excluded, or written when
        ``include_opted_out``).
    source : str
        Where the segments came from: the id of the score run they were read from, or
        ``"computed"`` (:data:`COMPUTED`) when no run for the as-of date holds them and they
        were computed at export time with the current configuration.
    run_id : str or None
        The score run of the as-of date whose columns the list used (all of them when
        ``source`` is that run; only its extra scores, e.g. ``clv``, when it holds no
        segments), or ``None`` when there is no run for the date.
    """

    path: Path
    rows: int
    excluded_opted_out: int
    matched: int
    opted_out: int
    source: str = COMPUTED
    run_id: str | None = None


def list_columns(scores: ir.Table | Sequence[str], *, hashed: str | None = None) -> list[str]:
    """The columns of a list built from ``scores`` (the score table or its column names), in
    output order (see module docstring)."""
    names = list(scores.columns) if isinstance(scores, ir.Table) else list(scores)
    contact = list(CONTACT_COLUMNS)
    if hashed:
        contact[2:4] = [f"email_{hashed}", f"phone_{hashed}"]
        contact = [c for c in contact if c not in DROPPED_WHEN_HASHED]
    placed = set(CONTACT_COLUMNS) | set(SEGMENT_COLUMNS)
    rest = [c for c in names if c not in placed and c != _OPT_OUT]
    return [*contact, *SEGMENT_COLUMNS, *rest]


def segment_candidates(
    customers: ir.Table,
    scores: ir.Table,
    *,
    column: str,
    segment: str,
    where: str | None = None,
    rfm_labels: Mapping[str, str] | None = None,
) -> ir.Table:
    """Customers of ``scores`` whose ``column`` equals ``segment`` and who match ``where``,
    with their contact details, in list column order plus a last ``do_not_contact`` column
    (true only for a recorded opt-out). Nothing is suppressed yet.

    Parameters
    ----------
    customers
        The canonical ``customers`` table (contact details and ``do_not_contact``).
    scores
        One row per customer: ``customer_id``, the segment columns ``rfm_segment``,
        ``value_tier``, ``lifecycle`` and any score columns (all usable in ``where``).
    column, segment
        The segmentation column and the key to keep, e.g. ``"value_tier"``, ``"gold"``.
    where
        Optional filter on score columns (:mod:`crmlytics.export.where`); never pasted into SQL.
    rfm_labels
        Display label of each ``rfm_segment`` key (locale already chosen); keys without a label
        are shown as the key.
    """
    required = ["customer_id", "rfm_segment", "value_tier", "lifecycle"]
    missing = [c for c in required if c not in scores.columns]
    if missing:
        raise DataError(f"the score table lacks column(s) {', '.join(missing)}")
    if column not in scores.columns:
        raise DataError(
            f"segment column {column!r} is not in the score table; "
            f"its columns are {', '.join(scores.columns)}"
        )
    reserved = {*CONTACT_COLUMNS[1:], "rfm_segment_label", _OPT_OUT, "contact_id"}
    clashes = [c for c in scores.columns if c in reserved]
    if clashes:
        raise DataError(f"score columns {clashes} clash with list columns of the same name")
    members = scores.filter(scores[column] == segment)
    if where is not None and where.strip():
        condition = parse_where(where, scores.schema())
        members = members.filter(condition.to_ibis(members))

    contacts = customers.select(
        contact_id=customers.customer_id,
        **{c: customers[c] for c in CONTACT_COLUMNS[1:]},
        do_not_contact=customers.do_not_contact.fill_null(False),
    )
    joined = members.left_join(contacts, members.customer_id == contacts.contact_id)
    label = joined.rfm_segment
    if rfm_labels:
        label = joined.rfm_segment.substitute(dict(rfm_labels), else_=joined.rfm_segment)
    derived = {"rfm_segment_label": label}
    columns = {c: derived[c] if c in derived else joined[c] for c in list_columns(scores)}
    return joined.select(**columns, do_not_contact=joined.do_not_contact.fill_null(False))


def suppressed(candidates: ir.Table, *, include_opted_out: bool = False) -> ir.Table:
    """The list to write: ``candidates`` without opted-out customers (unless
    ``include_opted_out``), without the ``do_not_contact`` flag, ordered by ``customer_id``."""
    kept = candidates if include_opted_out else candidates.filter(~candidates[_OPT_OUT])
    return kept.drop(_OPT_OUT).order_by("customer_id")


def candidate_counts(candidates: ir.Table) -> ir.Table:
    """One row: ``matched`` (customers in the segment matching the filter) and ``opted_out``
    (how many of them have ``do_not_contact``)."""
    return candidates.aggregate(
        matched=candidates.count(),
        opted_out=candidates[_OPT_OUT].cast("int64").sum().fill_null(0),
    )


# -- writing ------------------------------------------------------------------------------------


def check_format(out: str | Path, format: str | None = None) -> tuple[Path, str]:
    """The path and format of an export, from the extension of ``out`` (``.csv``, ``.xlsx``,
    ``.parquet``, any case); ``format``, if given, must agree with it.

    Raises :class:`~crmlytics.errors.ConfigError` (a ``ValueError``) for an extension that is
    not a list format, an unknown ``format`` or a ``format`` that disagrees with the extension.
    """
    path = Path(out)
    suffix = path.suffix.lower().lstrip(".")
    if format is not None:
        fmt = format.lower().lstrip(".")
        if fmt not in EXPORT_FORMATS:
            raise ConfigError(
                f"unknown export format {format!r} (--format); use one of "
                f"{', '.join(EXPORT_FORMATS)}"
            )
        if suffix != fmt:
            raise ConfigError(
                f"--format {fmt} does not match the extension of {path} "
                f"({'.' + suffix if suffix else 'none'}); name the file "
                f"{path.with_suffix('.' + fmt)}"
            )
        return path, fmt
    if suffix not in EXPORT_FORMATS:
        raise ConfigError(
            f"unknown export format: --out {path} has extension "
            f"{'.' + suffix if suffix else '(none)'}; name the file .csv, .xlsx or .parquet"
        )
    return path, suffix


def write_list(
    frame: pd.DataFrame,
    out: str | Path,
    format: str | None = None,
    *,
    csv_formula_guard: bool = True,
) -> Path:
    """Write a list as CSV (UTF-8 with BOM), Excel or Parquet with
    :func:`crmlytics.io.write_frame` after checking ``format`` against the extension. CSV text
    that a spreadsheet would run as a formula is neutralised unless ``csv_formula_guard`` is
    off (``export.csv_formula_guard`` in the config)."""
    path, _ = check_format(out, format)
    return write_frame(frame, path, sheet_name="list", csv_formula_guard=csv_formula_guard)


def check_hash_method(hash_pii: str | None) -> None:
    """Raise :class:`~crmlytics.errors.ConfigError` for an unknown ``--hash-pii`` method."""
    if hash_pii is not None and hash_pii not in HASH_METHODS:
        raise ConfigError(f"unknown --hash-pii {hash_pii!r}; supported: {', '.join(HASH_METHODS)}")


def require_customers(ws: Workspace) -> None:
    """Every list is checked against the opt-outs in ``customers``: with no customers that
    cannot be done, so nothing may be exported (:class:`~crmlytics.errors.WarehouseError`)."""
    if ws.table("customers").count().to_pyarrow().as_py() == 0:
        raise WarehouseError(
            "the customers table is empty, so opt-outs (do_not_contact) cannot be checked and "
            "nothing may be exported; load customers with `crmlytics ingest customers FILE`"
        )


def finish_list(
    frame: pd.DataFrame,
    scores: ir.Table | Sequence[str],
    path: Path,
    fmt: str,
    *,
    hash_pii: str | None,
    locale: str,
    config: Config,
) -> tuple[pd.DataFrame, Path]:
    """The last steps every list takes: contact columns hashed (``hash_pii``), headers and
    labels in ``locale`` for files meant for people, written with the formula guard. Returns
    the frame as written and the path."""
    from crmlytics.labels import for_people, localise

    if hash_pii:
        frame = hash_contact_columns(
            frame,
            method=hash_pii,
            default_country_code=config.export.default_country_code,
            remove_gmail_dots=config.export.remove_gmail_dots,
        )
        frame = frame[list_columns(scores, hashed=hash_pii)]
    if for_people(path, machine_formats=config.locale_machine_formats):
        frame = localise(frame, locale)
    written = write_list(frame, path, fmt, csv_formula_guard=config.export.csv_formula_guard)
    return frame, written


# -- the whole job ------------------------------------------------------------------------------


def export_segment(
    ws: Workspace,
    segment: str,
    *,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    where: str | None = None,
    format: ExportFormat | None = None,
    out: str | Path,
    include_opted_out: bool = False,
    hash_pii: str | None = None,
    locale: Literal["en", "zh"] | None = None,
    config: Config | None = None,
) -> ExportResult:
    """Write the customers of ``segment`` as of ``as_of`` to ``out`` for a marketing campaign.

    Parameters
    ----------
    ws
        The warehouse.
    segment
        An RFM segment (``champions``), value tier (``gold``) or lifecycle class (``dormant``)
        by key, English label (any case) or Chinese label (``沉寂客户``); a name two
        segmentations share must be qualified, ``lifecycle:lost``
        (:func:`crmlytics.segments.resolve_segment`).
    as_of
        Scores see only data at or before this point (a date means the end of that day;
        default today). Opt-outs and contact details are taken as they are now.
    where
        Filter on score columns, e.g. ``"clv > 100 and r_score >= 4"``
        (:mod:`crmlytics.export.where`); parsed safely, never pasted into SQL.
    format, out
        The file; its extension (``.csv`` / ``.xlsx`` / ``.parquet``) gives the format, and
        ``format``, if given, must agree with it.
    include_opted_out
        Keep customers with ``do_not_contact`` (default: leave them out and count them).
    hash_pii
        ``"sha256"``: write ``email_sha256`` / ``phone_sha256`` (normalised, hashed; see
        :mod:`crmlytics.export.pii`) instead of clear-text ``email`` / ``phone``, and leave
        ``name`` out (``customer_id`` stays): the file holds no clear-text PII.
    locale
        ``en`` / ``zh`` (default ``config.locale``): the language of ``rfm_segment_label``
        and, in CSV and Excel files, of the headers and of every label column
        (:func:`crmlytics.labels.localise`: ``rfm_segment``, ``value_tier``, ``lifecycle``,
        ``stage``, ``activity``, ``customer_type``). Parquet keeps column names and English
        keys unless ``config.locale_machine_formats``.
    config
        Settings; ``config.segments`` for segments computed when there is no score run,
        ``config.export`` for phone normalisation.

    Returns
    -------
    ExportResult
        Path, rows written, customers excluded for ``do_not_contact``, customers matched,
        how many of them had opted out, and where the segments came from (``source``: the
        score run of the as-of date, or ``"computed"``; see the module docstring).
    """
    from crmlytics.config import Config
    from crmlytics.labels import check_locale, labels
    from crmlytics.segments import resolve_segment

    config = config or Config()
    path, fmt = check_format(out, format)
    check_hash_method(hash_pii)
    locale = check_locale(locale or config.locale)
    column, key = resolve_segment(segment)
    require_customers(ws)

    with list_scores(ws, as_of, config) as chosen:
        scores = chosen.table
        if where is not None and where.strip():
            _check_where(where, scores, as_of)
        candidates = segment_candidates(
            ws.table("customers"),
            scores,
            column=column,
            segment=key,
            where=where,
            rfm_labels=labels("rfm_segment", locale),
        )
        # one query: the segment's candidates (customer grain) with their opt-out flag,
        # ordered; counts and suppression are then taken from that frame (as
        # candidate_counts / suppressed)
        every = candidates.order_by("customer_id").to_pandas()
    opted = every[_OPT_OUT].fillna(False).astype(bool)
    matched, opted_out = len(every), int(opted.sum())
    kept = every if include_opted_out else every[~opted.to_numpy()]
    frame = kept.drop(columns=_OPT_OUT).reset_index(drop=True)
    frame, written = finish_list(
        frame, scores, path, fmt, hash_pii=hash_pii, locale=locale, config=config
    )
    return ExportResult(
        path=written,
        rows=len(frame),
        excluded_opted_out=0 if include_opted_out else opted_out,
        matched=matched,
        opted_out=opted_out,
        source=chosen.source,
        run_id=chosen.run_id,
    )


def _check_where(where: str, scores: ir.Table, as_of: object) -> None:
    try:
        parse_where(where, scores.schema())
    except WhereError as exc:
        message = str(exc)
        if "unknown column" in message and "did you mean" not in message:
            from crmlytics.asof import as_of as resolve_as_of

            day = resolve_as_of(as_of).date  # type: ignore[arg-type]
            raise WhereError(
                f"{exc}. Model scores such as clv are read from the score run recorded for the "
                f"same as-of date ({day}; crmlytics.runs.record_scores): record one first"
            ) from None
        raise


@dataclass(frozen=True)
class ListScores:
    """The score table a list is cut from (:func:`list_scores`) and where it came from."""

    table: ir.Table
    source: str
    run_id: str | None


@contextmanager
def list_scores(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: Config | None = None,
) -> Iterator[ListScores]:
    """The score table lists are cut from, one row per customer (every column usable in
    ``where``), and its source, for the duration of a ``with`` block.

    - The newest successful score run for the as-of date (:func:`crmlytics.runs.latest_run_id`)
      holds segments (``rfm_segment`` and ``lifecycle`` filled for every customer, as
      ``crmlytics score`` records them): its rows as recorded; ``source`` is its id. Nothing
      is recomputed, so the configuration of the run, not today's, decides the segments.
    - Otherwise :func:`crmlytics.segments.customer_segments` as of ``as_of`` with ``config``
      (``source`` ``"computed"``), followed by the columns of that run, if there is one
      without segments (e.g. only ``clv``), that the segments do not already have. The
      customer facts they read are computed once, on entering the block, and kept until it
      ends (:func:`crmlytics.segments.core.computed_segments`).

    Looks up the run (two small queries); the table yielded is an expression.

    >>> with list_scores(ws, "2025-06-30") as chosen:  # doctest: +SKIP
    ...     champions = chosen.table.filter(chosen.table.rfm_segment == "champions")
    """
    from crmlytics.asof import as_of as resolve_as_of
    from crmlytics.joins import with_customer_columns
    from crmlytics.runs import latest_run_id, run_scores
    from crmlytics.segments.core import computed_segments

    point = resolve_as_of(as_of)
    run_id = latest_run_id(ws, point)
    run = None if run_id is None else run_scores(ws, run_id)
    if run is not None and _holds_segments(run):
        yield ListScores(run, source=run_id, run_id=run_id)  # type: ignore[arg-type]
        return
    with computed_segments(ws, point, config) as scores:
        if run is not None:
            extra = [c for c in run.columns if c not in scores.columns]
            if extra:
                scores = with_customer_columns(scores, run.select("customer_id", *extra))
        yield ListScores(scores, source=COMPUTED, run_id=run_id)


def _holds_segments(run: ir.Table) -> bool:
    """Whether every customer of ``run`` has its segments (a run of ``crmlytics score``)."""
    if any(c not in run.columns for c in ("customer_id", *RUN_SEGMENT_COLUMNS, "value_tier")):
        return False
    filled = run.aggregate(
        customers=run.count(),
        **{f"with_{c}": run[c].count() for c in RUN_SEGMENT_COLUMNS},
    ).to_pandas()
    row = filled.iloc[0]
    n = int(row["customers"])
    return n > 0 and all(int(row[f"with_{c}"]) == n for c in RUN_SEGMENT_COLUMNS)

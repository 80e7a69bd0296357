"""Canonical tables: the column contract between ingest and analysis.

Every canonical table is described once here: its columns with their types, which of them are
required, and its natural key (the columns that identify a row, so that loading the same row twice
replaces instead of doubling it). Ingest writes these tables; analysis only reads them.

Types are Ibis type strings so the same description serves DuckDB and Spark. Money is ``float64``
in the currency of the source; timestamps are naive local time as recorded by the source system.
Each table also has an ``attributes`` column: a JSON object with the extra source columns that have
no canonical name (kept unless the mapping drops them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.datatypes as dt

from crmlytics.errors import UnknownNameError

ATTRIBUTES = "attributes"


@dataclass(frozen=True)
class Column:
    """One canonical column: its name, Ibis type, whether a row without it is rejected, and the
    rules ingest enforces on its values.

    Attributes
    ----------
    allowed
        The values the column may hold (text columns: compared case-insensitively and stored in
        lower case). Any other value is a reject naming the allowed ones.
    minimum, maximum
        Inclusive bounds of a number column; a value outside them is a reject.
    default
        The value stored when the source has no value (or no such column).
    negative_when
        ``(column, value)``: when that column holds that value, the number is stored negative
        (``-abs``): a return's amount is negative whichever sign the source wrote.
    guarded
        A value (as SQL text, e.g. ``"true"``) that a load must not take away silently: a row
        that replaces it is still loaded, but counted and listed on its own (an opt-out undone).
    not_before
        Another column of the same row that this one may not precede (``due_at`` not before
        ``issued_at``); compared only when both hold a value (timestamps by calendar day, so a
        date due on the day of a timed issue is fine), else the row is a reject.
    references
        ``(table, column)``: the value must exist in that column of that canonical table as
        loaded so far (a payment's ``invoice_id`` in ``invoices``); else the row is a reject.
        Load the referenced table first.
    """

    name: str
    dtype: str
    required: bool = False
    description: str = ""
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: str | None = None
    negative_when: tuple[str, str] | None = None
    guarded: str | None = None
    not_before: str | None = None
    references: tuple[str, str] | None = None

    @property
    def checked(self) -> bool:
        """Whether a value present in the source can be rejected (a type or a rule to meet)."""
        return (
            self.dtype != "string"
            or self.allowed is not None
            or self.minimum is not None
            or self.maximum is not None
            or self.not_before is not None
            or self.references is not None
        )


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: ordered columns and the natural key that identifies a row."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    numbered: tuple[str, tuple[str, ...]] | None = None
    """``(column, within)``: a key column that may be missing in the source, then numbered
    within the ``within`` columns (transactions: ``line_no`` within order and kind)."""
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownNameError(
                f"{self.name} has no column {name!r}; its columns are {', '.join(self.names)}"
            ) from None

    def ibis_schema(self, *, with_attributes: bool = True) -> ibis.Schema:
        pairs = [(c.name, dt.dtype(c.dtype)) for c in self.columns]
        if with_attributes:
            pairs.append((ATTRIBUTES, dt.string))
        return ibis.schema(pairs)


ColumnSpec = Column
"""Alias: the column contract of one canonical column."""


def _c(
    name: str, dtype: str, required: bool = False, description: str = "", **rules: Any
) -> Column:
    return Column(name, dtype, required, description, **rules)


CUSTOMERS = TableSpec(
    "customers",
    (
        _c("customer_id", "string", True),
        _c("name", "string"),
        _c("customer_type", "string", description="individual / company / government / partner"),
        _c("region", "string"),
        _c("channel", "string"),
        _c("signup_date", "date"),
        _c("email", "string"),
        _c("phone", "string"),
        _c("do_not_contact", "boolean", description="opted out of marketing", guarded="true"),
        _c("referred_by", "string", description="customer_id of the referrer"),
        _c("credit_limit", "float64", minimum=0),
        _c("closed_at", "timestamp", description="contractual businesses: account closed"),
        _c("birth_date", "date", description="individuals: date of birth (care lists)"),
    ),
    key=("customer_id",),
)

PRODUCTS = TableSpec(
    "products",
    (
        _c("product_id", "string", True),
        _c("name", "string"),
        _c("category", "string"),
        _c("price", "float64", minimum=0),
        _c("launch_date", "date"),
    ),
    key=("product_id",),
)

TRANSACTIONS = TableSpec(
    "transactions",
    (
        _c("order_id", "string", True),
        _c(
            "line_no",
            "int64",
            description="line within the order (from 1); numbered in file order if absent",
            minimum=1,
        ),
        _c(
            "kind",
            "string",
            description="sale / return (default sale)",
            allowed=("sale", "return"),
            default="sale",
        ),
        _c("customer_id", "string", True),
        _c("order_ts", "timestamp", True),
        _c("product_id", "string"),
        _c("category", "string"),
        _c("quantity", "float64"),
        _c(
            "amount",
            "float64",
            True,
            "currency units; negative for a return or refund",
            negative_when=("kind", "return"),
        ),
        _c("cost", "float64", description="cost of goods of the line, currency units"),
        _c("channel", "string"),
    ),
    key=("order_id", "line_no", "kind"),
    numbered=("line_no", ("order_id",)),
)

INTERACTIONS = TableSpec(
    "interactions",
    (
        _c("interaction_id", "string", True),
        _c("customer_id", "string", True),
        _c("ts", "timestamp", True),
        _c("channel", "string"),
        _c("kind", "string"),
        _c("staff_id", "string"),
        _c("outcome", "string"),
    ),
    key=("interaction_id",),
)

COMPLAINTS = TableSpec(
    "complaints",
    (
        _c("complaint_id", "string", True),
        _c("customer_id", "string", True),
        _c("opened_at", "timestamp", True, "受理: complaint received"),
        _c("category", "string"),
        _c("severity", "int64", description="1 (low) to 3 (high)", minimum=1, maximum=3),
        _c("channel", "string"),
        _c("product_id", "string"),
        _c("order_id", "string"),
        _c("description", "string"),
        _c("handled_at", "timestamp", description="处理: first handled"),
        _c("resolved_at", "timestamp", description="处理完成: resolved"),
        _c("followed_up_at", "timestamp", description="日后追踪: followed up"),
        _c("satisfaction", "int64", description="1-5", minimum=1, maximum=5),
        _c("status", "string"),
    ),
    key=("complaint_id",),
)

OPPORTUNITIES = TableSpec(
    "opportunities",
    (
        _c("opportunity_id", "string", True),
        _c("customer_id", "string"),
        _c("source", "string", description="商机来源"),
        _c("region", "string"),
        _c("owner", "string"),
        _c("expected_value", "float64", minimum=0),
        _c("competitor", "string"),
        _c("created_at", "timestamp", True),
        _c("closed_at", "timestamp"),
        _c("outcome", "string", description="won / lost / open", allowed=("won", "lost", "open")),
        _c("lost_reason", "string"),
    ),
    key=("opportunity_id",),
)

OPPORTUNITY_STAGES = TableSpec(
    "opportunity_stages",
    (
        _c("opportunity_id", "string", True),
        _c("stage", "string", True),
        _c("entered_at", "timestamp", True),
    ),
    key=("opportunity_id", "stage", "entered_at"),
)

CAMPAIGN_TOUCHES = TableSpec(
    "campaign_touches",
    (
        _c("campaign_id", "string", True),
        _c("customer_id", "string", True),
        _c("sent_at", "timestamp", True),
        _c("opened_at", "timestamp"),
        _c("clicked_at", "timestamp"),
        _c("converted_at", "timestamp"),
        _c("cost", "float64", minimum=0),
    ),
    key=("campaign_id", "customer_id", "sent_at"),
)

SALES_TARGETS = TableSpec(
    "sales_targets",
    (
        _c("owner", "string", True, "the owner of opportunities (opportunities.owner)"),
        _c(
            "period",
            "string",
            True,
            "target period label: 2024-06 (month), 2024-Q2 (quarter) or 2024 (year)",
        ),
        _c("target_amount", "float64", True, "won value aimed at, currency units", minimum=0),
    ),
    key=("owner", "period"),
    description="sales targets per owner and period (员工业绩目标)",
)

INVOICES = TableSpec(
    "invoices",
    (
        _c("invoice_id", "string", True),
        _c("customer_id", "string", True),
        _c("order_id", "string", description="the order invoiced, when there is one"),
        _c("issued_at", "timestamp", True),
        _c(
            "due_at",
            "timestamp",
            True,
            "payment due (a date means midnight); not before issued_at",
            not_before="issued_at",
        ),
        _c("amount", "float64", True, "currency units invoiced", minimum=0),
    ),
    key=("invoice_id",),
)

PAYMENTS = TableSpec(
    "payments",
    (
        _c("payment_id", "string", True),
        _c(
            "invoice_id",
            "string",
            True,
            "the invoice paid; must be in invoices (load invoices first)",
            references=("invoices", "invoice_id"),
        ),
        _c("paid_at", "timestamp", True),
        _c("amount", "float64", True, "currency units received", minimum=0),
    ),
    key=("payment_id",),
)

CANONICAL: dict[str, TableSpec] = {
    t.name: t
    for t in (
        CUSTOMERS,
        PRODUCTS,
        TRANSACTIONS,
        INTERACTIONS,
        COMPLAINTS,
        OPPORTUNITIES,
        OPPORTUNITY_STAGES,
        CAMPAIGN_TOUCHES,
        SALES_TARGETS,
        INVOICES,  # before payments: a payment's invoice must be loaded first
        PAYMENTS,
    )
}

# Bookkeeping tables written by crmlytics itself (not ingested).
LOAD_LOG = ibis.schema(
    {
        "load_id": "string",
        "table_name": "string",
        "file": "string",
        "file_sha256": "string",
        "rows_read": "int64",
        "rows_loaded": "int64",
        "rows_rejected": "int64",
        "rows_duplicate": "int64",
        "started_at": "timestamp",
        "finished_at": "timestamp",
        "status": "string",
        "rows_updated": "int64",
        "dialect": "string",
        "rows_guard_undone": "int64",
    }
)

REJECTS = ibis.schema(
    {
        "load_id": "string",
        "table_name": "string",
        "file": "string",
        "line_no": "int64",
        "column_name": "string",
        "raw_line": "string",
        "reason": "string",
        "rejected_at": "timestamp",
    }
)

SCORE_RUNS = ibis.schema(
    {
        "run_id": "string",
        "as_of": "date",
        "started_at": "timestamp",
        "finished_at": "timestamp",
        "status": "string",
        "config_hash": "string",
        "model_versions": "string",
        "score_columns": "string",  # JSON list: the columns this run wrote
    }
)

# Customer merges (客户合并, crmlytics.customers.merge): one row per merge applied; undone
# merges keep their row with ``undone_at`` set.
CUSTOMER_MERGES = ibis.schema(
    {
        "merge_id": "string",
        "kept_id": "string",
        "dropped_id": "string",
        "merged_at": "timestamp",
        "reason": "string",
        "rows_moved": "int64",
        "undone_at": "timestamp",
    }
)

SYSTEM: dict[str, ibis.Schema] = {
    "load_log": LOAD_LOG,
    "rejects": REJECTS,
    "score_runs": SCORE_RUNS,
    "customer_merges": CUSTOMER_MERGES,
}


def spec(table: str) -> TableSpec:
    """The canonical table called ``table``, or a clear error naming the known ones."""
    try:
        return CANONICAL[table]
    except KeyError:
        raise UnknownNameError(
            f"unknown table {table!r}; canonical tables are {', '.join(CANONICAL)}"
        ) from None

"""A deterministic, realistic demo data set for every canonical table, with its planted truth.

Purchases follow BG/NBD (many one-off buyers, a few heavy buyers, customers who quietly stop) and
order values Gamma-Gamma, independently; baskets hold planted product pairs; returns, costs,
complaints with every handling timestamp, opportunities with stage histories, campaign touches,
prospects who never buy, referrals and opted-out customers, invoices with on-time, late, partial
and over-payments, and birth dates are all there. The parameters are in
:mod:`crmlytics.demo.params` and come back as ``DemoData.truth`` (and ``truth.json``), so later
analyses can be checked against what was planted. Same ``customers``, ``seed`` and ``as_of`` give
identical tables (and byte-identical files).

Examples
--------
>>> from crmlytics.demo import generate_demo
>>> demo = generate_demo(customers=200, seed=1)
>>> sorted(demo.tables) == sorted(["customers", "products", "transactions", "interactions",
...     "complaints", "opportunities", "opportunity_stages", "campaign_touches", "invoices",
...     "payments", "sales_targets"])
True
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmlytics.demo import names, simulate
from crmlytics.demo.params import FUNNEL_STAGES, DemoParams
from crmlytics.errors import ConfigError
from crmlytics.schema import CANONICAL, spec

DEFAULT_AS_OF = _dt.date(2025, 6, 30)
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_STREAMS = (
    "population",
    "orders",
    "finish",
    "customers",
    "catalogue",
    "transactions",
    "interactions",
    "complaints",
    "opportunities",
    "campaigns",
    "receivables",
    "birthdays",
)

__all__ = [
    "DEFAULT_AS_OF",
    "DemoData",
    "DemoParams",
    "DemoTruth",
    "generate_demo",
    "summarise_files",
    "write_demo",
]


@dataclass(frozen=True)
class DemoTruth:
    """What was planted in a demo data set.

    Attributes
    ----------
    seed, customers, as_of
        The arguments the data set was generated with (nothing in it is dated after ``as_of``).
    params
        Every planted parameter (:class:`crmlytics.demo.params.DemoParams`): BG/NBD ``r``,
        ``alpha`` (days), ``a``, ``b``; Gamma-Gamma ``p``, ``q``, ``gamma`` (yuan); shares of
        prospects, opted-out and referred customers; planted product pairs; funnel conversion
        rates; complaint handling and satisfaction model; campaigns. Per category cost ratios
        and return rates are in :data:`crmlytics.demo.names.CATEGORIES` (and ``truth.json``).
    implied
        Quantities the parameters imply for this population: ``one_off_share_of_buyers``
        (mean over buyers of ``(alpha / (alpha + T))^r``, T = days from first purchase to the
        as-of date), ``mean_order_value`` (``p * gamma / (q - 1)``), ``alpha_weeks``,
        ``win_rate`` (product of the stage conversions).
    rows
        Rows written per table.
    """

    seed: int
    customers: int
    as_of: _dt.date
    params: DemoParams
    implied: dict[str, Any]
    rows: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (dates as ISO strings)."""
        return {
            "seed": self.seed,
            "customers": self.customers,
            "as_of": self.as_of.isoformat(),
            "time_unit": "days",
            "currency": "yuan",
            "params": _readable(dataclasses.asdict(self.params)),
            "stage_conversion": {
                f"{a}->{b}": rate
                for a, b, rate in zip(
                    FUNNEL_STAGES[:-1],
                    FUNNEL_STAGES[1:],
                    self.params.funnel.conversion,
                    strict=True,
                )
            },
            "categories": {
                key: {"label": label, "cost_ratio": cost, "return_rate": returned}
                for key, (label, cost, returned) in names.CATEGORIES.items()
            },
            "implied": self.implied,
            "rows": self.rows,
        }


def _readable(value: Any) -> Any:
    """Tuples of ``(key, number)`` pairs become JSON objects; planted pairs named fields."""
    if isinstance(value, dict):
        return {k: _readable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        if value and all(
            isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) for v in value
        ):
            return {k: _readable(v) for k, v in value}
        if value and all(isinstance(v, tuple) and len(v) == 3 for v in value):
            return [{"head": h, "partner": t, "p_follow": p} for h, t, p in value]
        return [_readable(v) for v in value]
    return value


@dataclass(frozen=True)
class DemoData:
    """One pandas frame per canonical table (canonical columns and types), plus the truth.

    ``customer_truth`` holds each customer's latent state (BG/NBD rate and drop-out probability,
    whether and when they dropped out, Gamma-Gamma mean order value, favourite category): what a
    perfect model would know.
    """

    customers: pd.DataFrame
    products: pd.DataFrame
    transactions: pd.DataFrame
    interactions: pd.DataFrame
    complaints: pd.DataFrame
    opportunities: pd.DataFrame
    opportunity_stages: pd.DataFrame
    campaign_touches: pd.DataFrame
    sales_targets: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame
    truth: DemoTruth
    customer_truth: pd.DataFrame

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The canonical tables by name, in the order of :data:`crmlytics.schema.CANONICAL`."""
        return {name: getattr(self, name) for name in CANONICAL}


def generate_demo(
    customers: int = 2000,
    seed: int = 7,
    as_of: _dt.date = DEFAULT_AS_OF,
    *,
    params: DemoParams | None = None,
) -> DemoData:
    """Simulate a demo data set of ``customers`` customers with history up to ``as_of``.

    Parameters
    ----------
    customers
        Number of customers (prospects included); at least 10.
    seed
        Seed of the numpy random generator; the same arguments give identical frames.
    as_of
        The last day of the history (end of that day): nothing is dated later. Sign-ups spread
        over about three years before it.
    params
        Planted parameters; the documented defaults of :class:`DemoParams` if not given.

    Returns
    -------
    DemoData
        Canonical tables (money in yuan, timestamps naive local time) and the planted truth.
    """
    if isinstance(customers, bool) or not isinstance(customers, (int, np.integer)):
        raise ConfigError(f"customers must be an integer, got {customers!r}")
    if customers < 10:
        raise ConfigError(f"customers must be at least 10, got {customers}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(as_of, _dt.datetime) or not isinstance(as_of, _dt.date):
        raise ConfigError(f"as_of must be a datetime.date, got {as_of!r}")
    params = params or DemoParams()
    customers = int(customers)
    clock = simulate.Clock(as_of)
    if clock.shift_days:  # campaign dates move with the as-of date, like the whole history
        params = dataclasses.replace(
            params,
            campaigns=tuple(
                dataclasses.replace(c, sent=clock.shifted(c.sent)) for c in params.campaigns
            ),
        )
    streams = dict(
        zip(
            _STREAMS,
            (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(_STREAMS))),
            strict=True,
        )
    )
    pop = simulate.simulate_population(streams["population"], customers, params, clock)
    orders = simulate.simulate_orders(streams["orders"], pop, params)
    simulate.finish_population(streams["finish"], pop, params, orders)
    cat = simulate.catalogue(streams["catalogue"], params, clock)
    transactions, first_product = simulate.transactions_frame(
        streams["transactions"], pop, orders, cat, params, clock
    )
    opportunities, stages = simulate.opportunities_frames(
        streams["opportunities"], pop, params, clock
    )
    customers_table = simulate.customers_frame(streams["customers"], pop, params, clock)
    customers_table["birth_date"] = simulate.birth_dates(streams["birthdays"], pop, params, clock)
    invoices, payments = simulate.receivables_frames(
        streams["receivables"], pop, transactions, params, clock
    )
    tables = {
        "customers": customers_table,
        "products": simulate.products_frame(cat, clock),
        "transactions": transactions,
        "interactions": simulate.interactions_frame(streams["interactions"], pop, params, clock),
        "complaints": simulate.complaints_frame(
            streams["complaints"], pop, orders, first_product, cat, params, clock
        ),
        "opportunities": opportunities,
        "opportunity_stages": stages,
        "campaign_touches": simulate.campaign_touches_frame(
            streams["campaigns"], pop, params, clock
        ),
        "sales_targets": sales_targets_frame(opportunities, params.funnel.win_rate),
        "invoices": invoices,
        "payments": payments,
    }
    tables = {name: _conform(name, frame) for name, frame in tables.items()}
    customer_truth = simulate.customer_truth_frame(pop, params, clock)

    bg, gg = params.bgnbd, params.gamma_gamma
    t_buyers = customer_truth.loc[customer_truth["buyer"], "T_days"].to_numpy()
    implied = {
        "one_off_share_of_buyers": float(np.mean(bg.p_no_repeat(t_buyers))),
        "mean_order_value": gg.mean_order_value,
        "alpha_weeks": bg.alpha_weeks,
        "win_rate": params.funnel.win_rate,
    }
    truth = DemoTruth(
        seed=int(seed),
        customers=customers,
        as_of=as_of,
        params=params,
        implied=implied,
        rows={name: len(frame) for name, frame in tables.items()},
    )
    return DemoData(**tables, truth=truth, customer_truth=customer_truth)


def sales_targets_frame(opportunities: pd.DataFrame, win_rate: float) -> pd.DataFrame:
    """Monthly targets per owner (``2024-06``): the owner's expected value of opportunities
    created per month (median over the owner's months) times the planted win rate, rounded to
    hundreds; the same target every month from the owner's first to last opportunity."""
    opp = opportunities.dropna(subset=["owner"])
    month = pd.to_datetime(opp["created_at"]).dt.to_period("M")
    monthly = opp.assign(month=month).groupby(["owner", "month"])["expected_value"].sum()
    rows = []
    for owner, values in monthly.groupby(level=0):
        target = round(float(values.median()) * win_rate, -2)
        months = values.index.get_level_values("month")
        for m in pd.period_range(months.min(), months.max(), freq="M"):
            rows.append(dict(owner=owner, period=str(m), target_amount=target))
    return pd.DataFrame(rows, columns=["owner", "period", "target_amount"])


def _conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical column order and pandas dtypes matching the canonical Ibis types."""
    table_spec = spec(name)
    out = {}
    for column in table_spec.columns:
        values = frame[column.name]
        if column.dtype == "string":
            out[column.name] = values.astype(object).where(values.notna(), None)
        elif column.dtype == "float64":
            out[column.name] = values.astype("float64")
        elif column.dtype == "int64":
            out[column.name] = values.astype("Int64" if values.isna().any() else "int64")
        elif column.dtype == "boolean":
            out[column.name] = values.astype("bool")
        elif column.dtype == "timestamp":
            out[column.name] = pd.to_datetime(values).astype("datetime64[us]")
        elif column.dtype == "date":
            out[column.name] = values.astype(object)
        else:  # pragma: no cover - a new canonical type needs a rule here
            raise TypeError(f"no demo dtype rule for {name}.{column.name}: {column.dtype}")
    return pd.DataFrame(out)


def write_demo(
    out_dir: str | os.PathLike[str] = Path("data") / "demo",
    customers: int = 2000,
    seed: int = 7,
    as_of: _dt.date = DEFAULT_AS_OF,
) -> dict[str, Path]:
    """Generate the demo data set and write it to ``out_dir``.

    Each canonical table goes to ``<table>.csv`` (UTF-8, canonical headers, timestamps as
    ``YYYY-MM-DD HH:MM:SS``, booleans ``true``/``false``, nulls as empty fields), the planted
    parameters to ``truth.json`` and each customer's latent state to ``truth_customers.csv``.
    The same arguments write byte-identical files.

    Returns
    -------
    dict
        The path written for each canonical table (by table name), then ``truth`` and
        ``truth_customers``.
    """
    demo = generate_demo(customers, seed, as_of)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, frame in demo.tables.items():
        paths[name] = _write_csv(frame, out / f"{name}.csv")
    truth_path = out / "truth.json"
    _atomic_write_text(
        truth_path, json.dumps(demo.truth.to_dict(), ensure_ascii=False, indent=2) + "\n"
    )
    paths["truth"] = truth_path
    paths["truth_customers"] = _write_csv(demo.customer_truth, out / "truth_customers.csv")
    return paths


def summarise_files(paths: dict[str, Path]) -> pd.DataFrame:
    """Rows per file written by :func:`write_demo`: columns ``name``, ``path``, ``rows``.

    ``rows`` counts CSV data rows (the demo's CSV files hold no embedded line breaks); it is -1
    for files that are not tables (``truth.json``).
    """
    records = []
    for name, path in paths.items():
        rows = -1
        if path.suffix == ".csv":
            with path.open("rb") as handle:
                rows = sum(1 for _ in handle) - 1
        records.append((name, path, rows))
    return pd.DataFrame(records, columns=["name", "path", "rows"])


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == bool:
            frame[column] = np.where(frame[column], "true", "false")
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(
        tmp, index=False, encoding="utf-8", lineterminator="\n", date_format=TIMESTAMP_FORMAT
    )
    tmp.replace(path)
    return path


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)

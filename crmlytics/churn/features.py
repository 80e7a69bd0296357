"""Churn features as of a cutoff: Ibis expressions over the canonical tables and the facts.

Every feature sees only rows at or before the cutoff (:class:`crmlytics.asof.AsOf`); durations
are whole days to the cutoff date, money is in the currency of the transactions. "Recent" means
the last ``trend_days`` days up to the cutoff date (default 90) and "prior" the ``trend_days``
before those. The features, in :data:`FEATURES` order:

- ``days_since_last_purchase``, ``days_since_first_purchase`` (tenure),
  ``purchase_span_days`` (last minus first purchase day): from the customer facts;
- ``orders``, ``purchase_days``, ``net_revenue``, ``avg_order_value``: frequency and spend;
- ``orders_recent``, ``orders_prior``, ``spend_recent``, ``spend_prior`` (net of the purchases
  in each window) and the trends ``orders_trend``, ``spend_trend``: ``(recent - prior) /
  (recent + prior)``, from -1 (all before) to +1 (all recent), 0 when both are zero;
- ``mean_gap_days`` (mean days between consecutive purchase days), ``gap_cv`` (their standard
  deviation over the mean: regularity), ``overdue_ratio`` (days since the last purchase over the
  customer's own mean gap: how overdue they are); null below two purchase days (below three
  for ``gap_cv``);
- ``returned_revenue`` and ``return_share`` (returned over gross revenue);
- ``complaints``, ``complaints_recent``, ``unresolved_complaints`` (not resolved by the cutoff),
  ``slow_complaints`` (resolved after, or still open at the cutoff for more than,
  ``slow_complaint_days``), ``mean_satisfaction`` (1-5, of the scores known by the cutoff: a
  score counts once its follow-up, else its resolution, else its opening is visible);
- ``contacts``, ``contacts_recent``: interactions;
- ``campaign_touches``, ``campaign_opens``, ``campaign_clicks`` (sends, opens and clicks visible
  by the cutoff), ``campaign_open_rate`` (opens over sends);
- ``categories_bought``; ``value_tier_level`` (3 gold, 2 silver, 1 bronze by net revenue,
  :func:`crmlytics.segments.value_tiers`);
- ``p_alive``: BG/NBD P(alive) from :mod:`crmlytics.clv`, fitted as of the cutoff (added in
  pandas by :func:`feature_frame`; null when the data cannot support the fit; the parameters
  are estimated from a seeded random sample of ``p_alive_sample`` customers, 20,000 by
  default, and P(alive) computed for everyone).

Complaints, interactions and campaign touches enrich the features: on a lake that declares one
of them absent (:meth:`crmlytics.workspace.Workspace.optional_table`) its counts are zero and
its rates missing.
"""

from __future__ import annotations

import warnings

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.churn.config import ChurnConfig
from crmlytics.churn.labels import AsOfLike, Definition, churn_population, horizon_end
from crmlytics.errors import ConfigError
from crmlytics.facts import NET_DECIMALS, sold_categories
from crmlytics.joins import with_customer_columns
from crmlytics.workspace import Workspace

#: Every churn feature, in the order the model sees them.
FEATURES: tuple[str, ...] = (
    "days_since_last_purchase",
    "days_since_first_purchase",
    "purchase_span_days",
    "orders",
    "purchase_days",
    "net_revenue",
    "avg_order_value",
    "orders_recent",
    "orders_prior",
    "spend_recent",
    "spend_prior",
    "orders_trend",
    "spend_trend",
    "mean_gap_days",
    "gap_cv",
    "overdue_ratio",
    "returned_revenue",
    "return_share",
    "complaints",
    "complaints_recent",
    "unresolved_complaints",
    "slow_complaints",
    "mean_satisfaction",
    "contacts",
    "contacts_recent",
    "campaign_touches",
    "campaign_opens",
    "campaign_clicks",
    "campaign_open_rate",
    "categories_bought",
    "value_tier_level",
    "p_alive",
)

#: Features computed by the relational layer (all but P(alive)).
RELATIONAL_FEATURES: tuple[str, ...] = FEATURES[:-1]


def _trend(recent: ir.NumericValue, prior: ir.NumericValue) -> ir.FloatingValue:
    total = recent + prior
    return (total == 0).ifelse(0.0, (recent - prior).cast("float64") / total.nullif(0))


def order_history(ws: Workspace, point: AsOf, horizon_days: int | None = None) -> ir.Table:
    """One row per (customer, order) in one pass over the transaction lines.

    The columns as of ``point`` are those of :func:`crmlytics.facts.orders` (``order_day``,
    ``order_net``, ``gross_revenue``, ``returned_revenue``) plus ``purchase`` (the rounded net is
    positive) and ``gap_days`` (days since the customer's previous purchase day, from a window
    partitioned by customer; zero for a second purchase on the same day, null for the first),
    ``new_purchase_day`` and ``new_btyd_day`` (the order is the first of its day among the
    customer's purchases, resp. BTYD occasions: counting them counts distinct days),
    ``return_lines`` (count of visible return lines) and ``btyd_purchase`` (a purchase, or a free
    order: net zero and nothing returned, as :mod:`crmlytics.clv.summary` counts occasions);
    an order with no line visible at ``point`` has ``purchase`` false and null money.

    With ``horizon_days`` the lines of the horizon after ``point`` are read in the same pass,
    and ``horizon_purchase`` says whether the order is a purchase of the horizon as
    :func:`crmlytics.churn.labels.purchases_in_horizon` defines it (first sale line in the
    horizon, net of its lines up to the end of the horizon positive).
    """
    tx = ws.table("transactions")
    end = point if horizon_days is None else horizon_end(point, horizon_days)
    lines = tx.filter(end.visible(tx.order_ts))
    kind = lines.kind.fill_null("sale").lower()
    sale = kind == "sale"
    returned = (kind == "return") | (lines.amount < 0)
    seen = ibis.literal(True) if horizon_days is None else point.visible(lines.order_ts)
    columns = {
        "first_ts": ibis.coalesce(
            lines.order_ts.min(where=sale & seen), lines.order_ts.min(where=seen)
        ),
        "order_net": lines.amount.sum(where=seen).round(NET_DECIMALS),
        "gross_revenue": lines.amount.sum(where=~returned & seen).fill_null(0.0),
        "returned_revenue": lines.amount.abs().sum(where=returned & seen).fill_null(0.0),
        "return_lines": lines.order_id.count(where=returned & seen),
    }
    if horizon_days is not None:
        columns["horizon_first_ts"] = ibis.coalesce(
            lines.order_ts.min(where=sale), lines.order_ts.min()
        )
        columns["horizon_net"] = lines.amount.sum().round(NET_DECIMALS)
    per_order = lines.group_by(["customer_id", "order_id"]).aggregate(**columns)
    purchase = (per_order.order_net > 0).fill_null(False)
    free_order = (per_order.order_net == 0) & (per_order.return_lines == 0)
    extra = {"btyd_purchase": (purchase | free_order).fill_null(False)}
    if horizon_days is not None:
        extra["horizon_purchase"] = (
            point.after(per_order.horizon_first_ts, horizon_days) & (per_order.horizon_net > 0)
        ).fill_null(False)
    per_order = per_order.mutate(order_day=per_order.first_ts.date(), purchase=purchase, **extra)
    day = per_order.order_day
    by_customer = ibis.window(group_by=[per_order.customer_id, per_order.purchase], order_by=day)
    previous = day.lag().over(by_customer)
    by_occasion = ibis.window(
        group_by=[per_order.customer_id, per_order.btyd_purchase], order_by=day
    )
    previous_occasion = day.lag().over(by_occasion)
    return per_order.mutate(
        gap_days=per_order.purchase.ifelse(
            day.delta(previous, unit="day").cast("float64"), ibis.null("float64")
        ),
        # the first order of each day with a purchase / a BTYD occasion: distinct days become
        # a plain count (a distinct count per filter costs Spark an expanded copy of the rows)
        new_purchase_day=per_order.purchase & (previous.isnull() | (day > previous)),
        new_btyd_day=per_order.btyd_purchase
        & (previous_occasion.isnull() | (day > previous_occasion)),
    )


def customer_purchases(
    ws: Workspace, point: AsOf, trend_days: int = 90, horizon_days: int | None = None
) -> ir.Table:
    """Per customer with a visible order: the purchase, spend, trend and gap features as of
    ``point`` from one aggregate over :func:`order_history`.

    ``customer_id, first_purchase_date, last_purchase_date, orders, purchase_days,
    gross_revenue, returned_revenue, orders_recent, orders_prior, spend_recent, spend_prior,
    mean_gap_days, gap_sd_days`` (as in :func:`crmlytics.facts.customer_facts` and the module
    doc; gaps between consecutive purchase days), ``btyd_first_date, btyd_last_date,
    btyd_days`` (first and last day and number of days of the purchases and free orders BTYD
    counts, for :func:`p_alive` without a second pass over the lines), and with
    ``horizon_days`` ``horizon_purchases`` (purchases in the horizon after ``point``, for the
    label).
    """
    o = order_history(ws, point, horizon_days)
    recent_start = ibis.date(point.window_start(trend_days).date())
    prior_start = ibis.date(point.window_start(2 * trend_days).date())
    bought = o.purchase
    recent = bought & (o.order_day >= recent_start)
    prior = bought & (o.order_day >= prior_start) & (o.order_day < recent_start)
    day_gap = o.gap_days > 0  # a second purchase on the same day is no gap between days
    columns = {
        "first_purchase_date": o.order_day.min(where=bought),
        "last_purchase_date": o.order_day.max(where=bought),
        "orders": o.order_id.count(where=bought),
        "purchase_days": o.order_id.count(where=o.new_purchase_day),
        "gross_revenue": o.gross_revenue.sum(),
        "returned_revenue": o.returned_revenue.sum(),
        "orders_recent": o.order_id.count(where=recent),
        "orders_prior": o.order_id.count(where=prior),
        "spend_recent": o.order_net.sum(where=recent).fill_null(0.0),
        "spend_prior": o.order_net.sum(where=prior).fill_null(0.0),
        "mean_gap_days": o.gap_days.mean(where=day_gap),
        "gap_sd_days": o.gap_days.std(how="sample", where=day_gap),
        "btyd_first_date": o.order_day.min(where=o.btyd_purchase),
        "btyd_last_date": o.order_day.max(where=o.btyd_purchase),
        "btyd_days": o.order_id.count(where=o.new_btyd_day),
    }
    if horizon_days is not None:
        columns["horizon_purchases"] = o.order_id.count(where=o.horizon_purchase)
    return o.group_by("customer_id").aggregate(**columns)


def purchase_windows(ws: Workspace, point: AsOf, trend_days: int = 90) -> ir.Table:
    """Per buyer: purchases and their net in the recent and prior windows, and gap statistics.

    Returns ``customer_id, orders_recent, orders_prior, spend_recent, spend_prior,
    mean_gap_days, gap_sd_days`` (see the module doc; gaps between consecutive purchase days).
    """
    t = customer_purchases(ws, point, trend_days)
    t = t.filter(t.orders > 0)
    return t.select(
        "customer_id",
        "orders_recent",
        "orders_prior",
        "spend_recent",
        "spend_prior",
        "mean_gap_days",
        "gap_sd_days",
    )


def complaint_features(
    ws: Workspace, point: AsOf, trend_days: int = 90, slow_days: float = 7.0
) -> ir.Table:
    """``customer_id, complaints, complaints_recent, unresolved_complaints, slow_complaints,
    mean_satisfaction`` as of ``point`` (see the module doc)."""
    c = ws.optional_table("complaints")
    c = c.filter(point.visible(c.opened_at))
    resolved = c.resolved_at.notnull() & point.visible(c.resolved_at)
    now = ibis.timestamp(point.cutoff).epoch_seconds()
    end = resolved.ifelse(c.resolved_at.epoch_seconds(), now)
    slow = (end - c.opened_at.epoch_seconds()) > slow_days * 86400.0
    known = point.visible(ibis.coalesce(c.followed_up_at, c.resolved_at, c.opened_at))
    recent = c.opened_at >= ibis.timestamp(point.window_start(trend_days))
    return c.group_by("customer_id").aggregate(
        complaints=c.count(),
        complaints_recent=c.count(where=recent),
        unresolved_complaints=c.count(where=~resolved),
        slow_complaints=c.count(where=slow),
        mean_satisfaction=c.satisfaction.cast("float64").mean(where=known),
    )


def contact_features(ws: Workspace, point: AsOf, trend_days: int = 90) -> ir.Table:
    """``customer_id, contacts, contacts_recent``: interactions visible as of ``point``."""
    i = ws.optional_table("interactions")
    i = i.filter(point.visible(i.ts))
    recent = i.ts >= ibis.timestamp(point.window_start(trend_days))
    return i.group_by("customer_id").aggregate(
        contacts=i.count(), contacts_recent=i.count(where=recent)
    )


def campaign_features(ws: Workspace, point: AsOf) -> ir.Table:
    """``customer_id, campaign_touches, campaign_opens, campaign_clicks`` visible as of
    ``point`` (an open or click after the cutoff is not yet known)."""
    t = ws.optional_table("campaign_touches")
    t = t.filter(point.visible(t.sent_at))
    return t.group_by("customer_id").aggregate(
        campaign_touches=t.count(),
        campaign_opens=t.count(where=t.opened_at.notnull() & point.visible(t.opened_at)),
        campaign_clicks=t.count(where=t.clicked_at.notnull() & point.visible(t.clicked_at)),
    )


def churn_features(
    ws: Workspace,
    cutoff: AsOfLike,
    *,
    trend_days: int = 90,
    slow_complaint_days: float = 7.0,
    definition: Definition = "purchase",
    active_days: int | None = None,
) -> ir.Table:
    """The relational churn features of every customer in the population at ``cutoff``.

    One row per customer of :func:`crmlytics.churn.labels.churn_population` with
    ``customer_id`` and :data:`RELATIONAL_FEATURES` (see the module doc), as an Ibis expression
    that sees nothing after the cutoff.
    """
    return labelled_features(
        ws,
        cutoff,
        trend_days=trend_days,
        slow_complaint_days=slow_complaint_days,
        definition=definition,
        active_days=active_days,
    )


def labelled_features(
    ws: Workspace,
    cutoff: AsOfLike,
    *,
    horizon_days: int | None = None,
    trend_days: int = 90,
    slow_complaint_days: float = 7.0,
    definition: Definition = "purchase",
    active_days: int | None = None,
    purchases: ir.Table | None = None,
) -> ir.Table:
    """:func:`churn_features`, and with ``horizon_days`` the label ``churned`` of
    :func:`crmlytics.churn.labels.churn_labels` over that horizon, in one expression.

    Each source table is read once: the transaction lines in one aggregate per order and one per
    customer (:func:`customer_purchases`; with a horizon the same pass also reads the horizon's
    lines for the label, each feature still only the lines at or before the cutoff), the sale
    lines' categories, and complaints, interactions and campaign touches one aggregate each.
    The population, the value tiers and the features all come from that one customer aggregate.

    ``purchases``: that aggregate already computed (:func:`customer_purchases` with the same
    cutoff, ``trend_days`` and ``horizon_days``, e.g. stored by :meth:`Workspace.cached`), so a
    caller that also needs it for :func:`p_alive` reads the lines once.
    """
    from crmlytics.segments import value_tiers

    point = resolve_as_of(cutoff)
    if horizon_days is not None and horizon_days < 1:
        raise ConfigError(f"horizon_days must be at least 1, got {horizon_days}")
    bought = purchases
    if bought is None:
        bought = customer_purchases(ws, point, trend_days, horizon_days)
    bought = bought.mutate(net_revenue=bought.gross_revenue - bought.returned_revenue)
    tiers = value_tiers(bought, measure="revenue").select("customer_id", "value_tier")
    population = churn_population(ws, point, definition, active_days, purchases=bought).select(
        "customer_id", "closed_at"
    )
    t = with_customer_columns(population, bought)
    for part in (
        tiers,
        sold_categories(ws, point),
        complaint_features(ws, point, trend_days, slow_complaint_days),
        contact_features(ws, point, trend_days),
        campaign_features(ws, point),
    ):
        t = with_customer_columns(t, part)
    as_of_day = ibis.date(point.date)
    days_since = as_of_day.delta(t.last_purchase_date, unit="day").cast("int64")
    gross = t.gross_revenue.fill_null(0.0)
    returned = t.returned_revenue.fill_null(0.0)
    zero = ibis.literal(0, "int64")
    orders = t.orders.fill_null(zero)
    orders_recent = t.orders_recent.fill_null(zero)
    orders_prior = t.orders_prior.fill_null(zero)
    spend_recent = t.spend_recent.fill_null(0.0)
    spend_prior = t.spend_prior.fill_null(0.0)
    touches = t.campaign_touches.fill_null(zero)
    opens = t.campaign_opens.fill_null(zero)
    label = {}
    if horizon_days is not None:
        if definition == "contract":
            gone = t.closed_at.notnull() & point.after(t.closed_at, horizon_days)
        else:
            gone = t.horizon_purchases.fill_null(zero) == 0
        label["churned"] = gone.cast("int64")
    return t.select(
        customer_id=t.customer_id,
        days_since_last_purchase=days_since,
        days_since_first_purchase=as_of_day.delta(t.first_purchase_date, unit="day").cast("int64"),
        purchase_span_days=t.last_purchase_date.delta(t.first_purchase_date, unit="day").cast(
            "int64"
        ),
        orders=orders,
        purchase_days=t.purchase_days.fill_null(zero),
        net_revenue=gross - returned,
        avg_order_value=(t.gross_revenue - t.returned_revenue) / orders.nullif(0),
        orders_recent=orders_recent,
        orders_prior=orders_prior,
        spend_recent=spend_recent,
        spend_prior=spend_prior,
        orders_trend=_trend(orders_recent, orders_prior),
        spend_trend=_trend(spend_recent, spend_prior),
        mean_gap_days=t.mean_gap_days,
        gap_cv=t.gap_sd_days / t.mean_gap_days.nullif(0.0),
        overdue_ratio=days_since.cast("float64") / t.mean_gap_days.nullif(0.0),
        returned_revenue=returned,
        return_share=t.returned_revenue / t.gross_revenue.nullif(0.0),
        complaints=t.complaints.fill_null(zero),
        complaints_recent=t.complaints_recent.fill_null(zero),
        unresolved_complaints=t.unresolved_complaints.fill_null(zero),
        slow_complaints=t.slow_complaints.fill_null(zero),
        mean_satisfaction=t.mean_satisfaction,
        contacts=t.contacts.fill_null(zero),
        contacts_recent=t.contacts_recent.fill_null(zero),
        campaign_touches=touches,
        campaign_opens=opens,
        campaign_clicks=t.campaign_clicks.fill_null(zero),
        campaign_open_rate=opens.cast("float64") / touches.nullif(0),
        categories_bought=t.categories_bought.fill_null(zero),
        value_tier_level=t.value_tier.cases(("gold", 3), ("silver", 2), ("bronze", 1)),
        **label,
    )


def btyd_history(purchases: ir.Table, cutoff: AsOfLike) -> pd.DataFrame:
    """The weekly BTYD purchase history of every customer with a purchase day, from a
    :func:`customer_purchases` table as of ``cutoff``, sorted by customer.

    ``customer_id, btyd_frequency, btyd_recency_weeks, btyd_age_weeks``: the history columns of
    :func:`crmlytics.clv.summary.customer_summary` (same purchases, free orders included, same
    whole days over 7), without its monetary value and without reading the lines again.
    """
    from crmlytics.clv.summary import history

    t = purchases.filter(purchases.btyd_days > 0)
    day = resolve_as_of(cutoff).date
    frame = (
        t.select(
            customer_id=t.customer_id,
            **history(t.btyd_first_date, t.btyd_last_date, t.btyd_days, day, "weeks"),
        )
        .order_by("customer_id")
        .to_pandas()
    )
    frame.attrs["unit"] = "weeks"
    return frame


def p_alive(
    ws: Workspace,
    cutoff: AsOfLike,
    sample: int | None = None,
    *,
    purchases: ir.Table | None = None,
) -> pd.DataFrame:
    """``customer_id, p_alive``: BG/NBD P(alive) fitted on the data as of ``cutoff``.

    With ``sample``, the BG/NBD parameters are estimated from a random sample of that many
    customers (seeded, so a re-run gives the same numbers) and P(alive) is then computed for
    every customer from their own history: the estimate of the four parameters from 20,000
    customers is already tight, while the fit's cost grows with the number of distinct
    histories. ``None`` fits on everyone. When the data cannot support a BG/NBD fit
    (:class:`crmlytics.clv.ClvFitError`), every ``p_alive`` is null and a warning says why.
    With ``purchases`` (a :func:`customer_purchases` table as of ``cutoff``) the histories come
    from it (:func:`btyd_history`) instead of a new pass over the transaction lines.
    """
    from crmlytics.clv import ClvFitError, ClvFitWarning
    from crmlytics.clv.models import count_model
    from crmlytics.clv.summary import customer_summary, pattern_index

    point = resolve_as_of(cutoff)
    if purchases is None:
        summary = customer_summary(ws, point, unit="weeks")
    else:
        summary = btyd_history(purchases, point)
    ids = summary["customer_id"].to_numpy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClvFitWarning)
            # one fit and one P(alive) per distinct history, gathered back to the customers
            codes, patterns = pattern_index(summary)
            fit_on = patterns
            if sample is not None and len(summary) > sample:
                rows = np.random.default_rng(0).choice(len(summary), sample, replace=False)
                fit_on = pattern_index(summary.iloc[np.sort(rows)])[1]
            fitted = count_model("bgnbd", unit="weeks").fit(fit_on)
            history = [patterns[c] for c in patterns.columns if c != "weights"]
            values = np.asarray(fitted.p_alive(*history))[codes]
    except ClvFitError as exc:
        warnings.warn(f"churn feature p_alive is missing as of {point}: {exc}", stacklevel=2)
        values = np.full(len(ids), np.nan)
    return pd.DataFrame({"customer_id": ids, "p_alive": np.asarray(values, dtype="float64")})


def feature_frame(
    ws: Workspace,
    cutoff: AsOfLike,
    config: ChurnConfig | None = None,
    *,
    labels: bool = False,
) -> pd.DataFrame:
    """Features (and with ``labels`` the ``churned`` label) of the population at ``cutoff``.

    A pandas frame with ``cutoff`` (date), ``customer_id``, :data:`FEATURES` (floats) and
    ``churned`` when asked, sorted by ``customer_id``.
    """
    c = config or ChurnConfig()
    point = resolve_as_of(cutoff)
    horizon_days = c.horizon_days if labels else None
    # the per-customer purchase aggregate feeds both the features and P(alive): stored once,
    # so the transaction lines are read once
    with ws.cached(customer_purchases(ws, point, c.trend_days, horizon_days)) as purchases:
        frame = labelled_features(
            ws,
            point,
            horizon_days=horizon_days,
            trend_days=c.trend_days,
            slow_complaint_days=c.slow_complaint_days,
            definition=c.definition,
            active_days=c.active_days,
            purchases=purchases,
        ).to_pandas()
        alive = p_alive(ws, point, c.p_alive_sample, purchases=purchases)
    frame = frame.merge(alive, on="customer_id", how="left", validate="1:1")
    frame[list(FEATURES)] = frame[list(FEATURES)].astype("float64")
    frame.insert(0, "cutoff", point.date)
    if labels:
        frame["churned"] = frame["churned"].astype("int64")
    return frame.sort_values("customer_id", kind="stable").reset_index(drop=True)

"""Reasons in plain words: a churn driver and its value as a sentence, in English or Chinese.

:meth:`crmlytics.churn.ChurnModel.drivers` names the features that push a customer's risk up;
:func:`reason_texts` says each in words with the customer's own value, e.g. "no purchase for
142 days, 2.1× their usual gap" / "142 天未购买，为其平常购买间隔的 2.1 倍".
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from crmlytics.churn.features import FEATURES
from crmlytics.errors import ConfigError

Locale = str
_TIERS = {3.0: ("gold", "黄金"), 2.0: ("silver", "一般"), 1.0: ("bronze", "零散")}


def _finite(v: object) -> bool:
    """A number that is neither missing nor infinite (``None`` and NaN are missing)."""
    try:
        return v is not None and math.isfinite(v)  # type: ignore[arg-type]
    except TypeError:
        return False


def _n(v: float) -> str:
    return f"{v:,.0f}"


def _days(row: pd.Series, locale: Locale) -> str:
    days, ratio = row["days_since_last_purchase"], row.get("overdue_ratio", np.nan)
    if locale == "zh":
        text = f"{_n(days)} 天未购买"
        return text + (f"，为其平常购买间隔的 {ratio:.1f} 倍" if _finite(ratio) else "")
    text = f"no purchase for {_n(days)} days"
    return text + (f", {ratio:.1f}× their usual gap" if _finite(ratio) else "")


# feature -> (English template, Chinese template) over the value ``v`` and the trend days ``d``;
# a template that needs more than the value is a function of the row instead
_TEMPLATES: dict[str, tuple[str, str]] = {
    "days_since_first_purchase": ("a customer for {v:,.0f} days", "成为客户 {v:,.0f} 天"),
    "purchase_span_days": ("bought over {v:,.0f} days only", "购买跨度仅 {v:,.0f} 天"),
    "orders": ("{v:,.0f} orders in all", "累计 {v:,.0f} 笔订单"),
    "purchase_days": ("bought on {v:,.0f} days in all", "累计 {v:,.0f} 个购买日"),
    "net_revenue": ("net spend {v:,.0f} in all", "累计净消费 {v:,.0f}"),
    "avg_order_value": ("average order {v:,.0f}", "平均订单金额 {v:,.0f}"),
    "orders_recent": ("{v:,.0f} orders in the last {d} days", "近 {d} 天 {v:,.0f} 笔订单"),
    "orders_prior": ("{v:,.0f} orders in the {d} days before", "此前 {d} 天 {v:,.0f} 笔订单"),
    "spend_recent": ("spent {v:,.0f} in the last {d} days", "近 {d} 天消费 {v:,.0f}"),
    "spend_prior": ("spent {v:,.0f} in the {d} days before", "此前 {d} 天消费 {v:,.0f}"),
    "orders_trend": (
        "orders trend {v:+.2f} (last {d} days vs the {d} before)",
        "订单趋势 {v:+.2f}（近 {d} 天对比此前 {d} 天）",
    ),
    "spend_trend": (
        "spend trend {v:+.2f} (last {d} days vs the {d} before)",
        "消费趋势 {v:+.2f}（近 {d} 天对比此前 {d} 天）",
    ),
    "mean_gap_days": ("usually {v:,.0f} days between purchases", "平均购买间隔 {v:,.0f} 天"),
    "gap_cv": ("irregular purchase gaps (variation {v:.2f})", "购买间隔不规律（变异系数 {v:.2f}）"),
    "returned_revenue": ("returned {v:,.0f} in all", "累计退货 {v:,.0f}"),
    "return_share": ("returned {v:.0%} of what they bought", "退货占购买额 {v:.0%}"),
    "complaints": ("{v:,.0f} complaints", "投诉 {v:,.0f} 次"),
    "complaints_recent": ("{v:,.0f} complaints in the last {d} days", "近 {d} 天投诉 {v:,.0f} 次"),
    "unresolved_complaints": ("{v:,.0f} complaints unresolved", "{v:,.0f} 个投诉未解决"),
    "slow_complaints": ("{v:,.0f} complaints slow to resolve", "{v:,.0f} 个投诉处理缓慢"),
    "mean_satisfaction": ("complaint satisfaction {v:.1f} of 5", "投诉满意度 {v:.1f}/5"),
    "contacts": ("{v:,.0f} contacts in all", "累计联系 {v:,.0f} 次"),
    "contacts_recent": ("{v:,.0f} contacts in the last {d} days", "近 {d} 天联系 {v:,.0f} 次"),
    "campaign_touches": ("{v:,.0f} campaign messages received", "收到营销信息 {v:,.0f} 次"),
    "campaign_opens": ("opened {v:,.0f} campaign messages", "打开营销信息 {v:,.0f} 次"),
    "campaign_clicks": ("clicked {v:,.0f} campaign messages", "点击营销信息 {v:,.0f} 次"),
    "campaign_open_rate": ("opens {v:.0%} of campaign messages", "营销信息打开率 {v:.0%}"),
    "categories_bought": ("bought from {v:,.0f} categories", "购买过 {v:,.0f} 个品类"),
    "p_alive": ("P(alive) {v:.0%}", "存活概率 {v:.0%}"),
}
_MISSING: dict[str, tuple[str, str]] = {
    "mean_gap_days": ("bought on one day only", "仅在一天购买过"),
    "overdue_ratio": ("bought on one day only", "仅在一天购买过"),
    "gap_cv": ("too few purchases to show a rhythm", "购买次数太少，看不出规律"),
    "mean_satisfaction": ("no complaint satisfaction known", "无投诉满意度记录"),
    "campaign_open_rate": ("no campaign messages received", "未收到营销信息"),
    "value_tier_level": ("no value tier", "无价值等级"),
    "p_alive": ("P(alive) unknown", "存活概率未知"),
}
_ROW_TEMPLATES: dict[str, Callable[[pd.Series, Locale], str]] = {
    "days_since_last_purchase": _days,
    "overdue_ratio": _days,
}


def reason_text(feature: str, row: pd.Series, locale: Locale = "en", trend_days: int = 90) -> str:
    """One driver of one customer in words (``row`` holds the customer's features)."""
    if locale not in ("en", "zh"):
        raise ConfigError(f"locale must be en or zh, not {locale!r}")
    zh = locale == "zh"
    v = row.get(feature, np.nan)
    known_days = _finite(row.get("days_since_last_purchase", np.nan))
    if (
        feature in _ROW_TEMPLATES
        and known_days
        and (feature == "days_since_last_purchase" or _finite(v))
    ):
        return _ROW_TEMPLATES[feature](row, locale)
    if not _finite(v):
        en, cn = _MISSING.get(feature, (f"{feature} unknown", f"{feature} 未知"))
        return cn if zh else en
    if feature == "value_tier_level":
        en, cn = _TIERS.get(float(v), (str(v), str(v)))
        return f"价值等级：{cn}" if zh else f"value tier {en}"
    en, cn = _TEMPLATES.get(feature, (f"{feature} {{v:,.2f}}", f"{feature} {{v:,.2f}}"))
    return (cn if zh else en).format(v=float(v), d=trend_days)


def reason_texts(
    drivers: pd.DataFrame,
    features: pd.DataFrame,
    locale: Locale = "en",
    trend_days: int = 90,
) -> pd.DataFrame:
    """``reason_1 … reason_k`` in words for each row of ``drivers``.

    ``drivers`` comes from :meth:`ChurnModel.drivers` (``driver_1 …`` columns), ``features``
    holds the same rows' feature values (same index). A row without a driver gets null.
    Sentences are built once per distinct (driver, values) pair (values rounded to two
    decimals) and gathered back to the rows with array indexing, so a million customers cost
    only as many formats as there are distinct cases.
    """
    if locale not in ("en", "zh"):
        raise ConfigError(f"locale must be en or zh, not {locale!r}")
    columns = [c for c in drivers.columns if c.startswith("driver_")]
    present = [f for f in FEATURES if f in features.columns]
    out = pd.DataFrame(index=drivers.index)
    for column in columns:
        name = drivers[column].to_numpy(dtype=object)
        texts = np.full(len(name), None, dtype=object)
        known = pd.notna(name)
        for feature in pd.unique(name[known]):
            rows = np.flatnonzero(known & (name == feature))
            needed = [feature] + (
                ["days_since_last_purchase", "overdue_ratio"] if feature in _ROW_TEMPLATES else []
            )
            needed = [f for f in dict.fromkeys(needed) if f in present]
            values = features[needed].to_numpy(dtype="float64")[rows].round(2)
            codes, first = _distinct_rows(values)
            said = np.array(
                [
                    reason_text(
                        feature, dict(zip(needed, values[i], strict=True)), locale, trend_days
                    )
                    for i in first
                ],
                dtype=object,
            )
            texts[rows] = said[codes]
        out[column.replace("driver_", "reason_")] = pd.Series(texts, index=drivers.index)
    return out


def _distinct_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, first)``: the number of each row's distinct value combination (missing values
    equal to each other) and the position of the first row of each combination."""
    codes = np.zeros(len(values), dtype="int64")
    for j in range(values.shape[1]):
        column, _ = pd.factorize(values[:, j], use_na_sentinel=False)
        codes, _ = pd.factorize(codes * (int(column.max(initial=0)) + 1) + column)
    _, first = np.unique(codes, return_index=True)
    return codes, first

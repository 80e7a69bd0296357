"""English keys with English and Chinese labels, per domain; Chinese column headers; one
function that renders a result frame in a locale.

Every domain adds its labels here, once, at import time::

    from crmlytics.labels import register, register_headers

    register("funnel_stage", {"quote": ("Quote", "报价")}, columns=("stage",))
    register_headers({"win_rate": "赢单率"})

- A **domain** (a segmentation such as ``rfm_segment``, or a vocabulary such as
  ``customer_type``) maps English keys to an ``(English label, Chinese label)`` pair. The same key
  may live in several domains with different labels (``lost`` is an RFM segment and a lifecycle
  class); a domain name is also the column that usually holds its keys.
- ``columns`` binds output columns to the domain: :func:`localise` translates the values of
  those columns. A column may be bound to several domains (``stage``: the lifecycle stage view and
  the funnel stages) as long as no key of theirs carries two different labels.
- **Headers** are the Chinese headers of output columns; English output keeps the column names
  (they are the English keys, documented in the glossary). A prefix pattern (``mean_`` →
  ``平均…``) covers column families.

Registering the same pair twice is harmless; registering a key, header or binding again with
different text is an error, so two domains cannot silently overwrite each other.

Locale rules (design, *Locale*): ``en`` keeps column names and English keys; ``zh`` gives Chinese
headers and Chinese labels in every label column of what is printed or written for people
(CSV, Excel). Files meant for machines (Parquet, JSON) keep the English keys unless asked
(:func:`for_people`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, cast

import numpy as np
import pandas as pd

from crmlytics.errors import ConfigError

Locale = Literal["en", "zh"]
LOCALES: tuple[str, ...] = ("en", "zh")
#: File extensions written for people: they follow the locale.
PEOPLE_FORMATS: tuple[str, ...] = (".csv", ".xlsx")

_LABELS: dict[str, dict[str, tuple[str, str]]] = {}
_COLUMNS: dict[str, list[str]] = {}
_HEADERS: dict[str, str] = {}
_HEADER_PREFIXES: dict[str, tuple[str, str | None]] = {}


def check_locale(locale: str, what: str = "locale") -> Locale:
    """``locale`` if it is ``en`` or ``zh``; else :class:`~crmlytics.errors.ConfigError`."""
    if locale not in LOCALES:
        raise ConfigError(f"{what} must be en or zh, not {locale!r}")
    return cast(Locale, locale)


# -- registration -------------------------------------------------------------------------------
def register(
    domain: str,
    labels: Mapping[str, tuple[str, str]],
    *,
    columns: Iterable[str] | None = None,
) -> None:
    """Add the labels of ``domain``: ``{key: (English label, Chinese label)}``, in display order.

    ``columns`` (default: the column named like the domain) are the output columns whose
    values are keys of this domain. Keys may be added to a domain by several calls; the same
    key with other text, or a column bound to two domains that label one key differently,
    raises :class:`~crmlytics.errors.ConfigError`.
    """
    table = _LABELS.setdefault(domain, {})
    for key, pair in labels.items():
        if not (isinstance(key, str) and key and len(pair) == 2 and all(pair)):
            raise ConfigError(f"label {domain}:{key!r} needs a key and two non-empty labels")
        en, zh = pair
        if table.get(key, (en, zh)) != (en, zh):
            raise ConfigError(
                f"label {domain}:{key} is already registered as {table[key]}, not {(en, zh)}"
            )
        table[key] = (en, zh)
    for column in (domain,) if columns is None else tuple(columns):
        bound = _COLUMNS.setdefault(column, [])
        if domain in bound:
            continue
        for other in bound:
            clash = [k for k in table if k in _LABELS[other] and _LABELS[other][k] != table[k]]
            if clash:
                raise ConfigError(
                    f"column {column!r} cannot take labels from both {other} and {domain}: "
                    f"key(s) {', '.join(clash)} are labelled differently"
                )
        bound.append(domain)


def register_headers(headers: Mapping[str, str]) -> None:
    """Add Chinese headers of output columns: ``{column: 中文表头}``."""
    for column, zh in headers.items():
        if not zh:
            raise ConfigError(f"header of column {column!r} is empty")
        if _HEADERS.get(column, zh) != zh:
            raise ConfigError(f"column {column!r} already has header {_HEADERS[column]!r}")
        _HEADERS[column] = zh


def register_header_prefix(prefix: str, template: str, *, domain: str | None = None) -> None:
    """Chinese header of a column family ``<prefix><rest>``: ``template`` with ``{}`` replaced
    by the header of ``rest`` (or, with ``domain``, the Chinese label of the key ``rest``).

    ``register_header_prefix("mean_", "平均{}")`` heads ``mean_net_revenue`` 平均净销售额.
    """
    if "{}" not in template:
        raise ConfigError(f"header template {template!r} of prefix {prefix!r} lacks '{{}}'")
    if _HEADER_PREFIXES.get(prefix, (template, domain)) != (template, domain):
        raise ConfigError(f"header prefix {prefix!r} is already registered")
    _HEADER_PREFIXES[prefix] = (template, domain)


# -- lookup -------------------------------------------------------------------------------------
def domains() -> tuple[str, ...]:
    """Every registered domain, in registration order."""
    return tuple(_LABELS)


def _table(domain: str) -> dict[str, tuple[str, str]]:
    try:
        return _LABELS[domain]
    except KeyError:
        raise KeyError(f"unknown label domain {domain!r}; known: {', '.join(_LABELS)}") from None


def keys(domain: str) -> tuple[str, ...]:
    """The keys of ``domain`` in display order."""
    return tuple(_table(domain))


def pairs(domain: str) -> dict[str, tuple[str, str]]:
    """``{key: (English label, Chinese label)}`` of ``domain`` (a copy)."""
    return dict(_table(domain))


def label(key: str, locale: Locale = "en", *, domain: str | None = None) -> str:
    """Label of ``key`` in ``locale``; with ``domain`` from that domain, else from the first
    registered domain that has the key. An unknown key raises ``KeyError``."""
    index = LOCALES.index(check_locale(locale))
    for place in (domain,) if domain else tuple(_LABELS):
        pair = _table(place).get(key)
        if pair is not None:
            return pair[index]
    raise KeyError(f"no label for key {key!r}" + (f" in {domain}" if domain else ""))


def text(domain: str, key: str, locale: Locale = "en", **fields: object) -> str:
    """Text ``key`` of ``domain`` (chart titles, axis labels) in ``locale``, with each
    ``{field}`` placeholder replaced by the value given for it."""
    out = label(key, locale, domain=domain)
    for name, value in fields.items():
        out = out.replace("{" + name + "}", str(value))
    return out


def labels(domain: str, locale: Locale = "en") -> dict[str, str]:
    """``{key: label}`` of ``domain`` in ``locale``, in display order."""
    index = LOCALES.index(check_locale(locale))
    return {key: pair[index] for key, pair in _table(domain).items()}


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def find(domain: str, text: str) -> str | None:
    """The key of ``domain`` that ``text`` names, or None: the key itself, its English label
    (both case-insensitive, spaces trimmed) or its Chinese label."""
    wanted = _norm(text)
    for key, (en, zh) in _table(domain).items():
        if wanted in (_norm(key), _norm(en), _norm(zh)):
            return key
    return None


def header(column: str, locale: Locale = "zh") -> str:
    """Header of ``column`` in ``locale``: the column name in English, the registered Chinese
    header in Chinese (a prefix pattern for families; the name itself when none is known)."""
    if check_locale(locale) == "en":
        return column
    if column in _HEADERS:
        return _HEADERS[column]
    for prefix, (template, domain) in _HEADER_PREFIXES.items():
        rest = column[len(prefix) :]
        if column.startswith(prefix) and rest:
            if domain is None:
                inner = header(rest, "zh")
                known = inner != rest
            else:
                inner = _zh_label(domain, rest)
                known = inner is not None
            if known:
                return template.format(inner)
    return column


def _zh_label(domain: str, key: str) -> str | None:
    pair = _LABELS.get(domain, {}).get(key)
    return None if pair is None else pair[1]


def has_header(column: str) -> bool:
    """Whether ``column`` has a Chinese header (registered, or through a prefix pattern)."""
    return header(column, "zh") != column


# -- rendering a frame ---------------------------------------------------------------------------
def localise(
    frame: pd.DataFrame,
    locale: Locale,
    *,
    headers: bool = True,
    values: bool = True,
    domains: Mapping[str, str | Sequence[str]] | None = None,
) -> pd.DataFrame:
    """``frame`` as people read it in ``locale``: the one translation of result frames.

    ``en`` returns ``frame`` unchanged (column names and English keys). ``zh`` returns a copy
    with the keys in every bound label column replaced by their Chinese labels (``values``;
    keys matched ignoring case; unknown values and nulls are kept as they are) and Chinese
    headers (``headers``; a column without one keeps its name). ``domains`` binds columns of
    this frame to domains, over the registered bindings (``{"segment": "value_tier"}``).
    """
    if check_locale(locale) == "en":
        return frame
    out = frame.copy()
    if values:
        for column in out.columns:
            places = _bound(column, domains)
            if places:
                out[column] = _translated(out[column], places)
    if headers:
        seen: set[str] = set()
        names = []
        for column in out.columns:
            name = header(column, "zh") if isinstance(column, str) else column
            if name in seen:  # two columns, one header: keep them apart
                name = f"{name} ({column})"
            seen.add(name)
            names.append(name)
        out.columns = names
    out.attrs = dict(frame.attrs)
    return out


def _bound(column: object, domains: Mapping[str, str | Sequence[str]] | None) -> list[str]:
    if not isinstance(column, str):
        return []
    given = (domains or {}).get(column)
    if given is not None:
        return [given] if isinstance(given, str) else list(given)
    return list(_COLUMNS.get(column, ()))


def _translated(series: pd.Series, places: list[str]) -> pd.Series:
    mapping: dict[str, str] = {}
    for place in reversed(places):  # the first bound domain wins
        mapping.update({_norm(k): zh for k, (_, zh) in _table(place).items()})
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if not len(uniques):
        return series
    # one lookup per distinct value, not per row (lists have millions of rows)
    shown = np.array(
        [mapping.get(_norm(v), v) if isinstance(v, str) else v for v in uniques], dtype=object
    )
    values = np.where(codes >= 0, shown[np.maximum(codes, 0)], None)
    return pd.Series(values, index=series.index, dtype=object, name=series.name)


def for_people(out: str | Path | None, *, machine_formats: bool = False) -> bool:
    """Whether output to ``out`` follows the locale: printed (``None``), CSV and Excel always;
    Parquet and JSON (files for machines) only when ``machine_formats`` asks for it."""
    if out is None or machine_formats:
        return True
    return Path(out).suffix.lower() in PEOPLE_FORMATS


# -- the labels of the shared vocabulary -----------------------------------------------------------
register(
    "rfm_segment",
    {
        "champions": ("Champions", "冠军客户"),
        "loyal": ("Loyal", "忠诚客户"),
        "potential_loyalist": ("Potential Loyalist", "潜力客户"),
        "new": ("New", "新客户"),
        "promising": ("Promising", "有潜力的新客户"),
        "need_attention": ("Need Attention", "需要关注客户"),
        "about_to_sleep": ("About to Sleep", "即将沉睡客户"),
        "at_risk": ("At Risk", "流失风险客户"),
        "cant_lose_them": ("Can't Lose Them", "不能失去的客户"),
        "hibernating": ("Hibernating", "休眠客户"),
        "others": ("Others", "其他客户"),
        "lost": ("Lost", "流失客户"),
        "prospect": ("Prospect", "潜在客户"),
    },
)
register(
    "value_tier",
    {
        "gold": ("Gold (key)", "黄金客户 (主力)"),
        "silver": ("Silver (regular)", "一般客户"),
        "bronze": ("Bronze (occasional)", "零散客户"),
    },
)
register(
    "lifecycle",
    {
        "prospect": ("Prospect", "潜在客户"),
        "first_time": ("First-time buyer", "首次购买客户"),
        "repeat": ("Repeat buyer", "重复购买客户"),
        "loyal": ("Loyal buyer", "忠诚客户"),
        "advocate": ("Advocate", "推荐者/拥护者"),
        "dormant": ("Dormant", "沉寂客户"),
        "lost": ("Lost", "流失客户"),
    },
)
register(
    "stage",
    {
        "future": ("Future customer", "未来客户"),
        "new": ("New customer", "新客户"),
        "established": ("Established customer", "老客户"),
    },
)
register(
    "activity",
    {
        "active": ("Active", "活跃客户"),
        "lapsed": ("Lapsed", "流失中客户"),
        "prospect": ("Prospect", "潜在客户"),
    },
)
register(
    "customer_type",
    {
        "individual": ("Individual", "个人"),
        "company": ("Company", "企业"),
        "government": ("Government", "政府"),
        "partner": ("Partner", "合作伙伴"),
    },
)
#: Segment of a profile row for customers without a value (no value tier: no purchase).
register("profile", {"none": ("No purchase", "无购买")}, columns=("segment",))
# The funnel presets of the design (sales funnel, pipeline) and the campaign funnel; a funnel
# output's ``stage`` column holds these keys, the lifecycle ``stage`` view its own (disjoint).
register(
    "funnel_stage",
    {
        "lead": ("Lead", "获取机会"),
        "needs": ("Needs analysis", "了解需求"),
        "proposal": ("Proposal", "提供方案"),
        "quote": ("Quote", "报价"),
        "negotiation": ("Negotiation", "议价"),
        "won": ("Won", "签单"),
        "entry": ("Entry", "录入"),
        "review": ("Review", "审核"),
        "follow_up": ("Follow-up", "跟单"),
        "closed": ("Closed", "关闭"),
        "sent": ("Sent", "已发送"),
        "opened": ("Opened", "已打开"),
        "clicked": ("Clicked", "已点击"),
        "converted": ("Converted", "已转化"),
        "lost": ("Lost", "丢单"),
    },
    columns=("funnel_stage", "stage", "from_stage", "to_stage"),
)
register(
    "outcome",
    {"won": ("Won", "签单"), "lost": ("Lost", "丢单"), "open": ("Open", "进行中")},
)

# Complaints: the recorded categories of the demo data and the four handling steps
# (受理 → 处理 → 处理完成 → 日后追踪); a complaint output's ``category`` column is bound by the
# complaint commands (``domains={"category": "complaint_category"}``), not globally.
register(
    "complaint_category",
    {
        "delivery": ("Delivery", "物流配送"),
        "quality": ("Quality", "产品质量"),
        "billing": ("Billing", "账单收费"),
        "service": ("Service", "服务态度"),
    },
    columns=("complaint_category", "main_category", "suggested_category"),
)
register(
    "complaint_step",
    {
        "opened": ("Received", "受理"),
        "handled": ("Handled", "处理"),
        "resolved": ("Resolved", "处理完成"),
        "followed_up": ("Followed up", "日后追踪"),
    },
    columns=("complaint_step", "step", "missing_step", "out_of_order_step"),
)
register(
    "complaint_state",
    {
        "open": ("Open", "待处理"),
        "in_progress": ("In progress", "处理中"),
        "resolved": ("Resolved", "已解决"),
        "closed": ("Closed", "已回访"),
    },
    columns=("complaint_state", "state"),
)
register(
    "complaint_finding",
    {
        "missing_step": ("Missing step", "缺少步骤"),
        "out_of_order": ("Step out of order", "步骤时间倒序"),
    },
    columns=("complaint_finding", "finding"),
)
register(
    "impact_group",
    {
        "complainers": ("Complainers", "投诉客户"),
        "fast_resolution": ("Fast resolution", "快速解决"),
        "slow_resolution": ("Slow resolution", "慢速解决"),
    },
    columns=("impact_group", "group"),
)

register_headers(
    {
        # customer facts
        "customer_id": "客户编号",
        "first_purchase_date": "首次购买日期",
        "last_purchase_date": "最近购买日期",
        "orders": "购买次数",
        "purchase_days": "购买天数",
        "purchase_span_days": "首末购买间隔天数",
        "days_since_first_purchase": "距首次购买天数",
        "days_since_last_purchase": "距最近购买天数",
        "gross_revenue": "销售额",
        "returned_revenue": "退货金额",
        "net_revenue": "净销售额",
        "profit": "利润",
        "avg_order_value": "平均订单金额",
        "categories_bought": "购买品类数",
        "complaints": "投诉次数",
        "contacts": "接触次数",
        # RFM
        "rfm_frequency": "RFM 频度 (F 值)",
        "rfm_monetary": "RFM 金额 (M 值)",
        "r_score": "R 评分",
        "f_score": "F 评分",
        "m_score": "M 评分",
        "rfm_cell": "RFM 组合",
        "rfm_segment": "RFM 客户群",
        "rfm_label": "RFM 客户群 (英文)",
        "rfm_label_zh": "RFM 客户群 (中文)",
        "rfm_segment_label": "RFM 客户群名称",
        # segments and the four degrees
        "value_tier": "价值等级",
        "lifecycle": "生命周期",
        "stage": "阶段",
        "activity": "活跃状态",
        "satisfaction": "满意度",
        "loyalty": "忠诚度",
        "contribution": "贡献度",
        "dependence": "依赖度",
        "composite": "综合得分",
        # segment profiles
        "segment": "客户群",
        "label": "客户群名称",
        "customers": "客户数",
        "customer_share": "客户占比",
        "revenue": "收入",
        "revenue_share": "收入占比",
        # score runs
        "run_id": "评分批次",
        "as_of": "截止日期",
        "started_at": "开始时间",
        "finished_at": "结束时间",
        "status": "状态",
        "config_hash": "配置哈希",
        "model_versions": "模型版本",
        # segment lists (exports)
        "name": "客户名称",
        "email": "电子邮箱",
        "phone": "电话",
        "email_sha256": "电子邮箱 (sha256)",
        "phone_sha256": "电话 (sha256)",
        "region": "地区",
        "channel": "渠道",
        "customer_type": "客户类型",
        # CLV
        "btyd_frequency": "重复购买天数 (BTYD)",
        "btyd_recency_weeks": "首末购买间隔 (周, BTYD)",
        "btyd_recency_days": "首末购买间隔 (天, BTYD)",
        "btyd_age_weeks": "客户年龄 (周, BTYD)",
        "btyd_age_days": "客户年龄 (天, BTYD)",
        "btyd_monetary_value": "重复购买平均金额 (BTYD)",
        "p_alive": "存活概率",
        "expected_purchases": "预期购买次数",
        "expected_order_value": "预期订单金额",
        "clv": "客户终身价值 (CLV)",
        "estimate": "估计值",
        "se": "标准误",
        "lower_95": "95% 下限",
        "upper_95": "95% 上限",
        "param": "参数",
        "source": "来源",
        "actual": "实际",
        "model": "模型",
        "naive": "朴素基线",
        "holdout_purchases": "验证期购买次数",
        "mae_per_customer": "每客户平均绝对误差",
        # ingest summary
        "file": "文件",
        "read": "读取行数",
        "loaded": "载入行数",
        "rejected": "拒收行数",
        "duplicate": "重复行数",
        "duplicates": "重复行数",
        "measure": "指标",
        "value": "数值",
        "table": "表",
        "rows": "行数",
        # funnels
        "outcome": "结果",
        "funnel_stage": "销售阶段",
        # complaints
        "complaint_id": "投诉编号",
        "category": "类别",
        "severity": "严重程度",
        "month": "月份",
        "product_id": "产品编号",
        "opened_at": "受理时间",
        "handled_at": "处理时间",
        "resolved_at": "处理完成时间",
        "followed_up_at": "日后追踪时间",
        "complainants": "投诉客户数",
        "active_customers": "活跃客户数",
        "complaints_per_1000_orders": "每千单投诉数",
        "complaints_per_1000_active_customers": "每千活跃客户投诉数",
        "usual": "常规水平",
        "spread": "稳健标准差",
        "flagged": "异常",
        "first_response_median_hours": "首次响应中位时长 (小时)",
        "first_response_p90_hours": "首次响应 P90 时长 (小时)",
        "handling_median_hours": "处理中位时长 (小时)",
        "handling_p90_hours": "处理 P90 时长 (小时)",
        "resolution_median_hours": "解决中位时长 (小时)",
        "resolution_p90_hours": "解决 P90 时长 (小时)",
        "follow_up_median_hours": "追踪中位时长 (小时)",
        "follow_up_p90_hours": "追踪 P90 时长 (小时)",
        "sla_met": "达标数",
        "sla_breached": "超时数",
        "sla_met_share": "SLA 达标率",
        "quality_findings": "数据质量问题数",
        "finding": "问题",
        "step": "步骤",
        "age_bucket": "积压时长",
        "bucket_index": "区间序号",
        "oldest_days": "最长积压天数",
        "days_since_resolved": "解决后天数",
        "open_complaints": "未解决投诉数",
        "categories": "投诉类别数",
        "first_complaint_at": "首次投诉时间",
        "last_complaint_at": "最近投诉时间",
        "mean_satisfaction": "平均满意度",
        "tier_order": "等级序号",
        "age_days": "积压天数",
        "resolution_band": "解决时长区间",
        "band_index": "区间序号 (解决时长)",
        "rated": "有评分数",
        "group": "组别",
        "matched": "匹配客户数",
        "purchase_rate_after": "投诉后购买率",
        "matched_purchase_rate": "匹配客户购买率",
        "purchase_rate_difference": "购买率差",
        "revenue_after_per_customer": "投诉后人均收入",
        "matched_revenue_per_customer": "匹配客户人均收入",
        "revenue_difference_per_customer": "人均收入差",
        "revenue_at_risk": "风险收入",
        "term": "关键词",
        "rank": "排名",
        "share_in": "类内占比",
        "share_out": "类外占比",
        "score": "得分",
        "topic": "主题",
        "weight": "权重",
        "descriptions": "描述数",
        "main_category": "主要类别",
        "purity": "纯度",
        "adjusted_rand": "调整兰德指数",
        "suggested_category": "建议类别",
        "similarity": "相似度",
        "latest_share": "最近月占比",
        "earlier_share": "此前占比",
        "ratio": "比值",
        "contacts_per_customer": "人均接触次数",
        "last_contact_at": "最近接触时间",
        "kind": "类型",
    }
)
register_header_prefix("mean_", "平均{}")

# Receivables (应收账款) and the care lists (关怀建议, 回访对象).
register(
    "ageing_bucket",
    {
        "current": ("Current", "未到期"),
        "overdue_1_30": ("1-30 days overdue", "逾期1-30天"),
        "overdue_31_60": ("31-60 days overdue", "逾期31-60天"),
        "overdue_61_90": ("61-90 days overdue", "逾期61-90天"),
        "overdue_90_plus": ("Over 90 days overdue", "逾期90天以上"),
    },
)
register(
    "list_name",
    {
        "dunning": ("Dunning", "催款提醒"),
        "valuable-no-contact": ("Valuable, not contacted", "久未联系的重要客户"),
        "cycle-overdue": ("Purchase cycle overdue", "购买周期已过"),
        "complaint-follow-up": ("Complaint to follow up", "投诉待回访"),
        "birthdays": ("Birthday coming up", "近期生日"),
    },
)
register_headers(
    {
        "invoice_id": "发票编号",
        "order_id": "订单编号",
        "issued_at": "开票时间",
        "due_at": "到期日",
        "amount": "金额",
        "paid_amount": "已付金额",
        "open_amount": "未收金额",
        "days_overdue": "逾期天数",
        "ageing_bucket": "账龄段",
        "bucket_order": "账龄段序号",
        "invoices": "发票数",
        "share_of_open": "占未收金额比例",
        "invoiced_amount": "开票金额",
        "open_balance": "未收余额",
        "current_amount": "未到期金额",
        "overdue_1_30_amount": "逾期1-30天金额",
        "overdue_31_60_amount": "逾期31-60天金额",
        "overdue_61_90_amount": "逾期61-90天金额",
        "overdue_90_plus_amount": "逾期90天以上金额",
        "overdue_amount": "逾期金额",
        "credit_amount": "多付/预付金额",
        "open_invoices": "未结发票数",
        "max_days_overdue": "最长逾期天数",
        "receivables": "应收账款",
        "credit_sales": "赊销额",
        "window_days": "统计天数",
        "days_sales_outstanding": "应收账款周转天数 (DSO)",
        "credit_limit": "信用额度",
        "over_limit_amount": "超额度金额",
        "payment_id": "付款编号",
        "paid_at": "付款时间",
        "dunning_amount": "催收金额",
        "dunning_invoices": "催收发票数",
        "oldest_due_at": "最早到期日",
        "list_name": "名单",
        "days_since_last_contact": "距最近联系天数",
        "overdue_ratio": "购买周期逾期倍数",
        "mean_gap_days": "平均购买间隔天数",
        "unfollowed_complaints": "未回访投诉数",
        "first_resolved_at": "最早解决时间",
        "birth_date": "出生日期",
        "next_birthday": "下次生日",
        "days_until_birthday": "距生日天数",
        "age_on_birthday": "生日当天年龄",
    }
)

__all__ = [
    "LOCALES",
    "PEOPLE_FORMATS",
    "Locale",
    "check_locale",
    "domains",
    "find",
    "for_people",
    "has_header",
    "header",
    "keys",
    "label",
    "labels",
    "text",
    "localise",
    "pairs",
    "register",
    "register_header_prefix",
    "register_headers",
]

"""Chinese headers of the sales and customer-master output columns (``--locale zh``).

Columns that already have a header (``orders``, ``gross_revenue``, ...) keep it; only the new
ones are added here.
"""

from __future__ import annotations

from crmlytics.labels import has_header, register_headers

HEADERS: dict[str, str] = {
    "period": "期间",
    "region": "地区",
    "channel": "渠道",
    "customer_type": "客户类型",
    "category": "品类",
    "product_id": "产品编号",
    "orders": "购买次数",
    "customers": "客户数",
    "returns": "退货金额",
    "new_customers": "新客户数",
    "returning_customers": "回头客数",
    "returning_share": "回头客占比",
    "net_revenue_pop_change": "净销售额环比",
    "net_revenue_yoy_change": "净销售额同比",
    "orders_pop_change": "购买次数环比",
    "orders_yoy_change": "购买次数同比",
    "customers_pop_change": "客户数环比",
    "customers_yoy_change": "客户数同比",
    "net_revenue_share": "净销售额占比",
    "base_net_revenue": "基期净销售额",
    "base_net_revenue_share": "基期净销售额占比",
    "share_change": "占比变化",
    "net_revenue_change": "净销售额变化率",
    "buyers": "购买客户数",
    "repeat_buyers": "重复购买客户数",
    "repeat_purchases": "重复购买次数",
    "median_gap_days": "购买周期中位数 (天)",
    "p25_gap_days": "购买周期下四分位 (天)",
    "p75_gap_days": "购买周期上四分位 (天)",
    "mean_gap_days": "平均购买周期 (天)",
    "owner": "负责人",
    "deals_won": "赢单数",
    "deals_lost": "丢单数",
    "win_rate": "赢单率",
    "won_value": "赢单金额",
    "median_cycle_days": "成交周期中位数 (天)",
    "deals_created": "新建商机数",
    "activities": "活动次数",
    "customers_covered": "覆盖客户数",
    "customers_assigned": "负责客户数",
    "target_amount": "目标金额",
    "attainment": "完成率",
    "group_id": "重复组",
    "keep_id": "保留客户",
    "drop_id": "合并客户",
    "matched_on": "匹配依据",
    "evidence": "证据",
    "reason": "原因",
    "keep_name": "保留客户名称",
    "drop_name": "合并客户名称",
    "keep_orders": "保留客户购买次数",
    "drop_orders": "合并客户购买次数",
    "keep_net_revenue": "保留客户净销售额",
    "drop_net_revenue": "合并客户净销售额",
    "name": "名称",
    "missing_fields": "缺失字段",
    "missing_count": "缺失字段数",
}

register_headers({column: zh for column, zh in HEADERS.items() if not has_header(column)})

"""Benchmark: complaint volume, SLA and backlog over N complaints; topics over M descriptions.

Builds an in-memory warehouse with ``--complaints`` synthetic complaints (4 categories, 3
severities, 5 channels, opened over two years, handling steps with random delays, 3% never
resolved) and 3 transaction lines per complaint, generated in DuckDB. Then times:

- ``summary_s``: :func:`crmlytics.complaints.complaint_volume` by category, fetched;
- ``sla_s``: :func:`crmlytics.complaints.handling_times` by category (medians, p90, SLA);
- ``backlog_s``: :func:`crmlytics.complaints.backlog`;
  (the issue's target: the three together < 10 s at 1M complaints)
- ``topics_s``: :func:`crmlytics.complaints.category_terms` and
  :func:`crmlytics.complaints.fit_topics` (8 topics) over ``--texts`` mixed Chinese / English
  descriptions (target < 60 s at 200k).

Prints one JSON document with seconds and peak RSS (MB).

Run: ``python benchmarks/bench_complaints.py --complaints 1000000 --texts 200000``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import pandas as pd

AS_OF = "2024-12-31"

WORDS = {
    "delivery": ("快递延误", "物流太慢", "包裹破损", "courier late", "parcel delayed"),
    "quality": ("质量问题", "收到就坏", "有异味", "defective product", "broken on arrival"),
    "billing": ("重复扣款", "发票金额", "退款未到", "charged twice", "wrong invoice"),
    "service": ("客服态度", "没人回复", "电话打不通", "rude staff", "no reply"),
}


def build(n: int):
    from crmlytics.workspace import Workspace

    ws = Workspace.memory()
    con = ws.duckdb
    con.execute(
        f"""
        insert into complaints (complaint_id, customer_id, opened_at, category, severity,
            channel, handled_at, resolved_at, followed_up_at, satisfaction)
        select 'K' || i, 'C' || (i % {max(n // 3, 1)}),
            o, ['delivery','quality','billing','service'][1 + i % 4], 1 + (i * 7) % 3,
            ['phone','web','email','store','wechat'][1 + (i * 3) % 5],
            o + to_seconds(cast(random() * 40 * 3600 as bigint)),
            case when random() < 0.97 then o + to_seconds(cast(random() * 200 * 3600 as bigint)
                + 40 * 3600) end,
            null, null
        from (select i, timestamp '2023-01-01' + to_seconds(cast(random() * 730 * 86400 as bigint))
              as o from range({n}) t(i))
        """
    )
    con.execute(
        f"""
        insert into transactions (order_id, line_no, kind, customer_id, order_ts, amount)
        select 'O' || i, 1, 'sale', 'C' || (i % {max(n // 3, 1)}),
            timestamp '2023-01-01' + to_seconds(cast(random() * 730 * 86400 as bigint)), 50.0
        from range({3 * n}) t(i)
        """
    )
    return ws


def texts(m: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    cats = sorted(WORDS)
    cat = rng.integers(0, 4, m)
    docs = []
    for c in cat:
        words = WORDS[cats[c]]
        docs.append("，".join(rng.choice(words, 2)) + " 订单" + str(rng.integers(100)))
    return docs, [cats[c] for c in cat]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--texts", type=int, default=200_000)
    args = parser.parse_args()
    from crmlytics.complaints import (
        backlog,
        category_terms,
        complaint_volume,
        fit_topics,
        handling_times,
    )

    out: dict[str, float | int] = {"complaints": args.complaints, "texts": args.texts}
    t = time.perf_counter()
    ws = build(args.complaints)
    out["build_s"] = round(time.perf_counter() - t, 2)
    for name, make in (
        ("summary_s", lambda: complaint_volume(ws, AS_OF, "category")),
        ("sla_s", lambda: handling_times(ws, AS_OF, "category")),
        ("backlog_s", lambda: backlog(ws, AS_OF)),
    ):
        t = time.perf_counter()
        make().to_pandas()
        out[name] = round(time.perf_counter() - t, 2)
    docs, cats = texts(args.texts, np.random.default_rng(0))
    t = time.perf_counter()
    category_terms(pd.Series(docs), pd.Series(cats))
    fit_topics(docs, 8)
    out["topics_s"] = round(time.perf_counter() - t, 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

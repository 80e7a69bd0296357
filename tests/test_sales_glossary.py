"""Every column of the sales and customer-master outputs is in docs/glossary.md under the
outputs that carry it, and the glossary lists nothing those outputs do not produce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crmlytics.customers import (
    duplicate_customers,
    incomplete_customers,
    merge_customers,
    merge_log,
)
from crmlytics.sales import purchase_cycle, sales_mix, sales_trend, staff_performance
from tests.sales_data import cycles, shop, staff

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"
ENTRY = re.compile(r"^- (?P<names>(?:`[^`]+`(?:, )?)+) \((?P<unit>[^;]+); (?P<outputs>[^)]+)\): ")
SECTIONS = ("## Sales outputs", "## Customer master outputs")


def listed() -> dict[str, set[str]]:
    """Output -> the column names the glossary's sales and customer-master lists give it."""
    text = GLOSSARY.read_text(encoding="utf-8")
    out: dict[str, set[str]] = {}
    for title in SECTIONS:
        body = text.split(title, 1)[1].split("\n## ", 1)[0]
        for line in body.splitlines():
            match = ENTRY.match(line)
            if match is None:
                continue
            names = re.findall(r"`([^`]+)`", match["names"])
            for output in match["outputs"].split(","):
                out.setdefault(output.strip(), set()).update(names)
    return out


@pytest.fixture(scope="module")
def produced() -> dict[str, set[str]]:
    from crmlytics.workspace import Workspace

    ws = Workspace.memory()
    try:
        shop(ws)
        cycles(ws)
        staff(ws)
        when = "2024-04-15"
        trend = set()
        for by in (None, "region", "channel", "customer_type", "category", "product_id"):
            trend |= set(sales_trend(ws, when, "month", by).columns)
        mix = set(sales_mix(ws, when, "category").columns) | set(
            sales_mix(ws, when, "product_id").columns
        )
        cycle = set(purchase_cycle(ws, when, "category").columns) | set(
            purchase_cycle(ws, when, "product_id").columns
        )
        found = {
            "trend": trend,
            "mix": mix,
            "cycle": cycle,
            "staff": set(staff_performance(ws, "2024-03-31").columns),
            "duplicates": set(duplicate_customers(ws, when).columns),
            "incomplete": set(incomplete_customers(ws).columns),
        }
        merge_customers(ws, "c1", "c2")
        found["merges"] = set(merge_log(ws).columns)
    finally:
        ws.close()
    return found


@pytest.mark.parametrize(
    "output", ["trend", "mix", "cycle", "staff", "duplicates", "incomplete", "merges"]
)
def test_the_glossary_lists_exactly_the_columns_of_each_sales_output(produced, output):
    documented = listed().get(output, set())
    assert not produced[output] - documented, f"undocumented: {produced[output] - documented}"
    assert not documented - produced[output], f"stale: {documented - produced[output]}"


def test_returning_customers_and_returns_are_defined():
    text = GLOSSARY.read_text(encoding="utf-8")
    assert "**Returning customer (回头客).**" in text
    assert "- `returns` (currency; trend, mix): The period's (window's) returned revenue" in text

"""Every output column is in docs/glossary.md, under the outputs that carry it, and nothing else is.

The outputs are computed on a small simulated warehouse (400 customers, the one the scoring
tests use, on which the CLV models fit) and compared with the glossary's column table in both
directions: a column the code produces but the glossary does not list fails, and so does a
glossary entry that no output of its ``in`` list produces (a stale or misspelt name).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from crmlytics import crosssell
from crmlytics.demo import generate_demo
from crmlytics.export import export_segment
from crmlytics.export.pii import HASH_METHODS
from crmlytics.facts import facts
from crmlytics.segments import SEGMENTATIONS, customer_segments, rfm_report, segment_profiles
from crmlytics.workspace import Workspace

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"
ROW = re.compile(
    r"^\| `(?P<name>[^`]+)` \| (?P<unit>[^|]*) \| (?P<definition>.*) \| (?P<tags>[^|]*) \|$"
)


def glossary_entries() -> dict[str, dict[str, object]]:
    """The rows of the glossary's column table: name -> unit, definition, outputs."""
    entries: dict[str, dict[str, object]] = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line.strip())
        if match is None:
            continue
        name = match["name"]
        assert name not in entries, f"{name} is listed twice in the glossary"
        entries[name] = dict(
            unit=match["unit"].strip(),
            definition=match["definition"].strip(),
            outputs={t.strip() for t in match["tags"].split(",")},
        )
    return entries


def entry_pattern(name: str, plain: set[str]) -> re.Pattern[str]:
    """A glossary name as a regular expression: ``<unit>``, ``<method>`` and ``<column>``
    stand for a time unit, a PII hash method and a column the glossary defines by name."""
    choices = {
        "unit": ("weeks", "days"),
        "method": HASH_METHODS,
        "column": tuple(sorted(plain)),
    }
    parts = re.split(r"<(\w+)>", name)
    text = "".join(
        re.escape(part) if i % 2 == 0 else "(?:" + "|".join(map(re.escape, choices[part])) + ")"
        for i, part in enumerate(parts)
    )
    return re.compile(text)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, set[str]]:
    """Columns of every output, computed on one simulated warehouse."""
    from crmlytics.clv.predict import predict
    from crmlytics.clv.summary import customer_summary
    from crmlytics.scoring import score

    demo = generate_demo(customers=400, seed=11)
    ws = Workspace.memory()
    try:
        for table, frame in demo.tables.items():
            ws.insert(table, frame)
        as_of = demo.truth.as_of
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # empty RFM levels, convergence notes: not the point
            found = {
                "facts": set(facts(ws, as_of).columns),
                "rfm": set(rfm_report(ws, as_of).columns),
                "segments": set(customer_segments(ws, as_of).columns),
                "profiles": set().union(
                    *(segment_profiles(ws, as_of, by).columns for by in SEGMENTATIONS)
                ),
            }
            summary = customer_summary(ws, as_of)
            predictions = predict(ws, as_of)
            score(ws, as_of)
        found["scores"] = set(ws.backend.table("customer_scores").columns)
        found["runs"] = set(ws.backend.table("score_runs").columns)
        exported: set[str] = set()
        folder = tmp_path_factory.mktemp("glossary")
        for name, hashed in (("plain.csv", None), ("hashed.csv", "sha256")):
            export_segment(ws, "gold", as_of=as_of, out=folder / name, hash_pii=hashed)
            exported |= set(pd.read_csv(folder / name, encoding="utf-8-sig", nrows=0).columns)
        found["export"] = exported
        found["clv_summary"] = set(summary.columns)
        found["clv_predictions"] = set(predictions.columns)
        found["crosssell_rules"] = set(crosssell.rules(ws, as_of).columns)
        found["crosssell_recommend"] = set(crosssell.recommend(ws, as_of).columns)
        found["crosssell_evaluation"] = set(crosssell.evaluate(ws, as_of).columns)
        found.update(receivables_outputs(ws, as_of, folder))
    finally:
        ws.close()
    return found


def receivables_outputs(ws, as_of, folder) -> dict[str, set[str]]:
    """Columns of the receivables outputs and care lists; ``action_lists``: what a dunning or
    care list file adds to the columns of a segment list and of the list itself."""
    from crmlytics import care, receivables

    found = {
        "receivables_invoices": set(receivables.invoice_balances(ws, as_of).columns),
        "receivables_customers": set(receivables.customer_balances(ws, as_of).columns),
        "ageing": set(receivables.ageing(ws, as_of).columns),
        "dso": set(receivables.days_sales_outstanding(ws, as_of).columns),
        "over_limit": set(receivables.over_credit_limit(ws, as_of).columns),
        "unmatched_payments": set(receivables.unmatched_payments(ws, as_of).columns),
        "dunning": set(receivables.dunning(ws, as_of).columns),
        "care": set().union(*(care.care_members(ws, n, as_of).columns for n in care.CARE_LISTS)),
    }
    written: set[str] = set()
    receivables.export_dunning(ws, as_of, out=folder / "dunning.csv")
    care.export_care_list(ws, "birthdays", as_of, out=folder / "birthdays.csv")
    for name in ("dunning.csv", "birthdays.csv"):
        written |= set(pd.read_csv(folder / name, encoding="utf-8-sig", nrows=0).columns)
    segment_list = set(pd.read_csv(folder / "plain.csv", encoding="utf-8-sig", nrows=0).columns)
    found["action_lists"] = written - segment_list - found["dunning"] - found["care"]
    return found


def test_every_entry_has_a_unit_a_definition_and_known_outputs(outputs):
    entries = glossary_entries()
    assert len(entries) > 50  # the table was found and parsed
    for name, entry in entries.items():
        assert entry["unit"], f"{name}: no unit"
        assert len(str(entry["definition"])) > 10, f"{name}: no definition"
        unknown = set(entry["outputs"]) - set(outputs)
        assert not unknown, f"{name}: unknown outputs {unknown}"


@pytest.mark.parametrize(
    "output",
    [
        "facts",
        "rfm",
        "segments",
        "profiles",
        "scores",
        "runs",
        "export",
        "clv_summary",
        "clv_predictions",
        "crosssell_rules",
        "crosssell_recommend",
        "crosssell_evaluation",
        "receivables_invoices",
        "receivables_customers",
        "ageing",
        "dso",
        "over_limit",
        "unmatched_payments",
        "dunning",
        "care",
        "action_lists",
    ],
)
def test_the_glossary_lists_exactly_the_columns_of_each_output(outputs, output):
    entries = glossary_entries()
    plain = {name for name in entries if "<" not in name}
    listed = {
        name: entry_pattern(name, plain) for name, e in entries.items() if output in e["outputs"]
    }
    produced = outputs[output]
    undocumented = sorted(c for c in produced if not any(p.fullmatch(c) for p in listed.values()))
    assert not undocumented, f"{output} columns missing from docs/glossary.md: {undocumented}"
    stale = sorted(n for n, p in listed.items() if not any(p.fullmatch(c) for c in produced))
    assert not stale, f"glossary entries that {output} does not produce: {stale}"


def test_old_names_are_gone_from_every_output(outputs):
    old = {"recency_days", "tenure_days", "frequency", "monetary", "returns", "categories"}
    for output, columns in outputs.items():
        assert not old & columns, f"{output} still has {sorted(old & columns)}"


def test_a_purchase_is_defined_once_with_free_and_fully_returned_orders():
    text = GLOSSARY.read_text(encoding="utf-8")
    assert text.count("**A purchase.**") == 1
    definition = text.split("**A purchase.**")[1].split("\n\n")[0]
    assert "fully returned order is no purchase" in definition
    assert "free orders" in definition and "net zero and nothing returned" in definition

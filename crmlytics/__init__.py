"""crmlytics: analytical CRM toolkit on DuckDB and Spark through Ibis.

One import for a notebook::

    import crmlytics as crm
    ws = crm.Workspace.open()
    crm.facts(ws, "2025-06-30")
    crm.customer_segments(ws, "2025-06-30").to_pandas()
    model = crm.fit_clv(ws, "2025-06-30")  # a fitted crmlytics.clv.ClvModel

The heavier parts (segments, CLV, export, scoring) load on first use; ingest is
``crmlytics.ingest.ingest`` and the quickstart ``crmlytics.quickstart.quickstart``.
"""

from __future__ import annotations

import importlib
from typing import Any

from crmlytics.asof import AsOf, as_of
from crmlytics.config import Config, load_config
from crmlytics.facts import customer_facts, facts
from crmlytics.workspace import Workspace

__version__ = "0.1.0"

_LAZY = {
    "generate_demo": "crmlytics.demo",
    "write_demo": "crmlytics.demo",
    "customer_segments": "crmlytics.segments",
    "segment_profiles": "crmlytics.segments",
    "pareto": "crmlytics.segments",
    "pareto_summary": "crmlytics.segments",
    "migration": "crmlytics.segments",
    "btyd_summary": "crmlytics.clv.summary",
    "fit_clv": "crmlytics.clv.predict",
    "predict_clv": ("crmlytics.clv.predict", "predict"),
    "backtest_clv": ("crmlytics.clv.backtest", "backtest"),
    "export_segment": "crmlytics.export",
    "score": "crmlytics.scoring",
    "latest_scores": "crmlytics.runs",
}

__all__ = [
    "AsOf",
    "Config",
    "Workspace",
    "__version__",
    "as_of",
    "customer_facts",
    "facts",
    "load_config",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'crmlytics' has no attribute {name!r}")
    module, attribute = target if isinstance(target, tuple) else (target, name)
    return getattr(importlib.import_module(module), attribute)

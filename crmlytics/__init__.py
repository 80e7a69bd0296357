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
import sys
import types
from typing import Any

__version__ = "0.1.0"

# Everything loads on first use, so that ``import crmlytics`` (and the CLI's start-up) imports
# neither Ibis nor pandas, plotly or Spark until a name that needs them is asked for.
_LAZY = {
    "AsOf": "crmlytics.asof",
    "as_of": "crmlytics.asof",
    "Config": "crmlytics.config",
    "load_config": "crmlytics.config",
    "Workspace": "crmlytics.workspace",
    "customer_facts": "crmlytics.facts",
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
    "localise": "crmlytics.labels",
}

__all__ = ["__version__", "facts", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'crmlytics' has no attribute {name!r}")
    module, attribute = target if isinstance(target, tuple) else (target, name)
    return getattr(importlib.import_module(module), attribute)


class _Package(types.ModuleType):
    """``crmlytics.facts`` is the function even after the module of that name is imported
    (importing a submodule sets the package attribute of its name to the module)."""

    @property
    def facts(self) -> Any:
        return importlib.import_module("crmlytics.facts").facts

    @facts.setter
    def facts(self, value: Any) -> None:
        pass  # the import system binding the submodule; sys.modules keeps it


sys.modules[__name__].__class__ = _Package

"""crmlytics: analytical CRM toolkit on DuckDB and Spark through Ibis."""

from crmlytics.asof import AsOf, as_of
from crmlytics.config import Config, load_config
from crmlytics.facts import customer_facts, facts
from crmlytics.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "AsOf",
    "Config",
    "Workspace",
    "__version__",
    "as_of",
    "customer_facts",
    "facts",
    "load_config",
]

"""The state one file's load shares between its steps: connection, table, file and load id."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crmlytics.ingest.parsing import ParseOptions
from crmlytics.schema import TableSpec


class LoadContext:
    """One file's load: where it goes, its private temp table names, and SQL helpers."""

    def __init__(
        self,
        con: Any,
        table_spec: TableSpec,
        path: Path,
        strict: bool,
        options: ParseOptions | None = None,
    ) -> None:
        self.con = con
        self.spec = table_spec
        self.path = path
        self.strict = strict
        self.options = options or ParseOptions()
        self.load_id = uuid.uuid4().hex
        self.started = dt.datetime.now()

    def name(self, what: str) -> str:
        """The private temp table ``what`` of this load."""
        return f"__crm_{what}_{self.load_id}"

    def sql(self, query: str, params: Sequence[Any] | None = None) -> Any:
        return self.con.execute(query, params) if params is not None else self.con.execute(query)

    def scalar(self, query: str) -> Any:
        return self.sql(query).fetchone()[0]

"""Quickstart: demo data → ingest → customer facts, in one call, on the embedded warehouse."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from crmlytics.errors import DataError
from crmlytics.facts import facts, facts_summary
from crmlytics.schema import CANONICAL
from crmlytics.workspace import Workspace

# Parents before children, so that a reader of load_log sees the natural order.
LOAD_ORDER = tuple(CANONICAL)

#: The steps :func:`quickstart` announces through its ``progress`` callback, with their labels.
QUICKSTART_STEPS = {
    "demo": "writing the demo data",
    "ingest": "ingesting every demo table",
    "facts": "computing customer facts",
}


@dataclass
class QuickstartResult:
    """What the quickstart did: the files loaded with their counts, and the facts summary."""

    db: Path
    demo_dir: Path
    as_of: str
    loads: pd.DataFrame
    summary: pd.DataFrame
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)


def quickstart(
    db: str | os.PathLike[str] | None = None,
    *,
    customers: int = 2000,
    seed: int = 7,
    demo_dir: str | os.PathLike[str] = Path("data") / "demo",
    progress: Callable[[str], None] | None = None,
) -> QuickstartResult:
    """Write the demo data set to ``demo_dir``, ingest every table into the warehouse ``db``
    and compute the customer facts as of the demo's as-of date.

    Running it twice loads nothing twice: the second ingest finds every row already there.
    """
    from crmlytics.demo import write_demo
    from crmlytics.ingest import ingest, load_summary

    announce = progress or (lambda step: None)
    announce("demo")
    files = write_demo(demo_dir, customers=customers, seed=seed)
    as_of = _demo_as_of(files)
    frames = []
    announce("ingest")
    with Workspace.open(db) as ws:
        for table in LOAD_ORDER:
            if table not in files:
                continue
            loads = load_summary(ingest(ws, table, [files[table]]))
            loads["file"] = [Path(f).name for f in loads["file"]]
            frames.append(loads.assign(table=table))
        announce("facts")
        frame = facts(ws, as_of)
        path = ws.path
    return QuickstartResult(
        db=Path(path) if path else Path(),
        demo_dir=Path(demo_dir),
        as_of=as_of,
        loads=pd.concat(frames, ignore_index=True)[["table", *frames[0].columns[:-1]]],
        summary=facts_summary(frame),
    )


def _demo_as_of(files: dict[str, Path]) -> str:
    """The as-of date the demo was generated for (recorded in its truth.json)."""
    import json

    truth = files.get("truth")
    if truth is not None and Path(truth).exists():
        recorded = json.loads(Path(truth).read_text(encoding="utf-8")).get("as_of")
        if recorded:
            return str(recorded)[:10]
    raise DataError("the demo data set does not record its as-of date in truth.json")

"""One HTML report writer for every domain: works offline, written atomically."""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crmlytics.io import unwritable


def write_report(path: str | Path, title: str, blocks: Iterable[Any]) -> Path:
    """Write an HTML report of ``blocks`` under an ``<h1>`` ``title``; returns the path.

    A block is a plotly figure, a pandas frame (rendered as a table) or a string (a paragraph;
    escaped, never read as HTML). plotly.js is embedded once, so the file shows its charts
    without a network. The file appears under its name only once complete.
    """
    import pandas as pd

    path = Path(path)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    plotly_js_written = False
    for block in blocks:
        if isinstance(block, pd.DataFrame):
            parts.append(block.to_html(float_format=lambda v: f"{v:,.4g}", border=0))
        elif isinstance(block, str):
            parts.append(f"<p>{html.escape(block)}</p>")
        else:  # a plotly figure
            parts.append(block.to_html(full_html=False, include_plotlyjs=not plotly_js_written))
            plotly_js_written = True
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>\n"
        + "\n".join(parts)
        + "\n</body></html>"
    )
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise unwritable(path, exc) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path

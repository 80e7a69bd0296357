"""Writing result tables to files: the format follows the extension."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMATS = (".csv", ".parquet", ".xlsx", ".json")


def write_frame(frame: pd.DataFrame, out: str | Path, *, sheet_name: str = "data") -> Path:
    """Write ``frame`` to ``out`` as CSV (UTF-8 with BOM, so Excel shows Chinese), Parquet,
    Excel or JSON records, chosen by the file extension. Returns the path written."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot write {path}: unknown extension {suffix or '(none)'!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if suffix == ".csv":
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    elif suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    elif suffix == ".xlsx":
        with pd.ExcelWriter(tmp, engine="xlsxwriter") as writer:
            frame.to_excel(writer, index=False, sheet_name=sheet_name)
    else:
        frame.to_json(tmp, orient="records", force_ascii=False, date_format="iso", indent=1)
    tmp.replace(path)  # atomic: a failed write never leaves half a file under the real name
    return path

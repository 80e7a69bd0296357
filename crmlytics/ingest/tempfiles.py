"""Temporary copies of files being loaded: next to the warehouse, recognisable, cleaned up.

A GB18030 or whitespace-separated file is transcoded into a temporary UTF-8 copy for DuckDB.
The copy lives in a directory named ``.crmlytics-ingest-<pid>-<random>`` beside the warehouse
file (the system temp directory for an in-memory warehouse) and is removed when the load ends;
a process killed mid-load leaves it behind, so every ingest first removes the directories of
processes that no longer run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from crmlytics.ingest.formats import TEMP_PREFIX


def temp_root(warehouse: Path | None) -> Path | None:
    """Where the temporary copies of a load go: beside ``warehouse`` (None: system temp)."""
    return Path(warehouse).resolve().parent if warehouse is not None else None


def clean_stale(root: Path | None) -> list[Path]:
    """Remove the copies left in ``root`` by processes that no longer run; the paths removed."""
    if root is None or not root.is_dir():
        return []
    removed = []
    for entry in root.glob(f"{TEMP_PREFIX}*"):
        pid_text = entry.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if not entry.is_dir() or not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True

"""Ingest's errors: every file that cannot be loaded is an :class:`IngestError` (a DataError)."""

from __future__ import annotations

from crmlytics.errors import DataError


class IngestError(DataError):
    """A file that cannot be loaded (strict mode rejects, bad mapping, unreadable file)."""


class FileReadError(IngestError):
    """A file that cannot be read as a table (its headers, sheets or format)."""


class MappingError(IngestError):
    """A mapping file that does not fit the table or the file (names the key or header)."""

"""One error hierarchy: every failure crmlytics expects is a :class:`CrmlyticsError`.

Each kind has its own exit code, which the CLI returns after printing the message as one line.
Any other exception is a bug and keeps its traceback. Messages name the file, line, column, value
or option at fault and what was expected.

=====================  ====  ==========================================================
kind                   exit  when
=====================  ====  ==========================================================
ConfigError               2  an option or a setting in ``crmlytics.yaml`` is invalid
DataError                 3  an input file or the data is unusable (or an output file
                             cannot be written); an as-of date outside the data
WarehouseError            4  no warehouse at the path, or a table a guarantee needs is
                             missing or empty
WarehouseBusyError        5  another process holds the warehouse's lock
NotFittedError            6  a model was used before ``fit`` or does not match the data
FitError                  7  the data cannot support a model (the reason is named)
EmptyResultError          8  a result is empty and ``--fail-on-empty`` was given
=====================  ====  ==========================================================

Exit code 1 is any other :class:`CrmlyticsError`; a bug exits 1 with its traceback.
"""

from __future__ import annotations

from typing import Any


class CrmlyticsError(Exception):
    """Root of every error crmlytics raises on purpose."""

    exit_code = 1


class ConfigError(CrmlyticsError, ValueError):
    """An option or a configuration setting is invalid (names the key and what is allowed)."""

    exit_code = 2


class UnknownNameError(ConfigError, KeyError):
    """A table, column, segment or other name that does not exist (names the known ones)."""

    def __str__(self) -> str:  # a KeyError would print its message in quotes
        return str(self.args[0]) if self.args else ""


class DataError(CrmlyticsError, ValueError):
    """An input file or the data in the warehouse cannot give a trustworthy result."""

    exit_code = 3


class WarehouseError(CrmlyticsError):
    """The warehouse is missing, or lacks a table (or rows) that a guarantee depends on."""

    exit_code = 4


class WarehouseBusyError(WarehouseError):
    """Another process holds the warehouse's write lock."""

    exit_code = 5


class FitError(CrmlyticsError, ValueError):
    """The data cannot support the model; the message says what in the data prevents the fit."""

    exit_code = 7


class EmptyResultError(CrmlyticsError):
    """A result is empty where the caller asked for that to be a failure (``--fail-on-empty``)."""

    exit_code = 8


EXIT_CODES: dict[str, int] = {
    cls.__name__: cls.exit_code
    for cls in (
        CrmlyticsError,
        ConfigError,
        DataError,
        WarehouseError,
        WarehouseBusyError,
        FitError,
        EmptyResultError,
    )
}
EXIT_CODES["NotFittedError"] = 6
"""Exit code per error kind, as documented in ``crmlytics --help``."""


def __getattr__(name: str) -> Any:
    # NotFittedError subclasses scikit-learn's, whose import costs seconds: it lives in
    # crmlytics.base (the model contract) and is reachable from here on first use.
    if name == "NotFittedError":
        from crmlytics.base import NotFittedError

        return NotFittedError
    raise AttributeError(f"module 'crmlytics.errors' has no attribute {name!r}")


class CrmlyticsWarning(UserWarning):
    """Root of the warnings crmlytics gives: the result is computed, but something about it
    surprises (the CLI prints these as one line each)."""

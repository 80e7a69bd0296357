"""The model contract every fitted thing in crmlytics follows (scikit-learn shape)."""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFitted

from crmlytics.errors import CrmlyticsError


class NotFittedError(CrmlyticsError, _SklearnNotFitted):
    """A model was asked to predict before ``fit``, or was fitted on incompatible data.

    Also a :class:`sklearn.exceptions.NotFittedError` (so a ``ValueError`` and an
    ``AttributeError``), as scikit-learn's tools expect. Exit code 6.
    """

    exit_code = 6

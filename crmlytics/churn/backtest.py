"""Labelled snapshots, the temporal backtest of every churn method, and training.

Time runs one way. For an as-of date ``D`` and a horizon ``h`` (days):

- the **evaluation cutoff** is ``E = D - h``, the latest cutoff whose horizon has fully passed
  by ``D``;
- the **training cutoffs** end at ``E - h`` (their labels were known at ``E``) and step back by
  ``cutoff_spacing_days``: ``E - h, E - h - s, …`` (``cutoffs`` of them);
- every method (:data:`crmlytics.churn.model.METHODS`) is fitted on the training cutoffs and
  scored on ``E``; the report ranks them by ROC AUC (then PR AUC);
- :func:`train` then fits the method ranked first on the cutoffs ending at ``E`` itself (labels
  known at ``D``): that is the model used for scoring as of ``D``.

Ranking metrics (ROC AUC, PR AUC, top-decile lift and capture) are computed on each method's
ranking score, probability metrics (Brier score, calibration) on its calibrated probability.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from crmlytics.asof import as_of as resolve_as_of
from crmlytics.churn.config import ChurnConfig, churn_config
from crmlytics.churn.features import feature_frame
from crmlytics.churn.labels import AsOfLike
from crmlytics.churn.metrics import (
    brier,
    calibration_error,
    calibration_table,
    gains_table,
    pr_auc,
    roc_auc,
    top_decile,
)
from crmlytics.churn.model import METHODS, ChurnModel
from crmlytics.errors import ConfigError, DataError
from crmlytics.workspace import Workspace

#: Columns of the backtest report, one row per method (``backtest --out``).
REPORT_COLUMNS: tuple[str, ...] = (
    "method",
    "roc_auc",
    "pr_auc",
    "top_decile_lift",
    "brier",
    "top_decile_capture",
    "calibration_error",
    "rank",
)

Progress = Callable[[str], None] | None


def cutoff_dates(last: _dt.date, count: int, spacing_days: int) -> list[_dt.date]:
    """``count`` cutoffs ``spacing_days`` apart ending at ``last``, oldest first."""
    return [last - _dt.timedelta(days=spacing_days * k) for k in range(count - 1, -1, -1)]


def parse_cutoffs(text: str | Sequence[str | _dt.date] | None) -> list[_dt.date] | None:
    """Cutoff dates from ``"2024-01-01,2024-04-01"`` (or a sequence), sorted; None stays None."""
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    dates = []
    for item in items:
        try:
            dates.append(
                item if isinstance(item, _dt.date) else _dt.date.fromisoformat(item.strip())
            )
        except ValueError:
            raise ConfigError(
                f"--cutoffs: {item!r} is not a date; expected YYYY-MM-DD[,YYYY-MM-DD…]"
            ) from None
    if len(set(dates)) < 2:
        raise ConfigError(f"--cutoffs: give at least two distinct dates, got {text!r}")
    return sorted(set(dates))


def snapshots(
    ws: Workspace,
    cutoffs: Sequence[AsOfLike],
    config: ChurnConfig | None = None,
    progress: Progress = None,
) -> pd.DataFrame:
    """Labelled snapshots: features as of each cutoff and the label over the horizon after it.

    One row per (cutoff, customer) of the population at each cutoff: ``cutoff``,
    ``customer_id``, the features (:data:`crmlytics.churn.features.FEATURES`) and ``churned``
    (:func:`crmlytics.churn.labels.churn_labels`).
    """
    c = config or ChurnConfig()
    parts = []
    for cutoff in cutoffs:
        if progress is not None:
            progress(f"snapshot {resolve_as_of(cutoff)}")
        parts.append(feature_frame(ws, cutoff, c, labels=True))
    frame = pd.concat(parts, ignore_index=True)
    frame.attrs["as_of"] = max(str(resolve_as_of(cutoff)) for cutoff in cutoffs)
    return frame


def method_metrics(method: str, y: pd.Series, score, probability) -> dict[str, float | str]:  # noqa: ANN001
    """One report row: ranking metrics on ``score``, probability metrics on ``probability``."""
    lift, capture = top_decile(y, score)
    return {
        "method": method,
        "roc_auc": roc_auc(y, score),
        "pr_auc": pr_auc(y, score),
        "top_decile_lift": lift,
        "brier": brier(y, probability),
        "top_decile_capture": capture,
        "calibration_error": calibration_error(y, probability),
    }


@dataclass
class BacktestResult:
    """What the backtest found.

    ``report``: one row per method (:data:`REPORT_COLUMNS`), best first; ``calibration`` and
    ``gains``: per method (``method`` column) the calibration and gains tables on the
    evaluation cutoff; ``predictions``: the evaluation customers with ``churned`` and each
    method's probability (``p_<method>``); ``models``: the fitted methods (scored only:
    fitted with ``explain=False``, so without importance, effect curves or drivers).
    """

    as_of: _dt.date
    evaluation_cutoff: _dt.date
    training_cutoffs: list[_dt.date]
    horizon_days: int
    report: pd.DataFrame
    calibration: pd.DataFrame
    gains: pd.DataFrame
    predictions: pd.DataFrame
    models: dict[str, ChurnModel] = field(default_factory=dict)

    @property
    def best_method(self) -> str:
        """The method the report ranks first (the one used for scoring)."""
        return str(self.report["method"].iloc[0])


def model_for(method: str, config: ChurnConfig, *, explain: bool = True) -> ChurnModel:
    """An unfitted :class:`ChurnModel` of ``method`` with the settings of ``config``
    (``explain``: see :class:`ChurnModel`)."""
    g = config.gbt
    return ChurnModel(
        method=method,
        learning_rate=g.learning_rate,
        max_iter=g.max_iter,
        max_leaf_nodes=g.max_leaf_nodes,
        min_samples_leaf=g.min_samples_leaf,
        l2_regularization=g.l2_regularization,
        calibration=g.calibration,
        random_state=config.random_state,
        explain=explain,
    )


def plan(
    as_of: AsOfLike, config: ChurnConfig, cutoffs: Sequence[_dt.date] | None = None
) -> tuple[_dt.date, list[_dt.date]]:
    """The evaluation cutoff and the training cutoffs of a backtest as of ``as_of``.

    With ``cutoffs`` given, the latest is the evaluation cutoff and must have its horizon
    passed by ``as_of``; the training cutoffs are those whose horizon ends by it.
    """
    h = config.horizon_days
    day = resolve_as_of(as_of).date
    if cutoffs is None:
        evaluation = day - _dt.timedelta(days=h)
        training = cutoff_dates(
            evaluation - _dt.timedelta(days=h), config.cutoffs, config.cutoff_spacing_days
        )
        return evaluation, training
    ordered = sorted(cutoffs)
    evaluation = ordered[-1]
    if evaluation + _dt.timedelta(days=h) > day:
        raise ConfigError(
            f"--cutoffs: the latest cutoff {evaluation} has its {h}-day horizon end after the "
            f"as-of date {day}; its labels are not known yet"
        )
    training = [c for c in ordered[:-1] if c + _dt.timedelta(days=h) <= evaluation]
    if not training:
        raise ConfigError(
            f"--cutoffs: no cutoff has its {h}-day horizon end by the evaluation cutoff "
            f"{evaluation}; give earlier cutoffs"
        )
    return evaluation, training


def backtest(
    ws: Workspace,
    as_of: AsOfLike = None,
    config: object | None = None,
    *,
    cutoffs: Sequence[_dt.date] | None = None,
    methods: Sequence[str] = METHODS,
    frames: dict[_dt.date, pd.DataFrame] | None = None,
    progress: Progress = None,
) -> BacktestResult:
    """Evaluate every churn method on the latest cutoff whose horizon has passed by ``as_of``.

    Parameters
    ----------
    as_of
        The date the backtest is run as of (default today); see the module doc for the cutoffs.
    config
        A :class:`~crmlytics.config.Config` or its :class:`ChurnConfig` section.
    cutoffs
        Explicit cutoffs instead of the configured ones (the latest is evaluated).
    frames
        Snapshots already computed, by cutoff date (reused, and filled in).
    """
    c = churn_config(config)
    point = resolve_as_of(as_of)
    evaluation, training = plan(point, c, cutoffs)
    frames = {} if frames is None else frames
    for cutoff in (*training, evaluation):
        if cutoff not in frames:
            frames[cutoff] = snapshots(ws, [cutoff], c, progress)
    train = pd.concat([frames[t] for t in training], ignore_index=True)
    train.attrs["as_of"] = str(training[-1])
    test = frames[evaluation]
    if test.empty:
        raise DataError(f"no customer to evaluate at the cutoff {evaluation} (as of {point.date})")
    y = test["churned"]
    rows, calibration, gains, models = [], [], [], {}
    predictions = test[["customer_id", "churned"]].copy()
    for method in methods:
        if progress is not None:
            progress(f"fit {method}")
        model = model_for(method, c, explain=False).fit(train)
        scored = model.predict(test)
        models[method] = model
        predictions[f"p_{method}"] = scored["churn_probability"].to_numpy()
        rows.append(method_metrics(method, y, scored["churn_score"], scored["churn_probability"]))
        calibration.append(calibration_table(y, scored["churn_probability"]).assign(method=method))
        gains.append(gains_table(y, scored["churn_score"]).assign(method=method))
    report = pd.DataFrame(rows).sort_values(
        ["roc_auc", "pr_auc", "method"], ascending=[False, False, True], kind="stable"
    )
    report = report.reset_index(drop=True)
    report["rank"] = range(1, len(report) + 1)
    return BacktestResult(
        as_of=point.date,
        evaluation_cutoff=evaluation,
        training_cutoffs=list(training),
        horizon_days=c.horizon_days,
        report=report[list(REPORT_COLUMNS)],
        calibration=pd.concat(calibration, ignore_index=True),
        gains=pd.concat(gains, ignore_index=True),
        predictions=predictions,
        models=models,
    )


@dataclass
class TrainResult:
    """A churn model ready to score as of ``as_of`` and the backtest that chose its method."""

    model: ChurnModel
    backtest: BacktestResult


def train(
    ws: Workspace,
    as_of: AsOfLike = None,
    config: object | None = None,
    *,
    cutoffs: Sequence[_dt.date] | None = None,
    method: str | None = None,
    progress: Progress = None,
) -> TrainResult:
    """Backtest every method as of ``as_of``, then fit the one ranked first (or ``method``)
    on the cutoffs ending at the evaluation cutoff (all labels known by ``as_of``).

    With explicit ``cutoffs`` the backtest evaluates the latest and the final model is
    fitted on all of them.
    """
    c = churn_config(config)
    frames: dict[_dt.date, pd.DataFrame] = {}
    result = backtest(ws, as_of, c, cutoffs=cutoffs, frames=frames, progress=progress)
    chosen = method or result.best_method
    if chosen not in METHODS:
        raise ConfigError(f"--method must be one of {', '.join(METHODS)}, not {chosen!r}")
    if cutoffs is None:
        final = cutoff_dates(result.evaluation_cutoff, c.cutoffs, c.cutoff_spacing_days)
    else:
        final = sorted(cutoffs)
    for cutoff in final:
        if cutoff not in frames:
            frames[cutoff] = snapshots(ws, [cutoff], c, progress)
    if progress is not None:
        progress(f"fit {chosen} on {len(final)} cutoffs")
    data = pd.concat([frames[t] for t in final], ignore_index=True)
    data.attrs["as_of"] = str(final[-1])
    model = model_for(chosen, c).fit(data)
    return TrainResult(model, result)

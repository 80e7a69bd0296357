"""The churn model: calibrated gradient-boosted trees, and the baselines in the same shape.

:class:`ChurnModel` follows the model contract (:mod:`crmlytics.base`). Its ``method`` picks
what scores a customer:

- ``gbt`` (default): scikit-learn's ``HistGradientBoostingClassifier`` fitted on the earlier
  cutoffs of the training frame, its scores turned into probabilities (isotonic regression or
  Platt's sigmoid) on the latest cutoff, so the calibration is learnt on a later period than the
  trees, as the model will be used;
- ``logistic``: logistic regression on the standardised features (missing values imputed with
  the training median plus a missing-indicator column);
- ``days_since_last_purchase``, ``overdue`` and ``p_alive``: the rules an analyst would use
  (days since the last purchase; days since the last purchase over the customer's own mean gap,
  one-purchase-day customers measured against the median gap of the training customers;
  ``1 - P(alive)``), each turned into a probability by an isotonic fit on the training rows.

Every method ranks customers by a ``score`` (the uncalibrated model output or the rule value) and
reports a calibrated ``churn_probability``, non-decreasing in the score.

References
----------
Ke et al. (2017), LightGBM: a highly efficient gradient boosting decision tree (the histogram
algorithm of ``HistGradientBoostingClassifier``). Zadrozny & Elkan (2002), Transforming
classifier scores into accurate multiclass probability estimates (isotonic calibration).
Platt (1999), Probabilistic outputs for support vector machines (sigmoid calibration).
"""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import ThreadpoolController

from crmlytics.base import (
    ContractData,
    Model,
    decode_object,
    encode_object,
    frame_hash,
    register_model,
)
from crmlytics.churn.features import FEATURES
from crmlytics.churn.metrics import roc_auc
from crmlytics.errors import ConfigError, DataError, FitError

METHODS: tuple[str, ...] = ("gbt", "logistic", "days_since_last_purchase", "overdue", "p_alive")
RULES: dict[str, tuple[str, ...]] = {
    "days_since_last_purchase": ("days_since_last_purchase",),
    "overdue": ("days_since_last_purchase", "overdue_ratio", "mean_gap_days"),
    "p_alive": ("p_alive",),
}
_IMPORTANCE_ROWS = 10_000
_EFFECT_ROWS = 250
_EFFECT_BINS = 32


@register_model
class ChurnModel(Model):
    """Probability that a customer churns within the horizon, with the drivers of that risk.

    Parameters
    ----------
    method
        ``gbt``, ``logistic`` or one of the rules (see the module doc).
    features
        Feature columns used by ``gbt`` and ``logistic``; ``None``: every column of
        :data:`crmlytics.churn.features.FEATURES` the training frame has.
    learning_rate, max_iter, max_leaf_nodes, min_samples_leaf, l2_regularization
        ``HistGradientBoostingClassifier`` settings (``gbt``).
    calibration
        ``isotonic`` or ``sigmoid``: how ``gbt`` scores become probabilities.
    random_state
        Seed of the trees, the calibration split of a one-cutoff frame and the permutations.
    n_threads
        OpenMP threads for the trees (``None``: all cores). One by default: on a shared
        machine, spinning threads that wait for busy cores made fitting several times slower
        than one thread; raise it on an idle machine with many cores.
    explain
        Learn what explains the scores at fit time: the permutation importance
        (``importance_``) and the effect curves (``effects_``) that :meth:`drivers` and
        :meth:`summary` read. ``False`` leaves ``importance_`` empty and ``effects_`` ``None``
        and saves most of a fit's time: for a model that is only scored, as the backtest's
        (:func:`crmlytics.churn.backtest.backtest`) are; such a model gives no drivers.

    Attributes
    ----------
    features_ : list of str
        Columns the model reads (for ``gbt``, the features that had a value in the rows the
        trees were grown on: one missing throughout training is left out).
    estimator_ : object or None
        The fitted trees or logistic pipeline (``None`` for a rule).
    calibrator_ : object or None
        Score to probability map (``None`` for ``logistic``, already a probability).
    medians_ : dict
        Training medians of the features (the reference of the per-customer reasons).
    importance_ : pandas.DataFrame
        Permutation importance on the calibration rows: ``feature, importance`` (mean drop of
        ROC AUC when the feature is shuffled), ``importance_sd``; no rows with ``explain=False``.
    effects_ : dict or None
        Per feature its effect curve (partial dependence of the ranking score on a sample of
        the calibration rows): ``edges`` of up to 32 bins of the training values, the ``means``
        score in each bin and the ``missing`` mean; what :meth:`drivers` reads pushes from
        (``None`` with ``explain=False``).
    reference_ : dict
        Per feature the decile edges of the training values and the shares in each bin (PSI).
    training_ : dict
        Rows, churn rate and cutoffs of the training and calibration parts.
    as_of_, data_hash_ : str
        ``X.attrs["as_of"]`` if set (:func:`crmlytics.churn.snapshots` sets the latest cutoff),
        else the latest cutoff (ISO date); a hash of the training features.
    """

    kind = "churn"
    _fitted_marker = "medians_"

    def __init__(
        self,
        method: str = "gbt",
        features: tuple[str, ...] | None = None,
        learning_rate: float = 0.08,
        max_iter: int = 200,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        calibration: str = "isotonic",
        random_state: int = 0,
        n_threads: int | None = 1,
        explain: bool = True,
    ) -> None:
        self.method = method
        self.features = features
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration = calibration
        self.random_state = random_state
        self.n_threads = n_threads
        self.explain = explain

    # -- fitting --------------------------------------------------------------------------------
    def fit(
        self,
        X: pd.DataFrame,
        y: Any = None,
        cutoff: Any = None,
    ) -> Self:
        """Fit on labelled snapshots.

        Parameters
        ----------
        X
            One row per (cutoff, customer) with the feature columns, e.g. from
            :func:`crmlytics.churn.snapshots`; ``churned`` and ``cutoff`` columns are used when
            ``y`` / ``cutoff`` are not given.
        y
            1 churned, 0 stayed.
        cutoff
            Cutoff of each row: ``gbt`` grows its trees on the earlier cutoffs and calibrates
            on the latest (one cutoff: a random quarter of the rows calibrates).
        """
        with _openmp_threads(self.n_threads):
            return self._fit(X, y, cutoff)

    def _fit(self, X: pd.DataFrame, y: Any, cutoff: Any) -> Self:
        if self.method not in METHODS:
            raise FitError(f"churn method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.calibration not in ("isotonic", "sigmoid"):
            raise FitError(f"calibration must be isotonic or sigmoid, not {self.calibration!r}")
        y = _labels(X, y)
        cutoffs = _cutoffs(X, cutoff)
        features = self._select_features(X)
        if len(np.unique(y)) < 2:
            raise FitError(
                f"churn needs churners and stayers in the training data; all {len(y):,} rows "
                f"are labelled {int(y[0]) if len(y) else 'nothing'} (check the cutoffs and the "
                "horizon)"
            )
        data = X[features].astype("float64")
        fit_rows, cal_rows = self._split(cutoffs, len(y))
        if len(np.unique(y[cal_rows])) < 2 or len(np.unique(y[fit_rows])) < 2:
            raise FitError(
                "the calibration cutoff (the latest) or the earlier ones hold only churners or "
                "only stayers; add cutoffs or lengthen the history"
            )
        if self.method == "gbt":
            # a feature with no value in the rows the trees learn from has nothing to teach
            # (campaign_open_rate when no campaign was sent), and scikit-learn cannot bin it
            features = [f for f in features if data.loc[fit_rows, f].notna().any()]
            data = data[features]
        self.features_ = features
        self.estimator_, self.calibrator_ = None, None
        if self.method == "gbt":
            trees = HistGradientBoostingClassifier(
                learning_rate=self.learning_rate,
                max_iter=self.max_iter,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization,
                early_stopping=True,
                validation_fraction=0.1,
                n_iter_no_change=15,
                random_state=self.random_state,
            )
            self.estimator_ = trees.fit(data[fit_rows], y[fit_rows])
        elif self.method == "logistic":
            pipe = make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                StandardScaler(),
                LogisticRegression(max_iter=2000),
            )
            self.estimator_ = pipe.fit(data, y)
            cal_rows = np.ones(len(y), dtype=bool)
        else:
            cal_rows = np.ones(len(y), dtype=bool)
        self.medians_ = {f: _finite_median(data[f]) for f in features}
        self.gap_median_ = _finite_median(X["mean_gap_days"]) if "mean_gap_days" in X else 30.0
        if self.method != "logistic":
            score = self.score_samples(X[cal_rows])
            self.calibrator_ = _calibrator(self.calibration if self.method == "gbt" else "isotonic")
            self.calibrator_.fit(score.reshape(-1, 1) if self._sigmoid else score, y[cal_rows])
        self.importance_ = self._importance(X[cal_rows], y[cal_rows])
        self.effects_ = self._effects(X[cal_rows]) if self.explain else None
        self.reference_ = {f: _reference(data[f]) for f in features}
        self.training_ = {
            "rows": int(len(y)),
            "churn_rate": float(y.mean()),
            "cutoffs": sorted({str(c) for c in np.unique(cutoffs)}),
            "fit_rows": int(fit_rows.sum()),
            "calibration_rows": int(cal_rows.sum()),
            "iterations": int(getattr(self.estimator_, "n_iter_", 0) or 0),
        }
        latest = (
            str(pd.Timestamp(max(cutoffs)).date()) if "cutoff" in X or cutoff is not None else None
        )
        self.as_of_ = X.attrs.get("as_of", latest)
        self.data_hash_ = frame_hash(X, features)
        return self

    @property
    def _sigmoid(self) -> bool:
        return self.method == "gbt" and self.calibration == "sigmoid"

    def _select_features(self, X: pd.DataFrame) -> list[str]:
        if self.method in RULES:
            needed = RULES[self.method][:1] if self.method != "overdue" else RULES["overdue"]
            missing = [f for f in needed if f not in X.columns]
            if missing:
                raise DataError(f"churn rule {self.method!r} needs column(s) {', '.join(missing)}")
            return list(needed)
        if self.features is not None:
            missing = [f for f in self.features if f not in X.columns]
            if missing:
                raise DataError(f"the training data lacks feature column(s) {', '.join(missing)}")
            return list(self.features)
        chosen = [f for f in FEATURES if f in X.columns]
        if not chosen:
            raise DataError(f"the training data has none of the churn features {FEATURES}")
        return chosen

    def _split(self, cutoffs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        if self.method != "gbt":
            return np.ones(n, dtype=bool), np.ones(n, dtype=bool)
        distinct = np.unique(cutoffs)
        if len(distinct) >= 2:
            cal = cutoffs == distinct[-1]
        else:
            cal = np.random.default_rng(self.random_state).random(n) < 0.25
        return ~cal, cal

    # -- scoring --------------------------------------------------------------------------------
    def score_samples(self, X: pd.DataFrame) -> np.ndarray:
        """The ranking score of each row (higher = more likely to churn), uncalibrated."""
        self._check_compatible(X)
        data = X[self.features_].astype("float64")
        if self.method in ("gbt", "logistic"):
            with _openmp_threads(self.n_threads):
                return self.estimator_.predict_proba(data)[:, 1]
        if self.method == "p_alive":
            return 1.0 - np.nan_to_num(data["p_alive"].to_numpy(), nan=self.medians_["p_alive"])
        days = data["days_since_last_purchase"].to_numpy()
        if self.method == "days_since_last_purchase":
            return np.nan_to_num(days, nan=self.medians_["days_since_last_purchase"])
        ratio = data["overdue_ratio"].to_numpy()
        fallback = days / max(self.gap_median_, 1.0)
        return np.nan_to_num(np.where(np.isnan(ratio), fallback, ratio), nan=0.0)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, 2)`` array: probabilities of staying and of churning within the horizon."""
        p = self._calibrated(self.score_samples(X))
        return np.column_stack([1.0 - p, p])

    def _calibrated(self, score: np.ndarray) -> np.ndarray:
        if self.calibrator_ is None:
            p = score
        elif self._sigmoid:
            p = self.calibrator_.predict_proba(score.reshape(-1, 1))[:, 1]
        else:
            p = self.calibrator_.predict(score)
        return np.clip(np.asarray(p, dtype="float64"), 0.0, 1.0)

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """``churn_probability`` (calibrated) and ``churn_score`` (ranking score) per row of
        ``X``, with ``X``'s index."""
        score = self.score_samples(X)
        return pd.DataFrame(
            {"churn_probability": self._calibrated(score), "churn_score": score}, index=X.index
        )

    def drivers(
        self, X: pd.DataFrame, top: int = 3, candidates: int = 8, *, exact: bool = False
    ) -> pd.DataFrame:
        """The ``top`` features that raise each customer's churn probability the most.

        A feature's push compares the customer's value of that feature with its training
        median, in points of the ranking score (:meth:`score_samples`; not the calibrated
        probability, whose isotonic steps would hide small pushes). By default (``exact=False``)
        the push is read off the feature's *effect curve* (``effects_``, learnt at fit time): the
        mean score of a sample of calibration customers with the feature set to the customer's
        value, minus the same with it set to the median (partial dependence; the curve is a step
        function over at most 32 bins of the training values plus one for a missing value). That
        is the population average of the exact push and costs a table look-up per customer, so
        a million customers are explained in well under a second. ``exact=True`` instead scores
        each customer again with the feature set to the median (one model pass per candidate):
        the push of this customer's own combination of values, interactions included.

        Only the ``candidates`` most important features (permutation importance) are tried, and
        only pushes above zero are kept. Returns ``driver_1 … driver_top`` (feature names, null
        when fewer push up) and ``push_1 … push_top`` (score points) with ``X``'s index.
        """
        self._check_compatible(X)
        if not self.explain:
            raise ConfigError(
                "this churn model was fitted with explain=False (as the backtest fits its "
                "methods): it has no importance to choose drivers from; fit it with explain=True"
            )
        ranked = self.importance_.sort_values("importance", ascending=False)["feature"]
        tried = [f for f in ranked if f in self.features_][:candidates]
        pushes = np.zeros((len(X), len(tried)))
        effects = getattr(self, "effects_", None)
        if exact or effects is None:
            base = self.score_samples(X)
            for j, feature in enumerate(tried):
                changed = X[self.features_].copy()
                changed[feature] = self.medians_[feature]
                pushes[:, j] = base - self.score_samples(changed)
        else:
            for j, feature in enumerate(tried):
                values = X[feature].to_numpy(dtype="float64")
                pushes[:, j] = _effect(effects[feature], values) - _effect(
                    effects[feature], np.array([self.medians_[feature]])
                )
        order = np.argsort(-pushes, axis=1, kind="stable")[:, :top]
        names = np.array(tried, dtype=object)
        out = {}
        for k in range(top):
            idx = order[:, k] if k < order.shape[1] else np.zeros(len(X), dtype=int)
            push = pushes[np.arange(len(X)), idx] if tried else np.zeros(len(X))
            keep = (push > 1e-9) & (k < len(tried))
            driver = pd.Series(names[idx] if tried else None, index=X.index, dtype=object)
            out[f"driver_{k + 1}"] = driver.where(keep, None)
            out[f"push_{k + 1}"] = np.where(keep, push, np.nan)
        return pd.DataFrame(out, index=X.index)

    def _effects(self, X: pd.DataFrame, sample: int = _EFFECT_ROWS) -> dict[str, dict[str, Any]]:
        """Effect curve (partial dependence of the ranking score) of every feature on a sample
        of ``X``: bin edges of the training values, the mean score in each bin and with the
        feature missing. All curves in one scoring pass over the stacked variants."""
        rng = np.random.default_rng(self.random_state)
        X = X[self.features_].astype("float64").reset_index(drop=True)
        if len(X) > sample:
            X = X.iloc[np.sort(rng.choice(len(X), sample, replace=False))].reset_index(drop=True)
        grids = {}
        for feature in self.features_:
            values = X[feature].to_numpy()
            finite = np.sort(values[np.isfinite(values)])
            edges = np.array([], dtype="float64")
            if len(finite):  # a feature missing throughout the sample has one point: missing
                edges = np.unique(np.quantile(finite, np.linspace(0, 1, _EFFECT_BINS + 1)[1:-1]))
            bins = np.searchsorted(edges, finite, side="left")
            # each bin is represented by the median training value in it
            points = [
                float(np.median(finite[bins == b])) if np.any(bins == b) else np.nan
                for b in range(len(edges) + 1)
            ]
            grids[feature] = (edges, np.append(points, np.nan))
        base = X.to_numpy()
        variants = sum(len(points) for _, points in grids.values())
        stacked = np.broadcast_to(base, (variants, *base.shape)).copy()
        at = 0
        for j, (_, points) in enumerate(grids.values()):
            stacked[at : at + len(points), :, j] = np.asarray(points)[:, None]
            at += len(points)
        frame = pd.DataFrame(stacked.reshape(-1, base.shape[1]), columns=self.features_)
        scores = self.score_samples(frame).reshape(variants, len(X))
        means = scores.mean(axis=1)
        out, at = {}, 0
        for feature, (edges, points) in grids.items():
            curve = means[at : at + len(points)]
            at += len(points)
            known = np.isfinite(points[:-1])
            filled = np.where(known, curve[:-1], np.nan)
            # an empty bin (no sample value in it) borrows its neighbour's mean
            filled = pd.Series(filled).ffill().bfill().fillna(float(curve[-1])).to_numpy()
            out[feature] = {
                "edges": [float(e) for e in edges],
                "means": [float(m) for m in filled],
                "missing": float(curve[-1]),
            }
        return out

    def _importance(self, X: pd.DataFrame, y: np.ndarray, repeats: int = 2) -> pd.DataFrame:
        if not self.explain:
            return pd.DataFrame({"feature": [], "importance": [], "importance_sd": []}).astype(
                {"feature": object, "importance": "float64", "importance_sd": "float64"}
            )
        rng = np.random.default_rng(self.random_state)
        if len(y) > _IMPORTANCE_ROWS:
            rows = np.sort(rng.choice(len(y), _IMPORTANCE_ROWS, replace=False))
            X, y = X.iloc[rows], y[rows]
        X = X[self.features_].astype("float64").reset_index(drop=True)
        base = roc_auc(y, self.score_samples(X))
        rows = []
        for feature in self.features_:
            drops = []
            for _ in range(repeats):
                shuffled = X.copy()
                shuffled[feature] = rng.permutation(shuffled[feature].to_numpy())
                drops.append(base - roc_auc(y, self.score_samples(shuffled)))
            rows.append((feature, float(np.mean(drops)), float(np.std(drops))))
        frame = pd.DataFrame(rows, columns=["feature", "importance", "importance_sd"])
        return frame.sort_values(["importance", "feature"], ascending=[False, True]).reset_index(
            drop=True
        )

    # -- contract -------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """What was learnt: method, training rows and cutoffs, churn rate, boosting rounds, and
        the permutation importance of each feature (``measure, value`` rows)."""
        self._check_fitted()
        t = self.training_
        rows = [
            ("method", self.method),
            ("training rows", t["rows"]),
            ("training churn rate", round(t["churn_rate"], 4)),
            ("cutoffs", ", ".join(t["cutoffs"])),
            ("rows fitted", t["fit_rows"]),
            ("rows calibrating", t["calibration_rows"]),
            ("boosting rounds", t["iterations"]),
        ]
        rows += [
            (f"importance: {r.feature}", round(r.importance, 4))
            for r in self.importance_.itertuples()
        ]
        return pd.DataFrame(rows, columns=["measure", "value"])

    def _get_state(self) -> dict[str, Any]:
        return {
            "estimator": None if self.estimator_ is None else encode_object(self.estimator_),
            "calibrator": None if self.calibrator_ is None else encode_object(self.calibrator_),
            "medians": self.medians_,
            "gap_median": self.gap_median_,
            "importance": self.importance_.to_dict(orient="list"),
            "reference": self.reference_,
            "effects": self.effects_,
            "training": self.training_,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self.estimator_ = None if state["estimator"] is None else decode_object(state["estimator"])
        cal = state["calibrator"]
        self.calibrator_ = None if cal is None else decode_object(cal)
        self.gap_median_ = float(state["gap_median"])
        self.importance_ = pd.DataFrame(state["importance"])
        self.reference_ = state["reference"]
        # models saved before effect curves existed explain customers the exact way
        self.effects_ = state.get("effects")
        self.training_ = state["training"]
        self.medians_ = {k: float(v) for k, v in state["medians"].items()}

    @classmethod
    def _contract_data(cls) -> ContractData:
        frame = simulate_snapshots(customers=400, cutoffs=2, seed=5)
        X = frame.set_index("customer_id")
        X.attrs["as_of"] = str(X["cutoff"].max())
        latest = X[X["cutoff"] == X["cutoff"].max()]
        return ContractData(
            fit_args=(X,),
            predict_input=latest.drop(columns=["churned"]).head(50).iloc[::-1],
            mismatches=(
                (
                    latest.drop(columns=["days_since_last_purchase"]).head(5),
                    "days_since_last_purchase",
                ),
            ),
        )


@functools.cache
def _thread_pools() -> ThreadpoolController:
    """This process' thread pools, found once: finding them scans every loaded library, which
    cost more than a permutation's scoring when done for each of the scorings of a fit."""
    return ThreadpoolController()


def _openmp_threads(limit: int | None) -> Any:
    """A context limiting OpenMP to ``limit`` threads (``None``: no limit)."""
    return _thread_pools().limit(limits=limit, user_api="openmp")


def _labels(X: pd.DataFrame, y: Any) -> np.ndarray:
    if y is None:
        if "churned" not in X.columns:
            raise DataError("no labels: pass y or a frame with a 'churned' column")
        y = X["churned"]
    y = np.asarray(y)
    if len(y) != len(X) or not np.isin(y, (0, 1)).all():
        raise DataError(f"churn labels must be 0 or 1, one per row of the {len(X):,} rows")
    return y.astype("int64")


def _cutoffs(X: pd.DataFrame, cutoff: Any) -> np.ndarray:
    if cutoff is None:
        if "cutoff" not in X.columns:
            return np.zeros(len(X), dtype="datetime64[D]")
        cutoff = X["cutoff"]
    return pd.to_datetime(np.asarray(cutoff)).to_numpy().astype("datetime64[D]")


def _finite_median(values: pd.Series) -> float:
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    v = v[np.isfinite(v)]
    return float(v.median()) if len(v) else 0.0


def _calibrator(kind: str) -> Any:
    if kind == "sigmoid":
        return LogisticRegression(C=1e6, max_iter=1000)
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")


def _effect(curve: dict[str, Any], values: np.ndarray) -> np.ndarray:
    """The effect curve's mean score at each of ``values`` (missing values: its missing mean)."""
    edges = np.asarray(curve["edges"], dtype="float64")
    means = np.asarray(curve["means"], dtype="float64")
    out = means[np.searchsorted(edges, np.nan_to_num(values, nan=0.0), side="left")]
    return np.where(np.isnan(values), curve["missing"], out)


def _reference(values: pd.Series, bins: int = 10) -> dict[str, Any]:
    v = values.to_numpy(dtype="float64")
    finite = v[np.isfinite(v)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1))[1:-1]) if len(finite) else []
    counts = _bin_counts(v, np.asarray(edges, dtype="float64"))
    return {"edges": [float(e) for e in edges], "shares": (counts / max(len(v), 1)).tolist()}


def _bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin: one bin per interval between ``edges`` (right-closed), plus missing."""
    finite = np.isfinite(values)
    idx = np.searchsorted(edges, values[finite], side="left")
    counts = np.bincount(idx, minlength=len(edges) + 1).astype("float64")
    return np.append(counts, float((~finite).sum()))


def psi(model: ChurnModel, X: pd.DataFrame) -> pd.DataFrame:
    """Population stability index of each feature of ``X`` against the training data.

    ``PSI = sum over bins of (a - e) * ln(a / e)`` with ``e`` the training share and ``a`` the
    share in ``X`` of each training decile bin (plus a bin for missing values); shares are
    floored at 0.0001 so an empty bin counts without dividing by zero. Below 0.1 is usually read
    as stable, 0.1-0.2 as a shift to watch, above 0.2 as drift. Returns ``feature, psi``, the
    largest first.
    """
    model._check_compatible(X)
    rows = []
    for feature in model.features_:
        ref = model.reference_[feature]
        edges = np.asarray(ref["edges"], dtype="float64")
        expected = np.maximum(np.asarray(ref["shares"], dtype="float64"), 1e-4)
        actual = _bin_counts(X[feature].to_numpy(dtype="float64"), edges) / max(len(X), 1)
        actual = np.maximum(actual, 1e-4)
        rows.append((feature, float(np.sum((actual - expected) * np.log(actual / expected)))))
    frame = pd.DataFrame(rows, columns=["feature", "psi"])
    return frame.sort_values(["psi", "feature"], ascending=[False, True]).reset_index(drop=True)


def simulate_snapshots(
    customers: int = 2000, cutoffs: int = 3, seed: int = 0, driver: str = "complaints_recent"
) -> pd.DataFrame:
    """Labelled snapshots with a planted churn driver, for tests and examples.

    Each customer at each cutoff (90 days apart) gets independent features; the true churn
    probability is ``sigmoid(-1.6 + 1.8 * min(driver, 2) + 1.2 * [days_since_last_purchase >
    90])`` where ``driver`` is the planted feature (a Poisson(0.4) count) and
    ``days_since_last_purchase`` is exponential with mean 60 days, so these two are the only
    features that matter, both non-linearly (a cap and a threshold). Columns: ``cutoff,
    customer_id``, every :data:`FEATURES` column and ``churned``; also ``true_probability``.
    """
    rng = np.random.default_rng(seed)
    parts = []
    start = _dt.date(2024, 1, 1)
    for k in range(cutoffs):
        n = customers
        frame = pd.DataFrame({f: rng.gamma(2.0, 2.0, n) for f in FEATURES})
        frame["days_since_last_purchase"] = rng.exponential(60.0, n).round()
        frame["p_alive"] = rng.uniform(0, 1, n)
        frame[driver] = rng.poisson(0.4, n).astype("float64")
        logit = (
            -1.6
            + 1.8 * np.minimum(frame[driver], 2.0)
            + 1.2 * (frame["days_since_last_purchase"] > 90)
        )
        p = 1.0 / (1.0 + np.exp(-logit))
        frame.insert(0, "customer_id", [f"c{i:05d}" for i in range(n)])
        frame.insert(0, "cutoff", start + _dt.timedelta(days=90 * k))
        frame["churned"] = (rng.random(n) < p).astype("int64")
        frame["true_probability"] = p
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)

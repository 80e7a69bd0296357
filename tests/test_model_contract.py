"""The model contract (crmlytics.base), checked on every registered model class.

In the spirit of scikit-learn's ``check_estimator``: a class joins by being registered
(``@register_model``) and providing ``_contract_data()``; nothing here names a model.
"""

from __future__ import annotations

import json
import re
import warnings

import pandas as pd
import pytest
import sklearn.exceptions
from sklearn.base import clone

from crmlytics.base import (
    MODEL_FORMAT,
    Model,
    ModelMismatchError,
    NotFittedError,
    register_model,
    registered_models,
)
from crmlytics.errors import CrmlyticsError, DataError

MODELS = registered_models()
REQUIRED_KINDS = {"bgnbd", "pareto", "mbgnbd", "gamma_gamma", "clv"}


def test_the_btyd_models_are_registered():
    assert set(MODELS) >= REQUIRED_KINDS
    assert all(issubclass(cls, Model) for cls in MODELS.values())


@pytest.fixture(scope="module", params=sorted(MODELS), ids=sorted(MODELS))
def case(request):
    """(class, contract data, a model fitted on it) once per registered class."""
    cls = MODELS[request.param]
    data = cls._contract_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit notes are not the contract's business
        fitted = cls().fit(*data.fit_args, **data.fit_kwargs)
    return cls, data, fitted


def learned(model: Model) -> set[str]:
    return {k for k in vars(model) if k.endswith("_") and not k.startswith("_")}


def test_init_stores_parameters_unchanged_and_clone_works(case):
    cls, _, _ = case
    model = cls()
    params = model.get_params()
    assert params, "a model has at least one parameter"
    assert all(getattr(model, k) is v for k, v in params.items())
    assert learned(model) == set()
    # set_params stores the value as given; clone rebuilds an equal, unfitted model
    key = next(iter(params))
    marker = object()
    assert model.set_params(**{key: marker}) is model
    assert model.get_params()[key] is marker
    model.set_params(**{key: params[key]})
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()


def test_predict_and_summary_before_fit_raise_not_fitted(case):
    cls, data, _ = case
    model = cls()
    for call in (
        lambda: model.predict(data.predict_input, **data.predict_kwargs),
        model.summary,
    ):
        with pytest.raises(NotFittedError, match=rf"{cls.__name__} is not fitted yet"):
            call()
        # also what scikit-learn's own tools catch, and the crmlytics root (exit code 6)
        with pytest.raises(sklearn.exceptions.NotFittedError) as caught:
            call()
        assert isinstance(caught.value, CrmlyticsError) and caught.value.exit_code == 6


def test_fit_returns_self_and_learns_underscored_attributes(case):
    cls, data, _ = case
    model = cls()
    before = set(vars(model))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert model.fit(*data.fit_args, **data.fit_kwargs) is model
    new = set(vars(model)) - before
    public = {k for k in new if not k.startswith("_")}
    assert public and all(k.endswith("_") for k in public), sorted(public)
    assert {"as_of_", "data_hash_", "features_"} <= public
    assert model.get_params() == cls().get_params()  # fit leaves the parameters alone
    assert model.as_of_ == data.fit_args[0].attrs.get("as_of")
    assert isinstance(model.data_hash_, str) and len(model.data_hash_) == 16
    assert set(model.features_) <= set(data.predict_input.columns)


def test_predict_keeps_the_customer_index(case):
    _, data, fitted = case
    X = data.predict_input
    assert X.index.name == "customer_id" and not X.index.is_monotonic_increasing
    out = fitted.predict(X, **data.predict_kwargs)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(X.index) and out.index.name == "customer_id"
    assert len(out.columns) > 0 and out.notna().any().all()
    # each row is that customer's own prediction: scoring one customer alone gives its row
    one = fitted.predict(X.iloc[[3]], **data.predict_kwargs)
    pd.testing.assert_frame_equal(one, out.iloc[[3]])


def test_summary_is_a_method_returning_a_dataframe(case):
    cls, _, fitted = case
    assert callable(cls.summary)  # a method, not a property
    table = fitted.summary()
    assert isinstance(table, pd.DataFrame) and len(table) > 0


def test_save_and_load_predict_identically_and_record_provenance(case, tmp_path):
    cls, data, fitted = case
    path = fitted.save(tmp_path / "model.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["format"] == MODEL_FORMAT and record["kind"] == cls.kind
    assert record["as_of"] == fitted.as_of_ and record["data_hash"] == fitted.data_hash_
    assert record["features"] == list(fitted.features_)
    assert record["params"] == fitted.get_params()
    for name in ("crmlytics", "numpy", "pandas", "scikit-learn", "lifetimes", "python"):
        assert record["versions"][name], name
    for loader in (cls, Model):  # by its class, or by kind through the registry
        loaded = loader.load(path)
        assert type(loaded) is cls
        assert loaded.get_params() == fitted.get_params()
        pd.testing.assert_frame_equal(
            loaded.predict(data.predict_input, **data.predict_kwargs),
            fitted.predict(data.predict_input, **data.predict_kwargs),
        )
        pd.testing.assert_frame_equal(loaded.summary(), fitted.summary())


def test_data_that_does_not_match_is_refused_saying_what_differs(case, tmp_path):
    cls, data, fitted = case
    assert data.mismatches, f"{cls.__name__}._contract_data declares no mismatching data"
    loaded = cls.load(fitted.save(tmp_path / "model.json"))
    for frame, message in data.mismatches:
        for model in (fitted, loaded):
            with pytest.raises(ModelMismatchError, match=message) as caught:
                model.predict(frame, **data.predict_kwargs)
            assert "does not match the data" in str(caught.value)
            assert isinstance(caught.value, NotFittedError)  # exit code 6


def test_a_file_of_another_model_kind_is_refused_naming_both(case, tmp_path):
    cls, _, fitted = case
    path = fitted.save(tmp_path / "model.json")
    for other in MODELS.values():
        if issubclass(cls, other):
            continue
        with pytest.raises(ModelMismatchError) as caught:
            other.load(path)
        message = str(caught.value)
        assert f"holds a {cls.__name__} model (kind {cls.kind!r})" in message
        assert f"not a {other.__name__}" in message


def test_load_refuses_what_is_not_a_model_file(tmp_path):
    with pytest.raises(DataError, match="no model file at"):
        Model.load(tmp_path / "missing.json")
    (tmp_path / "text.json").write_text("not json")
    with pytest.raises(DataError, match="not a crmlytics model file"):
        Model.load(tmp_path / "text.json")
    (tmp_path / "other.json").write_text('{"format": "crmlytics.clv/1"}')
    with pytest.raises(DataError, match=re.escape(f"expected format {MODEL_FORMAT!r}")):
        Model.load(tmp_path / "other.json")
    (tmp_path / "kind.json").write_text(json.dumps({"format": MODEL_FORMAT, "kind": "nope"}))
    with pytest.raises(DataError, match="unknown kind 'nope'"):
        Model.load(tmp_path / "kind.json")


def test_a_kind_cannot_be_registered_twice_or_without_a_name():
    with pytest.raises(TypeError, match="needs a class attribute `kind`"):

        @register_model
        class Nameless(Model):
            pass

    with pytest.raises(TypeError, match="model kind 'bgnbd' is taken"):

        @register_model
        class Impostor(Model):
            kind = "bgnbd"

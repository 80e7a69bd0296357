"""CLI commands for customer lifetime value: ``crmlytics clv fit | backtest | predict``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crmlytics.cli.common import (
    MARKUP_MODE,
    AsOfOption,
    ConfigOption,
    DbOption,
    FailOnEmptyOption,
    LocaleOption,
    OutOption,
    check_not_empty,
    checked_as_of,
    command,
    emit,
    locale_of,
    say,
    settings,
    warehouse,
    with_options,
)
from crmlytics.cli.common import steps as common_steps

clv_app = typer.Typer(
    help=(
        "Customer lifetime value: BG/NBD-family + Gamma-Gamma on the BTYD summary "
        "(btyd_frequency, btyd_recency_<unit>, btyd_age_<unit>, btyd_monetary_value). "
        "In days it equals lifetimes' summary_data_from_transaction_data(..., freq='D'); in "
        "weeks it is that daily summary divided by 7, not lifetimes' freq='W' summary (which "
        "counts calendar weeks with a purchase and rounds to whole weeks)."
    ),
    no_args_is_help=True,
    rich_markup_mode=MARKUP_MODE,
)

ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="bgnbd, pareto or mbgnbd (default: config clv.model, bgnbd)"),
]
UnitOption = Annotated[
    str | None, typer.Option("--unit", help="days or weeks (default: config clv.unit, weeks)")
]
ArtifactOption = Annotated[
    Path | None, typer.Option("--artifact", help="model file (JSON) to write / read")
]


FIT_HELP = (
    "Fit the purchase model and Gamma-Gamma on the warehouse as of a date; print parameters."
    "\n\n"
    "The BTYD summary is in --unit: in days it equals lifetimes' "
    "summary_data_from_transaction_data(..., freq='D'); in weeks it is that daily summary "
    "divided by 7, not lifetimes' freq='W' summary. alpha (beta) is reported in that unit. "
    "--artifact writes the fitted model (JSON: parameters, as-of, data hash, features, library "
    "versions) for `clv predict --artifact`."
)
PREDICT_HELP = (
    "Per-customer P(alive), expected purchases, expected order value and discounted CLV."
    "\n\n"
    "A month is 365.25 / 12 = 30.4375 days; the horizon is --horizon-months such months. "
    "--discount-rate is a compound yearly rate (0.10 = 10% a year), converted to the monthly "
    "rate (1 + rate) ** (1 / 12) - 1 (10% a year = 0.797% a month); month t's expected margin "
    "is divided by (1 + monthly rate) ** t."
    "\n\n"
    "With --artifact the saved model scores the customers in its own unit; a model that does "
    "not match the data (unit, columns, model kind) is refused."
)

STEP_LABELS = {
    "summary": "summary (warehouse)",
    "fit": "fit purchase and spend models",
    "predict": "predict",
    "tracking": "tracking series",
}


def steps(*names: str) -> Any:
    """The step display of ``names`` (summary → fit → predict …), fed by the library."""
    return common_steps({name: STEP_LABELS[name] for name in names})


def register(app: typer.Typer) -> None:
    app.add_typer(clv_app, name="clv")


@clv_app.command("fit", help=FIT_HELP)
@command
def fit_command(
    as_of: AsOfOption = None,
    model: ModelOption = None,
    unit: UnitOption = None,
    artifact: ArtifactOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Fit the purchase model and Gamma-Gamma on the warehouse as of a date; print parameters
    (the help text is :data:`FIT_HELP`)."""
    from crmlytics.clv.predict import fit_clv

    conf = settings(config)
    chosen = locale_of(locale, conf)
    clv = with_options(conf, "clv", model=model, unit=unit).clv
    model, unit = clv.model, clv.unit
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with steps("summary", "fit") as progress:
            fitted = fit_clv(ws, point, model=model, unit=unit, progress=progress)
    emit(
        fitted.summary(),
        out,
        title=f"{model} + Gamma-Gamma, {unit}, as of {fitted.as_of_}",
        locale=chosen,
        machine_formats=conf.locale_machine_formats,
    )
    if artifact is not None:
        say(f"saved model to {fitted.save(artifact)}")


@clv_app.command("backtest")
@command
def backtest_command(
    calibration_end: Annotated[str, typer.Option("--calibration-end", help="YYYY-MM-DD")],
    holdout_end: Annotated[str, typer.Option("--holdout-end", help="YYYY-MM-DD")],
    model: ModelOption = None,
    unit: UnitOption = None,
    out: OutOption = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="write an HTML report (works offline)")
    ] = None,
    locale: LocaleOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Fit on the calibration period, predict the holdout, compare with a naive baseline.

    The holdout must end on or before the last day with data: a holdout beyond the data would
    count purchases that could not yet have been made.
    """
    from crmlytics.asof import as_of as resolve
    from crmlytics.asof import data_span
    from crmlytics.clv.backtest import backtest
    from crmlytics.errors import ConfigError, DataError

    conf = settings(config)
    chosen = locale_of(locale, conf)
    clv = with_options(conf, "clv", model=model, unit=unit).clv
    model, unit = clv.model, clv.unit
    calibration, holdout = resolve(calibration_end), resolve(holdout_end)
    if holdout.date <= calibration.date:
        raise ConfigError(f"--holdout-end {holdout} must be after --calibration-end {calibration}")
    with warehouse(db, conf) as ws:
        checked_as_of(ws, calibration_end, conf, what="--calibration-end")
        last = data_span(ws).last
        if holdout.date > last:
            raise DataError(
                f"--holdout-end {holdout} is after the last transaction ({last}): the holdout "
                f"would count purchases not yet possible; use --holdout-end {last} or earlier"
            )
        names = ("summary", "fit", "predict", "tracking")
        with steps(*names) as progress:
            result = backtest(ws, calibration, holdout, model=model, unit=unit, progress=progress)
    emit(
        result.totals.reset_index(),
        None,
        title="holdout purchases: actual, model, naive",
        locale=chosen,
    )
    emit(
        result.by_frequency,
        out,
        title="mean holdout purchases by calibration frequency",
        locale=chosen,
        machine_formats=conf.locale_machine_formats,
    )
    if report is not None:
        from crmlytics.clv.charts import backtest_report

        say(f"wrote report to {backtest_report(result, report, locale=chosen)}")


@clv_app.command("predict", help=PREDICT_HELP)
@command
def predict_command(
    as_of: AsOfOption = None,
    model: ModelOption = None,
    unit: UnitOption = None,
    horizon_months: Annotated[
        int | None,
        typer.Option("--horizon-months", help="CLV horizon (default: config clv, 12)"),
    ] = None,
    discount_rate: Annotated[
        float | None,
        typer.Option("--discount-rate", help="yearly, 0.10 = 10% (default: config clv, 0.10)"),
    ] = None,
    margin: Annotated[
        float | None,
        typer.Option("--margin", help="share of spend that is margin (default: config clv, 1)"),
    ] = None,
    artifact: ArtifactOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Per-customer P(alive), expected purchases, expected order value and discounted CLV
    (the help text is :data:`PREDICT_HELP`)."""
    from crmlytics.clv.predict import predict

    conf = settings(config)
    chosen = locale_of(locale, conf)
    clv = with_options(
        conf,
        "clv",
        model=model,
        unit=unit,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
        margin=margin,
    ).clv
    model, unit = clv.model, clv.unit
    names = ("summary", "predict") if artifact is not None else ("summary", "fit", "predict")
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with steps(*names) as progress:
            frame = predict(
                ws,
                point,
                model=model,
                unit=unit,
                horizon_months=clv.horizon_months,
                discount_rate=clv.discount_rate,
                margin=clv.margin,
                artifact=None if artifact is None else str(artifact),
                progress=progress,
            )
    check_not_empty(len(frame), "the CLV table", fail_on_empty)
    emit(
        frame,
        out,
        title=f"CLV over {clv.horizon_months} months",
        locale=chosen,
        machine_formats=conf.locale_machine_formats,
    )

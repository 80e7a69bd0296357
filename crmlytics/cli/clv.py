"""CLI commands for customer lifetime value: ``crmlytics clv fit | backtest | predict``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crmlytics.cli.common import (
    AsOfOption,
    DbOption,
    OutOption,
    console,
    emit,
    err_console,
    fails_cleanly,
)

clv_app = typer.Typer(
    help="Customer lifetime value: BG/NBD-family + Gamma-Gamma.", no_args_is_help=True
)

ModelOption = Annotated[str, typer.Option("--model", help="bgnbd (default), pareto or mbgnbd")]
UnitOption = Annotated[str, typer.Option("--unit", help="time unit: days or weeks")]
ArtifactOption = Annotated[
    Path | None, typer.Option("--artifact", help="model file (JSON) to write / read")
]


def register(app: typer.Typer) -> None:
    app.add_typer(clv_app, name="clv")


@clv_app.command("fit")
@fails_cleanly
def fit_command(
    as_of: AsOfOption = None,
    model: ModelOption = "bgnbd",
    unit: UnitOption = "weeks",
    artifact: ArtifactOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Fit the purchase model and Gamma-Gamma on the warehouse as of a date; print parameters."""
    from crmlytics.clv.artifacts import save_model
    from crmlytics.clv.predict import fit
    from crmlytics.workspace import Workspace

    with Workspace.open(db, read_only=True) as ws, console.status("summarising and fitting…"):
        fitted = fit(ws, as_of, model=model, unit=unit)
    emit(fitted.summary, out, title=f"{model} + Gamma-Gamma, {unit}, as of {fitted.as_of}")
    for note in fitted.notes:
        err_console.print(f"note: {note}")
    if artifact is not None:
        console.print(f"saved model to {save_model(fitted, artifact)}")


@clv_app.command("backtest")
@fails_cleanly
def backtest_command(
    calibration_end: Annotated[str, typer.Option("--calibration-end", help="YYYY-MM-DD")],
    holdout_end: Annotated[str, typer.Option("--holdout-end", help="YYYY-MM-DD")],
    model: ModelOption = "bgnbd",
    unit: UnitOption = "weeks",
    out: OutOption = None,
    report: Annotated[Path | None, typer.Option("--report", help="write an HTML report")] = None,
    db: DbOption = None,
) -> None:
    """Fit on the calibration period, predict the holdout, compare with a naive baseline."""
    from crmlytics.clv.backtest import backtest
    from crmlytics.workspace import Workspace

    with Workspace.open(db, read_only=True) as ws, console.status("backtesting…"):
        result = backtest(ws, calibration_end, holdout_end, model=model, unit=unit)
    emit(result.totals.reset_index(), None, title="holdout purchases: actual, model, naive")
    emit(result.by_frequency, out, title="mean holdout purchases by calibration frequency")
    if report is not None:
        from crmlytics.clv.charts import backtest_report

        console.print(f"wrote report to {backtest_report(result, report)}")


@clv_app.command("predict")
@fails_cleanly
def predict_command(
    as_of: AsOfOption = None,
    model: ModelOption = "bgnbd",
    unit: UnitOption = "weeks",
    horizon_months: Annotated[int, typer.Option("--horizon-months")] = 12,
    discount_rate: Annotated[
        float, typer.Option("--discount-rate", help="yearly, 0.10 = 10%")
    ] = 0.10,
    margin: Annotated[float, typer.Option("--margin", help="share of spend that is margin")] = 1.0,
    artifact: ArtifactOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Per-customer P(alive), expected purchases, expected order value and discounted CLV."""
    from crmlytics.clv.predict import predict
    from crmlytics.workspace import Workspace

    with Workspace.open(db, read_only=True) as ws, console.status("scoring customers…"):
        frame = predict(
            ws,
            as_of,
            model=model,
            unit=unit,
            horizon_months=horizon_months,
            discount_rate=discount_rate,
            margin=margin,
            artifact=None if artifact is None else str(artifact),
        )
    emit(frame, out, title=f"CLV over {horizon_months} months")

"""CLI commands for customer lifetime value: ``crmlytics clv fit | backtest | predict``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    help=(
        "Customer lifetime value: BG/NBD-family + Gamma-Gamma on the BTYD summary "
        "(btyd_frequency, btyd_recency_<unit>, btyd_age_<unit>, btyd_monetary_value). "
        "In days it equals lifetimes' summary_data_from_transaction_data(..., freq='D'); in "
        "weeks it is that daily summary divided by 7, not lifetimes' freq='W' summary (which "
        "counts calendar weeks with a purchase and rounds to whole weeks)."
    ),
    no_args_is_help=True,
)

ModelOption = Annotated[str, typer.Option("--model", help="bgnbd (default), pareto or mbgnbd")]
UnitOption = Annotated[str, typer.Option("--unit", help="time unit: days or weeks")]
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


@contextmanager
def steps(*names: str) -> Iterator[Callable[[str], None]]:
    """A rich display of ``names`` (summary → fit → predict …) on stderr, one line a step.

    Yields the ``progress`` callback the library calls as each step starts: the running step
    spins, finished steps get a tick and their time. A step the library skips stays blank.
    """
    from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn
    from rich.text import Text

    class Seconds(ProgressColumn):
        def render(self, task) -> Text:  # noqa: ANN001 (rich's Task)
            seconds = task.finished_time if task.finished else task.elapsed
            return Text("" if seconds is None else f"{seconds:.1f} s", style="progress.elapsed")

    display = Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("{task.description}"),
        Seconds(),
        console=err_console,
    )
    tasks = {name: display.add_task(STEP_LABELS[name], total=1, start=False) for name in names}
    running: list[str] = []

    def progress(name: str) -> None:
        if running:
            display.update(tasks[running[-1]], completed=1)
        display.start_task(tasks[name])
        running.append(name)

    with display:
        yield progress
        if running:
            display.update(tasks[running[-1]], completed=1)


def register(app: typer.Typer) -> None:
    app.add_typer(clv_app, name="clv")


@clv_app.command("fit", help=FIT_HELP)
@fails_cleanly
def fit_command(
    as_of: AsOfOption = None,
    model: ModelOption = "bgnbd",
    unit: UnitOption = "weeks",
    artifact: ArtifactOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Fit the purchase model and Gamma-Gamma on the warehouse as of a date; print parameters
    (the help text is :data:`FIT_HELP`)."""
    from crmlytics.clv.predict import fit_clv
    from crmlytics.workspace import Workspace

    with Workspace.open(db, read_only=True) as ws, steps("summary", "fit") as progress:
        fitted = fit_clv(ws, as_of, model=model, unit=unit, progress=progress)
    emit(fitted.summary(), out, title=f"{model} + Gamma-Gamma, {unit}, as of {fitted.as_of_}")
    for note in fitted.notes_:
        err_console.print(f"note: {note}")
    if artifact is not None:
        console.print(f"saved model to {fitted.save(artifact)}")


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

    names = ("summary", "fit", "predict", "tracking")
    with Workspace.open(db, read_only=True) as ws, steps(*names) as progress:
        result = backtest(
            ws, calibration_end, holdout_end, model=model, unit=unit, progress=progress
        )
    emit(result.totals.reset_index(), None, title="holdout purchases: actual, model, naive")
    emit(result.by_frequency, out, title="mean holdout purchases by calibration frequency")
    if report is not None:
        from crmlytics.clv.charts import backtest_report

        console.print(f"wrote report to {backtest_report(result, report)}")


@clv_app.command("predict", help=PREDICT_HELP)
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
    """Per-customer P(alive), expected purchases, expected order value and discounted CLV
    (the help text is :data:`PREDICT_HELP`)."""
    from crmlytics.clv.predict import predict
    from crmlytics.workspace import Workspace

    names = ("summary", "predict") if artifact is not None else ("summary", "fit", "predict")
    with Workspace.open(db, read_only=True) as ws, steps(*names) as progress:
        frame = predict(
            ws,
            as_of,
            model=model,
            unit=unit,
            horizon_months=horizon_months,
            discount_rate=discount_rate,
            margin=margin,
            artifact=None if artifact is None else str(artifact),
            progress=progress,
        )
    emit(frame, out, title=f"CLV over {horizon_months} months")

"""CLI commands for churn: ``crmlytics churn train | backtest | score``."""

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
    step,
    warehouse,
    with_options,
)

churn_app = typer.Typer(
    help="Churn: who is slipping away, how sure we are, and why.",
    no_args_is_help=True,
    rich_markup_mode=MARKUP_MODE,
)

HorizonOption = Annotated[
    int | None,
    typer.Option("--horizon-days", help="days after a cutoff labelled (default: config, 90)"),
]
CutoffsOption = Annotated[
    str | None,
    typer.Option("--cutoffs", help="cutoff dates YYYY-MM-DD,YYYY-MM-DD,… (latest is evaluated)"),
]
ModelOption = Annotated[
    Path | None, typer.Option("--model", help="churn model file (JSON) to write / read")
]
ReportOption = Annotated[
    Path | None,
    typer.Option("--report", help="write calibration and gains charts (HTML, works offline)"),
]


def register(app: typer.Typer) -> None:
    app.add_typer(churn_app, name="churn")


@churn_app.command("backtest")
@command
def backtest_command(
    as_of: AsOfOption = None,
    horizon_days: HorizonOption = None,
    cutoffs: CutoffsOption = None,
    out: OutOption = None,
    report: ReportOption = None,
    locale: LocaleOption = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Rank the model and every baseline on the latest cutoff whose horizon has passed."""
    from crmlytics.churn.backtest import backtest, parse_cutoffs

    conf = with_options(settings(config), "churn", horizon_days=horizon_days)
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("backtest", "churn backtest") as s:
            result = backtest(ws, point, conf, cutoffs=parse_cutoffs(cutoffs), progress=say)
            s.rows = len(result.report)
    title = (
        f"churn backtest: evaluated at {result.evaluation_cutoff}, trained on "
        f"{', '.join(map(str, result.training_cutoffs))}, horizon {result.horizon_days} days"
    )
    emit(result.report, out, title=title, locale=chosen)
    if report is not None:
        say(f"wrote report to {_write_report(result, report, chosen)}")


def _write_report(result: Any, path: Path, locale: str) -> Path:
    from crmlytics.churn.charts import calibration_chart, gains_chart
    from crmlytics.reports import write_report

    title = f"Churn backtest at {result.evaluation_cutoff}"
    return write_report(
        path,
        title,
        [result.report, calibration_chart(result, locale), gains_chart(result, locale)],
    )


@churn_app.command("train")
@command
def train_command(
    as_of: AsOfOption = None,
    horizon_days: HorizonOption = None,
    cutoffs: CutoffsOption = None,
    model: ModelOption = None,
    out: OutOption = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Backtest, then fit the method ranked first on the latest labelled cutoffs."""
    from crmlytics.churn.backtest import parse_cutoffs, train

    conf = with_options(settings(config), "churn", horizon_days=horizon_days)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("train", "training the churn model"):
            result = train(ws, point, conf, cutoffs=parse_cutoffs(cutoffs), progress=say)
    emit(result.backtest.report, None, title="backtest (the first method is used)")
    emit(result.model.summary(), out, title=f"churn model ({result.model.method})")
    if model is not None:
        say(f"saved model to {result.model.save(model)}")


@churn_app.command("score")
@command
def score_command(
    as_of: AsOfOption = None,
    horizon_days: HorizonOption = None,
    model: ModelOption = None,
    locale: LocaleOption = None,
    out: OutOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Churn probability, risk tier and top three reasons of every active customer.

    A warning names every feature whose population has drifted from training (PSI above
    churn.psi_warning).
    """
    from crmlytics.churn.model import ChurnModel
    from crmlytics.churn.score import score_churn

    conf = with_options(settings(config), "churn", horizon_days=horizon_days)
    chosen = locale_of(locale, conf)
    fitted = None if model is None else ChurnModel.load(model)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("score", "scoring churn") as s:
            result = score_churn(ws, point, fitted, conf, locale=chosen)
            s.rows = len(result.scores)
    check_not_empty(len(result.scores), "the churn score table", fail_on_empty)
    emit(result.scores, out, title=f"churn risk as of {result.as_of}", locale=chosen)

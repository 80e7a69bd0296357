"""CLI commands for churn: ``crmlytics churn train | backtest | score``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from crmlytics.cli.common import (
    AsOfOption,
    ConfigOption,
    DbOption,
    OutOption,
    console,
    emit,
    err_console,
    fails_cleanly,
)

churn_app = typer.Typer(
    help="Churn: who is slipping away, how sure we are, and why.", no_args_is_help=True
)

HorizonOption = Annotated[
    int | None, typer.Option("--horizon-days", help="days after a cutoff labelled (default 90)")
]
CutoffsOption = Annotated[
    str | None,
    typer.Option("--cutoffs", help="cutoff dates YYYY-MM-DD,YYYY-MM-DD,… (latest is evaluated)"),
]
ModelOption = Annotated[
    Path | None, typer.Option("--model", help="churn model file (JSON) to write / read")
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="write calibration and gains charts (HTML)")
]


def register(app: typer.Typer) -> None:
    app.add_typer(churn_app, name="churn")


def _settings(config: Path | None, horizon_days: int | None):  # noqa: ANN202
    """The settings file, with ``--horizon-days`` (validated like the file) on top."""
    from pydantic import ValidationError

    from crmlytics.churn.config import ChurnConfig
    from crmlytics.config import load_config
    from crmlytics.errors import ConfigError

    settings = load_config(config)
    if horizon_days is None:
        return settings
    try:
        churn = ChurnConfig.model_validate(
            settings.churn.model_dump() | {"horizon_days": horizon_days}
        )
    except ValidationError as exc:
        raise ConfigError(f"--horizon-days {horizon_days}: {exc.errors()[0]['msg']}") from None
    return settings.model_copy(update={"churn": churn})


def _say(message: str) -> None:
    err_console.print(f"[dim]{message}[/dim]", highlight=False)


def _write_report(result, report: Path) -> None:  # noqa: ANN001
    from crmlytics.churn.charts import calibration_chart, gains_chart

    report.parent.mkdir(parents=True, exist_ok=True)
    with report.open("w", encoding="utf-8") as f:
        f.write(calibration_chart(result).to_html(full_html=False, include_plotlyjs="cdn"))
        f.write(gains_chart(result).to_html(full_html=False, include_plotlyjs=False))
    console.print(f"wrote report to {report}")


@churn_app.command("backtest")
@fails_cleanly
def backtest_command(
    as_of: AsOfOption = None,
    horizon_days: HorizonOption = None,
    cutoffs: CutoffsOption = None,
    out: OutOption = None,
    report: ReportOption = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Rank the model and every baseline on the latest cutoff whose horizon has passed."""
    from crmlytics.churn.backtest import backtest, parse_cutoffs
    from crmlytics.workspace import Workspace

    settings = _settings(config, horizon_days)
    with Workspace.open(db, read_only=True) as ws:
        result = backtest(ws, as_of, settings, cutoffs=parse_cutoffs(cutoffs), progress=_say)
    title = (
        f"churn backtest: evaluated at {result.evaluation_cutoff}, trained on "
        f"{', '.join(map(str, result.training_cutoffs))}, horizon {result.horizon_days} days"
    )
    emit(result.report, out, title=title)
    if report is not None:
        _write_report(result, report)


@churn_app.command("train")
@fails_cleanly
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
    from crmlytics.workspace import Workspace

    settings = _settings(config, horizon_days)
    with Workspace.open(db, read_only=True) as ws:
        result = train(ws, as_of, settings, cutoffs=parse_cutoffs(cutoffs), progress=_say)
    emit(result.backtest.report, None, title="backtest (the first method is used)")
    emit(result.model.summary(), out, title=f"churn model ({result.model.method})")
    if model is not None:
        console.print(f"saved model to {result.model.save(model)}")


@churn_app.command("score")
@fails_cleanly
def score_command(
    as_of: AsOfOption = None,
    horizon_days: HorizonOption = None,
    model: ModelOption = None,
    locale: Annotated[str | None, typer.Option("--locale", help="reasons in en or zh")] = None,
    out: OutOption = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Churn probability, risk tier and top three reasons of every active customer."""
    from crmlytics.churn.model import ChurnModel
    from crmlytics.churn.score import ChurnDriftWarning, score_churn
    from crmlytics.workspace import Workspace

    settings = _settings(config, horizon_days)
    fitted = None if model is None else ChurnModel.load(model)
    with Workspace.open(db, read_only=True) as ws, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ChurnDriftWarning)
        result = score_churn(ws, as_of, fitted, settings, locale=locale)
    for w in caught:
        if issubclass(w.category, ChurnDriftWarning):
            err_console.print(f"[yellow]warning:[/yellow] {w.message}", highlight=False)
    emit(result.scores, out, title=f"churn risk as of {result.as_of}")

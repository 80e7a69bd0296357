"""Shared pieces of the CLI: the options every command takes, output for people and for
schedulers, and the mapping of errors to one line and an exit code.

Every command is declared with :func:`command`, which adds ``--quiet`` and ``--log-format`` to
it and turns a :class:`~crmlytics.errors.CrmlyticsError` into one line (or one JSON object) and
the exit code of its kind; anything else is a bug and keeps its traceback.

Output rules:

- on a terminal: rich tables, a spinner or progress bar on stderr while a step runs;
- not on a terminal (cron, a pipe): no spinners, no box drawing, one plain line per step on stderr;
- ``--quiet``: only the table asked for (or nothing with ``--out``), warnings and errors;
- ``--log-format json``: one JSON object per line on stderr for every step
  (``step, status, seconds, rows``), every message and the error, for schedulers.

Text that comes from users or data (file names, values, messages) is never read as rich markup.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from crmlytics.errors import CrmlyticsError

# Piped into a log (cron, Airflow) there is no terminal width: print tables at a width that
# keeps column names readable instead of rich's 80-column fallback.
_LOG_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
console = Console(width=_LOG_WIDTH, highlight=False)
err_console = Console(stderr=True, width=_LOG_WIDTH, highlight=False)

#: How typer formats help and usage errors: rich panels for a person at a terminal, plain text
#: (no box drawing) in logs.
MARKUP_MODE: Literal["rich"] | None = "rich" if sys.stderr.isatty() else None

EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="duckdb (the --db file) or spark (the lake tables of crmlytics.yaml's warehouse "
        "section); default: config warehouse.engine, duckdb",
    ),
]
DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="warehouse file (default $CRMLYTICS_DB or data/crm.duckdb)"),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="as-of date YYYY-MM-DD (end of that day) or datetime; default today, which is an "
        "error when the data ends more than warehouse.stale_after_days (30) earlier",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="write the table to FILE (.csv, .parquet, .xlsx, .json)"),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="settings file (default ./crmlytics.yaml if present)"),
]
LocaleOption = Annotated[
    str | None,
    typer.Option("--locale", help="en or zh: headers, labels and chart text (default: config)"),
]
FailOnEmptyOption = Annotated[
    bool,
    typer.Option("--fail-on-empty", help="exit 8 when the result has no rows (for schedulers)"),
]

LogFormat = Literal["text", "json"]
F = TypeVar("F", bound=Callable[..., Any])


# -- output state of the running command -------------------------------------------------------
@dataclass
class Output:
    """How the running command reports: set once by :func:`command` from its options."""

    command: str = "crmlytics"
    quiet: bool = False
    log_format: LogFormat = "text"
    engine: str | None = None
    terminal: bool = field(default_factory=lambda: err_console.is_terminal)

    @property
    def json(self) -> bool:
        return self.log_format == "json"

    @property
    def live(self) -> bool:
        """Spinners and progress bars: only for a person at a terminal."""
        return self.terminal and not self.quiet and not self.json


_OUTPUT: contextvars.ContextVar[Output] = contextvars.ContextVar("crmlytics_output")


def output() -> Output:
    """The output settings of the running command (defaults outside a command)."""
    return _OUTPUT.get(Output())


def log_json(**fields: Any) -> None:
    """One JSON object on a line of stderr (``--log-format json``)."""
    sys.stderr.write(json.dumps(fields, ensure_ascii=False, default=str) + "\n")
    sys.stderr.flush()


def say(message: str) -> None:
    """An informational line on stdout (silent with ``--quiet``; a JSON object with json logs)."""
    out = output()
    if out.json:
        log_json(step=out.command, status="info", message=message)
    elif not out.quiet:
        console.print(message, markup=False, soft_wrap=True)


def warn(message: str) -> None:
    """A warning on stderr, shown even with ``--quiet``."""
    out = output()
    if out.json:
        log_json(step=out.command, status="warning", message=message)
    else:
        err_console.print(f"warning: {message}", markup=False, soft_wrap=True)


@dataclass
class Step:
    """A step in progress; set ``rows`` to report how many rows it produced."""

    name: str
    rows: int | None = None


@contextmanager
def step(name: str, message: str | None = None) -> Iterator[Step]:
    """Run a step: a spinner on a terminal, else one plain line or JSON object when it ends.

    The line or object carries ``step, status, seconds, rows``; a failing step reports
    ``status: error`` and re-raises.
    """
    out = output()
    current = Step(name)
    started = time.perf_counter()
    status = "error"
    try:
        if out.live:
            with err_console.status(message or name):
                yield current
        else:
            yield current
        status = "ok"
    finally:
        _report_step(out, current, status, time.perf_counter() - started)


def _report_step(out: Output, current: Step, status: str, seconds: float) -> None:
    if out.json:
        log_json(step=current.name, status=status, seconds=round(seconds, 3), rows=current.rows)
    elif not out.terminal and not out.quiet:
        rows = "" if current.rows is None else f", {current.rows:,} rows"
        err_console.print(f"{current.name}: {status} in {seconds:.1f} s{rows}", markup=False)


def working(message: str) -> Any:
    """A spinner on stderr while a long step runs (kept for commands not yet on :func:`step`)."""
    return step(message.split(" ")[0] if message else "work", message)


@contextmanager
def steps(labels: dict[str, str]) -> Iterator[Callable[[str], None]]:
    """Named steps the library announces through a ``progress(name)`` callback.

    On a terminal: a rich display with a spinner on the running step and the time of finished
    ones; otherwise one line (or JSON object) per finished step. ``labels`` maps step names to
    the text shown.
    """
    out = output()
    started: list[tuple[str, float]] = []

    def finish_last(status: str = "ok") -> None:
        if started:
            name, t0 = started[-1]
            _report_step(out, Step(name), status, time.perf_counter() - t0)

    if not out.live:

        def progress(name: str) -> None:
            finish_last()
            started.append((name, time.perf_counter()))

        try:
            yield progress
        except BaseException:
            finish_last("error")
            raise
        finish_last()
        return

    from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn
    from rich.text import Text

    class Seconds(ProgressColumn):
        def render(self, task) -> Text:  # noqa: ANN001 (rich's Task)
            seconds = task.finished_time if task.finished else task.elapsed
            return Text("" if seconds is None else f"{seconds:.1f} s", style="progress.elapsed")

    display = Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("{task.description}", markup=False),
        Seconds(),
        console=err_console,
    )
    tasks = {name: display.add_task(text, total=1, start=False) for name, text in labels.items()}
    running: list[str] = []

    def live_progress(name: str) -> None:
        if running:
            display.update(tasks[running[-1]], completed=1)
        display.start_task(tasks[name])
        running.append(name)

    with display:
        yield live_progress
        if running:
            display.update(tasks[running[-1]], completed=1)


# -- tables ---------------------------------------------------------------------------------------
def emit(
    frame: Any,
    out: Path | None,
    *,
    title: str | None = None,
    limit: int = 50,
    locale: str | None = None,
    domains: dict[str, Any] | None = None,
    machine_formats: bool = False,
) -> None:
    """Write ``frame`` to ``out`` if given, else print it (first ``limit`` rows).

    On a terminal the table is a rich table; otherwise plain aligned columns without box
    drawing, so logs stay readable. With ``locale`` the frame is rendered by
    :func:`crmlytics.labels.localise` (``domains``: extra label columns) when printed or written
    as CSV / Excel; Parquet and JSON keep column names and keys unless ``machine_formats``.
    """
    from crmlytics.io import write_frame

    if locale is not None:
        from crmlytics.labels import for_people, localise

        if for_people(out, machine_formats=machine_formats):
            frame = localise(frame, locale, domains=domains)  # type: ignore[arg-type]

    if out is not None:
        path = write_frame(frame, out)
        say(f"wrote {len(frame):,} rows to {path}")
        return
    plain = not console.is_terminal
    table = Table(
        title=None if plain else title,
        box=None if plain else box.HEAVY_HEAD,
        show_lines=False,
        pad_edge=not plain,
    )
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    if plain and title and not output().quiet:
        console.print(f"# {title}", markup=False)
    console.print(table, markup=False)
    if len(frame) > limit:
        say(f"… {len(frame) - limit:,} more rows; use --out FILE for all of them")


def _cell(value: Any) -> str:
    import numpy as np
    import pandas as pd

    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:,.2f}"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)


# -- errors ---------------------------------------------------------------------------------------
def fail(exc: CrmlyticsError) -> typer.Exit:
    """Print ``exc`` as one line (or one JSON object) and return the exit of its kind."""
    out = output()
    message = str(exc.args[0]) if exc.args else type(exc).__name__
    code = getattr(exc, "exit_code", 1)
    if out.json:
        log_json(
            step=out.command,
            status="error",
            error=type(exc).__name__,
            message=message,
            exit_code=code,
        )
    else:
        err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Show crmlytics' own warnings (:class:`~crmlytics.errors.CrmlyticsWarning`) as one
    ``warning:`` line each, as they happen; other warnings keep Python's handling."""
    import warnings

    from crmlytics.errors import CrmlyticsWarning

    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        if issubclass(category, CrmlyticsWarning):
            warn(str(message))
        else:
            previous(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", CrmlyticsWarning)
        warnings.showwarning = show
        yield


def _extra_options(with_engine: bool) -> list[inspect.Parameter]:
    engine = inspect.Parameter(
        "engine",
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(None, "--engine", help=EngineOption.__metadata__[0].help),
        annotation=str | None,
    )
    return [
        *([engine] if with_engine else []),
        inspect.Parameter(
            "quiet",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                False, "--quiet", "-q", help="only the result, warnings and errors"
            ),
            annotation=bool,
        ),
        inspect.Parameter(
            "log_format",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                "text",
                "--log-format",
                help="text, or json: one JSON object per step on stderr (for schedulers)",
            ),
            annotation=str,
        ),
    ]


def command(func: F) -> F:
    """Declare a CLI command: adds ``--quiet`` and ``--log-format`` (and ``--engine`` to every
    command with a ``--db``), maps errors to exit codes.

    A :class:`~crmlytics.errors.CrmlyticsError` becomes one line on stderr (or a JSON object)
    and the exit code of its kind (see ``crmlytics --help``); any other exception is a bug and
    keeps its traceback.
    """
    signature = inspect.signature(func, eval_str=True)
    name = func.__name__.removesuffix("_command").replace("_", "-")
    with_engine = "db" in signature.parameters

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        quiet: bool = False,
        log_format: str = "text",
        engine: str | None = None,
        **kwargs: Any,
    ) -> Any:
        token = _OUTPUT.set(Output(command=name, quiet=quiet, log_format="text"))
        try:
            if log_format not in ("text", "json"):
                raise _option_error(f"--log-format must be text or json, not {log_format!r}")
            if engine not in (None, "duckdb", "spark"):
                raise _option_error(f"--engine must be duckdb or spark, not {engine!r}")
            _OUTPUT.set(
                Output(command=name, quiet=quiet, log_format=log_format, engine=engine)  # type: ignore[arg-type]
            )
            with _warnings_as_lines():
                return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except CrmlyticsError as exc:
            raise fail(exc) from None
        except OSError as exc:  # the file system refused (a full disk, a permission)
            raise fail(_os_error(exc)) from None
        finally:
            _OUTPUT.reset(token)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *_extra_options(with_engine)]
    )
    wrapper.__annotations__ = {
        **func.__annotations__,
        **({"engine": str | None} if with_engine else {}),
        "quiet": bool,
        "log_format": str,
    }
    return wrapper  # type: ignore[return-value]


def _option_error(message: str) -> CrmlyticsError:
    from crmlytics.errors import ConfigError

    return ConfigError(message)


def _os_error(exc: OSError) -> CrmlyticsError:
    from crmlytics.errors import DataError

    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    return DataError(f"{exc.strerror or exc}{where}")


# -- the pieces every command needs -------------------------------------------------------------
WaitOption = Annotated[
    float | None,
    typer.Option(
        "--wait",
        help="seconds to wait for another process's lock on the warehouse "
        "(default: config warehouse.lock_wait_seconds, 0)",
    ),
]


def settings(config: Path | None) -> Any:
    """The validated configuration of ``--config`` (or ./crmlytics.yaml, or the defaults)."""
    from crmlytics.config import load_config

    return load_config(config)


def with_options(config: Any, section: str, **options: Any) -> Any:
    """``config`` with the command-line ``options`` that were given (not None) laid over its
    ``section``, validated like the file: a bad value is a ConfigError naming the option."""
    from pydantic import ValidationError

    from crmlytics.errors import ConfigError

    given = {name: value for name, value in options.items() if value is not None}
    if not given:
        return config
    current = getattr(config, section)
    try:
        updated = type(current).model_validate(current.model_dump() | given)
    except ValidationError as exc:
        problems = "; ".join(
            f"--{'-'.join(str(p) for p in e['loc']).replace('_', '-')} "
            f"{given.get(str(e['loc'][0]), '')!s}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(problems) from None
    return config.model_copy(update={section: updated})


@contextmanager
def warehouse(
    db: Path | None,
    config: Any,
    *,
    read_only: bool = True,
    create: bool = False,
    wait: float | None = None,
) -> Iterator[Any]:
    """Open the warehouse for a command, on the engine of ``--engine`` or the config
    (``warehouse.engine``: the DuckDB file ``--db``, or Spark over ``warehouse.tables``).

    DuckDB: the file must exist unless ``create`` (commands that load data); waits for another
    process's lock as ``--wait`` or the config says. Spark: the session is started (quietly, in
    the warehouse time zone) and the lake mapping checked. Spark's errors inside the block
    become one-line errors naming the table or column.
    """
    from crmlytics.workspace import Workspace

    engine = output().engine or config.warehouse.engine
    ws = Workspace.from_config(
        config,
        engine=engine,
        db=db,
        read_only=read_only,
        create=create,
        lock_wait_seconds=wait,
    )
    try:
        with ws:
            yield ws
    except Exception as exc:
        if engine == "spark":
            from crmlytics.engines.spark import translate

            translated = translate(exc)
            if translated is not None and translated is not exc:
                raise translated from exc
        raise


def checked_as_of(
    ws: Any,
    as_of: str | None,
    config: Any,
    *,
    what: str = "--as-of",
    events: tuple[str, str] = ("transactions", "order_ts"),
) -> Any:
    """Resolve ``--as-of`` against the data (``events``: the table and timestamp column whose
    span counts): an error where going on would mislead, else the
    :class:`~crmlytics.asof.AsOf` (warnings printed)."""
    from crmlytics.asof import checked_as_of as check

    stale = config.warehouse.stale_after_days
    point, notes = check(ws, as_of, stale_after_days=stale, what=what, events=events)
    for note in notes:
        warn(note)
    return point


def locale_of(locale: str | None, config: Any) -> str:
    """``--locale`` if given (en or zh), else the config's."""
    from crmlytics.errors import ConfigError

    chosen = locale or config.locale
    if chosen not in ("en", "zh"):
        raise ConfigError(f"--locale must be en or zh, not {chosen!r}")
    return chosen


def show_table(
    conf: Any,
    db: Path | None,
    as_of: str | None,
    compute: Callable[[Any, Any], Any],
    *,
    doing: tuple[str, str],
    what: str,
    title: str,
    out: Path | None,
    locale: str | None = None,
    fail_on_empty: bool = False,
    events: tuple[str, str] = ("transactions", "order_ts"),
    domains: dict[str, Any] | None = None,
) -> None:
    """The body of a command that shows one table: open the warehouse, check ``--as-of``
    against ``events``, compute the frame in one progress step (``doing``: its name and
    message; ``compute(ws, point)`` returns a pandas frame in display order), say when it is
    empty (``what``) and write or print it titled "``title`` as of <point>"."""
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf, events=events)
        with step(*doing) as s:
            frame = compute(ws, point)
            s.rows = len(frame)
    check_not_empty(len(frame), what, fail_on_empty)
    emit(
        frame.reset_index(drop=True),
        out,
        title=f"{title} as of {point}",
        locale=locale,
        domains=domains,
    )


def check_list_output(out: Path | None, hash_pii: str | None) -> None:
    """Refuse a bad ``--out`` extension or ``--hash-pii`` method before any work is done."""
    from crmlytics.export.lists import check_format, check_hash_method

    if out is not None:
        check_format(out, None)
    check_hash_method(hash_pii)


def emit_action_list(
    listed: Any,
    *,
    out: Path | None,
    hash_pii: str | None,
    locale: str,
    config: Any,
    what: str,
    title: str,
    columns: list[str],
    fail_on_empty: bool = False,
) -> None:
    """Write an action list (:class:`crmlytics.export.action_lists.ActionList`) to ``--out``
    like a segment list and say what was written, or print its ``columns``; an empty list is
    said out loud (``what``), exit 8 with ``--fail-on-empty``."""
    from crmlytics.export.action_lists import write_action_list

    if out is None:
        check_not_empty(len(listed.frame), what, fail_on_empty)
        emit(listed.frame[columns], None, title=title, locale=locale)
        return
    with step("write", f"writing {out}") as s:
        result = write_action_list(listed, out, hash_pii=hash_pii, locale=locale, config=config)
        s.rows = result.rows
    check_not_empty(result.rows, what, fail_on_empty)
    say(
        f"wrote {result.rows:,} customers to {result.path} "
        f"({result.excluded_opted_out:,} opted-out customers left out)"
    )


def check_not_empty(rows: int, what: str, fail_on_empty: bool) -> None:
    """Say out loud that a result is empty; with ``--fail-on-empty`` that is exit code 8."""
    if rows:
        return
    from crmlytics.errors import EmptyResultError

    if fail_on_empty:
        raise EmptyResultError(f"{what} is empty (--fail-on-empty)")
    warn(f"{what} is empty")

"""Spark for crmlytics: a quiet session in the warehouse time zone, and Spark's errors as one line.

:func:`connect` starts (or joins) the Spark session described by ``warehouse.spark`` and returns
the Ibis backend over it. crmlytics sets, in this order:

- the session time zone (``spark.sql.session.timeZone``) to the warehouse time zone, passed to
  ``ibis.pyspark.connect`` so that it is applied *after* Ibis' own switch to UTC, and checked;
- Spark's log level (``warehouse.spark.log_level``, default ERROR: no JVM warnings), through a
  log4j2 configuration given to the driver at start-up and ``setLogLevel`` afterwards;
- the JVM's one start-up line ``WARNING: Using incubator modules: jdk.incubator.vector``
  (printed by the JVM itself, before logging starts, so no log level or Java option removes
  it) is kept off the terminal: a local driver is launched with its stderr through a pipe
  that passes every other line on (:func:`_start_driver`), so real errors still show;
- ``spark.ui.showConsoleProgress=false``: no progress bars between crmlytics' own lines (a
  setting of a new session: a session this process already runs is joined as it is);
- for a local master (``local``, ``local[N]``, ``local[*]``), settings sized for one machine
  (:func:`local_defaults`): as many shuffle partitions as cores instead of Spark's 200, and
  adaptive query execution off, because on one machine every adaptive query stage runs as a
  job of its own (a ``customer_segments`` run: 101 jobs with it, 22 without; 62 s against
  41 s on the 2,000-customer lake, docs/patterns.md section 4), and room for 2,000 compiled
  query classes instead of Spark's 100. One ``customer_segments`` query compiles about 300
  classes; with room for only 100, a score run compiled the segments it had just computed
  again (550 compilations, 11.2 s of compiling, against 118 and 3.3 s with room). Arrow
  carries results to pandas, and rows crmlytics writes (a score run) to Spark
  (:func:`prepare_backend`, applied by ``Workspace.attach`` to any Spark backend), so a
  missing value is stored as a null, never as NaN or the text ``'NaN'``.

Every default gives way to the same key in ``warehouse.spark.conf``.

:func:`translate` turns an exception raised by Spark (``AnalysisException`` for a missing table
or column, a value that cannot be cast, a lost connection) into a
:class:`~crmlytics.errors.WarehouseError` or :class:`~crmlytics.errors.DataError` whose message
is one line naming the table or column.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crmlytics.engines.config import TIMEZONE_KEY, SparkConfig
from crmlytics.errors import CrmlyticsError, DataError, WarehouseBusyError, WarehouseError

DEFAULT_MASTER = "local[*]"
LEVEL_PROPERTY = "crmlytics.spark.log.level"
METASTORE_LEVEL_PROPERTY = "crmlytics.spark.metastore.log.level"
QUIET_CONF = {"spark.ui.showConsoleProgress": "false"}
ARROW_CONF = {"spark.sql.execution.arrow.pyspark.enabled": "true"}
_LOCAL = re.compile(r"^local(?:\[(?P<cores>\d+|\*)(?:,\d+)?\])?$")

_LOG4J2 = f"""\
# Written by crmlytics: Spark's own messages at the level of warehouse.spark.log_level.
rootLogger.level = ${{sys:{LEVEL_PROPERTY}:-ERROR}}
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{{HH:mm:ss}} %p %c{{1}}: %m%n%ex
# The level Spark gives an interactive driver (PySpark's gateway): the same, so that Spark does
# not announce a level of its own at start-up.
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = ${{sys:{LEVEL_PROPERTY}:-ERROR}}
# A Hive metastore's libraries log each failed attempt to open it with its whole stack trace,
# thousands of lines while another process holds the built-in (Derby) metastore. The failure
# reaches crmlytics as an exception, shown as one line: off at ERROR, shown at WARN and below.
logger.datanucleus.name = DataNucleus
logger.datanucleus.level = ${{sys:{METASTORE_LEVEL_PROPERTY}:-OFF}}
logger.metastore.name = org.apache.hadoop.hive.metastore
logger.metastore.level = ${{sys:{METASTORE_LEVEL_PROPERTY}:-OFF}}
"""


def log4j2_file() -> Path:
    """The log4j2 configuration handed to the Spark driver (written once, content-addressed)."""
    digest = hashlib.sha256(_LOG4J2.encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"crmlytics-log4j2-{digest}.properties"
    if not path.exists():
        part = path.with_suffix(f".{digest}.part")
        part.write_text(_LOG4J2, encoding="utf-8")
        part.replace(path)
    return path


#: Compiled query classes a local driver keeps (Spark's default: 100). A class is reused when a
#: later query generates the same code (the same query again, or the same shape of plan).
CODEGEN_CACHE_ENTRIES = 2000


def local_defaults(master: str) -> dict[str, str]:
    """Settings for a Spark master on this machine (``local[N]``): ``N`` shuffle partitions
    (all cores for ``local[*]``), no adaptive query execution and room for
    :data:`CODEGEN_CACHE_ENTRIES` compiled classes; none for a cluster master."""
    found = _LOCAL.match(master.strip())
    if found is None:
        return {}
    cores = found["cores"]
    if cores is None:
        partitions = 1
    elif cores == "*":
        partitions = os.cpu_count() or 1
    else:
        partitions = max(int(cores), 1)
    return {
        "spark.sql.shuffle.partitions": str(partitions),
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.codegen.cache.maxEntries": str(CODEGEN_CACHE_ENTRIES),
    }


def session_conf(settings: SparkConfig, timezone: str) -> dict[str, str]:
    """The settings a new session starts with: quiet defaults, Arrow, for a local master the
    one-machine defaults (:func:`local_defaults`), then the user's ``conf``, the time zone and,
    for a local driver, the log4j2 configuration at ``log_level``."""
    defaults = dict(ARROW_CONF)
    if not settings.remote:  # a Connect server's own settings (progress bars, cores) are its own
        defaults.update(QUIET_CONF)
        defaults.update(local_defaults(settings.master or DEFAULT_MASTER))
    conf = {**defaults, **{k: _text(v) for k, v in settings.conf.items()}}
    conf[TIMEZONE_KEY] = timezone
    if not settings.remote:
        metastore = "OFF" if settings.log_level == "ERROR" else settings.log_level
        options = (
            f"-Dlog4j2.configurationFile={log4j2_file().as_uri()} "
            f"-D{LEVEL_PROPERTY}={settings.log_level} -D{METASTORE_LEVEL_PROPERTY}={metastore}"
        )
        given = conf.get("spark.driver.extraJavaOptions")
        conf["spark.driver.extraJavaOptions"] = f"{given} {options}" if given else options
    return conf


def start_session(settings: SparkConfig, timezone: str) -> tuple[Any, bool]:
    """The Spark session of ``settings``: the active one if this process already has one
    (it is joined, not restarted), else a new one. Returns ``(session, started)``."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise WarehouseError(
            "warehouse.engine spark needs pyspark: pip install 'crmlytics[spark]'"
        ) from None
    active = _active_session(bool(settings.remote))
    if active is not None:
        return active, False
    builder = SparkSession.builder.appName(settings.app_name)
    builder = (
        builder.remote(settings.remote)
        if settings.remote
        else builder.master(settings.master or DEFAULT_MASTER)
    )
    conf = session_conf(settings, timezone)
    for key, value in conf.items():
        builder = builder.config(key, value)
    if settings.remote:
        check_reachable(settings.remote)
    with spark_errors("starting Spark"):
        if not settings.remote:
            _start_driver(settings, conf)
        session = builder.getOrCreate()
    return session, True


CONNECT_PORT = 15002
"""Spark Connect's port when the URL names none."""


def check_reachable(url: str, timeout_s: float = 10.0) -> None:
    """Raise :class:`~crmlytics.errors.WarehouseError` unless the Spark Connect server of
    ``url`` (``sc://host[:port][/;params]``) accepts a connection within ``timeout_s``
    seconds. Without this check the Connect client retries an unreachable server for
    minutes before it fails."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(url.split("/;", 1)[0])
    try:
        host, port = where.hostname or "localhost", where.port or CONNECT_PORT
    except ValueError:
        raise WarehouseError(f"warehouse.spark.remote {url!r} has no valid port") from None
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise WarehouseError(
            f"cannot reach the Spark Connect server {host}:{port} "
            f"(warehouse.spark.remote {url}): {reason}"
        ) from None


def _active_session(remote: bool) -> Any:
    """This process' active session of the kind ``settings`` ask for: a Spark Connect session
    for ``remote``, a classic one otherwise (a notebook's classic session is not a
    ``remote: sc://...`` warehouse, nor the other way round)."""
    if remote:
        from pyspark.sql.connect.session import SparkSession as ConnectSession

        return ConnectSession.getActiveSession()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    return None if active is not None and is_connect(active) else active


def is_connect(session: Any) -> bool:
    """Whether ``session`` is a Spark Connect client session (no JVM in this process)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def prepare_backend(backend: Any) -> None:
    """Give an Ibis backend over a Spark session crmlytics' fixes, in place (once): its class
    becomes ``_ArrowInputBackend``, or ``_ConnectBackend`` over a Spark Connect session
    (:func:`_backend_classes`). Done by :meth:`Workspace.attach`, which every workspace over
    Spark goes through (``Workspace.from_config`` attaches the backend :func:`connect` gives)."""
    arrow_input, over_connect = _backend_classes()
    if not isinstance(backend, arrow_input):
        backend.__class__ = over_connect if is_connect(backend._session) else arrow_input


@functools.cache
def _backend_classes() -> tuple[type, type]:
    """The Ibis PySpark backend classes with crmlytics' fixes: ``(_ArrowInputBackend,
    _ConnectBackend)`` (built on first use: PySpark is optional)."""
    from ibis.backends.pyspark import Backend

    class _ArrowInputBackend(Backend):
        """Ibis' PySpark backend with in-memory tables (the rows of a score run, small lookup
        tables) handed to Spark as Arrow tables, not pandas frames.

        Ibis hands Spark a pandas frame. PySpark 4.0 cannot convert a text column backed by a
        chunked Arrow array (a text column of a result read back from Spark under pandas 3:
        ``Cannot convert pyarrow.lib.ChunkedArray``, SPARK-46776, fixed in later PySpark): a
        classic session then warns and falls back to converting row by row, which stores a
        missing number as NaN and a missing text as the string ``'NaN'``. A score run stored
        346 of 2,000 CLVs as NaN and their value tier as ``'NaN'``, and Spark orders NaN above
        every number, so ``--where "churn_probability >= 0.7"`` exported 1,694 customers
        instead of 636. From Arrow, a missing value is a null on every engine.
        """

        def _register_in_memory_table(self, op: Any) -> None:
            from ibis.backends.pyspark.datatypes import PySparkSchema

            rows = op.data.to_pyarrow(op.schema)
            schema = PySparkSchema.from_ibis(op.schema)
            self._session.createDataFrame(rows, schema=schema).createOrReplaceTempView(op.name)

    class _ConnectBackend(_ArrowInputBackend):
        """:class:`_ArrowInputBackend` with two more fixes for PySpark 4.0's Spark Connect
        client (the one Ibis allows).

        - Results come back without the query's execution metrics in ``DataFrame.attrs``:
          pandas deep-copies ``attrs`` on every operation, which cost 15 of the 54 s of a
          segments run over 200 customers.
        - ``Table.cache()`` (and so ``Workspace.cached``) caches eagerly with ``CACHE TABLE
          name AS query`` under a temporary view: Ibis' own checks the cached DataFrame's
          storage level, which Spark Connect reports as none for a SQL relation.
        """

        @contextmanager
        def _safe_raw_sql(self, query: Any) -> Iterator[Any]:
            yield _WithoutMetrics(self.raw_sql(query))

        def _create_cached_table(self, name: str, expr: Any) -> Any:
            with spark_errors("caching an intermediate result"):
                self._session.sql(f"CACHE TABLE `{name}` AS {self.compile(expr)}")
            return self.table(name)

        def _drop_cached_table(self, name: str) -> None:
            with spark_errors("dropping a cached intermediate result"):
                self._session.sql(f"UNCACHE TABLE IF EXISTS `{name}`")
                self._session.sql(f"DROP VIEW IF EXISTS `{name}`")

    return _ArrowInputBackend, _ConnectBackend


class _WithoutMetrics:
    """A Spark Connect DataFrame whose ``toPandas`` leaves out the execution metrics."""

    def __init__(self, frame: Any) -> None:
        self._frame = frame

    def toPandas(self) -> Any:  # noqa: N802 (PySpark's name)
        result = self._frame.toPandas()
        result.attrs.clear()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._frame, name)


JVM_NOTICES = (re.compile(rb"^WARNING: Using incubator modules: "),)
"""Lines the JVM prints to stderr on every start, whatever the log level (the module system
announcing the incubator module Spark adds); crmlytics keeps them off the terminal."""


def _start_driver(settings: SparkConfig, conf: dict[str, str]) -> None:
    """Launch the local Spark driver (the JVM) with its stderr through :func:`_forward_stderr`,
    which passes every line on to this process' stderr except the :data:`JVM_NOTICES`.

    Uses PySpark's own launcher (``launch_gateway``, whose ``popen_kwargs`` exist to capture
    the JVM's output). Nothing is done when this process already has a JVM (a stopped
    session's, or PySpark started from a JVM): Spark then starts as it would.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None or "PYSPARK_GATEWAY_PORT" in os.environ:
        return
    spark_conf = SparkConf(loadDefaults=False)
    spark_conf.setMaster(settings.master or DEFAULT_MASTER).setAppName(settings.app_name)
    spark_conf.setAll(list(conf.items()))
    read_end, write_end = os.pipe()
    forwarder = threading.Thread(
        target=_forward_stderr, args=(read_end,), name="crmlytics-jvm-stderr", daemon=True
    )
    forwarder.start()  # before the launch: a JVM that fails to start says why on stderr
    try:
        gateway = launch_gateway(spark_conf, popen_kwargs={"stderr": write_end})
    finally:
        os.close(write_end)  # the JVM holds its own copy
    SparkContext(conf=spark_conf, gateway=gateway)


def _forward_stderr(fd: int) -> None:
    """Copy the JVM's stderr (pipe ``fd``) to this process' stderr line by line, without the
    :data:`JVM_NOTICES`, until the JVM closes it. The pipe is drained to the end even when
    this process' stderr can no longer be written (closed by a caller): a full pipe would
    block the JVM at its next line."""
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        for line in iter(pipe.readline, b""):
            if any(notice.match(line) for notice in JVM_NOTICES):
                continue
            with contextlib.suppress(OSError):  # nowhere to say it; keep draining
                os.write(2, line)


def connect(settings: SparkConfig, timezone: str) -> tuple[Any, bool]:
    """The Ibis backend over the session of ``settings`` in the warehouse ``timezone``.

    Returns ``(backend, started)``: ``started`` when crmlytics started the session (and so
    stops it when the workspace is closed).
    """
    import ibis

    session, started = start_session(settings, timezone)
    quiet_python_loggers(settings.log_level)
    if not settings.remote:
        with spark_errors("setting Spark's log level"):
            session.sparkContext.setLogLevel(settings.log_level)
    with spark_errors("connecting to Spark"):
        # ibis.pyspark.connect sets the session to UTC first, then applies these settings.
        backend = ibis.pyspark.connect(session, **{TIMEZONE_KEY: timezone})
    set_session_timezone(session, timezone)
    if settings.database:
        with spark_errors(f"using database {settings.database}"):
            if not session.catalog.databaseExists(settings.database):
                raise WarehouseError(
                    f"Spark has no database {settings.database!r} (warehouse.spark.database); "
                    f"it has {', '.join(d.name for d in session.catalog.listDatabases())}"
                )
            session.catalog.setCurrentDatabase(settings.database)
    return backend, started


PYTHON_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")
"""PySpark's Python loggers that log every failed query's Java stack as JSON before raising it."""


def quiet_python_loggers(level: str) -> None:
    """Below INFO, PySpark's query-context loggers stay silent: the error itself is raised (and
    shown as one line by the CLI), so their copy of it with the Java stack is noise."""
    import logging

    for name in PYTHON_LOGGERS:
        logging.getLogger(name).disabled = level in ("ERROR", "WARN")


def set_session_timezone(session: Any, timezone: str) -> str:
    """Set and check the session time zone (what ``to_date`` and timestamp literals use)."""
    with spark_errors(f"setting the Spark time zone to {timezone}"):
        session.conf.set(TIMEZONE_KEY, timezone)
        now = session.conf.get(TIMEZONE_KEY)
    if now != timezone:
        raise WarehouseError(f"Spark kept time zone {now!r}; crmlytics needs {timezone!r}")
    return timezone


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- errors -------------------------------------------------------------------------------------
def is_spark_error(exc: BaseException) -> bool:
    """Whether ``exc`` comes from pyspark or its Java gateway (without importing pyspark)."""
    module = type(exc).__module__ or ""
    return module.startswith(("pyspark", "py4j"))


_DATA_CONDITIONS = ("CAST_INVALID_INPUT", "CAST_OVERFLOW", "ARITHMETIC_OVERFLOW", "DIVIDE_BY_ZERO")
_BACKTICKS = re.compile(r"`([^`]*)`")


def translate(exc: BaseException, doing: str | None = None) -> CrmlyticsError | None:
    """``exc`` as a one-line :class:`CrmlyticsError` if Spark raised it, else None."""
    if isinstance(exc, CrmlyticsError):
        return exc
    if not is_spark_error(exc):
        return None
    condition = _call(exc, "getCondition") or _call(exc, "getErrorClass") or ""
    params = _call(exc, "getMessageParameters") or {}
    prefix = f"Spark, {doing}: " if doing else "Spark: "
    base = condition.split(".")[0]
    if base == "TABLE_OR_VIEW_NOT_FOUND":
        name = _plain(params.get("relationName", "")) or _first_line(exc)
        return WarehouseError(
            f"{prefix}no table {name}; map it in warehouse.tables (table, database) "
            "or declare it absent: true"
        )
    if base in ("SCHEMA_NOT_FOUND", "NO_SUCH_DATABASE"):
        name = _plain(params.get("schemaName", "")) or _first_line(exc)
        return WarehouseError(f"{prefix}no database {name} (warehouse.spark.database)")
    if base.startswith("UNRESOLVED_COLUMN") or base == "FIELD_NOT_FOUND":
        column = _plain(params.get("objectName", "") or params.get("fieldName", ""))
        known = _plain(params.get("proposal", "") or params.get("fields", ""))
        known = f"; did you mean one of {known}" if known else ""
        return WarehouseError(f"{prefix}no column {column}{known}")
    held = _held_metastore(exc)
    if held is not None:
        return WarehouseBusyError(
            f"{prefix}the Hive metastore {held} is in use by another process (Spark's "
            "built-in Derby metastore admits one process at a time); run again when it is "
            "done, or give Spark a metastore service (spark.hadoop.hive.metastore.uris)"
        )
    kind = DataError if base in _DATA_CONDITIONS else WarehouseError
    tag = f" [{condition}]" if condition else f" ({type(exc).__name__})"
    return kind(f"{prefix}{_first_line(exc)}{tag}")


@contextmanager
def spark_errors(doing: str | None = None) -> Iterator[None]:
    """Run a block that talks to Spark; Spark's exceptions leave it as one-line errors."""
    try:
        yield
    except Exception as exc:
        translated = translate(exc, doing)
        if translated is None or translated is exc:
            raise
        raise translated from exc


def _call(exc: BaseException, method: str) -> Any:
    getter = getattr(exc, method, None)
    if getter is None:
        return None
    try:
        return getter()
    except Exception:  # an exception without a condition (older Spark, a Java one)
        return None


def _plain(text: str) -> str:
    return _BACKTICKS.sub(r"\1", str(text))


_DERBY_HELD = re.compile(
    r"Another instance of Derby may have already booted the database (\S+?)\.?$", re.MULTILINE
)


def _held_metastore(exc: BaseException) -> str | None:
    """The folder of the built-in Derby metastore another process holds, if that is what
    ``exc`` comes from (named by the last cause of its Java exception), else None."""
    java = getattr(exc, "_origin", None) or getattr(exc, "java_exception", None)
    for _ in range(50):  # a cause chain, bounded
        text = _java_text(java)
        if text is None:
            return None
        found = _DERBY_HELD.search(text)
        if found:
            return found[1]
        try:
            java = java.getCause()
        except Exception:  # the gateway is gone
            return None
    return None


def _first_line(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)  # py4j: the Java exception says what happened
    text = _java_text(java) or str(getattr(exc, "desc", None) or exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    line = re.sub(r"^\[[A-Z_.]+\]\s*", "", line)
    line = re.split(r"\s+SQLSTATE:|\s+Verify the spelling|\s+If necessary set", line)[0]
    return _plain(line).strip()


def _java_text(java: Any) -> str | None:
    if java is None:
        return None
    try:
        return str(java.toString()).strip()
    except Exception:  # the gateway is gone
        return None

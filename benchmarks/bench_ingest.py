"""Benchmark: crmlytics ingest of every common file shape against DuckDB's bare load of the
same file, in one run; prints JSON.

Shapes (``--shapes``), each at every ``--rows`` size, from one synthetic transactions export
(benchmarks/make_transactions.py, written once per size under ``--workdir``):

- ``five``: ``customer_id, order_id, order_ts, product_id, amount`` (no ``line_no``, no
  ``kind``: lines numbered in file order), what most exports look like;
- ``full``: all eleven canonical columns;
- ``gb18030_mapping``: the full file in GB18030 with Chinese headers, a mapping file with
  renamed headers and value maps (kind 销售/退货, channel 门店/网店/...), transcoded while read;
  its bare load reads the UTF-8 equivalent (same Chinese headers and values);
- ``second_file``: a second full file of new keys into a table already holding the first
  (natural-key checks against what is there); the first load is not timed;
- ``parquet``: the full file as Parquet (bare: ``read_parquet``).

Each measurement runs in a fresh Python subprocess on a fresh warehouse file and reports its
wall time (the load itself, opening excluded), CPU time (user + system, all threads: steadier
than wall time on a shared machine) and peak RSS (``VmHWM``, reset after an untimed pre-load).
``bare`` is ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` (DuckDB's typed read, the floor);
``ingest`` is ``crmlytics.ingest.ingest(ws, "transactions", file[, mapping])`` with the default
``ingest.memory_limit`` or ``--memory-limit``. Bare and ingest alternate ``--repeat`` times;
the best of each is kept, with the 1-minute load average before and after each shape.

Targets (issue 15): five columns and full ≤ 1.5× bare, peak RSS < 2 GiB at 10M lines;
GB18030 + mapping and second file ≤ 2×; five columns linear in lines from 1M to 100M with peak
RSS < 12 GiB.

Usage::

    python benchmarks/bench_ingest.py --rows 1000000 --workdir /tmp/bench_ingest
    python benchmarks/bench_ingest.py --rows 10000000 --repeat 1 --workdir /tmp/bench_ingest
    python benchmarks/bench_ingest.py --rows 1000000 10000000 --shapes five --repeat 1
    # scale (five columns only, written by DuckDB: 100M lines is about 5.6 GB of CSV)
    python benchmarks/bench_ingest.py --generate duckdb --prepare --rows 100000000 --workdir W
    flock /work/wt/notes/bench.lock python benchmarks/bench_ingest.py --generate duckdb \
        --rows 1000000 10000000 100000000 --repeat 1 --workdir W
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

PEAK = """
import resource
def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def reset_peak():
    try:  # Linux: "5" resets VmHWM to the current RSS
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def peak_rss_mib():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

BARE = (
    PEAK
    + """
import json, sys, time, duckdb
path, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
con.execute("SET enable_progress_bar = false")
reader = "read_parquet" if path.endswith(".parquet") else "read_csv"
start, cpu = time.perf_counter(), cpu_seconds()
con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}(?)", [path])
seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
con.close()
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rows": rows,
                  "peak_rss_mib": peak_rss_mib()}))
"""
)

INGEST = (
    PEAK
    + """
import json, sys, time
from crmlytics.ingest import ingest
from crmlytics.ingest.config import IngestConfig
from crmlytics.workspace import Workspace
path, db, mapping, preload = sys.argv[1], sys.argv[2], sys.argv[3] or None, sys.argv[4]
config = IngestConfig(memory_limit=sys.argv[5]) if sys.argv[5] else None
ws = Workspace.open(db)
if preload:
    ingest(ws, "transactions", preload, config=config)
    reset_peak()
start, cpu = time.perf_counter(), cpu_seconds()
[result] = ingest(ws, "transactions", path, mapping=mapping, config=config)
seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
ws.close()
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rows": result.rows_loaded,
                  "rows_rejected": result.rows_rejected, "peak_rss_mib": peak_rss_mib()}))
"""
)

MAPPING = """\
order_id: 订单编号
line_no: 行号
kind: {source: 单据类型, values: {销售: sale, 退货: return}}
customer_id: 客户编号
order_ts: 下单时间
product_id: 商品编号
category: 品类
quantity: 数量
amount: 金额
cost: 成本
channel: {source: 渠道, values: {门店: store, 网店: web, 应用: app, 电话: phone}}
"""

CHINESE = (
    "SELECT order_id AS 订单编号, line_no AS 行号, "
    "CASE kind WHEN 'sale' THEN '销售' ELSE '退货' END AS 单据类型, customer_id AS 客户编号, "
    "order_ts AS 下单时间, product_id AS 商品编号, category AS 品类, quantity AS 数量, "
    "amount AS 金额, cost AS 成本, CASE channel WHEN 'store' THEN '门店' WHEN 'web' THEN '网店' "
    "WHEN 'app' THEN '应用' ELSE '电话' END AS 渠道 FROM read_csv(?, all_varchar = true)"
)


def _copy(query: str, params: list[str], out: Path, fmt: str = "csv") -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    options = "(FORMAT parquet)" if fmt == "parquet" else "(HEADER, DELIMITER ',')"
    con.execute(f"COPY ({query}) TO '{out}' {options}", params)
    con.close()


def _transcode(src: Path, out: Path, encoding: str) -> None:
    """Stream a UTF-8 file into ``encoding`` (text chunks: no character is split)."""
    with (
        open(src, encoding="utf-8", newline="") as fin,
        open(out, "w", encoding=encoding, newline="") as fout,
    ):
        while chunk := fin.read(1 << 22):
            fout.write(chunk)


FIVE_SQL = """
SELECT 'C' || lpad((hash(i // 3, 1) % {customers})::VARCHAR, 9, '0') AS customer_id,
       'O' || lpad((i // 3)::VARCHAR, 10, '0') AS order_id,
       strftime(TIMESTAMP '2021-01-01' + to_seconds((i // 3 * {step})::BIGINT),
                '%Y-%m-%d %H:%M:%S') AS order_ts,
       'P' || lpad((hash(i, 3) % 5000)::VARCHAR, 5, '0') AS product_id,
       CASE WHEN hash(i, 7) % 100 < 3 THEN -1 ELSE 1 END
           * round(5 + (hash(i, 5) % 20000) / 100.0, 2) AS amount
FROM range({rows}) t(i)
"""
"""The five-column shape at any size, written by DuckDB in seconds (``--generate duckdb``):
three lines per order in file order, 3% negative lines, one customer per ten lines."""


def five_file(rows: int, workdir: Path) -> Path:
    """The five-column file of ``rows`` lines from :data:`FIVE_SQL` (written once)."""
    out = workdir / f"five_gen_{rows}.csv"
    if not out.exists():
        step = max(3 * 365 * 86400 * 3 // rows, 1)
        _copy(FIVE_SQL.format(rows=rows, customers=max(rows // 10, 1), step=step), [], out)
    return out


def files(rows: int, workdir: Path, seed: int, generate: str = "polars") -> dict[str, Path]:
    """Every shape's file for ``rows`` lines (written once, kept in ``workdir``); with
    ``generate="duckdb"`` only the five-column file, generated by DuckDB (for 100M lines)."""
    if generate == "duckdb":
        return {"five": five_file(rows, workdir)}
    sys.path.insert(0, str(HERE))
    from make_transactions import make_transactions

    full = workdir / f"full_{rows}.csv"
    if not full.exists():
        make_transactions(rows, seed).write_csv(
            full, datetime_format="%Y-%m-%d %H:%M:%S", float_precision=2
        )
    out = {"full": full}
    out["five"] = workdir / f"five_{rows}.csv"
    if not out["five"].exists():
        cols = "customer_id, order_id, order_ts, product_id, amount"
        _copy(f"SELECT {cols} FROM read_csv(?, all_varchar = true)", [str(full)], out["five"])
    out["cn_utf8"] = workdir / f"cn_utf8_{rows}.csv"
    if not out["cn_utf8"].exists():
        _copy(CHINESE, [str(full)], out["cn_utf8"])
    out["gb18030_mapping"] = workdir / f"cn_gb18030_{rows}.csv"
    if not out["gb18030_mapping"].exists():
        _transcode(out["cn_utf8"], out["gb18030_mapping"], "gb18030")
    out["second_file"] = workdir / f"second_{rows}.csv"
    if not out["second_file"].exists():
        query = (
            "SELECT * REPLACE ('N' || order_id AS order_id) FROM read_csv(?, all_varchar = true)"
        )
        _copy(query, [str(full)], out["second_file"])
    out["parquet"] = workdir / f"full_{rows}.parquet"
    if not out["parquet"].exists():
        _copy("SELECT * FROM read_csv(?)", [str(full)], out["parquet"], fmt="parquet")
    mapping = workdir / "mapping_cn.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    out["mapping"] = mapping
    return out


def run(script: str, db: Path, *args: str) -> dict[str, float]:
    """One measurement in a fresh interpreter on a fresh warehouse file."""
    db.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", script, args[0], str(db), *args[1:]],
        check=True,
        capture_output=True,
        text=True,
    )
    db.unlink(missing_ok=True)
    Path(str(db) + ".wal").unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_shape(
    shape: str,
    rows: int,
    paths: dict[str, Path],
    workdir: Path,
    repeat: int,
    memory_limit: str = "",
):
    path = paths[shape]
    bare_path = paths["cn_utf8"] if shape == "gb18030_mapping" else path
    mapping = str(paths["mapping"]) if shape == "gb18030_mapping" else ""
    preload = str(paths["full"]) if shape == "second_file" else ""
    load_before = round(os.getloadavg()[0], 2)
    bare, ingest = [], []
    for _ in range(repeat):  # alternate, so that machine load hits both alike
        bare.append(run(BARE, workdir / "bare.duckdb", str(bare_path)))
        ingest.append(
            run(INGEST, workdir / "ingest.duckdb", str(path), mapping, preload, memory_limit)
        )
    best_bare = min(bare, key=lambda r: r["seconds"])
    best_ingest = min(ingest, key=lambda r: r["seconds"])
    return {
        "shape": shape,
        "rows": rows,
        "memory_limit": memory_limit or "default (ingest.memory_limit)",
        "file_mib": round(path.stat().st_size / 2**20, 1),
        "bare_file": bare_path.name,
        "bare": {
            "seconds": round(best_bare["seconds"], 3),
            "cpu_seconds": round(min(r["cpu_seconds"] for r in bare), 3),
            "peak_rss_mib": round(max(r["peak_rss_mib"] for r in bare), 1),
        },
        "ingest": {
            "seconds": round(best_ingest["seconds"], 3),
            "cpu_seconds": round(min(r["cpu_seconds"] for r in ingest), 3),
            "peak_rss_mib": round(max(r["peak_rss_mib"] for r in ingest), 1),
            "rows_loaded": best_ingest["rows"],
            "rows_rejected": best_ingest["rows_rejected"],
        },
        "ratio": round(best_ingest["seconds"] / best_bare["seconds"], 2),
        "cpu_ratio": round(
            min(r["cpu_seconds"] for r in ingest) / min(r["cpu_seconds"] for r in bare), 2
        ),
        "load_average_1min": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        "runs": {"bare": [r["seconds"] for r in bare], "ingest": [r["seconds"] for r in ingest]},
    }


SHAPES = ["five", "full", "gb18030_mapping", "second_file", "parquet"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--shapes", nargs="+", default=SHAPES, choices=SHAPES)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="keep data files here")
    parser.add_argument(
        "--prepare", action="store_true", help="only write the files (outside the bench lock)"
    )
    parser.add_argument(
        "--generate",
        choices=["polars", "duckdb"],
        default="polars",
        help="duckdb: the five-column shape only, written by DuckDB (fast at 100M lines)",
    )
    parser.add_argument(
        "--memory-limit",
        default="",
        help="ingest.memory_limit for the ingest runs (e.g. 8GB); default: the configuration's",
    )
    args = parser.parse_args()
    if args.prepare:
        for rows in args.rows:
            files(rows, args.workdir or Path("."), args.seed, args.generate)
        return
    with tempfile.TemporaryDirectory(prefix="crmlytics-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        results = []
        for rows in args.rows:
            paths = files(rows, workdir, args.seed, args.generate)
            for shape in args.shapes if args.generate == "polars" else ["five"]:
                results.append(
                    bench_shape(shape, rows, paths, workdir, args.repeat, args.memory_limit)
                )
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"benchmark": "ingest", "results": results}, indent=2))


if __name__ == "__main__":
    main()

"""Ingest figures: rows/s for nodes and relationships, parse vs write, by dataset and batch size.

Cases: ml-100k at several batch sizes, lastfm-2k + KGCN KG at the default batch size, a re-run of
ml-100k (the MERGE path a resumed or repeated load takes), and both datasets through the offline
importer (``--bulk``: server stop, ``neo4j-admin database import``, server start) side by side.
Each case starts from an empty database on a
throwaway local Neo4j (or the server at ``GRAPHREC_BENCH_NEO4J_URI`` with
``GRAPHREC_BENCH_NEO4J_PASSWORD``), and writes the ``ingest`` section of BENCHMARKS.md.

Run: ``python -m benchmarks.ingest_bench [--batch-sizes 5000,20000,50000] [--no-bulk] [--no-report]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from neo4j import Driver

from benchmarks import BENCH_CYPHER
from graphrec.config import Settings, load_settings
from graphrec.db import connect, load_query, write
from graphrec.db.queries import statements
from graphrec.db.schema import apply_schema
from graphrec.ingest.datasets import LoadOptions, load_dataset
from graphrec.ingest.writer import LoadReport


@dataclass
class Case:
    """One measured load."""

    label: str
    dataset: str
    options: LoadOptions
    batch_size: int
    fresh: bool = True
    bulk: bool = False


@dataclass
class Bench:
    """The server under test: settings, and the local server's pid (CPU accounting) when it is ours."""

    settings: Settings
    server_pid: int | None = None


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used (from /proc; 0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def bench_server() -> Iterator[Bench]:
    """The benchmark's Neo4j: the given one, or a throwaway local server (which also allows --bulk)."""
    uri = os.environ.get("GRAPHREC_BENCH_NEO4J_URI")
    with tempfile.TemporaryDirectory() as tmp:
        if uri:
            yield Bench(load_settings({"uri": uri, "home": tmp,
                                       "password": os.environ.get("GRAPHREC_BENCH_NEO4J_PASSWORD", "")}))
            return
        from graphrec.localdb.local import LocalNeo4j, free_port

        password = secrets.token_urlsafe(12)
        server = LocalNeo4j(home=Path(tmp), password=password, bolt_port=free_port(), http_port=free_port(),
                            heap="1g", pagecache="512m")
        server.start()
        settings = load_settings({"home": tmp, "password": password, "bolt_port": server.bolt_port,
                                  "http_port": server.http_port}, env={})
        try:
            yield Bench(settings, server.pid())
        finally:
            server.stop()


def bulk_case(bench: Bench, case: Case) -> LoadReport:
    """Run ``graphrec load --bulk --json`` in-process against the bench's local server."""
    from click.testing import CliRunner

    from graphrec.cli.main import cli
    from graphrec.ingest.writer import SetTiming

    s = bench.settings
    args = ["--home", str(s.home), "--password", s.password or "", "--quiet", "load", case.dataset, "--bulk",
            "--json"]
    if case.options.split:
        args += ["--split", case.options.split]
    if case.options.kg:
        args += ["--kg"]
    env = {"GRAPHREC_BOLT_PORT": str(s.bolt_port), "GRAPHREC_HTTP_PORT": str(s.http_port)}
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"bulk load failed: {result.output}")
    out = json.loads(result.output)
    report = LoadReport(out["dataset"], out["source_sha256"], 0, out["counts"], out["counts"],
                        [SetTiming(w["set"], "bulk", w["rows"], w["seconds"], w["mode"]) for w in out["write"]])
    report.parse_seconds = out["parse_seconds"]
    return report


def empty_graph(driver: Driver) -> None:
    """Delete every relationship, then every node, 20k at a time."""
    for stmt in statements(load_query("delete_batch", BENCH_CYPHER)):
        while write(driver, stmt, {"limit": 20_000}).records[0]["deleted"]:
            pass


def run_case(driver: Driver, bench: Bench, case: Case) -> LoadReport:
    if case.fresh:
        empty_graph(driver)
    if case.bulk:
        return bulk_case(bench, case)
    apply_schema(driver)
    return load_dataset(driver, case.dataset, case.options, bench.settings.data_dir, bench.settings.home,
                        batch_size=case.batch_size, progress=False)


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else "–"


def markdown(results: list[tuple[Case, LoadReport, float, float]]) -> str:
    lines = [
        "Online ingest through Bolt (`graphrec load`): validated rows written as `UNWIND $rows` batches, nodes "
        "MERGE-d on their unique `id`, relationships CREATE-d when their type is new to the database (first "
        "load) and MERGE-d otherwise (re-run / resume). Parse = reading and validating every file in Python "
        "before any write. Wall = whole load including schema check, counts and the Dataset node. Server CPU = "
        "CPU seconds the Neo4j process used during the case: on this shared machine wall time mostly measures "
        "other people's load, CPU time does not (rels per server-CPU-second is what one free core would do).",
        "",
        "| case | batch | parse s | node rows | nodes/s | rel rows | rels/s | rel mode | wall s | server CPU s | "
        "rels per server CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for case, rep, wall, cpu in results:
        if case.bulk:
            rels = sum(rep.counts["relationships"].values())
            steps = "; ".join(f"{t.name} {t.seconds:.1f} s" for t in rep.timings)
            lines.append(f"| {case.label} | – | {rep.parse_seconds:.1f} | {sum(rep.counts['nodes'].values()):,} | "
                         f"– | {rels:,} | – | bulk ({steps}) | {wall:.1f} | – | – |")
            continue
        n_rows, n_s = rep.rows("nodes"), rep.seconds("nodes")
        r_rows, r_s = rep.rows("relationships"), rep.seconds("relationships")
        modes = sorted({t.mode for t in rep.timings if t.kind == "relationships"})
        lines.append(f"| {case.label} | {case.batch_size} | {rep.parse_seconds:.1f} | {n_rows:,} | "
                     f"{_rate(n_rows, n_s)} | {r_rows:,} | {_rate(r_rows, r_s)} | {'/'.join(modes)} | {wall:.1f} | "
                     f"{cpu:.1f} | {_rate(r_rows, cpu)} |")
    lines += ["", "Largest relationship sets (first listed case of each dataset):", "",
              "| case | set | rows | mode | rows/s |", "|---|---|---:|---|---:|"]
    seen = set()
    for case, rep, _, _ in results:
        if case.dataset in seen or case.bulk:
            continue
        seen.add(case.dataset)
        for t in sorted(rep.timings, key=lambda t: -t.rows)[:5]:
            lines.append(f"| {case.label} | {t.name} | {t.rows:,} | {t.mode} | {t.rows_per_s:,.0f} |")
    lines += ["", f"Machine load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
              "(the machine is shared; figures move with it)."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-sizes", default="5000,20000,50000", help="ml-100k batch sizes to compare")
    parser.add_argument("--no-report", action="store_true", help="print only; do not write BENCHMARKS.md")
    parser.add_argument("--no-bulk", action="store_true", help="skip the neo4j-admin (offline import) cases")
    args = parser.parse_args()
    sizes = [int(x) for x in args.batch_sizes.split(",") if x]
    default = 20_000
    cases = [Case("ml-100k (--split u1)", "movielens-100k", LoadOptions(split="u1"), bs) for bs in sizes]
    cases.append(Case("ml-100k re-run (MERGE)", "movielens-100k", LoadOptions(split="u1"), default, fresh=False))
    cases.append(Case("lastfm-2k + KGCN KG", "lastfm-2k", LoadOptions(kg=True), default))
    if not args.no_bulk and not os.environ.get("GRAPHREC_BENCH_NEO4J_URI"):
        cases.append(Case("ml-100k --bulk (neo4j-admin)", "movielens-100k", LoadOptions(split="u1"), 0, bulk=True))
        cases.append(Case("lastfm-2k + KGCN KG --bulk", "lastfm-2k", LoadOptions(kg=True), 0, bulk=True))
    results = []
    with bench_server() as bench:
        driver = connect(bench.settings)
        try:
            run_case(driver, bench, Case("warm-up", "movielens-100k", LoadOptions(), default))  # JIT, caches
            for case in cases:
                cpu0, t0 = cpu_seconds(bench.server_pid), time.perf_counter()
                report = run_case(driver, bench, case)
                wall = time.perf_counter() - t0
                results.append((case, report, wall, cpu_seconds(bench.server_pid) - cpu0))
                if case.bulk:  # a new store: the old driver's bookmarks point past its transaction ids
                    driver.close()
                    driver = connect(bench.settings)
                print(f"{case.label} batch {case.batch_size}: parse {report.parse_seconds:.1f}s, "
                      f"rels {report.rows('relationships')} in {report.seconds('relationships'):.1f}s, "
                      f"wall {wall:.1f}s", flush=True)
        finally:
            driver.close()
    body = markdown(results)
    print(body)
    if not args.no_report:
        from benchmarks.report import write_section

        write_section("ingest", "## Ingest\n\n" + body)


if __name__ == "__main__":
    main()

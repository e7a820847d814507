"""Ingest figures: rows/s for nodes and relationships, parse vs write, by dataset and batch size.

Cases: ml-100k at several batch sizes, lastfm-2k + KGCN KG at the default batch size, and a re-run of
ml-100k (the MERGE path a resumed or repeated load takes). Each case starts from an empty database on a
throwaway local Neo4j (or the server at ``GRAPHREC_BENCH_NEO4J_URI`` with
``GRAPHREC_BENCH_NEO4J_PASSWORD``), and writes the ``ingest`` section of BENCHMARKS.md.

Run: ``python -m graphrec.bench.ingest_bench [--batch-sizes 5000,20000,50000] [--no-report]``
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from neo4j import Driver

from graphrec.config import Settings, load_settings
from graphrec.db import connect, load_query, write
from graphrec.db.schema import apply_schema
from graphrec.ingest.registry import LoadOptions, load_dataset
from graphrec.ingest.writer import LoadReport


@dataclass
class Case:
    """One measured load."""

    label: str
    dataset: str
    options: LoadOptions
    batch_size: int
    fresh: bool = True


@contextlib.contextmanager
def bench_server() -> Iterator[Settings]:
    """Settings for the benchmark's Neo4j: the given one, or a throwaway local server."""
    uri = os.environ.get("GRAPHREC_BENCH_NEO4J_URI")
    with tempfile.TemporaryDirectory() as tmp:
        if uri:
            yield load_settings({"uri": uri, "home": tmp,
                                 "password": os.environ.get("GRAPHREC_BENCH_NEO4J_PASSWORD", "")})
            return
        from graphrec.server.local import LocalNeo4j, free_port

        password = secrets.token_urlsafe(12)
        server = LocalNeo4j(home=Path(tmp), password=password, bolt_port=free_port(), http_port=free_port(),
                            heap="1g", pagecache="512m")
        server.start()
        try:
            yield load_settings({"uri": server.bolt_uri, "home": tmp, "password": password}, env={})
        finally:
            server.stop()


def empty_graph(driver: Driver) -> None:
    """Delete every node, 20k at a time."""
    while write(driver, load_query("ingest/delete_batch"), {"limit": 20_000}).records[0]["deleted"]:
        pass


def run_case(driver: Driver, settings: Settings, case: Case) -> LoadReport:
    if case.fresh:
        empty_graph(driver)
    apply_schema(driver)
    return load_dataset(driver, case.dataset, case.options, settings.data_dir, settings.home,
                        batch_size=case.batch_size, progress=False)


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else "–"


def markdown(results: list[tuple[Case, LoadReport, float]]) -> str:
    lines = [
        "Online ingest through Bolt (`graphrec load`): validated rows written as `UNWIND $rows` batches, nodes "
        "MERGE-d on their unique `id`, relationships CREATE-d when their type is new to the database (first "
        "load) and MERGE-d otherwise (re-run / resume). Parse = reading and validating every file in Python "
        "before any write. Wall = whole load including schema check, counts and the Dataset node.",
        "",
        "| case | batch | parse s | node rows | nodes/s | rel rows | rels/s | rel mode | wall s |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for case, rep, wall in results:
        n_rows, n_s = rep.rows("nodes"), rep.seconds("nodes")
        r_rows, r_s = rep.rows("relationships"), rep.seconds("relationships")
        modes = sorted({t.mode for t in rep.timings if t.kind == "relationships"})
        lines.append(f"| {case.label} | {case.batch_size} | {rep.parse_seconds:.1f} | {n_rows:,} | "
                     f"{_rate(n_rows, n_s)} | {r_rows:,} | {_rate(r_rows, r_s)} | {'/'.join(modes)} | {wall:.1f} |")
    lines += ["", "Largest relationship sets (first listed case of each dataset):", "",
              "| case | set | rows | mode | rows/s |", "|---|---|---:|---|---:|"]
    seen = set()
    for case, rep, _ in results:
        if case.dataset in seen:
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
    args = parser.parse_args()
    sizes = [int(x) for x in args.batch_sizes.split(",") if x]
    default = 20_000
    cases = [Case("ml-100k (--split u1)", "movielens-100k", LoadOptions(split="u1"), bs) for bs in sizes]
    cases.append(Case("ml-100k re-run (MERGE)", "movielens-100k", LoadOptions(split="u1"), default, fresh=False))
    cases.append(Case("lastfm-2k + KGCN KG", "lastfm-2k", LoadOptions(kg=True), default))
    results = []
    with bench_server() as settings:
        driver = connect(settings)
        try:
            for case in cases:
                t0 = time.perf_counter()
                report = run_case(driver, settings, case)
                wall = time.perf_counter() - t0
                results.append((case, report, wall))
                print(f"{case.label} batch {case.batch_size}: parse {report.parse_seconds:.1f}s, "
                      f"rels {report.rows('relationships')} in {report.seconds('relationships'):.1f}s, "
                      f"wall {wall:.1f}s", flush=True)
        finally:
            driver.close()
    body = markdown(results)
    print(body)
    if not args.no_report:
        from graphrec.bench.report import write_section

        write_section("ingest", "## Ingest\n\n" + body)


if __name__ == "__main__":
    main()

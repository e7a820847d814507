"""Publish stage times: load a graph and publish its vectors ``--repeats`` times.

``python -m benchmarks.publish_bench --graphs amazon-book-size --repeats 3`` starts a throwaway Neo4j per graph
(or uses ``GRAPHREC_BENCH_NEO4J_URI``), publishes 64-d SVD vectors and the top-20 as a trained run would, and
writes where each publish's time went (section ``publish-<graph>``); each publish after the first replaces
the one before, which is then deleted, untimed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

from neo4j import Driver

from benchmarks.common import data_dir, loadavg, server
from benchmarks.report import write_section
from benchmarks.serving import Graph, K, embeddings, load_named, publish_graph
from graphrec.db import connect
from graphrec.db.schema import apply_schema
from graphrec.writeback import PublishResult, delete_run


def publish_section(graph: Graph, results: list[tuple[PublishResult, str, str]], command: str) -> str:
    """The ``publish-<graph>`` section: each publish of the graph (``--repeats``), where its time went and the
    load average at its start and end."""
    stages = ("vectors", "index", "recommended", "fold_state", "verify", "activate")
    out = [f"## Publish on the {graph.name} graph", "",
           f"Command: `{command}` ({graph.source}; graph loaded in {graph.load_seconds:.0f} s; 64-d SVD vectors, "
           f"top-{K}, `publish` defaults: batch 5,000, 2 writer transactions; each publish after the first replaces "
           "the one before, which is then deleted, untimed). Target: <= 40 s on the 2-core CPU.", "",
           "| publish | total s | " + " | ".join(f"{x} s" for x in stages) + " | RECOMMENDED/s | load average at "
           "start | at end |", "|---" * (len(stages) + 5) + "|"]
    for n, (res, before, after) in enumerate(results, 1):
        sec = res.seconds
        out.append(f"| {n}{' (first on the server)' if n == 1 else ''} | **{sec.get('total', 0):.1f}** | "
                   + " | ".join(f"{sec.get(x, 0):.1f}" for x in stages)
                   + f" | {res.recommended_per_s:,.0f} | {before} | {after} |")
    out += ["", f"{results[0][0].vectors:,} vectors and {results[0][0].recommended:,} RECOMMENDED relationships per "
            "publish. The vector indexes populate in the background from when the item vectors are written; `index` "
            "is their creation plus the wait left after everything else (the run is marked ready only once both are "
            "online). Users are ranked in a thread from the start, so `recommended` holds ranking and writing, "
            f"overlapped. Load averages are 1/5/15 min on {os.cpu_count()} cores shared with other work."]
    return "\n".join(out)

def publish_repeats(driver: Driver, graph: Graph, repeats: int) -> list[tuple[PublishResult, str, str]]:
    """Publish ``graph``'s SVD vectors ``repeats`` times; each result with the load average before and after."""
    user_emb, item_emb = embeddings(graph)
    results: list[tuple[PublishResult, str, str]] = []
    for _ in range(repeats):
        before = loadavg()
        res = publish_graph(driver, graph, user_emb, item_emb)
        results.append((res, before, loadavg()))
        print(f"{graph.name}: published in {res.seconds['total']:.1f} s; {res.seconds}", flush=True)
        if len(results) > 1:
            delete_run(driver, results[-2][0].run_id)
    return results


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--graphs", default="amazon-book-size")
    ap.add_argument("--data-dir", type=Path, default=None, help="datasets folder (default: the data_dir setting)")
    ap.add_argument("--no-report", action="store_true", help="print, do not write BENCHMARKS.md")
    ap.add_argument("--repeats", type=int, default=1, help="publishes per graph")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the throwaway servers on kill
    for name in args.graphs.split(","):
        with tempfile.TemporaryDirectory(prefix="graphrec-publish-bench-") as tmp, server(Path(tmp)) as settings:
            driver = connect(settings)
            try:
                apply_schema(driver)
                graph = load_named(driver, name, args.data_dir or data_dir(), Path(tmp))
                results = publish_repeats(driver, graph, args.repeats)
                text = publish_section(graph, results, "python -m benchmarks.publish_bench "
                                       f"--graphs {graph.name} --repeats {args.repeats}")
                if not args.no_report:
                    write_section(f"publish-{graph.name}", text)
                print(text, flush=True)
            finally:
                driver.close()


if __name__ == "__main__":
    main()

"""HTTP API benchmark: ``GET /recommend`` latency over localhost against its Bolt peer, in one run.

``python -m benchmarks.http_bench`` starts a throwaway Neo4j (or uses the empty database at
``GRAPHREC_BENCH_NEO4J_URI`` / ``GRAPHREC_BENCH_NEO4J_PASSWORD``), loads a graph (the real lastfm-2k, or
the amazon-book-sized synthetic one of ``serve_bench`` with ``--graph amazon-book-size``), publishes
64-d embeddings, starts ``graphrec serve`` as its own process on a free localhost port, and measures at
``--clients`` concurrent clients (default: 16):

* ``http``: ``GET /recommend/{user}?k=10`` from client threads, one keep-alive connection each;
* ``bolt``: the call the endpoint makes, :func:`graphrec.recommend.recommend`, from client threads
  sharing one driver: the peer the HTTP figure is compared with (what the HTTP layer costs).

Users are drawn at random (same seed for both) among users with interactions.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from neo4j import Driver

from benchmarks.common import data_dir, server
from benchmarks.report import write_section
from benchmarks.serving import (
    Graph,
    K,
    Latency,
    embeddings,
    load_lastfm,
    publish_graph,
    synthetic_amazon,
)
from graphrec.db import connect
from graphrec.db.schema import apply_schema
from graphrec.localdb.local import free_port
from graphrec.recommend import recommend


def _measure(name: str, make_client: Callable[[], Callable[[str], None]], users: list[str], clients: int,
             requests: int) -> Latency:
    """``requests`` calls from ``clients`` threads, each with its own client; per-request wall time."""
    samples: list[float] = []
    lock = threading.Lock()
    per = requests // clients
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            call = make_client()
            rnd = random.Random(seed)
            for _ in range(10):  # warm this client's connection
                call(rnd.choice(users))
            mine = []
            for _ in range(per):
                u = rnd.choice(users)
                t = time.perf_counter()
                call(u)
                mine.append(time.perf_counter() - t)
            with lock:
                samples.extend(mine)
        except BaseException as e:  # noqa: B036 - reported after the join
            errors.append(e)

    threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return Latency(name, clients, per * clients, time.perf_counter() - t0, samples)


def http_client(port: int) -> Callable[[], Callable[[str], None]]:
    def make() -> Callable[[str], None]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def call(user: str) -> None:
            conn.request("GET", f"/recommend/{user}?k=10")
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200 or not json.loads(body)["items"]:
                raise RuntimeError(f"/recommend/{user}: HTTP {resp.status} {body[:200]!r}")
        return call
    return make


def bolt_client(driver: Driver) -> Callable[[], Callable[[str], None]]:
    from graphrec.db.names import check_mapping
    from graphrec.mapping import DEFAULT_MAPPING

    mapping = check_mapping(driver, DEFAULT_MAPPING)  # once, as graphrec serve does at start

    def make() -> Callable[[str], None]:
        def call(user: str) -> None:
            if not recommend(driver, user, 10, mapping=mapping):
                raise RuntimeError(f"recommend({user!r}) is empty")
        return call
    return make


def start_api(uri: str, password: str, home: Path) -> tuple[subprocess.Popen[bytes], int]:
    """``graphrec serve`` as its own process (its own GIL, as deployed); waits for /health."""
    port = free_port()
    env = {**os.environ, "GRAPHREC_NEO4J_URI": uri, "GRAPHREC_NEO4J_PASSWORD": password, "GRAPHREC_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-c", "from graphrec.cli.main import main; main()", "-q", "serve",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"graphrec serve exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            raise RuntimeError("graphrec serve did not answer /health within 120 s")
        time.sleep(0.2)


def section(graph: Graph, lats: list[Latency]) -> str:
    out = [f"`GET /recommend/{{user}}?k=10` of `graphrec serve` (FastAPI + uvicorn, its own process, localhost, "
           f"one keep-alive connection per client thread) against its Bolt peer, the library call the endpoint "
           f"makes (`graphrec.recommend.recommend`, client threads sharing one driver), in the same run on "
           f"{graph.name} ({len(graph.ids['User'])} users, {len(graph.ids['Item'])} items, precomputed top-{K}).",
           "", "| path | clients | requests | p50 ms | p99 ms | requests/s |", "|---|---|---|---|---|---|"]
    for lt in lats:
        out.append(f"| {lt.query} | {lt.clients} | {lt.requests} | {lt.pct(50):.2f} | {lt.pct(99):.2f} | "
                   f"{lt.qps:,.0f} |")
    load = os.getloadavg()
    out += ["", f"- {graph.name}: {graph.source}",
            f"- machine load average when written: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min) on "
            f"{os.cpu_count()} cores; clients, API process and Neo4j share them, so latencies include contention"]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--graph", default="lastfm-2k", choices=["lastfm-2k", "amazon-book-size"])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=3200, help="requests per path")
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="datasets folder (default: the data_dir setting)")
    ap.add_argument("--no-report", action="store_true", help="print, do not write BENCHMARKS.md")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the throwaway server on kill
    with tempfile.TemporaryDirectory(prefix="graphrec-http-bench-") as tmp, server(Path(tmp)) as settings:
        driver = connect(settings)
        try:
            apply_schema(driver)
            graph = (load_lastfm(driver, args.data_dir or data_dir(), Path(tmp)) if args.graph == "lastfm-2k"
                     else synthetic_amazon(driver))
            user_emb, item_emb = embeddings(graph)
            publish_graph(driver, graph, user_emb, item_emb)
            users = sorted({graph.ids["User"][u] for u in graph.exclude[0].tolist()})
            proc, port = start_api(settings.uri, settings.resolved_password(), Path(tmp))
            gc.collect()
            gc.freeze()   # as serve_bench: the bench's graph heap out of the collector's full passes
            try:
                lats = [_measure("http", http_client(port), users, args.clients, args.requests),
                        _measure("bolt", bolt_client(driver), users, args.clients, args.requests)]
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        finally:
            driver.close()
    for lt in lats:
        print(f"{lt.query} x{lt.clients}: p50 {lt.pct(50):.2f} ms, p99 {lt.pct(99):.2f} ms, {lt.qps:,.0f}/s",
              flush=True)
    text = section(graph, lats)
    if not args.no_report:
        write_section("http", text)
    print(text)


if __name__ == "__main__":
    main()

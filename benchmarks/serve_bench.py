"""Serving benchmark: write-back rate and recommend query latency on lastfm-2k and an amazon-book-sized graph.

``python -m benchmarks.serve_bench`` starts a throwaway Neo4j per graph (or uses the empty
database at ``GRAPHREC_BENCH_NEO4J_URI`` / ``GRAPHREC_BENCH_NEO4J_PASSWORD``; then run one graph per
call with ``--graphs``), loads the graph, publishes random 64-d embeddings (write-back speed does not
depend on their values) and measures:

* write-back: embedding vectors/s (users + items, the run's own property, batched UNWIND), plus the
  RECOMMENDED relationships/s of the top-20 and the time of the atomic switch;
* latency p50/p99 of ``recommend`` (precomputed), ``recommend_realtime`` (vector index, exact
  MIPS) and ``similar_items`` at 1 and 16 concurrent clients (threads sharing one driver), each next
  to its peer, the cheapest possible query for the same answer shape (``benchmarks/cypher/peer_*``:
  no run selection, no seen filter), measured in the same run, and the db hits of each (PROFILE,
  mean and max over sampled users), and the recall@20 of ``recommend_realtime`` against exact top-20
  computed in torch.

The HNSW sweep and the publish stage times are their own benchmarks (``benchmarks.hnsw_bench``,
``benchmarks.publish_bench``); the graphs and vectors are :mod:`benchmarks.serving`'s.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from neo4j import Driver
from torch import Tensor

from benchmarks import BENCH_CYPHER
from benchmarks.common import data_dir, server
from benchmarks.report import write_section
from benchmarks.serving import Graph, K, Latency, embeddings, load_named, publish_graph
from graphrec.db import connect
from graphrec.db.schema import apply_schema
from graphrec.recommend import run_query
from graphrec.writeback import PublishResult


def measure(driver: Driver, name: str, params: Callable[[random.Random], dict[str, Any]], clients: int,
            requests: int, call: Callable[[dict[str, Any]], object] | None = None) -> Latency:
    """Run ``requests`` queries from ``clients`` threads (``call``, default: ``run_query`` of ``name``);
    per-request wall time."""
    run = call if call is not None else (lambda p: run_query(driver, name, p))
    samples: list[float] = []
    lock = threading.Lock()
    per = requests // clients

    def work(seed: int) -> None:
        rnd = random.Random(seed)
        mine = []
        for _ in range(per):
            p = params(rnd)
            t = time.perf_counter()
            run(p)
            mine.append(time.perf_counter() - t)
        with lock:
            samples.extend(mine)

    for s in range(min(50, per)):  # warm the plan cache and the pool
        run(params(random.Random(10_000 + s)))
    threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return Latency(name, clients, per * clients, time.perf_counter() - t0, samples)


PEERS = {"recommend": "peer_recommend", "recommend_realtime": "peer_realtime", "similar_items": "peer_similar"}
"""Each measured query's peer in ``benchmarks/cypher/``."""


def _peer_names(driver: Driver, name: str) -> dict[str, Any]:
    """The active run's vector property and the index the peer ``name`` asks."""
    from graphrec.db import load_query, read

    run = read(driver, load_query("active_run", BENCH_CYPHER))[0]
    return {"prop": run["prop"], "index": run["mips_index"] if name == "peer_realtime" else run["item_index"]}


def _peer_params(params: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in params.items() if k in ("user", "item", "k")}, **names}


def peer_runner(driver: Driver, name: str) -> Callable[[dict[str, Any]], object]:
    """A callable running the bench peer ``name`` with the active run's vector property and index."""
    from graphrec.db import load_query, read

    names, text = _peer_names(driver, name), load_query(name, BENCH_CYPHER)
    return lambda params: read(driver, text, _peer_params(params, names))


def _plan_hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_plan_hits(c) for c in plan.get("children", []))


def db_hits(driver: Driver, text: str, params: list[dict[str, Any]]) -> tuple[float, int]:
    """Mean and max PROFILEd db hits of ``text`` over ``params``."""
    hits = []
    with driver.session() as session:
        for p in params:
            summary = session.run("PROFILE " + text, p).consume()
            hits.append(_plan_hits(summary.profile or {}))
    return sum(hits) / len(hits), max(hits)


def query_hits(driver: Driver, name: str, params: list[dict[str, Any]]) -> tuple[float, int]:
    """:func:`db_hits` of ``cypher/recommend/<name>`` (graphrec's own mapping) or of a bench peer."""
    from graphrec.db import load_query
    from graphrec.db.names import mapping_params
    from graphrec.mapping import DEFAULT_MAPPING
    from graphrec.recommend.library import needs_run, query_text, run_names

    if name in PEERS.values():
        names = _peer_names(driver, name)
        return db_hits(driver, load_query(name, BENCH_CYPHER), [_peer_params(p, names) for p in params])
    if not needs_run(name):
        return db_hits(driver, query_text(name), [{**mapping_params(DEFAULT_MAPPING), **p} for p in params])
    # rendered for the active run as run_query renders it; the read of the run's names is counted with every
    # query, although a driver reads them at most once per RUN_NAMES_TTL (an over-count of a few hits)
    lookup = db_hits(driver, load_query("serve/active_interactions"), [{}])
    mean, most = db_hits(driver, query_text(name, run=run_names(driver)),
                         [{**mapping_params(DEFAULT_MAPPING), **p} for p in params])
    return mean + lookup[0], most + lookup[1]


def realtime_recall(driver: Driver, graph: Graph, user_emb: Tensor, item_emb: Tensor, n: int = 100,
                    candidates: int = 100) -> float:
    """Mean recall@K of ``recommend_realtime`` against exact top-K (dot product, seen masked)."""
    rnd = random.Random(1)
    active = [u for u in range(len(graph.ids["User"])) if bool(user_emb[u].any())]  # interactions -> a vector
    users = rnd.sample(active, min(n, len(active)))
    mask = graph.exclude
    hits = total = 0
    for ui in users:
        scores = item_emb @ user_emb[ui]
        scores[mask[1][mask[0] == ui]] = float("-inf")
        exact = {graph.ids["Item"][j] for j in torch.topk(scores, K).indices.tolist()}
        got = {r["item"] for r in run_query(driver, "recommend_realtime", {"user": graph.ids["User"][ui], "k": K,
                                                                          "candidates": candidates})}
        hits += len(exact & got)
        total += K
    return hits / total


def wire_ceiling(driver: Driver, ids: list[str], emb: Tensor, as_floats: bool, batch_size: int = 5000) -> float:
    """Vector rows/s Neo4j receives when it writes nothing: the write-back rows (vectors as strings,
    ``as_floats=False``) or the naive encoding (vectors as lists of floats), in the same batches."""
    from graphrec.db import load_query, read
    from graphrec.db.batches import chunks
    from graphrec.db.vectors import vector_rows

    text = load_query("wire_check", BENCH_CYPHER)
    rows = ({"id": i, "v": v} for i, v in zip(ids, emb.tolist(), strict=True)) if as_floats else vector_rows(ids, emb)
    t = time.perf_counter()
    n = 0
    for batch in chunks(rows, batch_size):
        n += int(read(driver, text, {"rows": batch})[0]["n"])
    return n / (time.perf_counter() - t)


def bench_graph(driver: Driver, graph: Graph, requests: int
                ) -> tuple[PublishResult, list[Latency], str, tuple[float, float]]:
    user_emb, item_emb = embeddings(graph)
    ceiling = (wire_ceiling(driver, graph.ids["User"], user_emb, as_floats=True),
               wire_ceiling(driver, graph.ids["User"], user_emb, as_floats=False))
    result = publish_graph(driver, graph, user_emb, item_emb)
    print(f"{graph.name}: published {result.vectors} vectors at {result.vectors_per_s:,.0f}/s, "
          f"{result.recommended} RECOMMENDED at {result.recommended_per_s:,.0f}/s; {result.seconds}", flush=True)
    # users and items with at least one interaction (the others have zero vectors and no recommendations)
    users = [graph.ids["User"][u] for u in torch.unique(graph.exclude[0]).tolist()]
    items = [graph.ids["Item"][i] for i in torch.unique(graph.exclude[1]).tolist()]
    queries: dict[str, Callable[[random.Random], dict[str, Any]]] = {
        "recommend": lambda r: {"user": r.choice(users), "k": 10},
        "recommend_realtime": lambda r: {"user": r.choice(users), "k": 10, "candidates": 100},
        "similar_items": lambda r: {"item": r.choice(items), "k": 10, "text_index": None},
    }
    lat: list[Latency] = []
    # the bench process holds the whole graph (ids, pairs, vectors), which a serving client does not; a full
    # garbage collection of that heap stops every client thread at once (suspected of the ~200 ms 16-client
    # p99 seen in one cell or another, peers included)
    gc.collect()
    gc.freeze()
    for q, p in queries.items():
        peer = PEERS[q]
        sample = [p(random.Random(20_000 + n)) for n in range(20)]
        hits = {q: query_hits(driver, q, sample), peer: query_hits(driver, peer, sample)}
        print(f"{graph.name}: {q} db hits mean {hits[q][0]:,.0f} (max {hits[q][1]:,}), "
              f"peer {hits[peer][0]:,.0f} (max {hits[peer][1]:,})", flush=True)
        for c in (1, 16):
            for name, call in ((q, None), (peer, peer_runner(driver, peer))):
                lat.append(measure(driver, name, p, c, requests, call))
                lat[-1].db_hits = hits[name]
                print(f"{graph.name}: {name} x{c}: p50 {lat[-1].pct(50):.2f} ms, p99 {lat[-1].pct(99):.2f} ms",
                      flush=True)
    recall = ", ".join(f"{realtime_recall(driver, graph, user_emb, item_emb, candidates=c):.3f} "
                       f"(candidates={c or 'K+degree'})" for c in (0, 100, 400))
    return result, lat, recall, ceiling


def section(rows: list[tuple[Graph, PublishResult, list[Latency], str, tuple[float, float]]]) -> str:
    out = ["Write-back (`graphrec.writeback.publish`, 64-d, top-20, batched UNWIND, 2 writer threads) and "
           "recommend query latency (`graphrec.recommend.run_query`, Bolt, client threads on the same machine; the "
           "bench's own heap frozen out of the garbage collector first, `gc.freeze()`). "
           "Targets: >= 50k vectors/s; p99 < 10 ms precomputed, < 30 ms real-time.", "",
           "| graph | users | items | interactions | vectors/s written | receive-only, float lists /s | "
           "receive-only, strings /s | RECOMMENDED rels/s | vector index build s | switch s | publish total s |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for g, r, _, _, ceil in rows:
        out.append(f"| {g.name} | {len(g.ids['User'])} | {len(g.ids['Item'])} | {g.exclude.size(1)} | "
                   f"{r.vectors_per_s:,.0f} | {ceil[0]:,.0f} | {ceil[1]:,.0f} | {r.recommended_per_s:,.0f} | "
                   f"{r.seconds.get('index', 0):.1f} | {r.seconds.get('activate', 0):.2f} | "
                   f"{r.seconds.get('total', 0):.1f} |")
    out += ["", "_receive-only_ peers, measured in the same run: the same 64-d vectors in the same batches sent to a "
            "query that writes nothing (`benchmarks/cypher/wire_check`), as PackStream float lists (the naive "
            "encoding, whose decoding bounds any write that uses it) and as the decimal strings write-back sends "
            "(parsed server-side with `split`/`toFloat`)."]
    out += ["", "Each query next to its peer (`benchmarks/cypher/peer_*`: the cheapest query for the same answer "
            "shape, no run selection and no seen filter), measured in the same run; db hits from PROFILE, mean (max) "
            "over 20 sampled users/items.", "",
            "| graph | query | clients | requests | p50 ms | p99 ms | queries/s | db hits mean (max) |",
            "|---|---|---|---|---|---|---|---|"]
    for g, _, lats, _, _ in rows:
        for lt in lats:
            hits = f"{lt.db_hits[0]:,.0f} ({lt.db_hits[1]:,})" if lt.db_hits else ""
            out.append(f"| {g.name} | {lt.query} | {lt.clients} | {lt.requests} | {lt.pct(50):.2f} | "
                       f"{lt.pct(99):.2f} | {lt.qps:,.0f} | {hits} |")
    out += ["", "recall@20 of `recommend_realtime` against exact top-20 (HNSW over the MIPS-augmented item "
            "vectors, unquantised; latency above at the default candidates=100):", ""]
    out += [f"- {g.name}: {rc}" for g, _, _, rc, _ in rows]
    out.append("")
    out += [f"- {g.name}: {g.source}; graph loaded in {g.load_seconds:.0f} s" for g, _, _, _, _ in rows]
    load = os.getloadavg()
    out.append(f"- machine load average when written: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
               f"(1/5/15 min) on {os.cpu_count()} cores, shared with other work: latencies include CPU contention")
    return "\n".join(out)

def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--graphs", default="lastfm-2k,amazon-book-size")
    ap.add_argument("--requests", type=int, default=1600, help="queries per (query, clients) cell")
    ap.add_argument("--data-dir", type=Path, default=None, help="datasets folder (default: the data_dir setting)")
    ap.add_argument("--no-report", action="store_true", help="print, do not write BENCHMARKS.md")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the throwaway servers on kill
    rows: list[tuple[Graph, PublishResult, list[Latency], str, tuple[float, float]]] = []
    for name in args.graphs.split(","):
        with tempfile.TemporaryDirectory(prefix="graphrec-serve-bench-") as tmp, server(Path(tmp)) as settings:
            driver = connect(settings)
            try:
                apply_schema(driver)
                graph = load_named(driver, name, args.data_dir or data_dir(), Path(tmp))
                rows.append((graph, *bench_graph(driver, graph, args.requests)))
                print(section([rows[-1]]), flush=True)
            finally:
                driver.close()
    text = section(rows)
    if not args.no_report:
        write_section("serve", text)
    print(text)


if __name__ == "__main__":
    main()

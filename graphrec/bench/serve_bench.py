"""Serving benchmark: write-back rate and recommend query latency on lastfm-2k and an amazon-book-sized graph.

``python -m graphrec.bench.serve_bench`` starts a throwaway Neo4j per graph (or uses the empty
database at ``GRAPHREC_BENCH_NEO4J_URI`` / ``GRAPHREC_BENCH_NEO4J_PASSWORD``; then run one graph per
call with ``--graphs``), loads the graph, publishes random 64-d embeddings (write-back speed does not
depend on their values) and measures:

* write-back: embedding vectors/s (users + items, the run's own property, batched UNWIND), plus the
  RECOMMENDED relationships/s of the top-20 and the time of the atomic switch;
* latency p50/p99 of ``recommend`` (precomputed), ``recommend_realtime`` (vector index, exact
  MIPS) and ``similar_items`` at 1 and 16 concurrent clients (threads sharing one driver), each next
  to its peer, the cheapest possible query for the same answer shape (``graphrec/bench/cypher/peer_*``:
  no run selection, no seen filter), measured in the same run, and the db hits of each (PROFILE,
  mean and max over sampled users), and the recall@20 of ``recommend_realtime`` against exact top-20
  computed in torch.

``--publish-only`` loads each graph and publishes it (``--repeats`` times), nothing else: the stage times of
publish (the ``publish-<graph>`` section; ``--graphs amazon-book-size --publish-only`` is the
amazon-book-sized publish figure without the latency runs).

Graphs: ``lastfm-2k`` is the real HetRec dataset loaded with ``graphrec.ingest`` and streamed back
with ``graphrec.loaders`` (1892 users, 17632 artists, ~93k LISTENED); ``amazon-book-size`` is synthetic with
the shape of KGAT's amazon-book (70k users, 25k items, ~850k interactions, power-law item popularity
and user activity, 2 genre entities per item).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from neo4j import Driver
from torch import Tensor

from graphrec.bench import BENCH_CYPHER
from graphrec.bench.report import write_section
from graphrec.config import Settings, load_settings
from graphrec.db import connect
from graphrec.db.schema import apply_schema
from graphrec.loaders.types import RecGraph
from graphrec.recommend import run_query
from graphrec.writeback import PublishResult, RunSpec, publish

DIM = 64
K = 20


@dataclass
class Graph:
    """A loaded graph: ids per label and every interaction as (user, item) index pairs."""

    name: str
    ids: dict[str, list[str]]
    exclude: Tensor
    source: str
    interactions: list[str]
    load_seconds: float = 0.0
    rec: RecGraph | None = None   # the streamed graph (lastfm-2k), for --vectors <model>


@dataclass
class Latency:
    query: str
    clients: int
    requests: int
    seconds: float
    samples: list[float] = field(default_factory=list)
    db_hits: tuple[float, int] | None = None   # PROFILE: mean, max over sampled parameters

    def pct(self, p: float) -> float:
        s = sorted(self.samples)
        return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000

    @property
    def qps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@contextmanager
def server(tmp: Path, heap: str = "2g", pagecache: str = "1g") -> Iterator[Settings]:
    """A throwaway local Neo4j (or the one named by GRAPHREC_BENCH_NEO4J_URI)."""
    uri = os.environ.get("GRAPHREC_BENCH_NEO4J_URI")
    if uri:
        yield load_settings({"uri": uri, "home": tmp, "password": os.environ.get("GRAPHREC_BENCH_NEO4J_PASSWORD", "")})
        return
    from graphrec.server.local import LocalNeo4j, free_port

    bolt, http = free_port(), free_port()
    password = secrets.token_urlsafe(12)
    srv = LocalNeo4j(home=tmp, password=password, bolt_port=bolt, http_port=http, heap=heap, pagecache=pagecache)
    try:
        srv.start()
        yield load_settings({"uri": srv.bolt_uri, "home": tmp, "password": password, "bolt_port": bolt,
                             "http_port": http}, env={})
    finally:
        srv.stop()


def load_lastfm(driver: Driver, data_dir: Path, home: Path) -> Graph:
    """The real lastfm-2k through ingest (write) and graphrec.loaders (stream back to tensors)."""
    from graphrec.ingest.registry import LoadOptions, load_dataset
    from graphrec.loaders.build import load_graph
    from graphrec.loaders.spec import discover_spec

    t = time.perf_counter()
    load_dataset(driver, "lastfm-2k", LoadOptions(), data_dir, home, progress=False)
    g = load_graph(driver, discover_spec(driver, interactions=["LISTENED"]))  # as the models are evaluated
    exclude = torch.cat([g.train, g.valid, g.test], dim=1)
    return Graph("lastfm-2k", {"User": g.ids[g.user_type], "Item": g.ids[g.item_type]}, exclude,
                 "real HetRec lastfm-2k (graphrec.ingest + graphrec.loaders)", list(g.behaviours),
                 time.perf_counter() - t, g)


def synthetic_amazon(driver: Driver, users: int = 70_000, items: int = 25_000, interactions: int = 850_000,
                     seed: int = 0) -> Graph:
    """An amazon-book-sized graph with power-law popularity, written by the ingest writer."""
    from graphrec.ingest.records import GraphRecords
    from graphrec.ingest.writer import write_records

    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    item_p = 1.0 / np.arange(1, items + 1) ** 0.8
    item_p /= item_p.sum()
    activity = rng.lognormal(0.0, 1.0, users)
    user_p = activity / activity.sum()
    pairs = np.empty(0, dtype=np.int64)
    while pairs.size < interactions:
        n = int((interactions - pairs.size) * 1.2) + 1000
        new = rng.choice(users, n, p=user_p).astype(np.int64) * items + rng.choice(items, n, p=item_p)
        pairs = np.unique(np.concatenate([pairs, new]))
    pairs = rng.permutation(pairs)[:interactions]
    u, i = pairs // items, pairs % items
    rec = GraphRecords(name="synthetic:amazon-book-size")
    user_ids = [str(x) for x in range(users)]
    item_ids = [str(x) for x in range(items)]
    un = rec.node_set("User", "synthetic users")
    for uid in user_ids:
        un.add(uid)
    it = rec.node_set("Item", "synthetic items")
    for iid in item_ids:
        it.add(iid, title=f"Book {iid}")
    genres = rec.node_set("Entity", "synthetic genres", kind_label="Genre")
    for gnum in range(100):
        genres.add(f"genre:g{gnum}", name=f"g{gnum}", kind="genre")
    hg = rec.rel_set("HAS_GENRE", "Item", "Entity", "synthetic genres")
    for inum in range(items):
        for gpick in rng.choice(100, 2, replace=False):
            hg.add(str(inum), f"genre:g{gpick}")
    rated = rec.rel_set("RATED", "User", "Item", "synthetic ratings")
    for a, b in zip(u.tolist(), i.tolist(), strict=True):
        rated.add(user_ids[a], item_ids[b], rating=1.0, ts=0, split="train")
    write_records(driver, rec, batch_size=20_000, progress=False)
    exclude = torch.stack([torch.from_numpy(u), torch.from_numpy(i)])
    return Graph("amazon-book-size", {"User": user_ids, "Item": item_ids}, exclude,
                 f"synthetic, power-law ({users} users, {items} items, {interactions} interactions)", ["RATED"],
                 time.perf_counter() - t)


def publish_graph(driver: Driver, graph: Graph, user_emb: Tensor, item_emb: Tensor, name: str = "bench",
                  activate_run: bool = True) -> PublishResult:
    """Publish ``graph``'s embeddings as run ``name``, recording the graph's interaction types as a trained
    run does (``recommend_realtime``'s seen filter reads those)."""
    return publish(driver, RunSpec(name, {"dim": DIM}), graph.ids, user_emb, item_emb, graph.exclude, k=K,
                   activate_run=activate_run, interactions=graph.interactions)


def trained_embeddings(graph: Graph, model: str) -> tuple[Tensor, Tensor]:
    """The user and item vectors of graphrec's ``model`` fitted on ``graph`` (every interaction, no hold-out):
    trained vectors, whose heavy-tailed norms make the MIPS index harder to search than SVD's."""
    from graphrec.train import TrainConfig, fit

    if graph.rec is None:
        raise SystemExit(f"--vectors {model}: only a graph streamed from Neo4j (lastfm-2k) can be trained on")
    fitted = fit(graph.rec, TrainConfig(model=model), progress=False, holdout=False)
    return fitted.user_emb.float().contiguous(), fitted.item_emb.float().contiguous()


def embeddings(graph: Graph) -> tuple[Tensor, Tensor]:
    """64-d embeddings with the structure of trained ones: a rank-64 factorisation (randomised SVD) of
    the graph's user-item interaction matrix, ``U·√S`` and ``V·√S`` (score = dot product). Random
    vectors would be the worst case for the HNSW index (no low-dimensional structure) and unlike any
    model's output."""
    users, items = len(graph.ids["User"]), len(graph.ids["Item"])
    a = torch.sparse_coo_tensor(graph.exclude, torch.ones(graph.exclude.size(1)), (users, items)).coalesce()
    torch.manual_seed(0)
    u, s, v = torch.svd_lowrank(a, q=DIM, niter=4)
    root = s.clamp(min=0).sqrt()
    return (u * root).contiguous(), (v * root).contiguous()


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
"""Each measured query's peer in ``graphrec/bench/cypher/``."""


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
    from graphrec.db.vectors import vector_rows
    from graphrec.db.writer import chunks

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
            "query that writes nothing (`graphrec/bench/cypher/wire_check`), as PackStream float lists (the naive "
            "encoding, whose decoding bounds any write that uses it) and as the decimal strings write-back sends "
            "(parsed server-side with `split`/`toFloat`)."]
    out += ["", "Each query next to its peer (`graphrec/bench/cypher/peer_*`: the cheapest query for the same answer "
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


def _loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def publish_section(graph: Graph, results: list[tuple[PublishResult, str, str]], command: str) -> str:
    """The ``--publish-only`` section: each publish of the graph (``--repeats``), where its time went and the
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


HNSW_GRID = ((16, 100), (16, 200), (32, 100), (32, 200), (32, 400))
"""(m, ef_construction) settings the ``--hnsw`` sweep measures (Neo4j's default is (16, 100))."""


@dataclass
class HnswPoint:
    m: int
    ef_construction: int
    mips_build_s: float
    item_build_s: float
    realtime_recall: float
    similar_recall: float


def hnsw_sweep(driver: Driver, graph: Graph, run_id: str, user_emb: Tensor, item_emb: Tensor,
               grid: tuple[tuple[int, int], ...] = HNSW_GRID, n: int = 200) -> list[HnswPoint]:
    """Build the published run's two vector indexes again at each (m, ef_construction) of ``grid`` (on the
    run's own properties, under other names; the run's own indexes are dropped first, as Neo4j keeps one
    index per label and property, so the run is left without them) and measure each build's time and its
    recall@20 against exact top-20: ``recommend_realtime``'s MIPS search (dot product, seen masked, candidates=100) over
    ``n`` users and ``similar_items``' cosine search over ``n`` items."""
    from graphrec.db import read
    from graphrec.db.queries import load_query as bench_query
    from graphrec.db.queries import render_from
    from graphrec.writeback import get_run
    from graphrec.writeback.vectors import await_index, create_run_index, drop_index

    run = get_run(driver, run_id)
    prop, mips_prop = str(run.props["prop"]), str(run.props["mips_prop"])
    for name in (run.props["item_index"], run.props["mips_index"]):  # Neo4j keeps one index per property
        drop_index(driver, str(name))
    rt_q = render_from(BENCH_CYPHER, "index_realtime", types=graph.interactions)
    sim_q = bench_query("index_similar", BENCH_CYPHER)
    dim = int(item_emb.size(1))
    rnd = random.Random(2)
    active_u = [u for u in range(len(graph.ids["User"])) if bool(user_emb[u].any())]
    active_i = [i for i in range(len(graph.ids["Item"])) if bool(item_emb[i].any())]
    users, items = rnd.sample(active_u, min(n, len(active_u))), rnd.sample(active_i, min(n, len(active_i)))
    unit = item_emb / item_emb.norm(dim=1, keepdim=True).clamp(min=1e-12)
    exact_u, exact_i = {}, {}
    for ui in users:
        scores = item_emb @ user_emb[ui]
        scores[graph.exclude[1][graph.exclude[0] == ui]] = float("-inf")
        exact_u[ui] = {graph.ids["Item"][j] for j in torch.topk(scores, K).indices.tolist()}
    for ii in items:
        scores = unit @ unit[ii]
        scores[ii] = float("-inf")
        exact_i[ii] = {graph.ids["Item"][j] for j in torch.topk(scores, K).indices.tolist()}
    points = []
    for m, efc in grid:
        names = {"mips": f"sweep_mips_{m}_{efc}", "item": f"sweep_item_{m}_{efc}"}
        t = time.perf_counter()
        create_run_index(driver, names["mips"], "Item", mips_prop, dim + 1, m=m, ef_construction=efc)
        await_index(driver, names["mips"])
        mips_s = time.perf_counter() - t
        t = time.perf_counter()
        create_run_index(driver, names["item"], "Item", prop, dim, m=m, ef_construction=efc)
        await_index(driver, names["item"])
        item_s = time.perf_counter() - t
        rt = sum(len(exact_u[ui] & {r["item"] for r in read(driver, rt_q, {
            "user": graph.ids["User"][ui], "prop": prop, "index": names["mips"], "candidates": 100, "k": K})})
            for ui in users) / (K * len(users))
        sim = sum(len(exact_i[ii] & {r["item"] for r in read(driver, sim_q, {
            "item": graph.ids["Item"][ii], "prop": prop, "index": names["item"], "k": K})})
            for ii in items) / (K * len(items))
        for name in names.values():
            drop_index(driver, name)
        points.append(HnswPoint(m, efc, mips_s, item_s, rt, sim))
        print(f"{graph.name}: HNSW m={m} ef_construction={efc}: build {mips_s:.1f} s + {item_s:.1f} s, "
              f"recall@20 realtime {rt:.3f}, similar {sim:.3f}", flush=True)
    return points


def switch_times(driver: Driver, graph: Graph, run_a: str, user_emb: Tensor, item_emb: Tensor,
                 flips: int = 4) -> list[float]:
    """Publish a second run without activating it, then time ``flips`` switches back and forth between it and
    ``run_a`` (:func:`graphrec.writeback.activate` without the counts check, as publish calls it), seconds each."""
    from graphrec.writeback import activate

    run_b = publish_graph(driver, graph, user_emb, item_emb, "bench-b", activate_run=False).run_id
    out = []
    for n in range(flips):
        t = time.perf_counter()
        activate(driver, run_b if n % 2 == 0 else run_a, verify=False)
        out.append(time.perf_counter() - t)
    print(f"{graph.name}: switch times {[round(x, 3) for x in out]} s", flush=True)
    if flips % 2:
        activate(driver, run_a, verify=False)
    return out


def hnsw_section(graph: Graph, result: PublishResult, points: list[HnswPoint], switches: list[float],
                 vectors: str = "svd") -> str:
    from graphrec.writeback.vectors import HNSW_EF_CONSTRUCTION, HNSW_M, HNSW_MIPS_EF_CONSTRUCTION, HNSW_MIPS_M

    what = ("64-d SVD vectors" if vectors == "svd" else
            f"the user and item vectors of graphrec's `{vectors}` model fitted on all of its LISTENED pairs")
    out = [f"## HNSW parameters of the run indexes ({graph.name}, {vectors} vectors)", "",
           f"HNSW parameters by measurement on {graph.name} ({len(graph.ids['Item'])} items, {what}; "
           "`python -m graphrec.bench.serve_bench --graphs " + graph.name + " --hnsw --vectors " + vectors
           + " --grid " + ",".join(f"{p.m}:{p.ef_construction}" for p in points) + "`). Each row builds the "
           "run's two unquantised cosine indexes again (MIPS-augmented for `recommend_realtime`, plain for "
           "`similar_items`), one after the other, and measures recall@20 against exact top-20 over 200 users "
           "(dot product, the user's items of the run's interaction types masked, candidates=100) and 200 items "
           f"(cosine). Defaults: m={HNSW_MIPS_M}, ef_construction={HNSW_MIPS_EF_CONSTRUCTION} for the MIPS index, "
           f"m={HNSW_M}, ef_construction={HNSW_EF_CONSTRUCTION} for the item index.", "",
           "| m | ef_construction | MIPS index build s | item index build s | recall@20 realtime | "
           "recall@20 similar |", "|---|---|---|---|---|---|"]
    for p in points:
        mark = ((" (MIPS default)" if (p.m, p.ef_construction) == (HNSW_MIPS_M, HNSW_MIPS_EF_CONSTRUCTION) else "")
                + (" (item default)" if (p.m, p.ef_construction) == (HNSW_M, HNSW_EF_CONSTRUCTION) else ""))
        out.append(f"| {p.m}{mark} | {p.ef_construction} | {p.mips_build_s:.1f} | {p.item_build_s:.1f} | "
                   f"{p.realtime_recall:.3f} | {p.similar_recall:.3f} |")
    sec = result.seconds
    out += ["", "Publish at the defaults in the same run: "
            f"total {sec.get('total', 0):.1f} s = vectors {sec.get('vectors', 0):.1f} s + both indexes "
            f"{sec.get('index', 0):.1f} s + RECOMMENDED {sec.get('recommended', 0):.1f} s + counts check "
            f"{sec.get('verify', 0):.1f} s + switch {sec.get('activate', 0):.3f} s (the first; publish plans its "
            "queries in a rolled-back dry run before). Then a second run was published and readers switched "
            f"between the two {len(switches)} times: "
            + ", ".join(f"{x:.3f}" for x in switches) + " s (`activate(run, verify=False)`: the run lock and "
            "`writeback/activate` over the ModelRun nodes, plus reading the run before and after)."]
    load = os.getloadavg()
    out.append(f"- machine load average when written: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
               f"(1/5/15 min) on {os.cpu_count()} cores, shared with other work: build times include CPU contention")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--graphs", default="lastfm-2k,amazon-book-size")
    ap.add_argument("--requests", type=int, default=1600, help="queries per (query, clients) cell")
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "datasets")
    ap.add_argument("--no-report", action="store_true", help="print, do not write BENCHMARKS.md")
    ap.add_argument("--hnsw", action="store_true",
                    help="only publish and sweep the HNSW (m, ef_construction) grid: build time and recall@20")
    ap.add_argument("--publish-only", action="store_true",
                    help="only load each graph and publish it (--repeats times): the stage times "
                         "(section publish-<graph>)")
    ap.add_argument("--repeats", type=int, default=1, help="publishes per graph with --publish-only")
    ap.add_argument("--grid", default=",".join(f"{m}:{e}" for m, e in HNSW_GRID),
                    help="the --hnsw grid as m:ef_construction,... (default: %(default)s)")
    ap.add_argument("--vectors", default="svd",
                    help="with --hnsw: the vectors indexed, 'svd' (rank-64 SVD of the interactions) or a graphrec "
                         "model fitted on lastfm-2k, e.g. 'graph' or 'als' (default: %(default)s)")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the throwaway servers on kill
    grid = tuple((int(m), int(e)) for m, e in (p.split(":") for p in args.grid.split(",")))
    rows: list[tuple[Graph, PublishResult, list[Latency], str, tuple[float, float]]] = []
    for name in args.graphs.split(","):
        with tempfile.TemporaryDirectory(prefix="graphrec-serve-bench-") as tmp, server(Path(tmp)) as settings:
            driver = connect(settings)
            try:
                apply_schema(driver)
                graph = (load_lastfm(driver, args.data_dir, Path(tmp)) if name == "lastfm-2k"
                         else synthetic_amazon(driver))
                print(f"{graph.name}: loaded in {graph.load_seconds:.0f} s", flush=True)
                if args.publish_only:
                    from graphrec.writeback import delete_run

                    user_emb, item_emb = embeddings(graph)
                    results: list[tuple[PublishResult, str, str]] = []
                    for _ in range(args.repeats):
                        before = _loadavg()
                        res = publish_graph(driver, graph, user_emb, item_emb)
                        results.append((res, before, _loadavg()))
                        print(f"{graph.name}: published in {res.seconds['total']:.1f} s; {res.seconds}", flush=True)
                        if len(results) > 1:
                            delete_run(driver, results[-2][0].run_id)
                    text = publish_section(graph, results, "python -m graphrec.bench.serve_bench "
                                           f"--graphs {graph.name} --publish-only --repeats {args.repeats}")
                    if not args.no_report:
                        write_section(f"publish-{graph.name}", text)
                    print(text, flush=True)
                    continue
                if args.hnsw:
                    user_emb, item_emb = (embeddings(graph) if args.vectors == "svd"
                                          else trained_embeddings(graph, args.vectors))
                    res = publish_graph(driver, graph, user_emb, item_emb)
                    print(f"{graph.name}: published; {res.seconds}", flush=True)
                    switches = switch_times(driver, graph, res.run_id, user_emb, item_emb)
                    text = hnsw_section(graph, res, hnsw_sweep(driver, graph, res.run_id, user_emb, item_emb, grid),
                                        switches, args.vectors)
                    if not args.no_report:
                        write_section(f"hnsw-{graph.name}" + ("" if args.vectors == "svd" else f"-{args.vectors}"),
                                      text)
                    print(text, flush=True)
                    continue
                rows.append((graph, *bench_graph(driver, graph, args.requests)))
                print(section([rows[-1]]), flush=True)
            finally:
                driver.close()
    if args.hnsw or args.publish_only:
        return
    text = section(rows)
    if not args.no_report:
        write_section("serve", text)
    print(text)


if __name__ == "__main__":
    main()

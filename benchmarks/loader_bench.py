"""Loader benchmark: stream-out edges/s of ``graphrec.loaders`` against naive record-by-record iteration.

``python -m benchmarks.loader_bench`` starts a throwaway Neo4j (or uses the empty database at
``GRAPHREC_BENCH_NEO4J_URI`` / ``GRAPHREC_BENCH_NEO4J_PASSWORD``; it is cleared), and for each graph:

* **columnar**: :func:`graphrec.loaders.load_graph_with_stats`: pages of ``collect(...)`` columns into
  preallocated numpy arrays; edges/s over the edge streaming, and the whole load (nodes, edges,
  split, ``HeteroData``);
* **naive**: one ``session.run`` per edge type iterated record by record, each record turned into a
  dict, ids mapped to indices afterwards (what a first attempt usually looks like);

both over the same edge types in the same run, best of ``--repeat`` warm runs each. On ml-100k it
also measures ``embed_text`` (encode and write rates, all-MiniLM-L6-v2 on the local device) and the
GDS FastRP baseline (time, and Recall/NDCG@20 on the u1 split next to popularity).

Graphs: ``ml-100k`` (the real MovieLens 100K via ``graphrec.ingest``, u1 split), ``lastfm-2k`` (the
real HetRec lastfm-2k joined with the KGCN music KG: many sparse relation types) and ``synthetic``
(users/items/ratings given on the command line, generated server-side by Cypher; skip with
``--graphs ml-100k``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from neo4j import Driver

from benchmarks import BENCH_CYPHER
from benchmarks.common import data_dir, server
from benchmarks.report import write_section
from graphrec.config import Settings
from graphrec.db import connect
from graphrec.db.queries import render_from, statements
from graphrec.db.schema import apply_schema
from graphrec.loaders import GraphSpec, discover_spec, load_graph_with_stats

if TYPE_CHECKING:
    from torch import Tensor


def clear(driver: Driver) -> None:
    """Empty the database (implicit transactions, as ``IN TRANSACTIONS`` needs)."""
    with driver.session() as session:
        for stmt in statements(render_from(BENCH_CYPHER, "clear")):
            session.run(stmt).consume()


def naive_load(driver: Driver, spec: GraphSpec) -> tuple[int, float]:
    """Every edge type of ``spec`` read record by record into dicts, then mapped to index arrays.

    Returns:
        ``(edges, seconds)``; the seconds count edge reading only, like ``LoadStats.stream_seconds``.
    """
    index: dict[str, dict[str, int]] = {}
    with driver.session(database=getattr(driver, "graphrec_database", None)) as session:
        for t in spec.node_types:
            rows = [dict(r) for r in session.run(render_from(BENCH_CYPHER, "naive_nodes", label=t))]
            index[t] = {r["id"]: i for i, r in enumerate(rows)}
        t1 = time.perf_counter()
        total = 0
        for s, rtype, d in spec.edge_types:
            query = render_from(BENCH_CYPHER, "naive_edges", src=s, type=rtype, dst=d)
            rows = [dict(r) for r in session.run(query, split_key="split", ts_key="ts")]
            src = np.array([index[s][r["src"]] for r in rows], dtype=np.int64)
            dst = np.array([index[d][r["dst"]] for r in rows], dtype=np.int64)
            train = np.array([r["split"] in (None, "train") for r in rows], dtype=np.bool_)
            assert len(src) == len(dst) == len(train)
            total += len(rows)
    return total, time.perf_counter() - t1


@dataclass
class Row:
    graph: str
    edges: int
    naive_s: float
    columnar_s: float
    load_s: float
    source: str

    def md(self) -> str:
        nv, cl = self.edges / self.naive_s, self.edges / self.columnar_s
        return (f"| {self.graph} | {self.edges:,} | {self.naive_s:.2f} | {nv:,.0f} | {self.columnar_s:.2f} | "
                f"{cl:,.0f} | **{cl / nv:.1f}×** | {self.load_s:.2f} |")


def measure(driver: Driver, name: str, source: str, repeat: int) -> Row:
    """Best-of-``repeat`` naive and columnar timings over the same edge types (after one warm-up each)."""
    spec = discover_spec(driver)
    naive_load(driver, spec)
    load_graph_with_stats(driver, spec)
    naive = min(naive_load(driver, spec)[1] for _ in range(repeat))
    best_stream, best_load, edges = float("inf"), float("inf"), 0
    for _ in range(repeat):
        _, st = load_graph_with_stats(driver, spec)
        best_stream, best_load, edges = min(best_stream, st.stream_seconds), min(best_load, st.seconds), st.total_edges
    return Row(name, edges, naive, best_stream, best_load, source)


def ml100k(driver: Driver, settings: Settings) -> None:
    from graphrec.ingest.datasets import LoadOptions, load_dataset

    load_dataset(driver, "movielens-100k", LoadOptions(split="u1"), data_dir(), settings.home, progress=False)


def lastfm(driver: Driver, settings: Settings) -> None:
    from graphrec.ingest.datasets import LoadOptions, load_dataset

    load_dataset(driver, "lastfm-2k", LoadOptions(kg=True), data_dir(), settings.home, progress=False)


def synthetic(driver: Driver, users: int, items: int, ratings: int) -> None:
    with driver.session() as session:
        for stmt in statements(render_from(BENCH_CYPHER, "synthetic_graph")):
            session.run(stmt, users=users, items=items, genres=50, ratings=ratings).consume()


def extras_ml100k(driver: Driver) -> list[str]:
    """embed-text rates and the FastRP baseline on ml-100k (lines of markdown)."""
    import torch

    from graphrec.features import embed_text
    from graphrec.gds import FastRPStats, gds_embeddings
    from graphrec.loaders import load_graph
    from graphrec.train.metrics import evaluate_embeddings

    out = []
    e = embed_text(driver, "Item", batch_size=64)
    out.append(f"- `embed_text` ml-100k items ({e.encoded} nodes, {e.model}, {e.device}): encode "
               f"**{e.encode_rate:,.0f} nodes/s**, write-back **{e.write_rate:,.0f} nodes/s**, whole run "
               f"{e.seconds:.1f} s; a re-run skips all {embed_text(driver, 'Item').skipped} (hash unchanged).")
    graph = load_graph(driver)
    st = FastRPStats()
    users, items = gds_embeddings(driver, graph, dim=128, stats=st)
    m = evaluate_embeddings(users, items, graph, ks=(20,))
    pop = torch.bincount(graph.train[1], minlength=graph.num_items).float()
    p = evaluate_embeddings(torch.ones(graph.num_users, 1), pop[:, None], graph, ks=(20,))
    out.append(f"- GDS FastRP baseline (dim 128, weights (0,1,1), normalisation -0.5, train pairs + KG, "
               f"{st.nodes:,} nodes / {st.relationships:,} rels): project {st.project_seconds:.1f} s, FastRP "
               f"{st.compute_seconds:.1f} s, stream back {st.stream_seconds:.1f} s; u1 test Recall@20 "
               f"**{m['recall@20']:.4f}** / NDCG@20 **{m['ndcg@20']:.4f}** vs popularity "
               f"{p['recall@20']:.4f} / {p['ndcg@20']:.4f}.")
    return out


def _sample_rate(data: object, et: tuple[str, str, str], pairs: Tensor, batches: int) -> tuple[float, float]:
    """``(batches/s, sampled edges/s)`` of ``batches`` LinkNeighborLoader mini-batches (1024 seed pairs, fan-out
    [10, 5], features joined) from ``data``, sampled by graphrec's torch sampler."""
    import torch
    from torch_geometric.loader import LinkNeighborLoader

    from graphrec.loaders import TorchNeighborSampler

    torch.manual_seed(0)
    sampler = TorchNeighborSampler(data, num_neighbors=[10, 5])
    loader = LinkNeighborLoader(data, num_neighbors=[10, 5], edge_label_index=(et, pairs), batch_size=1024,
                                shuffle=True, neighbor_sampler=sampler)
    t, n, edges = time.perf_counter(), 0, 0
    for batch in loader:
        edges += sum(int(batch[k].edge_index.shape[1]) for k in batch.edge_types)
        n += 1
        if n == batches:
            break
    s = time.perf_counter() - t
    return n / s, edges / s


def _fetch_seconds(store: object, perm: dict[str, Tensor], attrs: list[object], repeat: int) -> float:
    """Best of ``repeat`` passes fetching every row of ``attrs`` by index, one ``multi_get_tensor`` per 1024
    nodes of a type (as PyG's loaders ask)."""
    from torch_geometric.data import TensorAttr

    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for t, p in perm.items():
            names = [a.attr_name for a in attrs if isinstance(a, TensorAttr) and a.group_name == t]
            for i in range(0, len(p) if names else 0, 1024):
                store.multi_get_tensor([TensorAttr(t, n, p[i: i + 1024]) for n in names])  # type: ignore[attr-defined]
        best = min(best, time.perf_counter() - t0)
    return best


def remote_backend_lines(driver: Driver, name: str, numeric: dict[str, tuple[str, ...]] | None = None,
                         batches: int = 30, repeat: int = 3) -> list[str]:
    """Neo4j as a PyG remote backend next to the in-memory loader, same graph, same run (lines of markdown):
    feature rows/s fetched by index (cold: every row a Neo4j read; warm: all cache hits; in memory: a tensor
    gather; best of ``repeat`` after a warm-up), the structure load's edges/s, and LinkNeighborLoader
    batches/s and sampled edges/s over the Neo4j stores (cache off, cache holding every row) and over the
    in-memory ``HeteroData``."""
    import torch

    from graphrec.loaders import remote_backend

    spec = discover_spec(driver, numeric=numeric or {})
    graph, st = load_graph_with_stats(driver, spec)
    t = time.perf_counter()
    rb = remote_backend(driver, spec, cache_rows=0)
    open_s = time.perf_counter() - t
    fs = rb.feature_store
    attrs: list[object] = [a for a in fs.get_all_tensor_attrs() if a.attr_name != "n_id"]
    types = {str(a.group_name) for a in fs.get_all_tensor_attrs() if a.attr_name != "n_id"}
    rows = sum(len(rb.graph.ids[t]) for t in types)
    perm = {t: torch.randperm(len(rb.graph.ids[t])) for t in types}
    _fetch_seconds(fs, perm, attrs, 1)
    cold = _fetch_seconds(fs, perm, attrs, repeat)
    et = (spec.user, spec.interaction_types[0][1], spec.item)
    _sample_rate(graph.data, et, graph.train, 2)
    rem_cold = _sample_rate(rb.data, et, rb.graph.train, batches)
    fs.cache_rows = sum(len(v) for v in rb.graph.ids.values())
    _fetch_seconds(fs, perm, attrs, 1)
    warm, memory = _fetch_seconds(fs, perm, attrs, repeat), _fetch_seconds(graph.data, perm, attrs, repeat)
    mem = max(_sample_rate(graph.data, et, graph.train, batches) for _ in range(2))
    rem_warm = max(_sample_rate(rb.data, et, rb.graph.train, batches) for _ in range(2))
    feats = ", ".join(f"{a.group_name}.{a.attr_name}" for a in fs.get_all_tensor_attrs() if a.attr_name != "n_id")
    return [f"- Remote backend, {name} (`remote_backend_lines`; features {feats}; {rows:,} node rows): open = "
            f"structure load without features {open_s:.2f} s ({st.total_edges / open_s:,.0f} edges/s) vs the "
            f"in-memory `load_graph` {st.seconds:.2f} s ({st.edges_per_s:,.0f} edges/s streamed). Feature fetch by "
            f"index, 1024 nodes per call, best of {repeat}: Neo4j, cache off **{rows / cold:,.0f} rows/s**; cache "
            f"holding every row {rows / warm:,.0f} rows/s; in-memory gather {rows / memory:,.0f} rows/s. "
            f"LinkNeighborLoader (1024 seed pairs, fan-out [10, 5], `TorchNeighborSampler`, {batches} batches): "
            f"Neo4j stores, cache off **{rem_cold[0]:.1f} batches/s, {rem_cold[1]:,.0f} sampled edges/s**; cache "
            f"warm {rem_warm[0]:.1f} batches/s, {rem_warm[1]:,.0f} edges/s; in-memory HeteroData {mem[0]:.1f} "
            f"batches/s, {mem[1]:,.0f} edges/s."]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write the ``loader`` section of BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--graphs", default="ml-100k,lastfm-2k,synthetic")
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--ratings", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-extras", action="store_true", help="skip embed-text and FastRP on ml-100k")
    ap.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = ap.parse_args(argv)
    graphs = [g.strip() for g in args.graphs.split(",") if g.strip()]
    rows: list[Row] = []
    extras: list[str] = []
    with tempfile.TemporaryDirectory(prefix="graphrec-loader-bench-") as tmp, server(Path(tmp)) as settings:
        driver = connect(settings)
        try:
            apply_schema(driver)
            for g in graphs:
                clear(driver)
                t = time.perf_counter()
                if g == "ml-100k":
                    ml100k(driver, settings)
                    source = "real MovieLens 100K via graphrec.ingest (u1 split)"
                elif g == "lastfm-2k":
                    lastfm(driver, settings)
                    source = ("real HetRec lastfm-2k + KGCN music KG via graphrec.ingest (LISTENED and TAGGED "
                              "behaviours, HAS_TAG and 60+ sparse KG relation types)")
                elif g == "synthetic":
                    synthetic(driver, args.users, args.items, args.ratings)
                    source = (f"synthetic, Cypher-generated: {args.users:,} users, {args.items:,} items, "
                              f"{args.ratings:,} ratings, 2 genres per item")
                else:
                    raise SystemExit(f"unknown graph {g!r}")
                print(f"{g}: written in {time.perf_counter() - t:.1f}s", flush=True)
                rows.append(measure(driver, g, source, args.repeat))
                print(rows[-1].md(), flush=True)
                if g == "ml-100k" and not args.no_extras:
                    extras += extras_ml100k(driver)
                    print("\n".join(extras), flush=True)
                if g == "ml-100k":
                    extras += remote_backend_lines(driver, g, numeric={"User": ("age",)})
                    print(extras[-1], flush=True)
        finally:
            driver.close()
    body = [
        "## Loader: Neo4j → PyG stream-out",
        "",
        "`python -m benchmarks.loader_bench`. Same edge types (behaviours + KG + user attributes), same "
        f"server, same run; best of {args.repeat} warm runs. *naive* = `for record in session.run(...)` building "
        "dicts, then ids → indices; *columnar* = `loaders` (pages of `collect()` columns into preallocated numpy "
        "arrays, Rust driver extension). *load* = the whole `load_graph` (nodes + edges + split + HeteroData).",
        "",
        "| graph | edges | naive s | naive edges/s | columnar s | columnar edges/s | speed-up | full load s |",
        "|---|---|---|---|---|---|---|---|",
        *[r.md() for r in rows],
        "",
        *[f"- {r.graph}: {r.source}" for r in rows],
        *extras,
        "- PyG's own `NeighborSampler` needs pyg-lib or torch-sparse to sample, which are not installed here; "
        "the mini-batch figures above use `graphrec.loaders.TorchNeighborSampler` (plain torch) on both backends.",
    ]
    write_section("loader", "\n".join(body), path=args.out)
    print(f"wrote the loader section of {args.out}")


if __name__ == "__main__":
    main()

"""HNSW sweep: build time and recall@20 of the run's two vector indexes at each (m, ef_construction).

``python -m benchmarks.hnsw_bench --graphs lastfm-2k [--vectors svd|graph|als...] [--grid m:efc,...]`` starts a
throwaway Neo4j per graph (or uses ``GRAPHREC_BENCH_NEO4J_URI``), publishes the graph's vectors, times a few
switches between two runs, then builds the run's indexes again at each grid point and measures
``recommend_realtime``'s and ``similar_items``' recall@20 against exact top-20 (section ``hnsw-<graph>``).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from neo4j import Driver
from torch import Tensor

from benchmarks import BENCH_CYPHER
from benchmarks.common import data_dir, server
from benchmarks.report import write_section
from benchmarks.serving import Graph, K, embeddings, load_named, publish_graph, trained_embeddings
from graphrec.db import connect
from graphrec.db.schema import apply_schema
from graphrec.writeback import PublishResult

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
           "`python -m benchmarks.hnsw_bench --graphs " + graph.name + " --vectors " + vectors
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
    ap.add_argument("--data-dir", type=Path, default=None, help="datasets folder (default: the data_dir setting)")
    ap.add_argument("--no-report", action="store_true", help="print, do not write BENCHMARKS.md")
    ap.add_argument("--grid", default=",".join(f"{m}:{e}" for m, e in HNSW_GRID),
                    help="the grid as m:ef_construction,... (default: %(default)s)")
    ap.add_argument("--vectors", default="svd",
                    help="the vectors indexed, 'svd' (rank-64 SVD of the interactions) or a graphrec "
                         "model fitted on lastfm-2k, e.g. 'graph' or 'als' (default: %(default)s)")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the throwaway servers on kill
    grid = tuple((int(m), int(e)) for m, e in (p.split(":") for p in args.grid.split(",")))
    for name in args.graphs.split(","):
        with tempfile.TemporaryDirectory(prefix="graphrec-hnsw-bench-") as tmp, server(Path(tmp)) as settings:
            driver = connect(settings)
            try:
                apply_schema(driver)
                graph = load_named(driver, name, args.data_dir or data_dir(), Path(tmp))
                user_emb, item_emb = (embeddings(graph) if args.vectors == "svd"
                                      else trained_embeddings(graph, args.vectors))
                res = publish_graph(driver, graph, user_emb, item_emb)
                print(f"{graph.name}: published; {res.seconds}", flush=True)
                switches = switch_times(driver, graph, res.run_id, user_emb, item_emb)
                text = hnsw_section(graph, res, hnsw_sweep(driver, graph, res.run_id, user_emb, item_emb, grid),
                                    switches, args.vectors)
                if not args.no_report:
                    write_section(f"hnsw-{graph.name}" + ("" if args.vectors == "svd" else f"-{args.vectors}"), text)
                print(text, flush=True)
            finally:
                driver.close()


if __name__ == "__main__":
    main()

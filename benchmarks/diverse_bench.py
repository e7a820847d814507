"""What ``recommend --diverse`` does to accuracy and the long tail, measured through Neo4j (issue 21).

Run as ``python -m benchmarks.diverse_bench [--seeds 2020,2021,2022] [--caps 1,2,3,5]``. On MovieLens-100k u1
(a throwaway server loads it and embeds the item and entity text, or the loaded database named by
``GRAPHREC_BENCH_NEO4J_URI`` is used as it is), per seed: the default model is fitted by :func:`graphrec.fit`
on the training pairs (its validation carved from them, as ``evaluate`` does), its top-``--n`` is published
*excluding only the training pairs* (so the u1 test pairs can be found in it), and every test user's top 20 is
read back through the serving functions — :func:`graphrec.recommend.recommend` (the plain ranking) and
:func:`graphrec.recommend.diverse` at each cap (at most ``cap`` picks per genre out of the top ``--n``, as
``graphrec recommend --diverse CAP`` asks). Each list is scored by :func:`graphrec.train.metrics.rank_scored`
against the u1 test pairs, with the figures ``evaluate`` reports beside accuracy: coverage@20, Gini@20 and
pop@20. The section ``diverse`` of BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from neo4j import Driver
from torch import Tensor

from benchmarks import BENCH_CYPHER
from benchmarks.common import data_dir, loadavg, server
from benchmarks.report import write_section
from graphrec.db.queries import load_query
from graphrec.loaders.types import RecGraph

K = 20
FIGURES = ("recall@20", "ndcg@20", "coverage@20", "gini@20", "pop@20")


def _q(name: str) -> str:
    return load_query(name, BENCH_CYPHER)


def _loaded(driver: Driver, home: Path, data: Path) -> None:
    """MovieLens-100k u1 with item and entity text embeddings, unless the database holds ratings already."""
    if driver.execute_query(_q("diverse_rated")).records[0]["any"]:
        return
    from graphrec.features import embed_text
    from graphrec.ingest.datasets import LoadOptions, load_dataset

    load_dataset(driver, "movielens-100k", LoadOptions(split="u1"), data, home, progress=False)
    for label in ("Item", "Entity"):
        embed_text(driver, label=label)


def _lists(driver: Driver, users: list[str], cap: int | None, n: int) -> dict[str, list[str]]:
    """Each user's served top ``K``: the plain published ranking (``cap`` ``None``) or ``diverse`` at ``cap``."""
    from graphrec.recommend import diverse, recommend

    out = {}
    for u in users:
        recs = recommend(driver, u, K) if cap is None else diverse(driver, u, k=K, n=n, cap=cap)
        out[u] = [r.item for r in recs]
    return out


def _figures(graph: RecGraph, lists: dict[str, list[str]], genres: dict[str, list[str]]) -> dict[str, float]:
    """``rank_scored``'s figures of served lists (each listed item scores by its position, every other -inf) and
    ``genres@20``, the mean number of distinct genres in a list."""
    from graphrec.train.metrics import rank_scored

    item_pos = {x: j for j, x in enumerate(graph.ids[graph.item_type])}
    user_ids = graph.ids[graph.user_type]

    def score(users: Tensor) -> Tensor:
        s = torch.full((users.numel(), graph.num_items), float("-inf"))
        for row, u in enumerate(users.tolist()):
            items = lists[user_ids[u]]
            if len(items) < K:
                raise RuntimeError(f"user {user_ids[u]}: {len(items)} recommendations served, {K} needed")
            s[row, [item_pos[i] for i in items]] = torch.arange(len(items), 0, -1, dtype=torch.float32)
        return s

    popularity = torch.bincount(graph.train[1].long(), minlength=graph.num_items)
    m = rank_scored(score, graph.num_items, graph.test, [graph.train], (K,), tail=True, popularity=popularity)
    distinct = [len({g for i in items[:K] for g in genres.get(i, [])}) for items in lists.values()]
    return {**{f: m[f] for f in FIGURES}, "genres@20": sum(distinct) / max(1, len(distinct))}


def one_seed(driver: Driver, graph: RecGraph, genres: dict[str, list[str]], seed: int, caps: list[int],
             n: int) -> dict[str, dict[str, float]]:
    """The figures of the plain ranking (key ``"plain"``) and of each cap, for one fit of the default model
    (``genres``: each item's, for the genres per list)."""
    from graphrec.train import TrainConfig, fit
    from graphrec.writeback import publish_artefact

    served = replace(graph, test=torch.empty(2, 0, dtype=torch.long))   # published top-K excludes train only
    art = fit(served, TrainConfig(seed=seed, out_dir=None, top_k=max(n, K)), progress=False, holdout=True)
    publish_artefact(driver, art, k=max(n, K))
    users = [graph.ids[graph.user_type][u] for u in torch.unique(graph.test[0]).tolist()]
    out = {"plain": _figures(graph, _lists(driver, users, None, n), genres)}
    for cap in caps:
        out[f"cap {cap}"] = _figures(graph, _lists(driver, users, cap, n), genres)
    print(f"seed {seed}: " + "; ".join(f"{k} R {v['recall@20']:.4f} cov {v['coverage@20']:.4f} "
                                       f"genres {v['genres@20']:.2f}" for k, v in out.items()),
          file=sys.stderr, flush=True)
    return out


def section(runs: list[dict[str, dict[str, float]]], graph: RecGraph, args: argparse.Namespace, when: str) -> str:
    def cell(key: str, fig: str) -> str:
        vals = [r[key][fig] for r in runs]
        sd = f" ± {statistics.stdev(vals):.4f}" if len(vals) > 1 else ""
        return f"{statistics.mean(vals):.4f}{sd}" if fig in ("recall@20", "ndcg@20") else f"{statistics.mean(vals):.3f}"

    users = int(torch.unique(graph.test[0]).numel())
    plain = statistics.mean(r["plain"]["recall@20"] for r in runs)
    cov = statistics.mean(r["plain"]["coverage@20"] for r in runs)
    lines = ["## `recommend --diverse` on MovieLens-100K u1 (issue 21)", "",
             f"`{' '.join(['python -m benchmarks.diverse_bench', *sys.argv[1:]])}`, {when}. Per seed "
             f"({', '.join(map(str, args.seeds))}) the default model is fitted on u1's training pairs, its top "
             f"{args.n} published excluding only those, and each of the {users:,} test users' top 20 read back through "
             "`recommend` (plain) and `diverse` (`graphrec recommend --diverse CAP`: at most CAP picks per genre "
             f"out of the top {args.n}; the best skipped fill up when fewer survive). Scored against the u1 test "
             f"pairs; coverage@20 over the {graph.num_items:,} items, Gini@20, pop@20 (mean popularity percentile, "
             "1 = most popular) as `evaluate` reports them; *genres in the 20*: distinct genres among a list's 20 "
             "items.", "",
             "| served list | Recall@20 | NDCG@20 | Recall / plain | genres in the 20 | coverage@20 | coverage / plain "
             "| Gini@20 | pop@20 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key in runs[0]:
        r = statistics.mean(x[key]["recall@20"] for x in runs)
        c = statistics.mean(x[key]["coverage@20"] for x in runs)
        g = statistics.mean(x[key]["genres@20"] for x in runs)
        lines.append(f"| {key} | {cell(key, 'recall@20')} | {cell(key, 'ndcg@20')} | {100 * r / plain:.1f}% "
                     f"| {g:.2f} | {cell(key, 'coverage@20')} | {c / cov:.2f}× | {cell(key, 'gini@20')} "
                     f"| {cell(key, 'pop@20')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[2020, 2021, 2022])
    ap.add_argument("--caps", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 3, 5])
    ap.add_argument("--n", type=int, default=50, help="candidates diverse re-ranks (default 50, as the CLI)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = ap.parse_args(argv)
    from graphrec.db import connect
    from graphrec.loaders import load_graph
    from graphrec.train.threads import set_threads

    set_threads(args.threads)
    start, load0 = time.strftime("%Y-%m-%d %H:%M", time.gmtime()), loadavg()
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp)) as settings:
        driver = connect(settings)
        try:
            _loaded(driver, Path(tmp), args.data_dir or data_dir())
            graph = load_graph(driver)
            genres = {r["item"]: list(r["genres"]) for r in driver.execute_query(_q("diverse_genres")).records}
            runs = [one_seed(driver, graph, genres, s, args.caps, args.n) for s in args.seeds]
        finally:
            driver.close()
    when = (f"{start}–{time.strftime('%H:%M', time.gmtime())} UTC, one torch thread, load average (1/5/15 min) "
            f"{load0} at the start, {loadavg()} at the end")
    text = section(runs, graph, args, when)
    print(text)
    if not args.no_write:
        write_section("diverse", text)


if __name__ == "__main__":
    main()

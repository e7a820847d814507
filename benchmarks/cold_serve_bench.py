"""Cold items as served against cold items as measured (issue 21): the same fit, three ways of scoring them.

Run as ``GRAPHREC_BENCH_NEO4J_URI=bolt://… GRAPHREC_BENCH_NEO4J_PASSWORD=… python -m benchmarks.cold_serve_bench
--name ml-100k [--interactions RATED] [--seeds 2020,2021,2022]`` against a loaded database with text embeddings.
Per seed the graph goes through ``--protocol cold-items`` (a seeded 20% of the items lose every interaction to the
test pairs), the default model is selected and refit as ``graphrec evaluate`` does, and the test pairs are ranked:

* **exact** — the fitted operator's scores, what ``evaluate`` reports and RECOMMENDED is written from (the cold
  items' borrowed columns included);
* **vectors** — the published user and item vectors (``user_emb · item_emb``, the rank-``dim`` factorisation of
  that operator): what ``recommend --realtime`` ranks by, before the HNSW index's approximation;
* **refresh** — the cold items' vectors replaced by what ``graphrec refresh`` gives an item that arrives after
  publication (:func:`graphrec.writeback.refresh.neighbour_mean` over its routes: the items sharing entities with
  it, weight the entities shared, and its nearest items by text, weight Neo4j's cosine score ``(1 + cos) / 2``,
  at most :data:`~graphrec.writeback.refresh.NEIGHBOURS` each, only items with a vector; computed exactly here
  where refresh asks the text vector index), capped at the run's longest item vector as refresh caps it.

Among the cold items and among all items; the section ``cold-serve-<name>`` of BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch
from torch import Tensor

from benchmarks.common import bench_graph, loadavg
from benchmarks.report import write_section
from graphrec.loaders.types import RecGraph

ROUTES = ("exact", "vectors", "refresh")
FIGURES = ("cold recall@20", "cold ndcg@20", "all recall@20", "all ndcg@20")


def _routes(graph: RecGraph, cold: Tensor, limit: int) -> list[list[list[tuple[int, float]]]]:
    """Per cold item, its refresh routes over the warm items: shared entities, then text (where it has text)."""
    from graphrec.train.matrices import side_info

    side = side_info(graph)
    warm = np.ones(graph.num_items, dtype=bool)
    warm[cold.numpy()] = False
    routes: list[list[list[tuple[int, float]]]] = [[] for _ in range(cold.numel())]
    if side.entities is not None:
        shared = (side.entities[:, cold.numpy()].T @ side.entities).tocsr()
        for r in range(cold.numel()):
            row = shared.getrow(r)
            keep = warm[row.indices]
            idx, w = row.indices[keep], row.data[keep].astype(float)
            order = np.argsort(-w, kind="stable")[:limit]
            routes[r].append([(int(idx[o]), float(w[o])) for o in order])
    if side.text is not None:
        has = side.text.abs().sum(1) > 0
        pool = torch.nonzero(has & torch.from_numpy(warm)).flatten()
        cos = side.text[cold] @ side.text[pool].T
        best, pos = cos.topk(min(limit, pool.numel()), dim=1)
        for r in range(cold.numel()):
            if bool(has[cold[r]]):
                routes[r].append([(int(pool[p]), float((1 + c) / 2)) for p, c in zip(pos[r], best[r], strict=True)])
    return routes


def _refreshed(item_emb: Tensor, cold: Tensor, routes: list[list[list[tuple[int, float]]]]) -> Tensor:
    """``item_emb`` with each cold item's row what refresh writes for a new item (zero where it has no route)."""
    from graphrec.writeback.refresh import neighbour_mean

    out = item_emb.clone()
    warm = torch.ones(item_emb.size(0), dtype=torch.bool)
    warm[cold] = False
    cap = float(item_emb[warm].norm(dim=1).max())      # the run's MIPS norm, over the items it published
    for r, c in enumerate(cold.tolist()):
        v = neighbour_mean(routes[r], item_emb)
        if v is None:
            out[c] = 0
            continue
        norm = float(v.norm())
        out[c] = v * (cap / norm) if norm > cap > 0 else v
    return out


def _seed(graph: RecGraph, seed: int) -> dict[str, dict[str, float]]:
    from graphrec.train import TrainConfig
    from graphrec.train.base import dot_scorer
    from graphrec.train.fit import FitReport, _refit, _select
    from graphrec.train.protocols import apply_protocol, protocol_metrics
    from graphrec.train.registry import model_class
    from graphrec.writeback.refresh import NEIGHBOURS

    g = apply_protocol(graph, "cold-items", seed)
    assert g.cold_items is not None
    cfg = TrainConfig(out_dir=None, seed=seed)
    model = model_class(cfg.model)(cfg, torch.device("cpu"))
    report = FitReport()
    pairs, fitted = _refit(g, model, _select(g, model, report, False), True, report, False)
    scorers = {"exact": fitted.scorer, "vectors": dot_scorer(fitted.user_emb, fitted.item_emb),
               "refresh": dot_scorer(fitted.user_emb, _refreshed(fitted.item_emb, g.cold_items,
                                                                 _routes(g, g.cold_items, NEIGHBOURS)))}
    out = {}
    for name, score in scorers.items():
        m = protocol_metrics(g, score, pairs, (20,), model.score_batch(g.num_items))
        out[name] = {"cold recall@20": m["cold"]["recall@20"], "cold ndcg@20": m["cold"]["ndcg@20"],
                     "all recall@20": m["test"]["recall@20"], "all ndcg@20": m["test"]["ndcg@20"]}
        print(f"  seed {seed} {name}: " + ", ".join(f"{k} {v:.4f}" for k, v in out[name].items()), file=sys.stderr,
              flush=True)
    return out


def _table(runs: list[dict[str, dict[str, float]]]) -> str:
    lines = ["| route | among cold R@20 | among cold N@20 | among all R@20 | among all N@20 | cold R@20 / exact |",
             "|" + "---|" * 6]
    base = statistics.mean(r["exact"]["cold recall@20"] for r in runs)

    def pm(route: str, key: str) -> str:
        vals = [r[route][key] for r in runs]
        return f"{statistics.mean(vals):.4f} ± {statistics.stdev(vals):.4f}" if len(vals) > 1 else f"{vals[0]:.4f}"
    for route in ROUTES:
        ratio = statistics.mean(r[route]["cold recall@20"] for r in runs) / base if base else float("nan")
        lines.append(f"| {route} | " + " | ".join(pm(route, k) for k in FIGURES) + f" | {ratio:.0%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--name", required=True, help="the dataset's name in the section title, e.g. ml-100k")
    p.add_argument("--interactions", default=None, help="behaviour types whose pairs are the positives")
    p.add_argument("--seeds", default="2020,2021,2022")
    p.add_argument("--no-write", action="store_true", help="print the table instead of writing BENCHMARKS.md")
    a = p.parse_args(argv)
    if not os.environ.get("GRAPHREC_BENCH_NEO4J_URI"):
        print("cold_serve_bench: set GRAPHREC_BENCH_NEO4J_URI (and _PASSWORD) to a database with the dataset "
              "loaded and its text embedded", file=sys.stderr)
        return 2
    from graphrec.train.threads import set_threads

    set_threads(1)
    seeds = [int(s) for s in a.seeds.split(",")]
    started, load0 = time.strftime("%Y-%m-%d %H:%M", time.gmtime()), loadavg()
    t0 = time.perf_counter()
    graph = bench_graph(a.interactions)
    runs = [_seed(graph, seed) for seed in seeds]
    minutes = (time.perf_counter() - t0) / 60
    body = (f"## Cold items as served: {a.name}\n\n"
            f"`python -m benchmarks.cold_serve_bench --name {a.name}"
            + (f" --interactions {a.interactions}" if a.interactions else "")
            + f" --seeds {a.seeds}`, one torch thread, {started} UTC, {minutes:.0f} min, load average {load0} at the "
            f"start, {loadavg()} at the end. `--protocol cold-items` per seed, the default model selected and refit "
            "once; its test pairs ranked by the exact operator (what `evaluate` reports, RECOMMENDED's source), by "
            "the published vectors (`recommend --realtime`'s ranking before HNSW), and with the cold items' "
            "vectors replaced by what `refresh` gives an item that arrives after publication; mean over the seeds"
            + (" ± std" if len(seeds) > 1 else "") + ".\n\n" + _table(runs))
    if a.no_write:
        print(body)
    else:
        write_section(f"cold-serve-{a.name}", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cost of the default model: one KG relation type vs 130 holding the same edges; fit time at scale.

Run as ``python -m benchmarks.model_bench [--full]``. Builds the seeded synthetic amazon-book-shaped
graph of :mod:`benchmarks.train_bench` (scaled down by ``--scale`` for the ratio; the same triples
labelled with 1 or 130 relation types) and times :func:`graphrec.train.fit` of the default model on each,
interleaved, best of ``--repeats``. ``--full`` also fits the full-size graph (a dense 24,915-item solve:
minutes on 2 cores). The section ``model`` of BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace

import torch

from benchmarks.report import write_section
from benchmarks.train_bench import Shape, peak_rss_gb, synthetic_graph
from graphrec.loaders.types import RecGraph
from graphrec.train import TrainConfig, fit
from graphrec.train.threads import set_threads


def _fit_seconds(graph: RecGraph, cfg: TrainConfig) -> tuple[float, dict[str, float]]:
    t0 = time.perf_counter()
    art = fit(graph, cfg, progress=False, holdout=False)
    return time.perf_counter() - t0, art.info["seconds"]


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--scale", type=float, default=0.2, help="size of the ratio graph vs amazon-book (default 0.2)")
    ap.add_argument("--repeats", type=int, default=2, help="interleaved fits per relation count (default 2)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: the cores available)")
    ap.add_argument("--full", action="store_true", help="also fit the full amazon-book-sized graph")
    ap.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = ap.parse_args(argv)
    threads = set_threads(args.threads)
    full = Shape()
    small = full.scaled(args.scale)
    cfg = TrainConfig(model="graph", out_dir=None, lam=None)
    graphs = {n: synthetic_graph(replace(small, relations=n)) for n in (1, 130)}
    best: dict[int, float] = {1: float("inf"), 130: float("inf")}
    parts: dict[int, dict[str, float]] = {}
    load = os.getloadavg()
    for _ in range(args.repeats):
        for n, g in graphs.items():
            s, p = _fit_seconds(g, cfg)
            if s < best[n]:
                best[n], parts[n] = s, p
            print(f"relations {n}: {s:.1f} s {p}", flush=True)
    rows = [f"| {n} | {sum(g.data[et].edge_index.size(1) for et in g.kg_edge_types) // 2:,} | {best[n]:.1f} "
            f"| {parts[n].get('select', 0):.1f} | {parts[n].get('refit', 0):.1f} |" for n, g in graphs.items()]
    ratio = best[130] / best[1]
    lines = [
        "## Default model: relation-count cost and fit time",
        "",
        f"`python -m benchmarks.model_bench` on {platform.node()} ({os.cpu_count()} cores, {threads} torch "
        f"threads), load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start. Synthetic "
        f"amazon-book-shaped graph scaled by {args.scale}: {small.users:,} users, {small.items:,} items, "
        f"{small.interactions:,} interactions, {small.entities:,} entities, 384-d text; the same triples "
        "labelled with 1 or 130 relation types. `fit(model='graph', holdout=False)` (selection on a 10% carve, "
        f"refit on everything), best of {args.repeats} interleaved runs.",
        "",
        "| relation types | KG triples | fit s | select s | refit s |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"130 types / 1 type = **{ratio:.2f}×** (side information is merged per kind, not per relation type).",
    ]
    if args.full:
        g = synthetic_graph(full)
        s, p = _fit_seconds(g, cfg)
        lines += ["", f"Full size ({full.users:,} × {full.items:,}, {full.interactions:,} interactions, "
                  f"{full.triples:,} triples): fit {s:.0f} s ({p}), peak RSS {peak_rss_gb():.1f} GB."]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("model", body)
    return body


if __name__ == "__main__":
    torch.manual_seed(0)
    main()

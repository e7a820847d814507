"""The default model's accuracy against its long tail, one coverage bonus at a time (issue 21).

Run as ``GRAPHREC_BENCH_NEO4J_URI=bolt://… GRAPHREC_BENCH_NEO4J_PASSWORD=… python -m benchmarks.tail_bench
--name lastfm-2k [--interactions LISTENED] [--seeds 2020] [--bonuses 0,0.1,…]`` against a loaded database (the
graph as ``graphrec evaluate`` streams it: its stored or seeded split). Per seed the default model is selected
once, as :func:`graphrec.fit` selects it, then refit on the training and validation pairs with each coverage
bonus forced (``cover_bonus``: the test users' lists re-ranked together, :mod:`graphrec.train.rerank`, as
``--pop-debias`` re-ranks with its chosen one) and scored on the test pairs with the figures ``evaluate``
reports beside accuracy: coverage@20, Gini@20, pop@20. ``--pop-debias`` chooses one point of this curve on the
validation pairs; the curve shows what each point costs on the test pairs. The section ``cover-<name>`` of
BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import loadavg, server
from benchmarks.report import write_section
from graphrec.loaders.types import RecGraph

FIGURES = ("recall@20", "ndcg@20", "coverage@20", "gini@20", "pop@20")
BONUSES = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def _curve(graph: RecGraph, seed: int, bonuses: list[float]) -> dict[float, dict[str, float]]:
    """Test figures of the default model selected once with ``seed`` and refit at each of ``bonuses``."""
    from graphrec.train import Selection, TrainConfig
    from graphrec.train.fit import FitReport, _refit, _select
    from graphrec.train.metrics import rank_scored
    from graphrec.train.registry import model_class

    cfg = TrainConfig(out_dir=None, seed=seed)
    model = model_class(cfg.model)(cfg, torch.device("cpu"))
    report = FitReport()
    chosen = _select(graph, model, report, False)
    out = {}
    for bonus in bonuses:
        forced = Selection(params={**chosen.params, "cover_bonus": bonus}, valid=chosen.valid, info=chosen.info)
        pairs, fitted = _refit(graph, model, forced, True, report, False)
        m = rank_scored(fitted.scorer, graph.num_items, graph.test, [pairs], (20,), tail=True, rerank=fitted.rerank)
        out[bonus] = {k: m[k] for k in FIGURES}
        print(f"  seed {seed} bonus {bonus}: " + ", ".join(f"{k} {m[k]:.4f}" for k in FIGURES), file=sys.stderr,
              flush=True)
    return out


def _table(curves: list[dict[float, dict[str, float]]], bonuses: list[float]) -> str:
    head = ("| bonus | Recall@20 | NDCG@20 | Recall / none | coverage@20 | coverage / none | Gini@20 "
            "| pop@20 |")
    lines = [head, "|" + "---|" * 8]
    base = {k: statistics.mean(c[bonuses[0]][k] for c in curves) for k in FIGURES}
    for bonus in bonuses:
        vals = {k: [c[bonus][k] for c in curves] for k in FIGURES}
        mean = {k: statistics.mean(v) for k, v in vals.items()}

        def pm(k: str, vals: dict[str, list[float]] = vals, mean: dict[str, float] = mean) -> str:
            sd = statistics.stdev(vals[k]) if len(vals[k]) > 1 else 0.0
            return f"{mean[k]:.4f} ± {sd:.4f}" if len(vals[k]) > 1 else f"{mean[k]:.4f}"
        lines.append(f"| {bonus:g} | {pm('recall@20')} | {pm('ndcg@20')} | {mean['recall@20'] / base['recall@20']:.1%} "
                     f"| {mean['coverage@20']:.4f} | {mean['coverage@20'] / base['coverage@20']:.2f}× "
                     f"| {mean['gini@20']:.3f} | {mean['pop@20']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--name", required=True, help="the dataset's name in the section title, e.g. lastfm-2k")
    p.add_argument("--interactions", default=None, help="behaviour types whose pairs are the positives")
    p.add_argument("--seeds", default="2020")
    p.add_argument("--bonuses", default=",".join(f"{b:g}" for b in BONUSES))
    p.add_argument("--no-write", action="store_true", help="print the table instead of writing BENCHMARKS.md")
    a = p.parse_args(argv)
    if not os.environ.get("GRAPHREC_BENCH_NEO4J_URI"):
        print("tail_bench: set GRAPHREC_BENCH_NEO4J_URI (and _PASSWORD) to a database with the dataset loaded",
              file=sys.stderr)
        return 2
    from graphrec.db import connect
    from graphrec.loaders import load_graph
    from graphrec.loaders.spec import discover_spec
    from graphrec.train.threads import set_threads

    set_threads(1)
    seeds = [int(s) for s in a.seeds.split(",")]
    bonuses = [float(b) for b in a.bonuses.split(",")]
    started, load0 = time.strftime("%Y-%m-%d %H:%M", time.gmtime()), loadavg()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp)) as settings:
        driver = connect(settings)
        try:
            spec = discover_spec(driver, interactions=a.interactions.split(",") if a.interactions else None)
            graph = load_graph(driver, spec)
        finally:
            driver.close()
    curves = [_curve(graph, seed, bonuses) for seed in seeds]
    minutes = (time.perf_counter() - t0) / 60
    body = (f"## The long tail, one coverage bonus at a time: {a.name}\n\n"
            f"`python -m benchmarks.tail_bench --name {a.name}"
            + (f" --interactions {a.interactions}" if a.interactions else "")
            + f" --seeds {a.seeds} --bonuses {a.bonuses}`, one torch thread, {started} UTC, {minutes:.0f} min, load "
            f"average {load0} at the start, {loadavg()} at the end. {graph.num_users:,} users × "
            f"{graph.num_items:,} items, {graph.test.size(1):,} test pairs. Per seed the default model is selected "
            "once and refit with each bonus (`cover_bonus` forced), the test users' lists re-ranked together; "
            "mean over the seeds"
            + (" ± std" if len(seeds) > 1 else "") + ".\n\n" + _table(curves, bonuses))
    if a.no_write:
        print(body)
    else:
        write_section(f"cover-{a.name}", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

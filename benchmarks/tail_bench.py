"""The default model's accuracy against its long tail, one swap count at a time (issue 21).

Run as ``GRAPHREC_BENCH_NEO4J_URI=bolt://… GRAPHREC_BENCH_NEO4J_PASSWORD=… python -m benchmarks.tail_bench
--name lastfm-2k [--interactions LISTENED] [--seeds 2020] [--swaps 0,1,2,…]`` against a loaded database (the
graph as ``graphrec evaluate`` streams it: its stored split, else the one ``evaluate``'s default seed draws, so the
curve and the evaluate table share their test pairs). Per seed the default model is selected
once, as :func:`graphrec.fit` selects it, and refit on the training and validation pairs, then scored with each
number of coverage swaps per user (``cover_swaps``: the test users' lists re-ranked together,
:mod:`graphrec.train.rerank`, as ``--pop-debias`` re-ranks with its chosen one) on the test pairs
with the figures ``evaluate`` reports beside accuracy: coverage@20, Gini@20, pop@20. ``--pop-debias`` chooses
one point of this curve on the validation pairs; the curve shows what each point costs on the test pairs. The
section ``cover-<name>`` of BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch

from benchmarks.common import bench_graph, loadavg
from benchmarks.report import write_section
from graphrec.loaders.types import RecGraph

FIGURES = ("recall@20", "ndcg@20", "coverage@20", "gini@20", "pop@20")
SWAPS = (0, 1, 2, 3, 4, 6, 8)


def _curve(graph: RecGraph, seed: int, swaps: list[int]) -> dict[int, dict[str, float]]:
    """Test figures of the default model selected once with ``seed``, refit, and re-ranked with each of ``swaps``."""
    from graphrec.train import TrainConfig
    from graphrec.train.fit import FitReport, _refit, _select
    from graphrec.train.metrics import rank_scored
    from graphrec.train.registry import model_class
    from graphrec.train.rerank import CoverageRerank

    cfg = TrainConfig(out_dir=None, seed=seed)
    model = model_class(cfg.model)(cfg, torch.device("cpu"))
    report = FitReport()
    pairs, fitted = _refit(graph, model, _select(graph, model, report, False), True, report, False)
    out = {}
    for m in swaps:     # the re-ranking leaves the fitted scores alone: one refit serves every count
        rerank = CoverageRerank(m) if m else None
        fig = rank_scored(fitted.scorer, graph.num_items, graph.test, [pairs], (20,), tail=True, rerank=rerank)
        out[m] = {k: fig[k] for k in FIGURES}
        print(f"  seed {seed} swaps {m}: " + ", ".join(f"{k} {fig[k]:.4f}" for k in FIGURES), file=sys.stderr,
              flush=True)
    return out


def _table(curves: list[dict[int, dict[str, float]]], swaps: list[int]) -> str:
    head = ("| swaps | Recall@20 | NDCG@20 | Recall / none | coverage@20 | coverage / none | Gini@20 "
            "| pop@20 |")
    lines = [head, "|" + "---|" * 8]
    base = {k: statistics.mean(c[swaps[0]][k] for c in curves) for k in FIGURES}
    for m in swaps:
        vals = {k: [c[m][k] for c in curves] for k in FIGURES}
        mean = {k: statistics.mean(v) for k, v in vals.items()}

        def pm(k: str, vals: dict[str, list[float]] = vals, mean: dict[str, float] = mean) -> str:
            sd = statistics.stdev(vals[k]) if len(vals[k]) > 1 else 0.0
            return f"{mean[k]:.4f} ± {sd:.4f}" if len(vals[k]) > 1 else f"{mean[k]:.4f}"
        lines.append(f"| {m} | {pm('recall@20')} | {pm('ndcg@20')} | {mean['recall@20'] / base['recall@20']:.1%} "
                     f"| {mean['coverage@20']:.4f} | {mean['coverage@20'] / base['coverage@20']:.2f}× "
                     f"| {mean['gini@20']:.3f} | {mean['pop@20']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--name", required=True, help="the dataset's name in the section title, e.g. lastfm-2k")
    p.add_argument("--interactions", default=None, help="behaviour types whose pairs are the positives")
    p.add_argument("--seeds", default="2020")
    p.add_argument("--swaps", default=",".join(str(m) for m in SWAPS))
    p.add_argument("--no-write", action="store_true", help="print the table instead of writing BENCHMARKS.md")
    a = p.parse_args(argv)
    if not os.environ.get("GRAPHREC_BENCH_NEO4J_URI"):
        print("tail_bench: set GRAPHREC_BENCH_NEO4J_URI (and _PASSWORD) to a database with the dataset loaded",
              file=sys.stderr)
        return 2
    from graphrec.train.threads import set_threads

    set_threads(1)
    seeds = [int(s) for s in a.seeds.split(",")]
    swaps = [int(m) for m in a.swaps.split(",")]
    started, load0 = time.strftime("%Y-%m-%d %H:%M", time.gmtime()), loadavg()
    t0 = time.perf_counter()
    graph = bench_graph(a.interactions)
    curves = [_curve(graph, seed, swaps) for seed in seeds]
    minutes = (time.perf_counter() - t0) / 60
    body = (f"## The long tail, one swap count at a time: {a.name}\n\n"
            f"`python -m benchmarks.tail_bench --name {a.name}"
            + (f" --interactions {a.interactions}" if a.interactions else "")
            + f" --seeds {a.seeds} --swaps {a.swaps}`, one torch thread, {started} UTC, {minutes:.0f} min, load "
            f"average {load0} at the start, {loadavg()} at the end. {graph.num_users:,} users × "
            f"{graph.num_items:,} items, {graph.test.size(1):,} test pairs (`graphrec evaluate`'s split). Per seed "
            "the default model is selected once, refit, and scored with each number of swaps per user "
            "(`cover_swaps`), the test users' lists re-ranked together; mean over the seeds"
            + (" ± std" if len(seeds) > 1 else "") + ".\n\n" + _table(curves, swaps))
    if a.no_write:
        print(body)
    else:
        write_section(f"cover-{a.name}", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

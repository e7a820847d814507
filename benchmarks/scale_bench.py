"""The default model against ALS from a 25k- to a million-item catalogue, on structured synthetic graphs.

Run as ``python -m benchmarks.scale_bench [--sizes 0,1] [--models graph,als]``. For each size of
:data:`benchmarks.topics.SIZES` (the seeded topic graph of :mod:`benchmarks.topics`: topics and sub-topics,
power-law popularity and activity, 15% noise, a KG correlated with the topics, 80/20 split per user) each model
is fitted in its own process by :func:`graphrec.train.fit` with default settings (its own validation search;
``holdout=True``: refit on train, scored on the test pairs of a seeded sample of ``--test-users`` users).
Reported: Recall@20, NDCG@20, the fit's seconds (selection, refit, exact top-K for every user where the model
needs it; the graph's generation excluded), the path the item–item model took, and the process's peak RSS
(``ru_maxrss``, the graph included). The log-log slopes of time and memory against items and interactions come
from consecutive sizes. The section ``scale`` of BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from typing import Any

from benchmarks.topics import SIZES, sample_test_users, topic_graph


def child(size_index: int, model: str, test_users: int, threads: int, memory_gb: float | None) -> dict[str, Any]:
    """Generate, fit and score one model on one size (run in its own process)."""
    import torch

    from graphrec.train import TrainConfig, fit
    from graphrec.train.threads import set_threads

    set_threads(threads)
    size = SIZES[size_index]
    graph = topic_graph(size)
    sample_test_users(graph, test_users)
    cfg = TrainConfig(model=model, out_dir=None, memory_gb=memory_gb)
    t0 = time.perf_counter()
    art = fit(graph, cfg, progress=True)
    seconds = time.perf_counter() - t0
    m, st = art.metrics["test"], art.info["seconds"]
    return {"size": size.label, "items": size.items, "interactions": int(graph.train.size(1) + graph.test.size(1)),
            "model": model, "recall@20": m["recall@20"], "ndcg@20": m["ndcg@20"],
            "fit_s": round(st["select"] + st["refit"], 1), "top_k_s": round(st.get("top_k", 0.0), 1),
            "total_s": round(seconds, 1), "top_k": art.info["refit"].get("top_k", "–"),
            "stages": st, "path": art.info["refit"].get("path", ""),
            "top_k_agreement@20": art.info["refit"].get("top_k_agreement@20"),
            "chosen": art.params.get("chosen", {}), "threads": torch.get_num_threads(),
            "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2)}


def _start_child(i: int, model: str, args: argparse.Namespace) -> tuple[subprocess.Popen[str], float]:
    cmd = [sys.executable, "-m", "benchmarks.scale_bench", "--child", f"{i}:{model}",
           "--test-users", str(args.test_users), "--threads", str(args.threads)]
    if args.memory_gb:
        cmd += ["--memory-gb", str(args.memory_gb)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True), os.getloadavg()[0]


def _finish_child(proc: subprocess.Popen[str], load: float) -> dict[str, Any]:
    out, _ = proc.communicate()
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, proc.args)
    row: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    row["load"] = f"{load:.1f}→{os.getloadavg()[0]:.1f}"
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def _run_size(i: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every model on size ``i``: one after the other, or (``--parallel``) side by side, a process each."""
    models = args.models.split(",")
    if not args.parallel:
        return [_finish_child(*_start_child(i, m, args)) for m in models]
    started = [_start_child(i, m, args) for m in models]
    return [_finish_child(proc, load) for proc, load in started]


def _slopes(rows: list[dict[str, Any]], model: str) -> str:
    mine = [r for r in rows if r["model"] == model]
    parts = []
    for a, b in zip(mine, mine[1:], strict=False):
        di = math.log(b["items"] / a["items"])
        dn = math.log(b["interactions"] / a["interactions"])
        dt, dm = math.log(b["fit_s"] / a["fit_s"]), math.log(b["peak_rss_gb"] / a["peak_rss_gb"])
        parts.append(f"{a['items'] // 1000}k→{b['items'] // 1000}k: time {dt / di:.2f} per items, {dt / dn:.2f} per "
                     f"interactions; memory {dm / di:.2f} / {dm / dn:.2f}")
    return "; ".join(parts) or "(one size)"


def section(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = ["## Every catalogue: the default model against ALS on structured synthetic graphs", "",
             f"`{' '.join(['python -m benchmarks.scale_bench', *sys.argv[1:]])}`: the seeded topic graph of "
             "`benchmarks/topics.py` (structure: topics and sub-topics, power-law popularity and activity, 15% "
             "noise, a KG correlated with the topics; no text), each model fitted with default settings in its own "
             f"process{' side by side (`--parallel`)' if args.parallel else ''}, scored on the test pairs of "
             f"{args.test_users:,} sampled users. One seed per size (a fit is the cost being measured).", "",
             "*fit s* is the training (selection + refit); *top-K s* the write-back top-K for every user that "
             "only a model whose vectors approximate its scores needs (ALS's are exact: its top-K is the vector "
             "index's), exact over every item or over candidates (`Fitted.top`); *all s* adds scoring the test "
             "pairs.", "",
             "| size | model | path | Recall@20 | NDCG@20 | fit s | top-K s | all s | peak RSS GB | load (1 min) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        top = f"{r['top_k_s']:.0f} ({r['top_k']})" if r["top_k_s"] else "–"
        lines.append(f"| {r['size']} | {r['model']} | {r['path'] or '–'} | {r['recall@20']:.4f} | {r['ndcg@20']:.4f} "
                     f"| {r['fit_s']:.0f} | {top} | {r['total_s']:.0f} | {r['peak_rss_gb']:.1f} | {r['load']} |")
    lines += ["", "Log-log slopes (default model): " + _slopes(rows, "graph"), "",
              "Stages (s): " + "; ".join(f"{r['size']} {r['model']}: " + ", ".join(
                  f"{k} {v:.0f}" for k, v in r["stages"].items()) for r in rows)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="0,1", help="indices into SIZES (default 0,1: 25k and 100k items)")
    ap.add_argument("--models", default="graph,als")
    ap.add_argument("--test-users", type=int, default=20_000)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--memory-gb", type=float, default=None)
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    ap.add_argument("--parallel", action="store_true",
                    help="fit a size's models side by side (a process each, same load) instead of in turn")
    ap.add_argument("--section", default="scale", help="the BENCHMARKS.md section to rewrite (default: scale)")
    ap.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = ap.parse_args(argv)
    if args.child:
        i, model = args.child.split(":")
        print(json.dumps(child(int(i), model, args.test_users, args.threads, args.memory_gb)))
        return
    rows = [row for i in args.sizes.split(",") for row in _run_size(int(i), args)]
    text = section(rows, args)
    print(text)
    if not args.no_write:
        from benchmarks.report import write_section

        write_section(args.section, text)


if __name__ == "__main__":
    main()

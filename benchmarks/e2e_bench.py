"""`graphrec train` end to end on the amazon-book-shaped graph: stream-out, fit, publish, as a user runs it.

Run as ``python -m benchmarks.e2e_bench``. Writes the seeded synthetic graph of
:mod:`benchmarks.train_bench` (70,679 users, 24,915 items, 847,733 interactions, 63,657 entities,
2,557,746 triples in 39 relation types, 384-d item text; ``--scale`` shrinks it) into a throwaway Neo4j through
the ingest writer, then times ``graphrec train --json`` (the default model) in its own process: stream-out,
selection, refit, top-K and publish, each as the command reports it, and the whole wall time. The section
``e2e`` of BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import server
from benchmarks.report import write_section
from benchmarks.train_bench import Shape, synthetic_graph
from graphrec.db import connect
from graphrec.db.schema import apply_schema
from graphrec.ingest.records import GraphRecords
from graphrec.ingest.writer import write_records
from graphrec.loaders.types import RecGraph
from graphrec.writeback.vectors import write_vectors

CLOSED_FORM = "none: the default model is closed-form (λ and weights chosen on validation, one solve each)"


def records(graph: RecGraph) -> GraphRecords:
    """The synthetic graph as ingest records: users, items, entities, RATED and the KG triples."""
    rec = GraphRecords(name="synthetic:amazon-book-shape")
    ids = graph.ids
    users = rec.node_set("User", "synthetic users")
    for u in ids["User"]:
        users.add(u)
    items = rec.node_set("Item", "synthetic items")
    for i in ids["Item"]:
        items.add(i, title=f"Book {i}")
    ents = rec.node_set("Entity", "synthetic entities")
    eid = [e if str(e).startswith("e") else f"e{e}" for e in ids["Entity"]]
    for e in eid:
        ents.add(e, name=f"entity {e}", kind="synthetic")
    rated = rec.rel_set("RATED", "User", "Item", "synthetic interactions")
    uid, iid = ids["User"], ids["Item"]
    for a, b in torch.cat([graph.train, graph.valid, graph.test], 1).T.tolist():
        rated.add(uid[a], iid[b], rating=1.0, ts=0)
    for et in graph.kg_edge_types:
        src, rel, dst = et
        if rel.startswith("rev_"):
            continue
        rs = rec.rel_set(rel, "Item", "Entity", "synthetic triples")
        for h, t in graph.data[et].edge_index.T.tolist():
            rs.add(iid[h], eid[t])
    return rec


def _graph(topics: int | None, shape: Shape) -> tuple[RecGraph, str]:
    """The graph to write and its description: the amazon-book-shaped one, or a size of the topic graph."""
    if topics is None:
        graph = synthetic_graph(shape)
        rels = sum(graph.data[et].edge_index.size(1) for et in graph.kg_edge_types if not et[1].startswith("rev_"))
        return graph, (f"the seeded amazon-book-shaped graph of `benchmarks.train_bench`: {shape.users:,} users, "
                       f"{shape.items:,} items, {graph.train.size(1):,} interactions, {shape.entities:,} entities, "
                       f"{rels:,} triples in {shape.relations} relation types, 384-d item text")
    from benchmarks.topics import SIZES, topic_graph

    size = SIZES[topics]
    graph = topic_graph(size)
    pairs = graph.train.size(1) + graph.test.size(1)
    kg = sum(graph.data[et].edge_index.size(1) for et in graph.kg_edge_types if not et[1].startswith("rev_"))
    return graph, (f"the seeded structured topic graph `benchmarks.topics.SIZES[{topics}]`: {size.users:,} users, "
                   f"{size.items:,} items, {pairs:,} interactions, {graph.data['Entity'].num_nodes:,} entities, "
                   f"{kg:,} item–entity links, no text")


def _server_peak_rss_gb(home: str) -> float | None:
    """Peak RSS (VmHWM) of the Neo4j server running from ``home`` (its java process), if found."""
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and home in (proc / "cmdline").read_text(errors="ignore"):
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmHWM:") and "java" in (proc / "comm").read_text():
                        return int(line.split()[1]) / 1e6
        except OSError:
            continue
    return None


def _stream_seconds(stderr: str) -> float | None:
    m = re.search(r"streamed in ([0-9.]+)s", stderr)
    return float(m.group(1)) if m else None


def _selected_on(head: int | None, out: dict[str, Any]) -> str:
    """What the selection chose on: the head, a sample of the catalogue's columns, or every item."""
    if head:
        return f"on the {head:,} most-interacted items"
    cols = (out.get("chosen") or {}).get("columns")
    return f"on {cols:,} sampled columns, ranks estimated over every item" if cols else "on all items"


def _timed(cmd: list[str], env: dict[str, str], what: str) -> tuple[
        subprocess.CompletedProcess[str], float, tuple[float, float, float], tuple[float, float, float]]:
    """``cmd`` run to its end: ``(the process, wall seconds, load average before, after)``; exits on a failure."""
    before = os.getloadavg()
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    after = os.getloadavg()
    if proc.returncode != 0:
        raise SystemExit(f"graphrec {what} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc, wall, before, after


def _evaluate(env: dict[str, str], models: str, threads: int) -> list[str]:
    """``graphrec evaluate --models models --json`` in its own process: its table lines and what it cost."""
    cmd = [sys.executable, "-m", "graphrec.cli.main", "evaluate", "--models", models, "--json", "--threads",
           str(threads)]
    proc, wall, before, after = _timed(cmd, env, "evaluate")
    rows: list[dict[str, Any]] = json.loads(proc.stdout)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6     # the largest of train and evaluate
    out = [f"| {r['model']} | {r.get('path', '–')} | " + (f"skipped: {r['skipped']} | | |" if "skipped" in r else
           f"{r['recall@20']:.4f} | {r['ndcg@20']:.4f} | {r['seconds']:.0f} |") for r in rows]
    return [*out, f"wall {wall:.0f} s ({wall / 60:.1f} min); peak RSS of the larger of the train and evaluate "
            f"processes {rss:.1f} GB; load average {before[0]:.1f} / {before[1]:.1f} / {before[2]:.1f} before, "
            f"{after[0]:.1f} / {after[1]:.1f} / {after[2]:.1f} after"]


def _evaluate_lines(evaluated: list[str], models: str, threads: int) -> list[str]:
    if not evaluated:
        return []
    return ["", f"`graphrec evaluate --models {models} --json --threads {threads}` on the same server afterwards "
            "(each model chooses on a validation carve, is refit on train + valid and ranks every item for "
            "every test user; `--split auto`):", "",
            "| model | path | Recall@20 | NDCG@20 | s |", "|---|---|---|---|---|", *evaluated[:-1], "",
            f"- {evaluated[-1]}"]


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--scale", type=float, default=1.0, help="size vs amazon-book (default 1.0)")
    ap.add_argument("--threads", type=int, default=0, help="graphrec train --threads (default: the cores available)")
    ap.add_argument("--model", default="graph", help="graphrec train --model (default: graph, the default model)")
    ap.add_argument("--memory-gb", type=float, help="graphrec train --memory-gb (default: its own bound)")
    ap.add_argument("--topics", type=int, default=None,
                    help="instead, the structured graph of benchmarks.topics.SIZES[N] (1: 100k items)")
    ap.add_argument("--evaluate", default="", metavar="MODELS",
                    help="then also `graphrec evaluate --models MODELS` on the same server (e.g. graph,als)")
    ap.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = ap.parse_args(argv)
    s = args.scale
    shape = Shape().scaled(s)
    graph, what = _graph(args.topics, shape)
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp), heap="2g", pagecache="1g") as settings:
        driver = connect(settings)
        apply_schema(driver)
        t = time.perf_counter()
        rec = records(graph)
        load = write_records(driver, rec, batch_size=20_000, progress=False)
        if "x" in graph.data["Item"]:
            write_vectors(driver, "Item", graph.ids["Item"], graph.data["Item"].x, "text_embedding", workers=2)
        load_s = time.perf_counter() - t
        driver.close()
        env = {**os.environ, "GRAPHREC_NEO4J_URI": settings.uri, "GRAPHREC_NEO4J_PASSWORD": settings.password or "",
               "GRAPHREC_HOME": tmp}
        cmd = [sys.executable, "-m", "graphrec.cli.main", "train", "--model", args.model, "--json",
               "--threads", str(args.threads)] + (["--memory-gb", str(args.memory_gb)] if args.memory_gb else [])
        proc, wall, load_avg, load_after = _timed(cmd, env, "train")
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6     # the train process's, before any other
        evaluated = _evaluate(env, args.evaluate, args.threads) if args.evaluate else []
        server_gb = _server_peak_rss_gb(tmp)
    out: dict[str, Any] = json.loads(proc.stdout)
    secs = out["seconds"]
    sel = out.get("chosen", {})
    valid = out["metrics"].get("valid", {})
    stream = _stream_seconds(proc.stderr)
    head = out.get("selected_on_items")
    head = head if head and head < graph.num_items else None
    epochs = sel.get("epochs")
    flags = "".join(f" {k} {v}" for k, v in (("--scale", s if s != 1.0 else None), ("--topics", args.topics),
                                              ("--memory-gb", args.memory_gb)) if v is not None)
    lines = [
        "## `graphrec train` end to end" + ("" if args.topics is None else f" at {graph.num_items:,} items"),
        "",
        f"`python -m benchmarks.e2e_bench{flags}` on {platform.node()} "
        f"({os.cpu_count()} cores, `--threads {args.threads}`{' = the cores available' if not args.threads else ''}). "
        f"{what[0].upper() + what[1:]}; written into a throwaway Neo4j 5.26 in "
        f"{load_s:.0f} s ({sum(load.counts['relationships'].values()):,} relationships), then "
        f"`graphrec train --model {args.model} --json` timed in its own process (deployment: learns from every "
        "interaction, publishes and activates the run).",
        "",
        "| stage | seconds |",
        "|---|---|",
        f"| stream-out (Neo4j → tensors) | {stream if stream is not None else '–'} |",
        f"| select ({_selected_on(head, out)}) | {secs.get('select', 0):.0f} |",
        f"| refit on every interaction | {secs.get('refit', 0):.0f} |",
        f"| top-K for RECOMMENDED ({out.get('top_k') or 'exact'}) | {secs.get('top_k', 0):.0f} |",
        f"| publish (vectors, indexes, RECOMMENDED, switch) | {out.get('publish', {}).get('seconds', 0):.0f} |",
        f"| **whole command, wall** | **{wall:.0f}** ({wall / 60:.1f} min) |",
        "",
        f"- chosen: `{json.dumps(sel, default=str)}`; validation Recall@20 of the chosen setting "
        f"{valid.get('recall@20', float('nan')):.4f} on the selection's validation pairs (the synthetic graph "
        "has no stored split, so `--split auto` holds out each user's latest 10% by time; its power-law pairs "
        "have little structure, so the figure is about the pipeline, not quality)",
        f"- epochs: {epochs if epochs is not None else CLOSED_FORM}",
        f"- learnt from {out['train_pairs']:,} interactions; published "
        f"{out.get('publish', {}).get('recommended', 0):,} RECOMMENDED; peak RSS of the train process {rss:.1f} GB, "
        f"of the Neo4j server {server_gb if server_gb is not None else float('nan'):.1f} GB (heap 2g, page cache 1g)",
        f"- machine load average (1/5/15 min): {load_avg[0]:.1f} / {load_avg[1]:.1f} / {load_avg[2]:.1f} before, "
        f"{load_after[0]:.1f} / {load_after[1]:.1f} / {load_after[2]:.1f} after (2 shared cores: seconds move with it)",
    ]
    lines += _evaluate_lines(evaluated, args.evaluate, args.threads)
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("e2e" if args.topics is None else f"e2e-topics-{args.topics}", body)
    return body


if __name__ == "__main__":
    main()

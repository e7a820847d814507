"""Refresh benchmark: what ``graphrec refresh`` costs and how good its folded-in users are.

``python -m benchmarks.refresh_bench`` starts a throwaway Neo4j per part (or uses the empty
database at ``GRAPHREC_BENCH_NEO4J_URI``) and measures:

* **quality** on MovieLens-100k (real, through ``graphrec.ingest`` and ``graphrec.loaders``): 10 % of the
  users (seeded) are "new"; 20 % of each one's ratings are their test items, never in the graph. The
  *refresh* route trains the default model without the new users' ratings, publishes it, gives the
  ratings back to the graph and runs :func:`graphrec.writeback.refresh`; their Recall@20 is read from
  the RECOMMENDED relationships it wrote. The *retrain* route fits the same model on the graph that
  holds their ratings and scores its exact top-20 for the same users. The ratio is the figure that counts.
* **time** of a refresh of 1,000 changed users (each given one new rating) on the amazon-book-sized
  synthetic graph of ``serve_bench`` (70k users, 25k items, ~850k interactions), its run published
  with random 64-d vectors and query factors (refresh cost does not depend on their values).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from neo4j import Driver

from benchmarks import BENCH_CYPHER
from benchmarks.common import data_dir, server
from benchmarks.report import write_section
from benchmarks.serving import synthetic_amazon
from graphrec.artefact import Artefact
from graphrec.db import connect
from graphrec.db.queries import load_query
from graphrec.db.schema import apply_schema
from graphrec.writeback import RefreshResult, RunSpec, publish, publish_artefact, refresh

K = 20


def _q(name: str) -> str:
    return load_query(name, BENCH_CYPHER)


def _recall(top: dict[str, list[str]], test: dict[str, set[str]]) -> float:
    vals = [len(set(top.get(u, [])[:K]) & t) / len(t) for u, t in test.items() if t]
    return sum(vals) / len(vals) if vals else 0.0


def quality(driver: Driver, data_dir: Path, home: Path, model: str, seed: int = 0) -> dict[str, Any]:
    """The MovieLens-100k hold-out protocol of the module docstring."""
    from graphrec.ingest.datasets import LoadOptions, load_dataset
    from graphrec.loaders import load_graph
    from graphrec.train import TrainConfig, fit

    load_dataset(driver, "movielens-100k", LoadOptions(), data_dir, home,
                 progress=False)
    users = sorted(str(r["id"]) for r in driver.execute_query("MATCH (u:User) WHERE EXISTS {(u)-[:RATED]->()} "
                                                              "RETURN u.id AS id").records)
    rnd = random.Random(seed)
    new = sorted(rnd.sample(users, len(users) // 10))
    pairs = driver.execute_query(_q("refresh_pairs"), {"users": new}).records
    by_user: dict[str, list[dict[str, Any]]] = {}
    for r in pairs:
        by_user.setdefault(r["u"], []).append({"u": r["u"], "i": r["i"], "p": dict(r["p"])})
    history: list[dict[str, Any]] = []
    test: dict[str, set[str]] = {}
    for u, rows in by_user.items():
        rnd.shuffle(rows)
        cut = max(1, int(round(len(rows) * 0.8)))
        history += rows[:cut]
        test[u] = {r["i"] for r in rows[cut:]}
    driver.execute_query(_q("refresh_delete_pairs"), {"rows": [{"u": r["u"], "i": r["i"]} for r in pairs]})
    cfg = TrainConfig(model=model)

    # refresh route: a run that never saw the new users' ratings, then the ratings arrive, then refresh
    t = time.perf_counter()
    old = fit(load_graph(driver), cfg, progress=False, holdout=False)
    fit_old_s = time.perf_counter() - t
    alternatives = fold_alternatives(old, new, history, test)
    publish_artefact(driver, old, k=K)
    driver.execute_query(_q("refresh_create_pairs"), {"rows": history})
    res = refresh(driver)
    recs = driver.execute_query("UNWIND $users AS uid MATCH (u:User {id: uid})-[r:RECOMMENDED]->(i:Item) "
                                "WHERE r.run = $run WITH uid, i, r ORDER BY r.rank "
                                "RETURN uid, collect(i.id) AS items", {"users": new, "run": res.run_id}).records
    refreshed = _recall({r["uid"]: list(r["items"]) for r in recs}, test)

    # retrain route: the same model fitted on the graph that holds the new users' ratings
    t = time.perf_counter()
    graph = load_graph(driver)
    full = fit(graph, cfg, progress=False, holdout=False)
    fit_full_s = time.perf_counter() - t
    ids, user_ids = full.ids[full.item_type], full.ids[full.user_type]
    if full.top_items is not None:
        top_idx = full.top_items
    else:
        from graphrec.writeback.topk import top_k

        top_idx = torch.cat([b.items for b in top_k(full.user_emb, full.item_emb, full.exclude, K)])
    pos = {u: n for n, u in enumerate(user_ids)}
    retrained = _recall({u: [ids[i] for i in top_idx[pos[u]].tolist() if i >= 0] for u in new}, test)
    return {"model": model, "new_users": len(new), "history": len(history),
            "test": sum(len(t) for t in test.values()), "refresh": res, "recall_refresh": refreshed,
            "recall_retrain": retrained, "fit_old_s": fit_old_s, "fit_full_s": fit_full_s,
            "alternatives": alternatives}


def fold_alternatives(old: Artefact, new: list[str], history: list[dict[str, Any]], test: dict[str, set[str]]
                      ) -> dict[str, float]:
    """Recall@20 of the new users under other fold-ins of the same run, exact top-20 in torch: ``ridge`` (what
    refresh does for a GNN), and ``propagate``, one LightGCN propagation step from the run's item vectors,
    ``u = Σ_i e_i / √(d_u d_i)`` over the user's items, ``d`` the degrees in the graph at refresh."""
    from graphrec.ranking import top_unseen
    from graphrec.writeback.refresh import fold_users

    ids = old.ids[old.item_type]
    index = {x: n for n, x in enumerate(ids)}
    pos = [sorted({index[r["i"]] for r in history if r["u"] == u and r["i"] in index}) for u in new]
    degree = torch.bincount(old.exclude[1], minlength=len(ids)).double()
    for p in pos:
        degree[p] += 1
    item_emb = old.item_emb.float()
    rows = torch.repeat_interleave(torch.arange(len(new)), torch.tensor([len(p) for p in pos], dtype=torch.long))
    cols = torch.tensor([i for p in pos for i in p], dtype=torch.long)

    def recall(user_emb: torch.Tensor) -> float:
        top, _ = top_unseen(user_emb @ item_emb.T, rows, cols, K)
        return _recall({u: [ids[i] for i in top[n].tolist() if i >= 0] for n, u in enumerate(new)}, test)

    step = torch.stack([(item_emb[p].double() * degree[p].rsqrt()[:, None]).sum(0) / max(len(p), 1) ** 0.5
                        for p in pos]).float()
    return {"ridge": recall(fold_users("ridge", item_emb, pos)), "propagate": recall(step)}


def timing(driver: Driver, changed: int = 1000, seed: int = 0, rounds: int = 2
           ) -> tuple[list[RefreshResult], float, str]:
    """``rounds`` refreshes of ``changed`` users each (one new rating each, other users each round) on the
    amazon-book-sized synthetic graph: the first runs with the server's query plans cold."""
    graph = synthetic_amazon(driver)
    g = torch.Generator().manual_seed(seed)
    u, i = len(graph.ids["User"]), len(graph.ids["Item"])
    t = time.perf_counter()
    fold = torch.randn(i, 64, generator=g) / 8
    publish(driver, RunSpec("graph", {}), graph.ids, torch.randn(u, 64, generator=g) / 8,
            torch.randn(i, 64, generator=g) / 8, graph.exclude, k=K, fold=fold, interactions=["RATED"])
    publish_s = time.perf_counter() - t
    rnd = random.Random(seed)
    seen = {(int(a), int(b)) for a, b in graph.exclude.t().tolist()}
    users = rnd.sample(range(u), changed * rounds)
    results = []
    for n in range(rounds):
        rows = []
        for user in users[n * changed:(n + 1) * changed]:
            item = rnd.randrange(i)
            while (user, item) in seen:
                item = rnd.randrange(i)
            rows.append({"u": graph.ids["User"][user], "i": graph.ids["Item"][item],
                         "p": {"rating": 1.0, "ts": 1}})
        driver.execute_query(_q("refresh_create_pairs"), {"rows": rows})
        results.append(refresh(driver))
        print(f"refresh {n + 1}: {results[-1].to_dict()}", flush=True)
    return results, publish_s, graph.source


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def quality_part(model: str) -> str:
    """The BENCHMARKS.md part of the quality figures of ``model``: ``quality`` for the default model, else
    ``quality_<model>`` (kept side by side)."""
    return "quality" if model == "graph" else f"quality_{model}"


def kept_parts(path: Path = Path("BENCHMARKS.md")) -> dict[str, str]:
    """The parts of the refresh section already in ``path`` (``<!-- refresh:<part> -->`` blocks), so that a run
    of some parts keeps the others' figures as they are."""
    text = path.read_text() if path.exists() else ""
    found = re.findall(r"<!-- refresh:(\w+) -->\n(.*?)\n<!-- /refresh:\1 -->", text, flags=re.S)
    return {name: body for name, body in found}


def section(q: dict[str, Any] | None, tm: tuple[list[RefreshResult], float, str] | None, loads: dict[str, str],
            command: str, kept: dict[str, str] | None = None) -> str:
    """The refresh section: each part measured now (with its command and load average), or kept as it was."""
    done: dict[str, str] = dict(kept or {})
    if q is not None:
        res: RefreshResult = q["refresh"]
        ratio = q["recall_refresh"] / q["recall_retrain"] if q["recall_retrain"] else 0.0
        alt = q.get("alternatives") or {}
        done[quality_part(q["model"])] = "\n".join([
            f"**Quality** (MovieLens-100k, model `{q['model']}`): {q['new_users']} new users (10 %, seeded), "
            f"{q['history']} of their ratings in the graph at refresh, {q['test']} held out as their test items. "
            f"Command: `{command}`; load average (1/5/15 min) before it: {loads['quality']}.",
            "", "| route | Recall@20 of the new users | time |", "|---|---|---|",
            f"| refresh (run trained without them, then `refresh`) | {q['recall_refresh']:.4f} | "
            f"refresh {res.seconds['total']:.2f} s ({res.users} users) |",
            f"| full retrain that saw them | {q['recall_retrain']:.4f} | fit {q['fit_full_s']:.1f} s |",
            f"| **refresh / retrain** | **{ratio:.1%}** (target >= 90 %) | |",
            *([""] + ["Other fold-ins of the same run for the same users (exact top-20 in torch, no database): "
                      + "; ".join(f"`{kind}` {r:.4f} ({r / q['recall_retrain']:.1%} of the retrain)"
                                  for kind, r in alt.items())
                      + ". `ridge`: the least-squares user vector for the run's item vectors; `propagate`: one "
                      "LightGCN propagation step from them, Σ e_i / √(d_u d_i)."] if alt and q["recall_retrain"]
              else [])])
    if tm is not None:
        runs, publish_s, desc = tm

        def one(res: RefreshResult) -> str:
            s = res.seconds
            return (f"**{s['total']:.1f} s** for {res.users:,} users ({res.recommended:,} RECOMMENDED) — scan "
                    f"{s['scan']:.1f} s, fold-in + top-20 + writes {s['users']:.1f} s, recount {s['counts']:.1f} s")

        done["time"] = "\n".join([
            f"**Time**, 1,000 changed users (one new rating each) on the amazon-book-sized graph ({desc}; run "
            f"published with random 64-d vectors and query factors in {publish_s:.0f} s), target < 10 s. Scan: "
            "every user's typed degree against the run's count, the distinct items of the users whose degree "
            "moved, every item vector; recount: the run's RECOMMENDED and vectors, checked again at activation. "
            f"Command: `{command}`; load average (1/5/15 min) before it: {loads['time']}, after it: "
            f"{loads.get('time_end', '?')}.", "",
            *[f"- refresh {n}{' (the first after the server start: query plans cold)' if n == 1 else ''}: "
              f"{one(res)}" for n, res in enumerate(runs, 1)]])
    lines = ["## Refresh without retraining (`graphrec refresh`)", ""]
    for part in sorted(done, key=lambda p: (p != "quality", p == "time", p)):   # quality, quality_<model>…, time
        lines += [f"<!-- refresh:{part} -->", done[part].rstrip(), f"<!-- /refresh:{part} -->", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--parts", default="quality,time")
    ap.add_argument("--model", default="graph")
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="datasets folder (default: the data_dir setting)")
    ap.add_argument("--no-report", action="store_true", help="print, do not write BENCHMARKS.md")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parts = args.parts.split(",")
    command = "python -m benchmarks.refresh_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    q = tm = None
    loads: dict[str, str] = {}
    for part in parts:
        with tempfile.TemporaryDirectory(prefix="graphrec-refresh-bench-") as tmp, server(Path(tmp)) as settings:
            driver = connect(settings)
            try:
                apply_schema(driver)
                loads[part] = _load()
                if part == "quality":
                    q = quality(driver, args.data_dir or data_dir(), Path(tmp), args.model)
                elif part == "time":
                    tm = timing(driver)
                    loads["time_end"] = _load()
                print(section(q, tm, loads, command), flush=True)
            finally:
                driver.close()
    text = section(q, tm, loads, command, kept_parts())
    if not args.no_report:
        write_section("refresh", text)
    print(text)


if __name__ == "__main__":
    main()

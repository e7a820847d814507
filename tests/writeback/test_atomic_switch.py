"""The atomic switch: readers hammering the recommend queries while a second run is published and
the active run flips back and forth never get a result set that mixes two runs."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import torch
from neo4j import Driver

from graphrec.recommend import recommend, recommend_realtime, similar_items
from graphrec.writeback import RunSpec, activate, publish
from tests.recommend.toygraph import build

K = 6


def _expected(user_emb: torch.Tensor, item_emb: torch.Tensor, exclude: torch.Tensor) -> list[list[int]]:
    scores = user_emb @ item_emb.t()
    scores[exclude[0], exclude[1]] = float("-inf")
    return torch.topk(scores, K).indices.tolist()


def test_readers_never_see_a_mix_of_runs(db: Driver) -> None:
    graph = build(db, users=120, items=200, degree=5, seed=5)
    users, items = graph.ids["User"], graph.ids["Item"]
    embs = {}
    g = torch.Generator().manual_seed(11)
    for name in ("a", "b"):
        embs[name] = (torch.randn(len(users), 16, generator=g), torch.randn(len(items), 16, generator=g))
    run_a = publish(db, RunSpec("a"), graph.ids, *embs["a"], graph.exclude, k=K).run_id
    runs = {run_a: "a"}
    expected = {"a": _expected(*embs["a"], graph.exclude)}
    expected["b"] = _expected(*embs["b"], graph.exclude)

    stop = threading.Event()
    seen: Counter[str] = Counter()
    problems: list[str] = []
    lock = threading.Lock()

    def reader(seed: int) -> None:
        rnd = random.Random(seed)
        while not stop.is_set():
            ui = rnd.randrange(len(users))
            kind = rnd.choice(["recommend", "realtime", "similar"])
            if kind == "recommend":
                recs = recommend(db, users[ui], k=K)
            elif kind == "realtime":
                recs = recommend_realtime(db, users[ui], k=K)
            else:
                recs = similar_items(db, items[ui], k=K)
            got = {r.run for r in recs}
            with lock:
                if len(got) != 1 or None in got:
                    problems.append(f"{kind} {users[ui]}: runs {got}")
                    continue
                (run,) = got
                seen[run] += 1
                name = runs.get(run or "")
            if name is None:
                problems.append(f"{kind}: unknown run {run}")
                continue
            u_emb, i_emb = embs[name]
            if kind == "recommend" and [items.index(r.item) for r in recs] != expected[name][ui]:
                problems.append(f"recommend {users[ui]}: items are not run {name}'s top-K")
            if kind == "realtime":
                for r in recs:
                    dot = float(u_emb[ui] @ i_emb[items.index(r.item)])
                    if abs(dot - r.score) > 1e-3:
                        problems.append(f"realtime {users[ui]}: score {r.score} is not run {name}'s {dot}")

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        spec = RunSpec("b", run_id="b-" + run_a.split("-", 1)[1])
        with lock:
            runs[spec.run_id or ""] = "b"
        run_b = publish(db, spec, graph.ids, *embs["b"], graph.exclude, k=K).run_id
        time.sleep(0.3)
        for _ in range(3):  # flip back and forth under load
            activate(db, run_a)
            time.sleep(0.2)
            activate(db, run_b)
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not problems, problems[:5]
    assert seen[run_a] > 0 and seen[run_b] > 0, seen
    assert sum(seen.values()) > 50
